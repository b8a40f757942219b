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
"""
import argparse
import json
import math
import os.path as osp
import sys
from typing import Dict, Optional, Sequence

from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.errors import ViFiUserError
from vifi_mmaction.utils import check_output, staged_files

DEFAULT_METRIC = 'acc/top1'


class ReportError(ViFiUserError, ValueError):
    """A metric file that cannot be summarised; names the file."""


def read_metric(path: str, metric: str, scale: float) -> float:
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        data = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ReportError(f'{path}: not a JSON file ({e})') from None
    if not isinstance(data, dict) or metric not in data:
        keys = ', '.join(sorted(map(str, data))) if isinstance(data,
                                                               dict) else '-'
        raise ReportError(f'{path}: no metric {metric!r} (has: {keys})')
    value = data[metric]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise ReportError(f'{path}: {metric} is {value!r}, not a finite '
                          f'number')
    return float(value) * scale


def harmonic_mean(base: float, novel: float) -> float:
    if base + novel == 0:
        return 0.
    return 2 * base * novel / (base + novel)


def mean_std(values: Sequence[float], ddof: int = 0) -> Dict[str, float]:
    n = len(values)
    if n <= ddof:
        raise ReportError(f'need more than {ddof} values for ddof={ddof}, '
                          f'got {n}')
    mean = sum(values) / n
    var = sum((v - mean)**2 for v in values) / (n - ddof)
    return dict(mean=mean, std=math.sqrt(var))


def hm_report(base: Sequence[float],
              novel: Sequence[float],
              seeds: Optional[Sequence[str]] = None) -> dict:
    """Per-seed base/novel/HM and their mean (HM of the means)."""
    if len(base) != len(novel) or not base:
        raise ReportError(f'need one novel result per base result, got '
                          f'{len(base)} base and {len(novel)} novel')
    seeds = list(seeds) if seeds else [f's{i + 1}' for i in range(len(base))]
    if len(seeds) != len(base):
        raise ReportError(f'{len(seeds)} seed names for {len(base)} results')
    rows = [
        dict(seed=s, base=b, novel=n, hm=harmonic_mean(b, n))
        for s, b, n in zip(seeds, base, novel)
    ]
    mb, mn = sum(base) / len(base), sum(novel) / len(novel)
    mean = dict(
        base=mb,
        novel=mn,
        hm=harmonic_mean(mb, mn),
        mean_of_seed_hm=sum(r['hm'] for r in rows) / len(rows))
    return dict(seeds=rows, mean=mean)


def splits_report(values: Sequence[float],
                  names: Sequence[str],
                  ddof: int = 0) -> dict:
    stats = mean_std(values, ddof)
    return dict(
        splits=[dict(split=n, value=v) for n, v in zip(names, values)],
        mean=stats['mean'],
        std=stats['std'],
        ddof=ddof,
        n=len(values))


def format_hm(report: dict, metric: str) -> str:
    lines = [
        f'base-to-novel ({metric}, %)', '', '| seed | base | novel | HM |',
        '| --- | ---: | ---: | ---: |'
    ]
    for r in report['seeds']:
        lines.append(f'| {r["seed"]} | {r["base"]:.2f} | {r["novel"]:.2f} '
                     f'| {r["hm"]:.2f} |')
    m = report['mean']
    lines.append(f'| mean | {m["base"]:.2f} | {m["novel"]:.2f} | '
                 f'{m["hm"]:.2f} |')
    lines += [
        '', 'HM of the mean row = HM(mean base, mean novel); mean of '
        f'the per-seed HMs: {m["mean_of_seed_hm"]:.2f}'
    ]
    return '\n'.join(lines)


def format_splits(report: dict, metric: str) -> str:
    kind = 'population' if report['ddof'] == 0 else 'sample'
    lines = [
        f'zero-shot splits ({metric}, %)', '', '| split | value |',
        '| --- | ---: |'
    ]
    for r in report['splits']:
        lines.append(f'| {r["split"]} | {r["value"]:.2f} |')
    lines.append(f'| mean ± std | {report["mean"]:.2f} ± '
                 f'{report["std"]:.2f} |')
    lines += [
        '', f'std: {kind} standard deviation over '
        f'{report["n"]} splits'
    ]
    return '\n'.join(lines)


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
