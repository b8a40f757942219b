"""vifi_mmaction.apis.retrieval.store: rows written are flagged only after
their data, a reopened store resumes with the same inputs and refuses
others, the index tells ok/failed/pending, and load_features reads the
written rows only."""
import csv

import numpy as np
import pytest

from vifi_mmaction.apis.retrieval import (FeatureStore, FeatureStoreError,
                                          check_feature_dir, feature_files,
                                          load_features)
from vifi_mmaction.errors import InputError

ITEMS = [
    dict(video=f'v{i}.mp4', label=i % 2, class_name=['run', 'swim'][i % 2])
    for i in range(3)
]


def _index(out):
    with open(out / 'index.csv', newline='') as f:
        return [(r['video'], r['status'], r['error'])
                for r in csv.DictReader(f)]


def test_write_fail_resume_and_load(tmp_path):
    out = tmp_path / 'feats'
    store = FeatureStore(str(out), ITEMS, dict(config='c.py'))
    assert store.pending() == [0, 1, 2]
    emb = np.eye(3, 4, dtype=np.float32)
    store.write([0, 2], emb[[0, 2]])
    store.fail(1, 'VideoReadError: bad')
    store.write_index()
    assert _index(out) == [('v0.mp4', 'ok', ''),
                           ('v1.mp4', 'failed', 'VideoReadError: bad'),
                           ('v2.mp4', 'ok', '')]
    again = FeatureStore(str(out), ITEMS, dict(config='c.py'))
    assert again.pending() == [1]  # failed rows are retried
    got = load_features(str(out))
    assert got['videos'] == ['v0.mp4', 'v2.mp4']
    assert got['labels'] == [0, 0] and got['classes'] == ['run', 'run']
    np.testing.assert_array_equal(got['embeddings'], emb[[0, 2]])
    np.testing.assert_array_equal(got['rows'], [0, 2])


def test_other_inputs_or_settings_are_refused(tmp_path):
    out = str(tmp_path / 'feats')
    FeatureStore(out, ITEMS, dict(config='c.py'))
    with pytest.raises(FeatureStoreError, match='differs: settings'):
        FeatureStore(out, ITEMS, dict(config='other.py'))
    with pytest.raises(FeatureStoreError, match='num_items, items_sha1'):
        FeatureStore(out, ITEMS[:2], dict(config='c.py'))
    fresh = FeatureStore(out, ITEMS[:2], dict(config='c.py'), overwrite=True)
    assert fresh.pending() == [0, 1]


def test_frame_embeddings_are_kept_and_checked(tmp_path):
    out = str(tmp_path / 'feats')
    store = FeatureStore(out, ITEMS, {}, frame_embeddings=True)
    frames = np.ones((1, 2, 4, 8), np.float32)  # [n, V, T, E]
    store.write([1], np.ones((1, 8), np.float32), frames)
    with pytest.raises(FeatureStoreError, match=r'\(2, 5, 8\) do not fit'):
        store.write([0], np.ones((1, 8), np.float32),
                    np.ones((1, 2, 5, 8), np.float32))
    got = load_features(out, frames=True)
    assert got['frame_embeddings'].shape == (1, 2, 4, 8)


def test_foreign_files_and_missing_extractions(tmp_path):
    (tmp_path / 'embeddings.npy').write_bytes(b'')
    with pytest.raises(FeatureStoreError, match='embeddings.npy that no '):
        check_feature_dir(str(tmp_path))
    check_feature_dir(str(tmp_path), overwrite=True)
    with pytest.raises(FileNotFoundError, match='index.csv not found'):
        feature_files(str(tmp_path))
    out = tmp_path / 'empty'
    FeatureStore(str(out), ITEMS, {}).write_index()
    np.save(out / 'embeddings.npy', np.zeros((3, 4), np.float32))
    with pytest.raises(InputError, match='no extracted videos'):
        load_features(str(out))
