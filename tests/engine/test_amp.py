"""ViFiAmpOptimWrapper: mmengine's AMP wrapper, plus bf16 on the CPU."""
import pytest
import torch
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.optim import AmpOptimWrapper

from vifi_mmaction.engine import ViFiAmpOptimWrapper, has_amp_device

pytestmark = pytest.mark.skipif(
    has_amp_device(),
    reason='the CPU path is what these tests check; on an '
    'accelerator the wrapper is mmengine AmpOptimWrapper unchanged')


def _wrapper(**kwargs):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='ViFiAmpOptimWrapper',
            optimizer=torch.optim.AdamW(model.parameters(), lr=1e-2),
            **kwargs))
    return model, wrapper


def test_mmengine_amp_wrapper_refuses_the_cpu():
    # why this class exists
    with pytest.raises(AssertionError, match='only available training on'):
        AmpOptimWrapper(
            optimizer=torch.optim.SGD([torch.nn.Parameter(torch.ones(1))],
                                      lr=1))


@pytest.mark.parametrize('dtype', [None, 'bfloat16', torch.bfloat16])
def test_cpu_runs_bf16_autocast_and_updates(dtype):
    model, wrapper = _wrapper(dtype=dtype)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    with wrapper.optim_context(model):
        assert torch.is_autocast_enabled('cpu')
        out = model(x)
        assert out.dtype == torch.bfloat16  # the linear layers ran in bf16
        loss = torch.nn.functional.cross_entropy(out.float(), y)
    wrapper.update_params(loss)
    assert not torch.is_autocast_enabled('cpu')
    for old, new in zip(before, model.parameters()):
        assert torch.isfinite(new).all()
        assert not torch.equal(old, new)
    # the parameters and optimizer state stay fp32
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_fp16_on_cpu_is_one_clear_error():
    with pytest.raises(ValueError, match="dtype=torch.float16 needs a GPU"):
        _wrapper(dtype='float16')
    with pytest.raises(ValueError, match="dtype='float32'"):
        _wrapper(dtype='float32')


def test_state_dict_round_trip_resumes_the_optimizer():
    model, wrapper = _wrapper()
    with wrapper.optim_context(model):
        loss = model(torch.randn(2, 4)).float().sum()
    wrapper.update_params(loss)
    state = wrapper.state_dict()
    assert 'loss_scaler' in state
    _, other = _wrapper()
    other.load_state_dict(state)
    moments = other.optimizer.state_dict()['state'][0]['exp_avg']
    torch.testing.assert_close(
        moments,
        wrapper.optimizer.state_dict()['state'][0]['exp_avg'])
    assert isinstance(other, ViFiAmpOptimWrapper)
