#!/usr/bin/env python
"""Turn a folder-per-class tree of videos into a ViFi-CLIP training set.

    python tools/data/from_folders.py ROOT OUT [--base CONFIG]
        [--load-from CKPT | --load-from none] [--val-ratio 0.2] [--seed 0]
        [--overwrite]

ROOT/<class>/**/<video>: every top-level folder is a class (underscores in
its name become spaces), every video below it an example, whatever
sub-folders lie between (tools/extract_features.py reads a folder by the
same rule, so OUT/labels.csv labels ROOT there too). OUT receives
``labels.csv`` (id,name), ``train.txt`` and ``val.txt`` (``path label``,
paths relative to ROOT; a seeded split stratified by class),
``unreadable.txt`` (videos decord cannot open or that have no frames, with
the reason; left out of the split) and ``<OUT name>.py``, a config deriving
from --base with its paths at the top:

    python tools/train.py OUT/<OUT name>.py

Existing outputs are kept unless --overwrite is given.

Exit status: 0 written; 2 bad arguments or input (nothing written).
"""
import argparse
import os.path as osp
import sys

import vifi_mmaction  # noqa: F401  (registers modules, applies compat fixes)
from vifi_mmaction.cli import add_output_arguments, run_cli
from vifi_mmaction.datasets.folder_dataset import make_folder_dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASES = {
    'few-shot':
    'configs/few_shot/'
    'vifi-clip_vit-b16_clip-openai_8xb4-32f_hmdb51-16shot-rgb.py',
    'full':
    'configs/fully_supervised/'
    'vifi-clip_vit-b16_clip-openai_8xb4-16f_k400-rgb.py',
}
# the Kinetics-400 ViFi-CLIP model, where the prompting configs expect it
K400_CHECKPOINT = ('work_dirs/vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb/'
                   'epoch_10.pth')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=osp.basename(__file__),
        description='Folder-per-class videos -> annotation files, label CSV, '
        'train/val split and a ready config',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='exit status: 0 written, 2 bad arguments or input')
    parser.add_argument('root', help='folder with one sub-folder per class')
    parser.add_argument('out', help='output folder')
    parser.add_argument(
        '--base',
        default='few-shot',
        help='config to derive from: "few-shot" (ViFi-CLIP few-shot recipe, '
        '32 frames, 50 epochs), "full" (fully supervised recipe, 16 '
        'frames, 30 epochs) or a config file (default: few-shot)')
    parser.add_argument(
        '--load-from',
        default=K400_CHECKPOINT,
        help='checkpoint to start from, written as load_from; "none" '
        f'starts from the base\'s CLIP weights (default: {K400_CHECKPOINT})')
    parser.add_argument(
        '--val-ratio',
        type=float,
        default=0.2,
        help='fraction of each class for validation '
        '(default 0.2)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the split (default 0)')
    add_output_arguments(parser, 'replace existing outputs in OUT')
    return parser


def main(argv=None) -> int:
    return run_cli(build_parser(), _setup, _run, argv)


def _setup(args) -> dict:
    base = BASES.get(args.base)
    base = osp.join(ROOT, base) if base else args.base
    load_from = None if args.load_from.lower() == 'none' else args.load_from
    return make_folder_dataset(
        args.root,
        args.out,
        base,
        val_ratio=args.val_ratio,
        seed=args.seed,
        load_from=load_from,
        overwrite=args.overwrite)


def _run(args, summary: dict) -> int:
    print(f'{len(summary["classes"])} classes, {summary["num_videos"]} '
          f'videos: {summary["train"]} train, {summary["val"]} val, '
          f'{len(summary["unreadable"])} unreadable -> {args.out}')
    for path, reason in summary['unreadable'].items():
        print(f'UNREADABLE {path}: {reason}', file=sys.stderr)
    if summary['train_only']:
        print(
            f'too few videos for a validation example (train only): '
            f'{", ".join(summary["train_only"])}',
            file=sys.stderr)
    load_from = summary['load_from']
    if load_from and not osp.isfile(load_from):
        print(
            f'note: load_from {load_from} does not exist yet; train or '
            f'download it first, or edit the config',
            file=sys.stderr)
    print(f'train with: python tools/train.py {summary["files"]["config"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
