"""The inferencer, feature extraction and attention maps run the
recognizer's own test path (``extract_feat``: neck, ``max_testing_views``)
and the head's public embedding, never a forward of their own."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.apis import inference_recognizer
from mmengine.config import Config
from mmengine.dataset import Compose
from vifi_testing import load_tool

from vifi_mmaction.apis import (ViFiZeroShotInferencer, load_features,
                                video_attention_maps)

extract = load_tool('extract_features')


def _inferencer(zs, cfg=None, **kwargs):
    kwargs.setdefault('labels', zs.names)
    return ViFiZeroShotInferencer(
        cfg or zs.config, zs.checkpoint, device='cpu', **kwargs)


def _predict(inf, video):
    """mmaction's single-video path (``model.predict``) on the same model."""
    return inference_recognizer(inf.model, video,
                                Compose(inf.pipeline_cfg)).pred_score.numpy()


def test_feature_path_changes_reach_the_inferencer_like_predict(zs):
    """Features rewritten inside ``extract_feat`` (as a neck other than the
    mean would) change the inferencer's scores exactly as ``predict``'s."""
    inf = _inferencer(zs, views='2x1', num_frames=4)
    plain = inf(zs.good[0])['predictions'][0]
    model = inf.model
    extract_feat = model.extract_feat
    mix = torch.randn(32, 32, generator=torch.Generator().manual_seed(0))

    def rewritten(*args, **kwargs):
        feats, extra = extract_feat(*args, **kwargs)
        return feats @ mix, extra  # [B, D]: not a mean of anything

    model.extract_feat = rewritten
    try:
        ours = inf(zs.good[0])['predictions'][0]
        ref = _predict(inf, zs.good[0])
    finally:
        del model.extract_feat
    np.testing.assert_allclose(ours['pred_scores'], ref, atol=1e-5)
    assert np.abs(np.subtract(ours['pred_scores'],
                              plain['pred_scores'])).max() > 1e-4
    assert not np.allclose(ours['embedding'], plain['embedding'], atol=1e-4)


def test_max_testing_views_chunks_the_backbone(zs):
    cfg = Config.fromfile(zs.config)
    cfg.model.test_cfg = dict(max_testing_views=2)
    chunked = _inferencer(zs, cfg, views='2x3', num_frames=4)
    whole = _inferencer(zs, views='2x3', num_frames=4)
    sizes = []
    handle = chunked.model.backbone.register_forward_hook(
        lambda m, args, out: sizes.append(args[0].shape[0]))
    try:
        a = chunked(
            zs.good, batch_size=2, frame_embeddings=True)['predictions']
    finally:
        handle.remove()
    assert sizes == [2] * 6  # 2 videos x 6 views, 2 views at a time
    b = whole(zs.good, batch_size=2, frame_embeddings=True)['predictions']
    for x, y in zip(a, b):
        np.testing.assert_allclose(
            x['pred_scores'], y['pred_scores'], atol=1e-5)
        np.testing.assert_allclose(x['embedding'], y['embedding'], atol=1e-5)
        np.testing.assert_allclose(
            x['frame_embeddings'], y['frame_embeddings'], atol=1e-5)
    np.testing.assert_allclose(
        a[1]['pred_scores'], _predict(chunked, zs.good[1]), atol=1e-5)


def test_no_neck_fails_like_predict_instead_of_averaging_time(zs):
    """Without a neck the head gets ``[B, T, D]``: ``predict`` refuses it,
    and so does the inferencer (it used to average time on its own)."""
    cfg = Config.fromfile(zs.config)
    cfg.model.neck = None
    inf = _inferencer(zs, cfg)
    with pytest.raises(ValueError, match='pool time and space first'):
        _predict(inf, zs.good[0])
    with pytest.raises(ValueError, match='pool time and space first'):
        inf(zs.good[0])


def test_folder_features_need_no_label_set(zs, tmp_path, capsys, monkeypatch):
    """A folder is embedded without any class names: the head has no label
    set and the text tower never runs."""
    cfg = Config.fromfile(zs.config)
    cfg.model.cls_head.class_names = str(tmp_path / 'missing.csv')
    config = str(tmp_path / 'no_labels.py')
    cfg.dump(config)
    runs = []
    init_model = ViFiZeroShotInferencer._init_model

    def counted(self, *args, **kwargs):
        model = init_model(self, *args, **kwargs)
        model.cls_head.text.register_forward_hook(lambda *a: runs.append(1))
        return model

    monkeypatch.setattr(ViFiZeroShotInferencer, '_init_model', counted)
    out = str(tmp_path / 'feats')
    rc = extract.main([
        zs.videos, out, '--config', config, '--checkpoint', zs.checkpoint,
        '--device', 'cpu', '--num-workers', '0'
    ])
    err = capsys.readouterr().err
    assert rc == 1 and 'broken.mp4' in err  # the broken video, nothing else
    assert runs == []
    feats = load_features(out)
    assert feats['classes'] == ['', 'sub'] and feats['labels'] == [-1, -1]
    # the same embeddings as with a label set
    labelled = _inferencer(zs)(zs.good)['predictions']
    np.testing.assert_allclose(
        feats['embeddings'],
        np.stack([p['embedding'] for p in labelled]),
        atol=1e-6)

    # an annotation file still needs the class names
    ann = tmp_path / 'ann.txt'
    ann.write_text('a.mp4 0\n')
    rc = extract.main([
        str(ann),
        str(tmp_path / 'o'), '--config', config, '--checkpoint', zs.checkpoint,
        '--device', 'cpu'
    ])
    assert rc == 2 and 'no labels given' in capsys.readouterr().err


def test_label_free_inferencer_returns_embeddings_only(zs, tmp_path):
    cfg = Config.fromfile(zs.config)
    cfg.model.cls_head.class_names = str(tmp_path / 'missing.csv')
    inf = _inferencer(zs, cfg, labels=None, require_labels=False)
    assert inf.class_names == []
    res = inf(zs.good[0])['predictions'][0]
    assert res['pred_scores'] is None and res['pred_names'] == []
    assert res['embedding'].shape == (32, )
    with pytest.raises(ValueError, match='no class names'):
        inf.text_embeddings()
    maps = video_attention_maps(inf, zs.good[0])
    assert maps['probs'] is None and maps['rollout'].shape[1:] == (4, 4)
    # a label set given later scores as usual
    inf.set_labels(zs.names)
    res = inf(zs.good[0])['predictions'][0]
    assert osp.basename(res['video']) == 'a.mp4'
    assert sum(res['pred_scores']) == pytest.approx(1, abs=1e-5)
