"""Layer-wise learning-rate decay through mmpretrain's
LearningRateDecayOptimWrapperConstructor: the per-parameter learning rates
of both CLIP towers against ``lr * decay ** (num_layers - depth - 1)``."""
import copy
import re

import pytest
from mmaction.registry import MODELS
from mmengine.optim import build_optim_wrapper
from vifi_testing import TINY_ARCH, TINY_VIT

LR, DECAY = 1e-3, 0.5
VISION_BLOCKS, TEXT_BLOCKS = 3, 2  # different depths: each decays on its own


def _arch():
    arch = copy.deepcopy(TINY_ARCH)
    arch['vision_cfg']['layers'] = VISION_BLOCKS
    arch['text_cfg']['layers'] = TEXT_BLOCKS
    return arch


def _model(train_towers='both', backbone=None, head=None):
    return MODELS.build(
        dict(
            type='ViFiRecognizer',
            clip=dict(arch=_arch(), pretrained=None),
            train_towers=train_towers,
            backbone=backbone or dict(type='ViFiCLIPBackbone'),
            neck=dict(type='ViFiTemporalMeanPool'),
            cls_head=head or dict(
                type='ViFiTextHead', class_names=['a', 'b'], in_channels=48)))


def _lr_of_each_param(model):
    wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='AdamW', lr=LR, weight_decay=0.05),
            constructor='mmpretrain.LearningRateDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=DECAY)))
    lrs = {}
    for group in wrapper.optimizer.param_groups:
        assert len(group['params']) == 1
        lrs[group['param_name']] = group['lr']
    return lrs


def _expected_depth(name):
    """The mapping of the issue, written out independently of the code."""
    for tower, prefix, blocks in (('backbone.visual.', 'backbone.visual.',
                                   VISION_BLOCKS),
                                  ('cls_head.text.', 'cls_head.text.',
                                   TEXT_BLOCKS)):
        if not name.startswith(tower):
            continue
        top = blocks + 1
        m = re.match(
            re.escape(prefix) + r'transformer\.resblocks\.(\d+)\.', name)
        if m:
            return int(m.group(1)) + 1, top
        stem = name[len(prefix):].split('.')[0]
        if stem in ('conv1', 'class_embedding', 'positional_embedding',
                    'ln_pre', 'token_embedding'):
            return 0, top
        return top, top  # ln_post / proj / ln_final / text_projection
    return None, None  # logit scale, projection: base lr


def test_both_towers_follow_the_formula():
    model = _model()
    lrs = _lr_of_each_param(model)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(lrs) == trainable  # the frozen token table is left out
    assert 'cls_head.text.token_embedding.weight' not in lrs
    depths = set()
    for name, lr in lrs.items():
        depth, top = _expected_depth(name)
        if depth is None:
            assert lr == LR, name
            continue
        depths.add((name.split('.')[0], depth))
        assert lr == pytest.approx(LR * DECAY**(top - depth), rel=1e-12), name
    # every depth of both towers occurs
    assert depths == {('backbone', d) for d in range(VISION_BLOCKS + 2)} | \
        {('cls_head', d) for d in range(TEXT_BLOCKS + 2)}
    assert lrs['backbone.visual.conv1.weight'] == pytest.approx(LR * DECAY**4)
    assert lrs['backbone.visual.transformer.resblocks.2.ln_1.weight'] == \
        pytest.approx(LR * DECAY)
    assert lrs['cls_head.text.positional_embedding'] == \
        pytest.approx(LR * DECAY**3)
    assert lrs['cls_head.logit_scale'] == LR
    assert lrs['cls_head.proj.weight'] == LR


def test_prompts_and_frozen_towers():
    model = _model(
        'prompts',
        backbone=dict(type='ViFiPromptedCLIPBackbone', n_ctx=2, depth=2),
        head=dict(
            type='ViFiPromptedTextHead',
            class_names=['a', 'b'],
            n_ctx=2,
            depth=2))
    lrs = _lr_of_each_param(model)
    assert set(lrs) == {
        'backbone.visual_prompts.ctx', 'backbone.visual_prompts.deep_ctx.0',
        'cls_head.prompt_learner.ctx', 'cls_head.prompt_learner.deep_ctx.0'
    }
    assert set(lrs.values()) == {LR}  # new parameters: base learning rate


def test_mmpretrain_vit_in_the_frame_wise_wrapper():
    model = _model(
        'image',
        backbone=dict(
            type='ViFiFrameWiseBackbone',
            backbone=dict(
                type='mmpretrain.VisionTransformer',
                out_type='cls_token',
                **copy.deepcopy(TINY_VIT))))
    lrs = _lr_of_each_param(model)
    vit = 'backbone.backbone.'
    assert lrs[vit + 'cls_token'] == pytest.approx(LR * DECAY**3)
    assert lrs[vit + 'patch_embed.projection.weight'] == \
        pytest.approx(LR * DECAY**3)
    assert lrs[vit + 'layers.0.attn.qkv.weight'] == \
        pytest.approx(LR * DECAY**2)
    assert lrs[vit + 'layers.1.attn.qkv.weight'] == pytest.approx(LR * DECAY)
    assert lrs[vit + 'ln1.weight'] == LR  # final norm
    assert lrs['cls_head.proj.weight'] == LR
    assert not any(n.startswith('cls_head.text.') for n in lrs)


def test_backbone_without_layer_depths_fails_clearly():
    model = _model(
        'image',
        backbone=dict(
            type='ViFiFrameWiseBackbone',
            backbone=dict(type='ResNet', depth=18, pretrained=None)),
        head=dict(
            type='ViFiTextHead', class_names=['a', 'b'], in_channels=512))
    with pytest.raises(NotImplementedError, match='ResNet.get_layer_depth'):
        _lr_of_each_param(model)
