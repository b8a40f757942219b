"""The official ViFi-CLIP learning-rate schedule as an mmengine scheduler.

The official code uses timm's ``CosineLRScheduler`` with ``warmup_t`` = 5
epochs, ``warmup_lr_init=0``, ``lr_min=lr/100`` and ``t_initial`` = all
iterations, all counted in loader iterations (``len(train_loader)``), not
optimizer steps. Unlike mmengine's ``LinearLR`` + ``CosineAnnealingLR``
chain, the cosine is evaluated at the absolute step (``t / t_initial``,
warm-up included), so right after warm-up the rate is already slightly below
its peak.

It is updated only after an optimizer step, with that step's iteration
index: ``lr_scheduler.step_update(epoch * num_steps + idx)`` on
``(idx + 1) % ACCUMULATION_STEPS == 0``. So an optimizer step uses the rate
of the previous step's iteration (:func:`official_update_index`): lr(0)
for the first two steps without accumulation, lr(1) for the second with
two accumulation steps, and at an epoch's start the rate of the last step
of the epoch before. This scheduler, stepped every iteration by mmengine,
reproduces those values exactly.
"""
import math
from typing import Optional

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from mmengine.registry import PARAM_SCHEDULERS

__all__ = [
    'ViFiWarmupCosineLR', 'warmup_cosine_value', 'official_update_index'
]


def warmup_cosine_value(step: int,
                        base: float,
                        total: int,
                        warmup: int,
                        min_ratio: float,
                        warmup_init: float = 0.) -> float:
    """Learning rate at ``step`` (0-based) of the official schedule."""
    if step < warmup:
        return warmup_init + step * (base - warmup_init) / warmup
    low = base * min_ratio
    if step >= total:
        return low
    return low + 0.5 * (base - low) * (1 + math.cos(math.pi * step / total))


def official_update_index(step: int,
                          accumulation: int = 1,
                          epoch_length: Optional[int] = None) -> int:
    """Iteration index the official schedule was last updated with.

    The official loop calls ``step_update(epoch * epoch_length + idx)``
    after each optimizer step, i.e. after batch ``idx`` with
    ``(idx + 1) % accumulation == 0``; the accumulation window restarts
    every epoch. Before the first update the rate is lr(0).

    Args:
        step: 0-based training iteration about to run.
        accumulation: iterations per optimizer step.
        epoch_length: iterations per epoch; None: one endless epoch.

    Returns:
        int: the index whose rate is in effect at iteration ``step``.
    """
    if epoch_length is None:
        epoch, idx = 0, step
    else:
        epoch, idx = divmod(step, epoch_length)
    if idx >= accumulation:  # an update earlier in this epoch
        return epoch * (epoch_length or 0) + \
            idx // accumulation * accumulation - 1
    if epoch > 0 and epoch_length >= accumulation:  # last epoch's last one
        return (epoch - 1) * epoch_length + \
            epoch_length // accumulation * accumulation - 1
    return 0


@PARAM_SCHEDULERS.register_module()
class ViFiWarmupCosineLR(LRSchedulerMixin, _ParamScheduler):
    """Linear warm-up from ``warmup_init`` then cosine to ``base*min_ratio``.

    Args:
        optimizer: the wrapped optimizer.
        warmup (int): warm-up length, in epochs when ``by_epoch`` (converted
            to iterations with ``convert_to_iter_based=True``).
        min_ratio (float): final rate as a fraction of the base rate.
        warmup_init (float): rate at step 0.
        begin (int), end (int): the schedule's span; its length is
            ``t_initial`` of the official schedule.
        epoch_length (int, optional): iterations per epoch, where the
            accumulation window restarts (set by ``convert_to_iter_based``).
            None: the window never restarts.
        accumulative_counts (int, optional): iterations per optimizer
            step; None: the optimizer wrapper's ``accumulative_counts`` (1
            for a plain optimizer).
        by_epoch (bool), last_step (int), verbose (bool): as in mmengine.
    """

    def __init__(self,
                 optimizer,
                 warmup: int = 5,
                 min_ratio: float = 0.01,
                 warmup_init: float = 0.,
                 begin: int = 0,
                 end: int = INF,
                 epoch_length: Optional[int] = None,
                 accumulative_counts: Optional[int] = None,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False):
        if end == INF:
            raise ValueError('ViFiWarmupCosineLR needs a finite `end`')
        self.warmup = warmup
        self.min_ratio = min_ratio
        self.warmup_init = warmup_init
        self.epoch_length = epoch_length
        if accumulative_counts is None:
            accumulative_counts = getattr(optimizer, '_accumulative_counts', 1)
        self.accumulative_counts = accumulative_counts
        super().__init__(
            optimizer,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls,
                              *args,
                              warmup=5,
                              begin=0,
                              end=INF,
                              by_epoch=True,
                              epoch_length=None,
                              **kwargs):
        if not by_epoch or not epoch_length:
            raise ValueError('build_iter_from_epoch needs by_epoch=True and '
                             'a positive epoch_length')
        return cls(
            *args,
            warmup=int(warmup * epoch_length),
            begin=int(begin * epoch_length),
            end=int(end * epoch_length) if end != INF else end,
            epoch_length=epoch_length,
            by_epoch=False,
            **kwargs)

    def _get_value(self) -> list:
        total = self.end - self.begin
        step = official_update_index(self.last_step, self.accumulative_counts,
                                     self.epoch_length)
        return [
            warmup_cosine_value(step, base, total, self.warmup, self.min_ratio,
                                self.warmup_init) for base in self.base_values
        ]
