"""ViFiZeroShotInferencer: probabilities, embeddings, the text cache,
failures per video, and the weights it accepts."""
import os

import numpy as np
import pytest
import torch
from mmaction.apis import inference_recognizer
from mmengine.config import Config
from mmengine.dataset import Compose
from vifi_testing import QUICKSTART_FRAMES as NUM_FRAMES

from vifi_mmaction.apis import ViFiZeroShotInferencer, adapt_test_pipeline
from vifi_mmaction.checkpoint_loader import (CheckpointError,
                                             NonFiniteOutputError)


@pytest.fixture(scope='module')
def inferencer(zs):
    return ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, device='cpu', labels=zs.labels_csv)


def _count_text_runs(head):
    calls = []
    handle = head.text.register_forward_hook(lambda *a: calls.append(1))
    return calls, handle


def test_probabilities_sum_to_one_and_match_the_recognizer(inferencer, zs):
    out = inferencer(zs.good, topk=2)
    preds = out['predictions']
    assert out['visualization'] is None and len(preds) == 2
    for p in preds:
        assert p['error'] is None
        assert len(p['pred_scores']) == 3
        assert sum(p['pred_scores']) == pytest.approx(1, abs=1e-5)
        assert len(p['pred_labels']) == 2
        assert p['pred_names'][0] == zs.names[int(np.argmax(p['pred_scores']))]
        assert p['embedding'].shape == (32, )
        assert np.linalg.norm(p['embedding']) == pytest.approx(1, abs=1e-5)
    # mmaction's own single-video path gives the same probabilities
    model = zs.model
    model.cfg = inferencer.cfg
    ref = inference_recognizer(model, zs.good[0],
                               Compose(inferencer.pipeline_cfg))
    np.testing.assert_allclose(
        preds[0]['pred_scores'], ref.pred_score.numpy(), atol=1e-5)


def test_multi_view_averages_per_view_softmax(zs):
    inf = ViFiZeroShotInferencer(
        zs.config,
        zs.checkpoint,
        device='cpu',
        labels=zs.names,
        views='2x3',
        num_frames=4)
    steps = {s['type']: s for s in inf.pipeline_cfg}
    assert steps['ViFiSampleFrames']['num_views'] == 2
    assert steps['ViFiSampleFrames']['num_frames'] == 4
    assert steps['ThreeCrop']['crop_size'] == 32
    assert steps['Resize']['scale'] == (-1, 32)  # ThreeCrop needs it
    res = inf(zs.good[0], frame_embeddings=True)['predictions'][0]
    assert sum(res['pred_scores']) == pytest.approx(1, abs=1e-5)
    assert res['frame_embeddings'].shape == (6, 4, 32)  # [V, T, E]
    np.testing.assert_allclose(
        np.linalg.norm(res['frame_embeddings'], axis=-1), 1, atol=1e-5)
    model = zs.model
    model.cfg = inf.cfg
    ref = inference_recognizer(model, zs.good[0], Compose(inf.pipeline_cfg))
    np.testing.assert_allclose(
        res['pred_scores'], ref.pred_score.numpy(), atol=1e-5)


def test_text_encoder_runs_once_per_label_set(inferencer, zs):
    head = inferencer.head
    head.invalidate_cache()
    calls, handle = _count_text_runs(head)
    try:
        inferencer(zs.good * 2, batch_size=1)  # four videos, four batches
        inferencer(zs.good, labels=zs.labels_txt)  # the same label set
        assert len(calls) == 1
        emb = inferencer.text_embeddings()
        assert emb.shape == (3, 32) and len(calls) == 1
        inferencer(zs.good, labels=['juggling balls', 'archery'])
        assert len(calls) == 2 and inferencer.class_names == [
            'juggling balls', 'archery'
        ]
        inferencer(zs.good, template='a video of {}')
        assert len(calls) == 3
        inferencer(zs.good)
        assert len(calls) == 3
    finally:
        handle.remove()
        inferencer.set_labels(zs.labels_csv, 'a photo of a {}.')


def test_unreadable_video_is_reported_and_others_continue(inferencer, zs):
    missing = zs.root + '/nope.mp4'
    preds = inferencer([zs.good[0], zs.bad, missing, zs.good[1]],
                       batch_size=2)['predictions']
    assert [p['video']
            for p in preds] == [zs.good[0], zs.bad, missing, zs.good[1]]
    assert preds[0]['error'] is None and preds[3]['error'] is None
    assert 'broken.mp4' in preds[1]['error']
    assert preds[1]['pred_scores'] is None and preds[1]['embedding'] is None
    assert 'nope.mp4' in preds[2]['error'] and 'not found' in preds[2]['error']
    # the failure does not shift the others' results
    alone = inferencer(zs.good[1])['predictions'][0]
    np.testing.assert_allclose(
        preds[3]['pred_scores'], alone['pred_scores'], atol=1e-6)


def test_folder_input_and_datasamples(inferencer, zs):
    out = inferencer(zs.videos, return_datasamples=True)
    samples = out['predictions']
    assert [s.filename for s in samples
            ] == sorted([zs.bad] +
                        zs.good)  # recursive, sorted, notes.txt skipped
    ok = [s for s in samples if s.error is None]
    assert len(ok) == 2
    assert ok[0].pred_score.shape == (3, )
    assert ok[0].video_embedding.shape == (32, )


def test_plain_clip_weights_are_vanilla_clip(zs):
    """A CLIP file as the checkpoint loads each tower from it."""
    a = ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, device='cpu', labels=zs.names)
    b = ViFiZeroShotInferencer(
        zs.config, zs.clip_weights, device='cpu', labels=zs.names)
    assert b.weights_source == 'clip'
    ra = a(zs.good[0])['predictions'][0]
    rb = b(zs.good[0])['predictions'][0]
    np.testing.assert_allclose(ra['pred_scores'], rb['pred_scores'], atol=1e-6)


def test_setup_errors_are_one_line_and_name_the_culprit(zs, tmp_path):
    wrong = tmp_path / 'wrong.pth'
    state = dict(zs.model.state_dict())
    state.pop('cls_head.logit_scale')
    torch.save({'state_dict': state}, str(wrong))
    no_labels = Config.fromfile(zs.config)
    no_labels.model.cls_head.class_names = str(tmp_path / 'labels.csv')
    cases = [
        (dict(model=zs.config, weights=str(wrong),
              labels=zs.names), 'wrong.pth does not fit'),
        (dict(model=no_labels, weights=zs.checkpoint),
         'no labels given'),  # the config's label file does not exist
        (dict(model=zs.config, weights=None, labels=zs.names), 'no weights'),
        (dict(
            model=zs.config,
            weights=zs.checkpoint,
            labels=zs.names,
            views='2x2'), '--views'),
        (dict(model=zs.config, weights=zs.root + '/none.pth',
              labels=zs.names), 'none.pth'),
    ]
    for kwargs, words in cases:
        with pytest.raises((ValueError, OSError)) as e:
            ViFiZeroShotInferencer(device='cpu', **kwargs)
        assert words in str(e.value) and '\n' not in str(e.value), str(e.value)


def test_adapt_test_pipeline_swaps_decoders_and_crops():
    pipe = [
        dict(type='DecordInit'),
        dict(type='ViFiSampleFrames', num_frames=8),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(-1, 256)),
        dict(type='ThreeCrop', crop_size=224)
    ]
    out = adapt_test_pipeline(pipe, num_frames=NUM_FRAMES, views='1x1')
    assert [s['type'] for s in out] == [
        'ViFiDecordInit', 'ViFiSampleFrames', 'ViFiDecordDecode', 'Resize',
        'CenterCrop'
    ]
    assert out[1]['test_mode'] and out[1]['num_views'] == 1
    assert pipe[0]['type'] == 'DecordInit'  # input untouched
    with pytest.raises(ValueError, match='CLIPSxCROPS'):
        adapt_test_pipeline(pipe, views='four')


def test_a_checkpoint_whose_logit_scale_overflows_is_refused(zs, tmp_path):
    state = {k: v.clone() for k, v in zs.model.state_dict().items()}
    state['cls_head.logit_scale'] = torch.tensor(1e4)
    big = str(tmp_path / 'big_scale.pth')
    torch.save({'state_dict': state, 'meta': {}}, big)
    with pytest.raises(
            CheckpointError,
            match=r'big_scale.pth: '
            r'cls_head.logit_scale is too large'):
        ViFiZeroShotInferencer(zs.config, big, device='cpu', labels=zs.names)


def test_nan_probabilities_stop_naming_the_weights(zs, tmp_path):
    # plain CLIP weights skip the checkpoint fit: the outputs are checked
    clip = torch.load(zs.clip_weights)
    clip['logit_scale'] = torch.tensor(1e4)
    weights = str(tmp_path / 'big_clip.pt')
    torch.save(clip, weights)
    inferencer = ViFiZeroShotInferencer(
        zs.config, weights, device='cpu', labels=zs.names)
    assert inferencer.weights_source == 'clip'
    out = str(tmp_path / 'p.json')
    with pytest.raises(NonFiniteOutputError) as e:
        inferencer(zs.good, pred_out_file=out)
    assert str(e.value).startswith(f'{weights}: the model computes NaN/Inf '
                                   f'probs (weights cls_head.logit_scale')
    assert not os.path.exists(out)
