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

The indexes stored beside a store, and search through them, are
:mod:`.ann_search`.
"""
import hashlib
import json
from typing import Optional, Sequence, Tuple

import numpy as np

from ...dependencies import FAISS_REQUIRES, require_module
from ...errors import InputError, ViFiUserError

__all__ = [
    'AnnIndexError', 'import_faiss', 'choose_spec', 'build_index', 'ann_top_k',
    'embeddings_fingerprint', 'FLAT_BELOW', 'HNSW_QUANTIZER_FROM'
]

#: Below this many rows the FAISS index is flat (exhaustive).
FLAT_BELOW = 50_000
#: From this many rows the IVF lists' centroids are searched with HNSW.
HNSW_QUANTIZER_FROM = 4_000_000
#: Rows read from the store per chunk when training and adding.
CHUNK = 65536


class AnnIndexError(ViFiUserError, ValueError):
    """A FAISS index that does not fit its store, or FAISS is missing."""


def import_faiss():
    """The ``faiss`` module (``faiss-cpu``, or ``faiss-gpu`` where present).

    Raises:
        AnnIndexError: one line naming the install command if it is missing.
    """
    return require_module(
        'faiss',
        'FAISS search',
        hint=f'pip install "vifi_mmaction[search]" (or "{FAISS_REQUIRES}"; '
        f'faiss-gpu provides the same module)',
        error=AnnIndexError)


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
