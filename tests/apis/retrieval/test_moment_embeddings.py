"""vifi_mmaction.apis.retrieval.moment_embeddings: every window of every
extracted video embedded, merged in row order with its times, resumed,
and refused for another window."""
import numpy as np
import pytest

from vifi_mmaction.apis import ViFiZeroShotInferencer
from vifi_mmaction.apis.retrieval import (FeatureStoreError, extract_features,
                                          extract_moments, load_moments,
                                          window_embeddings)


@pytest.fixture(scope='module')
def extracted(zs, tmp_path_factory):
    inferencer = ViFiZeroShotInferencer(
        zs.config, zs.checkpoint, labels=zs.labels_csv, device='cpu')
    out = str(tmp_path_factory.mktemp('moments'))
    items = [dict(video=v, label=-1, class_name='') for v in zs.good]
    extract_features(inferencer, items, out, show_progress=False)
    return inferencer, out


def test_windows_of_every_video_in_row_order(zs, extracted):
    inferencer, out = extracted
    summary = extract_moments(inferencer, out, '4f', show_progress=False)
    # 10 frames: [0,4) [4,8) [6,10); 12 frames: [0,4) [4,8) [8,12)
    assert summary == dict(videos=2, written=2, failed={}, moments=6)
    moments = load_moments(out, mmap=False)
    assert moments['rows'].tolist() == [0, 0, 0, 1, 1, 1]
    assert moments['videos'] == [zs.good[0]] * 3 + [zs.good[1]] * 3
    emb, times = window_embeddings(inferencer, zs.good[1], '4f')
    np.testing.assert_allclose(moments['embeddings'][3:], emb, atol=1e-6)
    np.testing.assert_allclose(moments['times'][3:], times, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    again = extract_moments(inferencer, out, '4f', show_progress=False)
    assert again['written'] == 0 and again['moments'] == 6
    with pytest.raises(FeatureStoreError, match='window 4 frames every 4 '):
        extract_moments(inferencer, out, '6f', show_progress=False)


def test_missing_moments(tmp_path):
    with pytest.raises(FileNotFoundError, match='with --window first'):
        load_moments(str(tmp_path))
