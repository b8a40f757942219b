"""Each rank draws its own augmentation and Mixup/CutMix, reproducibly.

2 CPU processes (gloo, ``tools/dist_train.sh``) train the tiny model on
generated videos with random frame sampling, random crops and
Mixup/CutMix; ``RecordRankDraws`` (a test hook, ``vifi_testing.hooks``)
records every rank's draws (see its docstring). Checked:

* A (default config, per-rank seeds as the official ``SEED + rank``):
  the ranks' Mixup/CutMix draws differ at every iteration, and the same
  sample (dataset index 0) is augmented differently on each rank;
* B resumes A from the middle of epoch 2 (``iter_3.pth``): every rank
  repeats A's draws exactly from there on;
* C = A's first epoch with ``--same-rank-seed``: the ranks draw alike, so
  the differences in A come from the rank.
"""
import json
import os.path as osp

import pytest
from vifi_testing import REPO_ROOT, run_tool

# trains 2 processes, 3 times
pytestmark = [pytest.mark.slow, pytest.mark.multiprocess]

_CONFIG = '''
_base_ = "@ROOT@/configs/quickstart/vifi-clip_tiny_synthetic.py"
data = "@DATA@"
train_pipeline = [
    dict(type="ViFiDecordInit"),
    dict(type="ViFiSampleFrames", num_frames=4),
    dict(type="ViFiDecordDecode"),
    dict(type="Resize", scale=(-1, 36)),
    dict(type="RandomCrop", size=32),
    dict(type="FormatShape", input_format="NCTHW"),
    dict(type="PackActionInputs",
         meta_keys=("img_shape", "filename", "frame_inds", "crop_bbox")),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        ann_file=data + "/base_train.txt",
        class_names=data + "/base_labels.csv",
        data_prefix=dict(video=data + "/videos"),
        pipeline=train_pipeline))
model = dict(
    cls_head=dict(class_names=data + "/base_labels.csv"),
    data_preprocessor=dict(blending=dict(
        type="RandomBatchAugment",
        augments=[dict(type="MixupBlending", alpha=0.8, num_classes=8),
                  dict(type="CutmixBlending", alpha=1.0, num_classes=8)])))
train_cfg = dict(max_epochs=2, val_begin=3)
param_scheduler = [dict(type="ViFiWarmupCosineLR", warmup=0, begin=0, end=2,
                        by_epoch=True, convert_to_iter_based=True)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=3, save_best=None,
                    max_keep_ckpts=3))
custom_imports = dict(imports=["vifi_mmaction", "vifi_testing.hooks"],
                      allow_failed_imports=False)
custom_hooks = [
    dict(type="ViFiDataCheckHook"),
    dict(type="ViFiExactResumeHook"),
    dict(type="RecordRankDraws"),
]
'''
ITERS_PER_EPOCH = 2  # 16 videos, 2 ranks x 4 clips
RESUME_AT = 3  # iter_3.pth: 1 batch into epoch 2


def _train(cfg, work, *extra):
    run_tool('bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work,
             '--no-validate', *extra)


def _draws(work):
    """``[rank][kind] -> {iter or epoch: record}``."""
    out = []
    for rank in range(2):
        by_kind = dict(batch={}, blend={}, probe={})
        with open(osp.join(work, f'draws_rank{rank}.jsonl')) as f:
            for line in f:
                r = json.loads(line)
                key = r.pop('epoch') if r['kind'] == 'probe' else \
                    r.pop('iter')
                by_kind[r.pop('kind')][key] = r
        out.append(by_kind)
    return out


def test_ranks_draw_their_own_and_repeat_after_resume(synthetic_data,
                                                      tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        _CONFIG.replace('@ROOT@', REPO_ROOT).replace('@DATA@', synthetic_data))
    work_a, work_b, work_c = (tmp_path / n for n in 'abc')

    _train(cfg, work_a)
    a = _draws(work_a)
    iters = range(2 * ITERS_PER_EPOCH)
    for rank in range(2):
        assert sorted(a[rank]['blend']) == list(iters)
        assert sorted(a[rank]['probe']) == [0, 1]
    for it in iters:  # Mixup/CutMix: choice, lambda, permutation, box
        assert a[0]['blend'][it] != a[1]['blend'][it], it
    for epoch in (0, 1):  # the same clip, augmented on each rank
        p0, p1 = a[0]['probe'][epoch], a[1]['probe'][epoch]
        assert p0['file'] == p1['file']
        assert p0 != p1, epoch
    # the ranks split each epoch's clips (shared order, DistributedSampler)
    for epoch in (0, 1):
        files = [
            c['file'] for rank in range(2)
            for it in range(epoch * ITERS_PER_EPOCH, (epoch + 1) *
                            ITERS_PER_EPOCH)
            for c in a[rank]['batch'][it]['clips']
        ]
        assert len(set(files)) == 16

    _train(cfg, work_b, '--resume', str(work_a / f'iter_{RESUME_AT}.pth'))
    b = _draws(work_b)
    for rank in range(2):
        for kind in ('batch', 'blend'):
            assert sorted(b[rank][kind]) == list(range(RESUME_AT, 4))
            for it in range(RESUME_AT, 4):
                assert b[rank][kind][it] == a[rank][kind][it], (rank, it)
        assert b[rank]['probe'] == {1: a[rank]['probe'][1]}

    _train(cfg, work_c, '--same-rank-seed', '--cfg-options',
           'train_cfg.max_epochs=1')
    c = _draws(work_c)
    for it in range(ITERS_PER_EPOCH):
        assert c[0]['blend'][it] == c[1]['blend'][it], it
    assert c[0]['probe'][0] == c[1]['probe'][0]
