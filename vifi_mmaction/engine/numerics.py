"""Stop training on a non-finite loss, naming the last good checkpoint."""
import math
import os.path as osp
from typing import Optional

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

__all__ = ['ViFiNonFiniteLossHook', 'NonFiniteLossError', 'last_checkpoint']


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or Inf."""


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``work_dir/last_checkpoint`` names, if it exists."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer, encoding='utf-8', errors='replace') as f:
        path = f.read().strip()
    return path if path and osp.isfile(path) else None


def _value(v) -> Optional[float]:
    if torch.is_tensor(v):
        return float(v.detach().float().mean()) if v.numel() else None
    if isinstance(v, (int, float)):
        return float(v)
    return None


@HOOKS.register_module()
class ViFiNonFiniteLossHook(Hook):
    """Stop at the first iteration whose loss is NaN or Inf.

    Runs after every training iteration, before the checkpoint hook (which
    has the lowest priority), so the diverged weights are never saved and
    the previous checkpoint, which :class:`ViFiCheckpointHook` keeps until a
    newer one is complete, stays the last good one. With several processes
    the flag is all-reduced, so every rank stops at the same iteration with
    the same message instead of the others waiting for the failed one.

    With fp16 AMP a gradient overflow is not a non-finite *loss*: the loss
    scaler skips that step and lowers the scale. ``min_loss_scale`` (off by
    default) also stops the run when the scale falls below it, i.e. when
    even heavily down-scaled gradients keep overflowing.

    Args:
        min_loss_scale (float, optional): stop when an AMP loss scaler's
            scale drops below this.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, min_loss_scale: Optional[float] = None):
        self.min_loss_scale = min_loss_scale

    def _stop(self, runner, what: str) -> None:
        ckpt = last_checkpoint(runner.work_dir)
        where = (f'the last good checkpoint is {ckpt} (kept); resume from it '
                 f'with tools/train.py CONFIG --resume {ckpt} after fixing '
                 f'the cause (learning rate, data, fp16 range)'
                 if ckpt else 'no checkpoint was written before it')
        raise NonFiniteLossError(
            f'{what} at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}); training stopped, {where}')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        bad = {}
        for key, v in (outputs or {}).items():
            if 'loss' not in key:
                continue
            x = _value(v)
            if x is not None and not math.isfinite(x):
                bad[key] = x
        flag = torch.tensor([1.0 if bad else 0.0])
        if get_world_size() > 1:
            all_reduce(flag, op='sum')
        if bad:
            shown = ', '.join(f'{k}={v}' for k, v in bad.items())
            self._stop(runner, f'non-finite loss ({shown})')
        if float(flag) > 0:
            self._stop(runner, 'non-finite loss on another rank')
        if self.min_loss_scale is not None:
            scaler = getattr(runner.optim_wrapper, 'loss_scaler', None)
            if scaler is not None and scaler.is_enabled() and \
                    scaler.get_scale() < self.min_loss_scale:
                self._stop(
                    runner, f'fp16 loss scale collapsed to '
                    f'{scaler.get_scale():g} (< {self.min_loss_scale:g}'
                    f'; every step overflows)')
