"""configs/prompting/: the 24 stage-2 configs exist, carry the official
prompt settings and schedule, and build (with a tiny CLIP) into a model
whose only trainable parameters are the prompts."""
import copy
import glob
import os.path as osp

import pytest
from mmaction.registry import MODELS
from mmengine.config import Config
from vifi_testing import REPO_ROOT, TINY_ARCH

from vifi_mmaction.models import (CLIPTextEncoder, ViFiPromptedCLIPBackbone,
                                  ViFiPromptedTextHead)

# the prompt parameters of the tiny model (both towers have 2 layers)
PROMPT_PARAMS = {
    'backbone.visual_prompts.ctx', 'backbone.visual_prompts.deep_ctx.0',
    'cls_head.prompt_learner.ctx', 'cls_head.prompt_learner.deep_ctx.0'
}
CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'configs/prompting/*.py')))


def test_prompting_config_set_is_complete():
    names = {osp.basename(c) for c in CONFIGS}
    pre = 'vifi-clip-prompt_vit-b16_k400-vifi_8xb4-32f'
    for ds in ('hmdb51', 'ucf101', 'ssv2'):
        for s in ('s1', 's2', 's3', 'novel-eval'):
            assert f'{pre}_{ds}-base2novel-{s}-rgb.py' in names
        for k in (2, 4, 8, 16):
            assert f'{pre}_{ds}-{k}shot-rgb.py' in names
    assert len(names) == 24


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_prompting_configs_build(path):
    cfg = Config.fromfile(path)
    few_shot = 'shot' in osp.basename(path)
    # official settings (full-size values, before the tiny override)
    n_ctx, depth = (10, 12) if few_shot else (16, 9)
    for part in (cfg.model.backbone, cfg.model.cls_head):
        assert (part.n_ctx, part.depth) == (n_ctx, depth)
    assert cfg.model.clip.arch == 'ViT-B/16'
    assert cfg.model.train_towers == 'prompts'
    assert cfg.optim_wrapper.optimizer.lr == (8e-3 if few_shot else 4e-2)
    assert cfg.train_cfg.max_epochs == (50 if few_shot else 11)
    assert cfg.param_scheduler[0].end == cfg.train_cfg.max_epochs
    assert cfg.optim_wrapper.accumulative_counts == 2
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.train_dataloader.dataset.pipeline[1].num_frames == 32
    assert cfg.load_from  # the stage-1 checkpoint
    assert cfg.test_dataloader.dataset.class_names == \
        cfg.model.cls_head.class_names

    cfg.model.clip.arch = copy.deepcopy(TINY_ARCH)
    cfg.model.cls_head.class_names = ['a', 'b', 'c']
    model = MODELS.build(cfg.model)
    assert isinstance(model.backbone, ViFiPromptedCLIPBackbone)
    assert isinstance(model.cls_head, ViFiPromptedTextHead)
    assert isinstance(model.cls_head.text, CLIPTextEncoder)
    assert model.backbone.n_ctx == model.cls_head.n_ctx == n_ctx
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == PROMPT_PARAMS  # depth clamped to the 2 tiny layers
