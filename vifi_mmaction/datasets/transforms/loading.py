"""Decord loading that turns any read failure into one clear error type.

mmaction's ``DecordInit``/``DecordDecode`` surface a missing file as
``FileNotFoundError`` from the file client and a corrupt one as a bare
``RuntimeError`` or ``DECORDError`` from decord. :class:`VideoReadError`
names the file, the reason and a short ``kind`` (see :data:`FAULT_KINDS`), so
datasets can skip exactly these failures during training, count them by kind,
and report them during testing.
"""
import io
import os
import os.path as osp
import struct
from typing import Dict, Optional, Tuple

from decord._ffi.base import DECORDError
from mmaction.datasets.transforms import DecordDecode, DecordInit
from mmaction.registry import TRANSFORMS
from mmengine.fileio import FileClient

__all__ = [
    'VideoReadError', 'ViFiDecordInit', 'ViFiDecordDecode', 'FAULT_KINDS',
    'diagnose_video_file'
]

# What decord and the file client raise for unreadable input.
_READ_ERRORS = (OSError, RuntimeError, DECORDError)

#: Every ``VideoReadError.kind``, in the order reports list them.
FAULT_KINDS = (
    'missing',  # no such file
    'empty',  # zero bytes
    'truncated',  # an MP4/MOV box runs past the end of the file
    'corrupt',  # the container cannot be opened (not a video, bad index)
    'unreadable',  # the OS refused to read it (permissions, I/O error)
    'decode_error',  # the container opens but frames fail to decode
    'no_frames',  # the container reports zero frames
)

# ISO base media (MP4/MOV/3GP) top-level box types a file may start with.
_BMFF_FIRST_BOXES = {
    b'ftyp', b'moov', b'mdat', b'free', b'skip', b'wide', b'pdin', b'styp'
}


def _bmff_truncated(path: str, size: int) -> bool:
    """Whether an ISO-BMFF file's top-level boxes run past its end.

    Returns False for files that are not ISO-BMFF. Reads 8-16 bytes per
    top-level box (a handful per file).
    """
    with open(path, 'rb') as f:
        offset, first = 0, True
        for _ in range(100000):
            if offset >= size:
                return False
            f.seek(offset)
            head = f.read(8)
            if len(head) < 8:
                return True  # a box header cut short
            box_size, box_type = struct.unpack('>I4s', head)
            if first and box_type not in _BMFF_FIRST_BOXES:
                return False
            first = False
            if box_size == 1:
                large = f.read(8)
                if len(large) < 8:
                    return True
                box_size = struct.unpack('>Q', large)[0]
            elif box_size == 0:
                return False  # box extends to the end of the file
            if box_size < 8:
                return False  # not a box layout we understand
            if offset + box_size > size:
                return True
            offset += box_size
    return False


def diagnose_video_file(path: str) -> str:
    """Classify an unreadable video file by what is wrong with it on disk.

    Returns one of ``'missing'``, ``'empty'``, ``'truncated'``,
    ``'unreadable'`` or ``'corrupt'`` (the fallback: the bytes are there but
    are not a video the decoder can open).
    """
    if not osp.exists(path):
        return 'missing'
    try:
        size = os.path.getsize(path)
        if size == 0:
            return 'empty'
        if _bmff_truncated(path, size):
            return 'truncated'
    except OSError:
        return 'unreadable'
    return 'corrupt'


class VideoReadError(RuntimeError):
    """A video could not be opened or decoded.

    Attributes:
        filename (str): the video.
        reason (str): first line of the underlying error.
        kind (str): one of :data:`FAULT_KINDS`.
    """

    def __init__(self, filename: str, reason: str, kind: str = 'corrupt'):
        if kind not in FAULT_KINDS:
            raise ValueError(f'unknown video fault kind {kind!r}')
        self.filename = filename
        self.reason = reason.strip().splitlines()[0] if reason.strip() else ''
        self.kind = kind
        super().__init__(f'cannot read video {filename!r}: {self.reason}')

    def __reduce__(self):  # keep attributes across DataLoader workers
        return type(self), (self.filename, self.reason, self.kind)


def decode_size(width: int, height: int,
                short_side: int) -> Optional[Tuple[int, int]]:
    """``(width, height)`` with the short side scaled to ``short_side``.

    Rounds like mmcv's ``Resize(scale=(-1, short_side))``, so that resize
    then leaves the frames as they are. None when the video is not larger.
    """
    if min(width, height) <= short_side:
        return None
    factor = short_side / min(width, height)
    return int(width * factor + 0.5), int(height * factor + 0.5)


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
        if self.short_side is None:
            return super()._get_video_reader(filename)
        import decord
        if osp.splitext(filename)[0] == filename:  # as DecordInit does
            filename = filename + '.mp4'
        if self.file_client is None:
            self.file_client = FileClient(self.io_backend, **self.kwargs)
        data = self.file_client.get(filename)
        reader = decord.VideoReader(
            io.BytesIO(data), num_threads=self.num_threads)
        if len(reader) == 0:
            return reader  # reported as no_frames by transform()
        height, width = reader[0].shape[:2]  # decord has no size query
        size = decode_size(width, height, self.short_side)
        if size is None:
            return reader
        return decord.VideoReader(
            io.BytesIO(data),
            num_threads=self.num_threads,
            width=size[0],
            height=size[1])

    def transform(self, results: Dict) -> Dict:
        filename = results['filename']
        try:
            results = super().transform(results)
        except _READ_ERRORS as e:
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
        except _READ_ERRORS as e:
            kind = diagnose_video_file(filename)
            kind = kind if kind in ('missing', 'truncated', 'unreadable') \
                else 'decode_error'
            raise VideoReadError(filename, f'{type(e).__name__}: {e}',
                                 kind) from e
