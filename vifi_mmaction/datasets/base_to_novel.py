"""Base-to-novel splits: the classes of a dataset halved by frequency.

Classes are ranked by their number of videos in the training annotation,
most first; equal counts by original class id, lower first. The first
ceil(K/2) are base, the rest novel: with an odd K, base gets the extra class
(HMDB-51: 26 base / 25 novel; UCF-101: 51 / 50, the official split sizes).
Within each half, classes keep their original relative order, so new ids
follow the old ones. :func:`make_split` writes the label and annotation
files (``tools/data/make_base2novel_split.py`` is its command line).
"""
import math
import os.path as osp
from collections import Counter
from typing import Dict, List, Sequence, Tuple

from ..errors import ViFiUserError
from ..utils.class_names import load_class_names, write_class_names
from ..utils.outputs import check_output_dir, staged_files
from .annotations import read_annotation as read_annotation_file

__all__ = [
    'RULE', 'SplitError', 'OUTPUTS', 'VAL_OUTPUTS', 'read_annotation',
    'choose_base', 'write_annotation', 'make_split'
]

RULE = ('Base classes are the ceil(K/2) classes with the most videos in '
        'TRAIN_ANN (for odd K, base gets the extra class); equal counts are '
        'broken by original class id, lower id first. Each half keeps the '
        'original relative class order.')


class SplitError(ViFiUserError, ValueError):
    """A malformed input. The message names file and line."""


def read_annotation(path: str, num_classes: int) -> List[Tuple[str, int]]:
    """``(path, label)`` pairs of a ``path label`` file (the dataset's own
    parser: bad lines are errors naming file:line)."""
    return [(a.path, a.label) for a in read_annotation_file(path, num_classes)]


def choose_base(counts: Dict[int, int], num_classes: int) -> List[int]:
    """Original ids of the base classes, ascending (see ``RULE``)."""
    ranked = sorted(range(num_classes), key=lambda c: (-counts.get(c, 0), c))
    return sorted(ranked[:math.ceil(num_classes / 2)])


def write_annotation(path: str, entries: Sequence[Tuple[str, int]],
                     mapping: Dict[int, int]) -> int:
    """Write the ``entries`` whose label is in ``mapping``, relabelled by
    it, as ``path label`` lines; the number written."""
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
    """Write the split files of ``out_dir``; return a summary dict.

    Args:
        train_ann: training annotation (``path label`` lines).
        labels_csv: its label file.
        out_dir: where ``base_labels.csv``, ``novel_labels.csv``,
            ``base_train.txt`` (and with ``val_ann`` ``base_val.txt``,
            ``novel_val.txt``) go, all together or none.
        val_ann: validation annotation to split too.
        overwrite: replace split files already in ``out_dir``.

    Returns:
        dict: ``num_classes``, ``base`` and ``novel`` names, and the number
        of videos written to each annotation file.

    Raises:
        SplitError, InputError, AnnotationError: naming the file (and line).
    """
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
        write_class_names(out['base_labels.csv'], [names[c] for c in base])
        write_class_names(out['novel_labels.csv'], [names[c] for c in novel])
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
