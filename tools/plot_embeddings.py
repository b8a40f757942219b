#!/usr/bin/env python
"""Plots of results: t-SNE of extracted embeddings, confusion matrix.

    # t-SNE coloured by class (the paper's Figure 1); several feature
    # folders (tools/extract_features.py outputs) give panels side by side
    python tools/plot_embeddings.py tsne FEATURES_DIR [FEATURES_DIR ...] \\
        [--titles CLIP ViFi-CLIP] [--classes "a,b" | --max-classes N] \\
        [--max-points 2000] [--perplexity 30] [--iterations 1000] \\
        [--seed 0] [--out tsne.png] [--figsize W H] [--dpi 150]

    # confusion matrix of a `tools/test.py CONFIG CKPT --dump results.pkl`
    python tools/plot_embeddings.py confusion results.pkl \\
        [--labels-file labels.csv] [--counts] [--out confusion.png] \\
        [--figsize W H] [--dpi 150]

PNGs are exactly ``figsize * dpi`` pixels.
"""
import argparse
import os.path as osp
import sys

from vifi_mmaction.apis import load_features, parse_labels, split_label_list
from vifi_mmaction.cli import (add_figure_arguments, add_tsne_arguments,
                               run_cli, tool_parser)
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output
from vifi_mmaction.visualization import (confusion_matrix, load_dump,
                                         plot_confusion_matrix, plot_tsne,
                                         tsne_panel)


def build_parser() -> argparse.ArgumentParser:
    parser = tool_parser(__file__,
                         't-SNE of video embeddings and confusion matrices')
    sub = parser.add_subparsers(dest='command', required=True)

    t = sub.add_parser('tsne', help='t-SNE of extracted embeddings')
    t.add_argument(
        'features',
        nargs='+',
        help='output folders of tools/extract_features.py')
    t.add_argument(
        '--titles',
        nargs='+',
        help='panel titles, one per folder (default: names)')
    pick = t.add_mutually_exclusive_group()
    pick.add_argument('--classes', help='comma-separated classes to draw')
    pick.add_argument(
        '--max-classes',
        type=int,
        help='draw the first N classes (index order)')
    t.add_argument(
        '--max-points',
        type=int,
        default=2000,
        help='subsample to this many videos, stratified by class '
        '(default 2000)')
    add_tsne_arguments(t)
    _add_figure_arguments(t, 't-SNE of video embeddings', 'tsne.png',
                          'inches (default: 7 x 6.5 per panel + legend)')

    c = sub.add_parser('confusion', help='confusion matrix of a test dump')
    c.add_argument('dump', help='pickle from tools/test.py --dump')
    c.add_argument(
        '--labels-file', help='.txt or id,name .csv class names (tick labels)')
    c.add_argument(
        '--counts',
        action='store_true',
        help='colour by video counts instead of row fractions')
    _add_figure_arguments(
        c,
        'Confusion matrix',
        'confusion.png',
        'inches (default 8 8)',
        figsize=(8.0, 8.0))
    return parser


def _add_figure_arguments(parser: argparse.ArgumentParser,
                          title: str,
                          out: str,
                          figsize_help: str,
                          figsize=None) -> None:
    """The figure options both commands take, with their defaults."""
    parser.add_argument('--title', default=title)
    parser.add_argument(
        '--figsize',
        type=float,
        nargs=2,
        metavar=('W', 'H'),
        default=figsize,
        help=figsize_help)
    add_figure_arguments(parser, out, dpi=150)


def _check_output(args) -> None:
    if not args.out.lower().endswith('.png'):
        raise InputError(f'--out must end with .png, got {args.out}')
    if args.dpi <= 0 or (args.figsize and min(args.figsize) <= 0):
        raise InputError('--dpi and --figsize must be positive')
    inputs = args.features if args.command == 'tsne' else [
        args.dump, args.labels_file
    ]
    check_output(args.out, inputs, args.overwrite, '--out')
    if args.command == 'tsne' and (args.max_points < 3 or args.perplexity <= 0
                                   or args.iterations < 1 or
                                   (args.max_classes is not None
                                    and args.max_classes < 1)):
        raise InputError('--max-points must be >= 3, --perplexity > 0, '
                         '--iterations and --max-classes >= 1')


def run_tsne(args) -> str:
    if args.titles and len(args.titles) != len(args.features):
        raise InputError(f'--titles has {len(args.titles)} entries for '
                         f'{len(args.features)} feature folders')
    titles = args.titles or [
        osp.basename(osp.normpath(f)) for f in args.features
    ]
    wanted = split_label_list(args.classes, '--classes') \
        if args.classes else None
    panels = []
    for folder, title in zip(args.features, titles):
        feats = load_features(folder)
        panels.append(
            tsne_panel(
                feats['embeddings'],
                feats['classes'],
                feats['labels'],
                title,
                wanted=wanted,
                max_classes=args.max_classes,
                max_points=args.max_points,
                perplexity=args.perplexity,
                n_iter=args.iterations,
                seed=args.seed,
                where=folder))
    figsize = args.figsize or (7.0 * len(panels) + 2.5, 6.5)
    plot_tsne(
        panels, out=args.out, title=args.title, figsize=figsize, dpi=args.dpi)
    return args.out


def run_confusion(args) -> str:
    scores, labels = load_dump(args.dump)
    k = scores.shape[1]
    names = parse_labels(labels_file=args.labels_file) \
        if args.labels_file else None
    if names is not None and len(names) != k:
        raise InputError(f'{args.labels_file} has {len(names)} classes but '
                         f'{args.dump} scores {k}')
    cm = confusion_matrix(labels, scores.argmax(axis=1), k)
    plot_confusion_matrix(
        cm,
        names,
        out=args.out,
        title=args.title,
        normalize=not args.counts,
        figsize=tuple(args.figsize),
        dpi=args.dpi)
    return args.out


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args):
    _check_output(args)


def _run(args, _) -> int:
    out = run_tsne(args) if args.command == 'tsne' else run_confusion(args)
    print(f'wrote {out}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
