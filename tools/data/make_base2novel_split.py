#!/usr/bin/env python
"""Split a dataset's classes into base and novel halves (base-to-novel).

    python tools/data/make_base2novel_split.py TRAIN_ANN LABELS_CSV OUT_DIR
        [--val VAL_ANN]

Writes to OUT_DIR:

* ``base_labels.csv``, ``novel_labels.csv``: ``id,name`` label files in the
  official layout, ids from 0 in each, names quoted where needed;
* ``base_train.txt``: the TRAIN_ANN lines of base classes, labels re-indexed
  to base ids;
* with ``--val``: ``base_val.txt`` and ``novel_val.txt``, the VAL_ANN lines
  of base (novel) classes re-indexed to base (novel) ids.

Rule. Classes are ranked by their number of videos in TRAIN_ANN, most first;
equal counts are ranked by original class id, lower first. The first
ceil(K/2) classes are base, the rest novel: with an odd number of classes
K, base gets the extra class (HMDB-51: 26 base / 25 novel; UCF-101: 51 / 50,
the official split sizes). Within each half, classes keep their original
relative order (ascending original id), so new ids follow the old ones.

The official benchmark trains on 16 videos per base class, drawn three times
(seeds s1-s3): run ``tools/data/make_few_shot_split.py`` on
``base_train.txt`` with ``--shots 16`` and three seeds.

Annotations are read by the dataset's own parser (negative or out-of-range
labels are errors naming file:line). Every input is read and every output
path checked before anything is written; existing outputs are replaced only
with ``--overwrite``, and all files appear together or none does. Bad input:
one ``make_base2novel_split.py: error: ...`` line, exit status 2. The split
is :mod:`vifi_mmaction.datasets.base_to_novel`; this script is its command
line.
"""
import argparse
import os.path as osp
import sys

from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.datasets.base_to_novel import RULE, make_split


def build_parser():
    parser = argparse.ArgumentParser(
        prog=osp.basename(__file__),
        description='Split classes into base and novel halves and write '
        'the label and annotation files of a base-to-novel benchmark. ' + RULE,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        'train_ann', help='training annotation, "path label" lines')
    parser.add_argument(
        'labels_csv',
        help='label file, official "id,name" '
        'CSV (or .txt, one name per line)')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument(
        '--val',
        dest='val_ann',
        help='validation annotation to split into '
        'base_val.txt and novel_val.txt')
    add_output_arguments(parser, 'replace split files already in OUT_DIR')
    return parser


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args):
    return make_split(args.train_ann, args.labels_csv, args.out_dir,
                      args.val_ann, args.overwrite)


def _run(args, s) -> int:
    msg = (f'{s["num_classes"]} classes -> {len(s["base"])} base, '
           f'{len(s["novel"])} novel; base_train.txt: {s["base_train"]} '
           f'videos')
    if 'base_val' in s:
        msg += (f'; base_val.txt: {s["base_val"]}, novel_val.txt: '
                f'{s["novel_val"]}')
    print(f'{msg}\nwritten to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
