#!/usr/bin/env python
"""Recall and latency of FAISS search against exact search.

    python tools/benchmark_search.py --size 1000000 --dim 512
        [--queries 1000] [--clusters C] [--dtype float32|float16]
        [--work-dir DIR] [--factory IVF2048,SQ8 --nprobe 32 --rerank 4]
        [--exact-queries 20] [--threads 2] [--sweep-nprobe 8 16 64]
        [--out result.json]
    python tools/benchmark_search.py --plot docs/search_latency.png \\
        result-10k.json result-1M.json ...

Writes a collection of clustered synthetic unit vectors (a mixture of
Gaussians on the sphere: vifi_mmaction/apis/retrieval/search_benchmark.py)
to DIR/embeddings.npy (kept for reruns with the same parameters), computes
the exact top-10 of the queries in one streaming pass, times exact search
one query at a time (on the first --exact-queries queries) and the FAISS
index of the size (built into DIR/index.faiss) on every query, one at a
time, with 2 threads. Progress goes to stderr; the last stdout line is the
JSON ``{"n", "dim", "index", "recall_at_10", "exact_ms_per_query",
"ann_ms_per_query", "build_s", "bytes_per_vector"}``; --out also keeps the
details (spec, percentiles, step times).

--plot draws query latency (exact and FAISS) against collection size from
--out files of earlier runs.

Exit status: 0 ok; 2 bad arguments or FAISS not installed.
"""
import os

# the benchmark's protocol is 2 threads: BLAS reads these at import
for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_var, '2')

import argparse  # noqa: E402
import json  # noqa: E402
import os.path as osp  # noqa: E402
import sys  # noqa: E402

import vifi_mmaction.cli as cli  # noqa: E402
from vifi_mmaction.apis.retrieval.search_benchmark import (  # noqa: E402
    benchmark, plot_latency)
from vifi_mmaction.errors import InputError  # noqa: E402
from vifi_mmaction.utils import check_output  # noqa: E402

SUMMARY_KEYS = ('n', 'dim', 'index', 'recall_at_10', 'exact_ms_per_query',
                'ann_ms_per_query', 'build_s', 'bytes_per_vector')


def build_parser() -> argparse.ArgumentParser:
    parser = cli.tool_parser(
        __file__,
        'Recall and latency of FAISS against exact search on synthetic '
        'clustered embeddings',
        epilog='exit status: 0 ok, 2 bad arguments or setup')
    parser.add_argument('--size', type=int, help='vectors in the collection')
    parser.add_argument('--dim', type=int, help='embedding size')
    parser.add_argument(
        '--queries', type=int, default=1000, help='queries (default 1000)')
    parser.add_argument(
        '--clusters',
        type=int,
        help='clusters of the mixture (default sqrt(size), at least 16)')
    parser.add_argument(
        '--dtype',
        choices=('float32', 'float16'),
        default='float32',
        help='embeddings on disk (default float32)')
    parser.add_argument(
        '--work-dir',
        help='where the collection and index go (default '
        'work_dirs/benchmark_search/SIZE-DIM-DTYPE)')
    parser.add_argument(
        '--factory',
        help='FAISS index_factory string instead of the one '
        'chosen for the size (with --nprobe, --rerank)')
    parser.add_argument('--nprobe', type=int, help='IVF lists scanned')
    parser.add_argument(
        '--rerank',
        type=int,
        default=4,
        help='with --factory: candidates re-scored per hit (default 4)')
    parser.add_argument(
        '--sweep-nprobe',
        type=int,
        nargs='+',
        default=[],
        metavar='NPROBE',
        help='also measure the IVF index with these nprobe values')
    parser.add_argument(
        '--exact-queries',
        type=int,
        default=20,
        help='queries timed with exact search (default 20)')
    parser.add_argument(
        '--threads', type=int, default=2, help='FAISS threads (default 2)')
    parser.add_argument('--out', help='write the full result as .json')
    parser.add_argument(
        '--plot',
        metavar='PNG',
        help='plot latency against size from the '
        '--out files given as RESULTS')
    parser.add_argument(
        'results', nargs='*', help='with --plot: --out files of earlier runs')
    cli.add_output_arguments(parser, 'replace an existing --out / --plot file')
    return parser


def _setup(args):
    if args.plot:
        if not args.results:
            raise InputError('--plot needs the --out files of earlier runs')
        check_output(args.plot, args.results, args.overwrite, '--plot')
        return None
    if args.results:
        raise InputError(f'unexpected arguments {" ".join(args.results)} '
                         f'(result files are for --plot)')
    for name in ('size', 'dim', 'queries', 'exact_queries', 'threads'):
        value = getattr(args, name)
        if value is None or value < 1:
            raise InputError(f'--{name.replace("_", "-")} must be a positive '
                             f'integer, got {value}')
    if any(v < 1 for v in args.sweep_nprobe + [args.nprobe or 1]):
        raise InputError('--nprobe and --sweep-nprobe values must be '
                         'positive')
    if args.nprobe is not None and not args.factory:
        raise InputError('--nprobe needs --factory')
    if args.out:
        check_output(args.out, (), args.overwrite, '--out')
    spec = None
    if args.factory:
        spec = dict(
            factory=args.factory,
            search={} if args.nprobe is None else dict(nprobe=args.nprobe),
            rerank=args.rerank,
            train_size=min(args.size, 256 * 1024),
            niter=10)
    return spec


def _run(args, spec) -> int:
    if args.plot:
        results = []
        for path in args.results:
            with open(path, encoding='utf-8') as f:
                results.append(json.load(f))
        plot_latency(results, args.plot)
        print(f'wrote {args.plot}', file=sys.stderr)
        return 0
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'benchmark_search',
        f'{args.size}-{args.dim}-{args.dtype}')
    result = benchmark(
        work_dir,
        args.size,
        args.dim,
        queries=args.queries,
        clusters=args.clusters,
        dtype=args.dtype,
        spec=spec,
        exact_queries=args.exact_queries,
        threads=args.threads,
        nprobes=args.sweep_nprobe,
        log=lambda line: print(line, file=sys.stderr, flush=True))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(result, f, indent=1)
    print(json.dumps(result['details']))
    print(json.dumps({key: result[key] for key in SUMMARY_KEYS}))
    return 0


def main(argv=None) -> int:
    return cli.run_cli(build_parser(), _setup, _run, argv)


if __name__ == '__main__':
    sys.exit(main())
