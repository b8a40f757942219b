"""Clips through an image encoder, one frame at a time."""
from typing import Callable

from torch import Tensor

__all__ = ['encode_per_frame']


def encode_per_frame(encode: Callable[[Tensor], Tensor], x: Tensor,
                     name: str) -> Tensor:
    """Apply an image encoder to every frame of a batch of clips.

    Args:
        encode (callable): images ``[N, C, H, W]`` -> features ``[N, *F]``.
        x (torch.Tensor): ``[N, C, T, H, W]`` clips (NCTHW, as mmaction's
            Recognizer3D passes them) or ``[N, C, H, W]`` images.
        name (str): the backbone, named in the error for other inputs.

    Returns:
        torch.Tensor: ``[N, T, *F]`` per-frame features for clips,
        ``[N, *F]`` for images.
    """
    if x.dim() == 4:
        return encode(x)
    if x.dim() != 5:
        raise ValueError(f'{name} expects [N, C, T, H, W] or [N, C, H, W] '
                         f'input, got {tuple(x.shape)}')
    n, c, t, h, w = x.shape
    feats = encode(x.transpose(1, 2).reshape(n * t, c, h, w))  # [N*T, *F]
    return feats.reshape((n, t) + feats.shape[1:])  # [N, T, *F]
