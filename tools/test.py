#!/usr/bin/env python
"""Test a recognizer: mmaction2's ``tools/test.py`` interface.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump FILE.pkl]
        [--out-metrics FILE.json] [--count-unreadable-as-wrong]
        [--cfg-options k=v ...] [--launcher ...]

An unreadable test video fails the run, listing every such file (all of
them, after the whole set has been scored). ``--count-unreadable-as-wrong``
instead scores each one as a wrong prediction, kept in the denominator, and
lists them in ``WORK_DIR/video_faults.json`` (config key:
``ViFiDataCheckHook(test_faults='count_wrong')`` in ``custom_hooks``).
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.compat import init_cpu_distributed


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a ViFi-CLIP model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='directory for logs and metrics')
    parser.add_argument('--dump', type=str,
                        help='dump predictions to a pickle file (.pkl)')
    parser.add_argument('--out-metrics', type=str,
                        help='also write the metrics to this JSON file')
    parser.add_argument(
        '--count-unreadable-as-wrong', action='store_true',
        help='score unreadable test videos as wrong predictions (kept in '
        'the denominator, listed in WORK_DIR/video_faults.json) instead of '
        'failing the run')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, xxx=yyy')
    parser.add_argument('--show-dir', help='directory for visualisations')
    parser.add_argument('--show', action='store_true')
    parser.add_argument('--interval', type=int, default=1)
    parser.add_argument('--wait-time', type=float, default=2)
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Fold command-line switches into the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        vis = cfg.default_hooks.setdefault('visualization',
                                           dict(type='VisualizationHook'))
        vis.update(enable=True, show=args.show, interval=args.interval,
                   wait_time=args.wait_time)
        if args.show_dir:
            vis.out_dir = args.show_dir
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--dump must end with .pkl, got {args.dump}')
        evaluator = cfg.test_evaluator
        if not isinstance(evaluator, list):
            evaluator = [evaluator]
        cfg.test_evaluator = list(evaluator) + [
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.count_unreadable_as_wrong:
        hooks = list(cfg.get('custom_hooks') or [])
        checks = [h for h in hooks if h.get('type') in (
            'ViFiDataCheckHook', 'mmaction.ViFiDataCheckHook')]
        if not checks:
            checks = [dict(type='ViFiDataCheckHook')]
            hooks.append(checks[0])
        for hook in checks:
            hook['test_faults'] = 'count_wrong'
        cfg.custom_hooks = hooks
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(Config.fromfile(args.config), args)
    init_cpu_distributed(cfg, args.launcher)
    # runner_type='FlexibleRunner' (FSDP/DeepSpeed configs) goes through
    # the registry, as in mmaction2's tools
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.out_metrics and runner.rank == 0:
        os.makedirs(osp.dirname(osp.abspath(args.out_metrics)), exist_ok=True)
        with open(args.out_metrics, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
    return metrics


if __name__ == '__main__':
    main()
