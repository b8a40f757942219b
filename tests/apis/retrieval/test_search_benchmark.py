"""The synthetic collection of the search benchmark (clustered, on the
sphere, reproducible chunk by chunk), recall@k, a small benchmark run and
its latency plot."""
import numpy as np
import pytest

from vifi_mmaction.apis.retrieval import search_benchmark as sb
from vifi_mmaction.apis.retrieval import top_k


def test_sphere_is_clustered_as_documented():
    sphere = sb.ClusteredSphere(256, clusters=20, spread=1.0, shared=0.5)
    x = sphere.sample(4000, 0)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1, atol=1e-5)
    nearest = (x @ sphere.centres.T).max(axis=1)
    # cosine to the own centre ~ 1 / sqrt(1 + spread^2)
    assert abs(nearest.mean() - 1 / np.sqrt(2)) < 0.03
    # unrelated centres share the common direction: cosine ~ 0.2
    c = sphere.centres @ sphere.centres.T
    off = c[~np.eye(20, dtype=bool)]
    assert 0.1 < off.mean() < 0.3
    # uneven cluster sizes (log-normal)
    assert sphere.weights.max() > 3 * sphere.weights.min()


def test_samples_reproducible_per_stream():
    a = sb.ClusteredSphere(16, 5, seed=1)
    b = sb.ClusteredSphere(16, 5, seed=1)
    np.testing.assert_array_equal(a.sample(10, 4), b.sample(10, 4))
    assert not np.allclose(a.sample(10, 4), a.sample(10, 5))
    with pytest.raises(ValueError, match='spread'):
        sb.ClusteredSphere(16, 5, spread=0)


def test_write_collection_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(sb, 'GEN_CHUNK', 64)
    sphere = sb.ClusteredSphere(8, 4)
    m = sb.write_collection(str(tmp_path / 'e.npy'), 150, sphere, 'float16')
    assert m.shape == (150, 8) and m.dtype == np.float16
    # chunk i is stream i: the file does not depend on when it is written
    np.testing.assert_array_equal(m[64:128],
                                  sphere.sample(64, 1).astype(np.float16))
    np.testing.assert_array_equal(m[128:],
                                  sphere.sample(64, 2)[:22].astype(np.float16))
    assert not (tmp_path / 'e.npy.tmp').exists()


def test_recall_at_k():
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    assert sb.recall_at_k(truth, truth) == 1.0
    assert sb.recall_at_k(np.array([[4, 3, 9, 9], [0, 0, 0, 0]]),
                          truth) == 2 / 8


def test_small_benchmark_and_plot(tmp_path):
    spec = dict(
        factory='IVF16,SQ8',
        search=dict(nprobe=4),
        rerank=4,
        train_size=1024,
        niter=10)
    runs = []
    for n in (1000, 3000):
        r = sb.benchmark(
            str(tmp_path / str(n)),
            n,
            32,
            queries=50,
            spec=spec,
            exact_queries=5,
            nprobes=(1, 16),
            log=lambda line: None)
        assert {
            'n', 'dim', 'index', 'recall_at_10', 'exact_ms_per_query',
            'ann_ms_per_query', 'build_s', 'bytes_per_vector'
        } <= set(r)
        assert r['n'] == n and r['index'] == 'IVF16,SQ8'
        assert r['recall_at_10'] >= 0.9
        # SQ8: a byte per dimension, plus ids and list overhead
        assert 32 < r['bytes_per_vector'] < 32 + 24
        assert r['details']['exact_queries_timed'] == 5
        sweep = r['details']['nprobe_sweep']
        assert [s['nprobe'] for s in sweep] == [1, 16]
        # every list scanned: the exact top-10 (re-scored exactly)
        assert sweep[1]['recall_at_10'] == 1.0
        assert sweep[0]['recall_at_10'] < sweep[1]['recall_at_10']
        runs.append(r)
    # the collection is reused for the same parameters
    emb = tmp_path / '1000' / 'embeddings.npy'
    stamp = emb.stat().st_mtime_ns
    sb.benchmark(
        str(tmp_path / '1000'),
        1000,
        32,
        queries=5,
        spec=spec,
        exact_queries=1,
        log=lambda line: None)
    assert emb.stat().st_mtime_ns == stamp
    assert (tmp_path / '1000' / 'truth-5-10.npz').is_file()
    # another collection in the same folder: its own ground truth
    sb.benchmark(
        str(tmp_path / '1000'),
        900,
        32,
        queries=5,
        spec=spec,
        exact_queries=1,
        log=lambda line: None)
    truth = np.load(tmp_path / '1000' / 'truth-5-10.npz')['rows']
    sphere = sb.ClusteredSphere(32, 30)  # the default: round(sqrt(900))
    matrix = np.load(tmp_path / '1000' / 'embeddings.npy')
    assert len(matrix) == 900
    _, expected = top_k(matrix, sphere.sample(5, sb.QUERY_STREAM), 10)
    np.testing.assert_array_equal(truth, expected)
    out = tmp_path / 'latency.png'
    sb.plot_latency(runs, str(out))
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
