"""2 CPU processes (gloo) x batch 2 == 1 process x batch 4, step for step."""
import pytest
import torch
from vifi_testing import (make_cfg, rank_equivalence_atol, run_tool,
                          trained_weight_diffs, write_cfg)

# trains 1 and 2 processes
pytestmark = [pytest.mark.slow, pytest.mark.multiprocess]


def _train(tmp_path, data, batch, procs):
    # no augmentation and a fixed order, so the rank count cannot matter
    cfg = make_cfg(
        data, batch_size=batch, num_frames=None, augment=False, shuffle=False)
    cfg = write_cfg(cfg, tmp_path / f'cfg_{procs}.py')
    work = tmp_path / f'work_{procs}'
    if procs == 1:
        cmd = ['tools/train.py', cfg]
    else:
        cmd = ['bash', 'tools/dist_train.sh', cfg, str(procs)]
    run_tool(*cmd, '--work-dir', work, '--no-validate')
    ckpt = torch.load(
        work / 'epoch_1.pth', map_location='cpu', weights_only=True)
    return ckpt['state_dict']


def test_two_gloo_processes_match_one_process(synthetic_data, tmp_path):
    single = _train(tmp_path, synthetic_data, batch=4, procs=1)
    dist = _train(tmp_path, synthetic_data, batch=2, procs=2)
    diffs = trained_weight_diffs(single, dist)
    worst = max(diffs, key=diffs.get)
    atol = rank_equivalence_atol(str(tmp_path / 'cfg_1.py'))
    assert diffs[worst] < atol, (worst, diffs[worst], atol)
