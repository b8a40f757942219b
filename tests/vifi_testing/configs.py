"""Helpers for end-to-end tests that run the repo tools as subprocesses."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/quickstart/vifi-clip_tiny_synthetic.py'


def run_tool(*args, check=True, env=None, timeout=600):
    """Run a repo tool with this interpreter; return the CompletedProcess."""
    full_env = dict(os.environ, PYTHONPATH=ROOT, PYTHONWARNINGS='ignore')
    full_env.update(env or {})
    cmd = list(args)
    if cmd[0].endswith('.py'):
        cmd = [sys.executable] + cmd
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


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
        opts += [f'{loader}.dataset.ann_file={ann}',
                 f'{loader}.dataset.class_names={labels}',
                 f'{loader}.dataset.data_prefix.video={data}/videos',
                 f'{loader}.num_workers=0']
    return opts


def epochs_opts(n):
    return [f'train_cfg.max_epochs={n}', f'train_cfg.val_begin={n}',
            f'train_cfg.val_interval={n}', f'param_scheduler.0.end={n}',
            'default_hooks.checkpoint.interval=1']


