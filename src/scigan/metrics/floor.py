"""Noise floors and bootstrap confidence intervals for sample-based metrics.

Project rule: every reported metric carries its *noise floor*, the same statistic computed
between two disjoint real samples of the same size. A generator cannot be distinguished from
the data by a metric whose value is within that floor.

The helpers accept numpy arrays (rows are samples) and plain Python sequences (e.g. lists of
SMILES strings), which are indexed element-wise and returned as lists.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from scigan.errors import DataError

__all__ = ["bootstrap_ci", "metric_entry", "split_reference", "verdict", "with_floor"]

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


# ---------------------------------------------------------------------------- metric entries
#: How a metric improves: "lower", "higher", or toward a reference value ("closer to floor",
#: "closer to exact", "closer to real", ...: any string starting with "closer").
Direction = str

#: A value within this many real-vs-real floors passes a floor-judged "lower" metric.
FLOOR_FACTOR = 2.0
#: |z| at most this passes a metric that has an exact value and a standard error.
Z_PASS = 2.0


def metric_entry(
    value: float,
    floor: float,
    n: int,
    seed: int,
    better: Direction,
    **extra: Any,
) -> dict[str, Any]:
    """One metric result as every domain reports it: ``{"value", "floor", "n", "seed",
    "better", ...extra}``.

    ``extra`` may carry ``target`` (a number the value must reach in the direction
    ``better``, or a string describing a target that the domain judges itself), ``exact`` and
    ``z`` (the value's z-score against an exact answer), ``ci``, ``description``, and
    ``by_construction=True`` for a number that holds by construction (reported, never counted
    as a met target). Values are cast to plain floats/ints so the entry is JSON-able."""
    return {
        "value": float(value),
        "floor": float(floor),
        "n": int(n),
        "seed": int(seed),
        "better": better,
        **extra,
    }


def verdict(entry: Any) -> tuple[str, str]:
    """``(verdict, reason)`` for a metric entry: ``"pass"``, ``"miss"`` or ``"info"``.

    The rule, in order:
    1. ``by_construction``: "info" — holds by construction, not a met target.
    2. a ``z`` score (an exact answer exists): pass when ``|z| ≤ 2``.
    3. a numeric ``target``: pass when the value reaches it in the direction ``better``.
    4. the floor: "lower" passes within ``2 × floor``; "higher" (scores in [0, 1]) passes
       at or above ``1 − 2·(1 − floor)``, other scores at or above ``floor / 2``; "closer…"
       passes when ``|value − ref| ≤ 2·|floor − ref|``, ``ref`` being ``exact`` or a numeric
       ``target`` when given, else 0.
    Anything else (no finite value, no floor, no direction) is "info".
    """
    if not isinstance(entry, dict):
        return "info", "no direction or floor"
    value = _as_float(entry.get("value"))
    if entry.get("by_construction"):
        return "info", "holds by construction (reported, not counted)"
    if not math.isfinite(value):
        return "miss", "no finite value"
    z = _as_float(entry.get("z"))
    if math.isfinite(z):
        ok = abs(z) <= Z_PASS
        return ("pass" if ok else "miss"), f"z = {z:+.2f} vs exact (pass: |z| ≤ {Z_PASS:g})"
    better = str(entry.get("better", ""))
    target = _as_float(entry.get("target"))
    floor = _as_float(entry.get("floor"))
    if math.isfinite(target) and better in ("lower", "higher"):
        ok = value <= target if better == "lower" else value >= target
        sign = "≤" if better == "lower" else "≥"
        return ("pass" if ok else "miss"), f"target {sign} {target:.4g}"
    if not math.isfinite(floor):
        return "info", "no floor"
    if better == "lower":
        limit = FLOOR_FACTOR * abs(floor)
        return ("pass" if value <= limit else "miss"), f"{FLOOR_FACTOR:g}× floor = {limit:.4g}"
    if better == "higher":
        # A higher-is-better score (validity, F1, TSTR) passes when it is no further below
        # the real-vs-real value than twice the floor's own shortfall from a perfect 1 —
        # for scores in [0, 1]; otherwise within half the floor.
        unit = 0.0 <= floor <= 1.0
        limit = 1.0 - FLOOR_FACTOR * (1.0 - floor) if unit else floor / FLOOR_FACTOR
        return ("pass" if value >= limit else "miss"), f"≥ {limit:.4g} (from the floor)"
    if better.startswith("closer"):
        ref = _as_float(entry.get("exact"))
        if not math.isfinite(ref):
            ref = target
        if not math.isfinite(ref):
            ref = 0.0
        gap, gap_floor = abs(value - ref), abs(floor - ref)
        limit = FLOOR_FACTOR * gap_floor
        return ("pass" if gap <= limit else "miss"), (
            f"|value − {ref:.4g}| ≤ {FLOOR_FACTOR:g}× the floor's = {limit:.4g}"
        )
    return "info", "no direction"


def _as_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")
