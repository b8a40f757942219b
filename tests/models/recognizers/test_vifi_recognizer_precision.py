"""Mixed precision, activation checkpointing and torch.compile, tiny model."""
import copy

import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from vifi_testing import TINY_ARCH


def _model(grad_checkpointing=False):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='ViFiRecognizer',
            clip=dict(arch=copy.deepcopy(TINY_ARCH)),
            backbone=dict(
                type='ViFiCLIPBackbone',
                grad_checkpointing=grad_checkpointing),
            neck=dict(type='ViFiTemporalMeanPool'),
            cls_head=dict(
                type='ViFiTextHead',
                class_names=['a b', 'c d e', 'f'],
                grad_checkpointing=grad_checkpointing,
                topk=(1, )),
            data_preprocessor=dict(
                type='ActionDataPreprocessor', format_shape='NCTHW')))


def _batch():
    torch.manual_seed(1)
    x = torch.randn(2, 1, 3, 3, 32, 32)
    return x, [ActionDataSample().set_gt_label(i) for i in (0, 2)]


def _grads(model, autocast=None):
    x, samples = _batch()
    model.train()
    with torch.autocast('cpu', dtype=autocast, enabled=autocast is not None):
        loss = model(x, samples, mode='loss')['loss_cls']
    loss.backward()
    return loss.detach().float(), {
        n: p.grad.detach().float().clone()
        for n, p in model.named_parameters() if p.grad is not None
    }


def test_bf16_autocast_forward_backward_finite_and_close():
    loss32, g32 = _grads(_model())
    loss16, g16 = _grads(_model(), autocast=torch.bfloat16)
    assert torch.isfinite(loss16)
    assert all(torch.isfinite(g).all() for g in g16.values())
    assert abs(loss16 - loss32) / loss32 < 2e-2
    assert g16.keys() == g32.keys()
    num = sum((g16[k] - g32[k]).norm()**2 for k in g32)**0.5
    den = sum(g32[k].norm()**2 for k in g32)**0.5
    assert num / den < 5e-2  # bf16 keeps ~3 significant digits


def test_grad_checkpointing_gives_identical_gradients():
    loss_a, ga = _grads(_model(False))
    loss_b, gb = _grads(_model(True))
    torch.testing.assert_close(loss_a, loss_b)
    assert ga.keys() == gb.keys()
    # both towers checkpointed
    assert any(k.startswith('backbone.') for k in ga)
    assert any(k.startswith('cls_head.text.transformer') for k in ga)
    for k in ga:
        torch.testing.assert_close(ga[k], gb[k], rtol=1e-5, atol=1e-7)


@pytest.mark.slow
def test_torch_compile_matches_eager():
    model = _model().eval()
    x, samples = _batch()
    with torch.no_grad():
        eager = model(x, samples, mode='tensor')
        compiled = torch.compile(model.backbone)(x.view((-1, ) + x.shape[2:]))
    torch.testing.assert_close(compiled, eager, rtol=1e-4, atol=1e-5)
