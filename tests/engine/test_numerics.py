"""Non-finite loss stops training; fp16 AMP loss scaling and overflow."""
import math
import os.path as osp
from unittest import mock

import pytest
import torch
from mmengine.optim import AmpOptimWrapper
from mmengine.runner import Runner
from vifi_testing import make_cfg

from vifi_mmaction.engine import (NonFiniteLossError, NonFiniteWeightsError,
                                  ViFiCheckpointHook, ViFiNonFiniteLossHook)


@pytest.mark.slow
def test_nan_loss_stops_naming_iteration_and_last_good_checkpoint(
        synthetic_data, tmp_path):
    # weights turn NaN just before the 4th iteration (runner.iter == 3)
    cfg = make_cfg(
        synthetic_data,
        tmp_path,
        iter_ckpt=1,
        extra_hooks=[dict(type='FaultNaNWeights', at_iter=3)])
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    with pytest.raises(NonFiniteLossError) as e:
        Runner.from_cfg(cfg).train()
    msg = str(e.value)
    last = str(tmp_path / 'iter_3.pth')
    assert msg.startswith('non-finite loss (loss=nan')
    assert 'at iteration 4 (epoch 1)' in msg
    assert f'the last good checkpoint is {last} (kept)' in msg
    assert '\n' not in msg
    # kept, complete, finite; nothing written after it
    ckpt = torch.load(last, map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 3
    assert all(
        torch.isfinite(v).all() for v in ckpt['state_dict'].values()
        if v.is_floating_point())
    assert not osp.exists(tmp_path / 'iter_4.pth')
    assert (tmp_path / 'last_checkpoint').read_text() == last


class _Runner:
    """The attributes the hooks read."""

    def __init__(self, work_dir, optim_wrapper=None):
        self.work_dir = str(work_dir)
        self.iter, self.epoch = 41, 2
        self.optim_wrapper = optim_wrapper


@pytest.mark.parametrize('value', [float('inf'), float('-inf'), math.nan])
def test_hook_flags_any_non_finite_loss_term(tmp_path, value):
    hook = ViFiNonFiniteLossHook()
    runner = _Runner(tmp_path)
    hook.after_train_iter(
        runner,
        0,
        outputs=dict(
            loss=torch.tensor(1.0),
            loss_cls=torch.tensor(1.0),
            top1_acc=torch.tensor(float('nan'))))  # not a loss: ignored
    with pytest.raises(
            NonFiniteLossError,
            match='at iteration 42 .*no checkpoint was written'):
        hook.after_train_iter(
            runner,
            0,
            outputs=dict(loss=torch.tensor(value), loss_cls=torch.tensor(1.0)))


def test_checkpoint_hook_never_writes_non_finite_weights():
    hook = ViFiCheckpointHook(interval=1)
    ok = dict(
        meta=dict(iter=5),
        state_dict={
            'w': torch.ones(2),
            'n': torch.tensor([3])
        })
    hook.before_save_checkpoint(_Runner('.'), ok)
    bad = dict(
        meta=dict(iter=5), state_dict={'w': torch.tensor([1., math.inf])})
    with pytest.raises(
            NonFiniteWeightsError,
            match=r'after iteration 5: 1 weight tensors .*\(w\)'):
        hook.before_save_checkpoint(_Runner('.'), bad)


# --------------------------------------------------------------- fp16 AMP
def _cpu_amp_wrapper(model, accumulative_counts=1):
    """mmengine's ``AmpOptimWrapper``, on the CPU.

    Its constructor asserts a GPU and builds ``torch.cuda.amp.GradScaler``;
    the CPU can do fp16 autocast and has ``torch.amp.GradScaler('cpu')``, so
    we pass the assert and swap in the CPU scaler. Everything else
    (backward through the scaler, skipped steps, scale updates, gradient
    accumulation, state dict) is mmengine's code.
    """
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    path = 'mmengine.optim.optimizer.amp_optimizer_wrapper.is_cuda_available'
    with mock.patch(path, return_value=True):
        wrapper = AmpOptimWrapper(
            optimizer=opt,
            loss_scale='dynamic',
            dtype='float16',
            accumulative_counts=accumulative_counts)
    wrapper.loss_scaler = torch.amp.GradScaler(
        'cpu',
        init_scale=2.0**20,
        growth_factor=2.0,
        backoff_factor=0.5,
        growth_interval=2)
    return wrapper


def _step(model, wrapper, x, scale=1.0):
    with torch.autocast('cpu', dtype=torch.float16):
        out = model(x)
    assert out.dtype == torch.float16  # really computed in fp16
    loss = out.float().pow(2).mean() * scale
    wrapper.update_params(loss)
    return loss


def test_fp16_overflow_skips_steps_and_backs_off_loss_scale(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(16, 16)
    wrapper = _cpu_amp_wrapper(model)
    wrapper.initialize_count_status(model, 0, 100)
    x = torch.randn(8, 16)
    hook = ViFiNonFiniteLossHook()
    runner = _Runner(tmp_path, wrapper)
    scales, changed = [], []
    for _ in range(12):
        before = [p.detach().clone() for p in model.parameters()]
        loss = _step(model, wrapper, x)
        # an overflow is in the gradients, not the loss: training goes on
        assert math.isfinite(float(loss))
        hook.after_train_iter(runner, 0, outputs=dict(loss=loss))
        changed.append(
            any(not torch.equal(b, p)
                for b, p in zip(before, model.parameters())))
        scales.append(wrapper.loss_scaler.get_scale())
    # 2**20 times the loss overflows fp16 gradients (max 65504): those
    # steps are skipped (weights untouched) and the scale halves each time
    first_ok = changed.index(True)
    assert first_ok > 0 and not any(changed[:first_ok])
    assert scales[:first_ok] == [2.0**(19 - i) for i in range(first_ok)]
    # from then on: a skipped step halves the scale, two good steps in a
    # row double it (growth_interval=2), which overflows again, and so on
    prev, good_run = scales[first_ok - 1], 0
    for step_ok, scale in zip(changed[first_ok:], scales[first_ok:]):
        good_run = good_run + 1 if step_ok else 0
        if not step_ok:
            assert scale == prev / 2
        elif good_run % 2 == 0:
            assert scale == prev * 2
        else:
            assert scale == prev
        prev = scale
    assert changed.count(False) > first_ok  # it did overflow again
    # the scaler state is part of the checkpoint and comes back on resume
    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == scales[-1]
    other = _cpu_amp_wrapper(torch.nn.Linear(16, 16))
    other.load_state_dict(state)
    assert other.loss_scaler.get_scale() == scales[-1]
    assert other.loss_scaler.state_dict() == wrapper.loss_scaler.state_dict()


def test_fp16_overflow_inside_accumulation_window_skips_the_whole_step():
    torch.manual_seed(0)
    model = torch.nn.Linear(16, 16)
    wrapper = _cpu_amp_wrapper(model, accumulative_counts=2)
    wrapper.loss_scaler = torch.amp.GradScaler(
        'cpu', init_scale=64.0, growth_interval=1000)
    wrapper.initialize_count_status(model, 0, 100)
    x = torch.randn(8, 16)
    w0 = model.weight.detach().clone()
    _step(model, wrapper, x)  # accumulate, no step yet
    assert torch.equal(model.weight, w0)
    _step(model, wrapper, x, scale=1e6)  # overflows in fp16 backward
    assert torch.equal(model.weight, w0)  # whole window skipped
    assert wrapper.loss_scaler.get_scale() == 32.0
    assert all(p.grad is None or not p.grad.abs().sum()
               for p in model.parameters())  # and its gradients dropped
    _step(model, wrapper, x)
    _step(model, wrapper, x)  # a clean window steps
    assert not torch.equal(model.weight, w0)


def test_collapsed_loss_scale_stops_when_asked(tmp_path):
    model = torch.nn.Linear(4, 4)
    wrapper = _cpu_amp_wrapper(model)
    wrapper.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.0**-20)
    hook = ViFiNonFiniteLossHook(min_loss_scale=2.0**-14)
    with pytest.raises(NonFiniteLossError, match='loss scale collapsed'):
        hook.after_train_iter(
            _Runner(tmp_path, wrapper),
            0,
            outputs=dict(loss=torch.tensor(1.0)))
    ViFiNonFiniteLossHook().after_train_iter(  # off by default
        _Runner(tmp_path, wrapper),
        0,
        outputs=dict(loss=torch.tensor(1.0)))
