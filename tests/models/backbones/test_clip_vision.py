"""ViFiCLIPBackbone: CLIP's image encoder applied to every frame."""
import copy

import pytest
import torch
from vifi_testing import TINY_ARCH, make_tiny_clip

from vifi_mmaction.models import ViFiCLIPBackbone


def _backbone(**kwargs):
    return ViFiCLIPBackbone(arch=copy.deepcopy(TINY_ARCH), **kwargs)


def _with_visual_of(clip, **kwargs):
    backbone = _backbone(**kwargs)
    backbone.visual.load_state_dict(clip.visual.state_dict())
    return backbone


def test_clip_input_gives_per_frame_features():
    backbone = _backbone().eval()
    x = torch.randn(2, 3, 4, 32, 32)  # [B, C, T, H, W]
    with torch.no_grad():
        out = backbone(x)
    assert out.shape == (2, 4, 32)  # [B, T, D]
    assert backbone.embed_dim == 32


def test_frame_input_gives_one_feature_per_frame():
    backbone = _backbone().eval()
    with torch.no_grad():
        assert backbone(torch.randn(3, 3, 32, 32)).shape == (3, 32)


def test_frame_features_equal_open_clip_visual(tiny_clip):
    backbone = _with_visual_of(tiny_clip).eval()
    x = torch.randn(2, 3, 3, 32, 32)
    with torch.no_grad():
        out = backbone(x)
        for t in range(3):
            ref = tiny_clip.visual(x[:, :, t])  # [B, D]
            torch.testing.assert_close(out[:, t], ref, rtol=0, atol=1e-5)
        torch.testing.assert_close(
            backbone(x[:, :, 1]),
            tiny_clip.visual(x[:, :, 1]),
            rtol=0,
            atol=1e-5)
    # frames are encoded independently: changing one frame changes only it
    y = x.clone()
    y[:, :, 2] = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out_y = backbone(y)
    torch.testing.assert_close(out_y[:, :2], out[:, :2], rtol=0, atol=1e-5)
    assert (out_y[:, 2] - out[:, 2]).abs().max() > 1e-3


def test_bad_input_rank_raises():
    with pytest.raises(ValueError, match=r'\[N, C, T, H, W\]'):
        _backbone()(torch.randn(3, 32, 32))


def test_grad_checkpointing_gives_identical_gradients():
    clip = make_tiny_clip(1)
    plain = _with_visual_of(clip).train()
    ckpt = _with_visual_of(clip, grad_checkpointing=True).train()
    assert ckpt.visual.transformer.grad_checkpointing is True
    assert plain.visual.transformer.grad_checkpointing is False
    x = torch.randn(2, 3, 2, 32, 32)
    outs = []
    for model in (plain, ckpt):
        out = model(x)
        out.square().mean().backward()
        outs.append(out.detach())
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=1e-6)
    grads = dict(ckpt.named_parameters())
    checked = 0
    for name, p in plain.named_parameters():
        assert p.grad is not None, name
        torch.testing.assert_close(
            grads[name].grad, p.grad, rtol=1e-5, atol=1e-7)
        checked += 1
    assert checked == len(grads) > 10


def test_construction_reads_nothing():
    backbone = _backbone(pretrained='/nonexistent/ViT-B-16.pt')
    assert backbone.pretrained == '/nonexistent/ViT-B-16.pt'
    with pytest.raises(FileNotFoundError):
        backbone.init_weights()


def test_image_size_changes_positional_embedding():
    backbone = _backbone(image_size=64).eval()
    assert backbone.visual.positional_embedding.shape == (65, 64)
    with torch.no_grad():
        assert backbone(torch.randn(1, 3, 2, 64, 64)).shape == (1, 2, 32)
