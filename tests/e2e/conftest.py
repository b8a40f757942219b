"""Fixtures of the end-to-end runs: one epoch of tools/train.py on the
synthetic base classes, and one run of tools/train.py + tools/test.py per
configs/mixing/ config.

Importing torch, mmaction, open_clip and mmpretrain takes most of a tool's
start-up, so for the mixing configs each child process imports once and
runs the tools' ``main`` (the unmodified scripts, loaded with ``runpy``)
for its configs; two children share the work.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
from vifi_testing import QUICKSTART_CONFIG as CONFIG
from vifi_testing import REPO_ROOT, child_env, data_opts, epochs_opts, run_tool
from vifi_testing.mixing import ALL, TSN, write_tiny_config


@pytest.fixture(scope='session')
def trained(synthetic_data, tmp_path_factory):
    """One epoch of tools/train.py on the synthetic base classes."""
    work = str(tmp_path_factory.mktemp('work'))
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--cfg-options',
             *data_opts(synthetic_data), *epochs_opts(1))
    return work


# Run inside a child: train and test every config of ``jobs``.
_CHILD = '''
import json, runpy, sys
import torch
torch.set_num_threads(1)
train = runpy.run_path('tools/train.py', run_name='train_tool')['main']
test = runpy.run_path('tools/test.py', run_name='test_tool')['main']
out = {}
for job in json.loads(sys.argv[1]):
    train([job['config'], '--work-dir', job['work']])
    ckpt = job['work'] + '/epoch_1.pth'
    for name, extra in job['tests'].items():
        dump = f"{job['work']}/{name}_preds.pkl"
        metrics = test([job['config'], ckpt, '--work-dir', job['work'],
                        '--dump', dump] + extra)
        out[f"{job['name']}/{name}"] = dict(
            metrics={k: float(v) for k, v in metrics.items()}, dump=dump)
print(json.dumps(out))
'''


@pytest.fixture(scope='session')
def mixing_runs(synthetic_data, tmp_path_factory):
    """Every mixing config trained for one epoch (2 iterations) on the 8
    base classes, then tested from its checkpoint on the base classes; the
    open-vocabulary TSN is also tested on the 4 novel classes by changing
    only the label file (no retraining).

    Returns:
        dict: ``'<config>/<test>'`` -> ``dict(metrics, dump, work)``.
    """
    root = tmp_path_factory.mktemp('mixing_runs')
    jobs = []
    for name in ALL:
        work = str(root / name[:-3])
        os.makedirs(work)
        tests = dict(base=[])
        if name == TSN:
            novel_labels = osp.join(synthetic_data, 'novel_labels.csv')
            tests['novel'] = [
                '--cfg-options', f'model.cls_head.class_names={novel_labels}',
                'test_dataloader.dataset.ann_file=' +
                osp.join(synthetic_data, 'novel_val.txt'),
                f'test_dataloader.dataset.class_names='
                f'{novel_labels}'
            ]
        jobs.append(
            dict(
                name=name,
                work=work,
                tests=tests,
                config=write_tiny_config(str(root), name, synthetic_data)))
    env = child_env()
    procs = [
        subprocess.Popen([
            sys.executable, '-c',
            textwrap.dedent(_CHILD),
            json.dumps(jobs[i::2])
        ],
                         cwd=REPO_ROOT,
                         env=env,
                         text=True,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE) for i in range(2)
    ]
    results = {}
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        lines = [ln for ln in out.splitlines() if ln.startswith('{')]
        assert proc.returncode == 0 and lines, (
            f'mixing run failed (rc={proc.returncode}):\n{out[-3000:]}\n'
            f'{err[-6000:]}')
        results.update(json.loads(lines[-1]))
    for job in jobs:
        for key in results:
            if key.startswith(job['name'] + '/'):
                results[key]['work'] = job['work']
    return results
