"""ViFiEpochBasedTrainLoop trains exactly as the official ``main.py`` loop:
drop_last batches, an accumulation window that restarts every epoch (a
partial one discarded), the timm rate at every optimizer step, validation
after epoch 1, every SAVE_FREQ epochs and the last; resume inside an
accumulation window equals an uninterrupted run. A toy regression model
keeps it fast; the 2-process run on videos is in
test_loops_official_epoch.py."""
import copy
import logging

import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset
from vifi_testing.official import official_scheduler, vifi_scheduler_cfg

from vifi_mmaction.engine import official_steps_per_epoch, official_val_epochs

LR, EPOCHS, WARMUP = 0.05, 3, 1


class _Points(Dataset):

    def __init__(self, n):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 3, generator=g)
        self.y = self.x @ torch.tensor([1., -2., .5]) + 0.3

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], target=self.y[i])


class _Regressor(BaseModel):

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = torch.nn.Linear(3, 1)

    def forward(self, inputs, target=None, mode='tensor'):
        out = self.fc(inputs).squeeze(-1)
        if mode == 'loss':
            return dict(loss=((out - target)**2).mean())
        return [dict(err=float(((out - target)**2).mean()))]


class _Mse(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        return dict(mse=sum(r['err'] for r in results) / len(results))


class _Record(Hook):
    """Optimizer steps (AdamW's own counter) after every epoch, the rate
    each step used, epochs validated after."""

    def __init__(self):
        self.steps, self.val_epochs, self.lrs = [], [], []

    def before_train(self, runner):
        optimizer = runner.optim_wrapper.optimizer
        step = optimizer.step

        def recording_step(*args, **kwargs):
            self.lrs.append(optimizer.param_groups[0]['lr'])
            return step(*args, **kwargs)

        recording_step._with_counter = True  # mmengine's scheduler check
        optimizer.step = recording_step

    def after_train_epoch(self, runner):
        state = runner.optim_wrapper.optimizer.state
        self.steps.append(
            int(max(s['step'] for s in state.values())) if state else 0)

    def after_val_epoch(self, runner, metrics=None):
        self.val_epochs.append(runner.epoch)


def _runner(work_dir,
            n,
            batch,
            acc,
            epochs=EPOCHS,
            val_interval=1,
            resume=None,
            ckpt=None):
    loader = dict(
        dataset=_Points(n),
        batch_size=batch,
        drop_last=True,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'))
    record = _Record()
    runner = Runner(
        model=_Regressor(),
        work_dir=str(work_dir),
        train_dataloader=loader,
        val_dataloader=dict(copy.deepcopy(loader), drop_last=False),
        val_evaluator=[_Mse()],
        train_cfg=dict(
            type='ViFiEpochBasedTrainLoop',
            max_epochs=epochs,
            val_interval=val_interval),
        val_cfg=dict(type='ValLoop'),
        optim_wrapper=dict(
            optimizer=dict(
                type='AdamW',
                lr=LR,
                betas=(0.9, 0.98),
                eps=1e-8,
                weight_decay=0.001),
            accumulative_counts=acc),
        param_scheduler=[vifi_scheduler_cfg(WARMUP, epochs)],
        default_hooks=dict(
            checkpoint=ckpt or dict(
                type='CheckpointHook',
                interval=1,
                save_best='mse',
                rule='less')),
        custom_hooks=[dict(type='ViFiExactResumeHook'), record],
        default_scope='mmaction',
        load_from=resume,
        resume=resume is not None,
        experiment_name=f'{work_dir.name}_{resume is not None}',
        log_level='WARNING')
    return runner, record


def official_run(n, batch, acc, epochs=EPOCHS):
    """main.py's train_one_epoch on the same data, model and order, with
    timm's scheduler as build_scheduler makes it. Returns (weights, lr used
    at every optimizer step)."""
    model = _Regressor()
    data = _Points(n)
    opt = torch.optim.AdamW(
        model.parameters(),
        lr=LR,
        betas=(0.9, 0.98),
        eps=1e-8,
        weight_decay=0.001)
    num_steps = n // batch  # len(train_loader), drop_last=True, one rank
    sched = official_scheduler(opt, LR, epochs, num_steps, WARMUP)
    lrs = []
    for epoch in range(epochs):
        opt.zero_grad()
        for idx in range(num_steps):
            sl = slice(idx * batch, (idx + 1) * batch)
            loss = model(data.x[sl], data.y[sl], mode='loss')['loss'] / acc
            if acc == 1:
                opt.zero_grad()
            loss.backward()
            if (idx + 1) % acc == 0:
                lrs.append(opt.param_groups[0]['lr'])
                opt.step()
                opt.zero_grad()
                sched.step_update(epoch * num_steps + idx)
    return model.state_dict(), lrs


@pytest.mark.parametrize(
    'n, batch, acc',
    [
        (11, 2, 2),  # 5 iterations: one discarded every epoch
        (14, 2, 3),  # 7 iterations: one discarded every epoch
        (8, 2, 1),
    ])
@pytest.mark.slow
def test_training_equals_the_official_loop(tmp_path, n, batch, acc):
    runner, record = _runner(tmp_path, n, batch, acc)
    runner.train()
    want, want_lrs = official_run(n, batch, acc)
    per_epoch = official_steps_per_epoch(n, 1, batch, acc)
    assert record.steps == [per_epoch * (e + 1) for e in range(EPOCHS)]
    assert len(want_lrs) == per_epoch * EPOCHS
    got = runner.model.state_dict()
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=1e-6, atol=1e-7)


@pytest.mark.slow
def test_rate_at_every_optimizer_step_is_the_official_one(tmp_path):
    n, batch, acc = 11, 2, 2
    runner, record = _runner(tmp_path, n, batch, acc)
    runner.train()
    _, want = official_run(n, batch, acc)
    used = record.lrs
    assert used == pytest.approx(want, rel=1e-12, abs=1e-15)
    assert len(set(used)) > 3  # the schedule did move


@pytest.mark.slow
def test_validation_epochs_and_final_report(tmp_path):
    runner, record = _runner(tmp_path, 8, 2, 1, epochs=5, val_interval=2)
    logger = MMLogger.get_current_instance()
    logger.setLevel(logging.INFO)
    messages = []

    class _Keep(logging.Handler):

        def emit(self, rec):
            messages.append(rec.getMessage())

    handler = _Keep()
    logger.addHandler(handler)
    try:
        runner.train()
    finally:
        logger.removeHandler(handler)
    assert record.val_epochs == [1, 3, 5] == official_val_epochs(5, 2)
    final = [m for m in messages if m.startswith('final validation')]
    assert len(final) == 1
    last = runner.train_loop.last_metrics
    assert last['epoch'] == 5
    assert '(epoch 5,' in final[0]
    assert f'{last["metrics"]["mse"]:.4f}' in final[0]
    assert 'best checkpoint kept' in final[0] and 'best_mse' in final[0]


def test_official_val_epochs_of_the_paper_schedules():
    assert official_val_epochs(50, 10) == [1, 11, 21, 31, 41, 50]
    assert official_val_epochs(11, 10) == [1, 11]
    assert official_val_epochs(10, 1) == list(range(1, 11))


def test_official_steps_per_epoch():
    # HMDB-51 2-shot: 102 videos, 8 ranks x 4 clips, 2 accumulation steps
    assert official_steps_per_epoch(102, 8, 4, 2) == 1
    assert official_steps_per_epoch(13, 2, 2, 2) == 1  # 7 per rank, 3 it.
    assert official_steps_per_epoch(16, 2, 2, 2) == 2


@pytest.mark.slow
def test_resume_inside_a_window_equals_an_uninterrupted_run(tmp_path):
    # 5 iterations an epoch, windows of 2: iteration 8 is the 4th of epoch
    # 2, written with the window (iterations 3 and 4 of the epoch) half
    # accumulated
    n, batch, acc = 11, 2, 2
    full, _ = _runner(tmp_path / 'full', n, batch, acc)
    full.train()
    ckpt = dict(type='CheckpointHook', interval=8, by_epoch=False)
    part, _ = _runner(tmp_path / 'part', n, batch, acc, ckpt=ckpt)
    part.train()
    path = tmp_path / 'part' / 'iter_8.pth'
    saved = torch.load(path, map_location='cpu', weights_only=False)
    assert saved['vifi_accumulated_grads']['inner_count'] == 3
    resumed, record = _runner(
        tmp_path / 'resumed', n, batch, acc, resume=str(path), ckpt=ckpt)
    resumed.train()
    assert record.steps[-1] == official_steps_per_epoch(n, 1, batch,
                                                        acc) * EPOCHS
    want, got = full.model.state_dict(), resumed.model.state_dict()
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0)


class _Items(Dataset):

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


def _loop(videos, batch, drop_last, vifi=False):
    from types import SimpleNamespace

    from torch.utils.data import DataLoader

    from vifi_mmaction.engine import ViFiEpochBasedTrainLoop
    loader = DataLoader(_Items(videos), batch_size=batch, drop_last=drop_last)
    if not vifi:
        return SimpleNamespace(dataloader=loader)
    loop = ViFiEpochBasedTrainLoop.__new__(ViFiEpochBasedTrainLoop)
    loop.dataloader = loader
    return loop


def test_a_training_set_smaller_than_one_batch_is_named():
    from vifi_mmaction.engine.loops import check_steps_per_epoch
    from vifi_mmaction.errors import InputError

    # mmengine: a scheduler traceback (epoch_length 0), or 0 steps, exit 0
    with pytest.raises(
            InputError,
            match=r'^the training set has 3 videos, fewer than one batch '
            r'\(train_dataloader.batch_size=4\) with drop_last=True: an '
            r'epoch would have 0 iterations; set .*at most 3'):
        check_steps_per_epoch(_loop(3, 4, True))
    assert check_steps_per_epoch(_loop(4, 4, True)) == 1  # exactly one batch
    assert check_steps_per_epoch(_loop(3, 4, False)) == 1


def test_an_epoch_shorter_than_the_accumulation_window_is_named():
    from vifi_mmaction.engine.loops import check_steps_per_epoch
    from vifi_mmaction.errors import InputError
    with pytest.raises(
            InputError,
            match=r'an epoch has 2 iterations \(8 videos at batch size 4\), '
            r'fewer than optim_wrapper.accumulative_counts=3'):
        check_steps_per_epoch(_loop(8, 4, True, vifi=True), accumulation=3)
    assert check_steps_per_epoch(
        _loop(8, 4, True, vifi=True), accumulation=2) == 2
    # mmengine's loop steps on the last partial window: not refused
    assert check_steps_per_epoch(_loop(8, 4, True), accumulation=3) == 2
