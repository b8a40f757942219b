"""configs/mixing/ end to end: tools/train.py for one epoch on generated
videos, then tools/test.py from the checkpoint (fixtures in conftest.py)."""
import os.path as osp
import pickle

import pytest
import torch
from vifi_testing.mixing import ALL, PROBE, TSN, VIT

pytestmark = pytest.mark.slow  # trains every configs/mixing config


def _preds(run):
    with open(run['dump'], 'rb') as f:
        return pickle.load(f)


def _checkpoint(run):
    return torch.load(
        osp.join(run['work'], 'epoch_1.pth'),
        map_location='cpu',
        weights_only=True)


@pytest.mark.parametrize('name', ALL)
def test_trains_and_tests_every_sample(mixing_runs, name):
    run = mixing_runs[f'{name}/base']
    assert 0.0 <= run['metrics']['acc/top1'] <= 1.0
    preds = _preds(run)
    assert len(preds) == 8  # 8 base classes x 1 validation video
    for p in preds:
        assert p['pred_score'].shape == (8, )
        assert abs(float(p['pred_score'].sum()) - 1) < 1e-5


def test_open_vocab_tsn_scores_a_new_class_set_without_retraining(
        mixing_runs, synthetic_data):
    run = mixing_runs[f'{TSN}/novel']
    preds = _preds(run)
    assert len(preds) == 4  # 4 novel classes, never trained on
    assert all(p['pred_score'].shape == (4, ) for p in preds)
    assert 0.0 <= run['metrics']['acc/top1'] <= 1.0
    # the checkpoint holds no class-dependent tensors: the projection maps
    # ResNet-18's 512-d features into the tiny CLIP's 32-d text space
    state = _checkpoint(run)['state_dict']
    assert state['cls_head.proj.weight'].shape == (32, 512)
    assert not any('class_tokens' in k for k in state)


def test_linear_probe_trains_only_the_stock_head(mixing_runs):
    ckpt = _checkpoint(mixing_runs[f'{PROBE}/base'])
    # mmengine hands every parameter to AdamW; only the two of the stock
    # head (fc_cls weight and bias) got gradients and hence optimizer state
    assert len(ckpt['optimizer']['state']) == 2
    assert ckpt['state_dict']['cls_head.fc_cls.weight'].shape == (8, 32)


def test_mmpretrain_vit_uses_layer_wise_lr_decay(mixing_runs):
    groups = _checkpoint(
        mixing_runs[f'{VIT}/base'])['optimizer']['param_groups']
    # 2 ViT blocks: depths 0..3, scale 0.65 ** (3 - depth)
    scales = {g['param_name']: g['lr_scale'] for g in groups}
    assert scales['backbone.backbone.pos_embed'] == pytest.approx(0.65**3)
    assert scales['backbone.backbone.layers.0.ln1.weight'] == \
        pytest.approx(0.65**2)
    assert scales['backbone.backbone.layers.1.ffn.layers.1.weight'] == \
        pytest.approx(0.65)
    assert scales['cls_head.proj.weight'] == 1.0
    # the text tower stays frozen (train_towers='image')
    assert not any(n.startswith('cls_head.text.') for n in scales)
