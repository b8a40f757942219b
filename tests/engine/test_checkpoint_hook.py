"""Checkpoint writing and choosing, piece by piece (no training).

The end-to-end story is test_resume.py; these pin the edge cases.
"""
import logging
import os
import os.path as osp
from unittest import mock

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmengine.logging import MessageHub, MMLogger
from mmengine.model import BaseModel
from mmengine.runner import Runner
from vifi_testing import CodeOnUnpickle

from vifi_mmaction.checkpoint_loader import UntrustedCheckpointError
from vifi_mmaction.engine import (AtomicLocalBackend,
                                  NoResumableCheckpointError,
                                  ViFiCheckpointHook, atomic_write_bytes,
                                  check_checkpoint, find_resumable_checkpoint,
                                  resolve_auto_resume)


def _ckpt(path, it):
    torch.save(
        dict(
            meta=dict(epoch=0, iter=it),
            state_dict={'w': torch.full((2, ), float(it))}), path)
    return str(path)


@pytest.fixture
def warnings_log():
    records = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


# ------------------------------------------------------------ writing
def test_failed_write_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / 'iter_1.pth'
    atomic_write_bytes(b'old complete checkpoint', target)
    with mock.patch('os.replace', side_effect=OSError('disk full')):
        with pytest.raises(OSError, match='disk full'):
            AtomicLocalBackend().put(b'new', target)
    assert target.read_bytes() == b'old complete checkpoint'
    leftovers = [p.name for p in tmp_path.iterdir() if p != target]
    assert len(leftovers) == 1 and leftovers[0].startswith('.iter_1.pth.tmp-')
    AtomicLocalBackend().put_text('new', target)
    assert target.read_text() == 'new'


class _FakeRunner:
    """What CheckpointHook touches; records the files present while each
    checkpoint is written."""

    def __init__(self, work_dir):
        self.work_dir = str(work_dir)
        self.iter, self.epoch = 0, 0
        self.message_hub = MessageHub.get_instance(f'ckpt_io_{id(self)}')
        self.logger = MMLogger.get_current_instance()
        self.present_during_write = []

    def save_checkpoint(self,
                        out_dir,
                        filename,
                        *args,
                        backend_args=None,
                        **kwargs):
        assert backend_args == dict(backend='vifi_atomic_local')
        self.present_during_write.append(
            sorted(p for p in os.listdir(out_dir) if p.endswith('.pth')))
        AtomicLocalBackend().put(b'ckpt', osp.join(out_dir, filename))


@pytest.mark.parametrize('keep', [1, 2])
def test_oldest_checkpoint_is_removed_only_after_the_new_one_exists(
        tmp_path, keep):
    hook = ViFiCheckpointHook(interval=1, by_epoch=False, max_keep_ckpts=keep)
    runner = _FakeRunner(tmp_path)
    hook.before_train(runner)
    for it in range(4):
        runner.iter = it
        hook.after_train_iter(runner, it)
    # mmengine's hook deletes first: with keep=1 nothing would be on disk
    # while iter_2.pth is being written
    assert runner.present_during_write[1:] == [[
        f'iter_{i}.pth' for i in range(max(1, it - keep + 1), it + 1)
    ] for it in range(1, 4)]
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == \
        [f'iter_{i}.pth' for i in range(5 - keep, 5)]
    assert runner.message_hub.get_info('keep_ckpt_ids') == \
        list(range(5 - keep, 5))


# ------------------------------------------------------------ choosing
def test_nothing_to_resume_is_not_an_error(tmp_path):
    assert find_resumable_checkpoint(str(tmp_path)) is None


def test_truncated_and_missing_files_are_reported_and_skipped(
        tmp_path, warnings_log):
    good = _ckpt(tmp_path / 'iter_2.pth', 2)
    full = open(good, 'rb').read()
    (tmp_path / 'iter_3.pth').write_bytes(full[:100])
    (tmp_path / 'iter_4.pth').write_bytes(b'')
    (tmp_path / '.iter_5.pth.tmp-123').write_bytes(full)  # never a candidate
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_9.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == good
    msgs = [r.getMessage() for r in warnings_log]
    for name, why in (('iter_9.pth', 'file not found'), ('iter_4.pth',
                                                         'EOFError'),
                      ('iter_3.pth', 'RuntimeError: PytorchStreamReader')):
        assert any(
            m.startswith(f'auto-resume: skipping {tmp_path}/{name}: '
                         f'incomplete or corrupt checkpoint ({why}')
            for m in msgs), (name, msgs)


def test_half_written_pointer_falls_back_to_the_newest_complete_file(tmp_path):
    _ckpt(tmp_path / 'epoch_1.pth', 4)
    newest = _ckpt(tmp_path / 'epoch_2.pth', 8)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path)[:5])
    assert find_resumable_checkpoint(str(tmp_path)) == newest


def test_only_broken_checkpoints_is_an_error_naming_them(tmp_path):
    (tmp_path / 'iter_1.pth').write_bytes(b'PK\x03\x04 not really')
    torch.save({'weights': torch.ones(1)}, tmp_path / 'iter_2.pth')
    with pytest.raises(NoResumableCheckpointError) as e:
        find_resumable_checkpoint(str(tmp_path))
    assert 'iter_1.pth' in str(e.value) and 'iter_2.pth' in str(e.value)


def test_a_code_carrying_candidate_stops_auto_resume(tmp_path):
    _ckpt(tmp_path / 'iter_1.pth', 1)
    marker = str(tmp_path / 'pwned')
    torch.save(
        dict(meta=dict(iter=2), state_dict={'w': CodeOnUnpickle(marker)}),
        tmp_path / 'iter_2.pth')
    with pytest.raises(UntrustedCheckpointError, match='iter_2.pth'):
        find_resumable_checkpoint(str(tmp_path))
    assert not osp.exists(marker)


@pytest.fixture(scope='module')
def real_checkpoint_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp('real') / 'iter_1.pth'
    _ckpt(path, 1)
    return path.read_bytes()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000), cut=st.floats(0, 1))
def test_fuzz_damaged_files_are_reported_not_raised(tmp_path,
                                                    real_checkpoint_bytes,
                                                    data, cut):
    for blob in (
            data,
            real_checkpoint_bytes[:int(cut *
                                       (len(real_checkpoint_bytes) - 1))]):
        path = tmp_path / 'iter_7.pth'
        path.write_bytes(blob)
        try:
            ok, reason = check_checkpoint(str(path))
        except UntrustedCheckpointError:
            continue  # the bytes happened to name a global: refused
        assert not ok and reason and '\n' not in reason


class _Linear(BaseModel):

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(2))

    def forward(self, *args, **kwargs):
        return {}


def _resume_runner(work_dir, hook):
    return Runner(
        model=_Linear(),
        work_dir=str(work_dir),
        resume=True,
        default_hooks=dict(checkpoint=hook),
        log_level='WARNING',
        default_scope='mmaction')


@pytest.mark.parametrize('hook', ['CheckpointHook', 'ViFiCheckpointHook'])
def test_auto_resume_is_one_decision_for_any_checkpoint_hook(tmp_path, hook):
    """tools/train.py and ViFiCheckpointHook.before_run call the same
    decision; whichever runs first sets it, never to a truncated file."""
    good = _ckpt(tmp_path / 'epoch_1.pth', 4)
    (tmp_path / 'epoch_2.pth').write_bytes(open(good, 'rb').read()[:50])
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))
    runner = _resume_runner(tmp_path, dict(type=hook))
    assert resolve_auto_resume(runner) == good and runner._load_from == good
    assert resolve_auto_resume(runner) is None  # decided: kept
    runner.call_hook('before_run')
    assert runner._load_from == good
    # a named checkpoint is not second-guessed
    runner = _resume_runner(tmp_path, dict(type=hook))
    runner._load_from = str(tmp_path / 'epoch_2.pth')
    assert resolve_auto_resume(runner) is None
    assert runner._load_from == str(tmp_path / 'epoch_2.pth')


def test_auto_resume_looks_where_the_checkpoint_hook_writes(tmp_path):
    """With out_dir, mmengine writes to out_dir/<work dir name>."""
    work = tmp_path / 'run'
    out = tmp_path / 'ckpts'
    (out / 'run').mkdir(parents=True)
    good = _ckpt(out / 'run' / 'epoch_3.pth', 3)
    runner = _resume_runner(work,
                            dict(type='CheckpointHook', out_dir=str(out)))
    assert resolve_auto_resume(runner) == good


def test_killed_before_the_pointer_update_resumes_from_the_newest(tmp_path):
    old = _ckpt(tmp_path / 'iter_4.pth', 4)
    newest = _ckpt(tmp_path / 'iter_5.pth', 5)
    os.utime(old, (1, 1))
    (tmp_path / 'last_checkpoint').write_text(old)  # not updated yet
    assert find_resumable_checkpoint(str(tmp_path)) == newest
