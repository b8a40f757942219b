"""tools/extract_features.py: normalised embeddings, index, and resuming
after an interruption without recomputing written rows."""
import csv
import os.path as osp

import numpy as np
import pytest
from vifi_testing import QUICKSTART_FRAMES as NUM_FRAMES
from vifi_testing import load_tool

from vifi_mmaction.apis import ViFiZeroShotInferencer, load_features

extract = load_tool('extract_features')


def _argv(zs, video_data, out, *extra):
    return [
        video_data.ann_file, out, '--config', zs.config, '--checkpoint',
        zs.checkpoint, '--labels-file', video_data.labels_csv, '--data-prefix',
        video_data.root, '--device', 'cpu', '--batch-size', '1',
        '--num-workers', '0', *extra
    ]


def _index(out):
    with open(osp.join(out, 'index.csv'), newline='') as f:
        return list(csv.DictReader(f))


def test_extraction_resumes_after_interruption(zs, video_data, tmp_path,
                                               monkeypatch, capsys):
    forward = ViFiZeroShotInferencer.forward
    calls = []

    def counted(self, inputs, **kwargs):
        calls.append(len(inputs['inputs']))
        if stop_after is not None and len(calls) > stop_after:
            raise KeyboardInterrupt
        return forward(self, inputs, **kwargs)

    monkeypatch.setattr(ViFiZeroShotInferencer, 'forward', counted)
    out = str(tmp_path / 'feats')
    stop_after = 1  # interrupted while the second video is computed
    rc = extract.main(_argv(zs, video_data, out, '--frame-embeddings'))
    assert rc == 130 and 'resume' in capsys.readouterr().err
    written = np.load(osp.join(out, 'written.npy'))
    assert written.tolist() == [1, 0, 0]
    assert [r['status'] for r in _index(out)] == ['ok', 'pending', 'pending']
    first = np.load(osp.join(out, 'embeddings.npy'))[0].copy()

    calls.clear()
    stop_after = None
    rc = extract.main(_argv(zs, video_data, out, '--frame-embeddings'))
    err = capsys.readouterr().err
    assert rc == 0, err
    assert sum(calls) == 2  # only the two pending videos ran
    assert '1 already written, 2 written now' in err

    emb = np.load(osp.join(out, 'embeddings.npy'))
    frames = np.load(osp.join(out, 'frame_embeddings.npy'))
    assert emb.shape == (3, 32) and frames.shape == (3, 1, NUM_FRAMES, 32)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(frames, axis=-1), 1, atol=1e-5)
    np.testing.assert_array_equal(emb[0], first)  # kept, not recomputed
    rows = _index(out)
    assert [r['status'] for r in rows] == ['ok'] * 3
    assert [r['class'] for r in rows] == video_data.class_names
    assert [osp.basename(r['video']) for r in rows] == video_data.files

    # a clean run in one go gives the same features
    clean = str(tmp_path / 'clean')
    assert extract.main(_argv(zs, video_data, clean)) == 0
    np.testing.assert_allclose(
        np.load(osp.join(clean, 'embeddings.npy')), emb, atol=1e-6)
    feats = load_features(out, frames=True)
    assert feats['classes'] == video_data.class_names
    assert feats['frame_embeddings'].shape == (3, 1, NUM_FRAMES, 32)

    # the same folder with other settings is refused, naming what differs
    rc = extract.main(
        _argv(zs, video_data, out, '--frame-embeddings', '--num-frames', '4'))
    err = capsys.readouterr().err
    assert rc == 2 and 'differs: settings' in err and '--overwrite' in err
    calls.clear()
    assert extract.main(_argv(zs, video_data, out, '--frame-embeddings')) \
        == 0
    assert calls == []  # everything already written


def test_folder_source_and_failed_videos(zs, tmp_path, capsys):
    out = str(tmp_path / 'feats')
    rc = extract.main([
        zs.videos, out, '--config', zs.config, '--checkpoint', zs.checkpoint,
        '--labels', ','.join(zs.names), '--device', 'cpu', '--num-workers', '0'
    ])
    err = capsys.readouterr().err
    assert rc == 1 and 'FAILED' in err and 'broken.mp4' in err
    rows = _index(out)
    assert [r['status'] for r in rows] == ['ok', 'failed', 'ok']
    assert rows[1]['error'] and rows[2]['class'] == 'sub'
    feats = load_features(out)
    assert feats['embeddings'].shape == (2, 32)
    assert feats['classes'] == ['', 'sub']


def test_bad_annotation_label_names_the_line(zs, video_data, tmp_path, capsys):
    ann = tmp_path / 'ann.txt'
    ann.write_text('clip a.mp4 0\nb.mp4 7\n')
    rc = extract.main([
        str(ann),
        str(tmp_path / 'o'), '--config', zs.config, '--checkpoint',
        zs.checkpoint, '--labels-file', video_data.labels_csv, '--device',
        'cpu'
    ])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and 'ann.txt:2' in err and err.count('\n') == 0


@pytest.mark.parametrize('bad', ['--batch-size=0', '--num-workers=-1'])
def test_bad_numbers(zs, video_data, tmp_path, capsys, bad):
    rc = extract.main(_argv(zs, video_data, str(tmp_path / 'o')) + [bad])
    assert rc == 2 and '--batch-size' in capsys.readouterr().err
