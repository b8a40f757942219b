"""Recall and latency of FAISS search against exact search, on synthetic
clustered embeddings (``tools/benchmark_search.py``).

Recall on uniform random vectors says nothing: in 512 dimensions they are
all nearly orthogonal, so every vector is about as near as any other and no
index structure helps. Real embeddings are clustered (videos of one topic
lie close together) and share a common direction (CLIP's embeddings of
unrelated videos still have a cosine near 0.2-0.4). :class:`ClusteredSphere`
draws such vectors:

* ``C`` cluster centres ``c_j = normalise(shared * u + g_j / sqrt(E))``,
  ``u`` one fixed unit vector, ``g_j`` standard normal: centres are
  ``shared^2 / (1 + shared^2)`` apart in cosine (0.2 for ``shared=0.5``);
* cluster sizes from a log-normal (sigma 1): a few topics are large, most
  small, as in a real collection;
* a vector of cluster ``j``: ``normalise(c_j + spread * g / sqrt(E))``, so its
  cosine to its centre is about ``1 / sqrt(1 + spread^2)`` (0.71 for
  ``spread=1``) and to another vector of its cluster about ``0.5``.

Queries are fresh draws of the same mixture (not rows of the collection).
The collection is written as an ``embeddings.npy`` (float32, or float16 to
halve the disk and page cache at 10M), chunk by chunk, each chunk seeded on
its own, so any size is generated in bounded memory and reproducibly.
"""
import json
import os
import os.path as osp
import time
from typing import Optional, Sequence, Tuple

import numpy as np

from ...errors import InputError
from ...visualization.figures import figure, save
from .ann_index import ann_top_k, build_index, choose_spec, import_faiss
from .search import top_k

__all__ = [
    'ClusteredSphere', 'write_collection', 'recall_at_k', 'benchmark',
    'plot_latency'
]

GEN_CHUNK = 65536
#: The queries' stream (collection chunks use 0, 1, 2, ...).
QUERY_STREAM = 2**31


class ClusteredSphere:
    """A mixture of Gaussians on the unit sphere (see the module doc).

    Args:
        dim (int): embedding size E.
        clusters (int): number of clusters C.
        spread (float): within-cluster noise (1: cosine 0.71 to the centre).
        shared (float): weight of the common direction of all centres.
        seed (int): draws the centres and the cluster sizes.
    """

    def __init__(self,
                 dim: int,
                 clusters: int,
                 spread: float = 1.0,
                 shared: float = 0.5,
                 seed: int = 0) -> None:
        if dim < 2 or clusters < 1 or spread <= 0:
            raise ValueError(f'need dim >= 2, clusters >= 1, spread > 0; got '
                             f'{dim}, {clusters}, {spread}')
        self.dim, self.clusters = dim, clusters
        self.spread, self.shared, self.seed = spread, shared, seed
        rng = np.random.default_rng([seed, 0])
        u = rng.standard_normal(dim)
        g = rng.standard_normal((clusters, dim)) / np.sqrt(dim)
        self.centres = _normalise(shared * u / np.linalg.norm(u) + g)
        w = rng.lognormal(0.0, 1.0, clusters)
        self.weights = w / w.sum()

    def params(self) -> dict:
        return dict(
            dim=self.dim,
            clusters=self.clusters,
            spread=self.spread,
            shared=self.shared,
            seed=self.seed)

    def sample(self, n: int, stream: int) -> np.ndarray:
        """``[n, E]`` float32 unit vectors; ``stream`` seeds the draw."""
        rng = np.random.default_rng([self.seed, 1, stream])
        which = rng.choice(self.clusters, n, p=self.weights)
        x = self.centres[which].astype(np.float32)
        x += (self.spread / np.sqrt(self.dim)) * rng.standard_normal(
            (n, self.dim), dtype=np.float32)
        return _normalise(x)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def write_collection(path: str,
                     n: int,
                     sphere: ClusteredSphere,
                     dtype: str = 'float32') -> np.ndarray:
    """Write ``n`` rows of ``sphere`` to the ``.npy`` file ``path``.

    Chunk ``i`` is ``sphere.sample(GEN_CHUNK, i)`` (its first rows for the
    last one), so the file only depends on ``n``, the sphere and the dtype.

    Returns:
        np.memmap: the file, opened read-only, ``[n, E]``.
    """
    out = np.lib.format.open_memmap(
        path + '.tmp', mode='w+', dtype=dtype, shape=(n, sphere.dim))
    for i, lo in enumerate(range(0, n, GEN_CHUNK)):
        hi = min(n, lo + GEN_CHUNK)
        out[lo:hi] = sphere.sample(GEN_CHUNK, i)[:hi - lo]
    out.flush()
    del out
    os.replace(path + '.tmp', path)
    return np.load(path, mmap_mode='r')


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of each ``truth`` row ``[Q, k]`` found in ``found``."""
    hits = [len(np.intersect1d(f, t)) for f, t in zip(found, truth)]
    return float(np.sum(hits) / truth.size)


def _collection(work_dir: str, n: int, sphere: ClusteredSphere,
                dtype: str) -> np.ndarray:
    """The collection in ``work_dir``, generated unless already there."""
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, 'embeddings.npy')
    meta_path = osp.join(work_dir, 'collection.json')
    meta = dict(n=n, dtype=dtype, **sphere.params())
    if osp.isfile(path) and osp.isfile(meta_path):
        with open(meta_path, encoding='utf-8') as f:
            if json.load(f) == meta:
                return np.load(path, mmap_mode='r')
    for name in os.listdir(work_dir):  # ground truths of another collection
        if name.startswith('truth-') and name.endswith('.npz'):
            os.remove(osp.join(work_dir, name))
    matrix = write_collection(path, n, sphere, dtype)
    with open(meta_path, 'w', encoding='utf-8') as f:
        json.dump(meta, f)
    return matrix


def _ground_truth(work_dir: str, matrix: np.ndarray, queries: np.ndarray,
                  k: int) -> Tuple[np.ndarray, float]:
    """Exact top-``k`` rows ``[Q, k]`` of ``queries`` in one streaming pass,
    kept in ``work_dir`` for reruns on the same collection (other indexes
    or parameters); the seconds the pass took."""
    path = osp.join(work_dir, f'truth-{len(queries)}-{k}.npz')
    if osp.isfile(path):
        saved = np.load(path)
        return saved['rows'], float(saved['seconds'])
    t = time.perf_counter()
    _, rows = top_k(matrix, queries, k, chunk=16384)
    seconds = time.perf_counter() - t
    np.savez(path, rows=rows, seconds=seconds)
    return rows, seconds


def benchmark(work_dir: str,
              n: int,
              dim: int,
              queries: int = 1000,
              k: int = 10,
              clusters: Optional[int] = None,
              dtype: str = 'float32',
              spec: Optional[dict] = None,
              exact_queries: int = 20,
              threads: int = 2,
              nprobes: Sequence[int] = (),
              seed: int = 0,
              log=print) -> dict:
    """Measure exact and FAISS search on ``n`` clustered ``dim``-d vectors.

    1. the collection is written to ``work_dir/embeddings.npy`` (kept and
       reused for the same parameters);
    2. the exact top-``k`` of all ``queries`` is computed in one streaming
       pass (:func:`.search.top_k`, 16,384 rows at a time; kept in
       ``work_dir`` with the collection, so that other indexes are measured
       against it without a second pass);
    3. exact search of one query at a time is timed on the first
       ``exact_queries`` queries (it is linear in ``n``: 20 are enough);
    4. the index of :func:`.ann_index.choose_spec` (or ``spec``) is built,
       written to ``work_dir/index.faiss`` (its size per vector is
       reported), and every query searched one at a time.

    Args:
        clusters: C (default ``max(16, round(sqrt(n)))``).
        threads: FAISS's OpenMP threads (set BLAS threads before numpy is
            imported: the tool does).
        nprobes: other ``nprobe`` values to measure the same index with
            (IVF indexes; in ``details['nprobe_sweep']``).
        log: called with progress lines.

    Returns:
        dict: ``n``, ``dim``, ``index`` (the factory string),
        ``recall_at_10``, ``exact_ms_per_query``, ``ann_ms_per_query``
        (means), ``build_s``, ``bytes_per_vector`` (the index file) and
        ``details`` (spec, percentiles, times of each step, store dtype).
    """
    faiss = import_faiss()
    faiss.omp_set_num_threads(threads)
    clusters = clusters or max(16, int(round(np.sqrt(n))))
    sphere = ClusteredSphere(dim, clusters, seed=seed)
    t = time.perf_counter()
    matrix = _collection(work_dir, n, sphere, dtype)
    gen_s = time.perf_counter() - t
    log(f'collection: {n} x {dim} {dtype}, {clusters} clusters '
        f'({gen_s:.1f} s)')
    q = sphere.sample(queries, QUERY_STREAM)
    truth, truth_s = _ground_truth(work_dir, matrix, q, k)
    log(f'exact ground truth of {queries} queries: {truth_s:.1f} s')
    exact_ms = []
    for i in range(min(exact_queries, queries)):
        t = time.perf_counter()
        top_k(matrix, q[i:i + 1], k)
        exact_ms.append(1e3 * (time.perf_counter() - t))
    log(f'exact, one query: {np.mean(exact_ms):.2f} ms (mean of '
        f'{len(exact_ms)})')
    spec = spec or choose_spec(n, dim)
    if nprobes and not spec['factory'].startswith('IVF'):
        raise InputError(f'an nprobe sweep needs an IVF index, not '
                         f'{spec["factory"]}')
    t = time.perf_counter()
    index = build_index(matrix, None, spec, seed=seed)
    build_s = time.perf_counter() - t
    index_path = osp.join(work_dir, 'index.faiss')
    faiss.write_index(index, index_path)
    log(f'built {spec["factory"]} in {build_s:.1f} s')
    recall, ann_ms = _time_queries(index, matrix, q, k, spec, truth)
    log(f'FAISS: recall@{k} {recall:.4f}, {np.mean(ann_ms):.2f} ms/query')
    sweep = []
    for nprobe in nprobes:
        other = dict(spec, search=dict(spec['search'], nprobe=nprobe))
        r, ms = _time_queries(index, matrix, q, k, other, truth)
        sweep.append(
            dict(
                nprobe=nprobe,
                recall_at_10=round(r, 4),
                ann_ms_per_query=round(float(np.mean(ms)), 3),
                ann_ms_p50=round(float(np.percentile(ms, 50)), 3)))
        log(f'  nprobe {nprobe}: recall@{k} {r:.4f}, {np.mean(ms):.2f} ms')
    return dict(
        n=n,
        dim=dim,
        index=spec['factory'],
        recall_at_10=round(recall, 4),
        exact_ms_per_query=round(float(np.mean(exact_ms)), 3),
        ann_ms_per_query=round(float(np.mean(ann_ms)), 3),
        build_s=round(build_s, 2),
        bytes_per_vector=round(osp.getsize(index_path) / n, 1),
        details=dict(
            spec=spec,
            k=k,
            queries=queries,
            exact_queries_timed=len(exact_ms),
            ann_ms_p50=round(float(np.percentile(ann_ms, 50)), 3),
            ann_ms_p99=round(float(np.percentile(ann_ms, 99)), 3),
            exact_ms_p50=round(float(np.percentile(exact_ms, 50)), 3),
            ground_truth_s=round(truth_s, 2),
            generate_s=round(gen_s, 2),
            store_dtype=dtype,
            store_bytes_per_vector=int(np.dtype(dtype).itemsize * dim),
            clusters=clusters,
            threads=threads,
            nprobe_sweep=sweep,
            faiss_version=faiss.__version__))


def _time_queries(index, matrix: np.ndarray, queries: np.ndarray, k: int,
                  spec: dict, truth: np.ndarray) -> Tuple[float, list]:
    """Recall@k and the milliseconds of each query, one at a time."""
    ms, found = [], []
    for query in queries:
        t = time.perf_counter()
        _, rows = ann_top_k(index, matrix, query[None], k, spec)
        ms.append(1e3 * (time.perf_counter() - t))
        found.append(rows[0])
    return recall_at_k(np.stack(found), truth), ms


def plot_latency(results: Sequence[dict], out: str) -> None:
    """Query latency against collection size, exact (mean) and FAISS (mean
    and median), log-log, each FAISS point labelled with its recall@10.

    Args:
        results: :func:`benchmark` results (any order).
        out: the PNG to write.
    """
    results = sorted(results, key=lambda r: r['n'])
    n = [r['n'] for r in results]
    fig = figure((6.4, 4.2), 120, layout='constrained')
    ax = fig.add_subplot()
    ax.plot(
        n, [r['exact_ms_per_query'] for r in results],
        'o-',
        label='exact (memory-mapped, chunked)')
    ax.plot(
        n, [r['ann_ms_per_query'] for r in results],
        's-',
        label='FAISS + exact re-scoring (mean)')
    ax.plot(
        n, [r['details']['ann_ms_p50'] for r in results],
        's:',
        color='C1',
        alpha=0.6,
        label='FAISS + exact re-scoring (median)')
    for r in results:
        ax.annotate(
            f'{r["index"]}\nrecall@10 {r["recall_at_10"]:.4f}',
            (r['n'], r['ann_ms_per_query']),
            textcoords='offset points',
            xytext=(4, -18),
            fontsize=6)
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('vectors in the collection')
    ax.set_ylabel('ms per query (one at a time, 2 threads)')
    dims = sorted({r['dim'] for r in results})
    ax.set_title(f'Search latency, {"/".join(map(str, dims))}-d '
                 f'clustered embeddings')
    ax.grid(True, which='both', alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out)
