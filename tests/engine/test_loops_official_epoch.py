"""The official epoch on 2 gloo processes (``tools/dist_train.sh``): the
train loader drops the last partial batch, an epoch has the official
``floor(floor(ceil(N / W) / B) / ACC)`` optimizer steps (the partial
accumulation window at its end discarded), clips shorter than the sampled
frame count are trained on, and resuming from an epoch's checkpoint equals
the uninterrupted run."""
import json
import os
import os.path as osp
import re

import pytest
import torch
from vifi_testing import (CLASS_NAMES, REPO_ROOT, run_tool,
                          trained_weight_diffs, write_labels_csv, write_video)

from vifi_mmaction.engine import official_steps_per_epoch

# trains 2 processes
pytestmark = [pytest.mark.slow, pytest.mark.multiprocess]

VIDEOS, RANKS, BATCH, ACC, EPOCHS = 13, 2, 2, 2, 2
FRAMES = 8  # sampled per clip
SHORT = (2, 7, 11)  # these videos have 4 frames, fewer than FRAMES

CONFIG = '''
_base_ = "{root}/configs/quickstart/vifi-clip_tiny_synthetic.py"
data = "{data}"
model = dict(cls_head=dict(class_names=data + "/labels.csv"))
train_dataloader = dict(
    batch_size={batch},
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type="DefaultSampler", shuffle=True),
    dataset=dict(
        ann_file=data + "/train.txt",
        class_names=data + "/labels.csv",
        data_prefix=dict(video=data + "/videos")))
train_cfg = dict(type="ViFiEpochBasedTrainLoop", max_epochs={epochs})
optim_wrapper = dict(accumulative_counts={acc})
param_scheduler = [dict(type="ViFiWarmupCosineLR", warmup=1, begin=0,
                        end={epochs}, by_epoch=True,
                        convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=1, save_best=None,
                                     max_keep_ckpts=3))
'''


def _dataset(root):
    os.makedirs(osp.join(root, 'videos'))
    write_labels_csv(osp.join(root, 'labels.csv'))
    lines = []
    for i in range(VIDEOS):
        name = f'v{i}.mp4'
        write_video(
            osp.join(root, 'videos', name), num_frames=4 if i in SHORT else 12)
        lines.append(f'{name} {i % len(CLASS_NAMES)}')
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def _train(config, work, *extra):
    proc = run_tool('bash', 'tools/dist_train.sh', config, str(RANKS),
                    '--work-dir', work, '--no-validate', *extra)
    return proc.stdout + proc.stderr


def _ckpt(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def _optimizer_steps(ckpt):
    return {int(s['step']) for s in ckpt['optimizer']['state'].values()}


def test_official_epoch_on_two_ranks_and_exact_resume(tmp_path):
    data = str(tmp_path / 'data')
    _dataset(data)
    config = tmp_path / 'cfg.py'
    config.write_text(
        CONFIG.format(
            root=REPO_ROOT, data=data, batch=BATCH, acc=ACC, epochs=EPOCHS))
    iters = -(-VIDEOS // RANKS) // BATCH  # 7 clips a rank: 3 batches
    steps = official_steps_per_epoch(VIDEOS, RANKS, BATCH, ACC)
    assert (iters, steps) == (3, 1)  # one iteration discarded an epoch

    full = tmp_path / 'full'
    log = _train(str(config), full)
    assert re.search(rf'Epoch\(train\) +\[2\]\[{iters}/{iters}\]', log)
    # short clips were trained on, not skipped as unreadable
    with open(full / 'skipped_videos.json') as f:
        assert json.load(f) == dict(num_skipped=0, num_samples=VIDEOS)
    for epoch in range(1, EPOCHS + 1):
        ckpt = _ckpt(full / f'epoch_{epoch}.pth')
        assert ckpt['meta']['iter'] == epoch * iters
        assert _optimizer_steps(ckpt) == {epoch * steps}
        # nothing of a window is pending at an epoch's end
        assert 'vifi_accumulated_grads' not in ckpt

    # epoch 1, then a resume for epoch 2
    part = tmp_path / 'part'
    _train(str(config), part, '--cfg-options', 'train_cfg.max_epochs=1')
    log = _train(str(config), part, '--resume', str(part / 'epoch_1.pth'))
    assert f'resumed epoch: 1, iter: {iters}' in log
    resumed = _ckpt(part / f'epoch_{EPOCHS}.pth')
    assert _optimizer_steps(resumed) == {EPOCHS * steps}
    want = _ckpt(full / f'epoch_{EPOCHS}.pth')['state_dict']
    diffs = trained_weight_diffs(want, resumed['state_dict'])
    worst = max(diffs, key=diffs.get)
    assert diffs[worst] == 0, (worst, diffs[worst])
