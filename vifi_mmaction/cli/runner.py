"""What tools/train.py and tools/test.py share around the mmengine runner:
the launcher options, the work dir rule of mmaction2's tools and building
the runner (``Runner`` or a config's ``runner_type``)."""
import argparse
import os
import os.path as osp

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..compat import init_cpu_distributed

__all__ = ['add_launcher_arguments', 'apply_launcher_args', 'build_runner']


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
