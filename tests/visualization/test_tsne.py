"""vifi_mmaction.visualization.tsne: a deterministic 2-D map that keeps
separated clusters apart, its input check, and the per-class subsample."""
from collections import Counter

import numpy as np
import pytest

from vifi_mmaction.errors import InputError
from vifi_mmaction.visualization import stratified_subsample, tsne


def test_seeded_map_keeps_clusters_apart():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (10, 8)), rng.normal(6, 1, (10, 8))])
    a = tsne(x, pca_dims=None, seed=3)
    assert a.shape == (20, 2)
    assert np.array_equal(a, tsne(x, pca_dims=None, seed=3))
    assert not np.allclose(a, tsne(x, pca_dims=None, seed=4))
    dist = np.linalg.norm(a[:, None] - a[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.argmin(axis=1)  # each point's nearest neighbour
    assert np.array_equal(nearest // 10, np.arange(20) // 10)


def test_too_few_points():
    with pytest.raises(InputError, match='at least 3 points'):
        tsne(np.zeros((2, 4)))


def test_subsample_is_per_class_and_seeded():
    labels = ['a'] * 50 + ['b'] * 5 + ['c'] * 45
    keep = stratified_subsample(labels, 30, seed=1)
    assert len(keep) <= 30 and np.all(np.diff(keep) > 0)
    counts = Counter(labels[i] for i in keep)
    assert counts['b'] == 5 and counts['a'] == 10 and counts['c'] == 10
    assert np.array_equal(keep, stratified_subsample(labels, 30, seed=1))
    assert np.array_equal(stratified_subsample(labels, 200), np.arange(100))
