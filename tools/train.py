#!/usr/bin/env python
"""Train a recognizer: mmaction2's ``tools/train.py`` interface.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
        [--amp [fp16|bf16]]  (paper configs: fp16 on a GPU without it)
        [--partial-load] [--overwrite]
        [--auto-scale-lr] [--seed N] [--diff-rank-seed | --same-rank-seed]
        [--deterministic]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi] [--debug]

``load_from`` and ``--resume`` checkpoints must fit the model exactly
(``ViFiStrictLoadHook``); ``--partial-load`` loads what fits from a
``load_from`` checkpoint of another model (e.g. another head) and logs what
was skipped. A work dir that already holds a run's checkpoints is not
trained over without ``--resume`` or ``--overwrite``, and one run owns a
work dir at a time: a second run on it stops with one line (the lock is
released when the owner ends, however it ends). Bad arguments and
config keys stop with one ``train.py: error: ...`` line, exit status 2,
before the model is built (``--debug`` or ``VIFI_DEBUG=1``: traceback).
"""
import contextlib
import os.path as osp

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.cli import (add_cfg_options_argument,
                               add_launcher_arguments, add_output_arguments,
                               apply_launcher_args, build_runner,
                               lock_work_dir, release_work_dir, run_cli,
                               tool_parser)
from vifi_mmaction.compat import exit_process
from vifi_mmaction.engine import resolve_auto_resume
from vifi_mmaction.engine.config_checks import (check_config, load_config,
                                                merge_cfg_options)
from vifi_mmaction.engine.loops import check_steps_per_epoch
from vifi_mmaction.engine.strict_load import add_strict_load_hook
from vifi_mmaction.errors import InputError
from vifi_mmaction.evaluation import add_finite_score_check
from vifi_mmaction.utils import check_output_dir


def build_parser():
    parser = tool_parser(__file__, 'Train a ViFi-CLIP model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='directory for logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT, or from the latest checkpoint in the work '
        'dir when no path is given')
    parser.add_argument(
        '--amp',
        nargs='?',
        const='auto',
        choices=['auto', 'fp16', 'bf16'],
        help='automatic mixed precision: fp16 on a GPU, bf16 on the CPU '
        '(auto), or the named dtype. The paper configs already train in '
        'fp16 on a GPU; on a CPU they train in fp32 unless this is given')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip validation during training')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load_from: load the keys that fit and log the skipped ones '
        '(fine-tuning from a checkpoint of another model)')
    add_output_arguments(
        parser, 'train in a work dir that holds checkpoints of an earlier '
        'run, replacing them')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale lr with the actual total batch size')
    parser.add_argument('--seed', type=int, default=None)
    ranks = parser.add_mutually_exclusive_group()
    ranks.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='seed each rank with seed + rank, as the official run '
        '(randomness.diff_rank_seed=True, the default of every config)')
    ranks.add_argument(
        '--same-rank-seed',
        action='store_true',
        help='draw the same augmentation and Mixup/CutMix on every rank '
        '(randomness.diff_rank_seed=False)')
    parser.add_argument('--deterministic', action='store_true')
    add_cfg_options_argument(parser)
    add_launcher_arguments(parser)
    return parser


def merge_args(cfg, args):
    """Fold command-line switches into the config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    apply_launcher_args(cfg, args)
    if args.amp:
        opt = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if opt not in ('AmpOptimWrapper', 'ViFiAmpOptimWrapper'):
            # mmengine's AmpOptimWrapper on accelerators, bf16 on the CPU
            cfg.optim_wrapper.type = 'ViFiAmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        if args.amp != 'auto':
            cfg.optim_wrapper.dtype = dict(
                fp16='float16', bf16='bfloat16')[args.amp]
        if cfg.optim_wrapper.type == 'ViFiAmpOptimWrapper':
            # the paper configs' cpu_dtype='float32' is the no-`--amp` case;
            # CPU autocast is bf16 (fp16 is refused there, in one line)
            cfg.optim_wrapper.cpu_dtype = 'float16' if args.amp == 'fp16' \
                else 'bfloat16'
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if cfg.get('randomness') is None:
        cfg.randomness = dict()
    if args.seed is not None:
        cfg.randomness.seed = args.seed
    if args.deterministic:
        cfg.randomness.deterministic = True
    if args.diff_rank_seed or args.same_rank_seed:
        cfg.randomness.diff_rank_seed = args.diff_rank_seed
    merge_cfg_options(cfg, args.cfg_options, args.config)
    return cfg


def check_args(args, cfg) -> None:
    """Fail before the model is built, naming the argument."""
    if args.resume not in (None, 'auto') and not osp.isfile(args.resume):
        raise FileNotFoundError(f'--resume {args.resume}: no such '
                                f'checkpoint')
    if args.partial_load and cfg.get('resume'):
        raise InputError('--partial-load is for load_from; a resumed run '
                         'must fit its checkpoint exactly')
    if args.partial_load and not cfg.get('load_from'):
        raise InputError('--partial-load needs a load_from checkpoint')
    load_from = cfg.get('load_from')
    if load_from and '://' not in str(load_from) and \
            not osp.isfile(load_from):
        raise FileNotFoundError(f'load_from {load_from}: no such checkpoint')
    check_output_dir(cfg.work_dir, [], what='work dir')


def check_earlier_run(args, cfg) -> None:
    """A work dir holding an earlier run's checkpoints needs ``--resume`` or
    ``--overwrite`` (checked while holding the work dir's lock)."""
    pointer = osp.join(cfg.work_dir, 'last_checkpoint')
    if not cfg.get('resume') and not args.overwrite and osp.isfile(pointer):
        raise InputError(
            f'{cfg.work_dir} holds the checkpoints of an earlier run '
            f'({pointer}); pass --resume to continue it or --overwrite to '
            f'train over it')


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args):
    cfg = merge_args(load_config(args.config), args)
    check_config(cfg, args.config)
    check_args(args, cfg)
    with contextlib.ExitStack() as on_error:
        # one run owns a work dir; held until _run ends (or the process)
        lock_work_dir(cfg.work_dir, args.launcher)
        on_error.callback(release_work_dir, cfg.work_dir)
        check_earlier_run(args, cfg)
        add_strict_load_hook(
            cfg,
            allow_partial=args.partial_load,
            hint='to fine-tune from part of it, pass --partial-load')
        add_finite_score_check(cfg, 'the model in training')
        runner = build_runner(cfg, args)
        if runner.train_loop is not None:  # builds the train dataloader
            check_steps_per_epoch(runner.train_loop,
                                  (cfg.get('optim_wrapper')
                                   or {}).get('accumulative_counts', 1))
        # before train(): FlexibleRunner loads before any hook's before_run
        resolve_auto_resume(runner)
        on_error.pop_all()
    return runner


def _run(args, runner) -> int:
    try:
        runner.train()
    finally:
        release_work_dir(runner.work_dir)
    return 0


if __name__ == '__main__':
    exit_process(main())
