"""Two CPU processes (gloo) through ``tools/dist_train.sh``.

One run covers both distributed faults:

* validation after epoch 1 runs on 9 videos with 2 ranks (DefaultSampler
  pads to 10); the dumped predictions must hold each video exactly once, in
  dataset order;
* in epoch 2, rank 1 raises before its 2nd iteration while rank 0 goes on
  into DDP's gradient all-reduce. Every process must exit, the launcher
  non-zero, within a bounded time instead of rank 0 waiting forever.
"""
import os
import pickle
import sys
import time

import pytest
from vifi_testing import make_cfg, run_tool, write_cfg

# 2 processes through tools/dist_train.sh
pytestmark = [pytest.mark.slow, pytest.mark.multiprocess]

BOUND_S = 60  # torchrun notices a dead worker within a second or two


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(sys.platform != 'linux', reason='bash + torchrun')
def test_rank_failure_ends_every_rank_and_eval_counts_each_once(
        synthetic_data, tmp_path):
    with open(f'{synthetic_data}/base_val.txt') as f:
        val_lines = f.read().strip().splitlines()
    val_lines.append('green_sideways/train_1.mp4 2')  # 9 videos, odd
    val_ann = tmp_path / 'val9.txt'
    val_ann.write_text('\n'.join(val_lines) + '\n')
    marker = tmp_path / 'failed_at'
    dump = tmp_path / 'val_preds.pkl'
    cfg = make_cfg(
        synthetic_data,
        tmp_path / 'work',
        epochs=2,
        val=True,
        val_ann=str(val_ann),
        extra_hooks=[
            dict(
                type='FaultRaiseOnRank', rank=1, at_iter=5, marker=str(marker))
        ])
    cfg.train_cfg.update(val_begin=1, val_interval=1)
    cfg.val_dataloader.dataset.pipeline[-1].meta_keys = ('img_shape',
                                                         'filename')
    cfg.val_evaluator = [
        dict(type='AccMetric'),
        dict(type='DumpResults', out_file_path=str(dump))
    ]
    cfg_path = write_cfg(cfg, tmp_path / 'dist.py')

    proc = run_tool(
        'bash', 'tools/dist_train.sh', cfg_path, '2', check=False, timeout=400)
    ended = time.time()
    log = proc.stdout + proc.stderr

    # the failure happened where intended, and nobody waited for it
    assert marker.exists(), log[-5000:]
    assert 'injected failure on rank 1 at iteration 5' in log
    assert proc.returncode != 0
    assert ended - float(marker.read_text()) < BOUND_S
    pids = [int((tmp_path / f'failed_at.pid{r}').read_text()) for r in (0, 1)]
    assert not any(_alive(p) for p in pids), 'a rank outlived the launcher'

    # epoch-1 validation saw each of the 9 videos exactly once, in order
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    names = [
        os.path.relpath(p['filename'], f'{synthetic_data}/videos')
        for p in preds
    ]
    assert names == [line.rsplit(' ', 1)[0] for line in val_lines]
    assert [int(p['gt_label'][0]) for p in preds] == \
        [int(line.rsplit(' ', 1)[1]) for line in val_lines]
