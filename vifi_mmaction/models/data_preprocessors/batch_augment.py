"""``ActionDataPreprocessor`` that applies the deferred clip augmentation.

Samples from a pipeline ending in ``ViFiDeferredAugment`` arrive as uint8
crops of varying size with their drawn parameters in the metainfo
(``vifi_aug``). This preprocessor resizes, flips, colour-jitters and
grayscales them on the training device, in the official order, then hands
the batch to ``ActionDataPreprocessor`` for normalisation and
Mixup/CutMix. Samples without parameters (test pipelines, the CPU
augmentation pipeline) pass through unchanged, so one model config serves
both pipelines.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as NF
import torchvision.transforms.v2.functional as F
from mmaction.models import ActionDataPreprocessor
from mmaction.registry import MODELS
from torch import Tensor

from ...structures.augment_keys import AUG_KEY
from .batch_ops import jitter_frames, rgb_to_grayscale_pil

__all__ = [
    'ViFiBatchAugPreprocessor', 'apply_deferred_augment', 'one_hot_labels'
]


def _frames(clip: Tensor, format_shape: str) -> Tuple[Tensor, tuple]:
    """``[V, 3, T, h, w]`` (NCTHW) or ``[N, 3, h, w]`` -> ``[F, 3, h, w]``."""
    if format_shape == 'NCTHW':
        v, c, t, h, w = clip.shape
        return clip.permute(0, 2, 1, 3, 4).reshape(v * t, c, h, w), (v, t)
    return clip, None


def _clip(frames: Tensor, shape: Optional[tuple]) -> Tensor:
    if shape is None:
        return frames
    v, t = shape
    return frames.reshape(v, t, *frames.shape[1:]).permute(0, 2, 1, 3, 4)


def apply_deferred_augment(clips: List[Tensor],
                           params: List[Dict],
                           format_shape: str = 'NCTHW',
                           chunk: Optional[int] = None) -> List[Tensor]:
    """Resize, flip, jitter and grayscale each clip with its drawn params.

    Args:
        clips (list[Tensor]): uint8 clips, ``[V, 3, T, h, w]`` for
            ``NCTHW`` (``h, w`` may differ between clips).
        params (list[dict]): ``ViFiDeferredAugment`` draws, one per clip.
        format_shape (str): ``'NCTHW'`` or ``'NCHW'``.
        chunk (int, optional): frames jittered together (see
            :func:`jitter_frames`); None: the whole batch at once.

    Returns:
        list[Tensor]: float32 clips ``[V, 3, T, H, W]`` with integer values
        in ``[0, 255]`` (not normalised).
    """
    frames, shapes, counts = [], [], []
    for clip, p in zip(clips, params):
        if clip.dtype != torch.uint8:
            raise TypeError(f'deferred augmentation expects uint8 clips, got '
                            f'{clip.dtype}; keep the pipeline uint8 up to '
                            f'PackActionInputs')
        f, shape = _frames(clip, format_shape)
        if tuple(f.shape[-2:]) != tuple(p['size']):
            # as mmcv's Resize(keep_ratio=False): bilinear, no antialias
            f = F.resize(f, list(p['size']), antialias=False)
        if p['flip']:
            f = f.flip(-1)
        frames.append(f)
        shapes.append(shape)
        counts.append(f.shape[0])
    # planes contiguous for the photometric kernels (the worker's frames
    # arrive channels-last, which suits the uint8 resize)
    x = torch.cat(frames).to(
        torch.float32, memory_format=torch.contiguous_format)
    order = torch.cat([torch.as_tensor(p['order']) for p in params])
    factors = torch.cat([torch.as_tensor(p['factors']) for p in params])
    if order.shape != (x.shape[0], 4) or factors.shape != order.shape:
        raise ValueError(f'vifi_aug parameters cover {order.shape[0]} frames '
                         f'but the clips have {x.shape[0]}')
    x = jitter_frames(x, order, factors, chunk)
    start = 0
    for n, p in zip(counts, params):
        # decided on the host; a clip's frames are a run: a view, no mask
        # (a boolean mask on the device would read it back: a sync)
        if p['gray']:
            x[start:start + n] = rgb_to_grayscale_pil(x[start:start + n])
        start += n
    return [_clip(f, s) for f, s in zip(x.split(counts), shapes)]


@MODELS.register_module()
class ViFiBatchAugPreprocessor(ActionDataPreprocessor):
    """Apply ``ViFiDeferredAugment``'s draws to the batch, then normalise.

    Accepts ``ActionDataPreprocessor``'s arguments, plus:

    Args:
        cpu_chunk (int): on the CPU, frames jittered together; 1 (default,
            measured fastest) keeps one frame in the cache. On other devices
            the whole batch is processed at once.
        **kwargs: ``mean``, ``std``, ``to_rgb``, ``blending``,
            ``format_shape`` and so on, as ``ActionDataPreprocessor``.
    """

    def __init__(self, cpu_chunk: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(cpu_chunk, int) or cpu_chunk < 1:
            raise ValueError(f'ViFiBatchAugPreprocessor: cpu_chunk must be a '
                             f'positive int, got {cpu_chunk!r}')
        self.cpu_chunk = cpu_chunk

    def augment(self, inputs: List[Tensor], data_samples) -> List[Tensor]:
        """The deferred augmentation of a batch (no normalisation)."""
        params = [s.metainfo.get(AUG_KEY) for s in data_samples]
        if all(p is None for p in params):
            return inputs
        if any(p is None for p in params):
            raise ValueError(f'a batch mixes samples with and without '
                             f'{AUG_KEY!r} parameters (ViFiDeferredAugment)')
        device = inputs[0].device.type
        chunk = self.cpu_chunk if device == 'cpu' else None
        # mmengine runs the preprocessor inside the AMP context; keep the
        # integer-exact float32 arithmetic out of it (today's ops are not
        # autocast anyway; a matmul-based luma would be)
        with torch.no_grad(), torch.autocast(device, enabled=False):
            return apply_deferred_augment(inputs, params, self.format_shape,
                                          chunk)

    def preprocess(self,
                   inputs: List[Tensor],
                   data_samples,
                   training: bool = False) -> Tuple:
        # The parameters belong to the samples: apply them whatever the
        # mode, so a sample always looks the same for one seed.
        if isinstance(inputs, (list, tuple)) and data_samples is not None:
            inputs = self.augment(list(inputs), data_samples)
        if training and self.blending is not None and data_samples:
            one_hot_labels(data_samples, self.blending.num_classes)
        return super().preprocess(inputs, data_samples, training)


def one_hot_labels(data_samples, num_classes: Optional[int]) -> None:
    """Replace hard ``gt_label`` s by one-hot rows, built on their device.

    mmaction's Mixup/CutMix turn hard labels into one-hot rows through
    ``torch.tensor(list_of_labels)``, which reads every label back to the
    host: one device sync per sample and iteration. Given one-hot rows
    (``[K]`` each, int64) they take their other branch (``torch.stack``),
    with the same values. Soft labels, and a single class, are left alone.

    Args:
        data_samples (list[ActionDataSample]): the batch; changed in place.
        num_classes (int, optional): ``K``, the blending's class count.
    """
    labels = [s.gt_label for s in data_samples]
    if not num_classes or num_classes < 2 or any(
            t.numel() != 1 or t.is_floating_point() for t in labels):
        return
    rows = NF.one_hot(torch.cat(labels).long(), num_classes)  # [B, K]
    for sample, row in zip(data_samples, rows):
        sample.set_gt_label(row)
