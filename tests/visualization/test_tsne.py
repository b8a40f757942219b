"""t-SNE maps (scikit-learn) keep clusters apart, repeat for a seed and
refuse what they cannot map; the stratified subsample keeps every class."""
import sys

import numpy as np
import pytest

from vifi_mmaction.errors import InputError
from vifi_mmaction.visualization.tsne import (SKLEARN_REQUIRES,
                                              stratified_subsample, tsne)


def blobs(n_per=10, dims=32, spread=0.05, seed=0):
    """Three tight clusters of unit vectors ``[3 * n_per, dims]`` and their
    ids."""
    rng = np.random.RandomState(seed)
    centres = np.eye(dims)[:3] * 3
    x = np.concatenate([c + spread * rng.randn(n_per, dims) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.repeat(np.arange(3), n_per)


def test_tsne_keeps_clusters_apart():
    x, y = blobs()
    pts = tsne(x, perplexity=5, n_iter=1000, seed=0)
    assert pts.shape == (30, 2) and pts.dtype == np.float64
    d = ((pts[:, None] - pts[None])**2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nearest = d.argsort(axis=1)[:, :3]
    assert (y[nearest] == y[:, None]).mean() == 1.0  # 3-NN all same class
    np.testing.assert_allclose(pts, tsne(x, perplexity=5, n_iter=1000,
                                         seed=0))  # deterministic


def test_tsne_small_inputs_and_bad_shapes():
    x, _ = blobs(n_per=1)
    # 3 points: the perplexity is clipped to what they allow
    assert tsne(x, perplexity=30, n_iter=1).shape == (3, 2)
    assert tsne(blobs()[0], dims=3, n_iter=250).shape == (30, 3)
    with pytest.raises(InputError, match='at least 3 points'):
        tsne(x[:2])
    with pytest.raises(InputError, match='1 to 3 dimensions'):
        tsne(blobs()[0], dims=4)


def test_tsne_without_scikit_learn_names_the_install(monkeypatch):
    # None in sys.modules: the import fails as if it were not installed
    monkeypatch.setitem(sys.modules, 'sklearn.manifold', None)
    with pytest.raises(InputError, match=f'pip install "{SKLEARN_REQUIRES}"'):
        tsne(blobs()[0])


def test_stratified_subsample():
    labels = ['a'] * 50 + ['b'] * 5
    keep = stratified_subsample(labels, 20)
    picked = [labels[i] for i in keep]
    assert len(keep) == 15 and picked.count('b') == 5  # 10 + all 5
    assert list(stratified_subsample(labels, 100)) == list(range(55))
