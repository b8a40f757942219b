#!/usr/bin/env python
"""Test a recognizer: mmaction2's ``tools/test.py`` interface.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump FILE.pkl]
        [--out-metrics FILE.json] [--overwrite] [--count-unreadable-as-wrong]
        [--cfg-options k=v ...] [--launcher ...] [--debug]

The checkpoint must be this config's model: missing, unexpected or
mis-shaped keys and NaN/Inf weights stop the run before any video is read
(``ViFiStrictLoadHook``). Arguments, output paths and config keys are
checked first; a bad one is one ``test.py: error: ...`` line, exit status 2
(``--debug`` or ``VIFI_DEBUG=1`` shows the traceback).

An unreadable test video fails the run, listing every such file (all of
them, after the whole set has been scored). ``--count-unreadable-as-wrong``
instead scores each one as a wrong prediction, kept in the denominator, and
lists them in ``WORK_DIR/video_faults.json`` (config key:
``ViFiDataCheckHook(test_faults='count_wrong')`` in ``custom_hooks``).
"""
import json
import os.path as osp

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.cli import (add_cfg_options_argument,
                               add_launcher_arguments, add_output_arguments,
                               apply_launcher_args, build_runner, run_cli,
                               tool_parser)
from vifi_mmaction.cli.checks import check_at_least
from vifi_mmaction.compat import exit_process
from vifi_mmaction.engine.config_checks import (check_config, load_config,
                                                merge_cfg_options)
from vifi_mmaction.engine.strict_load import add_strict_load_hook
from vifi_mmaction.errors import InputError
from vifi_mmaction.evaluation import add_finite_score_check
from vifi_mmaction.utils import check_output, check_output_dir, staged_files


def build_parser():
    parser = tool_parser(__file__, 'Test a ViFi-CLIP model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='directory for logs and metrics')
    parser.add_argument(
        '--dump', type=str, help='dump predictions to a pickle file (.pkl)')
    parser.add_argument(
        '--out-metrics',
        type=str,
        help='also write the metrics to this JSON file')
    add_output_arguments(parser, 'replace existing --dump/--out-metrics files')
    parser.add_argument(
        '--count-unreadable-as-wrong',
        action='store_true',
        help='score unreadable test videos as wrong predictions (kept in '
        'the denominator, listed in WORK_DIR/video_faults.json) instead of '
        'failing the run')
    add_cfg_options_argument(parser)
    parser.add_argument('--show-dir', help='directory for visualisations')
    parser.add_argument('--show', action='store_true')
    parser.add_argument('--interval', type=int, default=1)
    parser.add_argument('--wait-time', type=float, default=2)
    add_launcher_arguments(parser)
    return parser


def check_args(args) -> None:
    """Fail before any model work, naming the argument."""
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'{args.checkpoint}: no such checkpoint')
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise InputError(f'--dump must end with .pkl, got {args.dump}')
        check_output(args.dump, [args.config, args.checkpoint], args.overwrite,
                     '--dump')
    if args.out_metrics:
        check_output(args.out_metrics,
                     [args.config, args.checkpoint, args.dump], args.overwrite,
                     '--out-metrics')
    check_at_least(args, 'interval')


def merge_args(cfg, args):
    """Fold command-line switches into the config."""
    apply_launcher_args(cfg, args)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        vis = cfg.default_hooks.setdefault('visualization',
                                           dict(type='VisualizationHook'))
        vis.update(
            enable=True,
            show=args.show,
            interval=args.interval,
            wait_time=args.wait_time)
        if args.show_dir:
            vis.out_dir = args.show_dir
    if args.dump is not None:
        evaluator = cfg.test_evaluator
        if not isinstance(evaluator, list):
            evaluator = [evaluator]
        cfg.test_evaluator = list(evaluator) + [
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    merge_cfg_options(cfg, args.cfg_options, args.config)
    if args.count_unreadable_as_wrong:
        hooks = list(cfg.get('custom_hooks') or [])
        checks = [
            h for h in hooks if h.get('type') in ('ViFiDataCheckHook',
                                                  'mmaction.ViFiDataCheckHook')
        ]
        if not checks:
            checks = [dict(type='ViFiDataCheckHook')]
            hooks.append(checks[0])
        for hook in checks:
            hook['test_faults'] = 'count_wrong'
        cfg.custom_hooks = hooks
    return cfg


def main(argv=None):
    """Returns the metrics dict, or exit status 2 after an input error."""
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args):
    check_args(args)
    cfg = merge_args(load_config(args.config), args)
    check_config(cfg, args.config)
    check_output_dir(cfg.work_dir, [], what='work dir')
    add_strict_load_hook(cfg)
    add_finite_score_check(cfg, args.checkpoint)
    return build_runner(cfg, args)


def _run(args, runner) -> dict:
    metrics = runner.test()
    if args.out_metrics and runner.rank == 0:
        with staged_files([args.out_metrics]) as tmp:
            with open(tmp[args.out_metrics], 'w') as f:
                json.dump({
                    k: float(v)
                    for k, v in metrics.items()
                },
                          f,
                          indent=2)
    return metrics


if __name__ == '__main__':
    result = main()
    exit_process(0 if isinstance(result, dict) else result)
