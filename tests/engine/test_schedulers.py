"""ViFiWarmupCosineLR reproduces the official timm schedule step by step:
the rate at every optimizer step equals the one the official ``main.py``
loop (``step_update(epoch * num_steps + idx)`` after each step, accumulation
windows restarting every epoch) uses."""
import math

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.optim.scheduler.param_scheduler import INF
from mmengine.registry import PARAM_SCHEDULERS
from vifi_testing.official import official_scheduler, vifi_scheduler_cfg

from vifi_mmaction.engine import (ViFiWarmupCosineLR, official_update_index,
                                  warmup_cosine_value)


def timm_cosine_lr(t, lr, total, warmup, lr_min):
    """timm ``CosineLRScheduler(t_initial=total, lr_min=lr_min,
    warmup_t=warmup, warmup_lr_init=0, t_in_epochs=False)`` at update ``t``
    (one cycle, no warm-up prefix), written out independently."""
    if t < warmup:
        return t * lr / warmup
    if t >= total:
        return lr_min
    return lr_min + 0.5 * (lr - lr_min) * (1 + math.cos(math.pi * t / total))


def _optimizer(lr=0.1, groups=1):
    params = [
        dict(params=[torch.nn.Parameter(torch.zeros(1))], lr=lr * (i + 1))
        for i in range(groups)
    ]
    return torch.optim.SGD(params, lr=lr)


def _drive(scheduler, optimizer, steps):
    lrs = []
    for _ in range(steps):
        lrs.append([g['lr'] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return lrs


def _updated(t):
    """Without accumulation iteration t runs at the rate of update t - 1:
    the official loop updates the schedule after the optimizer step."""
    return max(t - 1, 0)


@pytest.mark.parametrize('lr, total, warmup', [(0.1, 50, 5), (2e-6, 37, 10),
                                               (1.0, 8, 1)])
def test_steps_follow_timm_cosine_schedule(lr, total, warmup):
    opt = _optimizer(lr)
    sched = ViFiWarmupCosineLR(
        opt, warmup=warmup, min_ratio=0.01, begin=0, end=total, by_epoch=False)
    lrs = [v[0] for v in _drive(sched, opt, total)]
    for t, got in enumerate(lrs):
        ref = timm_cosine_lr(_updated(t), lr, total, warmup, lr / 100)
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-15), t
        assert got == pytest.approx(
            warmup_cosine_value(_updated(t), lr, total, warmup, 0.01),
            rel=1e-12)
    assert lrs[0] == lrs[1] == 0.0
    # warm-up is linear
    if warmup > 1:
        assert lrs[2] == pytest.approx(lr / warmup)
    # the cosine is evaluated at the absolute step: right after warm-up the
    # rate is already below its peak
    assert lrs[warmup + 1] < lr
    assert max(lrs) < lr
    assert lrs[-1] == pytest.approx(lr / 100 + 0.5 * (lr - lr / 100) *
                                    (1 + math.cos(math.pi *
                                                  (total - 2) / total)))


def test_every_param_group_is_scaled_from_its_own_base():
    opt = _optimizer(0.1, groups=2)
    sched = ViFiWarmupCosineLR(opt, warmup=3, begin=0, end=20, by_epoch=False)
    for t, (a, b) in enumerate(_drive(sched, opt, 20)):
        u = _updated(t)
        assert a == pytest.approx(timm_cosine_lr(u, 0.1, 20, 3, 0.001))
        assert b == pytest.approx(timm_cosine_lr(u, 0.2, 20, 3, 0.002))


def test_schedule_is_relative_to_begin():
    opt = _optimizer(0.1)
    sched = ViFiWarmupCosineLR(opt, warmup=2, begin=4, end=14, by_epoch=False)
    lrs = [v[0] for v in _drive(sched, opt, 14)]
    assert lrs[:4] == [0.1] * 4  # untouched before begin
    for t in range(10):
        assert lrs[4 + t] == pytest.approx(
            timm_cosine_lr(_updated(t), 0.1, 10, 2, 0.001)), t


def test_after_end_the_rate_stays_at_the_last_value():
    opt = _optimizer(0.1)
    sched = ViFiWarmupCosineLR(opt, warmup=2, begin=0, end=10, by_epoch=False)
    lrs = [v[0] for v in _drive(sched, opt, 15)]
    assert lrs[10:] == [lrs[9]] * 5
    assert lrs[9] == pytest.approx(timm_cosine_lr(8, 0.1, 10, 2, 0.001))


def test_warmup_value_edge_cases():
    assert warmup_cosine_value(0, 1.0, 10, 0, 0.01) == pytest.approx(1.0)
    assert warmup_cosine_value(10, 1.0, 10, 2, 0.01) == pytest.approx(0.01)
    assert warmup_cosine_value(99, 1.0, 10, 2, 0.01) == pytest.approx(0.01)
    assert warmup_cosine_value(1, 1.0, 10, 4, 0.01, warmup_init=0.2) == \
        pytest.approx(0.4)
    assert warmup_cosine_value(
        5, 1.0, 10, 4,
        0.01) == pytest.approx(0.01 + 0.495 * (1 + math.cos(math.pi / 2)))


def test_build_iter_from_epoch_converts_epochs():
    opt = _optimizer(0.1)
    sched = ViFiWarmupCosineLR.build_iter_from_epoch(
        opt,
        warmup=2,
        min_ratio=0.01,
        begin=0,
        end=3,
        by_epoch=True,
        epoch_length=10)
    assert (sched.warmup, sched.begin, sched.end) == (20, 0, 30)
    assert (sched.by_epoch, sched.epoch_length) == (False, 10)
    lrs = [v[0] for v in _drive(sched, opt, 30)]
    for t, got in enumerate(lrs):
        assert got == pytest.approx(
            timm_cosine_lr(_updated(t), 0.1, 30, 20, 0.001))


def test_registry_build_with_convert_to_iter_based():
    """How a config's ``param_scheduler`` entry reaches the class."""
    opt = _optimizer(0.1)
    sched = PARAM_SCHEDULERS.build(
        dict(
            type='ViFiWarmupCosineLR',
            warmup=0.5,
            begin=0,
            end=2,
            by_epoch=True,
            convert_to_iter_based=True),
        default_args=dict(optimizer=opt, epoch_length=4))
    assert isinstance(sched, ViFiWarmupCosineLR)
    assert (sched.warmup, sched.end, sched.by_epoch) == (2, 8, False)


def test_invalid_arguments():
    opt = _optimizer()
    with pytest.raises(ValueError, match='finite'):
        ViFiWarmupCosineLR(opt, end=INF)
    with pytest.raises(ValueError, match='epoch_length'):
        ViFiWarmupCosineLR.build_iter_from_epoch(
            opt, end=3, by_epoch=True, epoch_length=None)
    with pytest.raises(ValueError):
        ViFiWarmupCosineLR.build_iter_from_epoch(
            opt, end=3, by_epoch=False, epoch_length=10)


def official_loop_lrs(lr, epochs, epoch_length, accumulation, warmup_epochs):
    """The rate at every iteration of the official ``main.py`` loop, from
    timm itself: ``build_scheduler`` with ``n_iter_per_epoch`` =
    ``len(train_loader)``, ``step_update(epoch * num_steps + idx)`` after
    each optimizer step, on ``(idx + 1) % ACCUMULATION_STEPS == 0``."""
    opt = _optimizer(lr)
    timm = official_scheduler(opt, lr, epochs, epoch_length, warmup_epochs)
    lrs, steps = [], []
    for epoch in range(epochs):
        for idx in range(epoch_length):
            lrs.append(opt.param_groups[0]['lr'])
            if (idx + 1) % accumulation == 0:
                steps.append(epoch * epoch_length + idx)
                timm.step_update(epoch * epoch_length + idx)
    return lrs, steps


@pytest.mark.parametrize(
    'epoch_length, accumulation, epochs, warmup',
    [
        (7, 2, 4, 1),  # odd epoch: one iteration of a window discarded
        (9, 4, 3, 1),
        (6, 1, 3, 1),
        (1, 2, 3, 1),  # an epoch shorter than a window: never stepped
        (12, 3, 5, 2),
    ])
def test_rate_at_every_optimizer_step_is_the_official_one(
        epoch_length, accumulation, epochs, warmup):
    ref, steps = official_loop_lrs(0.1, epochs, epoch_length, accumulation,
                                   warmup)
    model = torch.nn.Linear(1, 1)
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1),
        accumulative_counts=accumulation)
    sched = PARAM_SCHEDULERS.build(
        vifi_scheduler_cfg(warmup, epochs),
        default_args=dict(optimizer=wrapper, epoch_length=epoch_length))
    assert sched.accumulative_counts == accumulation  # from the wrapper
    got = [v[0] for v in _drive(sched, wrapper, epochs * epoch_length)]
    # every iteration, so in particular every optimizer step
    assert got == pytest.approx(ref, rel=1e-12, abs=1e-15)
    assert len(steps) == epochs * (epoch_length // accumulation)
    # not the rate of the step's own iteration: that would be ahead
    if steps and warmup:
        assert got[steps[-1]] != pytest.approx(
            warmup_cosine_value(steps[-1], 0.1, epochs * epoch_length,
                                warmup * epoch_length, 0.01))


def test_official_update_index():
    # two accumulation steps, 5 iterations an epoch: updates after
    # iterations 1, 3 | 6, 8 | 11, 13; iterations 4, 9, 14 are discarded
    got = [official_update_index(t, 2, 5) for t in range(15)]
    assert got == [0, 0, 1, 1, 3, 3, 3, 6, 6, 8, 8, 8, 11, 11, 13]
    assert [official_update_index(t, 1, 4) for t in range(6)] == \
        [0, 0, 1, 2, 3, 4]
    assert [official_update_index(t, 3) for t in range(8)] == \
        [0, 0, 0, 2, 2, 2, 5, 5]
