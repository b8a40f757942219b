"""t-SNE maps of embeddings (scikit-learn) and the subsample they draw.

:func:`tsne` is scikit-learn's :class:`sklearn.manifold.TSNE` (Barnes-Hut,
``O(N log N)``) after a PCA to 50 dimensions, with the settings of the
plots: perplexity clipped to what ``N`` points allow, PCA initialisation,
the "auto" learning rate, a fixed seed. scikit-learn is imported when a map
is drawn, so the rest of the package does not need it. Small maps run on
one OpenMP thread: on a busy machine, threads that wait for each other at
every step made a 30-point map take 36 s instead of 0.8 s (measured on 2
shared cores).
:func:`stratified_subsample` keeps a scatter plot readable (and the run
short) by taking about as many points of every class.
"""
import importlib
from typing import Optional, Sequence

import numpy as np

from ..errors import InputError

__all__ = ['SKLEARN_REQUIRES', 'tsne', 'stratified_subsample']

#: The version the maps were tested with (requirements.txt pins it).
SKLEARN_REQUIRES = 'scikit-learn==1.9.1'
# scikit-learn runs at least this many iterations (its early exaggeration)
_MIN_ITER = 250
# up to this many points a map runs on one thread (see the module docstring)
_ONE_THREAD_POINTS = 1000


def _pca(x: np.ndarray, dims: int) -> np.ndarray:
    x = x - x.mean(axis=0, keepdims=True)
    if x.shape[1] <= dims:
        return x
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, :dims] * s[:dims]


def _sklearn():
    """scikit-learn's ``TSNE`` class and threadpoolctl's ``threadpool_limits``
    (installed with it), or one line naming the install."""
    try:
        tsne_class = importlib.import_module('sklearn.manifold').TSNE
        limits = importlib.import_module('threadpoolctl').threadpool_limits
    except ImportError:
        raise InputError(f't-SNE needs scikit-learn; pip install '
                         f'"{SKLEARN_REQUIRES}"') from None
    return tsne_class, limits


def tsne(x: np.ndarray,
         dims: int = 2,
         perplexity: float = 30.0,
         n_iter: int = 1000,
         seed: int = 0,
         pca_dims: Optional[int] = 50,
         threads: Optional[int] = None) -> np.ndarray:
    """Embed ``x`` ``[N, D]`` into ``[N, dims]`` with t-SNE.

    Args:
        x: the points (e.g. L2-normalised video embeddings).
        dims: output dimensions (at most 3: Barnes-Hut).
        perplexity: effective neighbours; clipped to ``(N - 1) / 3``.
        n_iter: gradient steps (at least 250 are run).
        seed: seed of the optimisation (same input and seed, same map).
        pca_dims: reduce to this many principal components first (None:
            keep all).
        threads: OpenMP threads of the optimisation (None: one up to 1,000
            points, else OpenMP's default, all cores).

    Returns:
        np.ndarray: ``[N, dims]`` float64 coordinates.

    Raises:
        InputError: for fewer than 3 points, or without scikit-learn.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 3:
        raise InputError(f't-SNE needs at least 3 points [N, D], got shape '
                         f'{x.shape}')
    if not 1 <= dims <= 3:
        raise InputError(f't-SNE maps to 1 to 3 dimensions, got {dims}')
    n = x.shape[0]
    if pca_dims:
        x = _pca(x, pca_dims)
    # scikit-learn asks for perplexity < N; 3 * perplexity neighbours
    # make its sparse affinities, so keep that many points available
    perplexity = float(min(perplexity, max((n - 1) / 3.0, 1.0)))
    tsne_class, threadpool_limits = _sklearn()
    model = tsne_class(
        n_components=dims,
        perplexity=perplexity,
        max_iter=max(int(n_iter), _MIN_ITER),
        init='pca',
        learning_rate='auto',
        random_state=seed)
    if threads is None and n <= _ONE_THREAD_POINTS:
        threads = 1
    with threadpool_limits(limits=threads, user_api='openmp'):
        return model.fit_transform(x).astype(np.float64)


def stratified_subsample(labels: Sequence,
                         max_points: int,
                         seed: int = 0) -> np.ndarray:
    """Indices of at most ``max_points`` items, about equally per label.

    Returns:
        np.ndarray: sorted int64 indices (all of them if few enough).
    """
    labels = np.asarray(list(labels), dtype=object)
    n = len(labels)
    if max_points is None or n <= max_points:
        return np.arange(n)
    rng = np.random.RandomState(seed)
    groups = [np.flatnonzero(labels == u) for u in dict.fromkeys(labels)]
    quota = max(1, max_points // len(groups))
    keep = np.concatenate([rng.permutation(g)[:quota] for g in groups])
    if len(keep) > max_points:
        keep = rng.permutation(keep)[:max_points]
    return np.sort(keep)
