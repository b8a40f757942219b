"""FAISS search over a feature store: the index chosen by size, recall and
exact scores against the exact search, the index stored beside the
embeddings with its fingerprint (a changed store is refused in one line or
rebuilt), 'auto', and a missing faiss reported in one line."""
import os.path as osp
import sys

import numpy as np
import pytest

from vifi_mmaction.apis.retrieval import FeatureStore, VideoIndex
from vifi_mmaction.apis.retrieval import ann_index as ann
from vifi_mmaction.apis.retrieval import ann_search, top_k
from vifi_mmaction.apis.retrieval.search_benchmark import recall_at_k

N, DIM = 4000, 32
IVF = dict(
    factory='IVF32,SQ8',
    search=dict(nprobe=8),
    rerank=4,
    train_size=2048,
    niter=10)


def make_store(root, matrix, written=None):
    """An extraction directory written by the store tools/extract_features.py
    writes with (the rows not in ``written`` left pending)."""
    items = [
        dict(video=f'v/{i:05d}.mp4', label=0, class_name='a')
        for i in range(len(matrix))
    ]
    store = FeatureStore(str(root), items, dict(ckpt='a.pth'))
    rows = np.arange(
        len(matrix)) if written is None else np.flatnonzero(written)
    store.write(rows.tolist(), matrix[rows].astype(np.float32))
    store.write_index()
    return str(root)


def same_hits(got, expected):
    """Equal hits; scores equal up to float32 rounding (the exact search
    multiplies chunks of rows, the re-scoring only the candidates)."""
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert [{k: v for k, v in h.items() if k != 'score'} for h in g] == \
            [{k: v for k, v in h.items() if k != 'score'} for h in e]
        np.testing.assert_allclose([h['score'] for h in g],
                                   [h['score'] for h in e],
                                   rtol=1e-6)
    return True


def test_spec_by_size():
    assert ann.choose_spec(ann.FLAT_BELOW - 1, 512)['factory'] == 'IDMap,Flat'
    mid = ann.choose_spec(1_000_000, 512)
    assert mid['factory'] == 'IVF2048,SQ8'
    assert mid['search'] == dict(nprobe=32) and mid['rerank'] == 4
    assert ann.choose_spec(100_000, 512)['factory'] == 'IVF512,SQ8'
    big = ann.choose_spec(10_000_000, 512)
    assert big['factory'] == 'IVF4096_HNSW32,SQ8'
    assert big['search'] == dict(nprobe=32, quantizer_efSearch=64)
    assert big['train_size'] == 40 * 4096


# the large-collection form: centroids found through an HNSW graph
IVF_HNSW = dict(
    IVF,
    factory='IVF32_HNSW32,SQ8',
    search=dict(nprobe=8, quantizer_efSearch=64))


@pytest.mark.parametrize('spec', [IVF, IVF_HNSW], ids=['ivf', 'ivf_hnsw'])
def test_ivf_recall_and_exact_scores(sphere, spec):
    matrix = sphere.sample(N, 0)
    queries = sphere.sample(100, 1)
    index = ann.build_index(matrix, spec=spec)
    assert index.ntotal == N
    scores, rows = ann.ann_top_k(index, matrix, queries, 10, spec)
    _, truth = top_k(matrix, queries, 10)
    assert rows.shape == (100, 10)
    assert recall_at_k(rows, truth) >= 0.95
    # the candidates are re-scored exactly, best first
    expected = np.einsum('qke,qe->qk', matrix[rows], queries)
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)
    assert (np.diff(scores, axis=1) <= 0).all()


def test_flat_equals_exact_and_respects_valid_and_exclude(sphere):
    matrix = sphere.sample(500, 0)
    valid = np.ones(500, bool)
    valid[::3] = False
    queries = sphere.sample(20, 1)
    spec = ann.choose_spec(int(valid.sum()), DIM)
    index = ann.build_index(matrix, valid, spec)
    assert index.ntotal == valid.sum()
    scores, rows = ann.ann_top_k(index, matrix, queries, 5, spec)
    ref_s, ref_r = top_k(matrix, queries, 5, valid=valid)
    np.testing.assert_array_equal(rows, ref_r)
    np.testing.assert_allclose(scores, ref_s, rtol=1e-6)
    skip = ref_r[0, :2]
    _, rows = ann.ann_top_k(index, matrix, queries[:1], 5, spec, [skip])
    assert not np.isin(rows, skip).any() and rows.shape == (1, 5)


def test_fingerprint_sees_rows_meta_and_dtype(sphere):
    m = sphere.sample(100, 0)
    valid = np.ones(100, bool)
    base = ann.embeddings_fingerprint(m, valid, dict(settings=1))
    assert base == ann.embeddings_fingerprint(m.copy(), valid,
                                              dict(settings=1))
    changed = m.copy()
    changed[50] = -changed[50]
    assert ann.embeddings_fingerprint(changed, valid, dict(settings=1)) != base
    assert ann.embeddings_fingerprint(m, valid, dict(settings=2)) != base
    assert ann.embeddings_fingerprint(
        m.astype(np.float16), valid, dict(settings=1)) != base


def test_missing_faiss_is_one_line(tmp_path, sphere, monkeypatch):
    feats = make_store(tmp_path / 'feats', sphere.sample(300, 0))
    monkeypatch.setitem(sys.modules, 'faiss', None)  # import faiss fails
    with pytest.raises(ann.AnnIndexError) as err:
        ann_search.search_index(
            VideoIndex(feats), sphere.sample(1, 1), 3, 'faiss')
    msg = str(err.value)
    assert '\n' not in msg
    assert 'pip install "vifi_mmaction[search]"' in msg
    assert 'faiss-cpu==1.15.1' in msg
    assert not osp.exists(ann_search.index_paths(feats)[0])
    # exact search does not need faiss
    assert ann_search.search_index(
        VideoIndex(feats), sphere.sample(1, 1), 3, 'exact')
