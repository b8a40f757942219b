"""Sharded training: FlexibleRunner + ViFiFSDPStrategy (torch FSDP).

On the CPU, with 2 gloo processes started by ``tools/dist_train.sh``:
FSDP training of the tiny ViFi-CLIP with the strategy section of the
ViT-L/14 config (gradient checkpointing on) equals a plain 1-process run
with the same global batch, step for step; its full checkpoint resumes
(optimizer state included) and loads into a plain ``ViFiRecognizer``.
The ViT-L/14 config itself is checked on the meta device (no weights).
"""
import copy
import math
import os.path as osp
import re

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import FUNCTIONS, STRATEGIES
from mmengine.runner import load_checkpoint
from open_clip.transformer import ResidualAttentionBlock
from torch.distributed.fsdp import StateDictType
from vifi_testing import (QUICKSTART_CONFIG, REPO_ROOT, make_cfg,
                          rank_equivalence_atol, run_tool,
                          trained_weight_diffs, write_cfg)

from vifi_mmaction.engine.sharding import (promote_scalar_parameters,
                                           resolve_fsdp_device_id)

L14_CONFIG = osp.join(
    REPO_ROOT,
    'configs/sharded/vifi-clip_vit-l14_clip-openai_fsdp-8xb4-32f_k400-rgb.py')
INIT_LOGIT_SCALE = math.log(1 / 0.07)  # open_clip's initial value


def _write_config(tmp_path, data, name, batch, sharded):
    # 16 videos: 4 iterations an epoch at global batch 4, 2 epochs; no
    # augmentation and a fixed order, so the rank count cannot matter
    cfg = make_cfg(
        data,
        epochs=2,
        batch_size=batch,
        num_frames=None,
        augment=False,
        shuffle=False)
    cfg.default_hooks.checkpoint.interval = 1
    if sharded:
        l14 = Config.fromfile(L14_CONFIG)
        # the ViT-L/14 config's runner and strategy, verbatim
        cfg.runner_type = l14.runner_type
        cfg.strategy = l14.strategy.to_dict()
        cfg.model.clip.grad_checkpointing = True
    return write_cfg(cfg, tmp_path / f'{name}.py')


def _run(*cmd):
    proc = run_tool(*cmd, timeout=300)
    return proc.stdout + proc.stderr


def _state(path):
    return torch.load(path, map_location='cpu', weights_only=True)


@pytest.mark.slow
@pytest.mark.multiprocess
def test_fsdp_on_two_cpu_processes_matches_one_process(synthetic_data,
                                                       tmp_path):
    data = synthetic_data
    plain = _write_config(tmp_path, data, 'plain', batch=4, sharded=False)
    fsdp = _write_config(tmp_path, data, 'fsdp', batch=2, sharded=True)
    single, sharded = tmp_path / 'single', tmp_path / 'sharded'

    _run('tools/train.py', plain, '--work-dir', single, '--no-validate')
    # epoch 1 sharded, then a resume from its checkpoint for epoch 2
    log = _run('bash', 'tools/dist_train.sh', fsdp, '2', '--work-dir', sharded,
               '--no-validate', '--cfg-options', 'train_cfg.max_epochs=1')
    held = re.search(r'FSDP: 5 units; this rank holds (\d+) of (\d+) ', log)
    assert held, log[-3000:]  # root + 2 image + 2 text blocks
    assert 0 < int(held[1]) < int(held[2])  # sharded, not replicated
    first = _state(sharded / 'epoch_1.pth')
    log = _run('bash', 'tools/dist_train.sh', fsdp, '2', '--work-dir', sharded,
               '--no-validate', '--resume', sharded / 'epoch_1.pth')
    assert 'resumed epoch: 1, iter: 4' in log
    second = _state(sharded / 'epoch_2.pth')

    for epoch, ckpt in ((1, first), (2, second)):
        want = _state(single / f'epoch_{epoch}.pth')['state_dict']
        got = ckpt['state_dict']
        assert got['cls_head.logit_scale'].shape == torch.Size([])
        diffs = trained_weight_diffs(want, got)
        worst = max(diffs, key=diffs.get)
        atol = rank_equivalence_atol(plain)
        assert diffs[worst] < atol, (epoch, worst, diffs[worst], atol)
        # the weights did move (the comparison is not between two inits)
        moved = abs(got['cls_head.logit_scale'].item() - INIT_LOGIT_SCALE)
        assert moved > 1e-4, (epoch, moved)
    # the checkpoint loads strictly into a plain, unsharded model
    cfg = Config.fromfile(plain)
    model = MODELS.build(cfg.model)
    load_checkpoint(
        model, str(sharded / 'epoch_2.pth'), map_location='cpu', strict=True)
    for key, value in model.state_dict().items():
        assert torch.equal(value, second['state_dict'][key]), key
    # the optimizer state is FSDP's full one: every trained parameter, by
    # name (the frozen token embedding has none)
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(second['optimizer']['state']) == trained


def test_promoted_scalars_keep_the_unsharded_state_dict():
    cfg = Config.fromfile(QUICKSTART_CONFIG)
    cfg.model.cls_head.class_names = ['a', 'b', 'c']
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(2, 3, 4, 32, 32)
    out = model.cls_head(model.neck(model.backbone(x))[0])

    assert promote_scalar_parameters(model) == ['cls_head.logit_scale']
    assert model.cls_head.logit_scale.shape == torch.Size([1])
    assert model.cls_head.logit_scale.requires_grad
    after = model.state_dict()
    assert {k: v.shape for k, v in after.items()} == \
        {k: v.shape for k, v in before.items()}
    assert torch.equal(model.cls_head(model.neck(model.backbone(x))[0]), out)
    before['cls_head.logit_scale'] = torch.tensor(3.5)
    model.load_state_dict(before, strict=True)
    assert model.cls_head.logit_scale.tolist() == [3.5]
    # not in a process group: the local rank passes through unchanged
    assert resolve_fsdp_device_id(0) == 0
    assert resolve_fsdp_device_id('cpu') == 'cpu'


def test_vit_l14_fsdp_config(tmp_path, monkeypatch):
    cfg = Config.fromfile(L14_CONFIG)
    # the official K400 recipe of the ViT-B/16 config, unchanged
    assert cfg.runner_type == 'FlexibleRunner'
    opt = cfg.optim_wrapper
    assert opt.optimizer.type == 'AdamW'
    assert opt.optimizer.lr == pytest.approx(8e-6)
    assert tuple(opt.optimizer.betas) == (0.9, 0.98)
    assert opt.optimizer.weight_decay == pytest.approx(1e-3)
    assert opt.accumulative_counts == 8
    assert cfg.train_dataloader.batch_size == 4
    sched, = cfg.param_scheduler
    assert (sched.type, sched.warmup, sched.end) == ('ViFiWarmupCosineLR', 5,
                                                     10)
    assert cfg.train_cfg.max_epochs == 10

    strategy = STRATEGIES.build(
        dict(copy.deepcopy(cfg.strategy.to_dict()), work_dir=str(tmp_path)))
    assert strategy.state_dict_type == StateDictType.FULL_STATE_DICT
    policy = FUNCTIONS.get(cfg.strategy.model_wrapper.auto_wrap_policy)

    # ViT-L/14 on the meta device: shapes only, no memory, no weights
    import vifi_mmaction.models.backbones.clip_vision as vision
    import vifi_mmaction.models.heads.text_contrastive_head as head
    from vifi_mmaction.models.clip_loader import build_clip

    def meta_clip(*args, **kwargs):
        with torch.device('meta'):
            return build_clip(*args, **kwargs)

    monkeypatch.setattr(vision, 'build_clip', meta_clip)
    monkeypatch.setattr(head, 'build_clip', meta_clip)
    model_cfg = copy.deepcopy(cfg.model.to_dict())
    model_cfg['cls_head']['class_names'] = [f'class {i}' for i in range(400)]
    model = MODELS.build(model_cfg)
    assert model.backbone.visual.transformer.grad_checkpointing
    assert model.cls_head.text.grad_checkpointing
    assert sum(p.numel() for p in model.parameters()) == 427_616_513
    wrapped = [m for m in model.modules() if policy(m, False, 0)]
    assert len(wrapped) == 36  # 24 image + 12 text blocks
    assert all(isinstance(m, ResidualAttentionBlock) for m in wrapped)
    assert policy(model, True, 0)
    assert promote_scalar_parameters(model) == ['cls_head.logit_scale']
    assert model.state_dict()['cls_head.logit_scale'].shape == torch.Size([])
