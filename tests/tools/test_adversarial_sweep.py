"""Adversarial sweep: bad inputs against every tool, as a new user types
them. Each must end with exit status 2 and one ``prog: error:`` line (or
argparse's usage error) that names the culprit, with no traceback, no
advice to load with ``weights_only=False``, and no input or earlier result
changed. Most run in this process; two run as real subprocesses. The counts
are in docs/reliability.md."""
import collections
import hashlib
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
from vifi_testing import REPO_ROOT, call_tool, run_tool

# (category, tool, argv, culprit that the error line must contain, exit
# status: 2, or 1 where a tool documents "some inputs failed")
Case = collections.namedtuple('Case', 'category tool argv culprit code')


def _files(env, root):
    """Inputs the sweep points tools at: every kind of bad file."""
    f = {}

    def text(name, content, mode='w'):
        path = str(root / name)
        with open(path, mode) as fh:
            fh.write(content)
        f[name] = path
        return path

    text('empty.txt', '')
    text('bad_utf8.txt', b'a.mp4 0\n\xff\xfe 1\n', 'wb')
    text('no_label.txt', 'a.mp4\n')
    text('neg.txt', 'a.mp4 0\nb.mp4 -3\n')
    text('big_label.txt', 'a.mp4 0\nb.mp4 99\n')
    text('float_label.txt', 'a.mp4 0.5\n')
    text('dup_case.txt', 'Archery\narchery\n')
    text('dup_space.txt', 'tai chi\ntai  chi\n')
    text('blank_inside.txt', 'a\n\nb\n')
    text('one_class.csv', 'id,name\n0,a\n')
    text('bad_header.csv', 'idx,label\n0,a\n')
    text('ids_order.csv', 'id,name\n1,a\n0,b\n')
    text('three_fields.csv', 'id,name\n0,a,b\n')
    text('nul.csv', 'id,name\n0,a\x00b\n')
    text('syntax.py', 'x = (\n')
    text('missing_base.py', "_base_ = ['nowhere.py']\n")
    text('name_error.py', 'x = undefined_name\n')
    text('not_json.json', '{nope')
    text('list.json', '[1, 2]')
    text('nan_metric.json', '{"acc/top1": NaN}')
    text('str_metric.json', '{"acc/top1": "high"}')
    text('good_metric.json', '{"acc/top1": 0.5}')
    text('garbage.pkl', b'\x80\x04garbage', 'wb')
    text('exists.json', '{}')
    text('exists.csv', 'kept')
    text('exists.png', 'kept')
    text('exists.pth', 'kept')
    text('fake.mp4', 'not a video')
    torch.save({'state_dict': {'w': torch.zeros(2)}}, str(root / 'tiny.pth'))
    f['tiny.pth'] = str(root / 'tiny.pth')
    torch.save([1, 2, 3], str(root / 'list.pth'))
    f['list.pth'] = str(root / 'list.pth')
    (root / 'empty.pth').write_bytes(b'')
    f['empty.pth'] = str(root / 'empty.pth')
    with open(env.good, 'rb') as src:
        (root / 'truncated.pth').write_bytes(src.read()[:2000])
    f['truncated.pth'] = str(root / 'truncated.pth')
    (root / 'a_dir').mkdir()
    f['a_dir'] = str(root / 'a_dir')
    (root / 'foreign_out').mkdir()
    (root / 'foreign_out' / 'embeddings.npy').write_bytes(b'mine')
    f['foreign_out'] = str(root / 'foreign_out')
    # issue 25: resume checkpoints that cannot continue, paths that are not
    # regular files
    good = torch.load(env.good, weights_only=True)

    def ckpt(name, **changes):
        torch.save(dict(good, **changes), str(root / name))
        f[name] = str(root / name)

    ckpt('nometa.pth', meta=None)
    ckpt('finished.pth', meta=dict(epoch=5, iter=10))
    ckpt(
        'otheropt.pth',
        optimizer=dict(
            state={}, param_groups=[dict(params=[0], lr=0.1, momentum=0.9)]))
    os.mkfifo(str(root / 'pipe.mp4'))
    f['pipe.mp4'] = str(root / 'pipe.mp4')
    return f


def _cases(env, f, root):
    cfg, good, video, labels, ann = (env.config, env.good, env.video,
                                     env.labels, env.ann)
    out = str(root / 'out')
    under_file = osp.join(labels, 'x')
    cases = []

    def add(category, tool, argv, culprit, code=2):
        cases.append(
            Case(category, tool, [str(a) for a in argv], culprit, code))

    # ------------------------------------------------------------- infer
    base = [video, '--config', cfg, '--checkpoint', good]
    lab = ['--labels', 'a,b']
    for argv, culprit in [
        (['--topk', '0'], '--topk'),
        (['--topk', 'x'], '--topk'),
        (['--batch-size', '0'], '--batch-size'),
        (['--num-workers', '-1'], '--num-workers'),
        (['--out', 'r.txt'], '--out'),
        (['--device', 'tpu'], '--device'),
        (['--device', 'cuda:0'], 'cuda'),
        (['--views', '0x1'], '--views'),
        (['--views', 'four'], '--views'),
        (['--num-frames', '0'], '--num-frames'),
        (['--out', osp.join(under_file, 'r.csv')], 'is a file'),
        (['--out', f['exists.csv']], '--overwrite'),
        (['--out', video + '.csv', '--out', video], '--out'),
    ]:
        add('arguments', 'infer.py', base + lab + argv, culprit)
    for labels_argv, culprit in [
        (['--labels', ''], '--labels'),
        (['--labels', 'a,,b'], 'label 2'),
        (['--labels', 'Run,run'], 'duplicate'),
        (['--labels', 'a', '--labels-file', labels], 'not allowed'),
        (['--labels-file', f['empty.txt']], 'empty.txt'),
        (['--labels-file', f['bad_utf8.txt']], 'bad_utf8.txt:2'),
        (['--labels-file', f['dup_case.txt']], 'dup_case.txt:2'),
        (['--labels-file', f['dup_space.txt']], 'dup_space.txt:2'),
        (['--labels-file', f['blank_inside.txt']], 'blank_inside.txt:2'),
        (['--labels-file', f['bad_header.csv']], 'bad_header.csv:1'),
        (['--labels-file', f['ids_order.csv']], 'ids_order.csv:2'),
        (['--labels-file', f['three_fields.csv']], 'three_fields.csv:2'),
        (['--labels-file', f['nul.csv']], 'nul.csv'),
        (['--labels-file', str(root / 'none.csv')], 'none.csv'),
        (['--labels-file', f['a_dir']], 'a folder'),
        (['--labels-file', '/dev/null'], '/dev/null'),
    ]:
        add('label sources', 'infer.py', base + labels_argv, culprit)
    for ckpt_name in ('wide', 'foreign', 'nan', 'extra', 'garbage',
                      'raw_pickle'):
        path = getattr(env, ckpt_name)
        add('checkpoints', 'infer.py',
            [video, '--config', cfg, '--checkpoint', path] + lab, path)
    for name in ('empty.pth', 'truncated.pth', 'list.pth', 'tiny.pth',
                 'a_dir'):
        add('checkpoints', 'infer.py',
            [video, '--config', cfg, '--checkpoint', f[name]] + lab, f[name])
    for config, culprit in [(f['syntax.py'], 'syntax.py:1'),
                            (f['missing_base.py'], 'nowhere.py'),
                            (f['name_error.py'], 'undefined_name'),
                            (str(root / 'none.py'), 'none.py'),
                            (f['a_dir'], 'a_dir')]:
        add('configs', 'infer.py', [video, '--config', config] + lab, culprit)
    add('arguments', 'infer.py',
        [f['a_dir'], '--config', cfg, '--checkpoint', good] + lab, 'a_dir')
    # a video that cannot be read is one failed input (exit status 1): the
    # others are still classified
    for name in ('none.mp4', 'empty.txt', 'fake.mp4', 'pipe.mp4'):
        add('videos',
            'infer.py',
            [str(root / name), '--config', cfg, '--checkpoint', good] + lab,
            str(root / name),
            code=1)

    # -------------------------------------------------------------- test
    def test_argv(*extra, ckpt=good, config=cfg):
        return [config, ckpt, '--work-dir', str(root / 'w_test')] + list(extra)

    for ckpt_name in ('wide', 'foreign', 'nan', 'extra', 'garbage',
                      'raw_pickle'):
        path = getattr(env, ckpt_name)
        add('checkpoints', 'test.py', test_argv(ckpt=path), path)
    for name in ('empty.pth', 'truncated.pth', 'list.pth', 'tiny.pth',
                 'a_dir'):
        add('checkpoints', 'test.py', test_argv(ckpt=f[name]), f[name])
    add('checkpoints', 'test.py', test_argv(ckpt=str(root / 'no.pth')),
        'no.pth')
    for config, culprit in [(f['syntax.py'], 'syntax.py:1'),
                            (f['missing_base.py'], 'nowhere.py'),
                            (f['name_error.py'], 'undefined_name'),
                            (str(root / 'none.py'), 'none.py')]:
        add('configs', 'test.py', test_argv(config=config), culprit)
    for opts, culprit in [
        ('tset_dataloader.batch_size=2', "'test_dataloader'"),
        ('lod_from=x', "'load_from'"),
        ('work_dri=x', "'work_dir'"),
        ('defualt_hooks.logger.interval=1', "'default_hooks'"),
        ('default_hooks.logger.intervall=1', "'interval'"),
        ('default_hooks.checkpoint.max_keep=1', "'max_keep_ckpts'"),
        ('model.cls_head.type=ViFiTextHeads', "'ViFiTextHead'"),
        ('model.neck.dims=1', "'dim'"),
        ('test_dataloader.dataset.type=ViFiVideoDataSet',
         "'ViFiVideoDataset'"),
        ('test_evaluator.type=AccMetrics', "'AccMetric'"),
        ('custom_hooks.0.test_fault=fail', "'test_faults'"),
        ('custom_hooks=ViFiDataCheckHook', 'custom_hooks[0]'),
        ('test_dataloader.dataset.ann_file=' + f['neg.txt'], 'neg.txt:2'),
        ('test_dataloader.dataset.ann_file=' + f['no_label.txt'],
         'no_label.txt:1'),
        ('test_dataloader.dataset.ann_file=' + f['big_label.txt'],
         'big_label.txt:2'),
        ('test_dataloader.dataset.ann_file=' + f['float_label.txt'],
         'float_label.txt:1'),
        ('test_dataloader.dataset.ann_file=' + f['bad_utf8.txt'],
         'bad_utf8.txt:2'),
        ('test_dataloader.dataset.ann_file=' + f['empty.txt'], 'empty.txt'),
        ('test_dataloader.dataset.ann_file=' + str(root / 'no.txt'), 'no.txt'),
        ('test_dataloader.dataset.class_names=' + f['dup_case.txt'],
         'dup_case.txt:2'),
        ('test_dataloader.dataset.class_names=' + f['one_class.csv'],
         'one_class.csv'),
        ('model.cls_head.class_names=' + f['bad_header.csv'],
         'bad_header.csv:1'),
    ]:
        add('config keys', 'test.py', test_argv('--cfg-options', opts),
            culprit)
    for opts, culprit in [
        ('test_dataloader.batch_size=0', 'test_dataloader.batch_size'),
        ('test_dataloader.num_workers=-1', 'test_dataloader.num_workers'),
        ('test_dataloader.batch_size=two', 'test_dataloader.batch_size'),
    ]:
        add('config values', 'test.py', test_argv('--cfg-options', opts),
            culprit)
    for extra, culprit in [
        (['--dump', 'r.json'], '--dump'),
        (['--dump', osp.join(under_file, 'r.pkl')], '--dump'),
        (['--dump', f['exists.pth'] + '.pkl', '--dump', good], '--dump'),
        (['--out-metrics', f['exists.json']], '--overwrite'),
        (['--out-metrics', f['a_dir']], 'folder'),
        (['--out-metrics', labels], '--out-metrics'),
        (['--interval', '0'], '--interval'),
        (['--launcher', 'bogus'], '--launcher'),
        (['--work-dir', osp.join(under_file, 'w')], 'work dir'),
    ]:
        add('arguments', 'test.py', test_argv(*extra), culprit)

    # ------------------------------------------------------------- train
    def train_argv(*extra, config=cfg, work='w_train'):
        return [config, '--work-dir', str(root / work)] + list(extra)

    for opts, culprit in [
        ('trian_cfg.max_epochs=1', "'train_cfg'"),
        ('optim_wraper.optimizer.lr=1', "'optim_wrapper'"),
        ('default_hooks.checkpoint.intervall=1', "'interval'"),
        ('default_hooks.checkpoint.save_optimiser=False', "'save_optimizer'"),
        ('train_dataloader.dataset.type=ViFiVideoDatase',
         "'ViFiVideoDataset'"),
        ('param_scheduler.0.type=ViFiWarmupCosineLr', "'ViFiWarmupCosineLR'"),
        ('optim_wrapper.optimizer.type=AdamWW', "'AdamW'"),
        ('model.backbone.typ=x', 'typ'),
        ('load_from=' + str(root / 'none.pth'), 'none.pth'),
        ('load_from=' + env.wide, 'wide.pth'),
        ('load_from=' + env.nan, 'nan.pth'),
        ('load_from=' + env.garbage, 'garbage.pth'),
        ('train_dataloader.dataset.ann_file=' + f['neg.txt'], 'neg.txt:2'),
        ('train_dataloader.dataset.class_names=' + f['dup_space.txt'],
         'dup_space.txt:2'),
    ]:
        add('config keys', 'train.py', train_argv('--cfg-options', opts),
            culprit)
    for extra, culprit in [
        (['--resume', str(root / 'none.pth')], 'none.pth'),
        (['--resume', env.wide], 'wide.pth'),
        (['--resume', env.garbage], 'garbage.pth'),
        (['--partial-load'], 'load_from'),
        (['--partial-load', '--resume', good], '--partial-load'),
        (['--amp', 'fp8'], '--amp'),
        (['--seed', 'x'], '--seed'),
        (['--launcher', 'bogus'], '--launcher'),
        (['--work-dir', osp.join(under_file, 'w')], 'work dir'),
    ]:
        add('arguments', 'train.py', train_argv(*extra), culprit)
    for config, culprit in [(f['syntax.py'], 'syntax.py:1'),
                            (f['missing_base.py'], 'nowhere.py')]:
        add('configs', 'train.py', train_argv(config=config), culprit)
    for opts, culprit in [
        (['train_cfg.max_epochs=abc'], 'train_cfg.max_epochs'),
        (['train_cfg.max_epochs=0'], 'train_cfg.max_epochs'),
        (['train_cfg.val_interval=0'], 'train_cfg.val_interval'),
        (['test_dataloader.batch_size=0'], 'test_dataloader.batch_size'),
        (['train_dataloader.batch_size=-1'], 'train_dataloader.batch_size'),
        (['train_dataloader.num_workers=-1'], 'num_workers'),
        (['train_dataloader.drop_last=yes'], 'drop_last'),
        (['optim_wrapper.optimizer.lr=abc'], 'optim_wrapper.optimizer.lr'),
        (['optim_wrapper.optimizer.lr=-1'], 'optim_wrapper.optimizer.lr'),
        (['optim_wrapper.accumulative_counts=0'], 'accumulative_counts'),
        (['default_hooks.checkpoint.interval=0'], 'checkpoint.interval'),
        (['default_hooks.logger.interval=0'], 'logger.interval'),
        (['randomness.seed=x'], 'randomness.seed'),
        (['param_scheduler.0.end=0'], 'param_scheduler[0].end'),
        (['train_dataloader.batch_size=16',
          'train_dataloader.drop_last=True'], 'batch_size=16'),
        ([
            'train_cfg.type=ViFiEpochBasedTrainLoop',
            'optim_wrapper.accumulative_counts=4'
        ], 'accumulative_counts=4'),
    ]:
        add('config values', 'train.py',
            train_argv('--cfg-options', *opts, work='w_values'), culprit)
    for extra, culprit in [
        (['--resume', f['nometa.pth']], 'nometa.pth'),
        (['--resume', good], 'good.pth'),  # no optimizer state
        (['--resume', f['finished.pth']], 'finished.pth'),
        (['--resume', f['otheropt.pth']], 'otheropt.pth'),
        (['--partial-load', '--cfg-options',
          'load_from=' + env.foreign], 'foreign.pth'),
    ]:
        add('resume', 'train.py', train_argv(*extra, work='w_resume'), culprit)
    add('overwrites', 'train.py', train_argv(work='busy'), 'in use')
    work = root / 'finished_run'
    work.mkdir()
    (work / 'last_checkpoint').write_text(good)
    add('overwrites', 'train.py', train_argv(work='finished_run'),
        '--overwrite')

    # ----------------------------------------------------------- wise_ft
    zs = str(root / 'zs.pth')
    shutil.copy(good, zs)
    for argv, culprit in [
        ([zs, good, out + '.pth', '--alpha', '2'], '--alpha'),
        ([zs, good, out + '.pth', '--alpha', '-0.1'], '--alpha'),
        ([zs, good, out + '.pth', '--alpha', '0.5', '0.5'], 'duplicate'),
        ([zs, good, out + '.pth', '--alpha', 'x'], '--alpha'),
        ([zs, good, good, '--alpha', '0.5'], 'input'),
        ([zs, good, zs, '--alpha', '0.5'], 'input'),
        ([zs, good, f['exists.pth'], '--alpha', '0.5'], '--overwrite'),
        ([zs, good, osp.join(under_file, 'o.pth'), '--alpha',
          '0.5'], 'is a file'),
        ([zs, env.wide, out + '.pth', '--alpha', '0.5'], 'shape'),
        ([zs, env.extra, out + '.pth', '--alpha',
          '0.5'], 'cls_head.extra.weight'),
        ([zs, env.nan, out + '.pth', '--alpha', '0.5'], 'NaN'),
        ([zs, env.garbage, out + '.pth', '--alpha', '0.5'], 'garbage.pth'),
        ([zs, env.raw_pickle, out + '.pth', '--alpha', '0.5'], 'raw.pth'),
        ([zs, f['list.pth'], out + '.pth', '--alpha', '0.5'], 'list.pth'),
        ([zs, f['empty.pth'], out + '.pth', '--alpha', '0.5'], 'empty.pth'),
        ([zs, str(root / 'no.pth'), out + '.pth', '--alpha', '0.5'], 'no.pth'),
    ]:
        add('wise_ft', 'wise_ft.py', argv, culprit)

    # -------------------------------------------------- extract_features
    ef = [
        ann,
        str(root / 'feats'), '--config', cfg, '--checkpoint', good,
        '--data-prefix',
        osp.join(env.data, 'videos')
    ]
    for argv, culprit in [
        (ef + ['--batch-size', '0'], '--batch-size'),
        (ef + ['--num-workers', '-1'], '--num-workers'),
        ([ann, f['foreign_out'], '--config', cfg], 'embeddings.npy'),
        ([ann, labels, '--config', cfg], labels),
        ([str(root / 'none'), out, '--config', cfg], 'none'),
        ([f['neg.txt'], out, '--config', cfg, '--checkpoint',
          good], 'neg.txt:2'),
        ([ann, out, '--config', cfg, '--checkpoint', env.nan], 'NaN'),
        ([ann, out, '--config', cfg, '--checkpoint', env.wide], 'wide.pth'),
        ([ann, out, '--config', f['syntax.py']], 'syntax.py:1'),
    ]:
        add('extract_features', 'extract_features.py', argv, culprit)
    for tool, argv in [
        ('extract_features.py', ef),
        ('visualize_attention.py', [video, '--config', cfg]),
        ('benchmark_data.py', [cfg, '--generate', '1']),
    ]:
        # no such GPU with or without CUDA; not a device type
        for device in ('cuda:7', 'cuda:x', 'tpu'):
            add('devices', tool, argv + ['--device', device], device)

    # ------------------------------------------------ visualize_attention
    va = [video, '--config', cfg, '--checkpoint', good]
    for argv, culprit in [
        (va + ['--max-frames', '0'], '--max-frames'),
        (va + ['--out', 'a.jpg'], '--out'),
        (va + ['--out', f['exists.png']], '--overwrite'),
        (va + ['--out', video], '--out'),
        (va + ['--compare-checkpoint', good], '--compare-config'),
        (va + ['--num-frames', '0'], '--num-frames'),
        ([str(root / 'no.mp4'), '--config', cfg], 'no.mp4'),
        ([video, '--config', cfg, '--checkpoint', env.wide], 'wide.pth'),
    ]:
        add('visualize_attention', 'visualize_attention.py', argv, culprit)

    # ---------------------------------------------------- plot_embeddings
    for argv, culprit in [
        (['tsne', str(root / 'none'), '--out', out + '.png'], 'none'),
        (['tsne', f['a_dir'], '--out', 'x.jpg'], '--out'),
        (['tsne', f['a_dir'], '--dpi', '0', '--out', out + '.png'], '--dpi'),
        (['tsne', f['a_dir'], '--out', f['exists.png']], '--overwrite'),
        (['tsne', f['a_dir'], '--max-points', '1', '--out',
          out + '.png'], '--max-points'),
        (['confusion',
          str(root / 'no.pkl'), '--out', out + '.png'], 'no.pkl'),
        (['confusion', f['garbage.pkl'], '--out',
          out + '.png'], 'garbage.pkl'),
        (['confusion', f['garbage.pkl'], '--out', f['garbage.pkl']], '--out'),
    ]:
        add('plot_embeddings', 'plot_embeddings.py', argv, culprit)

    # ------------------------------------------------------------ report
    g = f['good_metric.json']
    for argv, culprit in [
        (['splits', str(root / 'no.json')], 'no.json'),
        (['splits', f['not_json.json']], 'not_json.json'),
        (['splits', f['list.json']], 'list.json'),
        (['splits', f['nan_metric.json']], 'nan_metric.json'),
        (['splits', f['str_metric.json']], 'str_metric.json'),
        (['splits', g, '--metric', 'acc/top9'], 'acc/top9'),
        (['splits', g, '--ddof', '1'], 'ddof'),
        (['splits', g, '--names', 'a', 'b'], 'names'),
        (['splits', g, '--scale', '0'], '--scale'),
        (['splits', g, '--out', g], '--out'),
        (['splits', g, '--out', f['exists.json']], '--overwrite'),
        (['hm', '--base', g, g, '--novel', g], 'novel'),
        (['hm', '--base', g, '--novel', g, '--seeds', 'a', 'b'], 'seed'),
    ]:
        add('report', 'report.py', argv, culprit)

    # ------------------------------------------------------- split tools
    train_ann = osp.join(env.data, 'base_train.txt')
    for argv, culprit in [
        ([ann, out + '.txt', '--shots', '0', '--seed', '0'], '--shots'),
        ([ann, ann, '--shots', '1', '--seed', '0'], 'input'),
        ([ann, labels, '--shots', '1', '--seed', '0', '--labels',
          labels], 'input'),
        ([ann, f['exists.csv'], '--shots', '1', '--seed', '0'], '--overwrite'),
        ([f['neg.txt'], out + '.txt', '--shots', '1', '--seed',
          '0'], 'neg.txt:2'),
        ([f['no_label.txt'], out + '.txt', '--shots', '1', '--seed',
          '0'], 'no_label.txt:1'),
        ([f['bad_utf8.txt'], out + '.txt', '--shots', '1', '--seed',
          '0'], 'bad_utf8.txt:2'),
        ([f['empty.txt'], out + '.txt', '--shots', '1', '--seed',
          '0'], 'empty.txt'),
        ([ann, out + '.txt', '--shots', '5', '--seed', '0'], 'fewer than 5'),
        ([
            ann, out + '.txt', '--shots', '1', '--seed', '0', '--labels',
            f['one_class.csv']
        ], 'out of range'),
        ([str(root / 'no.txt'), out + '.txt', '--shots', '1', '--seed',
          '0'], 'no.txt'),
        ([ann, out + '.txt', '--shots', '1'], '--seed'),
    ]:
        add('split tools', 'data/make_few_shot_split.py', argv, culprit)
    for argv, culprit in [
        ([train_ann, f['one_class.csv'], out], 'one_class.csv'),
        ([train_ann, labels, out, '--val', f['neg.txt']], 'neg.txt:2'),
        ([train_ann, labels, out, '--val',
          f['float_label.txt']], 'float_label.txt:1'),
        ([f['big_label.txt'], labels, out], 'big_label.txt:2'),
        ([train_ann, labels, labels], 'OUT_DIR'),
        ([train_ann, labels, osp.dirname(train_ann)], 'input'),
        ([ann, labels, env.data], 'input'),
        ([train_ann, f['dup_case.txt'], out], 'dup_case.txt:2'),
        ([str(root / 'no.txt'), labels, out], 'no.txt'),
    ]:
        add('split tools', 'data/make_base2novel_split.py', argv, culprit)
    for argv, culprit in [
        ([out, '--frames', '0'], '--frames'),
        ([out, '--size', '4'], '--size'),
        ([labels], labels),
        ([env.data], '--overwrite'),
        ([out, '--seed', 'x'], '--seed'),
    ]:
        add('split tools', 'data/make_synthetic_dataset.py', argv, culprit)

    # ----------------------------------------------------------- convert
    for argv, culprit in [
        ([str(root / 'no.pth'), out, '--labels', labels], 'no.pth'),
        ([env.garbage, out, '--labels', labels], 'garbage.pth'),
        ([env.raw_pickle, out, '--labels', labels], 'raw.pth'),
        ([f['list.pth'], out, '--labels', labels], 'list.pth'),
        ([f['tiny.pth'], out, '--labels',
          str(root / 'no.csv')], 'no.csv'),
        ([
            f['tiny.pth'],
            osp.dirname(f['tiny.pth']), '--labels', labels, '--num-frames', '0'
        ], 'num-frames'),
        ([f['tiny.pth'], labels, '--labels', labels], 'OUT_DIR'),
    ]:
        add('convert', 'convert_official_checkpoint.py', argv, culprit)

    # -------------------------------------------------------- benchmarks
    for argv, culprit in [
        ([cfg, '--iters', '0'], '--iters'),
        ([cfg, '--num-classes', '0'], '--num-classes'),
        ([str(root / 'no.py')], 'no.py'),
        ([f['syntax.py']], 'syntax.py:1'),
        ([cfg, '--cfg-options', 'modle.x=1'], "'model'"),
        ([cfg, '--out', f['exists.json']], '--overwrite'),
    ]:
        add('benchmarks', 'benchmark.py', argv, culprit)
    for argv, culprit in [
        ([cfg], '--videos'),
        ([cfg, '--generate', '1', '--size', 'big'], '--size'),
        ([cfg, '--generate', '1', '--samples', '0'], '--samples'),
        ([cfg, '--videos', str(root / 'none')], 'none'),
        ([cfg, '--generate', '1', '--out', cfg], '--out'),
    ]:
        add('benchmarks', 'benchmark_data.py', argv, culprit)
    for argv, culprit in [
        ([cfg, '--classes', '0'], '--classes'),
        ([cfg, '--repeats', '0'], '--repeats'),
        ([cfg, '--plot', 'x.jpg'], '--plot'),
        ([cfg, '--out', f['exists.json']], '--overwrite'),
    ]:
        add('benchmarks', 'benchmark_sweep.py', argv, culprit)
    return cases


def _protected(env, f):
    paths = [
        env.good, env.config, env.labels, env.ann, env.video, f['exists.json'],
        f['exists.csv'], f['exists.png'], f['exists.pth'],
        osp.join(f['foreign_out'], 'embeddings.npy'),
        osp.join(env.data, 'base_train.txt')
    ]
    digest = {}
    for p in paths:
        with open(p, 'rb') as fh:
            digest[p] = hashlib.sha256(fh.read()).hexdigest()
    return digest


def _verdict(case, code, err):
    """'' when the outcome is right, else what is wrong."""
    lines = err.strip().splitlines()
    prog = osp.basename(case.tool)
    if code != case.code:
        return f'exit status {code}'
    if 'Traceback' in err:
        return 'traceback'
    if 'weights_only' in err:
        return "torch's weights_only advice"
    if not lines:
        return 'no message'
    last = lines[-1]
    if case.code == 1:  # a failed input: named on its own FAILED line
        failed = [ln for ln in lines if ln.startswith('FAILED ')]
        return '' if failed and case.culprit in failed[0] else \
            f'no FAILED line naming {case.culprit!r}'
    if not (last.startswith(f'{prog}: error: ')
            or last.startswith(f'{prog.replace(".py", "")}: error: ')):
        return f'last line is {last[:80]!r}'
    if case.culprit not in last:
        return f'culprit {case.culprit!r} not named: {last[:200]!r}'
    return ''


_HOLD_LOCK = '''
import sys, time
from vifi_mmaction.cli.runner import lock_work_dir
lock_work_dir(sys.argv[1])
print('held', flush=True)
time.sleep(3600)
'''


def _hold_work_dir(work_dir) -> subprocess.Popen:
    """Another training run's process, owning ``work_dir``."""
    proc = subprocess.Popen([sys.executable, '-c', _HOLD_LOCK,
                             str(work_dir)],
                            stdout=subprocess.PIPE,
                            text=True,
                            cwd=REPO_ROOT,
                            env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    assert proc.stdout.readline().strip() == 'held'
    return proc


@pytest.mark.slow  # 280 runs of the tools, train.py and test.py among them
def test_sweep(env, tmp_path, capsys):
    f = _files(env, tmp_path)
    cases = _cases(env, f, tmp_path)
    before = _protected(env, f)
    counts = collections.Counter()
    wrong = []
    holder = _hold_work_dir(tmp_path / 'busy')
    try:
        for case in cases:
            try:
                res = call_tool(case.tool, *case.argv)
                why = _verdict(case, res.code, res.err)
            except Exception as e:  # noqa: B902  (counted as wrong outcome)
                why = f'uncaught {type(e).__name__}: {str(e)[:200]}'

            counts[case.category] += 1
            if why:
                wrong.append(f'{case.tool} {" ".join(case.argv)}: {why}')
    finally:
        holder.kill()
        holder.wait()
    assert _protected(env, f) == before  # nothing was overwritten
    assert not osp.exists(tmp_path / 'out.pth')  # no half result
    with capsys.disabled():
        print(f'\nadversarial sweep: {len(cases)} bad inputs, '
              f'{len(cases) - len(wrong)} one clear line; by category: '
              f'{dict(sorted(counts.items()))}')
    assert len(cases) >= 150
    assert not wrong, '\n'.join(wrong)


@pytest.mark.slow
def test_sweep_as_real_processes(env, tmp_path):
    """The same contract when the tools run as commands."""
    runs = [
        (['tools/test.py', env.config, env.wide, '--work-dir',
          str(tmp_path)], 'test.py', 'wide.pth'),
        ([
            'tools/train.py', env.config, '--work-dir',
            str(tmp_path / 'w'), '--cfg-options', 'train_cfg.max_epochs=abc'
        ], 'train.py', 'max_epochs'),
        (['tools/wise_ft.py', env.good, env.good, env.good, '--alpha',
          '0.5'], 'wise_ft.py', 'input'),
    ]
    for argv, prog, culprit in runs:
        # a user's shell: no PYTHONWARNINGS (library warnings would show)
        proc = run_tool(*argv, check=False, env=dict(PYTHONWARNINGS=''))
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr  # warnings included
        assert lines[0].startswith(f'{prog}: error: ') and culprit in lines[0]
