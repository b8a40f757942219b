"""Clip-level colour augmentations of the official ViFi-CLIP training recipe.

The official pipeline follows ``Flip`` with a colour jitter (probability 0.8)
and a grayscale conversion (probability 0.2). Each is decided once per clip,
so a clip is either jittered or not as a whole. The photometric operations
are torchvision's PIL functions (``adjust_brightness``, ``adjust_contrast``,
``adjust_saturation``, ``adjust_hue`` and PIL's ``convert('L')``), applied
in a random order, as ``torchvision.transforms.ColorJitter`` does.

As in the official code, the decision to jitter is taken once per clip, but
every frame of a jittered clip gets its own factors and its own order (the
official transform calls ``torchvision.transforms.ColorJitter`` frame by
frame); this is the default, ``per_frame_params=True``.
``per_frame_params=False`` draws one set per clip and shares it across
frames, which keeps the clip temporally consistent.

Random draws use ``numpy.random``, like mmaction's own transforms, so they
follow the seeds that mmengine sets per worker.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torchvision.transforms.functional as TF
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from PIL import Image

__all__ = [
    'ViFiColorJitter', 'ViFiGrayScale', 'JITTER_OP_NAMES', 'check_probability'
]

Frames = Union[List[np.ndarray], np.ndarray]

#: The jitter operations in torchvision's order; an operation's id is its
#: index here (``ViFiDeferredAugment`` stores ids, the batch preprocessor's
#: ``JITTER_OPS`` applies them in this order).
JITTER_OP_NAMES = ('brightness', 'contrast', 'saturation', 'hue')


def check_probability(p: float) -> float:
    """``p`` as a float, checked to lie in ``[0, 1]``.

    Raises:
        ValueError: naming the value.
    """
    if not 0. <= float(p) <= 1.:
        raise ValueError(f'p must be in [0, 1], got {p}')
    return float(p)


def _check_frames(frames: Frames, name: str) -> None:
    for frame in frames:
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[-1] != 3:
            raise TypeError(
                f'{name} expects RGB uint8 frames of shape (H, W, 3), got '
                f'{frame.dtype} {tuple(frame.shape)}; put it before any '
                f'Normalize/FormatShape step')


def _same_container(frames: Frames, out: List[np.ndarray]) -> Frames:
    return np.stack(out) if isinstance(frames, np.ndarray) else out


def _factor_range(value: Union[float, Sequence[float]], name: str,
                  centre: float, bound: Optional[float]) -> Optional[Tuple]:
    """``value`` as a ``(low, high)`` range, or None for "no change"."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f'{name} must be non-negative, got {value}')
        low, high = centre - value, centre + value
        if centre == 1.:
            low = max(low, 0.)
    else:
        low, high = (float(v) for v in value)
    if bound is not None and not -bound <= low <= high <= bound:
        raise ValueError(f'{name} range must lie in [-{bound}, {bound}], '
                         f'got ({low}, {high})')
    if low > high or low < 0 and centre == 1.:
        raise ValueError(f'invalid {name} range ({low}, {high})')
    if low == high == centre:
        return None
    return (low, high)


@TRANSFORMS.register_module()
class ViFiColorJitter(BaseTransform):
    """Colour jitter of a whole clip with probability ``p``.

    With probability ``p`` the clip is jittered: brightness, contrast and
    saturation are scaled by factors drawn uniformly from ``[1 - x, 1 + x]``
    and the hue is shifted by a value drawn from ``[-hue, hue]``; the four
    operations run in a random order. The official values are the defaults:
    ``p=0.8, brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1``.

    Required keys: ``imgs`` (RGB uint8 frames, a list or an array
    ``[N, H, W, 3]``). Modified keys: ``imgs`` (same container, shape and
    dtype).

    Args:
        p (float): probability of jittering a clip. Defaults to 0.8.
        brightness (float | tuple): factor range half-width, or (min, max).
        contrast (float | tuple): factor range half-width, or (min, max).
        saturation (float | tuple): factor range half-width, or (min, max).
        hue (float | tuple): shift range half-width, or (min, max), within
            [-0.5, 0.5].
        per_frame_params (bool): draw factors and order for every frame
            independently, as the official code does (default). False: one
            draw per clip, shared by all frames.
    """

    def __init__(self,
                 p: float = 0.8,
                 brightness: Union[float, Sequence[float]] = 0.4,
                 contrast: Union[float, Sequence[float]] = 0.4,
                 saturation: Union[float, Sequence[float]] = 0.2,
                 hue: Union[float, Sequence[float]] = 0.1,
                 per_frame_params: bool = True) -> None:
        self.p = check_probability(p)
        self.ranges = dict(
            brightness=_factor_range(brightness, 'brightness', 1., None),
            contrast=_factor_range(contrast, 'contrast', 1., None),
            saturation=_factor_range(saturation, 'saturation', 1., None),
            hue=_factor_range(hue, 'hue', 0., 0.5))
        self.per_frame_params = per_frame_params

    def get_params(self) -> Tuple[List[str], Dict[str, float]]:
        """Draw an operation order and the factors of one jitter.

        Returns:
            tuple: the operation names in application order, and a dict of
            factors (operations with an empty range are left out).
        """
        order = [
            JITTER_OP_NAMES[i]
            for i in np.random.permutation(len(JITTER_OP_NAMES))
        ]
        factors = {}
        for name in JITTER_OP_NAMES:
            rng = self.ranges[name]
            if rng is not None:
                factors[name] = float(np.random.uniform(rng[0], rng[1]))
        return order, factors

    @staticmethod
    def apply(frame: np.ndarray, order: Sequence[str],
              factors: Dict[str, float]) -> np.ndarray:
        """Jitter one RGB uint8 frame with the given order and factors."""
        img = Image.fromarray(np.ascontiguousarray(frame))
        for name in order:
            if name not in factors:
                continue
            img = getattr(TF, f'adjust_{name}')(img, factors[name])
        return np.asarray(img)

    def transform(self, results: Dict) -> Dict:
        frames = results['imgs']
        _check_frames(frames, type(self).__name__)
        if np.random.rand() >= self.p:
            return results
        if self.per_frame_params:
            out = [self.apply(f, *self.get_params()) for f in frames]
        else:
            order, factors = self.get_params()
            out = [self.apply(f, order, factors) for f in frames]
        results['imgs'] = _same_container(frames, out)
        return results

    def __repr__(self) -> str:
        ranges = ', '.join(f'{k}={v}' for k, v in self.ranges.items())
        return (f'{type(self).__name__}(p={self.p}, {ranges}, '
                f'per_frame_params={self.per_frame_params})')


@TRANSFORMS.register_module()
class ViFiGrayScale(BaseTransform):
    """Convert a whole clip to grayscale with probability ``p``.

    The luma is PIL's ``convert('L')`` (ITU-R 601-2:
    ``0.299 R + 0.587 G + 0.114 B``), what torchvision's ``Grayscale`` uses
    for PIL images, repeated on the three channels so the shape is kept.

    Required keys: ``imgs`` (RGB uint8 frames). Modified keys: ``imgs``.

    Args:
        p (float): probability of converting a clip. Defaults to 0.2, the
            official value.
    """

    def __init__(self, p: float = 0.2) -> None:
        self.p = check_probability(p)

    @staticmethod
    def apply(frame: np.ndarray) -> np.ndarray:
        luma = np.asarray(
            Image.fromarray(np.ascontiguousarray(frame)).convert('L'))
        return np.repeat(luma[..., None], 3, axis=-1)

    def transform(self, results: Dict) -> Dict:
        frames = results['imgs']
        _check_frames(frames, type(self).__name__)
        if np.random.rand() >= self.p:
            return results
        results['imgs'] = _same_container(frames,
                                          [self.apply(f) for f in frames])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(p={self.p})'
