"""tools/wise_ft.py, the command line of vifi_mmaction.wise_ft (whose own
tests are tests/test_wise_ft.py): exact interpolation at alpha 0, 1 and 0.5
of real recognizer checkpoints, several alphas, weights-only loading of
mmengine checkpoints, clear refusals."""
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.logging.history_buffer import HistoryBuffer
from vifi_testing import REPO_ROOT, load_tool, tiny_recognizer_cfg

_TOOL = load_tool('tools/wise_ft.py')
wise_ft = _TOOL.main


def _state(seed, **head):
    torch.manual_seed(seed)
    model = MODELS.build(tiny_recognizer_cfg(['a', 'b'], **head))
    state = model.state_dict()
    state['data_preprocessor.step'] = torch.tensor([7])  # a non-float entry
    return state


def _save(path, state):
    """An mmengine-style checkpoint, meta holding what mmengine writes."""
    buf = HistoryBuffer()
    buf.update(np.float64(0.5))
    torch.save(
        dict(
            meta=dict(
                epoch=np.int64(3),
                dataset_meta=dict(classes=['a', 'b']),
                message_hub=dict(log_scalars={'loss': buf})),
            state_dict=state), str(path))
    return str(path)


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    root = tmp_path_factory.mktemp('wise_ft')
    zs, ft = _state(0), _state(1)
    return dict(
        root=root,
        zs=zs,
        ft=ft,
        zs_path=_save(root / 'zs.pth', zs),
        ft_path=_save(root / 'ft.pth', ft))


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def test_exact_interpolation_at_0_1_and_half(ckpts):
    out = ckpts['root'] / 'mixed'
    paths = wise_ft([
        ckpts['zs_path'], ckpts['ft_path'],
        str(out), '--alpha', '0', '1', '0.5'
    ])
    assert paths == [
        str(out / f'wise_ft_alpha{a}.pth') for a in ('0', '1', '0.5')
    ]
    zs, ft = ckpts['zs'], ckpts['ft']
    at0, at1, half = (_load(p) for p in paths)
    assert set(at0['state_dict']) == set(zs)
    for key in zs:
        assert torch.equal(at0['state_dict'][key], zs[key]), key
        assert torch.equal(at1['state_dict'][key], ft[key]), key
        if zs[key].is_floating_point():
            assert torch.equal(half['state_dict'][key],
                               0.5 * zs[key] + 0.5 * ft[key]), key
        else:
            assert torch.equal(half['state_dict'][key], ft[key])
        assert half['state_dict'][key].dtype == ft[key].dtype
    # both towers really moved between the two ends
    key = 'backbone.visual.transformer.resblocks.0.attn.in_proj_weight'
    assert not torch.equal(zs[key], ft[key])
    assert half['meta']['wise_ft']['alpha'] == 0.5
    assert half['meta']['dataset_meta'] == dict(classes=['a', 'b'])


def test_single_alpha_to_a_file_loads_into_the_model(ckpts):
    out = ckpts['root'] / 'one.pth'
    assert wise_ft(
        [ckpts['zs_path'], ckpts['ft_path'],
         str(out), '--alpha', '0.25']) == [str(out)]
    mixed = _load(str(out))['state_dict']
    mixed.pop('data_preprocessor.step')
    model = MODELS.build(tiny_recognizer_cfg(['x', 'y', 'z']))
    model.load_state_dict(mixed)  # strict: exactly the model's keys
    paths = wise_ft([
        ckpts['zs_path'], ckpts['ft_path'],
        str(ckpts['root'] / 'many.pth'), '--alpha', '0.2', '0.4'
    ])
    assert [osp.basename(p)
            for p in paths] == ['many_alpha0.2.pth', 'many_alpha0.4.pth']


def test_mismatched_keys_and_shapes_are_listed(ckpts, capsys):
    root = ckpts['root']
    other = _state(2, in_channels=48)  # adds cls_head.proj.weight
    other['backbone.visual.proj'] = other['backbone.visual.proj'][:, :16]
    other.pop('cls_head.logit_scale')
    other['data_preprocessor.step'] = torch.tensor([8])
    bad = _save(root / 'bad.pth', other)
    assert wise_ft([ckpts['zs_path'], bad,
                    str(root / 'x'), '--alpha', '0.5']) == 2
    msg = capsys.readouterr().err
    assert msg.startswith('wise_ft.py: error: ') and msg.count('\n') == 1
    assert 'keys only in the' in msg and 'cls_head.logit_scale' in msg
    assert 'cls_head.proj.weight' in msg
    assert 'backbone.visual.proj (64, 32) vs (64, 16)' in msg
    assert 'data_preprocessor.step' in msg
    assert not (root / 'x').exists()


def test_alpha_out_of_range_is_refused(ckpts, capsys):
    assert wise_ft(
        [ckpts['zs_path'], ckpts['ft_path'], 'unused', '--alpha', '1.5']) == 2
    assert '--alpha must lie in [0, 1]' in capsys.readouterr().err


def test_command_line_fails_with_one_clear_line(ckpts, tmp_path, monkeypatch,
                                                capsys):
    """The script as ``__main__`` (in-process: the tool imports the whole
    plugin, which a subprocess would pay for again)."""
    missing = str(tmp_path / 'missing.pth')
    monkeypatch.setattr(sys, 'argv', [
        'wise_ft.py', ckpts['zs_path'], missing,
        str(tmp_path / 'out'), '--alpha', '0.5'
    ])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(
            osp.join(REPO_ROOT, 'tools', 'wise_ft.py'), run_name='__main__')
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f'wise_ft.py: error: {missing}: no such checkpoint file\n')
