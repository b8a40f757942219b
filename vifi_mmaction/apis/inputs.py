"""What the inferencer reads: its config and label set, video paths, views,
the test pipeline, and a dataset that decodes each video or reports why it
could not."""
import copy
import os
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple, Union

from mmaction.registry import MODELS
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose
from torch.utils.data import Dataset

from ..datasets.pipeline_config import step_type_name
from ..engine.config_checks import check_config, load_config
from ..errors import InputError
from ..models.heads.text_contrastive_head import ViFiTextHead
from ..utils.class_names import (ClassNamesError, load_class_names,
                                 tokenizer_key)
from ..video import VIDEO_EXTENSIONS, VideoReadError, list_videos

__all__ = [
    'zero_shot_config', 'expand_inputs', 'parse_views', 'adapt_test_pipeline',
    'parse_labels', 'split_label_list', 'looks_like_label_file',
    'LABEL_FILE_SUFFIXES', 'VideoList', 'as_list'
]

# number of crops -> the mmaction transform that makes them
_CROPS = {1: 'CenterCrop', 3: 'ThreeCrop', 10: 'TenCrop'}
_DECODERS = {
    'DecordInit': 'ViFiDecordInit',
    'DecordDecode': 'ViFiDecordDecode'
}

InputsType = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]


# ------------------------------------------------------------------ config
def zero_shot_config(model: Union[str, os.PathLike, Config, dict],
                     labels: Union[None, str, Sequence[str]] = None,
                     template: Optional[str] = None,
                     require_labels: bool = True) -> Tuple[Config, str]:
    """The inferencer's config: read, checked, its label set and template
    set.

    Args:
        model: a config file, or a config object (copied, not modified).
        labels: the label set (a list, a ``.txt`` or an ``id,name``
            ``.csv``); None keeps the config's class names.
        template: the prompt template; None keeps the config's.
        require_labels: with no ``labels`` and no readable class names in
            the config, raise (True) or set the head's class names to None
            (False: embeddings only).

    Returns:
        tuple: ``(cfg, where)``, the config and its name for messages (the
        file, or ``'config'``).

    Raises:
        FileNotFoundError: the config file does not exist.
        TypeError: ``model`` is neither a path nor a config.
        InputError: the model's head is not a ``ViFiTextHead``, or no label
            set is available and ``require_labels``.
    """
    if isinstance(model, (str, os.PathLike)):
        where = os.fspath(model)
        if not osp.isfile(where):
            raise FileNotFoundError(f'config not found: {where}')
        cfg = load_config(where)
        check_config(cfg, where)
    elif isinstance(model, (Config, ConfigDict, dict)):
        where = 'config'
        cfg = Config(copy.deepcopy(dict(model))) if not isinstance(
            model, Config) else copy.deepcopy(model)
    else:
        raise TypeError(f'model must be a config file or a config, got '
                        f'{type(model).__name__}')
    head_cfg = cfg.get('model', {}).get('cls_head')
    head_type = head_cfg.get('type') if head_cfg else None
    head_cls = MODELS.get(head_type) if isinstance(head_type,
                                                   str) else head_type
    if not (isinstance(head_cls, type) and issubclass(head_cls, ViFiTextHead)):
        raise InputError(
            f'{where}: zero-shot inference needs a ViFiTextHead model '
            f'(cls_head), got {head_type!r}')
    if labels is not None:
        head_cfg['class_names'] = load_class_names(labels)
    else:
        names = head_cfg.get('class_names')
        readable = names is not None and (not isinstance(names, str)
                                          or osp.isfile(names))
        if not readable and not require_labels:
            head_cfg['class_names'] = None  # embeddings only
        elif not readable:
            raise InputError(
                f'{where}: no labels given and the config\'s class names '
                f'({names!r}) are not available; pass labels '
                f'(--labels / --labels-file)')
    if template is not None:
        head_cfg['template'] = template
    return cfg, where


# ------------------------------------------------------------------ inputs
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
        name = step_type_name(step)
        if name in _DECODERS:
            step['type'] = _DECODERS[name]
    samplers = [s for s in steps if step_type_name(s) == 'ViFiSampleFrames']
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
            i for i, s in enumerate(steps)
            if step_type_name(s) in _CROPS.values()
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
                    step_type_name(prev) == 'Resize' and isinstance(size, int):
                scale = tuple(prev.get('scale', ()))
                if len(scale) == 2 and scale[0] == -1:
                    prev['scale'] = (-1, size)
    return steps


def _describe(error: BaseException) -> str:
    """One line naming what went wrong with a video."""
    if isinstance(error, VideoReadError):
        return str(error)
    text = str(error).strip().splitlines()
    return f'{type(error).__name__}: {text[0] if text else ""}'.rstrip(': ')


# --------------------------------------------------------------- decoding
class VideoList(Dataset):
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


def as_list(items: list) -> list:
    """A DataLoader ``collate_fn`` that keeps a batch as a list of items."""
    return items


# ------------------------------------------------------------------ labels
#: Endings of the label files :func:`load_class_names` reads (and of other
#: files a label never names).
LABEL_FILE_SUFFIXES = ('.csv', '.txt', '.json')


def looks_like_label_file(name: str) -> bool:
    """Whether a ``--labels`` item is a path rather than a class name: it
    exists on disk or ends like a label file (:data:`LABEL_FILE_SUFFIXES`).
    """
    return bool(name) and (osp.exists(osp.expanduser(name))
                           or name.lower().endswith(LABEL_FILE_SUFFIXES))


def split_label_list(text: str, where: str = '--labels') -> List[str]:
    """Split ``"label one,label two"`` into names.

    Args:
        text: comma-separated names; spaces around names are dropped.
        where: the option name, for error messages.

    Returns:
        list[str]: the names, in order.

    Raises:
        ClassNamesError: on an empty or duplicate name, naming its position,
            and on a name that is a file path (``--labels data/labels.csv``
            meant ``--labels-file``).
    """
    names = [part.strip() for part in text.split(',')]
    seen = {}
    for i, name in enumerate(names, start=1):
        if looks_like_label_file(name):
            raise ClassNamesError(
                f'{where}: {name!r} is a path, not a label; use '
                f'--labels-file {name}')
        if not name:
            raise ClassNamesError(
                f'{where}: label {i} of {text!r} is empty; separate labels '
                f'with single commas, and put names that contain commas in '
                f'a --labels-file')
        key = tokenizer_key(name)  # CLIP reads 'Surfing' as 'surfing'
        if key in seen:
            raise ClassNamesError(
                f'{where}: duplicate label {name!r} (positions {seen[key]} '
                f'and {i}; CLIP\'s tokenizer reads it as {key!r})')
        seen[key] = i
    return names


def parse_labels(labels: Optional[Union[str, Sequence[str]]] = None,
                 labels_file: Optional[str] = None) -> List[str]:
    """Read a label set from exactly one source.

    Args:
        labels: a comma-separated string (``"a,b"``) or a list of names.
        labels_file: a ``.txt`` file (one name per line) or an official
            ``id,name`` ``.csv`` (quoted names may contain commas).

    Returns:
        list[str]: the class names in label-index order.

    Raises:
        ValueError: if both or neither source is given.
        ClassNamesError: naming the source (and file line) of a bad name, a
            path given as a label, or a label set of one name (its
            probability is always 1).
        FileNotFoundError: if ``labels_file`` does not exist.
    """
    if (labels is None) == (labels_file is None):
        raise InputError('give exactly one of --labels and --labels-file')
    if labels_file is not None:
        names, where = load_class_names(labels_file), labels_file
    elif isinstance(labels, str):
        names, where = split_label_list(labels), '--labels'
    else:
        names, where = load_class_names(list(labels)), '--labels'
    if len(names) == 1:
        # a softmax over one label is 1.0 for every video
        raise ClassNamesError(
            f'{where}: one label ({names[0]!r}) always scores 1.0; give two '
            f'or more (e.g. the label and "something else")')
    return names
