"""Maximum mean discrepancy (MMD) with Gaussian RBF kernels.

Unbiased estimator of MMD² from Gretton et al. (2012), "A Kernel Two-Sample Test", JMLR 13,
eq. (3), with k(a, b) = exp(-||a - b||² / (2 h²)). Kernel sums are accumulated in row chunks,
so N = 10k samples of dimension 1000 never materialise a full N x N matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial.distance import pdist

from scigan.errors import DataError
from scigan.metrics.frechet import _check_pair

__all__ = ["median_heuristic", "mmd2_unbiased"]

# Largest number of kernel entries held in memory at once (~64 MiB of float64).
_MAX_BLOCK_ENTRIES = 8_000_000
# Pooled points used by the median heuristic (pairwise distances grow quadratically).
_MEDIAN_MAX_POINTS = 2000


def median_heuristic(x: np.ndarray, y: np.ndarray) -> float:
    """Median pairwise Euclidean distance of the pooled sample (Gretton et al. 2012, §8).

    If the pooled sample has more than 2000 rows, a fixed-seed random subset of 2000 rows
    is used, so the result is deterministic. A zero median (many duplicates) falls back to
    the median of the non-zero distances, and to 1.0 if all points coincide.

    Args:
        x: Sample of shape (N, D).
        y: Sample of shape (M, D).

    Returns:
        A positive bandwidth h.

    Raises:
        DataError: On bad shapes, mismatched D, or non-finite values.
    """
    a, b = _check_pair(x, y)
    pooled = np.concatenate([a, b], axis=0)  # (N + M, D)
    if len(pooled) < 2:
        raise DataError("median heuristic needs at least 2 pooled samples")
    if len(pooled) > _MEDIAN_MAX_POINTS:
        rng = np.random.default_rng(0)
        pooled = pooled[rng.choice(len(pooled), _MEDIAN_MAX_POINTS, replace=False)]
    dists = pdist(pooled)  # (P (P-1) / 2,) condensed pairwise distances
    median = float(np.median(dists))
    if median > 0.0:
        return median
    nonzero = dists[dists > 0.0]
    return float(np.median(nonzero)) if nonzero.size else 1.0


def _bandwidths(
    bandwidth: float | Sequence[float] | None, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Normalise the ``bandwidth`` argument to a float64 array of positive values."""
    if bandwidth is None:
        return np.array([median_heuristic(x, y)])
    hs = np.atleast_1d(np.asarray(bandwidth, dtype=np.float64))
    if hs.ndim != 1 or hs.size == 0:
        raise DataError("bandwidth must be a positive number or a non-empty sequence of them")
    if not (np.isfinite(hs).all() and (hs > 0).all()):
        raise DataError(f"bandwidths must be positive and finite, got {hs.tolist()}")
    return hs


def _rbf_kernel_sum(a: np.ndarray, b: np.ndarray, gammas: np.ndarray, *, same: bool) -> float:
    """Sum over all pairs of sum_h exp(-gamma_h ||a_i - b_j||²), chunked over rows of ``a``.

    With ``same=True`` (``a is b``) the diagonal i == j is excluded.
    """
    n, m = len(a), len(b)
    sq_a = np.einsum("ij,ij->i", a, a)  # (N,)
    sq_b = np.einsum("ij,ij->i", b, b)  # (M,)
    chunk = max(1, _MAX_BLOCK_ENTRIES // max(m, 1))
    total = 0.0
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        # ||a - b||² = ||a||² + ||b||² - 2 a·b, clipped at 0 against round-off; (c, M)
        d2 = sq_a[start:stop, None] + sq_b[None, :] - 2.0 * (a[start:stop] @ b.T)
        np.maximum(d2, 0.0, out=d2)
        if same:
            rows = np.arange(stop - start)
            d2[rows, start + rows] = 0.0  # exact zeros on the diagonal, removed below
        for gamma in gammas:
            total += float(np.exp(-gamma * d2).sum())
    if same:
        total -= n * len(gammas)  # each diagonal entry contributed exp(0) = 1 per bandwidth
    return total


def mmd2_unbiased(
    x: np.ndarray,
    y: np.ndarray,
    *,
    bandwidth: float | Sequence[float] | None = None,
) -> float:
    """Unbiased MMD² estimate with a (sum of) Gaussian RBF kernel(s).

    Gretton et al. (2012), eq. (3)::

        MMD²_u = 1/(m(m-1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n-1)) Σ_{i≠j} k(y_i, y_j)
                 - 2/(mn) Σ_{i,j} k(x_i, y_j)

    with k(a, b) = Σ_h exp(-||a - b||² / (2 h²)). Being unbiased, the estimate can be slightly
    negative when both samples come from the same distribution.

    Args:
        x: Sample of shape (m, D), m >= 2.
        y: Sample of shape (n, D), n >= 2.
        bandwidth: Kernel bandwidth h, a sequence of bandwidths whose kernels are summed,
            or ``None`` for the median heuristic on the pooled sample.

    Returns:
        The unbiased MMD² estimate.

    Raises:
        DataError: On bad shapes, mismatched D, fewer than two rows, non-finite values or
            non-positive bandwidths.
    """
    a, b = _check_pair(x, y, min_rows=2)
    hs = _bandwidths(bandwidth, a, b)
    gammas = 1.0 / (2.0 * hs**2)  # (H,)
    # Centre on the pooled mean: distances are unchanged, cancellation in ||a||² + ||b||² -
    # 2 a·b is reduced.
    centre = np.concatenate([a, b], axis=0).mean(axis=0)
    a = a - centre
    b = b - centre
    m, n = len(a), len(b)
    k_xx = _rbf_kernel_sum(a, a, gammas, same=True) / (m * (m - 1))
    k_yy = _rbf_kernel_sum(b, b, gammas, same=True) / (n * (n - 1))
    k_xy = _rbf_kernel_sum(a, b, gammas, same=False) / (m * n)
    return float(k_xx + k_yy - 2.0 * k_xy)
