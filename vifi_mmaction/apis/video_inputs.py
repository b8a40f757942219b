"""What the inferencer reads: video paths, views, the test pipeline, and a
dataset that decodes each video or reports why it could not."""
import copy
import os
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.utils import scandir
from torch.utils.data import Dataset

from ..datasets.transforms.loading import VideoReadError
from ..errors import InputError

__all__ = [
    'VIDEO_EXTENSIONS', 'list_videos', 'expand_inputs', 'parse_views',
    'adapt_test_pipeline'
]

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.mpg',
                    '.mpeg', '.flv', '.wmv', '.3gp', '.ogv', '.ts')
# number of crops -> the mmaction transform that makes them
_CROPS = {1: 'CenterCrop', 3: 'ThreeCrop', 10: 'TenCrop'}
_DECODERS = {
    'DecordInit': 'ViFiDecordInit',
    'DecordDecode': 'ViFiDecordDecode'
}

InputsType = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]


# ------------------------------------------------------------------ inputs
def list_videos(folder: str, recursive: bool = True) -> List[str]:
    """Video files under ``folder`` (by extension, case-insensitive), sorted.

    Hidden files are skipped (mmengine's ``scandir``).
    """
    files = scandir(
        folder, VIDEO_EXTENSIONS, recursive=recursive, case_sensitive=False)
    return [osp.join(folder, f) for f in sorted(files)]


def expand_inputs(inputs: InputsType) -> List[str]:
    """Turn video paths and folders into a flat list of video paths.

    Folders are searched recursively for :data:`VIDEO_EXTENSIONS`; files are
    kept as given, existing or not (a missing file is reported per video).

    Raises:
        ValueError: for a folder without videos.
        TypeError: for an input that is not a path.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    videos = []
    for item in inputs:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f'inputs must be video paths or folders, got '
                            f'{type(item).__name__}')
        item = os.fspath(item)
        if osp.isdir(item):
            found = list_videos(item)
            if not found:
                raise InputError(
                    f'{item}: folder holds no video files (looked for '
                    f'{", ".join(VIDEO_EXTENSIONS)})')
            videos += found
        else:
            videos.append(item)
    return videos


def parse_views(views: Union[None, str,
                             Sequence[int]]) -> Optional[Tuple[int, int]]:
    """``'4x3'`` (clips x crops) -> ``(4, 3)``; None stays None.

    Crops are 1 (centre), 3 (``ThreeCrop``) or 10 (``TenCrop``).
    """
    if views is None:
        return None
    if isinstance(views, str):
        m = re.fullmatch(r'\s*(\d+)\s*[xX\u00d7]\s*(\d+)\s*', views)
        if not m:
            raise InputError(f'--views must be CLIPSxCROPS such as 1x1 or '
                             f'4x3, got {views!r}')
        clips, crops = int(m.group(1)), int(m.group(2))
    else:
        clips, crops = (int(v) for v in views)
    if clips < 1 or crops not in _CROPS:
        raise InputError(f'--views {clips}x{crops}: need at least 1 clip and '
                         f'1, 3 or 10 crops')
    return clips, crops


def _type_name(step: dict) -> str:
    t = step['type']
    name = t if isinstance(t, str) else t.__name__
    return name.split('.')[-1]


def adapt_test_pipeline(pipeline: Sequence[dict],
                        num_frames: Optional[int] = None,
                        views: Union[None, str, Sequence[int]] = None,
                        where: str = 'config') -> List[dict]:
    """Copy a test pipeline config and apply the inference options.

    * mmaction's ``DecordInit``/``DecordDecode`` become the ``ViFi`` versions,
      so every read failure is a :class:`VideoReadError` naming the file.
    * ``num_frames`` sets ``ViFiSampleFrames(num_frames=...)``.
    * ``views = (clips, crops)`` sets ``ViFiSampleFrames(num_views=clips)``
      and swaps the crop step for ``CenterCrop``/``ThreeCrop``/``TenCrop``
      with the same ``crop_size``. ``ThreeCrop`` needs the short side equal
      to the crop, so a ``Resize(scale=(-1, s))`` right before it is set to
      the crop size (what the official 4x3 test does).

    Args:
        pipeline: list of transform configs.
        num_frames: frames per view, ``T``.
        views: ``(clips, crops)`` or ``'CLIPSxCROPS'``.
        where: the config's name, for error messages.

    Returns:
        list[dict]: the adapted pipeline (the input is not modified).
    """
    steps = [dict(copy.deepcopy(dict(s))) for s in pipeline]
    views = parse_views(views)
    if num_frames is not None and int(num_frames) < 1:
        raise InputError(f'--num-frames must be positive, got {num_frames}')
    for step in steps:
        name = _type_name(step)
        if name in _DECODERS:
            step['type'] = _DECODERS[name]
    samplers = [s for s in steps if _type_name(s) == 'ViFiSampleFrames']
    if not samplers and (num_frames is not None or
                         (views is not None and views[0] != 1)):
        raise InputError(f'{where}: --num-frames and --views need a '
                         f'ViFiSampleFrames step in the test pipeline')
    for step in samplers:
        step['test_mode'] = True
        if num_frames is not None:
            step['num_frames'] = int(num_frames)
        if views is not None:
            step['num_views'] = views[0]
    if views is not None:
        crop_idx = [
            i for i, s in enumerate(steps) if _type_name(s) in _CROPS.values()
        ]
        if not crop_idx:
            if views[1] != 1:
                raise InputError(f'{where}: --views with {views[1]} crops '
                                 f'needs a CenterCrop/ThreeCrop/TenCrop step '
                                 f'in the test pipeline')
        else:
            i = crop_idx[0]
            size = steps[i]['crop_size']
            steps[i] = dict(type=_CROPS[views[1]], crop_size=size)
            prev = steps[i - 1] if i > 0 else None
            if views[1] == 3 and prev is not None and \
                    _type_name(prev) == 'Resize' and isinstance(size, int):
                scale = tuple(prev.get('scale', ()))
                if len(scale) == 2 and scale[0] == -1:
                    prev['scale'] = (-1, size)
    return steps


def _find_test_pipeline(cfg: Config, where: str) -> List[dict]:
    for path in (('test_dataloader', 'dataset', 'pipeline'),
                 ('test_pipeline', ), ('val_dataloader', 'dataset',
                                       'pipeline')):
        node = cfg
        for key in path:
            node = node.get(key) if isinstance(node, (dict, Config)) else None
            if node is None:
                break
        if node:
            return list(node)
    raise InputError(f'{where}: no test pipeline (test_dataloader.dataset.'
                     f'pipeline or test_pipeline)')


def _describe(error: BaseException) -> str:
    """One line naming what went wrong with a video."""
    if isinstance(error, VideoReadError):
        return str(error)
    text = str(error).strip().splitlines()
    return f'{type(error).__name__}: {text[0] if text else ""}'.rstrip(': ')


# --------------------------------------------------------------- decoding
class _VideoList(Dataset):
    """Runs the test pipeline on each video; a failure becomes a result.

    Items are ``dict(index, video, data, error)``; ``data`` is the packed
    pipeline output or None, ``error`` None or a one-line reason.
    """

    def __init__(self, videos: Sequence[str], pipeline: Compose):
        self.videos = list(videos)
        self.pipeline = pipeline

    def __len__(self) -> int:
        return len(self.videos)

    def __getitem__(self, index: int) -> dict:
        video = self.videos[index]
        try:
            data = self.pipeline(
                dict(filename=video, label=-1, start_index=0, modality='RGB'))
        except Exception as e:  # noqa: BLE001  one bad video, not the run
            return dict(
                index=index, video=video, data=None, error=_describe(e))
        return dict(index=index, video=video, data=data, error=None)


def _as_list(items: list) -> list:
    return items
