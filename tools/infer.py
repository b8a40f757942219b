#!/usr/bin/env python
"""Zero-shot classification of your own videos with your own labels.

    python tools/infer.py VIDEO_OR_FOLDER [...] --config CFG \\
        [--checkpoint CKPT] (--labels "label one,label two" | --labels-file F)
        [--template T] [--topk K] [--num-frames T] [--views CLIPSxCROPS]
        [--out results.json|.csv] [--device cpu|cuda] [--batch-size B]
        [--num-workers W]

Prints the top-K labels of every video as it finishes. Folders are searched
recursively for video files and processed with a progress bar (on stderr).
An unreadable video is reported by name and the others go on.

Exit status: 0 all videos classified; 1 some videos failed; 2 bad arguments
or setup (config, checkpoint, labels).
"""
import argparse
import os
import os.path as osp
import sys

import torch

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.apis import (ViFiZeroShotInferencer, expand_inputs,
                                format_prediction, parse_labels, parse_views,
                                run_cli, save_predictions)
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=osp.basename(__file__),
        description='Zero-shot video classification with free-text labels',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='exit status: 0 ok, 1 some videos failed, 2 bad arguments')
    parser.add_argument('inputs', nargs='+', metavar='VIDEO_OR_FOLDER',
                        help='video files and/or folders (searched '
                        'recursively)')
    parser.add_argument('--config', required=True,
                        help='model config (ours, or the config.py written '
                        'by tools/convert_official_checkpoint.py)')
    parser.add_argument('--checkpoint',
                        help='trained or converted checkpoint, or plain '
                        'OpenAI/open_clip CLIP weights (vanilla CLIP); '
                        'default: the CLIP weights named in the config')
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument('--labels',
                        help='comma-separated labels: "label one,label two"')
    labels.add_argument('--labels-file',
                        help='.txt (one label per line) or the official '
                        'id,name .csv (quoted names may contain commas)')
    parser.add_argument('--template',
                        help='prompt template with one {} (default: the '
                        "config's, e.g. 'a photo of a {}.')")
    parser.add_argument('--topk', type=int, default=5,
                        help='labels to print per video (default 5)')
    parser.add_argument('--num-frames', type=int,
                        help="frames per view (default: the config's)")
    parser.add_argument('--views',
                        help="test views CLIPSxCROPS, e.g. 1x1 or 4x3 "
                        "(default: the config's)")
    parser.add_argument('--out',
                        help='write every label\'s probability per video '
                        '(.json or .csv)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out file')
    parser.add_argument('--device',
                        help='cpu, cuda or cuda:N (default: cuda if '
                        'available)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='videos per forward pass (default 1)')
    parser.add_argument('--num-workers', type=int,
                        help='video decoding processes that run while the '
                        'model computes (default: min(4, CPUs), 0 for one '
                        'video)')
    return parser


def check_args(args) -> None:
    """Fail early, with the option named, before the model is built."""
    if args.topk < 1:
        raise InputError(f'--topk must be at least 1, got {args.topk}')
    if args.batch_size < 1:
        raise InputError(f'--batch-size must be at least 1, got '
                         f'{args.batch_size}')
    if args.num_workers is not None and args.num_workers < 0:
        raise InputError('--num-workers must be >= 0')
    if args.out and not args.out.lower().endswith(('.json', '.csv')):
        raise InputError(f'--out must end with .json or .csv, got '
                         f'{args.out}')
    if args.device and args.device.startswith('cuda') and \
            not torch.cuda.is_available():
        raise InputError(f'--device {args.device}: CUDA is not available')
    if args.device and not args.device.startswith(('cpu', 'cuda')):
        raise InputError(f'--device must be cpu, cuda or cuda:N, got '
                         f'{args.device}')
    parse_views(args.views)
    if args.out:
        check_output(args.out, [args.config, args.checkpoint,
                                args.labels_file] + list(args.inputs),
                     args.overwrite, '--out')


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
    labels = None
    if args.labels is not None or args.labels_file is not None:
        labels = parse_labels(args.labels, args.labels_file)
    videos = expand_inputs(args.inputs)
    inferencer = ViFiZeroShotInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        labels=labels,
        template=args.template,
        num_frames=args.num_frames,
        views=args.views)
    return inferencer, videos


def _run(args, state) -> int:
    inferencer, videos = state
    names = inferencer.class_names
    print(f'{len(videos)} video(s), {len(names)} labels, template '
          f'{inferencer.template!r}', file=sys.stderr)
    workers = (default_workers(len(videos)) if args.num_workers is None else
               args.num_workers)
    bar = None
    if len(videos) > 1:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(videos), file=sys.stderr)
    results, failed = [], []
    for batch in inferencer.iter_batches(videos, args.batch_size, workers):
        for raw in batch:
            result = inferencer.pred2dict(raw, args.topk)
            results.append(result)
            if result['error'] is not None:
                failed.append(result)
                _end_bar_line(bar)
                print(f'FAILED {result["video"]}: {result["error"]}',
                      file=sys.stderr)
            else:
                if sys.stdout.isatty():
                    _end_bar_line(bar)
                print(format_prediction(result, names, args.topk),
                      flush=True)
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        sys.stderr.write('\n')
    if args.out:
        save_predictions(results, args.out, names)
        print(f'wrote {args.out}', file=sys.stderr)
    if failed:
        print(f'{len(failed)} of {len(videos)} video(s) failed: ' +
              ', '.join(r['video'] for r in failed), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
