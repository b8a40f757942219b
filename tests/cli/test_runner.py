"""vifi_mmaction.cli.runner: the launcher options and the work-dir rule of
mmaction2's tools (--work-dir, else the config's, else
work_dirs/<config name>).

The work dir lock of ``vifi_mmaction.cli.runner``: one training run owns
a work dir at a time, and a dead run leaves nothing stuck."""
import argparse
import fcntl
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
from mmengine.config import Config
from vifi_testing import REPO_ROOT

from vifi_mmaction.cli import (WORK_DIR_LOCK, WorkDirInUseError,
                               add_launcher_arguments, apply_launcher_args,
                               launch_rank, lock_work_dir, release_work_dir)


def _args(*argv):
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('--work-dir')
    add_launcher_arguments(parser)
    return parser.parse_args(list(argv))


def test_launcher_options_and_old_local_rank_spelling():
    args = _args('c.py', '--launcher', 'pytorch', '--local_rank', '3')
    assert (args.launcher, args.local_rank) == ('pytorch', 3)
    assert _args('c.py', '--local-rank', '1').local_rank == 1
    assert _args('c.py').launcher == 'none'


def test_work_dir_rule():
    cfg = Config(dict())
    apply_launcher_args(cfg, _args('configs/x/my_run.py'))
    assert cfg.work_dir == './work_dirs/my_run' and cfg.launcher == 'none'
    cfg = Config(dict(work_dir='from_config'))
    apply_launcher_args(cfg, _args('c.py'))
    assert cfg.work_dir == 'from_config'
    apply_launcher_args(cfg, _args('c.py', '--work-dir', 'given'))
    assert cfg.work_dir == 'given'


_HOLD = '''
import sys, time
from vifi_mmaction.cli.runner import lock_work_dir
lock_work_dir(sys.argv[1])
print('held', flush=True)
time.sleep(600)
'''


def _holder(work_dir):
    """A process that takes the lock of ``work_dir`` and keeps it."""
    proc = subprocess.Popen([sys.executable, '-c', _HOLD,
                             str(work_dir)],
                            stdout=subprocess.PIPE,
                            text=True,
                            cwd=REPO_ROOT,
                            env={
                                'PYTHONPATH': REPO_ROOT,
                                'PATH': '/usr/bin:/bin'
                            })
    assert proc.stdout.readline().strip() == 'held'
    return proc


@pytest.mark.slow  # starts a process
def test_a_second_owner_is_refused_until_the_first_dies(tmp_path):
    work = tmp_path / 'w'
    holder = _holder(work)
    try:
        with pytest.raises(
                WorkDirInUseError,
                match=rf'^work dir {work} is in use by another training run '
                rf'\(pid {holder.pid} on .*\); wait for it'):
            lock_work_dir(str(work))
    finally:
        holder.send_signal(signal.SIGKILL)  # a crash: no clean-up runs
        holder.wait()
    # the OS dropped the lock with the process
    assert lock_work_dir(str(work)) == osp.join(str(work), WORK_DIR_LOCK)
    release_work_dir(str(work))


def test_lock_is_held_until_released_and_names_its_owner(tmp_path):
    work = tmp_path / 'new' / 'w'  # created
    path = lock_work_dir(str(work))
    try:
        assert lock_work_dir(str(work)) == path  # this process: re-entrant
        with open(path) as f:
            assert f.read().startswith(f'pid {os.getpid()} ')
        # another open file description of the same process is refused
        with open(path) as other:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        release_work_dir(str(work))
    with open(path) as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    release_work_dir(str(work))  # not held: a no-op


@pytest.mark.parametrize('launcher,env,rank', [
    ('none', dict(RANK='3'), 0),
    ('pytorch', dict(RANK='1'), 1),
    ('slurm', dict(SLURM_PROCID='2'), 2),
    ('mpi', dict(OMPI_COMM_WORLD_RANK='1'), 1),
    ('pytorch', {}, 0),
])
def test_launch_rank_reads_the_launchers_variable(monkeypatch, launcher, env,
                                                  rank):
    for name in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK'):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert launch_rank(launcher) == rank


def test_only_rank_0_of_a_job_takes_the_lock(tmp_path, monkeypatch):
    work = str(tmp_path / 'w')
    lock_work_dir(work)  # rank 0 of the job holds it
    try:
        monkeypatch.setenv('RANK', '1')
        assert lock_work_dir(work, 'pytorch') is None  # rank 1 shares it
    finally:
        release_work_dir(work)
