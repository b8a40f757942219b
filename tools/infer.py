#!/usr/bin/env python
"""Zero-shot classification of your own videos with your own labels.

    python tools/infer.py VIDEO_OR_FOLDER [...] --config CFG \\
        [--checkpoint CKPT] (--labels "label one,label two" | --labels-file F)
        [--template T] [--topk K] [--num-frames T] [--views CLIPSxCROPS]
        [--out results.json|.csv] [--device cpu|cuda] [--batch-size B]
        [--num-workers W]
    python tools/infer.py LONG_VIDEO [...] --config CFG ... \\
        --window 2 [--stride 1] [--smooth 3] [--threshold 0.5] [--out DIR]

Prints the top-K labels of every video as it finishes. With --window, every
video is classified window by window (seconds, or frames as 64f) and printed
as segments of equal labels; --out DIR then receives <video>.timeline.json,
.csv and .png per video. Folders are searched
recursively for video files and processed with a progress bar (on stderr).
An unreadable video is reported by name and the others go on.

Exit status: 0 all videos classified; 1 some videos failed; 2 bad arguments
or setup (config, checkpoint, labels).
"""
import argparse
import os
import os.path as osp
import sys

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.apis import (ViFiZeroShotInferencer, expand_inputs,
                                format_prediction, parse_span, parse_views,
                                save_predictions)
from vifi_mmaction.apis.long_video import (TIMELINE_FILES, format_timeline,
                                           timeline_stems, video_timelines)
from vifi_mmaction.cli import (add_label_arguments, add_loader_arguments,
                               add_model_arguments, add_output_arguments,
                               add_window_arguments, labels_from_args, run_cli,
                               tool_parser)
from vifi_mmaction.cli.checks import check_at_least
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output, check_output_dir


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        __file__,
        'Zero-shot video classification with free-text labels',
        epilog='exit status: 0 ok, 1 some videos failed, 2 bad arguments')
    parser.add_argument(
        'inputs',
        nargs='+',
        metavar='VIDEO_OR_FOLDER',
        help='video files and/or folders (searched '
        'recursively)')
    add_model_arguments(parser, views=True)
    add_loader_arguments(parser)
    add_label_arguments(
        parser,
        labels_help='comma-separated labels: "label one,label two"',
        labels_file_help='.txt (one label per line) or the official id,name '
        '.csv (quoted names may contain commas)')
    parser.add_argument(
        '--topk',
        type=int,
        default=5,
        help='labels to print per video (default 5)')
    add_output_arguments(
        parser,
        'replace existing --out files',
        out="write every label's probability per video (.json or .csv); "
        'with --window a directory for the timelines')
    win = parser.add_argument_group(
        'long videos', 'one prediction per window instead of per video')
    add_window_arguments(win)
    win.add_argument(
        '--smooth',
        type=int,
        default=1,
        help='moving average of scores over this many windows '
        '(odd; default 1: none)')
    win.add_argument(
        '--threshold',
        type=float,
        help='label a window "none of these" when its top '
        'score is below this probability')
    return parser


def check_args(args) -> None:
    """Fail early, with the option named, before the model is built."""
    check_at_least(args, 'topk', 'batch_size')
    if args.num_workers is not None and args.num_workers < 0:
        raise InputError('--num-workers must be >= 0')
    if args.window is None:
        for name in ('stride', 'threshold'):
            if getattr(args, name) is not None:
                raise InputError(f'--{name} needs --window')
        if args.smooth != 1:
            raise InputError('--smooth needs --window')
    else:
        parse_span(args.window, '--window')
        if args.stride is not None:
            parse_span(args.stride, '--stride')
        if args.smooth < 1 or args.smooth % 2 == 0:
            raise InputError(f'--smooth must be a positive odd number of '
                             f'windows, got {args.smooth}')
        if args.threshold is not None and not 0 <= args.threshold <= 1:
            raise InputError(f'--threshold must be a probability in [0, 1], '
                             f'got {args.threshold}')
        if args.out and args.out.lower().endswith(('.json', '.csv')):
            raise InputError(f'--out with --window is a directory (it '
                             f'receives <video>.timeline.json/.csv/.png), '
                             f'got {args.out}')
    if args.window is None and args.out and \
            not args.out.lower().endswith(('.json', '.csv')):
        raise InputError(f'--out must end with .json or .csv, got '
                         f'{args.out}')
    parse_views(args.views)
    if args.out and args.window is None:
        check_output(args.out,
                     [args.config, args.checkpoint, args.labels_file] +
                     list(args.inputs), args.overwrite, '--out')


def default_workers(num_videos: int) -> int:
    if num_videos <= 1:
        return 0
    return max(0, min(4, (os.cpu_count() or 1) - 1, num_videos))


def _end_bar_line(bar) -> None:
    """Before printing a line while the progress bar is drawn on stderr:
    erase the bar in a terminal (it is redrawn), else end its line."""
    if bar is None:
        return
    sys.stderr.write('\r\033[K' if sys.stderr.isatty() else '\n')
    sys.stderr.flush()


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args):
    check_args(args)
    labels = labels_from_args(args)
    videos = expand_inputs(args.inputs)
    if args.out and args.window is not None:
        check_output_dir(args.out, [
            f'{stem}.timeline.{ext}' for stem in timeline_stems(videos)
            for ext in TIMELINE_FILES
        ], [args.config, args.checkpoint, args.labels_file] + videos,
                         args.overwrite, '--out')
    inferencer = ViFiZeroShotInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        labels=labels,
        template=args.template,
        num_frames=args.num_frames,
        views=args.views)
    return inferencer, videos


def _run_windows(args, inferencer, videos) -> int:
    """One timeline per video; a video that fails is reported, the others
    go on."""
    failed = []
    for result in video_timelines(
            inferencer,
            videos,
            args.window,
            args.stride,
            out_dir=args.out,
            topk=args.topk,
            batch_size=args.batch_size,
            smooth=args.smooth,
            threshold=args.threshold,
            show_progress=True):
        if result['error'] is not None:
            failed.append(result['video'])
            print(
                f'FAILED {result["video"]}: {result["error"]}',
                file=sys.stderr)
            continue
        print(format_timeline(result['timeline']), flush=True)
        if result['files']:
            base = osp.splitext(result['files'][0])[0]
            print(f'wrote {base}.json, .csv, .png', file=sys.stderr)
    if failed:
        print(
            f'{len(failed)} of {len(videos)} video(s) failed: ' +
            ', '.join(failed),
            file=sys.stderr)
        return 1
    return 0


def _start(videos, names, template):
    """Say what is being classified; a progress bar for several videos."""
    print(
        f'{len(videos)} video(s), {len(names)} labels, template '
        f'{template!r}',
        file=sys.stderr)
    if len(videos) < 2:
        return None
    from mmengine.utils import ProgressBar
    return ProgressBar(len(videos), file=sys.stderr)


def _run(args, state) -> int:
    inferencer, videos = state
    if args.window is not None:
        return _run_windows(args, inferencer, videos)
    names = inferencer.class_names
    workers = (
        default_workers(len(videos))
        if args.num_workers is None else args.num_workers)
    bar = None
    results, failed = [], []
    for i, batch in enumerate(
            inferencer.iter_batches(videos, args.batch_size, workers)):
        if i == 0:
            # after the first batch: a refusal of the model's outputs (e.g.
            # non-finite probabilities) is then the only line on stderr
            bar = _start(videos, names, inferencer.template)
        for raw in batch:
            result = inferencer.pred2dict(raw, args.topk)
            results.append(result)
            if result['error'] is not None:
                failed.append(result)
                _end_bar_line(bar)
                print(
                    f'FAILED {result["video"]}: {result["error"]}',
                    file=sys.stderr)
            else:
                if sys.stdout.isatty():
                    _end_bar_line(bar)
                print(format_prediction(result, names, args.topk), flush=True)
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        sys.stderr.write('\n')
    if args.out:
        save_predictions(results, args.out, names)
        print(f'wrote {args.out}', file=sys.stderr)
    if failed:
        print(
            f'{len(failed)} of {len(videos)} video(s) failed: ' +
            ', '.join(r['video'] for r in failed),
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
