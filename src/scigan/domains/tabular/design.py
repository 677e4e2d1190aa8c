"""The design space of an experiment: where conditions may be set, and random draws from it.

Ranges are the declared bounds, else the observed training range; categorical conditions take
their known levels; integer and grid-step conditions land on their grid; a sum-to-one group of
conditions is drawn from a flat Dirichlet and scaled to its total. :func:`parse_conditions` turns
``--condition NAME=VALUE`` pairs into the conditions of ``n`` samples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scigan.domains.tabular.encoding import MISSING, TabularEncoder, enforce_numeric
from scigan.errors import DataError


def sample_design(
    encoder: TabularEncoder,
    n: int,
    rng: np.random.Generator,
    fixed: Mapping[str, Any] | None = None,
    *,
    balanced: bool = False,
) -> pd.DataFrame:
    """``n`` condition rows drawn uniformly from the design space; ``fixed`` columns held.

    Args:
        encoder: a fitted experiment-mode encoder.
        n: rows.
        rng: numpy generator.
        fixed: ``{condition: value}`` broadcast to every row.
        balanced: categorical conditions take each level equally often (``n // L`` or one
            more rows, shuffled) instead of independent uniform draws: every level is a
            candidate as soon as ``n`` reaches the number of levels.
    """
    schema = encoder.schema_
    if not schema.experiment:
        raise DataError("a design space needs experiment mode (--set conditions=[...])")
    fixed = dict(fixed or {})
    unknown = [k for k in fixed if k not in schema.conditions]
    if unknown:
        raise DataError(
            f"unknown condition(s) {unknown}; this model's conditions are {schema.conditions}"
        )
    out: dict[str, Any] = {}
    grouped = {c: g for g in schema.sum_groups for c in g["columns"] if c in schema.conditions}
    for name in schema.conditions:
        spec = schema.column(name)
        if name in fixed:
            out[name] = [fixed[name]] * n
        elif name in grouped:
            g = grouped[name]
            if name == g["columns"][0] and not any(c in fixed for c in g["columns"]):
                w = rng.dirichlet(np.ones(len(g["columns"])), size=n) * g["total"]
                for i, c in enumerate(g["columns"]):
                    out[c] = w[:, i]
            elif any(c in fixed for c in g["columns"]) and not all(
                c in fixed for c in g["columns"]
            ):
                raise DataError(f"set all of the sum_to_one group {g['columns']} or none of it")
        elif spec.discrete:
            levels = [v for v in encoder.columns_[name]["levels"] if v != MISSING]
            if balanced:
                # Level order shuffled too: with n < L the levels taken are a random subset.
                codes = rng.permutation(len(levels))[rng.permutation(n) % len(levels)]
            else:
                codes = rng.integers(len(levels), size=n)
            out[name] = [levels[i] for i in codes]
        else:
            lo, hi = encoder.bounds(name)
            out[name] = enforce_numeric(rng.uniform(lo, hi, size=n), spec, lo, hi)
    return pd.DataFrame({name: out[name] for name in schema.conditions})


def sample_local(
    encoder: TabularEncoder,
    centres: pd.DataFrame,
    n: int,
    rng: np.random.Generator,
    radius: float,
) -> pd.DataFrame:
    """``n`` condition rows around each row of ``centres`` (a trust region): every numeric
    condition drawn from N(centre, (radius · its design range)²), then clipped to the range
    and put on its grid; categorical conditions and sum-to-one groups keep the centre's values.

    Args:
        encoder: a fitted experiment-mode encoder.
        centres: condition rows (every condition column).
        n: rows per centre.
        rng: numpy generator.
        radius: standard deviation of each step, as a fraction of the condition's range.

    Returns:
        ``len(centres) * n`` rows, the first ``n`` around the first centre.
    """
    schema = encoder.schema_
    grouped = {c for g in schema.sum_groups for c in g["columns"]}
    out = centres[schema.conditions].loc[centres.index.repeat(n)].reset_index(drop=True)
    for name in schema.conditions:
        spec = schema.column(name)
        if spec.discrete or name in grouped:
            continue
        lo, hi = encoder.bounds(name)
        x = out[name].to_numpy(dtype=np.float64)
        x = x + radius * (hi - lo) * rng.standard_normal(len(x))
        out[name] = enforce_numeric(x, spec, lo, hi)
    return out


def parse_value(encoder: TabularEncoder, name: str, text: Any) -> Any:
    """A condition value from the CLI (text) in the column's type."""
    spec = encoder.schema_.column(name)
    if spec.discrete or not isinstance(text, str):
        return text
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"condition {name}={text!r}: '{name}' is numeric; give a number") from None
    if not math.isfinite(value):
        raise DataError(
            f"condition {name}={text}: not a finite number; give a finite value for '{name}'"
        )
    return value


def parse_conditions(encoder: TabularEncoder, values: Mapping[str, str], n: int) -> pd.DataFrame:
    """``--condition NAME=VALUE`` pairs → the raw conditions of ``n`` samples.

    Experiment mode: any condition columns; those not given are drawn uniformly from the design
    space (seeded, seed 0). Table mode: categorical columns, each naming one level.
    """
    schema = encoder.schema_
    allowed = schema.conditions if schema.experiment else encoder.discrete_generated()
    unknown = [k for k in values if k not in allowed]
    if unknown:
        what = "conditions" if schema.experiment else "categorical columns"
        raise DataError(
            f"unknown condition(s) {unknown}; this model's {what} are {allowed}"
            + ("" if schema.experiment else "; set conditions=[...] to condition on numbers")
        )
    parsed = {k: parse_value(encoder, k, v) for k, v in values.items()}
    if schema.experiment:
        # Conditions not given are drawn uniformly from the design space (seeded).
        return sample_design(encoder, n, np.random.default_rng(0), fixed=parsed)
    return pd.DataFrame({k: [v] * n for k, v in parsed.items()})
