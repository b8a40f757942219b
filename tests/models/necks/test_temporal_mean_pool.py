"""ViFiTemporalMeanPool: mean over time, mmaction's neck protocol."""
import pytest
import torch
from mmaction.registry import MODELS

from vifi_mmaction.models import ViFiTemporalMeanPool


def test_mean_over_time_and_no_aux_losses():
    neck = ViFiTemporalMeanPool()
    x = torch.randn(6, 4, 32)  # [N*V, T, D]
    out, aux = neck(x)
    assert out.shape == (6, 32)
    torch.testing.assert_close(out, x.mean(dim=1))
    torch.testing.assert_close(out[0], x[0].sum(0) / 4)
    assert aux == {}


def test_accepts_data_samples_and_other_axis():
    neck = ViFiTemporalMeanPool(dim=2)
    x = torch.randn(2, 32, 5)
    out, aux = neck(x, data_samples=[object(), object()])
    torch.testing.assert_close(out, x.mean(dim=2))
    assert aux == {}


def test_built_from_registry_has_no_parameters():
    neck = MODELS.build(dict(type='ViFiTemporalMeanPool'))
    assert isinstance(neck, ViFiTemporalMeanPool)
    assert list(neck.parameters()) == []


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
