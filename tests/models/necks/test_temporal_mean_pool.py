"""ViFiTemporalMeanPool: mean over time, mmaction's neck protocol."""
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
