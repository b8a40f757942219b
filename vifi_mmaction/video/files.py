"""Which files are videos: by extension, as the tools list folders."""
import os.path as osp
from typing import List

from mmengine.utils import scandir

__all__ = ['VIDEO_EXTENSIONS', 'list_videos']

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg',
                    '.mpeg', '.flv', '.wmv', '.3gp', '.ogv', '.ts')


def list_videos(folder: str, recursive: bool = True) -> List[str]:
    """Video files under ``folder`` (by extension, case-insensitive), sorted.

    Hidden files are skipped (mmengine's ``scandir``).
    """
    files = scandir(
        folder, VIDEO_EXTENSIONS, recursive=recursive, case_sensitive=False)
    return [osp.join(folder, f) for f in sorted(files)]
