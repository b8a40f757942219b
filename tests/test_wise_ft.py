"""WiSE-FT weight interpolation: exact ends and midpoint, dtypes, the
compatibility check's list of differences, output naming, checkpoint meta."""
import os.path as osp

import pytest
import torch

from vifi_mmaction.checkpoint_loader import CheckpointError
from vifi_mmaction.wise_ft import (IncompatibleCheckpointsError,
                                   check_compatible, interpolate,
                                   load_state_dict, mixed_checkpoint,
                                   output_paths)


def _pair():
    g = torch.Generator().manual_seed(0)
    zs = dict(
        w=torch.randn(3, 4, generator=g),
        half=torch.randn(5, generator=g).half(),
        step=torch.tensor([7]))
    ft = dict(
        w=torch.randn(3, 4, generator=g),
        half=torch.randn(5, generator=g).half(),
        step=torch.tensor([7]))
    return zs, ft


def test_interpolation_is_exact_at_the_ends_and_linear_between():
    zs, ft = _pair()
    check_compatible(zs, ft)
    at0, at1, half = (interpolate(zs, ft, a) for a in (0., 1., .5))
    for key in zs:
        assert torch.equal(at0[key], zs[key]) and torch.equal(
            at1[key], ft[key])
        assert half[key].dtype == ft[key].dtype
    assert torch.equal(half['w'], 0.5 * zs['w'] + 0.5 * ft['w'])
    # fp16 tensors are mixed in float32, then rounded once
    expected = (0.5 * zs['half'].float() + 0.5 * ft['half'].float()).half()
    assert torch.equal(half['half'], expected)
    assert torch.equal(half['step'], ft['step'])
    assert half['step'] is not ft['step']  # a copy, not the input


def test_every_difference_is_listed():
    zs, ft = _pair()
    ft['w'] = ft['w'][:, :2]
    ft['step'] = torch.tensor([8])
    ft['extra'] = torch.zeros(1)
    zs['half'] = zs['half'].to(torch.int16)
    with pytest.raises(IncompatibleCheckpointsError) as info:
        check_compatible(zs, ft, ('zs.pth', 'ft.pth'))
    msg = str(info.value)
    assert 'keys only in the ft.pth checkpoint: extra' in msg
    assert 'shape mismatches: w (3, 4) vs (3, 2)' in msg
    assert 'dtype kind mismatches: half torch.int16 vs torch.float16' in msg
    assert 'non-floating tensors differ (cannot be interpolated): step' in msg


def test_long_lists_are_cut():
    zs = {f'k{i:02d}': torch.zeros(1) for i in range(13)}
    with pytest.raises(
            IncompatibleCheckpointsError,
            match=r'zero-shot checkpoint: k00, .*k09 \(\+3 more\)'):
        check_compatible(zs, {})


def test_output_paths():
    assert output_paths('m.pth', [0.5]) == ['m.pth']
    assert output_paths('a/m.pt',
                        [0.2, 1.0]) == ['a/m_alpha0.2.pt', 'a/m_alpha1.pt']
    assert output_paths('out',
                        [0.25]) == [osp.join('out', 'wise_ft_alpha0.25.pth')]


def test_checkpoints_load_weights_only_and_keep_dataset_meta(tmp_path):
    zs, ft = _pair()
    path = str(tmp_path / 'ft.pth')
    torch.save(
        dict(
            meta=dict(dataset_meta=dict(classes=['a']), epoch=3),
            state_dict=ft), path)
    state, meta = load_state_dict(path)
    assert set(state) == set(ft) and meta['epoch'] == 3
    plain = str(tmp_path / 'plain.pth')
    torch.save(zs, plain)
    assert load_state_dict(plain)[1] == {}
    ckpt = mixed_checkpoint(zs, state, 0.3, ('zs.pth', 'ft.pth'), meta)
    assert ckpt['meta'] == dict(
        wise_ft=dict(alpha=0.3, zero_shot='zs.pth', finetuned='ft.pth'),
        dataset_meta=dict(classes=['a']))
    assert 'dataset_meta' not in mixed_checkpoint(zs, ft, 0.3, ('a', 'b'),
                                                  {})['meta']


def test_nonfinite_weights_are_refused(tmp_path):
    zs, _ = _pair()
    zs['w'][0, 0] = float('nan')
    path = str(tmp_path / 'nan.pth')
    torch.save(dict(state_dict=zs), path)
    with pytest.raises(
            CheckpointError,
            match=r'nan\.pth: 1 weight tensors hold NaN/Inf \(w\)'):
        load_state_dict(path)
