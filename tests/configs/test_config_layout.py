"""The layout of configs/ (docs/configs.md): every leaf reaches exactly one
protocol base through its ``_base_`` chain, the protocol bases hold the
runtime, the model and the Mixup/CutMix that leaves used to copy, the
schedules reuse one scheduler, and every data and weight path but a
training split is written in one file. Read from the files' text, not
from loaded configs: test_configs.py checks the loaded values."""
import ast
import collections
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config
from vifi_testing import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs')
BASE_DIR = osp.join(CONFIG_DIR, '_base_')
PROTOCOL_DIR = osp.join(BASE_DIR, 'protocols')
LEAVES = sorted(
    osp.relpath(p, CONFIG_DIR)
    for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if not p.startswith(BASE_DIR + osp.sep))
PROTOCOLS = sorted(glob.glob(osp.join(PROTOCOL_DIR, '*.py')))
# its own tiny model, pipelines and schedule: the one leaf without a protocol
STANDALONE = {'quickstart/vifi-clip_tiny_synthetic.py'}


def _bases(path):
    """Absolute paths of the ``_base_`` files ``path`` names (not recursive).
    """
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == '_base_'):
            names = ast.literal_eval(node.value)
            names = [names] if isinstance(names, str) else names
            return [
                osp.normpath(osp.join(osp.dirname(path), n)) for n in names
            ]
    return []


def _ancestors(path):
    """Every file in the ``_base_`` chain of ``path``, nearest first."""
    seen, todo = [], _bases(path)
    while todo:
        base = todo.pop(0)
        assert osp.isfile(base), f'{path}: _base_ {base} does not exist'
        if base not in seen:
            seen.append(base)
            todo.extend(_bases(base))
    return seen


def _mentions(path, text):
    with open(path, encoding='utf-8') as f:
        return text in f.read()


def test_there_are_leaves_and_protocols():
    assert len(LEAVES) > 80 and len(PROTOCOLS) >= 6


@pytest.mark.parametrize('rel', LEAVES)
def test_leaf_inherits_one_protocol(rel):
    protocols = [
        p for p in _ancestors(osp.join(CONFIG_DIR, rel))
        if osp.dirname(p) == PROTOCOL_DIR
    ]
    if rel in STANDALONE:
        assert protocols == []
        return
    assert protocols, f'{rel}: no _base_/protocols/ file in its _base_ chain'
    # a protocol may build on another (few_shot.py on fine_tune.py), but the
    # protocols of a leaf form one line: of any two, one inherits the other
    for i, p in enumerate(protocols):
        for q in protocols[i + 1:]:
            assert q in _ancestors(p) or p in _ancestors(q), \
                f'{rel}: unrelated protocols {p} and {q}'


@pytest.mark.parametrize('path', PROTOCOLS, ids=osp.basename)
def test_protocol_holds_runtime_and_model(path):
    chain = [osp.relpath(p, BASE_DIR) for p in _ancestors(path)]
    assert 'default_runtime.py' in chain
    assert any(p.startswith('models/') for p in chain), chain
    Config.fromfile(path)  # loads on its own


def test_leaves_do_not_restate_the_blending():
    """Mixup/CutMix is written once per model family, in the protocols."""
    writers = sorted(
        osp.relpath(p, CONFIG_DIR)
        for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
        if _mentions(p, 'RandomBatchAugment'))
    assert writers == [
        '_base_/protocols/fine_tune.py', '_base_/protocols/prompting.py'
    ]


def test_schedules_share_one_scheduler():
    """Only the 10-epoch schedule spells the warm-up + cosine scheduler out;
    the others take it and change its end."""
    schedules = sorted(glob.glob(osp.join(BASE_DIR, 'schedules', '*.py')))
    spelled = [
        osp.basename(p) for p in schedules
        if _mentions(p, "type='ViFiWarmupCosineLR'")
    ]
    assert spelled == ['adamw_warmup-cosine_10e.py']
    for p in schedules:
        cfg = Config.fromfile(p)
        assert [s.end for s in cfg.param_scheduler] == \
            [cfg.train_cfg.max_epochs], osp.basename(p)


def test_paths_are_written_once():
    """Video folders, label files, test splits and weights are written in
    one file each, a dataset, model or protocol base that every config
    using them inherits. Only a training split may be written twice: the
    fine-tuning and the prompting leaf of a protocol both own theirs."""
    files = collections.defaultdict(list)
    for path in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True):
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value.startswith(('data/', 'work_dirs/'))):
                files[node.value].append(osp.relpath(path, CONFIG_DIR))
    assert 'data/clip/ViT-B-16.pt' in files  # the scan sees the paths
    training = re.compile(r'(train\.txt|_train\.txt|few_shot_\d+\.txt)$')
    again = {
        p: sorted(where)
        for p, where in files.items()
        if len(where) > 1 and not training.search(p)
    }
    assert again == {}
    assert files['data/clip/ViT-B-16.pt'] == [
        osp.join('_base_', 'models', 'vifi-clip_vit-b16.py')
    ]
