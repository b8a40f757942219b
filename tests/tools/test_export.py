"""tools/export.py: the ONNX vision model reproduces the inferencer's
probabilities on generated videos, the text model reproduces the class
embeddings (also of a new label set), TorchScript likewise."""
import copy
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from vifi_testing import load_tool

from vifi_mmaction.apis import (ViFiZeroShotInferencer, export_recognizer,
                                run_onnx)
from vifi_mmaction.checkpoint_loader import NonFiniteOutputError
from vifi_mmaction.errors import InputError
from vifi_mmaction.models.heads.text_contrastive_head import format_prompts
from vifi_mmaction.models.text_encoder import tokenize_prompts

export = load_tool('export')
TOL = 1e-4


@pytest.fixture(scope='module')
def exported(zs, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('export'))
    rc = export.main([
        zs.config, out, '--checkpoint', zs.checkpoint, '--labels-file',
        zs.labels_csv
    ])
    assert rc == 0
    with open(osp.join(out, 'export.json')) as f:
        return out, json.load(f)


def _pixels(inferencer, videos):
    """The test pipeline's crops ``[N, V, C, T, H, W]`` as float32."""
    return torch.stack([inferencer.load_video(v)['inputs']
                        for v in videos]).float()


def _predict(inferencer, videos):
    preds = inferencer(videos)['predictions']
    return (np.array([p['pred_scores'] for p in preds]),
            np.stack([p['embedding'] for p in preds]))


@pytest.mark.parametrize('views', [None, '2x3'])
def test_onnx_vision_matches_pytorch(zs, exported, views):
    out, desc = exported
    inferencer = ViFiZeroShotInferencer(
        zs.config,
        zs.checkpoint,
        labels=zs.labels_csv,
        device='cpu',
        views=views)
    probs, emb = _predict(inferencer, zs.good)
    pixels = _pixels(inferencer, zs.good)
    assert pixels.shape[:2] == (2, 1 if views is None else 6)
    got_probs, got_emb = run_onnx(
        osp.join(out, 'vision.onnx'), {'pixels': pixels})
    np.testing.assert_allclose(got_probs, probs, atol=TOL, rtol=0)
    np.testing.assert_allclose(got_emb, emb, atol=TOL, rtol=0)
    # the two videos differ, so the check is not vacuous
    assert np.abs(probs[0] - probs[1]).max() > 10 * TOL
    scripted = torch.jit.load(osp.join(out, 'vision.torchscript.pt'))
    with torch.no_grad():
        ts_probs, ts_emb = scripted(pixels)
    np.testing.assert_allclose(ts_probs.numpy(), probs, atol=TOL, rtol=0)
    np.testing.assert_allclose(ts_emb.numpy(), emb, atol=TOL, rtol=0)
    assert desc['class_names'] == zs.names and desc['opset'] == 17
    assert desc['vision']['clip_shape'] == dict(T=8, H=32, W=32)


def test_text_model_changes_labels_without_reexport(zs, exported):
    out, desc = exported
    inferencer = ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, labels=zs.labels_csv, device='cpu')
    context = desc['text']['context_length']

    def text_onnx(names):
        prompts = format_prompts(desc['templates'][0], names)
        tokens = tokenize_prompts(prompts, context)
        return run_onnx(osp.join(out, 'text.onnx'), {'tokens': tokens})[0]

    np.testing.assert_allclose(
        text_onnx(zs.names),
        inferencer.text_embeddings().numpy(),
        atol=TOL,
        rtol=0)
    new = ['surfing', 'a dog catching a frisbee']
    text = text_onnx(new)
    inferencer.set_labels(new)
    np.testing.assert_allclose(
        text, inferencer.text_embeddings().numpy(), atol=TOL, rtol=0)
    # exported video embeddings + exported text = the new label set's
    # probabilities (one view: the video embedding is the view's)
    probs, _ = _predict(inferencer, zs.good)
    _, emb = run_onnx(
        osp.join(out, 'vision.onnx'), {'pixels': _pixels(inferencer, zs.good)})
    logits = torch.from_numpy(desc['logit_scale'] * emb @ text.T)
    np.testing.assert_allclose(
        logits.softmax(-1).numpy(), probs, atol=TOL, rtol=0)
    scripted = torch.jit.load(osp.join(out, 'text.torchscript.pt'))
    with torch.no_grad():
        ts = scripted(
            tokenize_prompts(
                format_prompts(desc['templates'][0], new), context))
    np.testing.assert_allclose(ts.numpy(), text, atol=TOL, rtol=0)


def test_refuses_to_overwrite(zs, exported, capsys):
    out, _ = exported
    stamp = os.stat(osp.join(out, 'vision.onnx')).st_mtime_ns
    capsys.readouterr()
    rc = export.main([
        zs.config, out, '--checkpoint', zs.checkpoint, '--labels-file',
        zs.labels_csv
    ])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err == [
        f'export.py: error: OUT_DIR {out}: file '
        f'{osp.join(out, "export.json")} exists; '
        f'pass --overwrite to replace it'
    ]
    assert os.stat(osp.join(out, 'vision.onnx')).st_mtime_ns == stamp


@pytest.mark.parametrize('case', ['no onnx', 'no labels', 'label file'])
def test_setup_errors_are_one_line(zs, tmp_path, monkeypatch, capsys, case):
    argv = [
        zs.config,
        str(tmp_path / 'out'), '--checkpoint', zs.checkpoint, '--labels-file',
        zs.labels_csv
    ]
    if case == 'no onnx':
        monkeypatch.setitem(sys.modules, 'onnx', None)  # import fails
        culprit = 'pip install "onnx==1.23.2"'
    elif case == 'no labels':
        # the config names a label file that does not exist, and none given
        cfg = Config.fromfile(zs.config)
        cfg.model.cls_head.class_names = str(tmp_path / 'absent.csv')
        argv[0] = str(tmp_path / 'absent_labels.py')
        cfg.dump(argv[0])
        argv = argv[:-2]
        culprit = 'pass labels'
    else:
        argv[-1] = str(tmp_path / 'missing.csv')
        culprit = 'missing.csv'
    rc = export.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1, err
    assert err[0].startswith('export.py: error: ') and culprit in err[0]
    assert not (tmp_path / 'out').exists()


def test_prompted_text_head_exports_vision_only(zs, tmp_path, capsys):
    # a prompted head's class embeddings depend on learned context tokens:
    # no tokens -> embeddings graph; the vision graph still bakes them in
    cfg = Config.fromfile(zs.config)
    cfg.model.cls_head.update(type='ViFiPromptedTextHead', n_ctx=2, depth=1)
    config = str(tmp_path / 'prompted.py')
    cfg.dump(config)
    argv = [
        config,
        str(tmp_path / 'out'), '--checkpoint', zs.clip_weights,
        '--labels-file', zs.labels_csv, '--format', 'onnx'
    ]
    assert export.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'ViFiPromptedTextHead' in err[0] and \
        '--no-text' in err[0]
    assert export.main(argv + ['--no-text']) == 0
    assert sorted(os.listdir(tmp_path /
                             'out')) == ['export.json', 'vision.onnx']
    inferencer = ViFiZeroShotInferencer(
        config, zs.clip_weights, labels=zs.labels_csv, device='cpu')
    probs, _ = _predict(inferencer, zs.good)
    got, _ = run_onnx(
        str(tmp_path / 'out' / 'vision.onnx'),
        {'pixels': _pixels(inferencer, zs.good)})
    np.testing.assert_allclose(got, probs, atol=TOL, rtol=0)


@pytest.mark.parametrize('opset', [7, 13, 24])
def test_an_opset_out_of_range_is_refused_before_any_work(zs, tmp_path, opset):
    out = str(tmp_path / 'exports')
    with pytest.raises(
            InputError,
            match=rf'^--opset {opset}: the export '
            r'needs an ONNX opset from 14 \(attention\) to 23'):
        export_recognizer(zs.model, out, (2, 32, 32), opset=opset)
    assert not osp.exists(out)  # no empty folder left behind


def test_nan_outputs_are_never_exported(zs, tmp_path):
    model = copy.deepcopy(zs.model)
    with torch.no_grad():
        model.cls_head.logit_scale.fill_(1e4)
    out = str(tmp_path / 'exports')
    with pytest.raises(
            NonFiniteOutputError,
            match=r'^w.pth: the model '
            r'computes NaN/Inf probs \(weights '
            r'cls_head.logit_scale \(exp overflows'):
        export_recognizer(
            model, out, (2, 32, 32), formats=['torchscript'], source='w.pth')
    assert not osp.exists(out)
    os.makedirs(out)  # a folder the user made stays
    with pytest.raises(NonFiniteOutputError):
        export_recognizer(model, out, (2, 32, 32), formats=['torchscript'])
    assert os.listdir(out) == []
