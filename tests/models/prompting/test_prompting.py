"""Bridge and prompt: deep vision/language prompts on a frozen ViFi-CLIP
(the configs/prompting configs: tests/configs/test_prompting_configs.py).

CPU only, tiny CLIP (configs/_base_/models/vifi-clip_tiny.py: 2 layers per
tower, width 64, 32 px images with 8 px patches).
"""
import copy
import re

import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner, load_checkpoint
from torch.utils.data import DataLoader
from vifi_testing import TINY_MODEL_CONFIG

import vifi_mmaction  # noqa: F401
from vifi_mmaction.models import (PromptBridgeError, ViFiCLIPBackbone,
                                  ViFiPromptedCLIPBackbone,
                                  ViFiPromptedTextHead, ViFiRecognizer,
                                  ViFiTextHead, tokenize_prompts)
from vifi_mmaction.models.text_encoder import clip_tokenizer

register_all_modules()

TINY = Config.fromfile(TINY_MODEL_CONFIG).tiny_clip_arch.to_dict()
CLASSES = ['run', 'jump rope', 'brush_hair']
PROMPT_PARAMS = {
    'backbone.visual_prompts.ctx', 'backbone.visual_prompts.deep_ctx.0',
    'cls_head.prompt_learner.ctx', 'cls_head.prompt_learner.deep_ctx.0'
}


def _arch(**changes):
    """TINY with ``vision_cfg``/``text_cfg`` entries changed."""
    arch = copy.deepcopy(TINY)
    for key, value in changes.items():
        tower, field = key.split('__')
        arch[tower][field] = value
    return arch


def _model_cfg(prompted=True,
               classes=CLASSES,
               arch=TINY,
               n_ctx=4,
               depth=2,
               train_towers=None):
    if prompted:
        backbone = dict(
            type='ViFiPromptedCLIPBackbone', n_ctx=n_ctx, depth=depth)
        head = dict(
            type='ViFiPromptedTextHead',
            class_names=list(classes),
            n_ctx=n_ctx,
            depth=depth,
            ctx_init='a photo of a')
    else:
        backbone = dict(type='ViFiCLIPBackbone')
        head = dict(type='ViFiTextHead', class_names=list(classes))
    return dict(
        type='ViFiRecognizer',
        clip=dict(arch=copy.deepcopy(arch), pretrained=None),
        train_towers=train_towers or ('prompts' if prompted else 'both'),
        backbone=backbone,
        neck=dict(type='ViFiTemporalMeanPool'),
        cls_head=head,
        data_preprocessor=dict(
            type='ActionDataPreprocessor', format_shape='NCTHW'))


def _build(seed=0, **kwargs):
    torch.manual_seed(seed)
    return MODELS.build(_model_cfg(**kwargs))


def _clips(n=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 3, 2, 32, 32, generator=g)  # [N, V, C, T, H, W]


def _batch(n=2, num_classes=3):
    g = torch.Generator().manual_seed(1)
    return dict(
        inputs=[
            torch.randint(
                0, 256, (1, 3, 2, 32, 32), generator=g, dtype=torch.uint8)
            for _ in range(n)
        ],
        data_samples=[
            ActionDataSample().set_gt_label(i % num_classes) for i in range(n)
        ])


def _save_stage1(path, model):
    """The checkpoint layout mmengine's CheckpointHook writes."""
    torch.save(dict(meta=dict(epoch=10), state_dict=model.state_dict()), path)


# --------------------------------------------------------------- positions
def test_language_prompt_positions_and_eot_pooling():
    torch.manual_seed(0)
    head = ViFiPromptedTextHead(CLASSES, arch=TINY, n_ctx=3, depth=2)
    learner, text = head.prompt_learner, head.text
    # phrase init: prompt text keeps the whole phrase; ctx = first 3 words
    assert head.prompts == [
        'a photo of a run.', 'a photo of a jump rope.',
        'a photo of a brush hair.'
    ]
    ids = clip_tokenizer().encode('a photo of')
    torch.testing.assert_close(
        learner.ctx.detach(),
        text.token_embedding.weight[ids].detach(),
        rtol=0,
        atol=0)
    # EOT pooling index follows the full tokenized prompt
    eot = head.class_tokens.argmax(dim=-1)
    expected = [1 + len(clip_tokenizer().encode(p)) for p in head.prompts]
    assert eot.tolist() == expected
    assert head.class_tokens.shape[1] == max(expected) + 1

    # reference: full 77-token context, explicit splicing at positions 1..3
    with torch.no_grad():
        full = tokenize_prompts(head.prompts, 77)  # [K, 77]
        x = text.token_embedding(full).clone()
        x[:, 1:4] = learner.ctx
        x = x + text.positional_embedding
        for i, block in enumerate(text.transformer.resblocks):
            if i == 1:
                x = x.clone()
                x[:, 1:4] = learner.deep_ctx[0]
            x = block(x, attn_mask=text.attn_mask)
        x = text.ln_final(x)
        ref = x[torch.arange(3), full.argmax(-1)] @ text.text_projection
        torch.testing.assert_close(head.encode_classes(), ref)

        # the deep vectors really replace the block-1 input
        before = head.encode_classes()
        learner.deep_ctx[0].add_(1.0)
        assert not torch.allclose(head.encode_classes(), before)


def test_language_prompts_random_init_uses_placeholders():
    torch.manual_seed(0)
    head = ViFiPromptedTextHead(CLASSES, arch=TINY, n_ctx=16, depth=9)
    assert head.depth == 2  # deeper than the tower: every layer
    assert head.prompts[0] == ' '.join(['X'] * 16) + ' run.'
    x_id = clip_tokenizer().encode('X')
    assert len(x_id) == 1
    assert (head.class_tokens[:, 1:17] == x_id[0]).all()
    assert head.prompt_learner.init_token_ids is None
    for p in head.prompt_parameters():
        assert p.shape == (16, 64)
        assert 0.015 < p.std().item() < 0.025
    with pytest.raises(ValueError, match='fewer than'):
        ViFiPromptedTextHead(CLASSES, arch=TINY, n_ctx=4, ctx_init='a dog')


def test_vision_prompt_positions():
    torch.manual_seed(0)
    backbone = ViFiPromptedCLIPBackbone(arch=TINY, n_ctx=3, depth=2)
    prompts, visual = backbone.visual_prompts, backbone.visual
    for p in backbone.prompt_parameters():
        assert p.shape == (3, 64)
    frames = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        x = visual.conv1(frames).flatten(2).transpose(1, 2)  # [2, 16, 64]
        cls = visual.class_embedding.expand(2, 1, -1)
        x = torch.cat([cls, x], 1) + visual.positional_embedding
        x = torch.cat([x, prompts.ctx.expand(2, -1, -1)], 1)  # after pos
        x = visual.ln_pre(x)  # [2, 1 + 16 + 3, 64]
        for i, block in enumerate(visual.transformer.resblocks):
            if i == 1:
                x = x.clone()
                x[:, -3:] = prompts.deep_ctx[0]
            x = block(x)
        ref = visual.ln_post(x[:, 0]) @ visual.proj
        torch.testing.assert_close(backbone.forward_frames(frames), ref)
        clip = frames.view(1, 2, 3, 32, 32).transpose(1, 2)  # [1, C, T, H, W]
        torch.testing.assert_close(backbone(clip), ref.view(1, 2, -1))

    # gradient checkpointing gives the same features and prompt gradients
    ckpt = ViFiPromptedCLIPBackbone(
        arch=TINY, n_ctx=3, depth=2, grad_checkpointing=True)
    ckpt.load_state_dict(backbone.state_dict())
    for model in (backbone, ckpt):
        model.zero_grad()
        model.forward_frames(frames).sum().backward()
    torch.testing.assert_close(ckpt.visual_prompts.deep_ctx[0].grad,
                               backbone.visual_prompts.deep_ctx[0].grad)


# -------------------------------------------------------------- reduction
@pytest.mark.parametrize('n_ctx,depth', [(0, 9), (4, 0)])
def test_no_prompts_reduces_to_unprompted_model(n_ctx, depth):
    plain = _build(seed=0, prompted=False)
    prompted = _build(seed=1, n_ctx=n_ctx, depth=depth, train_towers='both')
    assert prompted.backbone.visual_prompts is None
    assert prompted.cls_head.prompt_learner is None
    assert set(prompted.state_dict()) == set(plain.state_dict())
    prompted.load_state_dict(plain.state_dict())
    prompted.eval()
    plain.eval()
    clips = _clips()
    with torch.no_grad():
        assert torch.equal(
            prompted.backbone(clips[:, 0]), plain.backbone(clips[:, 0]))
        assert torch.equal(prompted.cls_head.class_embeddings(),
                           plain.cls_head.class_embeddings())
        out_p = prompted(clips, mode='tensor', stage='head')  # [N, K]
        out_u = plain(clips, mode='tensor', stage='head')
    assert out_p.shape == (2, 3)
    assert torch.equal(out_p, out_u)
    # the head's standalone classes are the unprompted ones too
    assert isinstance(prompted.cls_head, ViFiTextHead)
    assert isinstance(prompted.backbone, ViFiCLIPBackbone)
    assert prompted.cls_head.prompts == plain.cls_head.prompts


# ------------------------------------------------------------ trainability
def test_trainable_set_is_only_prompts():
    model = _build()
    assert isinstance(model, ViFiRecognizer)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == PROMPT_PARAMS
    assert not model.cls_head.logit_scale.requires_grad
    # CLIP keys are the unprompted ones; prompts are the only additions
    plain_keys = set(_build(prompted=False).state_dict())
    assert set(model.state_dict()) - plain_keys == PROMPT_PARAMS
    assert plain_keys <= set(model.state_dict())
    # no class-dependent tensor is saved
    assert not [
        k for k in model.state_dict()
        if 'class_tokens' in k or ('token_' in k and 'prompt' in k)
    ]
    with pytest.raises(ValueError, match="'prompts' needs prompted"):
        _build(prompted=False, train_towers='prompts')


def test_one_training_step_changes_only_prompts():
    model = _build()
    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-3)))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    losses = model.train_step(_batch(), optim)
    assert torch.isfinite(losses['loss'])
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == PROMPT_PARAMS


def test_class_cache_follows_prompt_updates():
    model = _build()
    head = model.cls_head.eval()
    with torch.no_grad():
        first = head.class_embeddings()
        assert head.class_embeddings() is first  # cached
        head.prompt_learner.ctx.add_(0.5)
        assert not torch.allclose(head.class_embeddings(), first)


# ------------------------------------------------ save / load / resume
class _Clips(torch.utils.data.Dataset):

    def __init__(self, n=4):
        self.batch = _batch(n)

    def __len__(self):
        return len(self.batch['inputs'])

    def __getitem__(self, i):
        return dict(
            inputs=self.batch['inputs'][i],
            data_samples=self.batch['data_samples'][i])


def _runner(work_dir, max_iters, **kwargs):
    loader = DataLoader(
        _Clips(), batch_size=2, shuffle=False, collate_fn=pseudo_collate)
    return Runner(
        model=_model_cfg(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        optim_wrapper=dict(
            optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-3)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            by_epoch=False)),
        randomness=dict(seed=0),
        default_scope='mmaction',
        log_level='WARNING',
        **kwargs)


def _prompts(model):
    return {
        k: v.detach().clone()
        for k, v in model.state_dict().items() if k in PROMPT_PARAMS
    }


@pytest.mark.slow
def test_save_load_and_resume_keep_prompts(tmp_path):
    straight = _runner(tmp_path / 'a', max_iters=2)
    straight.train()
    final = _prompts(straight.model)
    ckpt1 = str(tmp_path / 'a' / 'iter_1.pth')
    ckpt2 = str(tmp_path / 'a' / 'iter_2.pth')

    state = torch.load(ckpt1, map_location='cpu', weights_only=False)
    assert PROMPT_PARAMS <= set(state['state_dict'])
    assert not any('class_tokens' in k for k in state['state_dict'])
    # Adam state exists exactly for the four prompt tensors
    assert len(state['optimizer']['state']) == len(PROMPT_PARAMS)

    # plain load of the final checkpoint into a freshly built model
    fresh = _build(seed=123)
    load_checkpoint(fresh, ckpt2, map_location='cpu')
    for k, v in _prompts(fresh).items():
        assert torch.equal(v, final[k]), k

    # resume after iteration 1 (prompts + optimizer + scheduler state) and
    # finish: same prompts as the uninterrupted run
    resumed = _runner(
        tmp_path / 'b', max_iters=2, resume=True, load_from=ckpt1)
    resumed.train()
    for k, v in _prompts(resumed.model).items():
        torch.testing.assert_close(v, final[k])


# ------------------------------------------------------------------ bridge
def test_bridge_checkpoint_loads_with_new_classes(tmp_path):
    stage1 = _build(seed=1, prompted=False, classes=['a', 'b', 'c'])
    path = str(tmp_path / 'stage1.pth')
    state = stage1.state_dict()
    # class-dependent tensors other implementations save: ignored
    state['cls_head.prompt_learner.token_prefix'] = torch.zeros(3, 1, 64)
    state['cls_head.prompt_learner.token_suffix'] = torch.zeros(3, 72, 64)
    state['cls_head.class_tokens'] = torch.zeros(3, 8, dtype=torch.long)
    torch.save(dict(meta=dict(), state_dict=state), path)

    new_classes = ['walk', 'swim', 'ride bike', 'climb', 'eat']
    model = _build(seed=2, classes=new_classes)
    load_checkpoint(model, path, map_location='cpu')
    own = model.state_dict()
    for key, value in stage1.state_dict().items():
        assert torch.equal(own[key], value), key
    # ctx starts from the phrase embedded with the stage-1 token embedding
    ids = clip_tokenizer().encode('a photo of a')
    emb = stage1.cls_head.text.token_embedding.weight
    assert torch.equal(model.cls_head.prompt_learner.ctx.detach(),
                       emb[ids].detach())
    head = model.cls_head
    assert head.class_names == new_classes and head.num_classes == 5
    assert head.class_tokens.shape[0] == 5
    model.eval()
    with torch.no_grad():
        out = model(_clips(), mode='tensor', stage='head')  # [N, K]
    assert out.shape == (2, 5) and torch.isfinite(out).all()


@pytest.mark.parametrize('changes,pattern', [
    (dict(vision_cfg__width=96), r'backbone\.visual\.conv1\.weight'),
    (dict(text_cfg__layers=3), r'unexpected .*cls_head\.text\.transformer'),
    (dict(vision_cfg__layers=1), r'missing .*backbone\.visual\.transformer'),
])
def test_arch_mismatch_gives_clear_error(tmp_path, changes, pattern):
    stage1 = _build(prompted=False, arch=_arch(**changes))
    path = str(tmp_path / 'stage1.pth')
    _save_stage1(path, stage1)
    model = _build()
    with pytest.raises(PromptBridgeError, match='does not fit') as info:
        load_checkpoint(model, path, map_location='cpu')
    assert 'arch=' in str(info.value)
    assert re.search(pattern, str(info.value))


@pytest.mark.parametrize('kwargs,pattern', [
    (dict(n_ctx=6), r'visual_prompts\.ctx: checkpoint \(4, 64\), model \(6'),
    (dict(depth=1), r'unexpected .*deep_ctx\.0'),
])
def test_prompt_shape_mismatch_gives_clear_error(tmp_path, kwargs, pattern):
    path = str(tmp_path / 'prompted.pth')
    _save_stage1(path, _build())
    model = _build(**kwargs)
    with pytest.raises(PromptBridgeError, match=pattern):
        load_checkpoint(model, path, map_location='cpu')
