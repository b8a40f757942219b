"""Decode the sampled frames in one forward pass through the stream.

For 32 frames spread over a 300-frame clip, decord's ``get_batch`` (one
thread) took about 3x as long as one sequential pass with OpenCV's FFmpeg
reader on this project's CPU (docs/benchmarks.md).
:class:`ViFiSequentialDecode` reads the stream once, front to back:
``grab()`` decodes a frame without converting it, and only the sampled
frames are converted (``retrieve()``).
On the MPEG-4 test videos the frames are bit-identical to
``ViFiDecordDecode``'s (tests/datasets/transforms/test_sequential_decode.py).
"""
from typing import Dict, List

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from ...video import read_frames_sequentially

__all__ = ['ViFiSequentialDecode']


@TRANSFORMS.register_module()
class ViFiSequentialDecode(BaseTransform):
    """Decode ``frame_inds`` of a local video file in one sequential pass.

    Use it in place of ``ViFiDecordDecode`` after ``ViFiDecordInit``, which
    still counts the frames (so the sampler draws the same indices). Indices
    may repeat or come in any order (short clips loop); each distinct frame
    is decoded once.

    Required keys: ``filename``, ``frame_inds``. Added or modified keys:
    ``imgs`` (list of RGB uint8 ``[H, W, 3]``), ``original_shape``,
    ``img_shape``, ``video_reader`` (set to None).

    Args:
        num_threads (int): FFmpeg decoding threads. Defaults to 1, as
            ``DecordInit``: one DataLoader worker, one core.

    Raises:
        VideoReadError: the file cannot be opened, or the stream ends before
            the last sampled frame.
    """

    def __init__(self, num_threads: int = 1) -> None:
        if not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f'ViFiSequentialDecode: num_threads must be a '
                             f'positive int, got {num_threads!r}')
        self.num_threads = num_threads

    def transform(self, results: Dict) -> Dict:
        inds = np.asarray(results['frame_inds']).reshape(-1).astype(np.int64)
        if inds.size == 0 or inds.min() < 0:
            raise ValueError(f'ViFiSequentialDecode: frame_inds must be '
                             f'non-empty and non-negative, got {inds}')
        filename = results['filename']
        frames = read_frames_sequentially(filename, np.unique(inds),
                                          self.num_threads)
        imgs: List[np.ndarray] = []
        used = set()
        for i in inds.tolist():
            # a repeated index gets its own array: later steps may work in
            # place (mmcv's imflip_)
            imgs.append(frames[i].copy() if i in used else frames[i])
            used.add(i)
        results['video_reader'] = None  # as DecordDecode: free the reader
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_threads={self.num_threads})'
