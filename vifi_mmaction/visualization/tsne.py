"""Exact t-SNE (van der Maaten & Hinton, 2008) in NumPy and torch.

No dependency beyond NumPy and torch. Exact gradients cost ``O(N^2)`` memory
and time, which is fine for the few thousand points a readable scatter plot
holds (:func:`stratified_subsample` picks them). The optimisation follows the
reference recipe: perplexity-calibrated Gaussian affinities, symmetrised;
Student-t low-dimensional affinities; early exaggeration 12 for the first
250 iterations with momentum 0.5, then momentum 0.8; adaptive gains.
"""
import contextlib
from typing import Optional, Sequence

import numpy as np
import torch

from ..errors import InputError

__all__ = ['tsne', 'stratified_subsample']


def _pca(x: np.ndarray, dims: int) -> np.ndarray:
    x = x - x.mean(axis=0, keepdims=True)
    if x.shape[1] <= dims:
        return x
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, :dims] * s[:dims]


def _sq_dists(x: np.ndarray) -> np.ndarray:
    sq = (x * x).sum(axis=1)
    d = sq[:, None] + sq[None, :] - 2 * x @ x.T
    np.maximum(d, 0, out=d)
    np.fill_diagonal(d, 0)
    return d


def _affinities(d: np.ndarray,
                perplexity: float,
                tol: float = 1e-5,
                steps: int = 64) -> np.ndarray:
    """Row-wise Gaussian affinities ``[N, N]`` with the given perplexity,
    by bisection on the precision of every row at once."""
    n = d.shape[0]
    target = np.log(perplexity)
    d = d.copy()
    np.fill_diagonal(d, np.inf)  # no self-affinity: exp(-inf) = 0
    beta = np.ones(n)
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    for _ in range(steps):
        logits = -d * beta[:, None]
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        entropy = -(p * np.log(np.maximum(p, 1e-300))).sum(axis=1)
        diff = entropy - target
        if np.all(np.abs(diff) < tol):
            break
        up = diff > 0  # too flat: sharpen (larger beta)
        lo = np.where(up, beta, lo)
        hi = np.where(up, hi, beta)
        beta = np.where(
            np.isinf(hi), beta * 2,
            np.where(np.isinf(lo), beta / 2, (lo + hi) / 2))
    return p


def tsne(x: np.ndarray,
         dims: int = 2,
         perplexity: float = 30.0,
         n_iter: int = 1000,
         seed: int = 0,
         pca_dims: Optional[int] = 50,
         learning_rate: Optional[float] = None) -> np.ndarray:
    """Embed ``x`` ``[N, D]`` into ``[N, dims]`` with exact t-SNE.

    Args:
        x: the points (e.g. L2-normalised video embeddings).
        dims: output dimensions.
        perplexity: effective neighbours; clipped to ``(N - 1) / 3``.
        n_iter: gradient steps (at least 250 are run).
        seed: initialisation seed (the result is deterministic).
        pca_dims: reduce to this many principal components first (None:
            keep all).
        learning_rate: None uses ``max(N / 12 / 4, 50)`` (the "auto" rule).

    Returns:
        np.ndarray: ``[N, dims]`` float64 coordinates.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 3:
        raise InputError(f't-SNE needs at least 3 points [N, D], got shape '
                         f'{x.shape}')
    n = x.shape[0]
    if pca_dims:
        x = _pca(x, pca_dims)
    perplexity = float(min(perplexity, max((n - 1) / 3.0, 1.0)))
    p = _affinities(_sq_dists(x), perplexity)
    p = (p + p.T) / (2.0 * n)
    p = np.maximum(p, 1e-12)
    exaggeration, stop_exaggeration = 12.0, 250
    lr = learning_rate or max(n / exaggeration / 4.0, 50.0)
    rng = np.random.RandomState(seed)
    # affinities above are float64 NumPy; the optimisation is float32 torch
    with _torch_threads(1 if n <= 1000 else None):
        return _optimise(p, n, dims, lr, exaggeration, stop_exaggeration,
                         n_iter, rng)


@contextlib.contextmanager
def _torch_threads(num: Optional[int]):
    """Temporarily limit torch's intra-op threads (small problems run
    faster on one thread, especially on a busy machine)."""
    before = torch.get_num_threads()
    if num is not None:
        torch.set_num_threads(num)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _optimise(p: np.ndarray, n: int, dims: int, lr: float, exaggeration: float,
              stop_exaggeration: int, n_iter: int,
              rng: np.random.RandomState) -> np.ndarray:
    """Gradient descent on the t-SNE objective; returns ``[N, dims]``."""
    p_t = torch.from_numpy(p.astype(np.float32))
    y = torch.from_numpy((rng.randn(n, dims) * 1e-4).astype(np.float32))
    update = torch.zeros_like(y)
    gains = torch.ones_like(y)
    diag = torch.eye(n, dtype=torch.bool)
    for it in range(max(int(n_iter), stop_exaggeration)):
        early = it < stop_exaggeration
        # exact differences: the matmul form cancels badly at the 1e-4
        # scale of the initial points in float32
        dist = torch.cdist(y, y, compute_mode='donot_use_mm_for_euclid_dist')
        num = 1.0 / (1.0 + dist.square_())  # [N, N] Student-t kernel
        num.masked_fill_(diag, 0.0)
        q = (num / num.sum()).clamp_(min=1e-12)
        pq = ((exaggeration if early else 1.0) * p_t - q).mul_(num)
        grad = 4.0 * (pq.sum(dim=1, keepdim=True) * y - pq @ y)
        same = (grad > 0) == (update > 0)
        gains = torch.where(same, gains * 0.8, gains + 0.2).clamp_(min=0.01)
        update = (0.5 if early else 0.8) * update - lr * gains * grad
        y = y + update
        y = y - y.mean(dim=0, keepdim=True)
    return y.double().numpy()


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
