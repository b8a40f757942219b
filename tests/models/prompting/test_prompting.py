"""Bridge and prompt as a whole: deep vision/language prompts on a frozen
ViFi-CLIP (the configs/prompting configs:
tests/configs/test_prompting_configs.py) reduce to the plain model without
prompts, train only the prompts, and keep them through save, load and
resume. The pieces: test_vision_prompts.py, test_language_prompts.py,
test_bridge.py (helpers in ``vifi_testing.prompting``).
"""
import pytest
import torch
from mmaction.utils import register_all_modules
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner, load_checkpoint
from torch.utils.data import DataLoader
from vifi_testing.prompting import (PROMPT_PARAMS, build_model, labelled_batch,
                                    model_cfg, random_clips)

import vifi_mmaction  # noqa: F401
from vifi_mmaction.models import ViFiCLIPBackbone, ViFiRecognizer, ViFiTextHead

register_all_modules()


@pytest.mark.parametrize('n_ctx,depth', [(0, 9), (4, 0)])
def test_no_prompts_reduces_to_unprompted_model(n_ctx, depth):
    plain = build_model(seed=0, prompted=False)
    prompted = build_model(
        seed=1, n_ctx=n_ctx, depth=depth, train_towers='both')
    assert prompted.backbone.visual_prompts is None
    assert prompted.cls_head.prompt_learner is None
    assert set(prompted.state_dict()) == set(plain.state_dict())
    prompted.load_state_dict(plain.state_dict())
    prompted.eval()
    plain.eval()
    clips = random_clips()
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
    model = build_model()
    assert isinstance(model, ViFiRecognizer)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == PROMPT_PARAMS
    assert not model.cls_head.logit_scale.requires_grad
    # CLIP keys are the unprompted ones; prompts are the only additions
    plain_keys = set(build_model(prompted=False).state_dict())
    assert set(model.state_dict()) - plain_keys == PROMPT_PARAMS
    assert plain_keys <= set(model.state_dict())
    # no class-dependent tensor is saved
    assert not [
        k for k in model.state_dict()
        if 'class_tokens' in k or ('token_' in k and 'prompt' in k)
    ]
    with pytest.raises(ValueError, match="'prompts' needs prompted"):
        build_model(prompted=False, train_towers='prompts')


def test_one_training_step_changes_only_prompts():
    model = build_model()
    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-3)))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    losses = model.train_step(labelled_batch(), optim)
    assert torch.isfinite(losses['loss'])
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == PROMPT_PARAMS


def test_class_cache_follows_prompt_updates():
    model = build_model()
    head = model.cls_head.eval()
    with torch.no_grad():
        first = head.class_embeddings()
        assert head.class_embeddings() is first  # cached
        head.prompt_learner.ctx.add_(0.5)
        assert not torch.allclose(head.class_embeddings(), first)


# ------------------------------------------------ save / load / resume
class _Clips(torch.utils.data.Dataset):

    def __init__(self, n=4):
        self.batch = labelled_batch(n)

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
        model=model_cfg(),
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
    fresh = build_model(seed=123)
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
