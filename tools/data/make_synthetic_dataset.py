#!/usr/bin/env python
"""Generate a small synthetic action dataset of moving coloured shapes.

The classes, the rendering and the files written are those of
:mod:`vifi_mmaction.utils.synthetic_videos`.

Writes, under OUT_DIR::

    videos/<class_slug>/<split>_<i>.mp4
    labels.csv  base_labels.csv  novel_labels.csv      ("id,name")
    base_train.txt  base_val.txt  novel_val.txt         ("path label")

Usage:
    python tools/data/make_synthetic_dataset.py data/synthetic
"""
import argparse
import os.path as osp
import sys

from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.errors import InputError
from vifi_mmaction.utils import check_output_dir
from vifi_mmaction.utils.synthetic_videos import (OUTPUTS,
                                                  write_synthetic_dataset)


def build_parser():
    parser = argparse.ArgumentParser(
        prog=osp.basename(__file__), description=__doc__.split('\n')[0])
    parser.add_argument('out_dir')
    parser.add_argument('--train-per-class', type=int, default=24)
    parser.add_argument('--val-per-class', type=int, default=8)
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    add_output_arguments(parser, 'replace a dataset already in OUT_DIR')
    return parser


def check_args(args) -> None:
    for name in ('train_per_class', 'val_per_class', 'frames'):
        if getattr(args, name) < 1:
            raise InputError(f'--{name.replace("_", "-")} must be at least '
                             f'1, got {getattr(args, name)}')
    if args.size < 16:
        raise InputError(f'--size must be at least 16, got {args.size}')
    check_output_dir(
        args.out_dir, OUTPUTS, overwrite=args.overwrite, what='OUT_DIR')


def main(argv=None) -> int:
    return run_cli(build_parser(), check_args, _run, argv)


def _run(args, _) -> int:
    written = write_synthetic_dataset(
        args.out_dir,
        train_per_class=args.train_per_class,
        val_per_class=args.val_per_class,
        frames=args.frames,
        size=args.size,
        seed=args.seed)
    print(f'wrote {written["videos"]} videos, {len(written["base"])} base '
          f'and {len(written["novel"])} novel classes to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
