"""2 CPU processes (gloo) x batch 2 == 1 process x batch 4, step for step."""
import os
import subprocess
import sys

import torch
from vifi_testing import REPO_ROOT, trained_weight_diffs

CONFIG = '''
_base_ = "@ROOT@/configs/quickstart/vifi-clip_tiny_synthetic.py"
data = "@DATA@"
train_dataloader = dict(
    batch_size=@BATCH@,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="DefaultSampler", shuffle=False),
    dataset=dict(
        ann_file=data + "/base_train.txt",
        class_names=data + "/base_labels.csv",
        data_prefix=dict(video=data + "/videos"),
        pipeline={{_base_.test_pipeline}}))
model = dict(cls_head=dict(class_names=data + "/base_labels.csv"))
train_cfg = dict(max_epochs=1, val_begin=2)
param_scheduler = [dict(type="ViFiWarmupCosineLR", warmup=0, begin=0, end=1,
                        by_epoch=True, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=1, save_best=None))
'''


def _train(tmp_path, data, batch, procs):
    cfg = tmp_path / f'cfg_{procs}.py'
    cfg.write_text(
        CONFIG.replace('@ROOT@', REPO_ROOT).replace('@DATA@', data).replace(
            '@BATCH@', str(batch)))
    work = tmp_path / f'work_{procs}'
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, PYTHONWARNINGS='ignore',
               PYTHON=sys.executable, PORT='29561')
    if procs == 1:
        cmd = [sys.executable, 'tools/train.py', str(cfg)]
    else:
        cmd = ['bash', 'tools/dist_train.sh', str(cfg), str(procs)]
    proc = subprocess.run(cmd + ['--work-dir', str(work), '--no-validate'],
                          cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    ckpt = torch.load(work / 'epoch_1.pth', map_location='cpu',
                      weights_only=True)
    return ckpt['state_dict']


def test_two_gloo_processes_match_one_process(tmp_path):
    data = str(tmp_path / 'data')
    subprocess.run([
        sys.executable, 'tools/data/make_synthetic_dataset.py', data,
        '--train-per-class', '2', '--val-per-class', '1', '--frames', '8'
    ], cwd=REPO_ROOT, check=True, capture_output=True)
    single = _train(tmp_path, data, batch=4, procs=1)
    dist = _train(tmp_path, data, batch=2, procs=2)
    diffs = trained_weight_diffs(single, dist)
    worst = max(diffs, key=diffs.get)
    assert diffs[worst] < 1e-5, (worst, diffs[worst])
