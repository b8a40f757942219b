#!/usr/bin/env python
"""Where the model looks: attention maps over the sampled frames of a video.

    python tools/visualize_attention.py VIDEO --config CFG [--checkpoint CKPT]
        [--name ViFi-CLIP] [--compare-config CFG2 [--compare-checkpoint CKPT2]
        [--compare-name CLIP]] [--labels "a,b" | --labels-file F]
        [--template T] [--num-frames T] [--max-frames 8] [--out grid.png]
        [--cell-size 1.6] [--dpi 100] [--device cpu|cuda]

Draws a PNG grid: the model's input frames, then for each model its
last-layer class-token attention and its attention rollout overlaid on the
frames. ``--compare-*`` adds a second model below the first, e.g. vanilla
CLIP (``configs/vanilla_clip/...`` with the OpenAI CLIP file as
``--compare-checkpoint``) against ViFi-CLIP, as in the paper. With labels,
each model's top prediction is shown next to its maps.

The PNG is ``(1.6 + F * cell + 0.9) x (0.7 + (1 + 2 * M) * cell)`` inches
times ``--dpi`` pixels, for F frames and M models.
"""
import argparse
import os.path as osp
import sys

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.apis import ViFiZeroShotInferencer, video_attention_maps
from vifi_mmaction.cli import (add_figure_arguments, add_label_arguments,
                               add_model_arguments, labels_from_args, run_cli,
                               tool_parser)
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output
from vifi_mmaction.visualization import (pick_frames, plot_attention_grid,
                                         top1_caption)


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(
        __file__, 'Overlay class-token attention and attention rollout on '
        'the sampled frames of a video')
    parser.add_argument('video', help='video file')
    add_model_arguments(
        parser, num_frames_help="frames sampled (default: the config's)")
    parser.add_argument(
        '--name',
        default='ViFi-CLIP',
        help='row label of the model (default ViFi-CLIP)')
    parser.add_argument(
        '--compare-config', help='second model drawn below the first')
    parser.add_argument(
        '--compare-checkpoint', help='its checkpoint or CLIP weights')
    parser.add_argument(
        '--compare-name',
        default='CLIP',
        help='row label of the second model (default CLIP)')
    add_label_arguments(
        parser,
        labels_help="comma-separated labels: shows each model's top "
        'prediction',
        labels_file_help='.txt or id,name .csv labels')
    parser.add_argument(
        '--max-frames',
        type=int,
        default=8,
        help='frames drawn, evenly spread (default 8)')
    add_figure_arguments(parser, 'attention.png', dpi=100)
    parser.add_argument(
        '--cell-size',
        type=float,
        default=1.6,
        help='inches per frame cell (default 1.6)')
    return parser


def _maps(config, checkpoint, name, video, labels, args):
    inferencer = ViFiZeroShotInferencer(
        config,
        checkpoint,
        device=args.device,
        labels=labels,
        template=args.template,
        num_frames=args.num_frames,
        views='1x1',
        require_labels=False)
    maps = video_attention_maps(inferencer, video)
    return dict(name=name, caption=top1_caption(maps['probs'], labels), **maps)


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args) -> list:
    if args.max_frames < 1 or args.cell_size <= 0 or args.dpi <= 0:
        raise InputError('--max-frames, --cell-size and --dpi must be '
                         'positive')
    if not args.out.lower().endswith('.png'):
        raise InputError(f'--out must end with .png, got {args.out}')
    if not osp.isfile(args.video):
        raise FileNotFoundError(f'video not found: {args.video}')
    if args.compare_checkpoint and not args.compare_config:
        raise InputError('--compare-checkpoint needs --compare-config')
    check_output(args.out, [
        args.video, args.config, args.checkpoint, args.compare_config,
        args.compare_checkpoint, args.labels_file
    ], args.overwrite, '--out')
    if args.num_frames is not None and args.num_frames < 1:
        raise InputError(f'--num-frames must be positive, got '
                         f'{args.num_frames}')
    labels = labels_from_args(args)
    models = [
        _maps(args.config, args.checkpoint, args.name, args.video, labels,
              args)
    ]
    if args.compare_config:
        models.append(
            _maps(args.compare_config, args.compare_checkpoint,
                  args.compare_name, args.video, labels, args))
    return models


def _run(args, models: list) -> int:
    models, frame_ids = pick_frames(models, args.max_frames)
    plot_attention_grid(
        models[0]['frames'],
        models,
        out=args.out,
        title=f'Where the model looks: {osp.basename(args.video)}',
        frame_ids=frame_ids,
        cell=args.cell_size,
        dpi=args.dpi)
    print(f'wrote {args.out}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
