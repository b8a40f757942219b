"""decord readers: random access by frame index, optionally downscaled."""
import io
from typing import Optional, Tuple, Union

from .errors import READ_ERRORS, VideoReadError, diagnose_video_file
from .files import check_video_file

__all__ = ['decode_size', 'open_decord', 'open_video']


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


def open_decord(source: Union[str, bytes],
                short_side: Optional[int] = None,
                num_threads: int = 1):
    """A decord ``VideoReader``, decoding at ``short_side`` when asked.

    decord has no size query, so the first frame gives the size and the
    reader is opened again with the scaled size (:func:`decode_size`).

    Args:
        source (str | bytes): a path, or the file's bytes (a path lets
            decord read packets as it seeks, so memory does not depend on
            the file's size).
        short_side (int, optional): scale every frame so that its short side
            is this many pixels (videos that are not larger decode as they
            are).
        num_threads (int): decoder threads.

    Raises:
        what decord raises for unreadable input (see ``READ_ERRORS``).
    """
    import decord

    def opened(**size):
        src = io.BytesIO(source) if isinstance(source, bytes) else source
        return decord.VideoReader(src, num_threads=num_threads, **size)

    reader = opened()
    if short_side is None or len(reader) == 0:
        return reader  # an empty video is reported by its caller
    height, width = reader[0].shape[:2]
    size = decode_size(width, height, short_side)
    if size is None:
        return reader
    return opened(width=size[0], height=size[1])


def open_video(video: str,
               short_side: Optional[int] = None,
               num_threads: int = 1):
    """A decord ``VideoReader`` for a local file, or :class:`VideoReadError`.

    Args:
        video (str): a local video file.
        short_side (int, optional): as in :func:`open_decord`.
        num_threads (int): decoder threads.

    Raises:
        VideoReadError: naming the file, if it cannot be opened.
    """
    check_video_file(video)
    try:
        return open_decord(video, short_side, num_threads)
    except READ_ERRORS as e:
        raise VideoReadError(video, f'{type(e).__name__}: {e}',
                             diagnose_video_file(video)) from e
