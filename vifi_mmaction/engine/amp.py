"""Mixed precision that also runs on the CPU (bf16), or not there (fp32).

mmengine's ``AmpOptimWrapper`` refuses to be built without a GPU/NPU/MLU/MUSA
device, although ``torch.autocast('cpu', dtype=torch.bfloat16)`` works and is
how CPU-only machines run mixed precision. ``ViFiAmpOptimWrapper`` is that
wrapper unchanged on an accelerator, and bf16 autocast or plain fp32 on the
CPU (``cpu_dtype``). The paper configs use it with ``cpu_dtype='float32'``:
fp16 with dynamic loss scaling on a GPU as the official run (apex O1), fp32
on a CPU unless ``tools/train.py --amp`` asks for bf16
(:func:`resolve_amp_dtype` is the whole decision).
"""
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.optim import AmpOptimWrapper, OptimWrapper

__all__ = ['ViFiAmpOptimWrapper', 'has_amp_device', 'resolve_amp_dtype']


def has_amp_device() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can be built here."""
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


def _as_dtype(dtype: Union[str, torch.dtype, None]) -> Optional[torch.dtype]:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in ('float16', 'bfloat16'):
        raise ValueError(f'ViFiAmpOptimWrapper: dtype={dtype!r}; expected '
                         f"'float16', 'bfloat16' or None (cpu_dtype: also "
                         f"'float32')")
    return getattr(torch, dtype)


def resolve_amp_dtype(dtype: Union[str, torch.dtype, None],
                      cpu_dtype: Union[str, torch.dtype, None],
                      accelerator: bool) -> Optional[torch.dtype]:
    """The precision ``ViFiAmpOptimWrapper`` trains in.

    Args:
        dtype: autocast dtype on an accelerator (None: float16).
        cpu_dtype: on a CPU: ``'float32'`` (no autocast), ``'bfloat16'``, or
            None (as ``dtype``; None there means bfloat16). CPU autocast has
            no float16: asking for it is a one-line error.
        accelerator: whether a GPU/NPU/MLU/MUSA is present
            (:func:`has_amp_device`).

    Returns:
        torch.dtype | None: the autocast dtype; None: fp32, autocast off.
    """
    if accelerator:
        return _as_dtype(dtype) or torch.float16
    if cpu_dtype in ('float32', torch.float32):
        return None
    chosen = _as_dtype(dtype if cpu_dtype is None else cpu_dtype)
    if chosen not in (None, torch.bfloat16):
        raise ValueError(
            f'ViFiAmpOptimWrapper: dtype={chosen} needs a GPU; CPU '
            f"autocast supports only dtype='bfloat16'")
    return torch.bfloat16


@OPTIM_WRAPPERS.register_module()
class ViFiAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` that also builds on the CPU: bf16 or fp32 there.

    With an accelerator this is mmengine's wrapper as is (fp16 autocast by
    default, ``dtype='bfloat16'`` for bf16; dynamic loss scaling). On a
    CPU-only machine it runs bf16 autocast, or no autocast at all with
    ``cpu_dtype='float32'`` (:func:`resolve_amp_dtype`); fp16 there is
    refused with a one-line error, as CPU autocast only supports bf16. bf16
    keeps fp32's exponent range, so no loss scaling is needed on the CPU:
    the loss scaler is a disabled ``torch.amp.GradScaler`` (``loss_scale``
    is ignored there) and ``backward``/``step``/``state_dict`` stay
    mmengine's code, so a checkpoint resumes on either kind of machine.

    Args:
        loss_scale: as in ``AmpOptimWrapper`` (accelerators only).
        dtype: ``'float16'``, ``'bfloat16'``, a torch dtype or None (fp16 on
            an accelerator).
        cpu_dtype: ``'float32'``, ``'bfloat16'`` or None (as ``dtype``,
            bf16 when that is None): the precision on a CPU-only machine.
        use_fsdp: as in ``AmpOptimWrapper``.
        **kwargs: ``OptimWrapper`` arguments (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = None,
                 cpu_dtype: Union[str, torch.dtype, None] = None,
                 use_fsdp: bool = False,
                 **kwargs):
        if has_amp_device():
            super().__init__(
                loss_scale=loss_scale,
                dtype=dtype,
                use_fsdp=use_fsdp,
                **kwargs)
            self.autocast = True
            return
        cast = resolve_amp_dtype(dtype, cpu_dtype, accelerator=False)
        # AmpOptimWrapper.__init__ asserts an accelerator: set its state here
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)
        self.cast_dtype = cast
        self.autocast = cast is not None

    @contextmanager
    def optim_context(self, model):
        """``AmpOptimWrapper``'s context; without autocast when fp32."""
        if self.autocast:
            with super().optim_context(model):
                yield
        else:
            with OptimWrapper.optim_context(self, model):
                yield
