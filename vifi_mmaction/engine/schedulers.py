"""The official ViFi-CLIP learning-rate schedule as an mmengine scheduler.

The official code uses timm's ``CosineLRScheduler`` stepped every iteration
with ``warmup_t`` = 5 epochs, ``warmup_lr_init=0``, ``lr_min=lr/100`` and
``t_initial`` = all iterations. Unlike mmengine's ``LinearLR`` +
``CosineAnnealingLR`` chain, the cosine is evaluated at the absolute step
(``t / t_initial``, warm-up included), so right after warm-up the rate is
already slightly below its peak. This scheduler reproduces that exactly.
"""
import math

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from mmengine.registry import PARAM_SCHEDULERS

__all__ = ['ViFiWarmupCosineLR', 'warmup_cosine_value']


def warmup_cosine_value(step: int, base: float, total: int, warmup: int,
                        min_ratio: float, warmup_init: float = 0.) -> float:
    """Learning rate at ``step`` (0-based) of the official schedule."""
    if step < warmup:
        return warmup_init + step * (base - warmup_init) / warmup
    low = base * min_ratio
    if step >= total:
        return low
    return low + 0.5 * (base - low) * (1 + math.cos(math.pi * step / total))


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
        by_epoch (bool), last_step (int), verbose (bool): as in mmengine.
    """

    def __init__(self, optimizer, warmup: int = 5, min_ratio: float = 0.01,
                 warmup_init: float = 0., begin: int = 0, end: int = INF,
                 last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False):
        if end == INF:
            raise ValueError('ViFiWarmupCosineLR needs a finite `end`')
        self.warmup = warmup
        self.min_ratio = min_ratio
        self.warmup_init = warmup_init
        super().__init__(optimizer, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch,
                         verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls, *args, warmup=5, begin=0, end=INF,
                              by_epoch=True, epoch_length=None, **kwargs):
        if not by_epoch or not epoch_length:
            raise ValueError('build_iter_from_epoch needs by_epoch=True and '
                             'a positive epoch_length')
        return cls(*args, warmup=int(warmup * epoch_length),
                   begin=int(begin * epoch_length),
                   end=int(end * epoch_length) if end != INF else end,
                   by_epoch=False, **kwargs)

    def _get_value(self) -> list:
        total = self.end - self.begin
        return [
            warmup_cosine_value(self.last_step, base, total, self.warmup,
                                self.min_ratio, self.warmup_init)
            for base in self.base_values
        ]
