"""Tiny training configs on the synthetic dataset.

One builder, :func:`make_cfg`, for every run of the quickstart tiny
ViFi-CLIP (in-process runners, tool runs, exact comparisons);
:func:`data_opts` and :func:`epochs_opts` point the unmodified quickstart
config at a dataset from the command line instead. The configs/mixing
models at test size are in :mod:`vifi_testing.mixing`.
"""
import copy
import os.path as osp
import uuid

from mmengine.config import Config

from .paths import QUICKSTART_CONFIG, REPO_ROOT

# the hooks of configs/_base_/default_runtime.py, for configs that append
DEFAULT_CUSTOM_HOOKS = Config.fromfile(
    osp.join(REPO_ROOT, 'configs', '_base_',
             'default_runtime.py')).to_dict()['custom_hooks']

# the paper configs' training pipeline (configs/_base_/datasets/
# video_32f_224.py) at the tiny model's 4 frames of 32 px
_TINY_STEPS = {
    'ViFiSampleFrames': dict(num_frames=4),
    'Resize': dict(scale=(-1, 36)),
    'MultiScaleCrop': dict(input_size=32),
    'ViFiDeferredAugment': dict(size=32),
}
DEFERRED_PIPELINE = [
    dict(step, **_TINY_STEPS.get(step['type'], {}))
    for step in Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                 'video_32f_224.py')).to_dict()['train_pipeline']
]


def make_cfg(data,
             work_dir=None,
             *,
             epochs=1,
             val=False,
             iter_ckpt=None,
             extra_hooks=(),
             train_ann=None,
             val_ann=None,
             workers=0,
             batch_size=2,
             num_frames=4,
             augment=True,
             shuffle=True):
    """An in-memory Config of the quickstart tiny model on ``data``.

    Args:
        data: folder written by ``tools/data/make_synthetic_dataset.py``.
        work_dir: the run's work dir (``None``: left to the tool).
        epochs: length of the run and of its cosine schedule.
        val: keep the validation loop (once, after the last epoch).
        iter_ckpt: checkpoint every that many iterations instead of at
            the end.
        extra_hooks: custom hooks after the default ones (the test hooks
            of :mod:`vifi_testing.hooks` are imported when there are any).
        train_ann, val_ann: annotation files other than the base split's.
        workers, batch_size: of both loaders.
        num_frames: frames per clip; 4 instead of the config's 8 keep
            every step a few milliseconds (``None``: the config's).
        augment: ``False`` trains on the test pipeline (no random crop or
            frame offsets), for exact comparisons across rank counts.
        shuffle: of the training sampler.
    """
    # no yapf: mmengine formats the whole config on every checkpoint save,
    # which is most of a tiny run's time (only the text layout changes)
    cfg = Config.fromfile(QUICKSTART_CONFIG, format_python_code=False)
    labels = f'{data}/base_labels.csv'
    cfg.model.cls_head.class_names = labels
    anns = dict(
        train_dataloader=train_ann or f'{data}/base_train.txt',
        val_dataloader=val_ann or f'{data}/base_val.txt')
    for key, ann in anns.items():
        loader = cfg[key]
        loader.update(
            batch_size=batch_size,
            num_workers=workers,
            persistent_workers=False)
        loader.dataset.update(
            ann_file=ann,
            class_names=labels,
            data_prefix=dict(video=f'{data}/videos'))
    if not augment:
        cfg.train_dataloader.dataset.pipeline = copy.deepcopy(
            cfg.val_dataloader.dataset.pipeline)
    if num_frames is not None:
        for key in anns:
            cfg[key].dataset.pipeline[1].num_frames = num_frames
    cfg.train_dataloader.sampler.shuffle = shuffle
    cfg.test_dataloader = copy.deepcopy(cfg.val_dataloader)
    cfg.train_cfg = dict(
        type='EpochBasedTrainLoop',
        max_epochs=epochs,
        val_begin=epochs,
        val_interval=epochs)
    cfg.param_scheduler[0].end = epochs
    if not val:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    ckpt = cfg.default_hooks.checkpoint
    if iter_ckpt:
        ckpt.update(by_epoch=False, interval=iter_ckpt)
    else:
        ckpt.update(interval=epochs)
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks = [dict(h) for h in DEFAULT_CUSTOM_HOOKS] + \
        [dict(h) for h in extra_hooks]
    # the test hooks only where a run uses them: a child process that
    # does not have the test tree on its path still reads the config
    imports = ['vifi_mmaction']
    if extra_hooks:
        imports.append('vifi_testing.hooks')
        # Runner.from_cfg(cfg) in this process reads no custom_imports
        from . import hooks  # noqa: F401
    cfg.custom_imports = dict(imports=imports, allow_failed_imports=False)
    if work_dir is not None:
        cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'vifi_test_{uuid.uuid4().hex[:10]}'
    cfg.launcher = 'none'
    return cfg


def write_cfg(cfg, path) -> str:
    """Dump an in-memory config for a tool run; returns the path."""
    Config(dict(cfg)).dump(str(path))
    return str(path)


def data_opts(data, split='base', train=True):
    """--cfg-options pointing the quickstart config at ``data``."""
    labels = f'{data}/{split}_labels.csv'
    opts = [f'model.cls_head.class_names={labels}']
    loaders = ['val_dataloader', 'test_dataloader']
    if train:
        loaders.append('train_dataloader')
    for loader in loaders:
        ann = f'{data}/base_train.txt' if loader.startswith('train') else \
            f'{data}/{split}_val.txt'
        opts += [
            f'{loader}.dataset.ann_file={ann}',
            f'{loader}.dataset.class_names={labels}',
            f'{loader}.dataset.data_prefix.video={data}/videos',
            f'{loader}.num_workers=0'
        ]
    return opts


def epochs_opts(n):
    """--cfg-options for an ``n``-epoch run, validated and saved at its
    end (and every epoch)."""
    return [
        f'train_cfg.max_epochs={n}', f'train_cfg.val_begin={n}',
        f'train_cfg.val_interval={n}', f'param_scheduler.0.end={n}',
        'default_hooks.checkpoint.interval=1'
    ]
