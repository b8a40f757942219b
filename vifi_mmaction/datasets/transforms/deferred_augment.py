"""Draw the official clip augmentation in the worker, apply it in the batch.

The official training pipeline ends with a resize to the input size,
``Flip(0.5)``, colour jitter (p=0.8, per-frame factors) and grayscale
(p=0.2). On small sources PIL's per-frame jitter is about half of a
worker's time. :class:`ViFiDeferredAugment` takes their place in the
worker: it draws every random choice they would make, in the same order
from the same generator (``numpy.random``, seeded per sample by
``ViFiVideoDataset.set_sample_seed``), stores the draws in the sample, and
leaves the pixels alone. ``ViFiBatchAugPreprocessor`` then resizes, flips,
jitters and converts to grayscale the whole batch on the training device.

Because the draws are the same, a seed gives the same augmentation choices
with either pipeline, and they remain a deterministic function of the
per-sample seed, so exact resume is unaffected.
"""
from typing import Dict, Sequence, Tuple, Union

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ...structures.augment_keys import AUG_KEY, IDENTITY_FACTORS
from .augment import JITTER_OP_NAMES, ViFiColorJitter, check_probability

__all__ = ['ViFiDeferredAugment', 'AUG_KEY', 'IDENTITY_FACTORS']


@TRANSFORMS.register_module()
class ViFiDeferredAugment(BaseTransform):
    """Draw resize, flip, colour jitter and grayscale; apply nothing.

    Replaces, at the end of a training pipeline (before ``FormatShape``)::

        Resize(scale=size, keep_ratio=False), Flip(flip_ratio),
        ViFiColorJitter(jitter_p, brightness, contrast, saturation, hue,
                        per_frame_params), ViFiGrayScale(gray_p)

    and makes the same ``numpy.random`` draws in the same order: flip
    decision, jitter decision, per-frame (or per-clip) operation order and
    factors, grayscale decision. The frames stay uint8 at their crop size.

    Added keys: ``vifi_aug`` (:data:`AUG_KEY`), a dict with ``size``
    ``(h, w)``, ``flip`` (bool), ``order`` (int64 ``[T, 4]``: the jitter
    operations of each frame in application order, ids in
    brightness/contrast/saturation/hue order), ``factors`` (float32
    ``[T, 4]``: each frame's factor per operation, the identity where the
    clip is not jittered or an operation's range is empty) and ``gray``
    (bool). Put ``'vifi_aug'`` in ``PackActionInputs(meta_keys=...)`` so it
    reaches the data preprocessor.

    Args:
        size (int | tuple[int, int]): output ``(h, w)``, or one int for a
            square. Defaults to 224.
        flip_ratio (float): horizontal flip probability. Defaults to 0.5.
        jitter_p (float): probability of jittering a clip. Defaults to 0.8.
        brightness, contrast, saturation, hue: as in ``ViFiColorJitter``
            (defaults: the official 0.4, 0.4, 0.2, 0.1).
        per_frame_params (bool): per-frame jitter draws (the official
            behaviour, default) or one draw per clip.
        gray_p (float): grayscale probability. Defaults to 0.2.
    """

    def __init__(self,
                 size: Union[int, Tuple[int, int]] = 224,
                 flip_ratio: float = 0.5,
                 jitter_p: float = 0.8,
                 brightness: Union[float, Sequence[float]] = 0.4,
                 contrast: Union[float, Sequence[float]] = 0.4,
                 saturation: Union[float, Sequence[float]] = 0.2,
                 hue: Union[float, Sequence[float]] = 0.1,
                 per_frame_params: bool = True,
                 gray_p: float = 0.2) -> None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or not all(
                isinstance(s, int) and s > 0 for s in size):
            raise ValueError(f'ViFiDeferredAugment: size must be a positive '
                             f'int or (h, w), got {size!r}')
        self.size = size
        self.flip_ratio = check_probability(flip_ratio)
        # the jitter's ranges, checks and draws, without its pixel work
        self.jitter = ViFiColorJitter(jitter_p, brightness, contrast,
                                      saturation, hue, per_frame_params)
        self.gray_p = check_probability(gray_p)

    def _jitter_draw(self) -> Tuple[np.ndarray, np.ndarray]:
        """One jitter draw as (order ids ``[4]``, factors ``[4]``)."""
        order, factors = self.jitter.get_params()
        ids = np.array([JITTER_OP_NAMES.index(name) for name in order],
                       np.int64)
        values = np.array([
            factors.get(name, IDENTITY_FACTORS[i])
            for i, name in enumerate(JITTER_OP_NAMES)
        ], np.float32)
        return ids, values

    def draw(self, num_frames: int) -> Dict:
        """The parameters of one clip of ``num_frames`` frames.

        Draw order (``numpy.random``): flip, jitter decision, jitter
        parameters (frame by frame), grayscale decision, as the transforms
        it replaces.
        """
        flip = bool(np.random.rand() < self.flip_ratio)
        order = np.tile(np.arange(4, dtype=np.int64), (num_frames, 1))
        factors = np.tile(
            np.array(IDENTITY_FACTORS, np.float32), (num_frames, 1))
        if np.random.rand() < self.jitter.p:
            if self.jitter.per_frame_params:
                draws = [self._jitter_draw() for _ in range(num_frames)]
            else:
                draws = [self._jitter_draw()] * num_frames
            order = np.stack([d[0] for d in draws])
            factors = np.stack([d[1] for d in draws])
        gray = bool(np.random.rand() < self.gray_p)
        return dict(
            size=self.size, flip=flip, order=order, factors=factors, gray=gray)

    def transform(self, results: Dict) -> Dict:
        frames = results['imgs']
        if len(frames) == 0:
            raise ValueError('ViFiDeferredAugment: the clip has no frames')
        results[AUG_KEY] = self.draw(len(frames))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, '
                f'flip_ratio={self.flip_ratio}, jitter={self.jitter!r}, '
                f'gray_p={self.gray_p})')
