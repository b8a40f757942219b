#!/usr/bin/env python
"""Measure speed, memory and FLOPs of a recognizer against a naive reference.

    python tools/benchmark.py CONFIG [--mode train|test] [--batch-size B]
        [--num-frames T] [--num-classes K] [--amp bf16|fp16] [--iters N]
        [--warmup W] [--device cpu|cuda] [--out results.json]

Two variants of the same model (random weights, no data or weights needed)
are measured, each in its own subprocess so that peak memory is its own:

* ``ours``: the plugin as configured (class-text cache in eval mode, text
  context cut to the longest prompt);
* ``naive``: the official implementation's cost model: every class prompt
  re-encoded on every forward at the full 77-token context, no cache.

Reported per variant, after warm-up: clips/s, seconds per iteration, peak
memory (CUDA allocator on GPU, process peak RSS on CPU), GFLOPs per clip
counted with ``torch.utils.flop_counter`` and split into visual and text
parts, and achieved FLOP/s as a fraction of a GEMM peak measured in the same
run. Then the speed-up and memory ratio of ``ours`` over ``naive``.

Class names are synthetic phrases of 1-5 words (K400-like lengths); the
prompt template is the config's. The measurement is
:mod:`vifi_mmaction.benchmarks.model_cost`; this script runs it once per
variant and prints the table.
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import tempfile
import time

import torch

import vifi_mmaction  # noqa: F401  (registers modules)
from vifi_mmaction.benchmarks.model_cost import VARIANTS, measure_variant
from vifi_mmaction.cli import (add_cfg_options_argument, add_output_arguments,
                               run_cli)
from vifi_mmaction.cli.checks import check_at_least
from vifi_mmaction.engine.config_checks import load_config
from vifi_mmaction.utils import check_output, staged_files


def build_parser():
    p = argparse.ArgumentParser(
        prog=osp.basename(__file__), description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--mode', choices=['train', 'test'], default='test')
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--num-frames', type=int, default=8)
    p.add_argument('--num-classes', type=int, default=400)
    p.add_argument('--amp', choices=['bf16', 'fp16'], default=None)
    p.add_argument('--iters', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument(
        '--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS)
    add_output_arguments(
        p,
        'replace an existing --out file',
        out='write the results as JSON here')
    add_cfg_options_argument(p)
    p.add_argument('--variant', help=argparse.SUPPRESS)
    p.add_argument('--variant-out', help=argparse.SUPPRESS)
    return p


def check_args(args) -> None:
    """Before any model is built: numbers, config keys, output path."""
    check_at_least(args, 'batch_size', 'num_frames', 'num_classes', 'iters')
    check_at_least(args, 'warmup', minimum=0)
    load_config(args.config, args.cfg_options)
    if args.out and not args.variant:
        check_output(args.out, [args.config], args.overwrite, '--out')


def _child_argv(argv, variant, out):
    return [sys.executable, osp.abspath(__file__)
            ] + argv + ['--variant', variant, '--variant-out', out]


def main(argv=None):
    """Returns the report, or exit status 2 after an input error."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_cli(build_parser(), check_args,
                   lambda args, _: _run(args, argv), argv)


# What one variant is measured with, in measure_variant's and the report's
# words.
SETTINGS = ('mode', 'batch_size', 'num_frames', 'num_classes', 'amp', 'iters',
            'warmup')


def _settings(args) -> dict:
    return {name: getattr(args, name) for name in SETTINGS}


def _run(args, argv):
    if args.variant:  # child process: one variant
        result = measure_variant(
            args.config,
            args.variant,
            device=args.device,
            cfg_options=args.cfg_options,
            **_settings(args))
        with open(args.variant_out, 'w') as f:
            json.dump(result, f)
        return None
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants:
            out = osp.join(tmp, f'{variant}.json')
            env = dict(os.environ)
            root = osp.dirname(osp.dirname(osp.abspath(__file__)))
            env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
            subprocess.run(
                _child_argv(argv, variant, out), check=True, env=env)
            with open(out) as f:
                results[variant] = json.load(f)
    report = dict(
        config=args.config,
        **_settings(args),
        device=str(args.device),
        torch=torch.__version__,
        machine=dict(
            processor=platform.processor() or platform.machine(),
            cpus=os.cpu_count(),
            threads=torch.get_num_threads()),
        date=time.strftime('%Y-%m-%d'),
        variants=results)
    if 'ours' in results and 'naive' in results:
        report['speedup'] = (
            results['naive']['sec_per_iter'] / results['ours']['sec_per_iter'])
        report['memory_ratio'] = (
            results['ours']['peak_memory_bytes'] /
            results['naive']['peak_memory_bytes'])
    print_table(report)
    if args.out:
        with staged_files([args.out]) as tmp:
            with open(tmp[args.out], 'w') as f:
                json.dump(report, f, indent=2)
    return report


def print_table(report):
    head = (f'{"variant":8} {"s/iter":>9} {"clips/s":>9} {"peak MiB":>9} '
            f'{"GFLOP/clip":>11} {"visual":>8} {"text":>8} {"% GEMM":>7}')
    print(f'{report["mode"]} | batch {report["batch_size"]} | '
          f'{report["num_frames"]} frames | {report["num_classes"]} classes | '
          f'amp {report["amp"]} | {report["device"]}')
    print(head)
    for name, r in report['variants'].items():
        g = r['gflops_per_clip']
        print(f'{name:8} {r["sec_per_iter"]:9.3f} {r["clips_per_sec"]:9.3f} '
              f'{r["peak_memory_bytes"] / 2**20:9.0f} {g["total"]:11.1f} '
              f'{g["visual"]:8.1f} {g["text"]:8.1f} '
              f'{100 * r["fraction_of_gemm_peak"]:6.1f}%')
    if 'speedup' in report:
        print(f'speed-up {report["speedup"]:.2f}x, memory ratio '
              f'{report["memory_ratio"]:.2f}')


if __name__ == '__main__':
    result = main()
    sys.exit(result if isinstance(result, int) else 0)
