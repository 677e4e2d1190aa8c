"""Table rows ↔ tensors: mode-specific normalisation, one-hot columns, condition vectors.

Generated columns follow CTGAN (Xu et al. 2019, §4.2):

- a continuous column is modelled by a variational Gaussian mixture (scikit-learn's
  ``BayesianGaussianMixture``, Dirichlet-process prior, ≤ ``max_modes`` components, components
  with weight < 0.005 dropped); a value x in mode k is ``α = (x − μ_k) / (4 σ_k)`` clipped to
  ±0.99 plus the one-hot mode β — spans ``identity(1)`` (CTGAN: tanh; see ALPHA_ACTIVATION)
  + ``gumbel(K)``. The mode is the posterior
  argmax among the components within 3.96 σ of the value (CTGAN samples the mode; ours is
  deterministic and exactly invertible for every value some component covers);
- a categorical/boolean column is one-hot — span ``gumbel(K)``; a missing value is its own level;
- a continuous column with missing values gets an extra ``gumbel(2)`` present/missing span;
- a sum-to-one group of columns is one ``softmax(k)`` span (fractions × total), so generated rows
  satisfy the constraint by construction.

Decoding enforces every constraint: bounds (declared, else the observed training range), grid
steps, whole numbers for ``integer`` columns, sum-to-one groups (renormalised in float64).

Conditioning has two forms:

- **table mode** (CTGAN's conditional vector): one block of one-hot per discrete column; a row's
  vector names one (column, level) or none. The generator *copies* a named level into its output
  (``override``), so conditional samples hit the requested level in 100 % of rows;
- **experiment mode** (``conditions=[...]``): the condition vector holds network features
  (standardised numbers, one-hot levels) followed by a *pass-through* copy that the generator
  places in front of its outcomes: one-hot levels, and each number scaled by a power of two
  and split into three float32 (hi, mid, lo) whose float64 sum restores every bit — decoded
  conditions equal the requested float64 values exactly.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from scigan.core.nets import OutputSpan
from scigan.domains.base import AbstractEncoder, Dataset, warn_extrapolation
from scigan.domains.tabular.schema import WIDE_COLUMNS, ColumnSpec, Schema
from scigan.errors import DataError

ALPHA_CLIP = 0.99
# Generator head for α. CTGAN uses tanh; under the WGAN critic a tanh head saturated and its
# gradient vanished (olympus_suzuki: every yield at one value, TSTR R² −3.7); a linear head
# (decoding clips α to [−1, 1]) keeps the gradient and gave 0.92 (benchmarks/RESULTS.md).
ALPHA_ACTIVATION = "identity"
PASSTHROUGH_SHIFT = 20  # condition copies are scaled by 2^-20 (see TabularEncoder.fit)
MODE_WEIGHT_EPS = 0.005  # CTGAN drops mixture components lighter than this
MISSING = "<missing>"  # the level that stands for an empty categorical cell


# ---------------------------------------------------------------------------- value parsing
def _show(x: float, spec: ColumnSpec) -> str:
    """A numeric value of ``spec``'s column for a message (datetimes as dates)."""
    if spec.kind == "datetime":
        return str(pd.Timestamp(float(x), unit="s"))
    return f"{float(x):.6g}"


def _show_gap(gap: float, spec: ColumnSpec) -> str:
    return f"{gap / 86400:.6g} days" if spec.kind == "datetime" else f"{gap:.6g}"


def numeric_values(series: pd.Series, spec: ColumnSpec, where: str) -> np.ndarray:
    """A column as float64 (NaN = missing); datetimes as seconds since 1970-01-01."""
    if spec.kind == "datetime":
        try:
            ts = pd.to_datetime(series, errors="raise")
        except (ValueError, TypeError) as exc:
            raise DataError(f"{where}: column '{spec.name}' is declared datetime: {exc}") from None
        return ((ts - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64)
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna().to_numpy() & series.notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: row {series.index[i]}, column '{spec.name}': {series.iloc[i]!r} is not a "
            "number; fix the cell, leave it empty, or declare the column categorical"
        )
    out = values.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(out)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise DataError(
            f"{where}: row {series.index[i]}, column '{spec.name}': infinite value; "
            "replace it with a number or leave the cell empty"
        )
    return out


def level_codes(series: pd.Series, spec: ColumnSpec, levels: list[Any], where: str) -> np.ndarray:
    """Index of each cell's level in ``levels`` (int64 (N,)); MISSING for empty cells."""
    lookup = {_key(v): i for i, v in enumerate(levels)}
    out = np.empty(len(series), dtype=np.int64)
    for i, v in enumerate(series.tolist()):
        if _is_missing(v):
            v = MISSING
        elif spec.kind == "boolean":
            v = _to_bool(v, spec.name, where, series.index[i])
        code = lookup.get(_key(v))
        if code is None:
            shown = ", ".join(str(x) for x in levels[:10]) + (" ..." if len(levels) > 10 else "")
            raise DataError(
                f"{where}: row {series.index[i]}, column '{spec.name}': unknown level {v!r}; "
                f"known levels: {shown}"
            )
        out[i] = code
    return out


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _key(v: Any) -> str:
    """Levels compare by their text, so 1, 1.0 and "1" name the same level."""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def _to_bool(v: Any, name: str, where: str, row: Any) -> bool:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    text = str(v).strip().lower()
    if text in ("true", "yes", "y", "t", "1", "1.0"):
        return True
    if text in ("false", "no", "n", "f", "0", "0.0"):
        return False
    raise DataError(f"{where}: row {row}, column '{name}': {v!r} is not a boolean (true/false)")


# ---------------------------------------------------------------------------- mode normaliser
@dataclass
class ModeNormalizer:
    """Mode-specific normalisation of one continuous column (CTGAN §4.2).

    Attributes:
        means, stds, weights: the kept mixture components (original units).
    """

    means: np.ndarray
    stds: np.ndarray
    weights: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, *, max_modes: int = 10, seed: int = 0) -> ModeNormalizer:
        """Fit a Dirichlet-process Gaussian mixture to finite values ``x`` (N,)."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import BayesianGaussianMixture
        from threadpoolctl import threadpool_limits

        x = np.asarray(x, dtype=np.float64)
        centre, scale = float(np.mean(x)), float(np.std(x))
        if len(x) == 0:
            return cls(np.zeros(1), np.ones(1), np.ones(1))
        if scale <= 1e-12 * max(1.0, abs(centre)) or len(np.unique(x)) < 2:
            return cls(np.array([centre]), np.array([max(abs(centre), 1.0) * 1e-6]), np.ones(1))
        if max_modes == 1:  # a single Gaussian: plain standardisation (α clipped at ±3.96 σ)
            return cls(np.array([centre]), np.array([scale]), np.ones(1))
        z = (x - centre) / scale  # the mixture is fitted in standard units (reg_covar is absolute)
        k = int(min(max_modes, len(np.unique(x)), len(x)))
        bgm = BayesianGaussianMixture(
            n_components=k,
            weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=1e-3,
            max_iter=100,
            n_init=1,
            random_state=seed,
        )
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            bgm.fit(z.reshape(-1, 1))
        keep = bgm.weights_ > MODE_WEIGHT_EPS
        if not keep.any():
            keep = bgm.weights_ == bgm.weights_.max()
        means = bgm.means_[keep, 0] * scale + centre
        stds = np.sqrt(bgm.covariances_[keep].reshape(-1)) * scale
        weights = bgm.weights_[keep] / bgm.weights_[keep].sum()
        order = np.argsort(means)
        return cls(means[order], stds[order], weights[order])

    @property
    def n_modes(self) -> int:
        return len(self.means)

    def modes(self, x: np.ndarray) -> np.ndarray:
        """Posterior-argmax component of each value among those that cover it, (N,) int64.

        A component covers x when |x − μ_k| ≤ 0.99 · 4σ_k, so α needs no clipping and the
        encoding is exactly invertible; a value no component covers takes the nearest in σ.
        """
        z = (x[:, None] - self.means[None, :]) / self.stds[None, :]  # (N, K)
        logp = np.log(self.weights)[None, :] - np.log(self.stds)[None, :] - 0.5 * z**2
        covered = np.abs(z) <= 4.0 * ALPHA_CLIP
        best = np.where(covered, logp, -np.inf).argmax(axis=1)
        return np.where(covered.any(axis=1), best, np.abs(z).argmin(axis=1))

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values (N,) → (α (N,), one-hot β (N, K))."""
        k = self.modes(x)
        alpha = np.clip((x - self.means[k]) / (4.0 * self.stds[k]), -ALPHA_CLIP, ALPHA_CLIP)
        return alpha, np.eye(self.n_modes)[k]

    def decode(self, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """(α (N,), mode scores (N, K)) → values (N,)."""
        k = beta.argmax(axis=1)
        return np.clip(alpha, -1.0, 1.0) * 4.0 * self.stds[k] + self.means[k]

    def state_dict(self) -> dict[str, list[float]]:
        return {
            "means": self.means.tolist(),
            "stds": self.stds.tolist(),
            "weights": self.weights.tolist(),
        }

    @classmethod
    def from_state(cls, s: Mapping[str, Any]) -> ModeNormalizer:
        return cls(*(np.asarray(s[k], dtype=np.float64) for k in ("means", "stds", "weights")))


def enforce_numeric(x: np.ndarray, spec: ColumnSpec, lo: float, hi: float) -> np.ndarray:
    """Bounds, grid step and whole numbers for one numeric column (NaN stays NaN)."""
    x = np.clip(x, lo, hi)
    if spec.step is not None:
        base = spec.low if spec.low is not None else 0.0
        x = base + np.round((x - base) / spec.step) * spec.step
        # A grid point just outside [lo, hi] moves one step inwards.
        x = np.where(x > hi + 1e-12, x - spec.step, x)
        x = np.where(x < lo - 1e-12, x + spec.step, x)
    if spec.kind == "integer":
        x = np.round(x)
        x = np.where(x > hi, np.floor(hi), np.where(x < lo, np.ceil(lo), x))
    return x


def split_exact(x: np.ndarray, exponent: int) -> np.ndarray:
    """float64 (N,) → (N, 3) float32 (hi, mid, lo) with (hi + mid + lo) · 2^exponent == x.

    x · 2^-exponent is exact (a power of two); hi takes its leading 24 bits, mid the next 24,
    lo the last 5, so the float64 sum reconstructs every bit (for values above ~1e-12 of the
    column's largest magnitude; smaller residuals would underflow float32 after the 2^-20
    shift).
    """
    y = np.ldexp(np.asarray(x, dtype=np.float64), -exponent)
    hi = y.astype(np.float32)
    r = y - hi.astype(np.float64)
    mid = r.astype(np.float32)
    lo = (r - mid.astype(np.float64)).astype(np.float32)
    return np.stack([hi, mid, lo], axis=1)


def join_exact(parts: np.ndarray, exponent: int) -> np.ndarray:
    p = np.asarray(parts, dtype=np.float32).astype(np.float64)
    return np.ldexp((p[:, 0] + p[:, 1]) + p[:, 2], exponent)


# ---------------------------------------------------------------------------- the encoder
class TabularEncoder(AbstractEncoder):
    """Fits on a :class:`~scigan.domains.tabular.data.TabularDataset`; see the module docstring.

    Args:
        max_modes: mixture components per continuous column (CTGAN: 10).
        seed: seed of the mixture fits.
    """

    def __init__(self, *, max_modes: int = 10, seed: int = 0) -> None:
        self.max_modes = max_modes
        self.seed = seed
        self.schema_: Schema | None = None
        self.columns_: dict[str, dict[str, Any]] = {}
        self.normalizers_: dict[str, ModeNormalizer] = {}
        # A wide table's critic (nets.build_discriminator); saved, so that a run written before
        # the rule existed (no key: False) is rebuilt with the critic it was trained with.
        self.wide_ = False

    # ------------------------------------------------------------------ fitting
    def fit(self, dataset: Dataset) -> TabularEncoder:
        schema: Schema = dataset.schema
        train: pd.DataFrame = dataset.train
        where = dataset.name
        self.schema_ = schema
        self.columns_, self.normalizers_ = {}, {}
        self.wide_ = len(schema.columns) > WIDE_COLUMNS
        grouped = {c for g in schema.sum_groups for c in g["columns"]}
        conditions = set(schema.conditions)  # a set: tables may have thousands of columns
        for spec in schema.columns:
            col = train[spec.name]
            role = "condition" if spec.name in conditions else "generated"
            entry: dict[str, Any] = {"role": role}
            if spec.discrete:
                levels = list(spec.categories)
                codes = level_codes(col, spec, [*levels, MISSING], where)
                if entry["role"] == "condition" and (codes == len(levels)).any():
                    self._missing_condition(col, spec.name, where)
                if (codes == len(levels)).any():
                    levels = [*levels, MISSING]
                entry["levels"] = levels
            else:
                x = numeric_values(col, spec, where)
                finite = x[np.isfinite(x)]
                if len(finite) == 0:
                    raise DataError(f"{where}: column '{spec.name}' has no values; drop it")
                entry["observed"] = [float(finite.min()), float(finite.max())]
                entry["missing"] = bool(np.isnan(x).any())
                if entry["role"] == "condition":
                    if entry["missing"]:
                        self._missing_condition(col, spec.name, where)
                    entry["mean"], entry["std"] = float(finite.mean()), float(finite.std()) or 1.0
                    # A power of two (exact scaling) that brings the column's magnitudes to about
                    # 2^-20: the copy then adds next to nothing to the engine's sample-diversity
                    # check, which so still sees a collapse of the outcomes.
                    entry["exponent"] = int(np.frexp(np.abs(finite).max())[1]) + PASSTHROUGH_SHIFT
                elif spec.name not in grouped:
                    self.normalizers_[spec.name] = ModeNormalizer.fit(
                        finite, max_modes=self.max_modes, seed=self.seed
                    )
            self.columns_[spec.name] = entry
        return self

    @staticmethod
    def _missing_condition(col: pd.Series, name: str, where: str) -> None:
        row = col.index[int(np.flatnonzero(col.isna().to_numpy())[0])]
        raise DataError(
            f"{where}: row {row}, condition column '{name}' is empty; conditions must be known "
            "for every experiment — fill it or drop such rows with --set missing=drop"
        )

    # ------------------------------------------------------------------ layout
    @property
    def experiment(self) -> bool:
        return self.schema_.experiment

    def _groups(self) -> list[dict[str, Any]]:
        return [
            g for g in self.schema_.sum_groups if g["columns"][0] not in self.schema_.conditions
        ]

    def _generated_blocks(self) -> list[tuple[str, list[str], list[OutputSpan]]]:
        """(kind, columns, spans) per generated block, in output order."""
        grouped = {c: g for g in self._groups() for c in g["columns"]}
        blocks, done = [], set()
        for spec in self.schema_.columns:
            entry = self.columns_[spec.name]
            if entry["role"] == "condition" or spec.name in done:
                continue
            if spec.name in grouped:
                cols = grouped[spec.name]["columns"]
                blocks.append(("simplex", cols, [OutputSpan(len(cols), "softmax")]))
                done |= set(cols)
            elif spec.discrete:
                blocks.append(("onehot", [spec.name], [OutputSpan(len(entry["levels"]), "gumbel")]))
            else:
                spans = [
                    OutputSpan(1, ALPHA_ACTIVATION),
                    OutputSpan(self.normalizers_[spec.name].n_modes, "gumbel"),
                ]
                if entry["missing"]:
                    spans.append(OutputSpan(2, "gumbel"))
                blocks.append(("mode", [spec.name], spans))
        return blocks

    def _condition_specs(self) -> list[ColumnSpec]:
        return [self.schema_.column(c) for c in self.schema_.conditions]

    @property
    def feature_dim(self) -> int:
        """Width of the condition features the networks read."""
        if self.experiment:
            return sum(
                len(self.columns_[s.name]["levels"]) if s.discrete else 1
                for s in self._condition_specs()
            )
        return sum(d for _, _, d in self.override_blocks())

    @property
    def passthrough_dim(self) -> int:
        """Width of the exact condition copy at the front of the generator output."""
        if not self.experiment:
            return 0
        return sum(
            len(self.columns_[s.name]["levels"]) if s.discrete else 3
            for s in self._condition_specs()
        )

    @property
    def cond_dim(self) -> int:
        return self.feature_dim + self.passthrough_dim

    def generated_spans(self) -> list[OutputSpan]:
        return [s for _, _, spans in self._generated_blocks() for s in spans]

    def output_spans(self) -> list[OutputSpan]:
        p = self.passthrough_dim
        return ([OutputSpan(p, "identity")] if p else []) + self.generated_spans()

    def override_blocks(self) -> list[tuple[int, int, int]]:
        """Table mode: (start in the condition vector, start in the generated output, width)."""
        if self.experiment:
            return []
        out, c_start, o_start = [], 0, 0
        for kind, _cols, spans in self._generated_blocks():
            width = sum(s.dim for s in spans)
            if kind == "onehot":
                out.append((c_start, o_start, width))
                c_start += width
            o_start += width
        return out

    def discrete_generated(self) -> list[str]:
        """Table mode: the columns a condition vector can name, in block order."""
        return [cols[0] for kind, cols, _ in self._generated_blocks() if kind == "onehot"]

    # ------------------------------------------------------------------ encode / decode
    def encode(self, samples: Any) -> Tensor:
        df = self._frame(samples, self.schema_.names, "samples")
        parts = []
        if self.experiment:
            parts.append(self._encode_conditions(df, passthrough_only=True))
        for kind, cols, _spans in self._generated_blocks():
            if kind == "simplex":
                x = np.stack(
                    [numeric_values(df[c], self.schema_.column(c), "samples") for c in cols], 1
                )
                if np.isnan(x).any():
                    raise DataError(f"samples: sum_to_one columns {cols} must not be empty")
                total = x.sum(axis=1, keepdims=True)
                parts.append(x / np.where(total > 0, total, 1.0))
            elif kind == "onehot":
                spec = self.schema_.column(cols[0])
                levels = self.columns_[spec.name]["levels"]
                codes = level_codes(df[spec.name], spec, levels, "samples")
                parts.append(np.eye(len(levels))[codes])
            else:
                spec = self.schema_.column(cols[0])
                x = numeric_values(df[spec.name], spec, "samples")
                missing = np.isnan(x)
                if missing.any() and not self.columns_[spec.name]["missing"]:
                    self._missing_generated(df[spec.name], spec.name)
                norm = self.normalizers_[spec.name]
                fill = np.where(missing, norm.means[norm.weights.argmax()], x)
                alpha, beta = norm.encode(fill)
                parts += [alpha[:, None], beta]
                if self.columns_[spec.name]["missing"]:
                    parts.append(np.stack([~missing, missing], axis=1).astype(np.float64))
        return torch.from_numpy(np.concatenate(parts, axis=1).astype(np.float32))

    @staticmethod
    def _missing_generated(col: pd.Series, name: str) -> None:
        row = col.index[int(np.flatnonzero(col.isna().to_numpy())[0])]
        raise DataError(
            f"samples: row {row}, column '{name}' is empty but the training data had no empty "
            "cells there; fill it"
        )

    def decode(self, x: Tensor) -> pd.DataFrame:
        arr = x.detach().cpu().numpy().astype(np.float64)
        out: dict[str, Any] = {}
        start = 0
        if self.experiment:
            for spec in self._condition_specs():
                entry = self.columns_[spec.name]
                if spec.discrete:
                    k = len(entry["levels"])
                    codes = arr[:, start : start + k].argmax(axis=1)
                    out[spec.name] = self._levels_to_values(spec, entry["levels"], codes)
                    start += k
                else:
                    v = join_exact(arr[:, start : start + 3], entry["exponent"])
                    out[spec.name] = self._numeric_to_values(spec, v)
                    start += 3
        for kind, cols, spans in self._generated_blocks():
            width = sum(s.dim for s in spans)
            block = arr[:, start : start + width]
            start += width
            if kind == "simplex":
                g = next(g for g in self._groups() if g["columns"] == cols)
                p = np.clip(block, 0.0, None)
                s = p.sum(axis=1, keepdims=True)
                p = np.where(s > 0, p / np.where(s > 0, s, 1.0), 1.0 / len(cols)) * g["total"]
                for i, c in enumerate(cols):
                    out[c] = p[:, i]
            elif kind == "onehot":
                spec = self.schema_.column(cols[0])
                levels = self.columns_[spec.name]["levels"]
                out[spec.name] = self._levels_to_values(spec, levels, block.argmax(axis=1))
            else:
                spec = self.schema_.column(cols[0])
                entry = self.columns_[spec.name]
                norm = self.normalizers_[spec.name]
                v = norm.decode(block[:, 0], block[:, 1 : 1 + norm.n_modes])
                lo, hi = self.bounds(spec.name)
                v = enforce_numeric(v, spec, lo, hi)
                if entry["missing"]:
                    v = np.where(block[:, 1 + norm.n_modes :].argmax(axis=1) == 1, np.nan, v)
                out[spec.name] = self._numeric_to_values(spec, v)
        return pd.DataFrame({name: out[name] for name in self.schema_.names})

    def bounds(self, name: str) -> tuple[float, float]:
        """Hard range of a numeric column: declared bounds, else the observed training range."""
        spec = self.schema_.column(name)
        obs = self.columns_[name].get("observed", [-np.inf, np.inf])
        lo = spec.low if spec.low is not None else obs[0]
        hi = spec.high if spec.high is not None else obs[1]
        return float(lo), float(hi)

    @staticmethod
    def _levels_to_values(spec: ColumnSpec, levels: list[Any], codes: np.ndarray) -> Any:
        values = [None if levels[i] == MISSING else levels[i] for i in codes]
        if spec.kind == "boolean" and MISSING not in levels:
            return np.array(values, dtype=bool)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in levels):
            return np.array(values, dtype=np.int64)
        return pd.array(values, dtype=object) if any(v is None for v in values) else values

    @staticmethod
    def _numeric_to_values(spec: ColumnSpec, v: np.ndarray) -> Any:
        if spec.kind == "datetime":
            return pd.to_datetime(np.round(v), unit="s")
        if spec.kind == "integer":
            if np.isnan(v).any():
                return pd.array(np.where(np.isnan(v), 0, v).astype(np.int64), dtype="Int64").where(
                    ~np.isnan(v), pd.NA
                )
            return v.astype(np.int64)
        return v

    # ------------------------------------------------------------------ conditions
    def encode_conditions(self, conditions: Any) -> Tensor | None:
        if conditions is None:
            return None
        if self.cond_dim == 0:
            raise DataError("this model has no conditions (no categorical column); remove them")
        if self.experiment:
            df = self._frame(conditions, self.schema_.conditions, "conditions")
            encoded = self._encode_conditions(df)
            self._warn_extrapolation(df)
            return torch.from_numpy(encoded.astype(np.float32))
        return torch.from_numpy(self._table_condition_vector(conditions).astype(np.float32))

    def _warn_extrapolation(self, df: pd.DataFrame) -> None:
        """An :class:`ExtrapolationWarning` per numeric condition with values outside the
        observed training range, naming the farthest value and by how much it lies outside.

        Only where the design space is the training range: a declared bound is hard
        (violations are errors, see ``_check_condition``) and a sum-to-one group's design
        space is its simplex, so values inside those are the user's stated range, not an
        extrapolation to warn about.
        """
        grouped = {c for g in self.schema_.sum_groups for c in g["columns"]}
        for spec in self._condition_specs():
            if spec.discrete or spec.name in grouped:
                continue
            lo, hi = self.columns_[spec.name]["observed"]
            v = numeric_values(df[spec.name], spec, "conditions")
            below = np.maximum(lo - v, 0.0) if spec.low is None else np.zeros_like(v)
            above = np.maximum(v - hi, 0.0) if spec.high is None else np.zeros_like(v)
            warn_extrapolation(
                spec.name,
                v,
                lo,
                hi,
                gap=np.maximum(below, above),
                fmt=lambda x, spec=spec: _show(x, spec),
                fmt_gap=lambda x, spec=spec: _show_gap(x, spec),
                consequence="treat its outcomes as a guess",
            )

    def _encode_conditions(self, df: pd.DataFrame, *, passthrough_only: bool = False) -> np.ndarray:
        feats, passthrough = [], []
        for spec in self._condition_specs():
            entry = self.columns_[spec.name]
            if spec.discrete:
                codes = level_codes(df[spec.name], spec, entry["levels"], "conditions")
                onehot = np.eye(len(entry["levels"]))[codes]
                feats.append(onehot)
                passthrough.append(onehot)
            else:
                v = numeric_values(df[spec.name], spec, "conditions")
                if np.isnan(v).any():
                    self._missing_condition(df[spec.name], spec.name, "conditions")
                self._check_condition(spec, v, df[spec.name])
                z = (v - entry["mean"]) / entry["std"]
                feats.append(z[:, None])
                passthrough.append(split_exact(v, entry["exponent"]))
        self._check_condition_groups(df)
        if passthrough_only:
            return np.concatenate(passthrough, axis=1)
        return np.concatenate(feats + passthrough, axis=1)

    def _check_condition(self, spec: ColumnSpec, v: np.ndarray, col: pd.Series) -> None:
        """Requested conditions must satisfy the declared constraints (they are copied)."""
        lo = -np.inf if spec.low is None else spec.low
        hi = np.inf if spec.high is None else spec.high
        bad = (v < lo) | (v > hi)
        if spec.kind == "integer":
            bad |= v != np.round(v)
        if spec.step is not None:
            base = spec.low if spec.low is not None else 0.0
            k = (v - base) / spec.step
            bad |= np.abs(k - np.round(k)) > 1e-9
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"conditions: row {col.index[i]}, column '{spec.name}': {float(v[i])!r} "
                f"violates the declared constraint (low {spec.low}, high {spec.high}, "
                f"step {spec.step}, {spec.kind}); request a value inside the design space"
            )

    def _check_condition_groups(self, df: pd.DataFrame) -> None:
        for g in self.schema_.sum_groups:
            if g["columns"][0] not in self.schema_.conditions:
                continue
            x = np.stack(
                [numeric_values(df[c], self.schema_.column(c), "conditions") for c in g["columns"]],
                1,
            )
            bad = (np.abs(x.sum(axis=1) - g["total"]) > 1e-6 * g["total"]) | (x < 0).any(axis=1)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"conditions: row {df.index[i]}: {g['columns']} must be >= 0 and sum to "
                    f"{g['total']}, got sum {float(x[i].sum())!r}"
                )

    def _table_condition_vector(self, conditions: Any) -> np.ndarray:
        names = self.discrete_generated()
        if isinstance(conditions, Mapping):
            conditions = pd.DataFrame(dict(conditions))
        if not isinstance(conditions, pd.DataFrame):
            raise DataError("conditions must be a DataFrame (one row per sample) or a mapping")
        unknown = [c for c in conditions.columns if c not in names]
        if unknown:
            hint = (
                "; continuous conditions need experiment mode (--set conditions=[...])"
                if any(c in self.schema_.names for c in unknown)
                else ""
            )
            raise DataError(
                f"conditions: cannot condition on {unknown}; this model conditions on the "
                f"categorical columns {names}{hint}"
            )
        blocks = []
        for name in names:
            levels = self.columns_[name]["levels"]
            block = np.zeros((len(conditions), len(levels)))
            if name in conditions.columns:
                col = conditions[name]
                given = col.notna().to_numpy()
                if given.any():
                    spec = self.schema_.column(name)
                    codes = level_codes(col[given], spec, levels, "conditions")
                    block[np.flatnonzero(given), codes] = 1.0
            blocks.append(block)
        return np.concatenate(blocks, axis=1)

    @staticmethod
    def _frame(data: Any, columns: Sequence[str], what: str) -> pd.DataFrame:
        if isinstance(data, Mapping):
            data = pd.DataFrame({k: list(v) for k, v in data.items()})
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"{what} must be a DataFrame with columns {list(columns)}")
        missing = [c for c in columns if c not in data.columns]
        if missing:
            raise DataError(f"{what}: missing column(s) {missing}; expected {list(columns)}")
        return data.reset_index(drop=True)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        return {
            "max_modes": self.max_modes,
            "seed": self.seed,
            "schema": self.schema_.to_dict(),
            "columns": self.columns_,
            "normalizers": {k: v.state_dict() for k, v in self.normalizers_.items()},
            "wide": self.wide_,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.max_modes = int(state["max_modes"])
        self.seed = int(state["seed"])
        self.schema_ = Schema.from_dict(state["schema"])
        self.columns_ = {k: dict(v) for k, v in state["columns"].items()}
        self.normalizers_ = {
            k: ModeNormalizer.from_state(v) for k, v in state["normalizers"].items()
        }
        self.wide_ = bool(state.get("wide", False))
