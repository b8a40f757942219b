"""vifi_mmaction.convert.layout: what a source holds (its kind, its CLIP
architecture, its prompt spec) from the state dict alone."""

import pytest
import torch

import vifi_mmaction.convert as converter
from vifi_mmaction.convert.layout import openai_name
from vifi_mmaction.models import build_clip


def test_arch_inference_openai_sizes():
    """Any OpenAI-layout size: ViT-B/16 and ViT-L/14 shapes (meta tensors)."""
    from vifi_mmaction.models.clip_loader import resolve_arch
    for name in ('ViT-B/16', 'ViT-L/14'):
        with torch.device('meta'):
            state = build_clip(name).state_dict()
        arch = converter.infer_clip_arch(state, 49408)
        ref = resolve_arch(name)
        for key in ('image_size', 'patch_size', 'width', 'layers'):
            assert arch['vision_cfg'][key] == ref['vision_cfg'][key]
        assert arch['vision_cfg']['width'] // 64 == \
            ref['vision_cfg']['width'] // ref['vision_cfg'].get(
                'head_width', 64)
        for key in ('context_length', 'vocab_size', 'width', 'heads',
                    'layers'):
            assert arch['text_cfg'][key] == ref['text_cfg'][key]
        assert arch['embed_dim'] == ref['embed_dim']
        assert openai_name(arch) == name


def _prompt_state(n_ctx_t=3,
                  n_ctx_v=2,
                  depth_t=2,
                  depth_v=2,
                  k=2,
                  width_t=64,
                  width_v=128):
    st = {
        'prompt_learner.ctx': torch.zeros(n_ctx_t, width_t),
        'prompt_learner.token_prefix': torch.zeros(k, 1, width_t),
        'prompt_learner.token_suffix': torch.zeros(k, 76 - n_ctx_t, width_t)
    }
    if depth_v:
        st['visual.VPT'] = torch.zeros(n_ctx_v, width_v)
    for i in range(1, depth_v):
        st[f'visual.transformer.resblocks.{i}.VPT_shallow'] = torch.zeros(
            n_ctx_v, width_v)
    for i in range(1, depth_t):
        st[f'transformer.resblocks.{i}.VPT_shallow'] = torch.zeros(
            n_ctx_t, width_t)
    return st


def test_prompt_spec_inference():
    assert converter.infer_prompt_spec(_prompt_state()) == dict(
        n_ctx_text=3, n_ctx_vision=2, depth_text=2, depth_vision=2)
    assert converter.infer_prompt_spec(_prompt_state(16, 16, 9, 9)) == dict(
        n_ctx_text=16, n_ctx_vision=16, depth_text=9, depth_vision=9)
    assert converter.infer_prompt_spec(_prompt_state(4, 0, 1, 0)) == dict(
        n_ctx_text=4, n_ctx_vision=0, depth_text=1, depth_vision=0)
    bad = _prompt_state(3, 2, 4, 2)
    del bad['transformer.resblocks.2.VPT_shallow']
    with pytest.raises(converter.ConversionError, match='blocks 1..depth-1'):
        converter.infer_prompt_spec(bad)
    # detection and key splitting from the official names
    official = {
        'prompt_learner.ctx': torch.zeros(3, 64),
        'image_encoder.VPT': torch.zeros(2, 128),
        'image_encoder.transformer.resblocks.1.VPT_shallow':
        torch.zeros(2, 128),
        'text_encoder.transformer.resblocks.1.VPT_shallow': torch.zeros(3, 64),
        'image_encoder.conv1.weight': torch.zeros(1)
    }
    assert converter.detect_mode(official) == 'prompting'
    clip, prompt = converter.split_official_state(official)
    assert list(clip) == ['visual.conv1.weight']
    assert set(prompt) == {
        'prompt_learner.ctx', 'visual.VPT',
        'visual.transformer.resblocks.1.VPT_shallow',
        'transformer.resblocks.1.VPT_shallow'
    }
