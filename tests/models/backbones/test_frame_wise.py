"""Building blocks of configs/mixing/: the frame-wise backbone wrapper, the
pooling neck over several axes, the trainable sets of the train_towers
switch, and the configs' feature widths at full size."""
import copy
import functools
import os.path as osp

import pytest
import torch
from mixing_utils import ALL, MIXING, PROBE, TSN, VIT, X3D, tiny_model_cfg
from mmaction.registry import MODELS
from mmengine.config import Config

from vifi_mmaction.models import ViFiFrameWiseBackbone, ViFiTemporalMeanPool


@functools.lru_cache(maxsize=None)
def _shared_model(name, train_towers=None):
    """A tiny model shared by the tests that do not change it."""
    if train_towers is None:
        return _tiny_model(name)
    return _tiny_model(name, train_towers=train_towers)


def _tiny_model(name, **changes):
    cfg = Config.fromfile(osp.join(MIXING, name))
    cfg.merge_from_dict(dict(model=tiny_model_cfg(name)))
    model_cfg = cfg.model.to_dict()
    if name != PROBE:
        model_cfg['cls_head']['class_names'] = ['a', 'b', 'c']
    model_cfg.update(changes)
    return MODELS.build(model_cfg)


def _trainable(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


# ------------------------------------------------------------- the wrapper
def test_frame_wise_backbone_equals_per_frame_calls():
    torch.manual_seed(0)
    wrapper = ViFiFrameWiseBackbone(
        backbone=dict(type='ResNet', depth=18, pretrained=None)).eval()
    clips = torch.randn(2, 3, 3, 32, 32)  # [N, C, T, H, W]
    with torch.no_grad():
        out = wrapper(clips)
        assert out.shape == (2, 3, 512, 1, 1)  # [N, T, C, h, w]
        for t in range(3):
            torch.testing.assert_close(out[:, t],
                                       wrapper.backbone(clips[:, :, t]))
        assert wrapper(clips[:, :, 0]).shape == (2, 512, 1, 1)
    with pytest.raises(ValueError, match=r'\[N, C, T, H, W\]'):
        wrapper(torch.randn(2, 3, 32))


def test_frame_wise_backbone_builds_mmpretrain_types_and_picks_output():
    wrapper = MODELS.build(dict(
        type='ViFiFrameWiseBackbone',
        backbone=dict(type='mmpretrain.VisionTransformer',
                      arch=dict(embed_dims=48, num_layers=2, num_heads=2,
                                feedforward_channels=96),
                      img_size=32, patch_size=8, out_type='cls_token',
                      out_indices=(0, 1))))
    assert type(wrapper.backbone).__module__.startswith('mmpretrain.')
    clips = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        last = wrapper(clips)  # out_index=-1: the last of out_indices
        wrapper.out_index = 0
        first = wrapper(clips)
    assert last.shape == first.shape == (2, 4, 48)
    assert not torch.allclose(first, last)


def test_mean_pool_over_several_axes():
    x = torch.randn(2, 48, 3, 4, 4)  # [N, C, T, h, w] from a 3D backbone
    out, aux = ViFiTemporalMeanPool(dim=(2, 3, 4))(x)
    torch.testing.assert_close(out, x.mean(dim=(2, 3, 4)))
    assert out.shape == (2, 48) and aux == {}
    neck = MODELS.build(dict(type='ViFiTemporalMeanPool', dim=[1, 3, 4]))
    assert neck.dim == (1, 3, 4)
    for bad in ((), (1, 1)):
        with pytest.raises(ValueError, match='distinct'):
            ViFiTemporalMeanPool(dim=bad)


# ---------------------------------------------------- models and switches
@pytest.mark.parametrize('name', ALL)
def test_tiny_models_score_clips(name):
    model = _shared_model(name).eval()
    inputs = torch.randn(2, 1, 3, 4, 32, 32)  # [N, V, C, T, H, W]
    with torch.no_grad():
        feats, _ = model.extract_feat(inputs, test_mode=True)
        logits = model.cls_head(feats)
    num_classes = 8 if name == PROBE else 3
    assert feats.dim() == 2 and logits.shape == (2, num_classes)


def test_linear_probe_switch_trains_exactly_the_stock_head():
    probe = _shared_model(PROBE)
    assert probe.train_towers == 'head'  # the config's default
    assert _trainable(probe) == {'cls_head.fc_cls.weight',
                                 'cls_head.fc_cls.bias'}
    full = _shared_model(PROBE, 'image')
    assert _trainable(full) == {n for n, _ in full.named_parameters()}
    assert any(n.startswith('backbone.visual.') for n in _trainable(full))


@pytest.mark.parametrize('name', [TSN, VIT, X3D])
def test_open_vocab_models_freeze_the_text_tower(name):
    model = _shared_model(name)
    names = {n for n, _ in model.named_parameters()}
    want = {n for n in names if n.startswith('backbone.')}
    want.add('cls_head.proj.weight')  # the visual -> text projection
    assert _trainable(model) == want


def test_open_vocab_tsn_changes_class_set_in_place():
    model = _tiny_model(TSN).eval()
    inputs = torch.randn(1, 1, 3, 4, 32, 32)
    with torch.no_grad():
        feats, _ = model.extract_feat(inputs, test_mode=True)
        before = model.cls_head(feats)
        model.cls_head.set_class_names(['b', 'c', 'a', 'new', 'other'])
        after = model.cls_head(feats)
    assert after.shape == (1, 5)
    torch.testing.assert_close(after[:, [2, 0, 1]], before)


# ------------------------------------------------------------ full widths
@pytest.mark.parametrize('name,channels', [(TSN, 2048), (VIT, 768),
                                           (X3D, 432)])
def test_configs_head_width_matches_the_full_size_backbone(name, channels):
    cfg = Config.fromfile(osp.join(MIXING, name))
    assert cfg.model.cls_head.in_channels == channels
    assert cfg.model.clip.arch == 'ViT-B/16'  # 512-d text space
    backbone = copy.deepcopy(cfg.model.backbone.to_dict())
    if backbone['type'] == 'ViFiFrameWiseBackbone':  # built, not run
        backbone = backbone['backbone']
        backbone['pretrained' if name == TSN else 'init_cfg'] = None
    model = MODELS.build(backbone)
    width = model.embed_dims if name == VIT else model.feat_dim
    assert width == channels
    # the neck leaves [N, C] for the feature layout of each backbone
    layout = dict([(TSN, (2, 3, channels, 7, 7)), (VIT, (2, 3, channels)),
                   (X3D, (2, channels, 3, 7, 7))])[name]
    pooled, _ = ViFiTemporalMeanPool(cfg.model.neck.get('dim', 1))(
        torch.zeros(layout))
    assert pooled.shape == (2, channels)


def test_probe_config_head_takes_the_clip_embedding():
    cfg = Config.fromfile(osp.join(MIXING, PROBE))
    assert cfg.model.cls_head.type == 'I3DHead'
    assert cfg.model.cls_head.in_channels == 512  # CLIP ViT-B/16 embed_dim
    assert cfg.model.cls_head.spatial_type is None
