"""The data check hook: class counts, deferred augmentation and unreadable
videos, checked before and counted during training and testing."""
import json
import os.path as osp
from collections import Counter
from typing import List, Optional

import torch
from mmaction.datasets.transforms import PackActionInputs
from mmaction.registry import HOOKS
from mmengine.dist import (all_gather_object, all_reduce, get_world_size,
                           is_main_process)
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..datasets.transforms.deferred_augment import ViFiDeferredAugment
from ..datasets.video_dataset import check_class_count, check_class_names
from ..evaluation.video_fault_report import VideoFaultReport
from ..models.data_preprocessors.batch_augment import ViFiBatchAugPreprocessor
from ..structures.augment_keys import AUG_KEY
from ..video import FAULT_KINDS
from .checkpoint_hook import atomic_write_bytes

__all__ = [
    'ViFiDataCheckHook', 'TooManyVideoFaultsError',
    'UnreadableTestVideosError', 'check_deferred_augment'
]

REPORT_FILE = 'video_faults.json'


class TooManyVideoFaultsError(RuntimeError):
    """More training videos are unreadable than ``max_skip_ratio`` allows."""


class UnreadableTestVideosError(RuntimeError):
    """Test/val videos could not be read and were not to be counted wrong."""


def _dataset(loader):
    ds = getattr(loader, 'dataset', None)
    while ds is not None and hasattr(ds, 'dataset'):  # dataset wrappers
        ds = ds.dataset
    return ds


def _shorten(names: List[str], limit: int = 10) -> str:
    shown = ', '.join(names[:limit])
    return shown + (f', ... ({len(names) - limit} more)'
                    if len(names) > limit else '')


def _by_kind(records: List[dict]) -> str:
    """``missing 2 (a.mp4, b.mp4); empty 1 (c.mp4)``."""
    groups = {}
    for r in records:
        groups.setdefault(r['kind'], []).append(r['filename'])
    order = [k for k in FAULT_KINDS if k in groups] + \
        sorted(k for k in groups if k not in FAULT_KINDS)
    return '; '.join(f'{k} {len(groups[k])} ({_shorten(groups[k], 5)})'
                     for k in order)


def _gather_faults(ds) -> dict:
    """``{dataset index: fault record}`` over all ranks (collective)."""
    merged = {}
    for part in all_gather_object(ds.faults()):
        for r in part:
            merged[r['index']] = r
    return merged


def _update_report(work_dir: str, stage: str, entry: dict) -> str:
    path = osp.join(work_dir, REPORT_FILE)
    report = {}
    if osp.isfile(path):
        with open(path, encoding='utf-8') as f:
            report = json.load(f)
    report[stage] = entry
    atomic_write_bytes(json.dumps(report, indent=2).encode('utf-8'), path)
    return path


def check_deferred_augment(dataset, preprocessor, where: str) -> None:
    """Fail when a pipeline's deferred augmentation would be dropped.

    A pipeline with ``ViFiDeferredAugment`` needs ``'vifi_aug'`` in its
    ``PackActionInputs`` meta keys and a ``ViFiBatchAugPreprocessor``;
    otherwise training would silently skip the flip, jitter and grayscale
    and pad the crops instead of resizing them.

    Raises:
        TypeError: naming the dataset and the missing piece.
    """
    transforms = getattr(
        getattr(dataset, 'pipeline', None), 'transforms', None) or []
    if not any(isinstance(t, ViFiDeferredAugment) for t in transforms):
        return
    for t in transforms:
        if isinstance(t, PackActionInputs) and AUG_KEY not in t.meta_keys:
            raise TypeError(
                f'{where}: the pipeline has ViFiDeferredAugment but '
                f'PackActionInputs drops its parameters: add {AUG_KEY!r} to '
                f'its meta_keys')
    if not isinstance(preprocessor, ViFiBatchAugPreprocessor):
        raise TypeError(
            f'{where}: the pipeline has ViFiDeferredAugment but '
            f'model.data_preprocessor is {type(preprocessor).__name__}; set '
            f"model.data_preprocessor.type='ViFiBatchAugPreprocessor' or use "
            f'cpu_aug_train_pipeline')


@HOOKS.register_module()
class ViFiDataCheckHook(Hook):
    """Fail fast on class mismatches; account for unreadable videos.

    * Before training/validation/testing, each dataset's number of classes
      must equal the head's (``val``/``test``: counts only, as the head's
      class set may be switched on purpose; ``train``: the names too).
    * Training: unreadable videos are skipped by the dataset; after every
      iteration the number of distinct unreadable videos (the union of the
      ranks' dataset indices, so a video that several ranks met over the
      epochs counts once) is compared with ``max_skip_ratio`` of the
      dataset, and the run stops with a summary by kind when it is
      exceeded. After training (or
      when stopping), ``skipped_videos.json`` (counts) and the ``train``
      entry of ``video_faults.json`` (every video by name and kind) are
      written to the work dir.
    * Validation/testing: unreadable videos become failed predictions (see
      :class:`VideoFaultReport`) so the whole set is scored and the full
      list is known; then, per ``test_faults``/``val_faults``, the run
      fails naming them (``'fail'``) or goes on with them counted wrong
      (``'count_wrong'``). Either way they are written to
      ``video_faults.json``.

    Args:
        max_skip_ratio (float, optional): the most training videos that may
            be unreadable, as a fraction of the training set. None: no
            limit. Defaults to 0.01.
        test_faults (str): ``'fail'`` (default) or ``'count_wrong'`` for
            ``runner.test()`` (``tools/test.py --count-unreadable-as-wrong``).
        val_faults (str): the same for validation during training.
            Defaults to ``'count_wrong'`` (a warning, the run goes on).
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 max_skip_ratio: Optional[float] = 0.01,
                 test_faults: str = 'fail',
                 val_faults: str = 'count_wrong'):
        for name, value in (('test_faults', test_faults), ('val_faults',
                                                           val_faults)):
            if value not in ('fail', 'count_wrong'):
                raise ValueError(f"{name} must be 'fail' or 'count_wrong', "
                                 f'got {value!r}')
        if max_skip_ratio is not None and not 0 <= max_skip_ratio <= 1:
            raise ValueError(f'max_skip_ratio must be in [0, 1], got '
                             f'{max_skip_ratio}')
        self.max_skip_ratio = max_skip_ratio
        self.test_faults = test_faults
        self.val_faults = val_faults
        # (sum over ranks of per-rank distinct counts, size of the union)
        # at the last gather; see after_train_iter
        self._union = (0, 0)

    # ---------------------------------------------------------- classes
    def _head(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return getattr(model, 'cls_head', None)

    def _check(self, runner, loader, stage):
        head = self._head(runner)
        ds = _dataset(loader)
        names = getattr(head, 'class_names', None)
        if names is None or ds is None:
            return
        classes = (getattr(ds, 'metainfo', None) or {}).get('classes')
        src = getattr(ds, 'class_source', None) or getattr(ds, 'ann_file', '')
        check = check_class_names if stage == 'train' else check_class_count
        check(classes, names, f'{stage} dataset ({src})')

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader, 'train')
        # ViFiDeferredAugment needs the preprocessor that applies it
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        check_deferred_augment(
            _dataset(runner.train_dataloader),
            getattr(model, 'data_preprocessor', None), 'train dataset')

    # ------------------------------------------------- training faults
    def _allowed(self, ds) -> Optional[float]:
        if self.max_skip_ratio is None:
            return None
        return self.max_skip_ratio * len(ds)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        ds = _dataset(runner.train_dataloader)
        if not hasattr(ds, 'num_faulty') or self.max_skip_ratio is None:
            return
        # The sum of the ranks' distinct counts bounds the union from above
        # and is one cheap all_reduce; identities are gathered only when it
        # exceeds the ceiling and has grown since the last gather (counts
        # never shrink, so an unchanged sum means an unchanged union).
        total = torch.tensor([float(ds.num_faulty)])
        if get_world_size() > 1:
            all_reduce(total, op='sum')
        total = int(total)
        if total <= self._allowed(ds):
            return
        if total != self._union[0]:
            self._union = (total, len(_gather_faults(ds)))
        if self._union[1] > self._allowed(ds):
            records, path = self._write_train_report(runner, ds)
            pct = 100.0 * len(records) / len(ds)
            raise TooManyVideoFaultsError(
                f'stopping at iteration {runner.iter + 1}: {len(records)} of '
                f'{len(ds)} training videos ({pct:.1f}%) are unreadable, '
                f'more than max_skip_ratio={self.max_skip_ratio:g} allows '
                f'({self._allowed(ds):g}): {_by_kind(records)}. Full list: '
                f'{path}')

    def _write_train_report(self, runner, ds):
        records = [
            dict(filename=r['filename'], kind=r['kind'])
            for _, r in sorted(_gather_faults(ds).items())
        ]
        skipped = int(ds.num_skipped)
        if get_world_size() > 1:
            t = torch.tensor([float(skipped)])
            all_reduce(t, op='sum')
            skipped = int(t)
        path = osp.join(runner.work_dir, REPORT_FILE)
        if is_main_process():
            with open(osp.join(runner.work_dir, 'skipped_videos.json'),
                      'w') as f:
                json.dump(dict(num_skipped=skipped, num_samples=len(ds)), f)
            path = _update_report(
                runner.work_dir, 'train',
                dict(
                    num_samples=len(ds),
                    num_unreadable=len(records),
                    num_skipped=skipped,
                    max_skip_ratio=self.max_skip_ratio,
                    by_kind=dict(Counter(r['kind'] for r in records)),
                    videos=records))
        return records, path

    def after_train(self, runner) -> None:
        ds = _dataset(runner.train_dataloader)
        if not hasattr(ds, 'num_faulty'):
            return
        records, _ = self._write_train_report(runner, ds)
        runner.logger.info(
            f'unreadable training videos skipped: {ds.num_skipped} times, '
            f'{len(records)} distinct' +
            (f': {_by_kind(records)}' if records else ''))

    # --------------------------------------------------- test faults
    def _prepare_eval(self, runner, loop, stage):
        ds = _dataset(loop.dataloader)
        self._check(runner, loop.dataloader, stage)
        if not hasattr(ds, 'set_test_fault_mode'):
            return
        ds.set_test_fault_mode('record')
        metrics = loop.evaluator.metrics
        if not any(isinstance(m, VideoFaultReport) for m in metrics):
            metrics.insert(0, VideoFaultReport())

    def _finish_eval(self, runner, loop, stage, metrics, policy):
        report = next((m for m in loop.evaluator.metrics
                       if isinstance(m, VideoFaultReport)), None)
        if report is None or not report.failed:
            return
        failed = report.failed
        size = len(loop.dataloader.dataset)
        path = osp.join(runner.work_dir, REPORT_FILE)
        if is_main_process():
            path = _update_report(
                runner.work_dir, stage,
                dict(
                    num_samples=size,
                    num_unreadable=len(failed),
                    policy=policy,
                    videos=failed))
        names = [f'{r["filename"]} ({r["reason"]})' for r in failed]
        shown = {k: round(float(v), 6) for k, v in (metrics or {}).items()}
        summary = (f'{len(failed)} of {size} {stage} videos could not be '
                   f'read: {_shorten(names, 20)}. Full list: {path}')
        if policy == 'fail':
            raise UnreadableTestVideosError(
                f'{summary}. With them counted as wrong predictions the '
                f'metrics would be {shown}; to report those, rerun with '
                f'tools/test.py --count-unreadable-as-wrong (or '
                f'ViFiDataCheckHook(test_faults="count_wrong")).')
        runner.logger.warning(
            f'{summary}. They are counted as wrong predictions in {shown} '
            f'(denominator {size}).')

    def before_val(self, runner) -> None:
        self._prepare_eval(runner, runner.val_loop, 'val')

    def before_test(self, runner) -> None:
        self._prepare_eval(runner, runner.test_loop, 'test')

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._finish_eval(runner, runner.val_loop, 'val', metrics,
                          self.val_faults)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._finish_eval(runner, runner.test_loop, 'test', metrics,
                          self.test_faults)
