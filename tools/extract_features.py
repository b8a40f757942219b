#!/usr/bin/env python
"""Write L2-normalised video embeddings (optionally per-frame) to .npy.

    python tools/extract_features.py SOURCE OUT_DIR --config CFG \\
        [--checkpoint CKPT] [--labels "a,b" | --labels-file F]
        [--data-prefix ROOT] [--frame-embeddings] [--num-frames T]
        [--views CLIPSxCROPS] [--batch-size B] [--num-workers W]
        [--device cpu|cuda] [--overwrite] [--window W [--stride S]]

SOURCE is a folder of videos (searched recursively; a video's class is its
top-level folder, underscores read as spaces, as tools/data/from_folders.py
reads it; no label set needed) or an annotation file of
``relative/path label`` lines (paths relative to --data-prefix; classes from
the label set).

OUT_DIR receives ``embeddings.npy`` ``[N, E]``, ``frame_embeddings.npy``
``[N, V, T, E]`` with --frame-embeddings, ``index.csv`` (row, video, label,
class, status, error) and ``meta.json``. Run the same command again after an
interruption: rows already written are skipped (failed videos are retried).
With --window (seconds, or frames as 64f) every extracted video is also
embedded window by window ("moments": moment_embeddings.npy, moments.csv),
which tools/search_videos.py --moments searches.

Exit status: 0 all written; 1 some videos failed; 2 bad arguments or setup;
130 interrupted (resumable).
"""
import argparse
import os.path as osp
import sys

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.apis import (ViFiZeroShotInferencer, extract_features,
                                extract_moments, parse_span, read_video_items)
from vifi_mmaction.apis.retrieval import check_feature_dir, model_settings
from vifi_mmaction.cli import (add_label_arguments, add_loader_arguments,
                               add_model_arguments, add_output_arguments,
                               add_window_arguments, labels_from_args, run_cli,
                               tool_parser)
from vifi_mmaction.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        __file__,
        'Extract normalised ViFi-CLIP video embeddings',
        epilog='exit status: 0 ok, 1 some videos failed, 2 bad arguments, '
        '130 interrupted')
    parser.add_argument(
        'source',
        help='folder of videos, or an annotation '
        'file ("relative/path label" lines)')
    parser.add_argument('out_dir', help='output directory')
    add_model_arguments(parser, template_help=None, views=True)
    add_loader_arguments(parser, batch_size=4, num_workers=2)
    add_label_arguments(parser)
    parser.add_argument(
        '--data-prefix', help='root of the annotation file\'s video paths')
    parser.add_argument(
        '--frame-embeddings',
        action='store_true',
        help='also write per-frame embeddings')
    add_output_arguments(parser, 'discard results already in OUT_DIR')
    add_window_arguments(
        parser.add_argument_group(
            'moments', 'also embed windows, for search_videos.py --moments'))
    return parser


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args) -> dict:
    if args.batch_size < 1 or args.num_workers < 0:
        raise InputError('--batch-size must be >= 1 and --num-workers >= 0')
    if args.stride is not None and args.window is None:
        raise InputError('--stride needs --window')
    if args.window is not None:
        parse_span(args.window, '--window')
        parse_span(args.stride or args.window, '--stride')
    if not osp.exists(args.source):
        raise FileNotFoundError(f'no such folder or annotation file: '
                                f'{args.source}')
    check_feature_dir(args.out_dir, args.overwrite)
    # a folder needs no label set (classes are its sub-folders); an
    # annotation file's integer labels need the class names
    inferencer = ViFiZeroShotInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        labels=labels_from_args(args),
        num_frames=args.num_frames,
        views=args.views,
        require_labels=not osp.isdir(args.source))
    items = read_video_items(args.source, inferencer.class_names,
                             args.data_prefix)
    return dict(
        inferencer=inferencer,
        items=items,
        out_dir=args.out_dir,
        frame_embeddings=args.frame_embeddings,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        overwrite=args.overwrite,
        settings=model_settings(args.config, args.checkpoint))


def _run(args, run: dict) -> int:
    try:
        summary = extract_features(**run)
        if args.window is not None:
            moments = extract_moments(
                run['inferencer'],
                args.out_dir,
                args.window,
                args.stride,
                batch_size=args.batch_size,
                overwrite=args.overwrite)
            print(
                f'{moments["moments"]} moments of {moments["videos"]} '
                f'videos ({moments["written"]} videos windowed now)',
                file=sys.stderr)
            summary['failed'].update(moments['failed'])
    except KeyboardInterrupt:
        print(
            f'\ninterrupted; written rows are kept in {args.out_dir}: run '
            f'the same command again to resume',
            file=sys.stderr)
        return 130
    print(
        f'{summary["total"]} videos: {summary["skipped"]} already '
        f'written, {summary["written"]} written now, '
        f'{len(summary["failed"])} failed -> {args.out_dir}',
        file=sys.stderr)
    for video, error in summary['failed'].items():
        print(f'FAILED {video}: {error}', file=sys.stderr)
    return 1 if summary['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
