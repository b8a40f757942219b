"""Architectures by name, and CLIP weights read from every supported layout.

All weight files are written here from a tiny seeded CLIP; nothing is
downloaded.
"""
import copy
import hashlib
import os.path as osp
import warnings

import pytest
import torch
from open_clip.model import resize_pos_embed
from vifi_testing import (TINY_ARCH, CodeOnUnpickle, deterministic_init_,
                          make_tiny_clip)

from vifi_mmaction.models import (CLIPWeightsError, ViFiCLIPBackbone,
                                  ViFiTextHead, build_clip,
                                  load_clip_state_dict, resolve_arch)

NAMES = ['archery', 'juggling balls']


# ------------------------------------------------------------ architectures
@pytest.mark.parametrize('name, open_clip_name',
                         [('ViT-B/32', 'ViT-B-32'), ('ViT-B/16', 'ViT-B-16'),
                          ('ViT-L/14', 'ViT-L-14'),
                          ('ViT-L/14@336px', 'ViT-L-14-336')])
def test_openai_names_use_quick_gelu(name, open_clip_name):
    cfg = resolve_arch(name)
    assert cfg['quick_gelu'] is True
    assert cfg['openai_name'] == name
    assert cfg['open_clip_name'] == open_clip_name


def test_open_clip_names_follow_their_config():
    cfg = resolve_arch('ViT-B-16')
    assert cfg['quick_gelu'] is False
    assert cfg['openai_name'] is None
    assert cfg['embed_dim'] == 512 and cfg['vision_cfg']['patch_size'] == 16
    assert resolve_arch('ViT-B-16-quickgelu')['quick_gelu'] is True
    assert resolve_arch('ViT-B-16', quick_gelu=True)['quick_gelu'] is True
    assert resolve_arch('ViT-B/16', quick_gelu=False)['quick_gelu'] is False


def test_unknown_name_lists_known_ones():
    with pytest.raises(KeyError) as e:
        resolve_arch('ViT-Z/99')
    msg = str(e.value)
    assert 'ViT-Z/99' in msg
    for known in ('ViT-B/32', 'ViT-B/16', 'ViT-L/14', 'ViT-L/14@336px'):
        assert known in msg
    with pytest.raises(TypeError):
        resolve_arch(16)


def test_dict_arch_is_copied_and_defaults_to_quick_gelu():
    arch = copy.deepcopy(TINY_ARCH)
    del arch['quick_gelu']
    cfg = resolve_arch(arch)
    assert cfg['quick_gelu'] is True and cfg['openai_name'] is None
    cfg['vision_cfg']['width'] = 1
    assert arch['vision_cfg']['width'] == 64  # caller's dict untouched
    assert 'quick_gelu' not in arch
    with pytest.raises(KeyError, match='text_cfg'):
        resolve_arch(dict(embed_dim=8, vision_cfg={}))


def test_build_clip_activation_and_image_size():
    from open_clip.transformer import QuickGELU
    quick = build_clip(copy.deepcopy(TINY_ARCH))
    gelu = build_clip(copy.deepcopy(TINY_ARCH), quick_gelu=False)
    act = quick.visual.transformer.resblocks[0].mlp.gelu
    assert isinstance(act, QuickGELU)
    assert not isinstance(gelu.visual.transformer.resblocks[0].mlp.gelu,
                          QuickGELU)
    big = build_clip(copy.deepcopy(TINY_ARCH), image_size=64)
    assert big.visual.positional_embedding.shape == (65, 64)
    assert all(p.dtype == torch.float32 for p in quick.parameters())


# ----------------------------------------------------------- weight files
@pytest.fixture(scope='module')
def source():
    """A tiny CLIP with distinctive weights (LayerNorms included)."""
    clip = make_tiny_clip(11)
    deterministic_init_(clip, 11)
    with torch.no_grad():
        clip.logit_scale.fill_(3.25)
    return clip


def _openai_state(clip):
    return {k: v.clone() for k, v in clip.state_dict().items()}


@pytest.fixture(scope='module')
def jit_file(source, tmp_path_factory):
    """An OpenAI-style TorchScript archive: fp16, with the extra
    ``input_resolution``/``context_length``/``vocab_size`` entries."""
    clip = copy.deepcopy(source)
    del clip.context_length, clip.vocab_size
    clip.register_buffer('input_resolution', torch.tensor(32))
    clip.register_buffer('context_length', torch.tensor(77))
    clip.register_buffer('vocab_size', torch.tensor(49408))
    example = (torch.randn(1, 3, 32, 32), torch.zeros(1, 77, dtype=torch.long))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        traced = torch.jit.trace_module(
            clip, dict(forward=example), check_trace=False).half()
        path = str(tmp_path_factory.mktemp('jit') / 'ViT-tiny.pt')
        torch.jit.save(traced, path)
    return path


def _write(fmt, source, tmp_path):
    state = _openai_state(source)
    if fmt == 'openai_fp16':
        path = tmp_path / 'clip_fp16.pt'
        torch.save(
            {
                k: v.half() if v.is_floating_point() else v
                for k, v in state.items()
            }, path)
    elif fmt == 'module_prefix':
        path = tmp_path / 'clip_ddp.pth'
        torch.save({'module.' + k: v for k, v in state.items()}, path)
    elif fmt == 'wrapped':
        path = tmp_path / 'clip_wrapped.pth'
        torch.save({'state_dict': state, 'epoch': 3}, path)
    elif fmt == 'safetensors':
        from safetensors.torch import save_file
        path = tmp_path / 'clip.safetensors'
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    else:
        raise ValueError(fmt)
    return str(path)


def _assert_loaded(backbone, head, source, fp16):

    def expect(t):
        return t.half().float() if fp16 else t

    ref = source.state_dict()
    visual = backbone.visual.state_dict()
    assert visual
    for k, v in visual.items():
        torch.testing.assert_close(
            v, expect(ref['visual.' + k]), rtol=0, atol=0)
    text = head.text.state_dict()
    assert 'transformer.resblocks.1.attn.in_proj_weight' in text
    for k, v in text.items():
        assert v.dtype == torch.float32
        torch.testing.assert_close(v, expect(ref[k]), rtol=0, atol=0)
    torch.testing.assert_close(
        head.logit_scale.detach(), expect(ref['logit_scale']), rtol=0, atol=0)


def _towers(path, **kwargs):
    backbone = ViFiCLIPBackbone(
        arch=copy.deepcopy(TINY_ARCH), pretrained=path, **kwargs)
    head = ViFiTextHead(
        class_names=NAMES,
        arch=copy.deepcopy(TINY_ARCH),
        pretrained=path,
        **kwargs)
    backbone.init_weights()
    head.init_weights()
    return backbone, head


@pytest.mark.parametrize(
    'fmt', ['openai_fp16', 'module_prefix', 'wrapped', 'safetensors'])
def test_state_dict_layouts_load_into_both_towers(fmt, source, tmp_path):
    path = _write(fmt, source, tmp_path)
    backbone, head = _towers(path)
    _assert_loaded(backbone, head, source, fp16=fmt == 'openai_fp16')
    state = load_clip_state_dict(path)
    assert not any(k.startswith('module.') for k in state)
    assert all(v.dtype == torch.float32 for v in state.values()
               if v.is_floating_point())


def test_openai_torchscript_archive(jit_file, source):
    state = load_clip_state_dict(jit_file)
    for key in ('input_resolution', 'context_length', 'vocab_size'):
        assert key not in state
    assert state['visual.conv1.weight'].dtype == torch.float32
    backbone, head = _towers(jit_file)
    _assert_loaded(backbone, head, source, fp16=True)


def test_loaded_towers_reproduce_open_clip(jit_file, source):
    backbone, head = _towers(jit_file)
    ref = copy.deepcopy(source).half().float().eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            backbone.eval()(x), ref.visual(x), rtol=0, atol=1e-5)


def test_head_init_weights_drops_cached_text(source, tmp_path):
    path = _write('wrapped', source, tmp_path)
    head = ViFiTextHead(
        class_names=NAMES, arch=copy.deepcopy(TINY_ARCH),
        pretrained=path).eval()
    x = torch.randn(2, 32)
    with torch.no_grad():
        before = head(x)
        head.init_weights()
        after = head(x)
        fresh = ViFiTextHead(
            class_names=NAMES, arch=copy.deepcopy(TINY_ARCH), pretrained=path)
        fresh.init_weights()
        expected = fresh.eval()(x)
    assert (before - after).abs().max() > 1e-3
    torch.testing.assert_close(after, expected)


def test_no_pretrained_leaves_random_weights():
    torch.manual_seed(0)
    backbone = ViFiCLIPBackbone(arch=copy.deepcopy(TINY_ARCH))
    before = copy.deepcopy(backbone.state_dict())
    backbone.init_weights()
    for k, v in backbone.state_dict().items():
        assert torch.equal(v, before[k])


# ------------------------------------------------------------------ errors
def test_wrong_layout_names_file_and_missing_keys(tmp_path):
    path = str(tmp_path / 'resnet.pth')
    torch.save({
        'conv1.weight': torch.zeros(3),
        'fc.bias': torch.zeros(2)
    }, path)
    backbone = ViFiCLIPBackbone(arch=copy.deepcopy(TINY_ARCH), pretrained=path)
    with pytest.raises(CLIPWeightsError) as e:
        backbone.init_weights()
    msg = str(e.value)
    assert path in msg and 'missing' in msg and 'conv1.weight' in msg
    head = ViFiTextHead(
        class_names=NAMES, arch=copy.deepcopy(TINY_ARCH), pretrained=path)
    with pytest.raises(CLIPWeightsError) as e:
        head.init_weights()
    assert path in str(e.value) and 'ln_final.weight' in str(e.value)
    assert 'missing 29 keys' in str(e.value)  # all text-tower keys


def test_text_only_file_fails_for_the_backbone(source, tmp_path):
    path = str(tmp_path / 'text_only.pt')
    torch.save(
        {
            k: v
            for k, v in source.state_dict().items()
            if not k.startswith('visual.')
        }, path)
    head = ViFiTextHead(
        class_names=NAMES, arch=copy.deepcopy(TINY_ARCH), pretrained=path)
    head.init_weights()  # the text tower is all there
    backbone = ViFiCLIPBackbone(arch=copy.deepcopy(TINY_ARCH), pretrained=path)
    with pytest.raises(CLIPWeightsError, match='missing'):
        backbone.init_weights()


def test_head_needs_logit_scale(source, tmp_path):
    path = str(tmp_path / 'no_scale.pt')
    torch.save(
        {
            k: v
            for k, v in source.state_dict().items() if k != 'logit_scale'
        }, path)
    head = ViFiTextHead(
        class_names=NAMES, arch=copy.deepcopy(TINY_ARCH), pretrained=path)
    with pytest.raises(CLIPWeightsError, match='logit_scale'):
        head.init_weights()


def test_other_architecture_reports_shapes(tmp_path):
    arch = copy.deepcopy(TINY_ARCH)
    arch['vision_cfg']['patch_size'] = 16  # 2x2 grid: 5 positions, not 17
    path = str(tmp_path / 'other.pt')
    torch.save(build_clip(arch).state_dict(), path)
    backbone = ViFiCLIPBackbone(arch=copy.deepcopy(TINY_ARCH), pretrained=path)
    with pytest.raises(CLIPWeightsError, match='conv1.weight has shape'):
        backbone.init_weights()


@pytest.mark.parametrize('content', [[1, 2, 3], {'a': 1}, torch.zeros(2)])
def test_non_state_dict_content_is_refused(tmp_path, content):
    path = str(tmp_path / 'odd.pt')
    torch.save(content, path)
    with pytest.raises(CLIPWeightsError, match='expected a CLIP state dict'):
        load_clip_state_dict(path)


def test_missing_file_says_how_to_get_weights(tmp_path):
    path = str(tmp_path / 'ViT-B-16.pt')
    with pytest.raises(FileNotFoundError) as e:
        load_clip_state_dict(path, arch='ViT-B/16')
    msg = str(e.value)
    assert path in msg
    assert 'https://' in msg and 'ViT-B-16.pt' in msg  # the OpenAI URL
    assert 'open_clip:openai' in msg
    backbone = ViFiCLIPBackbone(arch=copy.deepcopy(TINY_ARCH), pretrained=path)
    with pytest.raises(FileNotFoundError, match='open_clip:openai'):
        backbone.init_weights()


def test_sha256_is_checked_before_reading(source, tmp_path):
    path = _write('wrapped', source, tmp_path)
    with open(path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert load_clip_state_dict(path, sha256=digest.upper())
    bad = '0' * 64
    with pytest.raises(CLIPWeightsError) as e:
        load_clip_state_dict(path, sha256=bad)
    assert 'SHA-256' in str(e.value) and digest in str(e.value)
    assert path in str(e.value)
    backbone = ViFiCLIPBackbone(
        arch=copy.deepcopy(TINY_ARCH), pretrained=path, sha256=bad)
    with pytest.raises(CLIPWeightsError, match='does not match'):
        backbone.init_weights()
    _towers(path, sha256=digest)  # the right digest loads


def test_malicious_pickle_is_refused_without_running(tmp_path):
    marker = str(tmp_path / 'pwned')
    path = str(tmp_path / 'ViT-B-16.pt')
    torch.save(
        {
            'state_dict': {
                'visual.proj': torch.zeros(1)
            },
            'payload': CodeOnUnpickle(marker)
        }, path)
    with pytest.raises(CLIPWeightsError) as e:
        load_clip_state_dict(path)
    msg = str(e.value)
    assert path in msg and 'refused' in msg and 'code execution' in msg
    backbone = ViFiCLIPBackbone(arch=copy.deepcopy(TINY_ARCH), pretrained=path)
    with pytest.raises(CLIPWeightsError, match='refused'):
        backbone.init_weights()
    assert not osp.exists(marker)


def test_open_clip_tags_need_a_named_arch_and_a_known_tag():
    with pytest.raises(CLIPWeightsError, match='named architecture'):
        load_clip_state_dict('open_clip:openai', arch=copy.deepcopy(TINY_ARCH))
    with pytest.raises(CLIPWeightsError, match='no pretrained tag'):
        load_clip_state_dict('open_clip:no_such_tag', arch='ViT-B/16')


# ----------------------------------------------------- positional embedding
def test_positional_embedding_is_resized_to_image_size(source, tmp_path):
    path = _write('wrapped', source, tmp_path)
    backbone = ViFiCLIPBackbone(
        arch=copy.deepcopy(TINY_ARCH), pretrained=path, image_size=64)
    backbone.init_weights()
    pos = backbone.visual.positional_embedding.detach()
    src = source.visual.positional_embedding.detach()
    assert src.shape == (17, 64) and pos.shape == (65, 64)  # 4x4 -> 8x8 grid
    torch.testing.assert_close(pos[0], src[0], rtol=0, atol=0)  # class token
    expected = {'visual.positional_embedding': src.clone()}
    resize_pos_embed(expected, backbone)  # open_clip's own resizing
    torch.testing.assert_close(pos, expected['visual.positional_embedding'])
    # the resized grid interpolates the source: corners stay close
    grid = pos[1:].view(8, 8, 64)
    assert (grid - grid.mean()).abs().max() > 0
    with torch.no_grad():
        assert backbone.eval()(torch.randn(1, 3, 2, 64, 64)).shape == \
            (1, 2, 32)
    # the rest of the tower is loaded unchanged
    torch.testing.assert_close(
        backbone.visual.conv1.weight,
        source.visual.conv1.weight,
        rtol=0,
        atol=0)


def test_resnet_architecture_is_refused_by_name():
    with pytest.raises(KeyError, match='ResNet image tower'):
        resolve_arch('RN50')
