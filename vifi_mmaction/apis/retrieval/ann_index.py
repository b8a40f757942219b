"""Approximate nearest-neighbour search with FAISS over a feature store.

Exact search (:func:`.search.top_k`) reads every embedding for every query:
238 ms per query at 1M videos on our 2-core CPU (docs/inference.md), linear
in the collection.
Here a FAISS index over the same embeddings picks a few candidates per
query, which are then scored exactly against the store's rows (the
memory-mapped ``embeddings.npy`` or ``moment_embeddings.npy``), so the
scores are the exact cosine similarities and the hits have the structure of
the exact search; only which rows are found can differ (recall).

The index type is chosen by the number of rows (:func:`choose_spec`,
measured in docs/benchmarks.md):

* fewer than :data:`FLAT_BELOW` rows: ``IDMap,Flat`` (exhaustive, exact);
* otherwise ``IVF{nlist},SQ8``: an inverted file of ``nlist`` k-means
  lists (``nlist`` a power of two near ``2 sqrt(N)``: 512 at 100k, 2048 at
  1M), the vectors stored as 8-bit scalars (E bytes per vector);
  ``nprobe`` lists (``max(16, nlist / 64)``) are scanned per query and the
  best ``rerank x k`` candidates (4 x k) re-scored exactly;
* from :data:`HNSW_QUANTIZER_FROM` rows, ``IVF{nlist}_HNSW32,SQ8`` with
  ``nlist`` near ``sqrt(N)`` (4096 at 10M) and ``nprobe`` 32: the lists'
  centroids are found through an HNSW graph instead of compared one by one,
  which keeps adding 10M vectors (and each query's list lookup) cheap.

``search_index(..., index='auto')`` stays exact below
:data:`AUTO_EXACT_BELOW` rows, where exact search costs tens of
milliseconds and misses nothing.

On disk, beside the embeddings: ``ann_index.faiss`` (``moment_ann_index.faiss``
for moments) and ``ann_index.json`` with the spec, the build time, the FAISS
version and the fingerprint of the embeddings it was built on
(:func:`embeddings_fingerprint`). Opening an index whose fingerprint differs
from the store's (another extraction, rows added or re-extracted) rebuilds
it when asked to, or refuses in one line.
"""
import hashlib
import importlib
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...dependencies import FAISS_REQUIRES
from ...errors import InputError, ViFiUserError
from .search import VideoIndex

__all__ = [
    'AnnIndexError', 'import_faiss', 'choose_spec', 'build_index', 'ann_top_k',
    'embeddings_fingerprint', 'index_paths', 'StoredIndex', 'open_index',
    'resolve_index', 'search_index', 'hits_of', 'AUTO_EXACT_BELOW',
    'FLAT_BELOW', 'HNSW_QUANTIZER_FROM', 'INDEX_CHOICES'
]

#: ``index='auto'`` searches exactly below this many rows: exact search of
#: 100k 512-d rows took 46-101 ms a query on the shared 2-core CPU and
#: misses nothing, and an index there takes 17-23 s to build
#: (docs/benchmarks.md).
AUTO_EXACT_BELOW = 100_000
#: Below this many rows the FAISS index is flat (exhaustive).
FLAT_BELOW = 50_000
#: From this many rows the IVF lists' centroids are searched with HNSW.
HNSW_QUANTIZER_FROM = 4_000_000
INDEX_CHOICES = ('exact', 'faiss', 'auto')
INDEX_VERSION = 1
#: Rows read from the store per chunk when training and adding.
CHUNK = 65536


class AnnIndexError(ViFiUserError, ValueError):
    """A FAISS index that does not fit its store, or FAISS is missing."""


def import_faiss():
    """The ``faiss`` module.

    Raises:
        AnnIndexError: one line naming the install command if it is missing.
    """
    try:
        return importlib.import_module('faiss')
    except ModuleNotFoundError as err:
        if err.name != 'faiss':  # faiss itself is broken: not ours to hide
            raise
        raise AnnIndexError(
            f'FAISS search needs faiss, which is not installed: pip install '
            f'"vifi_mmaction[search]" (or "{FAISS_REQUIRES}"; faiss-gpu '
            f'provides the same module)') from None


def _nlist(n: int) -> int:
    """IVF lists: a power of two near ``2 sqrt(n)`` (100k -> 512, 1M ->
    2048), near ``sqrt(n)`` from :data:`HNSW_QUANTIZER_FROM` rows (10M ->
    4096: k-means over more lists would take too long to train on 2
    cores)."""
    scale = 1 if n >= HNSW_QUANTIZER_FROM else 2
    return int(2**round(np.log2(max(scale * np.sqrt(n), 64))))


def choose_spec(n: int, dim: int) -> dict:
    """The index for ``n`` rows of ``dim`` floats (see the module doc).

    Returns:
        dict: ``factory`` (a :func:`faiss.index_factory` string),
        ``search`` (FAISS search parameters, e.g. ``nprobe``), ``rerank``
        (candidates re-scored exactly per hit asked for), ``train_size``
        (rows the index is trained on) and ``niter`` (k-means iterations).
    """
    if n < FLAT_BELOW:
        return dict(
            factory='IDMap,Flat', search={}, rerank=1, train_size=0, niter=0)
    nlist = _nlist(n)
    if n < HNSW_QUANTIZER_FROM:
        factory, search = f'IVF{nlist},SQ8', dict(nprobe=max(16, nlist // 64))
        per_list = 64
    else:
        factory = f'IVF{nlist}_HNSW32,SQ8'
        # 10M: nprobe 16 gave recall@10 0.9496, 32 gave 0.9593
        search = dict(nprobe=32, quantizer_efSearch=64)
        per_list = 40  # FAISS's minimum for k-means without a warning
    return dict(
        factory=factory,
        search=search,
        rerank=4,
        train_size=min(n, per_list * nlist),
        niter=10)


def _rows(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows]`` as float32, ``rows`` gathered in order."""
    order = np.argsort(rows, kind='stable')
    out = np.empty((len(rows), matrix.shape[1]), np.float32)
    out[order] = matrix[rows[order]]
    return out


def build_index(matrix: np.ndarray,
                valid: Optional[np.ndarray] = None,
                spec: Optional[dict] = None,
                seed: int = 0):
    """A FAISS inner-product index over the valid rows of ``matrix``.

    Args:
        matrix: ``[N, E]`` L2-normalised embeddings (float32 or float16, a
            memory map is read :data:`CHUNK` rows at a time).
        valid: ``[N]`` bool, the rows to index (None: all).
        spec: from :func:`choose_spec` (default: chosen for the valid rows).
        seed: draws the training rows.

    Returns:
        faiss.Index: its ids are the rows of ``matrix``.
    """
    faiss = import_faiss()
    n, dim = matrix.shape
    rows = np.arange(n) if valid is None else np.flatnonzero(valid)
    if not len(rows):
        raise InputError('no embeddings to index')
    spec = spec or choose_spec(len(rows), dim)
    index = faiss.index_factory(dim, spec['factory'],
                                faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.niter = spec['niter']
        ivf.cp.seed = seed
        size = min(len(rows), spec['train_size'] or len(rows))
        pick = np.random.default_rng(seed).choice(len(rows), size, False)
        index.train(_rows(matrix, rows[np.sort(pick)]))
    for lo in range(0, len(rows), CHUNK):
        ids = rows[lo:lo + CHUNK]
        index.add_with_ids(_rows(matrix, ids), ids.astype(np.int64))
    return index


def ann_top_k(
    index,
    matrix: np.ndarray,
    queries: np.ndarray,
    k: int,
    spec: dict,
    exclude: Sequence[Optional[np.ndarray]] = ()
) -> Tuple[np.ndarray, np.ndarray]:
    """Top-``k`` rows per query through ``index``, scored exactly.

    The index proposes ``spec['rerank'] * k`` candidates (plus the excluded
    rows, which are dropped); they are scored against ``matrix`` and the
    best ``k`` kept, ties broken by row like :func:`.search.top_k`.

    Args:
        index: from :func:`build_index` over ``matrix``.
        matrix: ``[N, E]`` the embeddings the index was built on.
        queries: ``[Q, E]`` normalised queries.
        k: hits per query.
        spec: the index's spec (search parameters, rerank factor).
        exclude: per query, rows that must not be returned (or None).

    Returns:
        tuple: scores ``[Q, k']`` float32 (best first) and rows ``[Q, k']``
        int64, as :func:`.search.top_k` (``k' <= k`` when fewer rows).
    """
    faiss = import_faiss()
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if queries.shape[1] != matrix.shape[1]:
        raise InputError(f'queries have {queries.shape[1]} dimensions, the '
                         f'embeddings {matrix.shape[1]}')
    skips = [
        np.asarray(
            exclude[q] if q < len(exclude) and exclude[q] is not None else [],
            np.int64) for q in range(len(queries))
    ]
    fetch = min(index.ntotal,
                max(k, spec['rerank'] * k) + max(len(s) for s in skips))
    faiss.ParameterSpace().set_index_parameters(
        index,
        ','.join(f'{key}={value}' for key, value in spec['search'].items()))
    _, cand = index.search(queries, fetch)
    out_s, out_i = [], []
    for q, (query, rows, skip) in enumerate(zip(queries, cand, skips)):
        rows = rows[rows >= 0]
        if len(skip):
            rows = rows[~np.isin(rows, skip)]
        scores = _rows(matrix, rows) @ query
        order = np.lexsort((rows, -scores))[:k]
        out_s.append(scores[order])
        out_i.append(rows[order])
    width = min(len(s) for s in out_s)
    return (np.stack([s[:width] for s in out_s]).astype(np.float32),
            np.stack([r[:width] for r in out_i]).astype(np.int64))


def embeddings_fingerprint(matrix: np.ndarray,
                           valid: np.ndarray,
                           meta: Optional[dict] = None,
                           samples: int = 4096) -> str:
    """A digest that changes when the embeddings an index covers change.

    Hashes the shape and dtype, which rows are valid, ``samples`` rows
    spread evenly over the matrix (plus the last one) and, from the
    extraction's ``meta.json``, the input list and settings. Cheap at any
    size (a few MB read); an edit of rows that are not sampled while the
    rest stays the same is not seen, which an extraction never does
    (re-extracting changes the settings, adding rows the valid flags).

    Args:
        matrix: ``[N, E]`` embeddings.
        valid: ``[N]`` bool.
        meta: the extraction's ``meta.json`` (None: not hashed).
        samples: rows hashed.

    Returns:
        str: hex digest.
    """
    h = hashlib.sha1()
    h.update(f'{tuple(matrix.shape)} {np.dtype(matrix.dtype).str}'.encode())
    h.update(np.packbits(np.asarray(valid, bool)).tobytes())
    n = len(matrix)
    if n:
        rows = np.unique(np.linspace(0, n - 1, min(n, samples)).astype(int))
        h.update(np.ascontiguousarray(matrix[rows]).tobytes())
    if meta is not None:
        keep = {k: meta.get(k) for k in ('items_sha1', 'settings')}
        h.update(json.dumps(keep, sort_keys=True).encode())
    return h.hexdigest()


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


def hits_of(store: VideoIndex, scores: np.ndarray,
            rows: np.ndarray) -> List[List[dict]]:
    """Hits in the format of :meth:`VideoIndex.search`: per query, ``rank``,
    ``score``, ``row``, ``video`` (and ``start``/``end`` for moments)."""
    results = []
    for q_scores, q_rows in zip(scores, rows):
        hits = []
        for rank, (s, r) in enumerate(zip(q_scores, q_rows), 1):
            hit = dict(
                rank=rank, score=float(s), row=int(r), video=store.videos[r])
            if store.times is not None:
                hit.update(
                    start=float(store.times[r, 0]),
                    end=float(store.times[r, 1]))
            hits.append(hit)
        results.append(hits)
    return results


def search_index(store: VideoIndex,
                 queries: np.ndarray,
                 k: int = 10,
                 index: str = 'auto',
                 exclude: Sequence[Optional[str]] = (),
                 rebuild: bool = False,
                 hint: str = 'rebuild=True') -> List[List[dict]]:
    """:meth:`VideoIndex.search` through the index chosen by ``index``.

    Args:
        store: the embeddings (videos or moments).
        queries: ``[Q, E]`` normalised query embeddings.
        k: hits per query.
        index: ``'exact'``, ``'faiss'`` or ``'auto'`` (:func:`resolve_index`).
        exclude: per query, a video whose rows are left out, or None.
        rebuild: rebuild a FAISS index the store no longer matches.
        hint: see :func:`open_index`.

    Returns:
        list[list[dict]]: as :meth:`VideoIndex.search`.
    """
    if k < 1:
        raise InputError(f'--topk must be at least 1, got {k}')
    if resolve_index(index, len(store)) == 'exact':
        return store.search(queries, k, exclude)
    stored = open_index(store, rebuild, hint=hint)
    paths = np.asarray(store.videos, dtype=object)
    skip_rows: Dict[int, np.ndarray] = {}
    for q, video in enumerate(exclude):
        if video is not None:
            skip_rows[q] = np.flatnonzero(paths == video)
    skips = [skip_rows.get(q) for q in range(len(np.atleast_2d(queries)))]
    return hits_of(store, *stored.top_k(queries, k, skips))
