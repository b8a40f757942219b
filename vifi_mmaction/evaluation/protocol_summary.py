"""Test metrics summarised the way the paper reports them.

Two protocols report more than one test run (docs/protocols.md):

* base-to-novel: one base and one novel accuracy per seed, their harmonic
  mean ``HM = 2BN / (B + N)`` per seed, and a mean row: mean base, mean
  novel and the HM of those two means (the paper's and the official
  README's convention), with the mean of the per-seed HMs beside it;
* zero-shot: one accuracy per test split, and ``mean ± std`` over splits
  (population std by default, ``ddof=1`` for the sample std).

Inputs are the JSON files of ``tools/test.py --out-metrics FILE``
(``{"acc/top1": 0.733, ...}``); mmaction's ``AccMetric`` writes fractions,
so a value outside ``[0, 1]`` is refused (it is not an accuracy of this
pipeline) before any mean is taken. :func:`harmonic_mean` is the package's
one harmonic mean (``tools/report.py`` and ``tools/quickstart.py`` use it).
"""
import json
import math
from typing import Dict, Optional, Sequence

from ..errors import ViFiUserError

__all__ = [
    'DEFAULT_METRIC', 'ReportError', 'read_metric', 'harmonic_mean',
    'mean_std', 'hm_report', 'splits_report', 'format_hm', 'format_splits'
]

DEFAULT_METRIC = 'acc/top1'


class ReportError(ViFiUserError, ValueError):
    """A metric file that cannot be summarised; names the file."""


def read_metric(path: str,
                metric: str = DEFAULT_METRIC,
                scale: float = 1.) -> float:
    """One accuracy of a ``tools/test.py --out-metrics`` JSON file.

    Args:
        path: the JSON file.
        metric: its key (``acc/top1``, ``acc/top5``, ``acc/mean1``).
        scale: multiply the fraction by this (100 gives percentages).

    Returns:
        float: ``value * scale``.

    Raises:
        ReportError: naming the file for text that is not JSON, a missing
            key (listing the keys it has), or a value that is not a finite
            number in ``[0, 1]``.
    """
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
    if not 0. <= value <= 1.:
        raise ReportError(f'{path}: {metric} is {value!r}, outside [0, 1]; '
                          f'tools/test.py --out-metrics writes accuracies as '
                          f'fractions')
    return float(value) * scale


def harmonic_mean(base: float, novel: float) -> float:
    """``2 * base * novel / (base + novel)``; 0 when both are 0."""
    if base + novel == 0:
        return 0.
    return 2 * base * novel / (base + novel)


def mean_std(values: Sequence[float], ddof: int = 0) -> Dict[str, float]:
    """``{'mean', 'std'}`` of ``values``; the std divides by ``n - ddof``.

    Raises:
        ReportError: for ``n <= ddof`` values.
    """
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
    """Per-seed base/novel/HM and their mean row (HM of the means).

    Args:
        base, novel: one accuracy per seed each, same seed order.
        seeds: seed names (default ``s1``, ``s2``, ...).

    Returns:
        dict: ``seeds`` (rows of ``seed``, ``base``, ``novel``, ``hm``) and
        ``mean`` (``base``, ``novel``, ``hm``, ``mean_of_seed_hm``).
    """
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
    """One value per split and their ``mean``, ``std``, ``ddof``, ``n``."""
    stats = mean_std(values, ddof)
    return dict(
        splits=[dict(split=n, value=v) for n, v in zip(names, values)],
        mean=stats['mean'],
        std=stats['std'],
        ddof=ddof,
        n=len(values))


def format_hm(report: dict, metric: str) -> str:
    """:func:`hm_report` as a Markdown table."""
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
    """:func:`splits_report` as a Markdown table."""
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
