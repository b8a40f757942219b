"""Mixed precision that also runs on the CPU (bf16).

mmengine's ``AmpOptimWrapper`` refuses to be built without a GPU/NPU/MLU/MUSA
device, although ``torch.autocast('cpu', dtype=torch.bfloat16)`` works and is
how CPU-only machines run mixed precision. ``ViFiAmpOptimWrapper`` is that
wrapper unchanged on an accelerator, and bf16 autocast on the CPU.
"""
from typing import Optional, Union

import torch
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.optim import AmpOptimWrapper, OptimWrapper

__all__ = ['ViFiAmpOptimWrapper', 'has_amp_device']


def has_amp_device() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can be built here."""
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


def _as_dtype(dtype: Union[str, torch.dtype, None]) -> Optional[torch.dtype]:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in ('float16', 'bfloat16'):
        raise ValueError(f'ViFiAmpOptimWrapper: dtype={dtype!r}; expected '
                         f"'float16', 'bfloat16' or None")
    return getattr(torch, dtype)


@OPTIM_WRAPPERS.register_module()
class ViFiAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` that falls back to nothing: bf16 on the CPU.

    With an accelerator this is mmengine's wrapper as is (fp16 autocast by
    default, dynamic loss scaling). On a CPU-only machine it runs bf16
    autocast (``dtype`` None or ``'bfloat16'``); fp16 there is refused with
    a one-line error, as CPU autocast only supports bf16. bf16 keeps fp32's
    exponent range, so no loss scaling is needed on the CPU: the loss scaler
    is a disabled ``torch.amp.GradScaler`` (``loss_scale`` is ignored there)
    and ``backward``/``step``/``state_dict`` stay mmengine's code.

    Args:
        loss_scale: as in ``AmpOptimWrapper`` (accelerators only).
        dtype: ``'float16'``, ``'bfloat16'``, a torch dtype or None (fp16 on
            an accelerator, bf16 on the CPU).
        use_fsdp: as in ``AmpOptimWrapper``.
        **kwargs: ``OptimWrapper`` arguments (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = None,
                 use_fsdp: bool = False,
                 **kwargs):
        if has_amp_device():
            super().__init__(loss_scale=loss_scale, dtype=dtype,
                             use_fsdp=use_fsdp, **kwargs)
            return
        dtype = _as_dtype(dtype)
        if dtype not in (None, torch.bfloat16):
            raise ValueError(
                f'ViFiAmpOptimWrapper: dtype={dtype} needs a GPU; CPU '
                f"autocast supports only dtype='bfloat16'")
        # AmpOptimWrapper.__init__ asserts an accelerator: set its state here
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)
        self.cast_dtype = torch.bfloat16
