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

The layout and the copying are :mod:`vifi_mmaction.datasets.official_files`;
this script is its command line.
"""
import argparse
import os.path as osp
import sys

from vifi_mmaction.datasets.official_files import LAYOUT, prepare


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
