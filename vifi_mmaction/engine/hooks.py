"""Runner hooks: class-count consistency and skipped-video accounting."""
import json
import os.path as osp

from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..datasets.video_dataset import check_class_count

__all__ = ['ViFiDataCheckHook']


def _dataset(loader):
    ds = getattr(loader, 'dataset', None)
    while ds is not None and hasattr(ds, 'dataset'):  # dataset wrappers
        ds = ds.dataset
    return ds


@HOOKS.register_module()
class ViFiDataCheckHook(Hook):
    """Fail fast on class-count mismatches; report skipped videos.

    Before training/validation/testing, the number of classes of each
    dataset must equal the head's (``val``/``test`` only when the head's
    class set was not changed on purpose, which is why the check compares
    counts, not names). After training, the number of unreadable videos
    skipped is logged and written to ``<work_dir>/skipped_videos.json``.
    """

    priority = 'VERY_HIGH'

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
        check_class_count(classes, names, f'{stage} dataset ({src})')

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader, 'train')

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_dataloader, 'val')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_dataloader, 'test')

    def after_train(self, runner) -> None:
        ds = _dataset(runner.train_dataloader)
        skipped = getattr(ds, 'num_skipped', None)
        if skipped is None:
            return
        runner.logger.info(f'unreadable training videos skipped: {skipped}')
        with open(osp.join(runner.work_dir, 'skipped_videos.json'), 'w') as f:
            json.dump(dict(num_skipped=skipped, num_samples=len(ds)), f)
