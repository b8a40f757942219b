"""Video dataset reading the official ViFi-CLIP annotation and label files.

Annotation lines are ``relative/path label`` (the path may contain spaces;
the label is the last field). Class names come from the same sources as the
head (:func:`load_class_names`), and every label index is checked against
them at load time, so a typo fails with the file and line instead of a CUDA
assert hours later.
"""
import multiprocessing as mp
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS
from mmengine.logging import print_log

from .class_names import ClassNamesError, load_class_names
from .transforms.loading import VideoReadError

__all__ = ['ViFiVideoDataset', 'AnnotationError']


class AnnotationError(ValueError):
    """A malformed annotation file. The message names file and line."""


@DATASETS.register_module()
class ViFiVideoDataset(VideoDataset):
    """Videos with single labels, validated against a class-name source.

    In training, a video that cannot be read (:class:`VideoReadError`) is
    logged by name, counted in :attr:`num_skipped` and replaced by another
    sample (mmengine's re-fetch). In testing it raises: no sample is dropped
    silently.

    Args:
        ann_file (str): annotation file, one ``path label`` per line.
        pipeline (list): data pipeline.
        class_names (str | list[str]): ``.txt``/``.csv`` label file or list.
        data_prefix (dict): ``dict(video=ROOT)`` joined to every path.
        test_mode (bool): whether this is a test/val set.
        **kwargs: passed to :class:`mmaction.datasets.VideoDataset`.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 class_names: Union[str, Sequence[str]],
                 data_prefix: dict = dict(video=''),
                 test_mode: bool = False,
                 **kwargs) -> None:
        self.class_names = load_class_names(class_names)
        self.class_source = class_names if isinstance(class_names,
                                                      str) else 'class_names'
        # Shared across dataloader workers (forked or spawned) so the main
        # process sees the total.
        self._num_skipped = mp.Value('i', 0)
        metainfo = dict(classes=tuple(self.class_names))
        metainfo.update(kwargs.pop('metainfo', None) or {})
        super().__init__(
            ann_file,
            pipeline=pipeline,
            data_prefix=data_prefix,
            test_mode=test_mode,
            metainfo=metainfo,
            **kwargs)

    @property
    def num_skipped(self) -> int:
        """Number of unreadable videos skipped so far (training only)."""
        return self._num_skipped.value

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'annotation file not found: '
                                    f'{self.ann_file}')
        num_classes = len(self.class_names)
        data_list = []
        root = self.data_prefix.get('video') or ''
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, start=1):
                line = line.strip()
                if not line:
                    continue
                parts = line.rsplit(maxsplit=1)
                if len(parts) != 2:
                    raise AnnotationError(
                        f'{self.ann_file}:{lineno}: expected "path label", '
                        f'got {line!r}')
                path, label = parts
                try:
                    label = int(label)
                except ValueError:
                    raise AnnotationError(
                        f'{self.ann_file}:{lineno}: label {label!r} is not '
                        f'an integer') from None
                if not 0 <= label < num_classes:
                    raise AnnotationError(
                        f'{self.ann_file}:{lineno}: label {label} out of '
                        f'range for {num_classes} classes in '
                        f'{self.class_source}')
                data_list.append(
                    dict(filename=osp.join(root, path), label=label))
        if not data_list:
            raise AnnotationError(f'{self.ann_file}: no annotations')
        return data_list

    def prepare_data(self, idx: int):
        try:
            return super().prepare_data(idx)
        except VideoReadError as e:
            if self.test_mode:
                raise
            with self._num_skipped.get_lock():
                self._num_skipped.value += 1
                count = self._num_skipped.value
            print_log(
                f'skipping unreadable video {e.filename!r} ({e.reason}); '
                f'{count} skipped so far',
                logger='current',
                level=30)
            return None  # mmengine re-fetches another index in training


def check_class_count(dataset_classes: Optional[Sequence[str]],
                      head_classes: Sequence[str], where: str) -> None:
    """Raise if a dataset and a head disagree on the number of classes."""
    if dataset_classes is None:
        return
    if len(dataset_classes) != len(head_classes):
        raise ClassNamesError(
            f'{where}: the dataset has {len(dataset_classes)} classes but the '
            f'head has {len(head_classes)}; point both at the same label file')
