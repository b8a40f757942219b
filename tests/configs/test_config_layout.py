"""The layout of configs/ (docs/configs.md): every leaf reaches exactly one
protocol base through its ``_base_`` chain, the protocol bases hold the
runtime, the model and the Mixup/CutMix that leaves used to copy, and the
schedules reuse one scheduler. Read from the files' ``_base_`` lists, not
from loaded configs: test_configs.py checks the loaded values."""
import ast
import glob
import os.path as osp

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
