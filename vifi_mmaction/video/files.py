"""Which files are videos: by extension, as the tools list folders; and
which paths can be opened as one (:func:`check_video_file`)."""
import os
import os.path as osp
import stat
from typing import List

from mmengine.utils import scandir

from .errors import VideoReadError

__all__ = ['VIDEO_EXTENSIONS', 'list_videos', 'check_video_file']

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg',
                    '.mpeg', '.flv', '.wmv', '.3gp', '.ogv', '.ts')


def list_videos(folder: str, recursive: bool = True) -> List[str]:
    """Video files under ``folder`` (by extension, case-insensitive), sorted.

    Hidden files are skipped (mmengine's ``scandir``).
    """
    files = scandir(
        folder, VIDEO_EXTENSIONS, recursive=recursive, case_sensitive=False)
    return [osp.join(folder, f) for f in sorted(files)]


# what os.stat's mode says a path is, when it is not a regular file
_NOT_FILES = ((stat.S_ISDIR, 'a folder'),
              (stat.S_ISFIFO, 'a named pipe (FIFO)'), (stat.S_ISCHR,
                                                       'a character device'),
              (stat.S_ISBLK, 'a block device'), (stat.S_ISSOCK, 'a socket'))


def check_video_file(path: str) -> None:
    """Refuse a path that is not a regular file, before a decoder opens it.

    A decoder blocks for ever on a FIFO that nobody writes (and reads a
    device or a pipe without end); a folder or a device is reported as
    "file not found" by a bare ``isfile`` check. Symbolic links are
    followed.

    Raises:
        VideoReadError: kind ``missing`` (nothing there, or a broken
            symbolic link) or ``unreadable`` (a folder, FIFO, device or
            socket, or ``stat`` fails), naming the path.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        reason = 'a broken symbolic link' if osp.islink(path) else \
            'file not found'
        raise VideoReadError(path, reason, 'missing') from None
    except OSError as e:
        raise VideoReadError(path, f'{type(e).__name__}: {e}',
                             'unreadable') from None
    if stat.S_ISREG(mode):
        return
    what = next((name for test, name in _NOT_FILES if test(mode)),
                'not a file')
    raise VideoReadError(path, f'not a regular file but {what}', 'unreadable')
