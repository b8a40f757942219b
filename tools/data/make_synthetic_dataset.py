#!/usr/bin/env python
"""Generate a small synthetic action dataset of moving coloured shapes.

The classes, their rendering and the files written are described in
:mod:`vifi_mmaction.datasets.synthetic_shapes`.

Writes, under OUT_DIR::

    videos/<class_slug>/<split>_<i>.mp4
    labels.csv  base_labels.csv  novel_labels.csv      ("id,name")
    base_train.txt  base_val.txt  novel_val.txt         ("path label")

Usage:
    python tools/data/make_synthetic_dataset.py data/synthetic

The dataset is :mod:`vifi_mmaction.datasets.synthetic_shapes`; this script
is its command line.
"""
import argparse
import os.path as osp
import sys

from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.cli.checks import check_at_least
from vifi_mmaction.datasets.synthetic_shapes import (OUTPUTS,
                                                     make_synthetic_dataset)
from vifi_mmaction.utils import check_output_dir


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
    check_at_least(args, 'train_per_class', 'val_per_class', 'frames')
    check_at_least(args, 'size', minimum=16)
    check_output_dir(
        args.out_dir, OUTPUTS, overwrite=args.overwrite, what='OUT_DIR')


def main(argv=None) -> int:
    return run_cli(build_parser(), check_args, _run, argv)


def _run(args, _) -> int:
    made = make_synthetic_dataset(args.out_dir, args.train_per_class,
                                  args.val_per_class, args.frames, args.size,
                                  args.seed)
    print(f'wrote {made["videos"]} videos, {len(made["base"])} base and '
          f'{len(made["novel"])} novel classes to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
