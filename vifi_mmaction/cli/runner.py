"""What tools/train.py and tools/test.py share around the mmengine runner:
the launcher options, the work dir rule of mmaction2's tools, building the
runner (``Runner`` or a config's ``runner_type``) and the lock that lets one
training run own a work dir at a time."""
import argparse
import fcntl
import os
import os.path as osp
import socket
import time
from typing import IO, Dict, Optional

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..compat import init_cpu_distributed
from ..errors import InputError

__all__ = [
    'add_launcher_arguments', 'apply_launcher_args', 'build_runner',
    'lock_work_dir', 'release_work_dir', 'launch_rank', 'WORK_DIR_LOCK',
    'WorkDirInUseError'
]

#: The file in a work dir that the training run owning it holds locked.
WORK_DIR_LOCK = '.train.lock'

# work dir (real path) -> the open lock file; the OS drops the lock when
# the process ends, however it ends
_HELD: Dict[str, IO[str]] = {}

# the variables each launcher gives a process its global rank in, before
# any process group exists
_RANK_VARIABLES = ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK')


class WorkDirInUseError(InputError):
    """Another training run holds the work dir."""


def add_launcher_arguments(parser: argparse.ArgumentParser) -> None:
    """``--launcher`` and the ``--local_rank`` that older launchers pass."""
    parser.add_argument(
        '--launcher',
        default='none',
        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def apply_launcher_args(cfg: Config, args: argparse.Namespace) -> None:
    """Set ``cfg.launcher`` and ``cfg.work_dir``: ``--work-dir``, else the
    config's, else ``work_dirs/<config file name>``."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])


def build_runner(cfg: Config, args: argparse.Namespace) -> Runner:
    """The runner of ``cfg``, with the process group of ``--launcher``
    (gloo on a machine without GPUs)."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    init_cpu_distributed(cfg, args.launcher)
    # runner_type='FlexibleRunner' (FSDP/DeepSpeed configs) goes through
    # the registry, as in mmaction2's tools
    return RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)


def launch_rank(launcher: str) -> int:
    """This process's global rank as its launcher set it (0 without one);
    readable before the process group starts."""
    if launcher == 'none':
        return 0
    for name in _RANK_VARIABLES:
        value = os.environ.get(name, '')
        if value.isdigit():
            return int(value)
    return 0


def lock_work_dir(work_dir: str, launcher: str = 'none') -> Optional[str]:
    """Make this run the one owner of ``work_dir`` until it ends.

    Two runs writing one work dir interleave their logs, config and
    checkpoints. The lock is an ``fcntl.flock`` on
    ``work_dir/``:data:`WORK_DIR_LOCK`, which the OS releases when the
    process ends (a killed run leaves nothing stuck). Only rank 0 of a
    distributed job takes it, so the job's other ranks share the work dir
    with it.

    Args:
        work_dir (str): created if missing.
        launcher (str): ``--launcher``; decides how the rank is read.

    Returns:
        str | None: the lock file, or None on ranks other than 0.

    Raises:
        WorkDirInUseError: another process holds the lock; names its PID.
    """
    if launch_rank(launcher) != 0:
        return None
    os.makedirs(work_dir, exist_ok=True)
    key = osp.realpath(work_dir)
    path = osp.join(work_dir, WORK_DIR_LOCK)
    if key in _HELD:
        return path
    f = open(path, 'a+', encoding='utf-8')
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or 'another process'
        f.close()
        raise WorkDirInUseError(
            f'work dir {work_dir} is in use by another training run '
            f'({holder}); wait for it to end or pass another '
            f'--work-dir') from None
    f.seek(0)
    f.truncate()
    f.write(f'pid {os.getpid()} on {socket.gethostname()} since '
            f'{time.strftime("%Y-%m-%d %H:%M:%S")}\n')
    f.flush()
    _HELD[key] = f
    return path


def release_work_dir(work_dir: str) -> None:
    """Give up the lock of :func:`lock_work_dir` (a no-op when not held)."""
    f = _HELD.pop(osp.realpath(work_dir), None)
    if f is not None:
        fcntl.flock(f, fcntl.LOCK_UN)
        f.close()
