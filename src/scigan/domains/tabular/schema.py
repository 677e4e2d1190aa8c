"""Table schemas: column kinds (inferred, overridable), conditions vs outcomes, constraints.

A :class:`Schema` says, for every column, what it is (``continuous``, ``integer``,
``categorical``, ``boolean``, ``datetime``), its hard bounds and grid step when declared, and
which columns are experimental *conditions* (set by the experimenter, copied verbatim into
generated rows) and which are *outcomes* (measured, generated). Sum-to-one groups (mixture
fractions, blend ratios) are constraints across columns. Everything is JSON-able; the schema is
saved inside ``encoder.json``.

Inference rules (override any of them with ``--set schema={col: {type: ...}}``):

- ``bool`` dtype, or text that is only true/false/yes/no → ``boolean``;
- ``datetime64`` dtype → ``datetime`` (text is never guessed to be a date: declare it);
- numbers whose values are all whole and take at most 5 distinct values → ``categorical``;
  other whole numbers → ``integer``; other numbers → ``continuous``;
- in table mode (no ``conditions``) the target column (``target``, default the last column),
  when its values are whole numbers with at most 20 distinct values, is a class label →
  ``categorical`` (unless its type or bounds are declared);
- text → ``categorical``, unless almost all of it parses as numbers, which is reported as a
  data error naming the first row that does not (e.g. ``≥90%`` in a yield column).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from scigan.errors import DataError

KINDS = ("continuous", "integer", "categorical", "boolean", "datetime")
DISCRETE = ("categorical", "boolean")
MAX_CATEGORICAL_INTS = 5  # whole-number columns with at most this many values are categories
# A table-mode target of whole numbers with at most this many values is a class label (issue 26:
# digits' 0-9 target is a category, not a number to be mixture-encoded).
MAX_CATEGORICAL_TARGET = 20
# A table with more modelled columns than this is "wide" (issue 26): a file of this width gets
# pac 1 and batch 250 (TabularDomain.option_defaults), and its critic no dropout and, unpacked,
# the projection term (nets.build_discriminator).
WIDE_COLUMNS = 40
_TRUE = {"true", "yes", "y", "t"}
_FALSE = {"false", "no", "n", "f"}
_COLUMN_KEYS = {"type", "low", "high", "step", "categories"}


@dataclass(frozen=True)
class ColumnSpec:
    """One column.

    Attributes:
        name: column name.
        kind: one of :data:`KINDS`.
        low, high: declared hard bounds (None: not declared; generated values are then kept
            inside the observed training range instead).
        step: declared grid step: values are ``low + k * step`` (``low`` defaults to 0).
        categories: the levels of a categorical/boolean column (JSON scalars), None to learn.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    categories: list[Any] | None = None

    @property
    def discrete(self) -> bool:
        return self.kind in DISCRETE


@dataclass(frozen=True)
class Schema:
    """Columns, roles and constraints of one table.

    Attributes:
        columns: every modelled column, in table order.
        conditions: condition columns (experiment mode); empty for a plain table model.
        outcomes: outcome columns (experiment mode: every non-condition column by default).
        sum_groups: groups of continuous columns whose values sum to ``total`` in every row,
            as ``{"columns": [...], "total": 1.0}``.
        target: column predicted by the TSTR/TRTR utility metrics (None: no utility metric).
        goal: ``"maximize"`` or ``"minimize"`` the target (used by ``suggest``).
    """

    columns: list[ColumnSpec]
    conditions: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    sum_groups: list[dict[str, Any]] = field(default_factory=list)
    target: str | None = None
    goal: str = "maximize"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def experiment(self) -> bool:
        return bool(self.conditions)

    @cached_property
    def _by_name(self) -> dict[str, ColumnSpec]:
        # Looked up once per column in loops over every column: a dict keeps them linear.
        return {c.name: c for c in self.columns}

    def column(self, name: str) -> ColumnSpec:
        spec = self._by_name.get(name)
        if spec is None:
            raise DataError(f"unknown column '{name}'; the table has {', '.join(self.names)}")
        return spec

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": [asdict(c) for c in self.columns],
            "conditions": list(self.conditions),
            "outcomes": list(self.outcomes),
            "sum_groups": [dict(g) for g in self.sum_groups],
            "target": self.target,
            "goal": self.goal,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Schema:
        return cls(
            columns=[ColumnSpec(**c) for c in d["columns"]],
            conditions=list(d["conditions"]),
            outcomes=list(d["outcomes"]),
            sum_groups=[dict(g) for g in d["sum_groups"]],
            target=d["target"],
            goal=d["goal"],
        )


def _py(value: Any) -> Any:
    """numpy scalar → plain Python scalar (JSON-able)."""
    return value.item() if isinstance(value, np.generic) else value


def infer_kind(series: pd.Series, where: str) -> str:
    """The kind of one column by the rules in the module docstring."""
    s = series.dropna()
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = s.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            row = int(np.flatnonzero(~np.isfinite(values))[0])
            raise DataError(
                f"{where}: row {s.index[row]}, column '{series.name}': infinite value; "
                "replace it with a number or leave the cell empty"
            )
        whole = bool(np.all(values == np.round(values)))
        if whole and len(np.unique(values)) <= MAX_CATEGORICAL_INTS:
            return "categorical"
        return "integer" if whole else "continuous"
    text = s.astype(str).str.strip()
    low = set(text.str.lower().unique())
    if low and low <= (_TRUE | _FALSE) and low & _TRUE and low & _FALSE:
        return "boolean"
    numeric = pd.to_numeric(text, errors="coerce")
    bad = numeric.isna().to_numpy()
    if len(text) and bad.mean() <= 0.1 and bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: row {text.index[i]}, column '{series.name}': {text.iloc[i]!r} is not a "
            "number but the rest of the column is; fix the cell, leave it empty, or declare "
            f"--set schema={{{series.name}: {{type: categorical}}}}"
        )
    if len(text) and not bad.any():
        return infer_kind(numeric.astype(np.float64).rename(series.name), where)
    return "categorical"


def _parse_groups(raw: Any, names: Sequence[str]) -> list[dict[str, Any]]:
    groups = []
    known = set(names)
    for g in raw or []:
        if isinstance(g, Mapping):
            cols, total = list(g.get("columns", [])), float(g.get("total", 1.0))
        elif isinstance(g, Sequence) and not isinstance(g, str):
            cols, total = list(g), 1.0
        else:
            raise DataError(f"sum_to_one: expected a list of column lists, got {g!r}")
        if len(cols) < 2:
            raise DataError(f"sum_to_one group {cols} needs at least two columns")
        for c in cols:
            if c not in known:
                raise DataError(f"sum_to_one: unknown column '{c}'; the table has {list(names)}")
        if not total > 0:
            raise DataError(f"sum_to_one group {cols}: total must be > 0, got {total}")
        groups.append({"columns": cols, "total": total})
    return groups


def build_schema(
    df: pd.DataFrame,
    *,
    where: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    conditions: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    sum_to_one: Any = None,
    target: str | None = None,
    goal: str = "maximize",
) -> Schema:
    """Infer a schema from ``df`` and apply the user's declarations.

    Args:
        df: the table (all columns are modelled).
        where: the data's name, for error messages.
        overrides: ``{column: {"type", "low", "high", "step", "categories"}}``.
        conditions: condition columns (experiment mode) or None.
        outcomes: outcome columns; default every non-condition column.
        sum_to_one: list of column lists (or ``{"columns", "total"}`` mappings).
        target: utility-metric target; default the first outcome or the last column.
        goal: ``maximize`` or ``minimize`` the target.
    """
    # Membership tests go through sets: a table may have thousands of columns (issue 29).
    names = [str(c) for c in df.columns]
    known = set(names)
    if len(known) != len(names):
        dup = sorted(n for n, k in Counter(names).items() if k > 1)
        raise DataError(f"{where}: duplicate column name(s) {dup}; rename them")
    overrides = dict(overrides or {})
    for name, spec in overrides.items():
        if name not in known:
            raise DataError(f"{where}: schema names unknown column '{name}'; columns: {names}")
        if not isinstance(spec, Mapping):
            raise DataError(f"{where}: schema for '{name}' must be a mapping like {{type: ...}}")
        unknown = set(spec) - _COLUMN_KEYS
        if unknown:
            raise DataError(
                f"{where}: schema for '{name}' has unknown key(s) {sorted(unknown)}; "
                f"allowed: {sorted(_COLUMN_KEYS)}"
            )
        if "type" in spec and spec["type"] not in KINDS:
            raise DataError(
                f"{where}: schema type {spec['type']!r} for '{name}' must be one of {KINDS}"
            )
    columns = []
    for name in names:
        spec = overrides.get(name, {})
        kind = spec.get("type") or infer_kind(df[name], where)
        low, high, step = spec.get("low"), spec.get("high"), spec.get("step")
        for key, v in (("low", low), ("high", high), ("step", step)):
            if v is not None and (not isinstance(v, int | float) or not math.isfinite(v)):
                raise DataError(f"{where}: schema {key} for '{name}' must be a number, got {v!r}")
        if low is not None and high is not None and low > high:
            raise DataError(f"{where}: schema for '{name}' has low {low} > high {high}")
        if step is not None and step <= 0:
            raise DataError(f"{where}: schema step for '{name}' must be > 0, got {step}")
        if kind in DISCRETE and (low is not None or high is not None or step is not None):
            raise DataError(f"{where}: '{name}' is {kind}; bounds and steps need a numeric type")
        cats = spec.get("categories")
        if cats is not None and (kind not in DISCRETE or not isinstance(cats, list) or not cats):
            raise DataError(
                f"{where}: categories for '{name}' must be a non-empty list on a categorical column"
            )
        columns.append(
            ColumnSpec(
                name,
                kind,
                None if low is None else float(low),
                None if high is None else float(high),
                None if step is None else float(step),
                None if cats is None else [_py(c) for c in cats],
            )
        )
    conds = [str(c) for c in conditions or []]
    for c in conds:
        if c not in known:
            raise DataError(f"{where}: condition column '{c}' not in the table; columns: {names}")
    cond_set = set(conds)
    if len(cond_set) != len(conds):
        raise DataError(f"{where}: a condition column is listed twice in {conds}")
    if outcomes is None:
        outs = [n for n in names if n not in cond_set] if conds else []
    else:
        outs = [str(c) for c in outcomes]
        for c in outs:
            if c not in known:
                raise DataError(f"{where}: outcome column '{c}' not in the table; columns: {names}")
            if c in cond_set:
                raise DataError(f"{where}: '{c}' cannot be both a condition and an outcome")
        if not conds:
            raise DataError(f"{where}: outcomes need conditions; add --set conditions=[...]")
    if conds and not outs:
        raise DataError(f"{where}: experiment mode needs at least one outcome column")
    groups = _parse_groups(sum_to_one, names)
    by_name = {c.name: c for c in columns}
    for g in groups:
        roles = {("condition" if c in cond_set else "generated") for c in g["columns"]}
        if len(roles) > 1:
            raise DataError(
                f"{where}: sum_to_one group {g['columns']} mixes conditions and outcomes"
            )
        for c in g["columns"]:
            if by_name[c].kind != "continuous":
                raise DataError(f"{where}: sum_to_one column '{c}' must be continuous")
    seen: set[str] = set()
    for g in groups:
        if seen & set(g["columns"]):
            raise DataError(f"{where}: column(s) {sorted(seen & set(g['columns']))} in two groups")
        seen |= set(g["columns"])
    if conds:
        columns = [by_name[n] for n in conds] + [by_name[n] for n in outs]
    if target is None:
        target = outs[0] if outs else names[-1]
    elif target not in {c.name for c in columns}:
        raise DataError(f"{where}: target '{target}' is not a modelled column")
    if not conds and not set(overrides.get(target, {})) & {"type", "low", "high", "step"}:
        columns = [_class_label(c, df[c.name]) if c.name == target else c for c in columns]
    if goal not in ("maximize", "minimize"):
        raise DataError(f"{where}: goal must be maximize or minimize, got {goal!r}")
    return Schema(columns, conds, outs, groups, target, goal)


def _class_label(spec: ColumnSpec, values: pd.Series) -> ColumnSpec:
    """A whole-number target with few values is a class label (module docstring)."""
    if spec.kind == "integer" and values.dropna().nunique() <= MAX_CATEGORICAL_TARGET:
        return replace(spec, kind="categorical")
    return spec


def with_categories(schema: Schema, df: pd.DataFrame) -> Schema:
    """Fill in the levels of discrete columns that were not declared (sorted, JSON scalars)."""
    cols = []
    for c in schema.columns:
        if c.discrete and c.categories is None:
            values = df[c.name].dropna()
            if c.kind == "boolean":
                levels: list[Any] = [False, True]
            else:
                levels = sorted({_py(v) for v in values.tolist()}, key=lambda v: (str(type(v)), v))
            c = replace(c, categories=levels)
        cols.append(c)
    return replace(schema, columns=cols)
