"""TSN-style frame sampling grouped into ``[V, C, T, H, W]`` clips."""
from typing import Dict

import numpy as np
from mmaction.datasets.transforms import SampleFrames
from mmaction.registry import TRANSFORMS

__all__ = ['ViFiSampleFrames']


@TRANSFORMS.register_module()
class ViFiSampleFrames(SampleFrames):
    """Sample ``num_frames`` frames per view, one from each equal segment.

    The frame indices of a single view are exactly those of the official
    ViFi-CLIP pipeline (mmaction ``SampleFrames`` with ``clip_len=1,
    num_clips=T``): a random frame per segment in training, the segment
    centre in testing. The frames are then labelled as one clip of length
    ``T`` (and ``num_views`` clips), so ``FormatShape('NCTHW')`` yields
    ``[V, C, T, H, W]``.

    A video with fewer than ``T`` frames is sampled as the official run
    does, in training too: the ``T`` indices are
    ``round(arange(T) * total / T)`` (no random draw), wrapped modulo
    ``total``, so its frames repeat in order.

    With ``num_views > 1`` in test mode, view ``k`` takes the frame at
    fraction ``(k + 0.5) / V`` of every segment, so views are distinct and
    deterministic. (The official multi-view test draws views with the
    random training sampler instead, which is not reproducible.)

    Args:
        num_frames (int): frames per view, ``T``.
        num_views (int): temporal views (clips) per video. Defaults to 1.
        test_mode (bool): deterministic test-time sampling.
        out_of_bound_opt (str): as in ``SampleFrames``.
    """

    def __init__(self,
                 num_frames: int,
                 num_views: int = 1,
                 test_mode: bool = False,
                 out_of_bound_opt: str = 'loop'):
        super().__init__(
            clip_len=1,
            frame_interval=1,
            num_clips=num_frames,
            test_mode=test_mode,
            out_of_bound_opt=out_of_bound_opt)
        if num_frames < 1 or num_views < 1:
            raise ValueError('num_frames and num_views must be positive')
        self.num_frames = num_frames
        self.num_views = num_views

    def _test_view(self, total: int, k: int) -> np.ndarray:
        seg = total / float(self.num_frames)
        return (np.arange(self.num_frames) * seg + seg *
                (k + 0.5) / self.num_views).astype(np.int64)

    def transform(self, results: Dict) -> Dict:
        total = results['total_frames']
        if self.test_mode and self.num_views > 1:
            inds = np.concatenate(
                [self._test_view(total, k) for k in range(self.num_views)])
            inds = np.mod(inds, total) + results['start_index']
        else:
            views = [
                super(ViFiSampleFrames,
                      self).transform(dict(results))['frame_inds']
                for _ in range(self.num_views)
            ]
            inds = np.concatenate(views)
        results['frame_inds'] = inds.astype(np.int64)
        results['clip_len'] = self.num_frames
        results['frame_interval'] = 1
        results['num_clips'] = self.num_views
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'num_views={self.num_views}, test_mode={self.test_mode})')
