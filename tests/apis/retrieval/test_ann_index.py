"""FAISS search over a feature store: the index chosen by size, recall and
exact scores against the exact search, the index stored beside the
embeddings with its fingerprint (a changed store is refused in one line or
rebuilt), 'auto', and a missing faiss reported in one line."""
import csv
import json
import os.path as osp
import sys

import numpy as np
import pytest

from vifi_mmaction.apis.retrieval import VideoIndex
from vifi_mmaction.apis.retrieval import ann_index as ann
from vifi_mmaction.apis.retrieval import top_k
from vifi_mmaction.apis.retrieval.search_benchmark import (ClusteredSphere,
                                                           recall_at_k)

N, DIM = 4000, 32
IVF = dict(
    factory='IVF32,SQ8',
    search=dict(nprobe=8),
    rerank=4,
    train_size=2048,
    niter=10)


@pytest.fixture(scope='module')
def sphere():
    return ClusteredSphere(DIM, clusters=40, seed=3)


def make_store(root, matrix, written=None):
    """An extraction directory as tools/extract_features.py writes it."""
    root.mkdir(parents=True, exist_ok=True)
    np.save(root / 'embeddings.npy', matrix.astype(np.float32))
    written = np.ones(len(matrix), np.uint8) if written is None else written
    np.save(root / 'written.npy', written.astype(np.uint8))
    with open(root / 'index.csv', 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(['row', 'video', 'label', 'class', 'status', 'error'])
        for i in range(len(matrix)):
            w.writerow([i, f'v/{i:05d}.mp4', 0, 'a', 'ok', ''])
    (root / 'meta.json').write_text(
        json.dumps(dict(items_sha1='x', settings=dict(ckpt='a.pth'))))
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


def test_stored_index_reused_and_hits_match_exact(tmp_path, sphere):
    feats = make_store(tmp_path / 'feats', sphere.sample(300, 0))
    store = VideoIndex(feats)
    queries = sphere.sample(3, 1)
    hits = ann.search_index(store, queries, 4, index='faiss')
    assert same_hits(hits, store.search(queries,
                                        4))  # flat at this size: exact
    path, json_path = ann.index_paths(feats)
    params = json.loads(open(json_path).read())
    assert params['spec']['factory'] == 'IDMap,Flat'
    assert params['num_vectors'] == 300 and params['dim'] == DIM
    assert params['bytes'] == osp.getsize(path)
    assert params['faiss_version']
    stamp = osp.getmtime(path)
    again = ann.open_index(VideoIndex(feats))
    assert osp.getmtime(path) == stamp  # read, not rebuilt
    assert again.params == params
    like = store.videos[5]
    hits = ann.search_index(store, queries[:1], 3, 'faiss', exclude=[like])
    assert same_hits(hits, store.search(queries[:1], 3, exclude=[like]))
    assert ann.index_paths(
        feats, moments=True)[0].endswith('moment_ann_index.faiss')


def test_changed_store_refused_in_one_line_or_rebuilt(tmp_path, sphere):
    matrix = sphere.sample(300, 0)
    written = np.ones(300, np.uint8)
    written[-10:] = 0  # not extracted yet
    feats = make_store(tmp_path / 'feats', matrix, written)
    ann.open_index(VideoIndex(feats))
    path, json_path = ann.index_paths(feats)
    before = {
        n: open(osp.join(feats, n), 'rb').read()
        for n in ('ann_index.faiss', 'ann_index.json', 'embeddings.npy')
    }
    # a later run extracts the remaining rows
    np.save(osp.join(feats, 'written.npy'), np.ones(300, np.uint8))
    with pytest.raises(ann.AnnIndexError) as err:
        ann.open_index(VideoIndex(feats))
    msg = str(err.value)
    assert '\n' not in msg and path in msg and 'other embeddings' in msg
    assert 'rebuild it (rebuild=True) or delete it' in msg
    with pytest.raises(ann.AnnIndexError, match=r'\(--rebuild-index\)'):
        ann.search_index(
            VideoIndex(feats), matrix[:1], 3, 'faiss', hint='--rebuild-index')
    for name, data in before.items():  # nothing lost
        assert open(osp.join(feats, name), 'rb').read() == data
    rebuilt = ann.open_index(VideoIndex(feats), rebuild=True)
    assert rebuilt.index.ntotal == 300
    ann.open_index(VideoIndex(feats))  # now it fits


def test_index_of_other_embeddings_refused(tmp_path, sphere):
    a = make_store(tmp_path / 'a', sphere.sample(300, 0))
    b = make_store(tmp_path / 'b', sphere.sample(300, 7))
    ann.open_index(VideoIndex(a))
    for src, dst in zip(ann.index_paths(a), ann.index_paths(b)):
        with open(src, 'rb') as f, open(dst, 'wb') as g:
            g.write(f.read())
    with pytest.raises(ann.AnnIndexError, match='other embeddings'):
        ann.search_index(VideoIndex(b), sphere.sample(1, 1), 3, 'faiss')


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


def test_auto_threshold(tmp_path, sphere, monkeypatch):
    assert ann.resolve_index('auto', ann.AUTO_EXACT_BELOW - 1) == 'exact'
    assert ann.resolve_index('auto', ann.AUTO_EXACT_BELOW) == 'faiss'
    assert ann.resolve_index('exact', 10**9) == 'exact'
    assert ann.resolve_index('faiss', 1) == 'faiss'
    with pytest.raises(ann.InputError, match='--index must be one of'):
        ann.resolve_index('hnsw', 10)
    feats = make_store(tmp_path / 'feats', sphere.sample(300, 0))
    store = VideoIndex(feats)
    q = sphere.sample(2, 1)
    ann.search_index(store, q, 3, 'auto')
    assert not osp.exists(ann.index_paths(feats)[0])  # exact: no index
    monkeypatch.setattr(ann, 'AUTO_EXACT_BELOW', 300)
    assert same_hits(ann.search_index(store, q, 3, 'auto'), store.search(q, 3))
    assert osp.exists(ann.index_paths(feats)[0])


def test_missing_faiss_is_one_line(tmp_path, sphere, monkeypatch):
    feats = make_store(tmp_path / 'feats', sphere.sample(300, 0))
    monkeypatch.setitem(sys.modules, 'faiss', None)  # import faiss fails
    with pytest.raises(ann.AnnIndexError) as err:
        ann.search_index(VideoIndex(feats), sphere.sample(1, 1), 3, 'faiss')
    msg = str(err.value)
    assert '\n' not in msg
    assert 'pip install "vifi_mmaction[search]"' in msg
    assert 'faiss-cpu==1.15.1' in msg
    assert not osp.exists(ann.index_paths(feats)[0])
    # exact search does not need faiss
    assert ann.search_index(VideoIndex(feats), sphere.sample(1, 1), 3, 'exact')
