"""Pieces of the official implementation that the tests compare against."""
import torch
from timm.scheduler.cosine_lr import CosineLRScheduler


def official_scheduler(optimizer: torch.optim.Optimizer, lr: float,
                       epochs: int, num_steps: int,
                       warmup_epochs: int) -> CosineLRScheduler:
    """timm's scheduler as the official ``build_scheduler`` makes it:
    per-iteration cosine to ``lr / 100`` after a linear warmup from 0, with
    ``num_steps`` = ``len(train_loader)``; the loop calls
    ``step_update(epoch * num_steps + idx)`` after each optimizer step."""
    return CosineLRScheduler(
        optimizer,
        t_initial=epochs * num_steps,
        lr_min=lr / 100,
        warmup_lr_init=0,
        warmup_t=warmup_epochs * num_steps,
        cycle_limit=1,
        t_in_epochs=False)


def vifi_scheduler_cfg(warmup: int, epochs: int) -> dict:
    """Our ``ViFiWarmupCosineLR`` set up to follow
    :func:`official_scheduler` (warmup and length in epochs, stepped per
    iteration, down to 1 % of the rate)."""
    return dict(
        type='ViFiWarmupCosineLR',
        warmup=warmup,
        min_ratio=0.01,
        begin=0,
        end=epochs,
        by_epoch=True,
        convert_to_iter_based=True)
