"""vifi_mmaction.checkpoint_loader: the one weights-only loader and the one
strict-fit rule."""
import pickle

import pytest
import torch

import vifi_mmaction.checkpoint_loader as loader
import vifi_mmaction.engine.checkpoint_hook as engine_checkpoint
from vifi_mmaction.checkpoint_loader import (CheckpointError,
                                             UnreadableCheckpointError,
                                             UntrustedCheckpointError,
                                             check_state_fits, is_clip_state,
                                             is_torchscript, load_state_strict,
                                             load_weights_only, state_dict_of,
                                             strip_module_prefix)


class _Call:

    def __reduce__(self):
        return (print, ('ran', ))


def test_damage_and_code_are_told_apart_without_torchs_advice(tmp_path):
    junk = tmp_path / 'junk.pth'
    junk.write_bytes(b'\x80\x02}q\x00garbage')
    with pytest.raises(UnreadableCheckpointError) as e:
        load_weights_only(str(junk))
    assert str(junk) in str(e.value) and 'weights_only' not in str(e.value)
    evil = tmp_path / 'evil.pth'
    torch.save({'x': _Call()}, str(evil))
    with pytest.raises(UntrustedCheckpointError) as e:
        load_weights_only(str(evil))
    assert e.value.detail == 'unsupported global print'
    assert 'weights_only' not in str(e.value)
    assert 'safe_globals' not in str(e.value)  # no how-to-allow-it advice
    with pytest.raises(FileNotFoundError, match='none.pth'):
        load_weights_only(str(tmp_path / 'none.pth'))


def test_the_allow_list_admits_exactly_the_named_globals(tmp_path):
    path = tmp_path / 'cfg.pth'
    torch.save({'cfg': _Call()}, str(path))

    def stand_in(*args):
        return 'stand-in'

    assert load_weights_only(
        str(path), allow=[(stand_in, 'builtins.print')])['cfg'] == 'stand-in'
    with pytest.raises(UntrustedCheckpointError):  # not kept afterwards
        load_weights_only(str(path))


def test_state_dicts_of_both_layouts_lose_the_module_prefix(tmp_path):
    w = torch.ones(2)
    assert state_dict_of({
        'state_dict': {
            'module.a': w
        },
        'meta': {}
    }, 'f') == {
        'a': w
    }
    assert state_dict_of({'module.a': w, 'b': w}, 'f') == {'a': w, 'b': w}
    assert strip_module_prefix({'x.module.a': w}) == {'x.module.a': w}
    with pytest.raises(CheckpointError, match=r'f: neither .* \(got list\)'):
        state_dict_of([w], 'f')


def test_fit_rule_lists_the_first_keys_and_partial_loads_what_fits():
    model = torch.nn.Linear(3, 2)
    own = model.state_dict()
    bad = {'weight': torch.zeros(2, 4), 'other': torch.zeros(1)}
    with pytest.raises(CheckpointError) as e:
        check_state_fits(own, bad, 'c.pth', hint='use --partial-load')
    msg = str(e.value)
    assert msg.startswith('c.pth does not fit the model: ')
    assert 'weight (2, 4) vs model (2, 3)' in msg and "missing keys (bias)" \
        in msg and 'unexpected keys (other)' in msg
    assert msg.endswith('(use --partial-load)') and '\n' not in msg
    before = model.weight.detach().clone()
    report = load_state_strict(
        model, dict(bad, bias=torch.ones(2)), 'c.pth', allow_partial=True)
    assert torch.equal(model.weight, before)  # mis-shaped: not loaded
    assert torch.equal(model.bias, torch.ones(2))
    assert 'other' in report.skipped and 'weight (2, 4)' in report.skipped
    nan = {'weight': torch.full((2, 3), float('nan')), 'bias': torch.ones(2)}
    with pytest.raises(CheckpointError, match=r'NaN/Inf \(weight\)'):
        check_state_fits(own, nan, 'c.pth', allow_partial=True)


def test_resume_check_reports_damage_but_not_our_bugs(tmp_path, monkeypatch):
    junk = tmp_path / 'iter_1.pth'
    junk.write_bytes(b'')
    ok, reason = engine_checkpoint.check_checkpoint(str(junk))
    assert not ok and reason.startswith('EOFError')

    def buggy(*args, **kwargs):
        raise TypeError('a bug of ours')

    monkeypatch.setattr(engine_checkpoint, 'load_weights_only', buggy)
    with pytest.raises(TypeError, match='a bug of ours'):
        engine_checkpoint.check_checkpoint(str(junk))
    assert pickle.UnpicklingError  # (the refusal type stays a pickle error)
    assert issubclass(UntrustedCheckpointError, pickle.UnpicklingError)


def test_clip_files_are_told_from_recognizer_checkpoints(tmp_path):
    w = torch.zeros(2)
    assert is_clip_state({'module.visual.proj': w, 'token_embedding': w})
    assert not is_clip_state({'backbone.visual.proj': w, 'visual.x': w})
    assert not is_clip_state({'cls_head.logit_scale': w})
    # a TorchScript archive has code; a torch.save zip has none
    jit, pickled = str(tmp_path / 'jit.pt'), str(tmp_path / 'state.pt')
    torch.jit.script(torch.nn.Linear(2, 2)).save(jit)
    torch.save(torch.nn.Linear(2, 2).state_dict(), pickled)
    (tmp_path / 'text.pt').write_text('not a zip')
    assert is_torchscript(jit)
    assert not is_torchscript(pickled)
    assert not is_torchscript(str(tmp_path / 'text.pt'))


def test_a_logit_scale_whose_exp_overflows_is_refused_at_load():
    own = {'cls_head.logit_scale': torch.tensor(4.6), 'w': torch.zeros(2)}
    for fine in (4.6, 88.0):  # exp(88) is still finite in float32
        state = dict(own, **{'cls_head.logit_scale': torch.tensor(fine)})
        assert check_state_fits(own, state, 'ok.pth').missing == []
    huge = dict(own, **{'cls_head.logit_scale': torch.tensor(1e4)})
    assert loader.overflowing_scale_keys(huge) == ['cls_head.logit_scale']
    for partial in (False, True):
        with pytest.raises(
                CheckpointError,
                match=r'^big.pth: cls_head.logit_scale is too '
                r'large \(its exp overflows float32'):
            check_state_fits(own, huge, 'big.pth', allow_partial=partial)


def test_nonfinite_outputs_name_the_weights_and_the_culprit_key():
    model = torch.nn.Module()
    model.logit_scale = torch.nn.Parameter(torch.tensor(100.0))
    loader.check_finite_outputs({'probs': torch.ones(2, 3) / 3}, model,
                                'w.pth')
    with pytest.raises(loader.NonFiniteOutputError) as e:
        loader.check_finite_outputs(
            {
                'probs': torch.full((1, 3), float('nan')),
                'embedding': torch.zeros(1, 4)
            }, model, 'w.pth')
    assert str(e.value) == (
        'w.pth: the model computes NaN/Inf probs (weights logit_scale (exp '
        'overflows float32)); refusing to report them')


def test_clip_weights_load_without_a_line_per_parameter(zs):
    # outside a runner mmengine reports each parameter's init at INFO on
    # the console; loading CLIP weights keeps it quiet, and the level after
    import logging

    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    cfg = Config.fromfile(zs.config)
    cfg.model.cls_head.class_names = list(zs.names)
    model = MODELS.build(cfg.model)
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger.addHandler(handler)
    level = logger.level
    try:
        assert loader.load_model_weights(model, zs.clip_weights,
                                         zs.config) == 'clip'
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if 'Initialized by' in r.getMessage()]
    assert logger.level == level
