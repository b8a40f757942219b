"""Helpers for the fault suite: tiny configs, tool runs, broken videos.

Every run uses the quickstart tiny ViFi-CLIP on a generated synthetic set
(2 training videos per class). Child processes get ``tests/faults`` on
``PYTHONPATH`` so configs can import :mod:`fault_injection`.
"""
import contextlib
import copy
import glob
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import uuid
from unittest import mock

import numpy as np
import torch
from mmengine.config import Config

FAULTS_DIR = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(FAULTS_DIR))
CONFIG = osp.join(ROOT, 'configs/quickstart/vifi-clip_tiny_synthetic.py')

# the hooks of configs/_base_/default_runtime.py, for configs that append
DEFAULT_CUSTOM_HOOKS = [
    dict(type='ViFiDataCheckHook', max_skip_ratio=0.01, test_faults='fail',
         val_faults='count_wrong'),
    dict(type='ViFiExactResumeHook'),
    dict(type='ViFiNonFiniteLossHook'),
]


def child_env(extra=None):
    env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1',
               MKL_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([ROOT, FAULTS_DIR])
    env.update(extra or {})
    return env


def tool_cmd(tool, *args):
    return [sys.executable, osp.join(ROOT, tool), *map(str, args)]


def run(cmd, check=True, timeout=300, env=None):
    proc = subprocess.run(cmd, cwd=ROOT, env=child_env(env),
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f'{" ".join(cmd)} failed ({proc.returncode}):\n'
            f'{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}')
    return proc


def make_cfg(data, work_dir, *, epochs=1, val=False, iter_ckpt=None,
             extra_hooks=(), train_ann=None, val_ann=None, workers=0,
             batch_size=2, num_frames=4):
    """An in-memory Config of the tiny model on ``data``.

    4 frames per clip instead of 8 keep every step a few milliseconds.
    """
    # no yapf: mmengine formats the whole config on every checkpoint save,
    # which is most of a tiny run's time (only the text layout changes)
    cfg = Config.fromfile(CONFIG, format_python_code=False)
    labels = f'{data}/base_labels.csv'
    cfg.model.cls_head.class_names = labels
    anns = dict(train_dataloader=train_ann or f'{data}/base_train.txt',
                val_dataloader=val_ann or f'{data}/base_val.txt')
    for key, ann in anns.items():
        loader = cfg[key]
        loader.update(batch_size=batch_size, num_workers=workers,
                      persistent_workers=False)
        loader.dataset.update(ann_file=ann, class_names=labels,
                              data_prefix=dict(video=f'{data}/videos'))
        loader.dataset.pipeline[1].num_frames = num_frames
    cfg.test_dataloader = copy.deepcopy(cfg.val_dataloader)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=epochs,
                         val_begin=epochs, val_interval=epochs)
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
    cfg.custom_imports = dict(imports=['vifi_mmaction', 'fault_injection'],
                              allow_failed_imports=False)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'faults_{uuid.uuid4().hex[:10]}'
    cfg.launcher = 'none'
    return cfg


def write_cfg(cfg, path):
    """Dump an in-memory config for a tool run."""
    Config(dict(cfg)).dump(str(path))
    return str(path)


def load_tool(tool):
    """Import ``tools/<name>.py`` as a module (they are scripts)."""
    name = 'faults_tool_' + osp.splitext(osp.basename(tool))[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, tool))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@contextlib.contextmanager
def like_a_child():
    """Run a tool in this process as a ``child_env`` process would: one
    thread, and leave the global determinism switches as they were.

    Configs are read without yapf formatting (see :func:`make_cfg`).
    """
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    fromfile = Config.fromfile  # a staticmethod

    def fromfile_unformatted(filename, *args, **kwargs):
        kwargs['format_python_code'] = False
        return fromfile(filename, *args, **kwargs)

    try:
        with mock.patch.object(Config, 'fromfile',
                               staticmethod(fromfile_unformatted)):
            yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def run_inprocess(tool, *argv):
    """``tools/<tool>.py argv`` in this process (saves ~20 s of imports
    per run on a loaded 2-core box); returns what ``main`` returns."""
    with like_a_child():
        return load_tool(tool).main([str(a) for a in argv])


def run_log(work_dir):
    """Text of the newest mmengine log file under ``work_dir``."""
    logs = sorted(glob.glob(osp.join(str(work_dir), '*', '*.log')),
                  key=osp.getmtime)
    assert logs, f'no log file under {work_dir}'
    with open(logs[-1], encoding='utf-8') as f:
        return f.read()


# ------------------------------------------------------------ bad videos
def make_bad_videos(data, out_dir, good_rel):
    """Copies of one good video broken in each way the dataset reports.

    Returns ``{kind: path relative to data/videos}``; ``missing`` is not
    created. ``short`` (2 frames) is readable: it is there to show that a
    clip shorter than the sampled frame count is not a fault.
    """
    from vifi_testing import write_video
    vids = osp.join(data, 'videos')
    bad = osp.join(vids, out_dir)
    os.makedirs(bad, exist_ok=True)
    src = osp.join(vids, good_rel)
    with open(src, 'rb') as f:
        blob = f.read()
    rel = {}

    def put(kind, data_bytes):
        name = f'{out_dir}/{kind}.mp4'
        with open(osp.join(vids, name), 'wb') as f:
            f.write(data_bytes)
        rel[kind] = name

    put('empty', b'')
    put('truncated', blob[:len(blob) // 2])
    put('corrupt', np.random.RandomState(0).bytes(4096))  # not a video
    rel['missing'] = f'{out_dir}/missing.mp4'
    # not a fault: fewer frames than a clip samples, looped as official
    write_video(osp.join(vids, out_dir, 'short.mp4'), num_frames=2)
    rel['short'] = f'{out_dir}/short.mp4'
    return rel
