"""Every checkpoint load path is weights-only and refuses code.

A crafted checkpoint whose unpickling would run ``touch MARKER`` is given to
each load path of the project; each must fail with
``UntrustedCheckpointError`` naming the file, and MARKER must not exist.
The ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` environment variable (which turns
torch's weights-only default off) is set throughout: our loaders pass
``weights_only=True`` explicitly.

Already covered elsewhere, not repeated here: ``torch.load`` of such a file
and mmengine's ``_load_checkpoint`` with the allowlist
(tests/test_compat.py), CLIP weight files (tests/models/test_clip_loader.py)
and ``tools/convert_official_checkpoint.py``
(tests/convert/test_convert.py).
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from vifi_testing import CodeOnUnpickle, make_cfg, run_inprocess, write_cfg

from vifi_mmaction.checkpoint_loader import UntrustedCheckpointError


@pytest.fixture
def evil(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    marker = str(tmp_path / 'pwned')
    path = str(tmp_path / 'iter_3.pth')  # looks like one of ours
    torch.save(
        dict(
            meta=dict(epoch=0, iter=3),
            state_dict={'x': CodeOnUnpickle(marker)}), path)
    return path, marker


def _refused(msg, path, marker):
    assert f'refused to load checkpoint {path}' in msg
    assert 'system' in msg  # names what it wanted to call
    assert 'weights_only=False' not in msg  # never torch's advice
    assert '\n' not in msg.rstrip('\n')
    assert not osp.exists(marker)


def _cfg(synthetic_data, tmp_path, name):
    return write_cfg(
        make_cfg(synthetic_data, tmp_path / name), tmp_path / f'{name}.py')


@pytest.mark.slow
@pytest.mark.parametrize('path_kind',
                         ['load_from', 'resume', 'auto_resume', 'test'])
def test_crafted_checkpoint_is_refused_by_the_tools_and_never_runs(
        synthetic_data, tmp_path, evil, path_kind, capsys):
    """Each tool stops with one line and exit status 2, before training or
    testing anything."""
    path, marker = evil
    cfg = _cfg(synthetic_data, tmp_path, 'run')
    if path_kind == 'load_from':
        rc = run_inprocess('tools/train.py', cfg, '--cfg-options',
                           f'load_from={path}')
    elif path_kind == 'resume':
        rc = run_inprocess('tools/train.py', cfg, '--resume', path)
    elif path_kind == 'auto_resume':
        work = tmp_path / 'run'
        work.mkdir()
        (work / 'last_checkpoint').write_text(path)
        rc = run_inprocess('tools/train.py', cfg, '--resume')
    else:
        rc = run_inprocess('tools/test.py', cfg, path)
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(('train.py: error: ', 'test.py: error: ')), err
    _refused(err, path, marker)


def test_crafted_checkpoint_is_refused_by_init_recognizer(
        synthetic_data, tmp_path, evil):
    path, marker = evil
    cfg = _cfg(synthetic_data, tmp_path, 'run')
    from mmaction.apis import init_recognizer
    with pytest.raises(UntrustedCheckpointError) as e:
        init_recognizer(Config.fromfile(cfg), path, device='cpu')
    _refused(str(e.value), path, marker)


def test_the_payload_is_real(evil):
    path, marker = evil
    torch.load(path, weights_only=False)  # what an unsafe loader would do
    assert osp.exists(marker)
