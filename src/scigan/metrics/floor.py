"""Noise floors and bootstrap confidence intervals for sample-based metrics.

Project rule: every reported metric carries its *noise floor*, the same statistic computed
between two disjoint real samples of the same size. A generator cannot be distinguished from
the data by a metric whose value is within that floor.

The helpers accept numpy arrays (rows are samples) and plain Python sequences (e.g. lists of
SMILES strings), which are indexed element-wise and returned as lists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from scigan.errors import DataError

__all__ = [
    "bootstrap_ci",
    "closer_reference",
    "metric_entry",
    "split_reference",
    "verdict",
    "with_floor",
    "z_score",
]

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
#: How a metric improves: "lower", "higher", or toward a reference value ("closer to exact",
#: "closer to reference", "closer to 0.5", ...: any string starting with "closer to").
Direction = str

#: A value within this many real-vs-real floors passes a floor-judged metric.
FLOOR_FACTOR = 2.0
#: |z| at most this passes a metric that has an exact value and a standard error.
Z_PASS = 2.0

PASS, MISS, INFO = "pass", "miss", "info"

# "<= 0.02", "≥ 0.9", "< 0.05 in every k bin": a comparison and a number, then free text.
_TARGET_TEXT = re.compile(r"\s*(<=|>=|<|>|≤|≥)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_COMPARE = {
    "<=": lambda v, t: v <= t,
    "≤": lambda v, t: v <= t,
    "<": lambda v, t: v < t,
    ">=": lambda v, t: v >= t,
    "≥": lambda v, t: v >= t,
    ">": lambda v, t: v > t,
}


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
    ``better``, or a text such as ``"<= 0.02 (why)"`` that starts with a comparison), ``exact``
    and ``z`` (the value's z-score against an exact answer), ``se`` (the value's standard
    error, which gives a z-score against the value a "closer to" metric aims at), ``ci``,
    ``description``, and ``by_construction=True`` for a number that holds by construction
    (reported, never counted as a met target). Values are cast to plain floats/ints so the
    entry is JSON-able. :func:`verdict` judges the entry."""
    return {
        "value": float(value),
        "floor": float(floor),
        "n": int(n),
        "seed": int(seed),
        "better": better,
        **extra,
    }


def closer_reference(entry: Any) -> float:
    """The value a "closer to …" metric aims at, NaN when there is none.

    In order: ``exact``; a numeric ``target``; the entry's number named by the direction
    ("closer to planted rate" → ``planted_rate``, "closer to reference" → ``reference``); a
    number in the direction itself ("closer to 0.5")."""
    if not isinstance(entry, Mapping):
        return math.nan
    better = str(entry.get("better", ""))
    if not better.startswith("closer"):
        return math.nan
    for key in ("exact", "target"):
        ref = _as_float(entry.get(key))
        if math.isfinite(ref):
            return ref
    words = better.removeprefix("closer").strip().removeprefix("to").strip()
    if words:
        ref = _as_float(entry.get(words.replace(" ", "_")))
        if math.isfinite(ref):
            return ref
        return _as_float(words)
    return math.nan


def z_score(entry: Any) -> float:
    """The value's z-score against an exact answer: the entry's ``z``, or, for a "closer to"
    metric with a standard error ``se``, ``(value − reference) / se``; NaN when neither."""
    if not isinstance(entry, Mapping):
        return math.nan
    z = _as_float(entry.get("z"))
    if math.isfinite(z):
        return z
    se = _as_float(entry.get("se"))
    ref = closer_reference(entry)
    value = _as_float(entry.get("value"))
    if math.isfinite(se) and se > 0 and math.isfinite(ref):
        return (value - ref) / se
    return math.nan


def verdict(entry: Any) -> tuple[str, str]:
    """``(verdict, reason)`` for a metric entry: ``"pass"``, ``"miss"`` or ``"info"``.

    Only "pass" and "miss" count as targets; "info" is reported and never counted. The rule,
    first match wins:

    1. ``by_construction``: "info" — the number holds by construction, so it is never a met
       target.
    2. No finite value (NaN, ∞, missing): "miss".
    3. A z-score (:func:`z_score`: an exact answer and a standard error exist): pass when
       ``|z| ≤ 2``.
    4. A target: a number passes when the value reaches it in the direction ``better``
       ("lower"/"higher"); a text that starts with a comparison and a number (``"<= 0.02"``,
       ``"≥ 0.9 …"``) passes when the value satisfies it, whatever the direction.
    5. The real-vs-real floor: "lower" passes at or below ``2 × |floor|``; "higher" passes at
       or above ``1 − 2·(1 − floor)`` for a floor in [0, 1] (scores such as validity or F1),
       else at or above ``floor / 2``; "closer to …" passes when ``|value − ref| ≤
       2·|floor − ref|``, ``ref`` from :func:`closer_reference`.
    6. Anything else — no floor, no direction, or a "closer" metric with nothing to be close
       to — is "info", never "pass".
    """
    if not isinstance(entry, Mapping):
        entry = {"value": entry}
    if entry.get("by_construction"):
        return INFO, "holds by construction — not counted"
    value = _as_float(entry.get("value"))
    if not math.isfinite(value):
        return MISS, "no finite value"
    z = z_score(entry)
    if math.isfinite(z):
        reason = f"z = {z:+.2f} vs exact (pass: |z| ≤ {Z_PASS:g})"
        z_floor = _as_float(entry.get("z_floor"))
        if math.isfinite(z_floor):
            reason += f"; real sample z = {z_floor:+.2f}"
        return (PASS if abs(z) <= Z_PASS else MISS), reason
    better = str(entry.get("better", ""))
    target = entry.get("target")
    target_num = _as_float(target)
    if math.isfinite(target_num) and better in ("lower", "higher"):
        ok = value <= target_num if better == "lower" else value >= target_num
        sign = "≤" if better == "lower" else "≥"
        return (PASS if ok else MISS), f"target {sign} {target_num:.4g}"
    if isinstance(target, str) and (m := _TARGET_TEXT.match(target)):
        ok = _COMPARE[m.group(1)](value, float(m.group(2)))
        return (PASS if ok else MISS), f"target {target.strip()}"
    floor = _as_float(entry.get("floor"))
    if not math.isfinite(floor):
        return INFO, "no floor or target"
    if better == "lower":
        limit = FLOOR_FACTOR * abs(floor)
        return (PASS if value <= limit else MISS), f"≤ {FLOOR_FACTOR:g}× floor = {limit:.4g}"
    if better == "higher":
        # A higher-is-better score (validity, F1, TSTR) passes when it is no further below
        # the real-vs-real value than twice the floor's own shortfall from a perfect 1 —
        # for scores in [0, 1]; otherwise within half the floor.
        unit = 0.0 <= floor <= 1.0
        limit = 1.0 - FLOOR_FACTOR * (1.0 - floor) if unit else floor / FLOOR_FACTOR
        return (PASS if value >= limit else MISS), f"≥ {limit:.4g} (from the floor)"
    if better.startswith("closer"):
        ref = closer_reference(entry)
        if not math.isfinite(ref):
            return INFO, f"'{better}': no reference value given"
        gap, limit = abs(value - ref), FLOOR_FACTOR * abs(floor - ref)
        return (PASS if gap <= limit else MISS), (
            f"|value − {ref:.4g}| ≤ {FLOOR_FACTOR:g}× the floor's = {limit:.4g}"
        )
    return INFO, "no direction"


def _as_float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan
