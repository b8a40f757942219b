"""Decord loading that turns any read failure into one clear error type.

mmaction's ``DecordInit``/``DecordDecode`` surface a missing file as
``FileNotFoundError`` from the file client and a corrupt one as a bare
``RuntimeError`` or ``DECORDError`` from decord. These transforms raise
:class:`~vifi_mmaction.video.VideoReadError` instead (file, reason, kind);
the decoding itself is :mod:`vifi_mmaction.video`'s.
"""
import os.path as osp
from typing import Dict, Optional

from mmaction.datasets.transforms import DecordDecode, DecordInit
from mmaction.registry import TRANSFORMS
from mmengine import fileio

from ...video import (FAULT_KINDS, READ_ERRORS, VideoReadError,
                      check_video_file, diagnose_video_file, open_decord)

__all__ = [
    'VideoReadError', 'ViFiDecordInit', 'ViFiDecordDecode', 'FAULT_KINDS',
    'diagnose_video_file'
]


@TRANSFORMS.register_module()
class ViFiDecordInit(DecordInit):
    """``DecordInit`` raising :class:`VideoReadError` for unreadable files.

    Args:
        short_side (int, optional): decode at reduced resolution: the decoder
            scales every frame so that its short side is ``short_side``
            pixels (videos that are not larger are decoded as they are).
            Frames come out of the decoder at the size the following
            ``Resize(scale=(-1, short_side))`` would give them, so full-size
            frames are never converted, copied or resized. The decoder's
            scaler interpolates differently from OpenCV's, so pixels differ
            slightly from full-size decoding + ``Resize``; None (default)
            decodes at full size, as the official pipeline does.
        **kwargs: ``DecordInit`` arguments (``io_backend``, ``num_threads``,
            file-client arguments).
    """

    def __init__(self, short_side: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        if short_side is not None and (not isinstance(short_side, int)
                                       or short_side < 1):
            raise ValueError(f'ViFiDecordInit: short_side must be a positive '
                             f'int or None, got {short_side!r}')
        self.short_side = short_side

    def _get_video_reader(self, filename: str):
        # DecordInit's own reader goes through mmengine's deprecated
        # FileClient, which logs two deprecation warnings per process; the
        # same bytes come from mmengine.fileio.get
        if osp.splitext(filename)[0] == filename:  # as DecordInit does
            filename = filename + '.mp4'
        backend_args = None if self.io_backend == 'disk' else dict(
            backend=self.io_backend, **self.kwargs)
        data = fileio.get(filename, backend_args=backend_args)
        return open_decord(data, self.short_side, self.num_threads)

    def transform(self, results: Dict) -> Dict:
        filename = results['filename']
        if self.io_backend == 'disk' and osp.lexists(filename):
            check_video_file(filename)  # a FIFO would block the reader
        try:
            results = super().transform(results)
        except READ_ERRORS as e:
            kind = diagnose_video_file(filename)
            reason = ('file not found' if isinstance(e, FileNotFoundError)
                      or kind == 'missing' else f'{type(e).__name__}: {e}')
            raise VideoReadError(filename, reason, kind) from e
        if results['total_frames'] == 0:
            raise VideoReadError(filename, 'video has no frames', 'no_frames')
        return results


@TRANSFORMS.register_module()
class ViFiDecordDecode(DecordDecode):
    """``DecordDecode`` raising :class:`VideoReadError` for broken streams.

    A video with fewer frames than one view samples is not a fault: the
    sampler has already looped its frame indices, as the official
    ``SampleFrames`` does (see :class:`ViFiSampleFrames`).
    """

    def transform(self, results: Dict) -> Dict:
        filename = results.get('filename', '<unknown>')
        try:
            return super().transform(results)
        except READ_ERRORS as e:
            kind = diagnose_video_file(filename)
            kind = kind if kind in ('missing', 'truncated', 'unreadable') \
                else 'decode_error'
            raise VideoReadError(filename, f'{type(e).__name__}: {e}',
                                 kind) from e
