"""FAISS indexes stored beside a feature store, and search through them.

On disk, beside the embeddings: ``ann_index.faiss`` (``moment_ann_index.faiss``
for moments) and ``ann_index.json`` with the spec, the build time, the FAISS
version and the fingerprint of the embeddings it was built on
(:func:`~.ann_index.embeddings_fingerprint`). Opening an index whose
fingerprint differs from the store's (another extraction, rows added or
re-extracted) rebuilds it when asked to, or refuses in one line.

``search_index(..., index='auto')`` stays exact below
:data:`AUTO_EXACT_BELOW` rows, where exact search costs tens of
milliseconds and misses nothing.
"""
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...errors import InputError
from .ann_index import (AnnIndexError, ann_top_k, build_index, choose_spec,
                        embeddings_fingerprint, import_faiss)
from .search import VideoIndex

__all__ = [
    'index_paths', 'StoredIndex', 'open_index', 'resolve_index',
    'search_index', 'AUTO_EXACT_BELOW', 'INDEX_CHOICES'
]

#: ``index='auto'`` searches exactly below this many rows: exact search of
#: 100k 512-d rows took 46-101 ms a query on the shared 2-core CPU and
#: misses nothing, and an index there takes 17-23 s to build
#: (docs/benchmarks.md).
AUTO_EXACT_BELOW = 100_000
INDEX_CHOICES = ('exact', 'faiss', 'auto')
INDEX_VERSION = 1


def index_paths(feat_dir: str, moments: bool = False) -> Tuple[str, str]:
    """``(index file, parameters json)`` of a store's FAISS index."""
    stem = 'moment_ann_index' if moments else 'ann_index'
    return (osp.join(feat_dir,
                     f'{stem}.faiss'), osp.join(feat_dir, f'{stem}.json'))


class StoredIndex:
    """A FAISS index read from (or just written to) beside a store.

    Attributes:
        index (faiss.Index): ids are the store's rows.
        params (dict): ``spec``, ``fingerprint``, ``num_vectors``, ``dim``,
            ``build_s``, ``bytes``, ``faiss_version``.
        store (VideoIndex): the store it searches.
    """

    def __init__(self, index, params: dict, store: VideoIndex) -> None:
        self.index, self.params, self.store = index, params, store

    def top_k(
        self,
        queries: np.ndarray,
        k: int,
        exclude: Sequence[Optional[np.ndarray]] = ()
    ) -> Tuple[np.ndarray, np.ndarray]:
        """:func:`ann_top_k` over the store's embeddings."""
        return ann_top_k(self.index, self.store.embeddings, queries, k,
                         self.params['spec'], exclude)


def _store_fingerprint(store: VideoIndex) -> str:
    return embeddings_fingerprint(store.embeddings, store.valid, store.meta)


def _build(store: VideoIndex, spec: Optional[dict]) -> StoredIndex:
    faiss = import_faiss()
    path, json_path = index_paths(store.feat_dir, store.moments)
    spec = spec or choose_spec(len(store), store.embeddings.shape[1])
    start = time.perf_counter()
    index = build_index(store.embeddings, store.valid, spec)
    build_s = time.perf_counter() - start
    faiss.write_index(index, path + '.tmp')
    params = dict(
        version=INDEX_VERSION,
        spec=spec,
        fingerprint=_store_fingerprint(store),
        num_vectors=int(index.ntotal),
        dim=int(index.d),
        build_s=round(build_s, 3),
        bytes=osp.getsize(path + '.tmp'),
        faiss_version=faiss.__version__)
    with open(json_path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(params, f, indent=1)
    # the index first: a json beside an index always describes it
    os.replace(path + '.tmp', path)
    os.replace(json_path + '.tmp', json_path)
    return StoredIndex(index, params, store)


def open_index(store: VideoIndex,
               rebuild: bool = False,
               spec: Optional[dict] = None,
               hint: str = 'rebuild=True') -> StoredIndex:
    """The store's FAISS index: read, built on first use, or rebuilt.

    Args:
        store: the embeddings (videos or moments).
        rebuild: rebuild an index built on other embeddings (or with
            another ``spec``) instead of refusing it.
        spec: the index to build (default :func:`choose_spec`); an existing
            index with another spec is refused unless ``rebuild``.
        hint: how the caller asks for a rebuild, named in the error (a
            tool passes its option, e.g. ``--rebuild-index``).

    Raises:
        AnnIndexError: one line, if the index on disk was built on other
            embeddings (the store changed) and ``rebuild`` is False, or
            FAISS is missing.
    """
    faiss = import_faiss()
    path, json_path = index_paths(store.feat_dir, store.moments)
    if not (osp.isfile(path) and osp.isfile(json_path)):
        return _build(store, spec)
    with open(json_path, encoding='utf-8') as f:
        params = json.load(f)
    problem = None
    if params.get('fingerprint') != _store_fingerprint(store):
        problem = (f'was built on other embeddings than '
                   f'{osp.basename(store.embeddings.filename)} holds now '
                   f'(fingerprint {str(params.get("fingerprint"))[:12]}, '
                   f'the store changed since)')
    elif spec is not None and params.get('spec') != spec:
        problem = f'has spec {params.get("spec")}, not {spec}'
    if problem is None:
        return StoredIndex(faiss.read_index(path), params, store)
    if rebuild:
        return _build(store, spec)
    raise AnnIndexError(f'{path} {problem}; rebuild it ({hint}) or delete '
                        f'it')


def resolve_index(choice: str, n: int) -> str:
    """``'exact'`` or ``'faiss'`` for ``choice`` over ``n`` rows.

    ``'auto'`` is exact below :data:`AUTO_EXACT_BELOW` rows, FAISS from
    there on.

    Raises:
        InputError: an unknown choice.
    """
    if choice not in INDEX_CHOICES:
        raise InputError(f'--index must be one of {", ".join(INDEX_CHOICES)}'
                         f', got {choice!r}')
    if choice == 'auto':
        return 'exact' if n < AUTO_EXACT_BELOW else 'faiss'
    return choice


def search_index(store: VideoIndex,
                 queries: np.ndarray,
                 k: int = 10,
                 index: str = 'auto',
                 exclude: Sequence[Optional[str]] = (),
                 rebuild: bool = False,
                 hint: str = 'rebuild=True',
                 chunk: int = 65536) -> List[List[dict]]:
    """:meth:`VideoIndex.search` through the index chosen by ``index``.

    Args:
        store: the embeddings (videos or moments).
        queries: ``[Q, E]`` normalised query embeddings.
        k: hits per query.
        index: ``'exact'``, ``'faiss'`` or ``'auto'`` (:func:`resolve_index`).
        exclude: per query, a video whose rows are left out, or None.
        rebuild: rebuild a FAISS index the store no longer matches.
        hint: see :func:`open_index`.
        chunk: embeddings per matrix product of the exact search.

    Returns:
        list[list[dict]]: as :meth:`VideoIndex.search`.
    """
    if k < 1:
        raise InputError(f'--topk must be at least 1, got {k}')
    if resolve_index(index, len(store)) == 'exact':
        return store.search(queries, k, exclude, chunk)
    stored = open_index(store, rebuild, hint=hint)
    paths = np.asarray(store.videos, dtype=object)
    skip_rows: Dict[int, np.ndarray] = {}
    for q, video in enumerate(exclude):
        if video is not None:
            skip_rows[q] = np.flatnonzero(paths == video)
    skips = [skip_rows.get(q) for q in range(len(np.atleast_2d(queries)))]
    return store.hits(*stored.top_k(queries, k, skips))
