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
one ``make_base2novel_split.py: error: ...`` line, exit status 2.
"""
import argparse
import csv
import math
import os.path as osp
import sys
from collections import Counter
from typing import Dict, List, Sequence, Tuple

from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.datasets import load_class_names
from vifi_mmaction.datasets.annotations import read_annotation as _read
from vifi_mmaction.errors import ViFiUserError
from vifi_mmaction.utils import check_output_dir, staged_files

RULE = ('Base classes are the ceil(K/2) classes with the most videos in '
        'TRAIN_ANN (for odd K, base gets the extra class); equal counts are '
        'broken by original class id, lower id first. Each half keeps the '
        'original relative class order.')


class SplitError(ViFiUserError, ValueError):
    """A malformed input. The message names file and line."""


def read_annotation(path: str, num_classes: int) -> List[Tuple[str, int]]:
    """``(path, label)`` pairs of a ``path label`` file."""
    return [(a.path, a.label) for a in _read(path, num_classes)]


def choose_base(counts: Dict[int, int], num_classes: int) -> List[int]:
    """Original ids of the base classes, ascending (see ``RULE``)."""
    ranked = sorted(range(num_classes), key=lambda c: (-counts.get(c, 0), c))
    return sorted(ranked[:math.ceil(num_classes / 2)])


def write_labels(path: str, names: Sequence[str]) -> None:
    with open(path, 'w', encoding='utf-8', newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(['id', 'name'])
        for i, name in enumerate(names):
            writer.writerow([i, name])


def write_annotation(path: str, entries: Sequence[Tuple[str, int]],
                     mapping: Dict[int, int]) -> int:
    n = 0
    with open(path, 'w', encoding='utf-8') as f:
        for video, label in entries:
            if label in mapping:
                f.write(f'{video} {mapping[label]}\n')
                n += 1
    return n


OUTPUTS = ('base_labels.csv', 'novel_labels.csv', 'base_train.txt')
VAL_OUTPUTS = ('base_val.txt', 'novel_val.txt')


def make_split(train_ann: str,
               labels_csv: str,
               out_dir: str,
               val_ann: str = None,
               overwrite: bool = False) -> dict:
    """Write the split files; return a summary dict."""
    names = load_class_names(labels_csv)
    num_classes = len(names)
    if num_classes < 2:
        raise SplitError(f'{labels_csv}: need at least 2 classes')
    outputs = OUTPUTS + (VAL_OUTPUTS if val_ann else ())
    check_output_dir(out_dir, outputs, [train_ann, labels_csv, val_ann],
                     overwrite, 'OUT_DIR')
    train = read_annotation(train_ann, num_classes)
    val = read_annotation(val_ann, num_classes) if val_ann else None
    counts = Counter(label for _, label in train)
    base = choose_base(counts, num_classes)
    base_set = set(base)
    novel = [c for c in range(num_classes) if c not in base_set]
    base_map = {c: i for i, c in enumerate(base)}
    novel_map = {c: i for i, c in enumerate(novel)}

    paths = [osp.join(out_dir, name) for name in outputs]
    with staged_files(paths) as tmp:
        out = {name: tmp[path] for name, path in zip(outputs, paths)}
        write_labels(out['base_labels.csv'], [names[c] for c in base])
        write_labels(out['novel_labels.csv'], [names[c] for c in novel])
        summary = dict(
            num_classes=num_classes,
            base=[names[c] for c in base],
            novel=[names[c] for c in novel],
            base_train=write_annotation(out['base_train.txt'], train,
                                        base_map))
        if val is not None:
            summary['base_val'] = write_annotation(out['base_val.txt'], val,
                                                   base_map)
            summary['novel_val'] = write_annotation(out['novel_val.txt'], val,
                                                    novel_map)
    return summary


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
