"""2 CPU processes (gloo) x batch 2 == 1 process x batch 4, step for step."""
import os
import subprocess
import sys

import torch
from vifi_testing import (REPO_ROOT, free_port, synthetic_train_config,
                          trained_weight_diffs)


def _train(tmp_path, data, batch, procs):
    cfg = tmp_path / f'cfg_{procs}.py'
    cfg.write_text(synthetic_train_config(data, batch))
    work = tmp_path / f'work_{procs}'
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, PYTHONWARNINGS='ignore',
               PYTHON=sys.executable, PORT=str(free_port()))
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
