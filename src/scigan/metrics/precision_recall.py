"""k-NN manifold metrics: precision/recall and density/coverage.

* Precision and recall: Kynkäänniemi et al. (2019), "Improved Precision and Recall Metric for
  Assessing Generative Models". Each sample's manifold ball has the radius of its k-th nearest
  neighbour in its own set (the point itself excluded); precision is the fraction of fake
  samples inside some real ball, recall the fraction of real samples inside some fake ball.
* Density and coverage: Naeem et al. (2020), "Reliable Fidelity and Diversity Metrics for
  Generative Models", eqs. (3)-(4); only real balls are used.

Distances are computed in row chunks, so N = 10k samples never need a full N x N matrix.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from scigan.errors import DataError
from scigan.metrics.frechet import _check_pair

__all__ = ["knn_precision_recall"]

# Largest number of distance entries held in memory at once (~64 MiB of float64).
_MAX_BLOCK_ENTRIES = 8_000_000


def _distance_blocks(a: np.ndarray, b: np.ndarray) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, d)``, d the (stop - start, M) distances from a[start:stop] to b."""
    sq_a = np.einsum("ij,ij->i", a, a)  # (N,)
    sq_b = np.einsum("ij,ij->i", b, b)  # (M,)
    chunk = max(1, _MAX_BLOCK_ENTRIES // max(len(b), 1))
    for start in range(0, len(a), chunk):
        stop = min(start + chunk, len(a))
        d2 = sq_a[start:stop, None] + sq_b[None, :] - 2.0 * (a[start:stop] @ b.T)  # (c, M)
        np.maximum(d2, 0.0, out=d2)
        yield start, stop, np.sqrt(d2, out=d2)


def _knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row of x (N, D) to its k-th nearest other row; shape (N,)."""
    radii = np.empty(len(x))
    for start, stop, d in _distance_blocks(x, x):
        rows = np.arange(stop - start)
        d[rows, start + rows] = np.inf  # exclude the point itself
        radii[start:stop] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return radii


def knn_precision_recall(real: np.ndarray, fake: np.ndarray, *, k: int = 5) -> dict[str, float]:
    """k-NN precision, recall, density and coverage of ``fake`` with respect to ``real``.

    With r_k(x) the distance from x to its k-th nearest neighbour in its own set
    (excluding x itself) and B(x, r) the closed ball:

    * precision = 1/M Σ_j 1[∃ i: fake_j ∈ B(real_i, r_k(real_i))]  (Kynkäänniemi et al. 2019)
    * recall    = 1/N Σ_i 1[∃ j: real_i ∈ B(fake_j, r_k(fake_j))]  (Kynkäänniemi et al. 2019)
    * density   = 1/(kM) Σ_j Σ_i 1[fake_j ∈ B(real_i, r_k(real_i))]  (Naeem et al. 2020, eq. 3)
    * coverage  = 1/N Σ_i 1[∃ j: fake_j ∈ B(real_i, r_k(real_i))]  (Naeem et al. 2020, eq. 4)

    Args:
        real: Real features, shape (N, D), N > k.
        fake: Generated features, shape (M, D), M > k.
        k: Number of neighbours defining the manifold radii.

    Returns:
        Dict with keys ``precision``, ``recall``, ``density``, ``coverage``. Density can
        exceed 1; the others lie in [0, 1].

    Raises:
        DataError: On bad shapes, mismatched D, non-finite values, or too few samples for k.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise DataError(f"k must be a positive integer, got {k!r}")
    r, f = _check_pair(real, fake, ("real", "fake"), min_rows=k + 1)
    # Centre on the real mean: distances are unchanged, round-off in the expansion is reduced.
    centre = r.mean(axis=0)
    r = r - centre
    f = f - centre

    real_radii = _knn_radii(r, k)  # (N,)
    fake_radii = _knn_radii(f, k)  # (M,)

    # Fake rows against all real balls: precision and density per fake sample.
    balls_per_fake = np.empty(len(f), dtype=np.int64)  # (M,)
    nearest_fake = np.full(len(r), np.inf)  # (N,) distance from each real to its nearest fake
    for start, stop, d in _distance_blocks(f, r):  # d: (c, N)
        balls_per_fake[start:stop] = (d <= real_radii[None, :]).sum(axis=1)
        np.minimum(nearest_fake, d.min(axis=0), out=nearest_fake)

    # Real rows against all fake balls: recall.
    in_fake_manifold = np.empty(len(r), dtype=bool)  # (N,)
    for start, stop, d in _distance_blocks(r, f):  # d: (c, M)
        in_fake_manifold[start:stop] = (d <= fake_radii[None, :]).any(axis=1)

    return {
        "precision": float((balls_per_fake > 0).mean()),
        "recall": float(in_fake_manifold.mean()),
        "density": float(balls_per_fake.sum() / (k * len(f))),
        "coverage": float((nearest_fake <= real_radii).mean()),
    }
