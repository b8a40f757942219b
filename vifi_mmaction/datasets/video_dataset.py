"""Video dataset reading the official ViFi-CLIP annotation and label files.

Annotation lines are ``relative/path label`` (the path may contain spaces;
the label is the last field). Class names come from the same sources as the
head (:func:`load_class_names`), and every label index is checked against
them at load time, so a typo fails with the file and line instead of a CUDA
assert hours later.

Unreadable videos (:class:`VideoReadError`) are recorded by index and kind in
a table shared with the DataLoader workers, so the main process can report
them by name and :class:`~vifi_mmaction.engine.ViFiDataCheckHook` can stop a
run whose data is too broken. What happens to such a video depends on the
split:

* training: logged, counted and replaced by another sample (mmengine's
  re-fetch);
* testing: raised, unless a runner hook switched the dataset to
  ``'record'`` mode, in which case a placeholder sample flagged
  ``vifi_read_error`` flows through the model so the evaluator can count it
  as a wrong prediction (it is never dropped from the denominator).
"""
import contextlib
import multiprocessing as mp
import os.path as osp
import random
import zlib
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS
from mmaction.structures import ActionDataSample
from mmengine.logging import print_log

from ..utils.class_names import ClassNamesError, load_class_names
from .annotations import AnnotationError, read_annotation
from .transforms.loading import FAULT_KINDS, VideoReadError

__all__ = [
    'ViFiVideoDataset', 'AnnotationError', 'check_class_count',
    'check_class_names', 'NoReadableVideoError'
]


class NoReadableVideoError(RuntimeError):
    """Not a single video of a test set could be read."""


@contextlib.contextmanager
def _isolated_rng(seed_seq: np.random.SeedSequence):
    """Seed python/numpy/torch-CPU RNGs for a block, then put them back."""
    py_state = random.getstate()
    np_state = np.random.get_state()
    torch_state = torch.random.default_generator.get_state()
    s32, s64 = seed_seq.generate_state(2, dtype=np.uint64)
    random.seed(int(s64))
    np.random.seed(int(s32) & 0xFFFFFFFF)
    torch.random.default_generator.manual_seed(int(s64))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.random.default_generator.set_state(torch_state)


@DATASETS.register_module()
class ViFiVideoDataset(VideoDataset):
    """Videos with single labels, validated against a class-name source.

    In training, a video that cannot be read (:class:`VideoReadError`) is
    logged by name and kind, counted in :attr:`num_skipped` and replaced by
    another sample (mmengine's re-fetch). In testing it raises unless
    :meth:`set_test_fault_mode` chose ``'record'`` (see module docstring):
    no sample is dropped silently.

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
        # process sees the totals.
        self._num_skipped = mp.Value('i', 0)
        self._num_faulty = mp.Value('i', 0)
        self._epoch = mp.Value('q', 0)
        self._fault_table = None  # per-index kind code, made in full_init
        self._sample_seed: Optional[int] = None
        self._test_faults = 'raise'
        self._template = None
        metainfo = dict(classes=tuple(self.class_names))
        metainfo.update(kwargs.pop('metainfo', None) or {})
        super().__init__(
            ann_file,
            pipeline=pipeline,
            data_prefix=data_prefix,
            test_mode=test_mode,
            metainfo=metainfo,
            **kwargs)

    # ------------------------------------------------------------ parsing
    def load_data_list(self) -> List[dict]:
        num_classes = len(self.class_names)
        root = self.data_prefix.get('video') or ''
        data_list = [
            dict(filename=osp.join(root, a.path),
                 label=a.label) for a in read_annotation(
                     self.ann_file, num_classes, self.class_source)
        ]
        used = {d['label'] for d in data_list}
        if len(used) < num_classes:
            missing = sorted(set(range(num_classes)) - used)
            shown = ', '.join(map(str, missing[:10])) + \
                (', ...' if len(missing) > 10 else '')
            print_log(
                f'{self.ann_file}: the annotations use {len(used)} of the '
                f'{num_classes} classes in {self.class_source} (no sample '
                f'for class ids {shown})',
                logger='current',
                level=30)
        return data_list

    def full_init(self) -> None:
        super().full_init()
        if self._fault_table is None:
            self._fault_table = mp.Array('B', max(len(self), 1))

    # ------------------------------------------------------ RNG and epoch
    def set_sample_seed(self, seed: Optional[int]) -> None:
        """Draw each training sample's augmentation from its own RNG.

        With a seed, sample ``idx`` of epoch ``e`` runs its pipeline (and any
        re-fetch) with python/numpy/torch-CPU generators seeded from
        ``(seed, e, idx)`` and restored afterwards, so augmentation does not
        depend on worker count, worker RNG streams or where a run was
        resumed. ``None`` switches it off. Set before workers start.
        :class:`~vifi_mmaction.engine.ViFiExactResumeHook` passes the
        runner's seed, ``SEED + rank`` with per-rank seeding, so the same
        sample draws differently on different ranks, as in the official
        run.
        """
        self._sample_seed = None if seed is None else int(seed)

    def set_epoch(self, epoch: int) -> None:
        """Epoch used by :meth:`set_sample_seed` (shared with workers)."""
        self._epoch.value = int(epoch)

    def __getitem__(self, idx: int) -> dict:
        if self.test_mode or self._sample_seed is None:
            return super().__getitem__(idx)
        salt = zlib.crc32(str(self.ann_file).encode('utf-8'))
        seq = np.random.SeedSequence([
            self._sample_seed & 0xFFFFFFFFFFFFFFFF, self._epoch.value,
            int(idx), salt
        ])
        with _isolated_rng(seq):
            return super().__getitem__(idx)

    # ------------------------------------------------------------- faults
    @property
    def num_skipped(self) -> int:
        """Unreadable videos skipped so far (training; each skip counts)."""
        return self._num_skipped.value

    @property
    def num_faulty(self) -> int:
        """Distinct videos found unreadable so far (training and testing)."""
        return self._num_faulty.value

    def faults(self) -> List[dict]:
        """``[{'index', 'filename', 'kind'}]`` of every unreadable video seen
        so far, in dataset order (also those seen by DataLoader workers)."""
        if self._fault_table is None:
            return []
        table = np.frombuffer(self._fault_table.get_obj(), dtype=np.uint8)
        out = []
        for idx in np.flatnonzero(table[:len(self)]):
            out.append(
                dict(
                    index=int(idx),
                    filename=self.get_data_info(idx)['filename'],
                    kind=FAULT_KINDS[table[idx] - 1]))
        return out

    def set_test_fault_mode(self, mode: str) -> None:
        """``'raise'`` (default) or ``'record'`` unreadable test videos."""
        if mode not in ('raise', 'record'):
            raise ValueError(f"test fault mode must be 'raise' or 'record', "
                             f'got {mode!r}')
        self._test_faults = mode

    def _record_fault(self, idx: int, err: VideoReadError) -> None:
        code = FAULT_KINDS.index(err.kind) + 1
        with self._fault_table.get_lock():
            if self._fault_table[idx] == 0:
                with self._num_faulty.get_lock():
                    self._num_faulty.value += 1
            self._fault_table[idx] = code

    def prepare_data(self, idx: int):
        try:
            data = super().prepare_data(idx)
        except VideoReadError as e:
            return self._on_fault(idx, e)
        if self.test_mode and self._test_faults == 'record' and \
                self._template is None:
            self._remember_template(data)
        return data

    def _on_fault(self, idx: int, err: VideoReadError):
        if self._fault_table is None:
            self.full_init()
        self._record_fault(idx, err)
        if self.test_mode:
            if self._test_faults == 'raise':
                raise err
            print_log(
                f'unreadable test video {err.filename!r} ({err.kind}: '
                f'{err.reason}); scored as a failed prediction',
                logger='current',
                level=30)
            return self._failed_sample(idx, err)
        with self._num_skipped.get_lock():
            self._num_skipped.value += 1
            count = self._num_skipped.value
        print_log(
            f'skipping unreadable video {err.filename!r} ({err.kind}: '
            f'{err.reason}); {count} skipped so far',
            logger='current',
            level=30)
        return None  # mmengine re-fetches another index in training

    def _remember_template(self, data: dict) -> None:
        inputs, sample = data['inputs'], data['data_samples']
        self._template = (tuple(inputs.shape), inputs.dtype,
                          dict(sample.metainfo))

    def _failed_sample(self, idx: int, err: VideoReadError) -> dict:
        """An all-zero input of the right shape, flagged as failed."""
        if self._template is None:
            n = len(self)
            for step in range(1, n):
                j = (idx + step) % n
                try:
                    self._remember_template(super().prepare_data(j))
                    break
                except VideoReadError:
                    continue
            else:
                raise NoReadableVideoError(
                    f'no video listed in {self.ann_file} can be read (first '
                    f'failure: {err.filename!r}: {err.reason})')
        shape, dtype, meta = self._template
        sample = ActionDataSample()
        sample.set_gt_label(self.get_data_info(idx)['label'])
        sample.set_metainfo(
            dict(
                meta,
                filename=err.filename,
                vifi_read_error=f'{err.kind}: {err.reason}'))
        return dict(
            inputs=torch.zeros(shape, dtype=dtype), data_samples=sample)


def check_class_count(dataset_classes: Optional[Sequence[str]],
                      head_classes: Sequence[str], where: str) -> None:
    """Raise if a dataset and a head disagree on the number of classes."""
    if dataset_classes is None:
        return
    if len(dataset_classes) != len(head_classes):
        raise ClassNamesError(
            f'{where}: the dataset has {len(dataset_classes)} classes but the '
            f'head has {len(head_classes)}; point both at the same label file')


def check_class_names(dataset_classes: Optional[Sequence[str]],
                      head_classes: Sequence[str], where: str) -> None:
    """Raise if a training set and the head name their classes differently.

    The message names the first differing class id (= line of an ``id,name``
    CSV minus one).
    """
    check_class_count(dataset_classes, head_classes, where)
    if dataset_classes is None:
        return
    for i, (a, b) in enumerate(zip(dataset_classes, head_classes)):
        if a != b:
            raise ClassNamesError(
                f'{where}: class {i} is {a!r} in the dataset but {b!r} in '
                f'the head; point both at the same label file')
