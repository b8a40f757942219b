#!/usr/bin/env python
"""The `make demo` pipeline: synthetic data -> train on base -> test both.

1. writes a synthetic dataset of moving shapes to ``data/synthetic``
   (``tools/data/make_synthetic_dataset.py``);
2. trains the tiny ViFi-CLIP on the base classes with ``tools/train.py``;
3. tests on base and on novel classes with ``tools/test.py`` (the novel
   classes are never seen in training: only their names change);
4. writes ``work_dirs/quickstart/summary.json`` and prints it.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/quickstart/vifi-clip_tiny_synthetic.py'


def run(args):
    print('+ ' + ' '.join(args), flush=True)
    rc = subprocess.run([sys.executable] + args, cwd=ROOT).returncode
    if rc != 0:  # the step has printed why
        print(f'quickstart.py: error: {args[0]} failed (exit status {rc})',
              file=sys.stderr)
        sys.exit(rc)


def harmonic_mean(a: float, b: float) -> float:
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/synthetic')
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--epochs', type=int, default=None,
                        help='override the config (for smoke tests)')
    parser.add_argument('--overwrite', action='store_true',
                        help='train and test again over an earlier run in '
                        'the work dir')
    args = parser.parse_args(argv)

    data, work = args.data, args.work_dir
    again = ['--overwrite'] if args.overwrite else []
    if not args.overwrite and osp.exists(osp.join(ROOT, work,
                                                  'last_checkpoint')):
        print(f'quickstart.py: error: {work} holds an earlier run; pass '
              f'--overwrite (or `make clean`) to run the demo again',
              file=sys.stderr)
        sys.exit(2)
    if not osp.exists(osp.join(ROOT, data, 'novel_val.txt')):
        run(['tools/data/make_synthetic_dataset.py', data])
    train_opts = [f'train_dataloader.dataset.ann_file={data}/base_train.txt',
                  f'train_dataloader.dataset.class_names={data}/base_labels.csv',
                  f'train_dataloader.dataset.data_prefix.video={data}/videos',
                  f'val_dataloader.dataset.ann_file={data}/base_val.txt',
                  f'val_dataloader.dataset.class_names={data}/base_labels.csv',
                  f'val_dataloader.dataset.data_prefix.video={data}/videos',
                  f'model.cls_head.class_names={data}/base_labels.csv']
    if args.epochs is not None:
        train_opts += [f'train_cfg.max_epochs={args.epochs}',
                       f'train_cfg.val_begin={args.epochs}',
                       f'param_scheduler.0.end={args.epochs}',
                       f'default_hooks.checkpoint.interval={args.epochs}']
    run(['tools/train.py', CONFIG, '--work-dir', work] + again +
        ['--cfg-options'] + train_opts)
    with open(osp.join(ROOT, work, 'last_checkpoint')) as f:
        ckpt = f.read().strip()

    results = {}
    for split in ('base', 'novel'):
        out = osp.join(work, f'{split}_metrics.json')
        labels = f'{data}/{split}_labels.csv'
        run(['tools/test.py', CONFIG, ckpt, '--work-dir', work,
             '--out-metrics', out] + again + [
                 '--cfg-options', f'model.cls_head.class_names={labels}',
                 f'test_dataloader.dataset.class_names={labels}',
                 f'test_dataloader.dataset.ann_file={data}/{split}_val.txt',
                 f'test_dataloader.dataset.data_prefix.video={data}/videos'
             ])
        with open(osp.join(ROOT, out)) as f:
            results[split] = json.load(f)

    with open(osp.join(ROOT, data, 'base_labels.csv')) as f:
        num_base = sum(1 for _ in f) - 1
    with open(osp.join(ROOT, data, 'novel_labels.csv')) as f:
        num_novel = sum(1 for _ in f) - 1
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
    return summary


if __name__ == '__main__':
    main()
