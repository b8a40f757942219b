"""Decord loading that turns any read failure into one clear error type.

mmaction's ``DecordInit``/``DecordDecode`` surface a missing file as
``FileNotFoundError`` from the file client and a corrupt one as a bare
``RuntimeError`` or ``DECORDError`` from decord. :class:`VideoReadError`
names the file and the reason, so datasets can skip exactly these failures
during training and report them during testing.
"""
from typing import Dict

from decord._ffi.base import DECORDError
from mmaction.datasets.transforms import DecordDecode, DecordInit
from mmaction.registry import TRANSFORMS

__all__ = ['VideoReadError', 'ViFiDecordInit', 'ViFiDecordDecode']

# What decord and the file client raise for unreadable input.
_READ_ERRORS = (OSError, RuntimeError, DECORDError)


class VideoReadError(RuntimeError):
    """A video could not be opened or decoded."""

    def __init__(self, filename: str, reason: str):
        self.filename = filename
        self.reason = reason.strip().splitlines()[0] if reason.strip() else ''
        super().__init__(f'cannot read video {filename!r}: {self.reason}')


@TRANSFORMS.register_module()
class ViFiDecordInit(DecordInit):
    """``DecordInit`` raising :class:`VideoReadError` for unreadable files."""

    def transform(self, results: Dict) -> Dict:
        filename = results['filename']
        try:
            results = super().transform(results)
        except _READ_ERRORS as e:
            reason = (f'file not found' if isinstance(e, FileNotFoundError)
                      else f'{type(e).__name__}: {e}')
            raise VideoReadError(filename, reason) from e
        if results['total_frames'] == 0:
            raise VideoReadError(filename, 'video has no frames')
        return results


@TRANSFORMS.register_module()
class ViFiDecordDecode(DecordDecode):
    """``DecordDecode`` raising :class:`VideoReadError` for broken streams."""

    def transform(self, results: Dict) -> Dict:
        filename = results.get('filename', '<unknown>')
        try:
            return super().transform(results)
        except _READ_ERRORS as e:
            raise VideoReadError(filename,
                                 f'{type(e).__name__}: {e}') from e
