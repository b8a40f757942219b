"""SIGKILL during training, during a checkpoint write, then auto-resume.

Three ``tools/train.py`` runs on CPU, same seed, deterministic:

* ``A`` trains 2 epochs (8 iterations of 4 videos, random frame sampling,
  the official training augmentation as the paper configs run it: crops,
  flip/colour-jitter/grayscale drawn in the loader and applied to the batch
  by ``ViFiBatchAugPreprocessor``, mixup/cutmix, gradient accumulation 2,
  data loaded in the main process) uninterrupted, in this process
  (``tools/train.py``'s ``main``);
* ``B`` is the same run in a child process (forked from this one, then
  ``tools/train.py``'s ``main``) with one DataLoader worker, SIGKILLed by
  this test while it writes the checkpoint after iteration 6
  (a test hook writes half the file, then waits for the kill), with a
  checkpoint every iteration;
* the test then also leaves what a non-atomic writer would have left, a
  truncated ``iter_6.pth`` that ``last_checkpoint`` points at;
* ``C`` = ``tools/train.py CONFIG --resume`` in B's work dir (run in this
  process, one worker). It must report
  ``iter_6.pth`` by name, skip it and the stale temporary file, resume from
  ``iter_5.pth`` (inside epoch 2, inside an accumulation window) and end
  with the weights of A (max abs difference <= 1e-6).

``resume_ablation.py`` (same folder, run by hand) shows that each part of
``ViFiExactResumeHook`` is needed for this equality.
"""
import multiprocessing as mp
import os
import os.path as osp
import signal
import time

import pytest
import torch
from vifi_testing import (DEFERRED_PIPELINE, make_cfg, run_inprocess, run_log,
                          write_cfg)

pytestmark = pytest.mark.slow  # trains, kills and resumes

ITERS_PER_EPOCH = 4  # 16 videos, batch 4
# as the K400 configs: random per-batch mixing, drawn in the main process
BLENDING = dict(
    type='RandomBatchAugment',
    augments=[
        dict(type='MixupBlending', alpha=0.8, num_classes=8),
        dict(type='CutmixBlending', alpha=1.0, num_classes=8)
    ])
KILL_AT = 6  # writing iter_6.pth: epoch 2, 2nd batch


def _cfg(data, work, extra_hooks=(), workers=0, every=1):
    cfg = make_cfg(
        data,
        work,
        epochs=2,
        iter_ckpt=every,
        extra_hooks=extra_hooks,
        workers=workers,
        batch_size=4)
    cfg.optim_wrapper.accumulative_counts = 2
    cfg.default_hooks.checkpoint.max_keep_ckpts = 2
    cfg.model.data_preprocessor.blending = BLENDING  # main-process RNG
    assert cfg.model.data_preprocessor.type == 'ViFiBatchAugPreprocessor'
    cfg.train_dataloader.dataset.pipeline = DEFERRED_PIPELINE
    return cfg


def _train_logged(log, *argv):
    """B: ``tools/train.py`` in a forked child (it inherits this process's
    imports, which saves ~20 s of start-up on a loaded 2-core box)."""
    out = os.open(log, os.O_WRONLY | os.O_CREAT)
    os.dup2(out, 1)
    os.dup2(out, 2)
    run_inprocess('tools/train.py', *argv)


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def test_sigkill_mid_checkpoint_then_resume_equals_uninterrupted(
        synthetic_data, tmp_path):
    work_a, work_b = tmp_path / 'a', tmp_path / 'b'
    marker = tmp_path / 'writing'
    cfg_a = write_cfg(_cfg(synthetic_data, work_a, every=8), tmp_path / 'a.py')
    cfg_b = write_cfg(
        _cfg(
            synthetic_data,
            work_b,
            workers=1,
            extra_hooks=[
                dict(
                    type='FaultStallCheckpointWrite',
                    at_iter=KILL_AT,
                    marker=str(marker))
            ]), tmp_path / 'b.py')
    seed = ['--seed', '0', '--deterministic']
    proc_b = mp.get_context('fork').Process(
        target=_train_logged, args=(str(tmp_path / 'b.log'), cfg_b, *seed))
    proc_b.start()
    try:
        # A runs here while B trains (same code path as the tool)
        run_inprocess('tools/train.py', cfg_a, *seed)
        deadline = time.time() + 240
        while not marker.exists():
            assert proc_b.is_alive(), (tmp_path / 'b.log').read_text()
            assert time.time() < deadline, 'B never reached the write'
            time.sleep(0.2)
        os.kill(proc_b.pid, signal.SIGKILL)  # mid-write, for real
        proc_b.join(30)
        assert proc_b.exitcode == -signal.SIGKILL
    finally:
        if proc_b.is_alive():
            proc_b.kill()
    tmp_file = marker.read_text()
    assert osp.basename(tmp_file).startswith('.iter_6.pth.tmp-')
    assert osp.isfile(tmp_file)  # the half-written temporary file
    # the atomic write never exposed a partial iter_6.pth
    assert not (work_b / f'iter_{KILL_AT}.pth').exists()
    assert (work_b / 'last_checkpoint').read_text().endswith('iter_5.pth')
    assert sorted(p.name for p in work_b.glob('iter_*.pth')) == \
        ['iter_4.pth', 'iter_5.pth']
    # what a non-atomic writer leaves: a truncated file, named as latest
    full = (work_b / 'iter_5.pth').read_bytes()
    (work_b / 'iter_6.pth').write_bytes(full[:len(full) // 3])
    (work_b / 'last_checkpoint').write_text(str(work_b / 'iter_6.pth'))

    resumed_from = tmp_path / 'iter_5_copy.pth'
    resumed_from.write_bytes(full)

    # C resumes with the plain config (no fault hook), as a user would
    cfg_c = write_cfg(
        _cfg(synthetic_data, work_b, workers=1), tmp_path / 'c.py')
    run_inprocess('tools/train.py', cfg_c, '--resume', *seed)
    log_c = run_log(work_b)

    assert f'skipping {work_b}/iter_6.pth: incomplete or corrupt' in log_c
    assert f'removed {tmp_file}' in log_c
    assert 'resumed epoch: 1, iter: 5' in log_c
    assert 'skipping its first 1 of 4 batches' in log_c
    assert 'restored the gradients accumulated over the last 1 ' in log_c
    assert not osp.exists(tmp_file)

    final_a = _weights(work_a / 'iter_8.pth')
    final_c = _weights(work_b / 'iter_8.pth')
    assert final_a['meta']['iter'] == final_c['meta']['iter'] == 8
    diffs = {
        k: (final_a['state_dict'][k].float() -
            final_c['state_dict'][k].float()).abs().max().item()
        for k in final_a['state_dict']
    }
    worst = max(diffs, key=diffs.get)
    assert diffs[worst] <= 1e-6, (worst, diffs[worst])
    # training moved the weights (the comparison is not vacuous)
    first = _weights(resumed_from)['state_dict']
    moved = max((final_c['state_dict'][k].float() -
                 first[k].float()).abs().max().item() for k in first)
    assert moved > 1e-4
    # the LR schedule ended at the same place
    sched_a = final_a['param_schedulers'][0]
    sched_c = final_c['param_schedulers'][0]
    assert sched_a['last_step'] == sched_c['last_step']
    assert sched_a['_last_value'] == sched_c['_last_value']


# ------------------------------------ a checkpoint that cannot be resumed
def _resume_runner(optimizer, max_epochs=3):
    from types import SimpleNamespace

    from mmengine.optim import OptimWrapper
    from mmengine.runner import EpochBasedTrainLoop
    loop = EpochBasedTrainLoop.__new__(EpochBasedTrainLoop)
    loop._max_epochs = max_epochs
    return SimpleNamespace(
        optim_wrapper=OptimWrapper(optimizer), train_loop=loop)


def _params():
    return [
        torch.nn.Parameter(torch.ones(2)),
        torch.nn.Parameter(torch.ones(3))
    ]


def _trained(optimizer):
    for p in optimizer.param_groups[0]['params']:
        p.grad = torch.ones_like(p)
    optimizer.step()
    return dict(
        meta=dict(epoch=1, iter=4),
        state_dict={},
        optimizer=optimizer.state_dict())


def test_resume_checkpoint_that_fits_passes():
    from vifi_mmaction.engine.resume import check_resume_checkpoint
    ckpt = _trained(torch.optim.AdamW(_params()))
    check_resume_checkpoint(ckpt, 'e1.pth',
                            _resume_runner(torch.optim.AdamW(_params())))


@pytest.mark.parametrize('change,message', [
    (lambda c: c.pop('meta'), r'^e1.pth: no meta.epoch and meta.iter'),
    (lambda c: c['meta'].pop('iter'), r'^e1.pth: no meta.epoch'),
    (lambda c: c.pop('optimizer'), r'^e1.pth: holds no optimizer state'),
    (lambda c: c['meta'].update(epoch=3), r'^e1.pth is at epoch 3, and '
     r'train_cfg.max_epochs=3: nothing is left to train'),
    (lambda c: c['meta'].update(epoch=5), r'at epoch 5.*max_epochs=3'),
])
def test_resume_checkpoint_that_cannot_continue_is_named(change, message):
    from vifi_mmaction.checkpoint_loader import CheckpointError
    from vifi_mmaction.engine.resume import check_resume_checkpoint
    ckpt = _trained(torch.optim.AdamW(_params()))
    change(ckpt)
    with pytest.raises(CheckpointError, match=message):
        check_resume_checkpoint(ckpt, 'e1.pth',
                                _resume_runner(torch.optim.AdamW(_params())))


@pytest.mark.parametrize('other,message', [
    (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
     r"not for this config's SGD \(hyper-parameters .*momentum"),
    (lambda ps: torch.optim.Adam(ps), r"Adam \(.*decoupled_weight_decay"),
    (lambda ps: torch.optim.AdamW([dict(params=ps[:1]),
                                   dict(params=ps[1:])]),
     '1 parameter groups, this config\'s AdamW has 2'),
    (lambda ps: torch.optim.AdamW(ps[:1]), 'group 0 .* holds 2 parameters'),
])
def test_resume_checkpoint_of_another_optimizer_is_named(other, message):
    # without the check: KeyError 'momentum' (SGD), ValueError (groups),
    # or AdamW's decoupled weight decay loaded into Adam silently
    from vifi_mmaction.checkpoint_loader import CheckpointError
    from vifi_mmaction.engine.resume import check_resume_checkpoint
    ckpt = _trained(torch.optim.AdamW(_params()))
    with pytest.raises(CheckpointError, match=f'^e1.pth: .*{message}'):
        check_resume_checkpoint(ckpt, 'e1.pth',
                                _resume_runner(other(_params())))
