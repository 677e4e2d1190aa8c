"""Noise floors and bootstrap confidence intervals for sample-based metrics.

Project rule: every reported metric carries its *noise floor*, the same statistic computed
between two disjoint real samples of the same size. A generator cannot be distinguished from
the data by a metric whose value is within that floor.

The helpers accept numpy arrays (rows are samples) and plain Python sequences (e.g. lists of
SMILES strings), which are indexed element-wise and returned as lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from scigan.errors import DataError

__all__ = ["bootstrap_ci", "split_reference", "with_floor"]

SampleT = TypeVar("SampleT", np.ndarray, Sequence[Any])


def _take(samples: Any, idx: np.ndarray) -> Any:
    """Rows ``idx`` of an array, or a list of the elements ``idx`` of a sequence."""
    if isinstance(samples, np.ndarray):
        return samples[idx]
    return [samples[int(i)] for i in idx]


def _length(samples: Any, name: str) -> int:
    """Number of samples in an array or sequence; DataError if it has none or is not sized."""
    if isinstance(samples, np.ndarray) and samples.ndim == 0:
        raise DataError(f"{name} must be an array of samples or a sequence, got a scalar")
    try:
        size = len(samples)
    except TypeError:
        raise DataError(
            f"{name} must be an array or a sequence, got {type(samples).__name__}"
        ) from None
    return size


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise DataError(f"n must be a positive integer, got {n!r}")
    return int(n)


def split_reference(reference: SampleT, n: int, *, seed: int) -> tuple[Any, Any]:
    """Two disjoint random subsets of ``reference`` with ``n`` samples each.

    Args:
        reference: Real samples: an array (rows are samples) or a sequence.
        n: Size of each subset.
        seed: Seed of the permutation; the same seed gives the same split.

    Returns:
        ``(ref_a, ref_b)``: arrays if ``reference`` is an array, lists otherwise.

    Raises:
        DataError: If ``reference`` has fewer than ``2 * n`` samples.
    """
    n = _check_n(n)
    size = _length(reference, "reference")
    if size < 2 * n:
        raise DataError(
            f"reference has {size} samples but the noise floor needs 2*n = {2 * n} "
            f"(two disjoint sets of n={n}); lower n to at most {size // 2}"
        )
    perm = np.random.default_rng(seed).permutation(size)
    return _take(reference, perm[:n]), _take(reference, perm[n : 2 * n])


def with_floor(
    metric: Callable[[Any, Any], float],
    generated: SampleT,
    reference: SampleT,
    *,
    n: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Evaluate ``metric(generated, real)`` together with its real-vs-real noise floor.

    ``reference`` is split into disjoint halves ``ref_a``, ``ref_b`` of ``n`` samples each
    (:func:`split_reference`). ``generated`` is subsampled to ``n`` without replacement
    (deterministically for ``seed``) if it is longer.

    Args:
        metric: Function of (samples, reference samples) returning a float.
        generated: Generated samples (array or sequence).
        reference: Real samples (array or sequence).
        n: Samples per evaluation; default ``min(len(generated), len(reference) // 2)``.
        seed: Seed for the reference split and the subsampling of ``generated``.

    Returns:
        ``{"value": metric(generated_n, ref_a), "floor": metric(ref_b, ref_a), "n": n,
        "seed": seed}``.

    Raises:
        DataError: If there are too few generated or reference samples for ``n``.
    """
    n_gen = _length(generated, "generated")
    n_ref = _length(reference, "reference")
    if n is None:
        n = min(n_gen, n_ref // 2)
        if n < 1:
            raise DataError(
                f"with_floor needs at least 1 generated and 2 reference samples, "
                f"got {n_gen} and {n_ref}"
            )
    n = _check_n(n)
    if n_gen < n:
        raise DataError(f"generated has {n_gen} samples but n={n}; lower n to at most {n_gen}")
    ref_a, ref_b = split_reference(reference, n, seed=seed)
    if n_gen > n:
        # Independent stream from the reference permutation, still fixed by ``seed``.
        idx = np.random.default_rng([seed, 1]).choice(n_gen, n, replace=False)
        gen = _take(generated, np.sort(idx))
    else:
        gen = generated
    return {
        "value": float(metric(gen, ref_a)),
        "floor": float(metric(ref_b, ref_a)),
        "n": n,
        "seed": seed,
    }


def bootstrap_ci(
    metric: Callable[[Any, Any], float],
    x: SampleT,
    y: SampleT,
    *,
    n_boot: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``metric(x, y)`` (Efron & Tibshirani 1993).

    Rows of ``x`` and of ``y`` are resampled with replacement, independently, ``n_boot`` times;
    the interval is the ``alpha/2`` and ``1 - alpha/2`` quantiles of the bootstrap values.

    Args:
        metric: Function of two samples returning a float.
        x: First sample (array or sequence).
        y: Second sample (array or sequence).
        n_boot: Number of bootstrap replicates.
        alpha: One minus the confidence level (0.05 gives a 95% interval).
        seed: Seed for the resampling.

    Returns:
        ``(low, high)`` bounds of the interval.

    Raises:
        DataError: On empty samples, ``n_boot < 2`` or ``alpha`` outside (0, 1), or if the
            metric returns non-finite values.
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise DataError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    if not 0.0 < alpha < 1.0:
        raise DataError(f"alpha must be in (0, 1), got {alpha!r}")
    n_x = _length(x, "x")
    n_y = _length(y, "y")
    if n_x < 1 or n_y < 1:
        raise DataError(f"bootstrap needs non-empty samples, got {n_x} and {n_y} rows")
    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)  # (B,)
    for b in range(n_boot):
        xb = _take(x, rng.integers(0, n_x, n_x))
        yb = _take(y, rng.integers(0, n_y, n_y))
        values[b] = float(metric(xb, yb))
    if not np.isfinite(values).all():
        raise DataError("metric returned NaN or infinite values on bootstrap resamples")
    low, high = np.quantile(values, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)
