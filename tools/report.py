#!/usr/bin/env python
"""Summarise test metrics the way the paper reports them.

Inputs are the JSON files written by ``tools/test.py --out-metrics FILE``
(``{"acc/top1": 0.733, "acc/top5": ..., "acc/mean1": ...}``; mmaction's
``AccMetric`` gives fractions, shown here as percentages: ``--scale 100``).

Base-to-novel, one base and one novel result per seed::

    python tools/report.py hm --base s1_base.json s2_base.json s3_base.json \\
        --novel s1_novel.json s2_novel.json s3_novel.json [--out hm.json]

prints base, novel and their harmonic mean HM = 2BN / (B + N) for every
seed, and a mean row: mean base, mean novel and the HM of those two means
(the paper's and the official README's convention); the mean of the
per-seed HMs is given too.

Zero-shot, one result per test split::

    python tools/report.py splits split1.json split2.json split3.json \\
        [--out zs.json] [--ddof 0]

prints every split and ``mean ± std``. The std is the population standard
deviation (``--ddof 0``, numpy's ``np.std`` default: divide by n);
``--ddof 1`` gives the sample standard deviation (divide by n - 1).

A value outside [0, 1] is not an accuracy of ``tools/test.py``: one line
naming the file and the value, exit status 2, no table. The statistics are
:mod:`vifi_mmaction.evaluation.protocol_summary`; this script is its command
line.
"""
import argparse
import json
import math
import os.path as osp
import sys
from typing import Optional

from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.evaluation.protocol_summary import (DEFAULT_METRIC,
                                                       ReportError, format_hm,
                                                       format_splits,
                                                       hm_report, read_metric,
                                                       splits_report)
from vifi_mmaction.utils import check_output, staged_files


def _stem(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def _write(path: Optional[str], report: dict) -> None:
    if not path:
        return
    with staged_files([path]) as tmp:
        with open(tmp[path], 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=2)


def build_parser():
    parser = argparse.ArgumentParser(
        prog=osp.basename(__file__),
        description='Harmonic means (base-to-novel) and mean ± std over '
        'splits (zero-shot) from tools/test.py --out-metrics JSON files.')
    sub = parser.add_subparsers(dest='command', required=True)

    def common(p):
        p.add_argument(
            '--metric',
            default=DEFAULT_METRIC,
            help='metric key in the JSON files')
        p.add_argument(
            '--scale',
            type=float,
            default=100.,
            help='multiply metric values by this (AccMetric '
            'gives fractions; 100 shows percentages, 1 keeps '
            'them)')
        add_output_arguments(
            p,
            'replace an existing --out file',
            out='also write the report to this JSON')

    hm = sub.add_parser(
        'hm', help='base, novel and harmonic mean per seed '
        'and averaged')
    hm.add_argument(
        '--base',
        nargs='+',
        required=True,
        help='base-class metric JSONs, one per seed')
    hm.add_argument(
        '--novel',
        nargs='+',
        required=True,
        help='novel-class metric JSONs, same seed order')
    hm.add_argument('--seeds', nargs='+', help='seed names (default s1..)')
    common(hm)

    sp = sub.add_parser('splits', help='mean ± std over test splits')
    sp.add_argument('files', nargs='+', help='metric JSONs, one per split')
    sp.add_argument(
        '--names', nargs='+', help='split names (default: file names)')
    sp.add_argument(
        '--ddof',
        type=int,
        default=0,
        choices=(0, 1),
        help='0: population std (divide by n, the default); '
        '1: sample std (divide by n - 1)')
    common(sp)
    return parser


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args):
    if args.scale <= 0 or not math.isfinite(args.scale):
        raise ReportError(f'--scale must be a positive number, got '
                          f'{args.scale}')
    inputs = args.base + args.novel if args.command == 'hm' else args.files
    if args.out:
        check_output(args.out, inputs, args.overwrite, '--out')
    if args.command == 'hm':
        base = [read_metric(p, args.metric, args.scale) for p in args.base]
        novel = [read_metric(p, args.metric, args.scale) for p in args.novel]
        report = hm_report(base, novel, args.seeds)
        report.update(
            metric=args.metric, base_files=args.base, novel_files=args.novel)
        text = format_hm(report, args.metric)
    else:
        names = args.names or [_stem(p) for p in args.files]
        if len(names) != len(args.files):
            raise ReportError(f'{len(names)} names for '
                              f'{len(args.files)} files')
        values = [read_metric(p, args.metric, args.scale) for p in args.files]
        report = splits_report(values, names, args.ddof)
        report.update(metric=args.metric, files=args.files)
        text = format_splits(report, args.metric)
    return report, text


def _run(args, state) -> int:
    report, text = state
    print(text)
    _write(args.out, report)
    return 0


if __name__ == '__main__':
    sys.exit(main())
