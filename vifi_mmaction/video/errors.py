"""One error type for every video that cannot be read, whatever decodes it.

:class:`VideoReadError` names the file, the reason and a short ``kind`` (see
:data:`FAULT_KINDS`), so datasets can skip exactly these failures during
training, count them by kind, and report them during testing.
:func:`diagnose_video_file` tells the kind from what is on disk.
"""
import os
import os.path as osp
import struct

from decord._ffi.base import DECORDError

__all__ = [
    'READ_ERRORS', 'FAULT_KINDS', 'VideoReadError', 'diagnose_video_file'
]

# What decord and the file client raise for unreadable input.
READ_ERRORS = (OSError, RuntimeError, DECORDError)

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
