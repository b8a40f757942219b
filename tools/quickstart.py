#!/usr/bin/env python
"""The `make demo` pipeline: synthetic data -> train on base -> test both.

1. writes a synthetic dataset of moving shapes to ``data/synthetic``
   (``tools/data/make_synthetic_dataset.py``);
2. trains the tiny ViFi-CLIP on the base classes with ``tools/train.py``;
3. tests on base and on novel classes with ``tools/test.py`` (the novel
   classes are never seen in training: only their names change);
4. writes ``work_dirs/quickstart/summary.json`` (base and novel top-1,
   their harmonic mean, chance levels) and prints it, and draws
   ``work_dirs/quickstart/summary.png``: the training loss and accuracy,
   and the base and novel confusion matrices.

Labels are read, the harmonic mean taken and the confusion matrices
counted and drawn by the package (``vifi_mmaction.utils``,
``.evaluation.protocol_summary``, ``.visualization.confusion``); this
script only runs the steps.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys

from vifi_mmaction.evaluation.protocol_summary import harmonic_mean
from vifi_mmaction.utils import load_class_names
from vifi_mmaction.visualization.confusion import (confusion_matrix, load_dump,
                                                   plot_confusion_matrix)
from vifi_mmaction.visualization.figures import figure

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/quickstart/vifi-clip_tiny_synthetic.py'


def run(args):
    print('+ ' + ' '.join(args), flush=True)
    rc = subprocess.run([sys.executable] + args, cwd=ROOT).returncode
    if rc != 0:  # the step has printed why
        print(
            f'quickstart.py: error: {args[0]} failed (exit status {rc})',
            file=sys.stderr)
        sys.exit(rc)


def confusion(dump: str, num_classes: int):
    """``[true, predicted]`` counts ``[K, K]`` of a ``tools/test.py --dump``
    file."""
    scores, labels = load_dump(dump)
    return confusion_matrix(labels, scores.argmax(1), num_classes)


def training_curve(work: str) -> list:
    """The logged training steps (``scalars.json`` of the training run)."""
    runs = sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')))
    for path in reversed(runs):  # the last run that logged a loss
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        rows = [r for r in rows if 'loss' in r]
        if rows:
            return rows
    return []


def plot_summary(out: str, curve: list, splits: dict):
    """Training curve, then one confusion matrix per split, side by side.

    Args:
        out: the PNG to write.
        curve: logged steps (``step``, ``loss``, ``top1_acc``).
        splits: ``{split: (names, matrix [K, K], top1, chance)}``; the
            matrices are drawn by
            :func:`vifi_mmaction.visualization.plot_confusion_matrix`.

    Returns:
        matplotlib.figure.Figure
    """
    fig = figure((17, 5.6), 80, layout='constrained')
    axes = fig.subplots(1, 3, gridspec_kw=dict(width_ratios=[1, 1.2, 1]))
    ax = axes[0]
    steps = [r['step'] for r in curve]
    ax.plot(steps, [r['loss'] for r in curve], color='tab:red', label='loss')
    ax.set_xlabel('iteration')
    ax.set_ylabel('training loss', color='tab:red')
    ax.set_title('training on the base classes')
    if curve and 'top1_acc' in curve[0]:
        acc = ax.twinx()
        acc.plot(
            steps, [r['top1_acc'] for r in curve],
            color='tab:blue',
            alpha=0.6,
            label='batch top-1')
        acc.set_ylim(0, 1.05)
        acc.set_ylabel('training batch top-1', color='tab:blue')
    for ax, (split, (names, matrix, _, chance)) in zip(axes[1:],
                                                       splits.items()):
        seen = 'trained on' if split == 'base' else 'never trained on'
        plot_confusion_matrix(
            matrix, [n.replace(' object moving', '') for n in names],
            title=f'{split} classes ({seen}), chance {chance:.1%}',
            ax=ax)
        ax.title.set_fontsize('small')  # two lines over a narrow panel
    fig.savefig(out, dpi=fig.dpi)
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/synthetic')
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument(
        '--epochs',
        type=int,
        default=None,
        help='override the config (for smoke tests)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='train and test again over an earlier run in '
        'the work dir')
    args = parser.parse_args(argv)

    data, work = args.data, args.work_dir
    again = ['--overwrite'] if args.overwrite else []
    if not args.overwrite and osp.exists(
            osp.join(ROOT, work, 'last_checkpoint')):
        print(
            f'quickstart.py: error: {work} holds an earlier run; pass '
            f'--overwrite (or `make clean`) to run the demo again',
            file=sys.stderr)
        sys.exit(2)
    if not osp.exists(osp.join(ROOT, data, 'novel_val.txt')):
        run(['tools/data/make_synthetic_dataset.py', data])
    base_labels = f'{data}/base_labels.csv'
    train_opts = [
        f'train_dataloader.dataset.ann_file={data}/base_train.txt',
        f'train_dataloader.dataset.class_names={base_labels}',
        f'train_dataloader.dataset.data_prefix.video={data}/videos',
        f'val_dataloader.dataset.ann_file={data}/base_val.txt',
        f'val_dataloader.dataset.class_names={base_labels}',
        f'val_dataloader.dataset.data_prefix.video={data}/videos',
        f'model.cls_head.class_names={base_labels}'
    ]
    if args.epochs is not None:
        train_opts += [
            f'train_cfg.max_epochs={args.epochs}',
            f'train_cfg.val_begin={args.epochs}',
            f'param_scheduler.0.end={args.epochs}',
            f'default_hooks.checkpoint.interval={args.epochs}'
        ]
    run(['tools/train.py', CONFIG, '--work-dir', work] + again +
        ['--cfg-options'] + train_opts)
    with open(osp.join(ROOT, work, 'last_checkpoint')) as f:
        ckpt = f.read().strip()

    results = {}
    for split in ('base', 'novel'):
        out = osp.join(work, f'{split}_metrics.json')
        labels = f'{data}/{split}_labels.csv'
        run([
            'tools/test.py', CONFIG, ckpt, '--work-dir', work, '--out-metrics',
            out, '--dump',
            osp.join(work, f'{split}_predictions.pkl')
        ] + again + [
            '--cfg-options', f'model.cls_head.class_names={labels}',
            f'test_dataloader.dataset.class_names={labels}',
            f'test_dataloader.dataset.ann_file={data}/{split}_val.txt',
            f'test_dataloader.dataset.data_prefix.video={data}/videos'
        ])
        with open(osp.join(ROOT, out)) as f:
            results[split] = json.load(f)

    names = {
        split: load_class_names(osp.join(ROOT, data, f'{split}_labels.csv'))
        for split in ('base', 'novel')
    }
    num_base, num_novel = len(names['base']), len(names['novel'])
    base, novel = results['base']['acc/top1'], results['novel']['acc/top1']
    summary = dict(
        base_top1=base,
        novel_top1=novel,
        harmonic_mean=harmonic_mean(base, novel),
        base_chance=1 / num_base,
        novel_chance=1 / num_novel,
        checkpoint=ckpt)
    os.makedirs(osp.join(ROOT, work), exist_ok=True)
    with open(osp.join(ROOT, work, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    picture = osp.join(ROOT, work, 'summary.png')
    plot_summary(
        picture, training_curve(osp.join(ROOT, work)), {
            split: (names[split],
                    confusion(
                        osp.join(ROOT, work, f'{split}_predictions.pkl'),
                        len(names[split])), results[split]['acc/top1'],
                    1 / len(names[split]))
            for split in ('base', 'novel')
        })
    print(f'wrote {picture}')
    return summary


if __name__ == '__main__':
    main()
