"""configs/mixing/: the tiny versions of every config score clips, the
train_towers switch trains the intended sets, and the full-size configs'
head widths match their backbones."""
import copy
import functools
import os.path as osp

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from vifi_testing.mixing import (ALL, MIXING, PROBE, TSN, VIT, X3D,
                                 tiny_model_cfg)

from vifi_mmaction.models import ViFiTemporalMeanPool


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
    assert _trainable(probe) == {
        'cls_head.fc_cls.weight', 'cls_head.fc_cls.bias'
    }
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
