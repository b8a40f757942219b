#!/usr/bin/env python
"""Time the t-SNE of ``tools/plot_embeddings.py tsne`` on synthetic points.

    python tools/benchmark_tsne.py [--points 5000] [--dims 512]
        [--clusters 20] [--spread 0.6] [--perplexity 30] [--iterations 1000]
        [--seed 0] [--repeat 1] [--threads N]
        [--module vifi_mmaction.visualization.tsne]

The points are ``--clusters`` Gaussian clusters around random unit centres,
L2-normalised like video embeddings. Prints seconds per run and the share of
points whose 10 nearest neighbours in the 2-D map mostly carry their own
cluster (a check that the map is a t-SNE, not only a time). ``--module``
names any module with the same ``tsne(x, perplexity=, n_iter=, seed=)``
function, e.g. an older checkout's, to compare on the same points. Both the
wall-clock time and the CPU time of the process (all its threads) are
reported: on a shared machine the wall-clock time also counts the waits for
a core. The last line printed is a JSON summary.
"""
import argparse
import importlib
import json
import os
import platform
import sys
import time

import numpy as np

from vifi_mmaction.cli import add_tsne_arguments, run_cli, tool_parser
from vifi_mmaction.cli.checks import check_at_least


def clustered_points(points: int, dims: int, clusters: int, spread: float,
                     seed: int):
    """``[points, dims]`` float32 unit vectors in clusters, and their
    cluster ids ``[points]``."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dims))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    ids = rng.integers(0, clusters, points)
    x = centres[ids] + rng.standard_normal(
        (points, dims)) * spread / np.sqrt(dims)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), ids


def neighbour_agreement(y: np.ndarray, ids: np.ndarray, k: int = 10) -> float:
    """Share of points whose ``k`` nearest map neighbours are mostly of
    their own cluster."""
    sq = (y * y).sum(axis=1)
    d = sq[:, None] + sq[None, :] - 2 * y @ y.T
    np.fill_diagonal(d, np.inf)
    near = np.argpartition(d, k, axis=1)[:, :k]
    return float(((ids[near] == ids[:, None]).mean(axis=1) > 0.5).mean())


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(__file__, __doc__.split('\n')[0])
    parser.add_argument('--points', type=int, default=5000)
    parser.add_argument('--dims', type=int, default=512)
    parser.add_argument('--clusters', type=int, default=20)
    parser.add_argument('--spread', type=float, default=0.6)
    add_tsne_arguments(parser)
    parser.add_argument('--repeat', type=int, default=1)
    parser.add_argument(
        '--threads',
        type=int,
        help='passed to tsne() as threads= (a module whose tsne() takes it)')
    parser.add_argument(
        '--module',
        default='vifi_mmaction.visualization.tsne',
        help='module whose tsne() is timed')
    return parser


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args):
    """The ``tsne`` function to time, once the sizes are checked."""
    check_at_least(args, 'points', 'dims', 'clusters', 'repeat')
    return importlib.import_module(args.module).tsne


def _run(args, tsne) -> int:
    x, ids = clustered_points(args.points, args.dims, args.clusters,
                              args.spread, args.seed)
    extra = {} if args.threads is None else dict(threads=args.threads)
    times, cpu_times = [], []
    for _ in range(args.repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        y = tsne(
            x,
            perplexity=args.perplexity,
            n_iter=args.iterations,
            seed=args.seed,
            **extra)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        print(
            f'{args.module}.tsne: {times[-1]:.1f} s wall-clock, '
            f'{cpu_times[-1]:.1f} s CPU',
            flush=True)
    agreement = neighbour_agreement(np.asarray(y, np.float64), ids)
    print(f'10-NN cluster agreement in the map: {agreement:.3f}')
    print(
        json.dumps(
            dict(
                module=args.module,
                points=args.points,
                dims=args.dims,
                clusters=args.clusters,
                perplexity=args.perplexity,
                iterations=args.iterations,
                threads=args.threads,
                seconds=[round(t, 2) for t in times],
                cpu_seconds=[round(t, 2) for t in cpu_times],
                agreement=round(agreement, 4),
                cpus=os.cpu_count(),
                machine=platform.processor() or platform.machine())))
    return 0


if __name__ == '__main__':
    sys.exit(main())
