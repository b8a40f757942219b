#!/usr/bin/env python
"""Cost of an eval forward against the number of classes and frames.

    python tools/benchmark_sweep.py CONFIG [--classes 50 100 200 400 600]
        [--frames 8 16 32] [--repeats N] [--device cpu|cuda]
        [--out sweep.json] [--plot cost.png]

An eval forward is the visual tower on ``T`` frames plus, for the naive
reference (the official cost model), the text tower on all ``K`` prompts at
the full 77-token context. Ours reads the class embeddings from the cache
(a one-off "cold" encoding at the context cut to the longest prompt). The
two parts are independent, so the sweep measures each part once per ``T``
and once per ``K`` (FLOPs with ``torch.utils.flop_counter``, seconds in a
separate un-instrumented call, batch 1, random weights) and adds them:

* ours (warm):  visual(T)
* ours (cold):  visual(T) + text_cut(K)   (once per label set)
* naive:        visual(T) + text_full(K)  (every forward)

The model and prompts are those of ``tools/benchmark.py``. The sweep is
:mod:`vifi_mmaction.benchmarks.cost_sweep`, the figure
:mod:`vifi_mmaction.visualization.cost_curves`.
"""
import argparse
import json
import os.path as osp
import sys

import torch

from vifi_mmaction.benchmarks.cost_sweep import sweep
from vifi_mmaction.cli import (add_cfg_options_argument, add_output_arguments,
                               run_cli)
from vifi_mmaction.engine.config_checks import load_config
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output, staged_files
from vifi_mmaction.visualization.cost_curves import plot_cost_curves


def build_parser():
    p = argparse.ArgumentParser(
        prog=osp.basename(__file__), description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument(
        '--classes', type=int, nargs='+', default=[50, 100, 200, 400, 600])
    p.add_argument('--frames', type=int, nargs='+', default=[8, 16, 32])
    p.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument(
        '--repeats',
        type=int,
        default=1,
        help='timed calls per part; the best is kept')
    add_output_arguments(
        p,
        'replace existing --out/--plot files',
        out='write the results as JSON here',
        plot='write the figure (PNG) here')
    add_cfg_options_argument(p)
    return p


def check_args(args) -> None:
    """Every argument, the config and the outputs, before any timing."""
    for name in ('classes', 'frames'):
        bad = [v for v in getattr(args, name) if v < 1]
        if bad:
            raise InputError(f'--{name} must be positive, got {bad}')
    if args.repeats < 1:
        raise InputError('--repeats must be at least 1')
    args.classes, args.frames = sorted(set(args.classes)), sorted(
        set(args.frames))
    load_config(args.config, args.cfg_options)
    if args.plot and not args.plot.lower().endswith('.png'):
        raise InputError(f'--plot must end with .png, got {args.plot}')
    for flag, path in (('--out', args.out), ('--plot', args.plot)):
        if path:
            check_output(path,
                         [args.config, args.out if flag == '--plot' else None],
                         args.overwrite, flag)


def main(argv=None):
    """Returns the report, or exit status 2 after an input error."""
    return run_cli(build_parser(), check_args, _run, argv)


def _run(args, _):
    report = sweep(args.config, args.classes, args.frames, args.repeats,
                   args.device, args.cfg_options)
    print(f'{"T":>3} {"K":>5} {"GFLOP ours":>11} {"naive":>9} '
          f'{"s ours":>8} {"naive":>8}')
    for p in report['points']:
        print(f'{p["num_frames"]:3d} {p["num_classes"]:5d} '
              f'{p["gflops"]["ours"]:11.1f} {p["gflops"]["naive"]:9.1f} '
              f'{p["seconds"]["ours"]:8.2f} {p["seconds"]["naive"]:8.2f}')
    if args.out:
        with staged_files([args.out]) as tmp:
            with open(tmp[args.out], 'w') as f:
                json.dump(report, f, indent=2)
    if args.plot:
        plot_cost_curves(report, args.plot)
    return report


if __name__ == '__main__':
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
