"""A fake CUDA device on a machine without one, for device-placement tests.

Inside :class:`FakeCUDA`, every tensor placed on ``'cuda'`` (created with
``device='cuda'``, moved with ``.to('cuda')`` / ``.cuda()``, or computed
from such tensors) is a ``FakeTensor``: shapes, dtypes and devices are
tracked, no data exists and no GPU is needed. Host tensors stay real, so
host-side bookkeeping (NumPy draws, ``torch.randperm`` in Mixup/CutMix,
tokenised prompts) runs as usual.

What fails, as it would on a GPU or worse:

* an operation mixing a fake CUDA tensor with a host tensor of one or more
  dimensions (``FakeTensorDeviceMismatchError``; zero-dimensional host
  tensors are allowed, as CUDA kernels allow them);
* reading a device value on the host (``bool(t.any())``, ``.item()``,
  ``.tolist()``, ``.cpu().numpy()``): ``DataDependentOutputException`` or
  an error of the CUDA runtime that is not there. On a GPU these would be
  device syncs in the hot path.

Autograd's backward and CUDA autocast need a CUDA runtime;
:func:`cuda_autocast` turns the autocast dispatch on for fake tensors.
"""
import contextlib

import torch
from torch._subclasses.fake_tensor import (DataDependentOutputException,
                                           FakeTensor,
                                           FakeTensorDeviceMismatchError,
                                           FakeTensorMode)
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

__all__ = [
    'FakeCUDA', 'cuda_autocast', 'is_fake_cuda', 'HOST_DEVICE_ERRORS',
    'HOST_READ_ERRORS'
]

#: What mixing a host tensor into fake CUDA work raises.
HOST_DEVICE_ERRORS = (FakeTensorDeviceMismatchError, )
#: What reading a fake CUDA value on the host raises.
HOST_READ_ERRORS = (DataDependentOutputException, )


def _is_cuda(obj) -> bool:
    if isinstance(obj, str):
        return obj.startswith('cuda')
    return isinstance(obj, torch.device) and obj.type == 'cuda'


def is_fake_cuda(t) -> bool:
    """Whether ``t`` is a tensor on the fake CUDA device."""
    return isinstance(t, FakeTensor) and t.device.type == 'cuda'


class FakeCUDA(TorchFunctionMode):
    """Run the enclosed code with ``'cuda'`` tensors faked (see module).

    Example::

        with FakeCUDA():
            model.to('cuda')
            x = torch.zeros(2, 3, device='cuda')
            x * torch.ones(3)  # FakeTensorDeviceMismatchError
    """

    def __init__(self) -> None:
        super().__init__()
        # non-fake inputs are host tensors: converted, then device-checked
        self.fake_mode = FakeTensorMode(allow_non_fake_inputs=True)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        leaves = pytree.arg_tree_leaves(*args, **kwargs)
        if func is torch.Tensor.cuda or any(
                isinstance(a, FakeTensor) or _is_cuda(a) for a in leaves):
            with self.fake_mode:
                return func(*args, **kwargs)
        return func(*args, **kwargs)


@contextlib.contextmanager
def cuda_autocast(dtype: torch.dtype = torch.float16):
    """CUDA autocast for fake CUDA tensors.

    ``torch.autocast('cuda')`` turns itself off without a CUDA runtime;
    this sets the same thread-local state directly, so the autocast
    dispatch (fp16 matmuls, fp32 reductions) applies to fake tensors.
    """
    enabled = torch.is_autocast_enabled('cuda')
    old = torch.get_autocast_dtype('cuda')
    torch.set_autocast_enabled('cuda', True)
    torch.set_autocast_dtype('cuda', dtype)
    try:
        yield
    finally:
        torch.set_autocast_enabled('cuda', enabled)
        torch.set_autocast_dtype('cuda', old)
