#!/usr/bin/env python
"""Put the official ViFi-CLIP label and split files where the configs look.

Copies (or, with ``--link``, symlinks) the ``labels/`` and
``datasets_splits/`` files of a clone of github.com/muzairkhattak/ViFi-CLIP
into the layout of ``docs/datasets.md``::

    labels/*.csv                           -> DATA_ROOT/labels/
    datasets_splits/k400_splits/*          -> DATA_ROOT/kinetics400/splits/
    datasets_splits/base2novel_splits/k400_splits/*
                            -> DATA_ROOT/kinetics400/splits/base2novel/
    (likewise k600, hmdb, ucf and ssv2)

Every expected file that is missing from the clone is reported, and so is a
Git LFS pointer left where a file should be (clones without ``git lfs``
hold one instead of the K400 training list). Running it again changes
nothing; a destination file that differs from the official one is left
alone and reported (``--force`` replaces it).

Exit status: 0 when every file is in place, 1 when some could not be put
there (each named on its own line), 2 for a bad OFFICIAL_CHECKOUT.

Usage:
    python tools/data/prepare_official_files.py OFFICIAL_CHECKOUT [DATA_ROOT]
"""
import argparse
import filecmp
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Tuple

LFS_MAGIC = b'version https://git-lfs.github.com/spec/v1'

_B2N = ['base_train.txt', 'base_val.txt', 'novel_val.txt'
        ] + [f'fs_base_s{i}_train.txt' for i in (1, 2, 3)]
_FEW_SHOT = [f'train1_few_shot_{k}.txt' for k in (2, 4, 8, 16)]
_LABELS = [f'ZS_split{i}_K600.csv' for i in (1, 2, 3)] + [
    f'{name}{kind}.csv'
    for name in ('hmdb_51', 'kinetics_400', 'ssv2_174', 'ucf_101')
    for kind in ('_base_labels', '_novel_labels')
] + [
    'hmdb_51_labels.csv', 'kinetics_400_labels.csv', 'kinetics_600_labels.csv',
    'ssv2_labels.csv', 'ucf_101_labels.csv'
]

# official folder -> (folder under DATA_ROOT, file names)
LAYOUT: Dict[str, Tuple[str, List[str]]] = {
    'labels': ('labels', _LABELS),
    'datasets_splits/k400_splits':
    ('kinetics400/splits', ['train.txt', 'train_tiny.txt', 'val.txt']),
    'datasets_splits/k600_splits':
    ('kinetics600/splits', [f'ZS_split{i}_K600_eval.txt' for i in (1, 2, 3)]),
    'datasets_splits/hmdb_splits':
    ('hmdb51/splits', _FEW_SHOT + [f'val{i}.txt' for i in (1, 2, 3)]),
    'datasets_splits/ucf_splits':
    ('ucf101/splits', _FEW_SHOT + [f'val{i}.txt' for i in (1, 2, 3)]),
    'datasets_splits/ssv2_splits': ('ssv2/splits',
                                    _FEW_SHOT + ['validation.txt']),
}
for _src, _dst in (('k400', 'kinetics400'), ('hmdb', 'hmdb51'),
                   ('ucf', 'ucf101'), ('ssv2', 'ssv2')):
    LAYOUT[f'datasets_splits/base2novel_splits/{_src}_splits'] = (
        f'{_dst}/splits/base2novel', _B2N)


def is_lfs_pointer(path: str) -> bool:
    """Whether ``path`` is a Git LFS pointer instead of the file itself."""
    with open(path, 'rb') as f:
        return f.read(len(LFS_MAGIC)) == LFS_MAGIC


def _in_place(src: str, dst: str, link: bool) -> bool:
    if link:
        return osp.islink(dst) and osp.realpath(dst) == osp.realpath(src)
    return (osp.isfile(dst) and not osp.islink(dst)
            and filecmp.cmp(src, dst, shallow=False))


def place(src: str, dst: str, link: bool, force: bool) -> str:
    """Copy or link one file. Returns what happened: ``'placed'``,
    ``'unchanged'`` or ``'differs'`` (an existing ``dst`` kept)."""
    if _in_place(src, dst, link):
        return 'unchanged'
    if osp.lexists(dst):
        if not force:
            return 'differs'
        os.remove(dst)
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if link:
        os.symlink(osp.abspath(src), dst)
    else:
        # via a temporary name, so an interrupted copy leaves no half file
        tmp = dst + '.part'
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    return 'placed'


def prepare(checkout: str,
            data_root: str,
            link: bool = False,
            force: bool = False) -> Dict[str, List[str]]:
    """Put every official file of :data:`LAYOUT` under ``data_root``.

    Returns:
        dict: lists of official paths (relative to ``checkout``) under
        ``placed``, ``unchanged``, ``missing``, ``lfs`` and ``differs``.
    """
    result = {
        k: []
        for k in ('placed', 'unchanged', 'missing', 'lfs', 'differs')
    }
    for folder, (dst_folder, names) in LAYOUT.items():
        for name in names:
            rel = f'{folder}/{name}'
            src = osp.join(checkout, folder, name)
            if not osp.isfile(src):
                result['missing'].append(rel)
            elif is_lfs_pointer(src):
                result['lfs'].append(rel)
            else:
                dst = osp.join(data_root, dst_folder, name)
                result[place(src, dst, link, force)].append(rel)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='See docs/datasets.md for the layout.')
    parser.add_argument(
        'checkout',
        metavar='OFFICIAL_CHECKOUT',
        help='a clone of github.com/muzairkhattak/ViFi-CLIP')
    parser.add_argument(
        'data_root',
        metavar='DATA_ROOT',
        nargs='?',
        default='data',
        help='default: data')
    parser.add_argument(
        '--link',
        action='store_true',
        help='symlink the files instead of copying them')
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace destination files that differ')
    args = parser.parse_args(argv)
    if not (osp.isdir(osp.join(args.checkout, 'labels'))
            or osp.isdir(osp.join(args.checkout, 'datasets_splits'))):
        print(
            f'{parser.prog}: error: {args.checkout} has neither labels/ '
            f'nor datasets_splits/; give a clone of '
            f'https://github.com/muzairkhattak/ViFi-CLIP',
            file=sys.stderr)
        return 2

    result = prepare(args.checkout, args.data_root, args.link, args.force)
    for rel in result['missing']:
        print(f'missing: {osp.join(args.checkout, rel)}', file=sys.stderr)
    for rel in result['lfs']:
        print(
            f'Git LFS pointer, not the file: {osp.join(args.checkout, rel)}'
            f' (run `git lfs pull` in {args.checkout})',
            file=sys.stderr)
    for rel in result['differs']:
        folder, name = osp.split(rel)
        dst = osp.join(args.data_root, LAYOUT[folder][0], name)
        print(
            f'differs from {rel}, kept: {dst} (--force replaces it)',
            file=sys.stderr)
    verb = 'linked' if args.link else 'copied'
    failed = sum(len(result[k]) for k in ('missing', 'lfs', 'differs'))
    print(f'{verb} {len(result["placed"])}, already in place '
          f'{len(result["unchanged"])}, not placed {failed} official files '
          f'under {args.data_root}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
