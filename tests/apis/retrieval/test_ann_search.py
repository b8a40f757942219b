"""vifi_mmaction.apis.retrieval.ann_search: an index stored beside the
store is reused, refused or rebuilt when the store changed, and its hits
equal the exact search's; ``auto`` stays exact below its threshold."""
import json
import os.path as osp

import numpy as np
import pytest

from vifi_mmaction.apis.retrieval import VideoIndex
from vifi_mmaction.apis.retrieval import ann_index as ann
from vifi_mmaction.apis.retrieval import ann_search
from vifi_mmaction.errors import InputError
from .test_ann_index import DIM, make_store, same_hits


def test_stored_index_reused_and_hits_match_exact(tmp_path, sphere):
    feats = make_store(tmp_path / 'feats', sphere.sample(300, 0))
    store = VideoIndex(feats)
    queries = sphere.sample(3, 1)
    hits = ann_search.search_index(store, queries, 4, index='faiss')
    assert same_hits(hits, store.search(queries,
                                        4))  # flat at this size: exact
    path, json_path = ann_search.index_paths(feats)
    params = json.loads(open(json_path).read())
    assert params['spec']['factory'] == 'IDMap,Flat'
    assert params['num_vectors'] == 300 and params['dim'] == DIM
    assert params['bytes'] == osp.getsize(path)
    assert params['faiss_version']
    stamp = osp.getmtime(path)
    again = ann_search.open_index(VideoIndex(feats))
    assert osp.getmtime(path) == stamp  # read, not rebuilt
    assert again.params == params
    like = store.videos[5]
    hits = ann_search.search_index(
        store, queries[:1], 3, 'faiss', exclude=[like])
    assert same_hits(hits, store.search(queries[:1], 3, exclude=[like]))
    assert ann_search.index_paths(
        feats, moments=True)[0].endswith('moment_ann_index.faiss')


def test_changed_store_refused_in_one_line_or_rebuilt(tmp_path, sphere):
    matrix = sphere.sample(300, 0)
    written = np.ones(300, np.uint8)
    written[-10:] = 0  # not extracted yet
    feats = make_store(tmp_path / 'feats', matrix, written)
    ann_search.open_index(VideoIndex(feats))
    path, json_path = ann_search.index_paths(feats)
    before = {
        n: open(osp.join(feats, n), 'rb').read()
        for n in ('ann_index.faiss', 'ann_index.json', 'embeddings.npy')
    }
    # a later run extracts the remaining rows
    np.save(osp.join(feats, 'written.npy'), np.ones(300, np.uint8))
    with pytest.raises(ann.AnnIndexError) as err:
        ann_search.open_index(VideoIndex(feats))
    msg = str(err.value)
    assert '\n' not in msg and path in msg and 'other embeddings' in msg
    assert 'rebuild it (rebuild=True) or delete it' in msg
    with pytest.raises(ann.AnnIndexError, match=r'\(--rebuild-index\)'):
        ann_search.search_index(
            VideoIndex(feats), matrix[:1], 3, 'faiss', hint='--rebuild-index')
    for name, data in before.items():  # nothing lost
        assert open(osp.join(feats, name), 'rb').read() == data
    rebuilt = ann_search.open_index(VideoIndex(feats), rebuild=True)
    assert rebuilt.index.ntotal == 300
    ann_search.open_index(VideoIndex(feats))  # now it fits


def test_index_of_other_embeddings_refused(tmp_path, sphere):
    a = make_store(tmp_path / 'a', sphere.sample(300, 0))
    b = make_store(tmp_path / 'b', sphere.sample(300, 7))
    ann_search.open_index(VideoIndex(a))
    for src, dst in zip(ann_search.index_paths(a), ann_search.index_paths(b)):
        with open(src, 'rb') as f, open(dst, 'wb') as g:
            g.write(f.read())
    with pytest.raises(ann.AnnIndexError, match='other embeddings'):
        ann_search.search_index(VideoIndex(b), sphere.sample(1, 1), 3, 'faiss')


def test_auto_threshold(tmp_path, sphere, monkeypatch):
    assert ann_search.resolve_index('auto',
                                    ann_search.AUTO_EXACT_BELOW - 1) == 'exact'
    assert ann_search.resolve_index('auto',
                                    ann_search.AUTO_EXACT_BELOW) == 'faiss'
    assert ann_search.resolve_index('exact', 10**9) == 'exact'
    assert ann_search.resolve_index('faiss', 1) == 'faiss'
    with pytest.raises(InputError, match='--index must be one of'):
        ann_search.resolve_index('hnsw', 10)
    feats = make_store(tmp_path / 'feats', sphere.sample(300, 0))
    store = VideoIndex(feats)
    q = sphere.sample(2, 1)
    ann_search.search_index(store, q, 3, 'auto')
    assert not osp.exists(ann_search.index_paths(feats)[0])  # exact: no index
    monkeypatch.setattr(ann_search, 'AUTO_EXACT_BELOW', 300)
    assert same_hits(
        ann_search.search_index(store, q, 3, 'auto'), store.search(q, 3))
    assert osp.exists(ann_search.index_paths(feats)[0])
