#!/usr/bin/env python
"""Search your videos by text, or find videos like a given one.

    python tools/search_videos.py FEATS --query "a dog catching a frisbee" \\
        [--query "..."] [--moments] [--topk 10] [--sheet hits.png]
        [--out hits.json] [--config CFG] [--checkpoint CKPT]
        [--template T] [--device cpu|cuda]
    python tools/search_videos.py FEATS --like VIDEO [--topk 10] ...

FEATS is an output directory of tools/extract_features.py; with --moments
the windows it embedded with --window are searched instead of whole videos.
The search is exact (cosine similarity over the memory-mapped embeddings,
in chunks). Text queries are embedded with the model the features were made
with (config and checkpoint from FEATS/meta.json unless given). --like takes
a video of the index (no model needed) or any other video file (embedded
first); the video itself is left out of its hits.

Exit status: 0 ok; 2 bad arguments or setup (missing features, empty
query, unreadable --like video).
"""
import argparse
import sys
import time

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.apis.retrieval import (VideoIndex, feature_model, save_hits,
                                          sheet_path, text_queries,
                                          video_query)
from vifi_mmaction.apis.retrieval.ann_search import (AUTO_EXACT_BELOW,
                                                     INDEX_CHOICES,
                                                     search_index)
from vifi_mmaction.cli import (add_model_arguments, add_output_arguments,
                               run_cli, tool_parser)
from vifi_mmaction.cli.checks import check_at_least
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output
from vifi_mmaction.visualization import plot_contact_sheet


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        __file__,
        'Search extracted video embeddings by text or by video',
        epilog='exit status: 0 ok, 2 bad arguments or setup')
    parser.add_argument(
        'feats', help='output directory of '
        'tools/extract_features.py')
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        '--query',
        action='append',
        help='free-text query (repeat for several)')
    what.add_argument(
        '--like', metavar='VIDEO', help='find the videos nearest to this one')
    parser.add_argument(
        '--moments',
        action='store_true',
        help='search the windows (extract_features.py '
        '--window) instead of whole videos')
    parser.add_argument(
        '--topk', type=int, default=10, help='hits per query (default 10)')
    parser.add_argument(
        '--sheet',
        help='contact sheet PNG of the hits (one '
        'per query: NAME.png, NAME-2.png, ...)')
    parser.add_argument('--out', help='write the hits as .json')
    add_model_arguments(
        parser,
        config_required=False,
        config_help='model config (default: the one in FEATS/meta.json)',
        checkpoint_help='checkpoint (default: the one in FEATS/meta.json)',
        num_frames_help=None)
    parser.add_argument(
        '--chunk',
        type=int,
        default=65536,
        help='embeddings per matrix product of exact search (default '
        '65536)')
    parser.add_argument(
        '--index',
        choices=INDEX_CHOICES,
        default='exact',
        help='exact search (default), a FAISS index (built once and kept '
        'beside the embeddings; pip install "vifi_mmaction[search]"), or '
        f'auto: exact below {AUTO_EXACT_BELOW} rows, FAISS above')
    parser.add_argument(
        '--rebuild-index',
        action='store_true',
        help='rebuild the FAISS index when the embeddings changed since it '
        'was built (default: refuse)')
    add_output_arguments(parser, 'replace existing --out / --sheet files')
    return parser


def _model(args):
    """The model the features were made with (or --config/--checkpoint)."""
    return feature_model(args.feats, args.config, args.checkpoint, args.device)


def _setup(args) -> dict:
    check_at_least(args, 'topk', 'chunk')
    if args.out and not args.out.lower().endswith('.json'):
        raise InputError(f'--out must end with .json, got {args.out}')
    if args.query is not None:
        for i, q in enumerate(args.query, start=1):
            if not q.strip():
                raise InputError(f'--query {i} is empty; give some words, '
                                 f'e.g. --query "a dog catching a frisbee"')
    count = len(args.query) if args.query is not None else 1
    outputs = ([args.out] if args.out else
               []) + ([sheet_path(args.sheet, i)
                       for i in range(count)] if args.sheet else [])
    for path in outputs:
        check_output(path, [args.like, args.feats], args.overwrite,
                     '--out' if path == args.out else '--sheet')
    index = VideoIndex(args.feats, moments=args.moments)
    if args.query is not None:
        names = list(args.query)
        queries = text_queries(_model(args), names, args.template)
        exclude = [None] * len(names)
    else:
        names = [args.like]
        queries, skip = video_query(index, args.like, lambda: _model(args))
        exclude = [skip]
    return dict(index=index, names=names, queries=queries, exclude=exclude)


def _run(args, state: dict) -> int:
    index = state['index']
    start = time.perf_counter()
    results = search_index(
        index,
        state['queries'],
        args.topk,
        args.index,
        state['exclude'],
        rebuild=args.rebuild_index,
        hint='--rebuild-index',
        chunk=args.chunk)
    ms = (time.perf_counter() - start) * 1000
    kind = 'moments' if args.moments else 'videos'
    print(
        f'searched {len(index)} {kind} for {len(results)} '
        f'quer{"y" if len(results) == 1 else "ies"} in {ms:.1f} ms',
        file=sys.stderr)
    label = 'like' if args.like else 'query'
    for name, hits in zip(state['names'], results):
        print(f'{label}: {name}')
        for h in hits:
            when = (f'  {h["start"]:.1f}-{h["end"]:.1f} s'
                    if 'start' in h else '')
            print(f'  {h["rank"]:>3}  {h["score"]:.4f}  {h["video"]}{when}')
    if args.out:
        save_hits(args.out, label, state['names'], results)
        print(f'wrote {args.out}', file=sys.stderr)
    if args.sheet:
        for i, (name, hits) in enumerate(zip(state['names'], results)):
            path = sheet_path(args.sheet, i)
            plot_contact_sheet(hits, path, title=f'{label}: {name}')
            print(f'wrote {path}', file=sys.stderr)
    return 0


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


if __name__ == '__main__':
    sys.exit(main())
