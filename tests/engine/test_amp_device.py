"""ViFiAmpOptimWrapper as built on a GPU, with a fake CUDA device.

The recipe's optimizer wrapper (configs/_base_/schedules/
adamw_warmup-cosine_10e.py) is built as on a GPU machine: mmengine's
``AmpOptimWrapper`` with fp16 and a dynamic ``GradScaler('cuda')``. Its
scaling of the loss then runs on the fake device (``vifi_testing.devices``).
What needs a CUDA runtime (backward, the scaler's inf check in ``step``,
which reads one flag back by design) is left to tools/gpu_check.py.
"""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, build_optim_wrapper
from mmengine.optim.optimizer import amp_optimizer_wrapper
from vifi_testing import REPO_ROOT
from vifi_testing.devices import FakeCUDA, cuda_autocast, is_fake_cuda

from vifi_mmaction.engine import amp

pytestmark = pytest.mark.device

SCHEDULE = f'{REPO_ROOT}/configs/_base_/schedules/adamw_warmup-cosine_10e.py'


@pytest.fixture
def gpu_machine(monkeypatch):
    """What the wrapper and its scaler check for a CUDA device says yes."""
    monkeypatch.setattr(amp, 'has_amp_device', lambda: True)
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    monkeypatch.setattr(torch.cuda.amp.common, 'amp_definitely_not_available',
                        lambda: False)


def test_recipe_wrapper_scales_the_fp16_loss_on_the_device(gpu_machine):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.GELU(), torch.nn.Linear(16, 4))
    cfg = Config.fromfile(SCHEDULE).optim_wrapper
    with FakeCUDA():
        model.to('cuda')  # as the runner: the model first, then its wrapper
        wrapper = build_optim_wrapper(model, cfg)
        assert isinstance(wrapper, amp.ViFiAmpOptimWrapper)
        assert isinstance(wrapper, AmpOptimWrapper)
        assert wrapper.cast_dtype == torch.float16  # the recipe's default
        assert wrapper.loss_scaler.is_enabled()  # dynamic loss scaling
        x = torch.randn(5, 8, device='cuda')
        y = torch.tensor([0, 1, 2, 3, 0]).to('cuda')
        with cuda_autocast(wrapper.cast_dtype):
            logits = model(x)
            loss = F.cross_entropy(logits, y)
        scaled = wrapper.loss_scaler.scale(loss)
    assert logits.dtype == torch.float16 and loss.dtype == torch.float32
    for t in (logits, loss, scaled, wrapper.loss_scaler._scale):
        assert is_fake_cuda(t)
    assert scaled.dtype == torch.float32 and scaled.shape == ()
