"""Photometric operations on a batch of frames, one factor per frame.

torchvision's functional colour operations take one scalar factor per call;
the official jitter gives every frame its own factors and its own order.
These functions take a factor per frame and reproduce torchvision's tensor
operations on uint8 images: the frames are float tensors holding integer
values in ``[0, 255]`` (``x.float()`` of uint8 frames) and each operation
ends, as torchvision's uint8 path does, by clamping to ``[0, 255]`` and
truncating to an integer. So a chain of them equals the same chain of
``torchvision.transforms.v2.functional`` calls on the uint8 frames, up to
float rounding (at most 1 level on a few pixels per operation; see
tests/models/data_preprocessors/test_batch_ops.py for the stated tolerances,
also against PIL, which the CPU pipeline uses).

All frames tensors are ``[N, 3, H, W]`` RGB; factors are ``[N]``.
"""
from typing import Optional

import torch
from torch import Tensor

__all__ = [
    'adjust_brightness', 'adjust_contrast', 'adjust_saturation', 'adjust_hue',
    'rgb_to_grayscale_pil', 'jitter_frames', 'JITTER_OPS'
]


def _per_frame(factor: Tensor) -> Tensor:
    return factor.reshape(-1, 1, 1, 1)


def _luma_floor(x: Tensor) -> Tensor:
    """torchvision's float luma of uint8 frames, floored: ``[N, 1, H, W]``."""
    r, g, b = x.unbind(dim=-3)
    return r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114).floor_() \
        .unsqueeze_(-3)


def _blend(x: Tensor, other: Tensor, factor: Tensor) -> Tensor:
    """``x * f + other * (1 - f)``, clamped and truncated (torchvision's
    ``_blend`` on uint8); ``other`` is ``[N, 1, H, W]`` or ``[N, 1, 1, 1]``.
    """
    f = _per_frame(factor)
    return torch.addcmul(other.mul_(1.0 - f), x, f).clamp_(0, 255).floor_()


def adjust_brightness(x: Tensor, factor: Tensor) -> Tensor:
    """``x * factor``, as ``adjust_brightness`` on uint8 frames."""
    return x.mul(_per_frame(factor)).clamp_(0, 255).floor_()


def adjust_contrast(x: Tensor, factor: Tensor) -> Tensor:
    """Blend with each frame's mean (floored) luma, as
    ``adjust_contrast`` on uint8 frames."""
    mean = _luma_floor(x).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(x, mean, factor)


def adjust_saturation(x: Tensor, factor: Tensor) -> Tensor:
    """Blend with the (floored) luma image, as ``adjust_saturation`` on
    uint8 frames."""
    return _blend(x, _luma_floor(x), factor)


_SEXTANT_OFFSETS = (5.0, 3.0, 1.0)  # R, G, B in the closed form below


def adjust_hue(x: Tensor, shift: Tensor) -> Tensor:
    """Rotate the HSV hue by ``shift`` (in turns, within [-0.5, 0.5]).

    Same result as ``adjust_hue`` on uint8 frames (RGB -> HSV, shift,
    HSV -> RGB, scaled back by 255.999 and truncated), computed without
    building the HSV image: value ``v`` and chroma ``c`` are kept, and each
    output channel is ``v - c * clamp(min(k, 4 - k), 0, 1)`` with
    ``k = (n + 6 h') mod 6``, ``n = 5, 3, 1`` for R, G, B (the closed form
    of HSV -> RGB). Fewer, cheaper passes than torchvision's HSV round trip.
    """
    r, g, b = x.unbind(dim=-3)
    # only fast elementwise kernels: on the CPU aminmax over the channel
    # axis, where(), remainder() and compares are 10-50x slower
    mx = torch.maximum(torch.maximum(r, g), b)
    mn = torch.minimum(torch.minimum(r, g), b)
    c = mx - mn
    # values are integers: a grey pixel (c = 0) has a zero numerator too
    safe = c.clamp(min=1.0)
    # hue in sextants [0, 6) as torchvision's _rgb_to_hsv (grey: 0): the
    # max channel picks the numerator and the sextant offset
    # (mx == r) as 1.0/0.0 from integer values, without the slow compare
    is_r = 1.0 - (mx - r).clamp_(max=1.0)
    is_g = (1.0 - (mx - g).clamp_(max=1.0)).mul_(1.0 - is_r)
    is_b = 1.0 - is_r - is_g
    h6 = (g - b).mul_(is_r)
    h6.addcmul_(b - r + 2.0 * c, is_g).addcmul_(r - g + 4.0 * c, is_b)
    h6.div_(safe)
    h6.add_(_per_frame(shift).squeeze(1), alpha=6.0)
    # k = (n + h6) mod 6 with h6 in (-3, 9) and n in {1, 3, 5}: k in (-2, 14)
    k = h6.unsqueeze(-3).add(
        torch.tensor(_SEXTANT_OFFSETS, dtype=x.dtype,
                     device=x.device).view(1, 3, 1, 1))
    k.sub_(torch.floor(k.mul(1.0 / 6.0)), alpha=6.0)
    w = torch.minimum(k, 4.0 - k).clamp_(0.0, 1.0)
    out = torch.addcmul(mx.unsqueeze(-3), w, c.unsqueeze(-3), value=-1.0)
    # torchvision's float -> uint8: x * (255 + 1 - 1e-3), truncated; out
    # lies in [0, v] so no clamp is needed
    return out.mul_(255.999 / 255.0).floor_()


def rgb_to_grayscale_pil(x: Tensor) -> Tensor:
    """PIL's ``convert('L')`` (ITU-R 601-2, integer arithmetic, rounded),
    repeated on three channels: exactly what the CPU pipeline's
    ``ViFiGrayScale`` computes. Exact in float32 (sums stay below 2**24).
    """
    r, g, b = x.unbind(dim=-3)
    luma = r.mul(19595.0).add_(g, alpha=38470.0).add_(b, alpha=7471.0) \
        .add_(32768.0).div_(65536.0).floor_()
    return luma.unsqueeze(-3).expand_as(x).contiguous()


#: Jitter operations by id, in torchvision's order (as ``ViFiColorJitter``).
JITTER_OPS = (adjust_brightness, adjust_contrast, adjust_saturation,
              adjust_hue)
_IDENTITY = (1.0, 1.0, 1.0, 0.0)


def jitter_frames(x: Tensor,
                  order: Tensor,
                  factors: Tensor,
                  chunk: Optional[int] = None) -> Tensor:
    """Colour-jitter every frame with its own operation order and factors.

    Frames that share an operation order (there are 24) are jittered
    together, each operation with a factor per frame.

    Args:
        x (Tensor): ``[N, 3, H, W]`` float frames with integer values in
            ``[0, 255]``. Modified in place and returned.
        order (Tensor): ``[N, 4]`` operation ids (see :data:`JITTER_OPS`)
            in application order.
        factors (Tensor): ``[N, 4]`` factor of each operation; an identity
            factor (1, 1, 1, 0) leaves the frame out of that operation.
        chunk (int, optional): at most this many frames per group (keeps
            the working set small on the CPU); None: no limit.

    Returns:
        Tensor: ``x``, jittered.
    """
    if order.shape != factors.shape or order.shape != (x.shape[0], 4):
        raise ValueError(f'jitter_frames: order {tuple(order.shape)} and '
                         f'factors {tuple(factors.shape)} must both be '
                         f'[{x.shape[0]}, 4]')
    # the schedule is decided on the host: no device syncs per operation
    groups = {}
    for i, (ops, facs) in enumerate(zip(order.tolist(), factors.tolist())):
        steps = tuple(op for op in ops if facs[op] != _IDENTITY[op])
        if steps:
            groups.setdefault(steps, []).append(i)
    factors = factors.to(device=x.device, dtype=x.dtype)
    for steps, members in groups.items():
        size = len(members) if chunk is None else chunk
        for start in range(0, len(members), size):
            ids = members[start:start + size]
            lo, hi = ids[0], ids[-1] + 1
            if hi - lo == len(ids):  # a run of frames: a view, no copies
                frames, fac = x[lo:hi], factors[lo:hi]
            else:
                index = torch.tensor(ids, device=x.device)
                frames, fac = x.index_select(0, index), factors[index]
            for op_id in steps:
                frames = JITTER_OPS[op_id](frames, fac[:, op_id])
            if hi - lo == len(ids):
                x[lo:hi] = frames
            else:
                x.index_copy_(0, index, frames)
    return x
