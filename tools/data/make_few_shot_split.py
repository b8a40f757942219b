#!/usr/bin/env python
"""Draw a K-shot training split: K videos per class.

    python tools/data/make_few_shot_split.py ANN OUT --shots K --seed S
        [--labels LABELS_CSV]

Lines are copied from ANN unchanged, grouped by class id (ascending) and in
their ANN order within a class. The draw is reproducible: the same ANN, K
and seed give the same file. Classes are visited in ascending id order and
each draws K of its videos without replacement from one
``random.Random(seed)`` generator.

Every class must have at least K videos; the error names the classes that
do not. With ``--labels``, every class of the label file must appear (a class
with no video is an error too) and names are shown in errors; without it,
the classes are those present in ANN.

Examples: the official few-shot splits are K = 2, 4, 8, 16 of the first
training split; the base-to-novel training sets are 16 shots of the base
classes, drawn with three seeds:

    python tools/data/make_few_shot_split.py base_train.txt \\
        fs_base_s1_train.txt --shots 16 --seed 1

ANN is read by the dataset's own parser (negative labels are errors naming
file:line). OUT may not be ANN or the label file, and an existing OUT is
replaced only with ``--overwrite`` (written to a temporary file, then
renamed). Bad input: one ``make_few_shot_split.py: error: ...`` line, exit
status 2. The draw is :mod:`vifi_mmaction.datasets.few_shot`; this script
is its command line.
"""
import argparse
import os.path as osp
import sys
from typing import List

from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.datasets.few_shot import few_shot, read_by_class
from vifi_mmaction.utils import check_output, load_class_names, staged_files


def build_parser():
    parser = argparse.ArgumentParser(
        prog=osp.basename(__file__),
        description='Draw K videos per class from an annotation file '
        '(reproducible for a given seed; lines copied unchanged; a class '
        'with fewer than K videos is an error).')
    parser.add_argument('ann', help='annotation file, "path label" lines')
    parser.add_argument('out', help='output annotation file')
    parser.add_argument(
        '--shots', type=int, required=True, help='videos per class (K)')
    parser.add_argument(
        '--seed', type=int, required=True, help='random seed of the draw')
    parser.add_argument(
        '--labels',
        help='label file ("id,name" CSV or '
        '.txt): checks that every class has K videos and '
        'names the classes in errors')
    add_output_arguments(parser, 'replace an existing OUT')
    return parser


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args) -> List[str]:
    check_output(args.out, [args.ann, args.labels], args.overwrite, 'OUT')
    names = load_class_names(args.labels) if args.labels else None
    return few_shot(read_by_class(args.ann), args.shots, args.seed, names)


def _run(args, lines: List[str]) -> int:
    with staged_files([args.out]) as tmp:
        with open(tmp[args.out], 'w', encoding='utf-8') as f:
            f.writelines(line.rstrip('\n') + '\n' for line in lines)
    print(f'{len(lines)} videos ({args.shots} per class, seed {args.seed}) '
          f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
