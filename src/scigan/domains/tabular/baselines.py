"""Baselines behind the Synthesizer's calls: a Gaussian copula and a TVAE-style VAE (own code).

Both take the same data and options as the GAN (``options={"conditions": [...], ...}``), hold
out the same seeded rows, honour conditions the same way (copied into every row) and are judged
by the same :func:`~scigan.domains.tabular.metrics.evaluate_table`::

    cop = GaussianCopula(seed=0).fit("suzuki_case_1")
    rows = cop.sample(100, seed=1, conditions=frame_of_conditions)
    cop.evaluate()["metrics"]["tstr"]

- :class:`GaussianCopula` (Nelsen 2006; the SDV baseline of Patki et al. 2016): empirical
  marginals (mid-rank CDF, linear-interpolated quantiles; categorical levels as frequency-ordered
  intervals of [0, 1]) joined by a Gaussian copula. Conditions enter by Gaussian conditioning
  on their normal scores.
- :class:`TVAE` (Xu et al. 2019, §5): a VAE on the mode-specific-normalised representation with
  a Gaussian likelihood (learned σ) for the α values and cross-entropy for modes and levels;
  conditions are fed to encoder and decoder (a conditional VAE).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy.stats import norm
from torch import Tensor, nn

from scigan.domains.tabular.data import TabularDataset, load_table
from scigan.domains.tabular.encoding import (
    TabularEncoder,
    enforce_numeric,
    level_codes,
    numeric_values,
)
from scigan.domains.tabular.metrics import evaluate_table
from scigan.errors import ConfigError, DataError


class TableModel(abc.ABC):
    """Shared estimator plumbing: data loading, condition checks, evaluation.

    Args:
        seed: seeds the hold-out split, the fit and (by default) sampling.
        options: tabular data options (conditions, outcomes, schema, holdout, ...).

    Attributes:
        dataset_: the loaded table with its hold-out (None until ``fit``).
        encoder_: the fitted encoder: levels, bounds, types (None until ``fit``).
    """

    def __init__(self, *, seed: int = 0, options: Mapping[str, Any] | None = None) -> None:
        self.seed = seed
        self.options = options
        self.dataset_: TabularDataset | None = None
        self.encoder_: TabularEncoder | None = None

    max_modes: int = 10  # mixture components per continuous column in the encoder

    def fit(self, data: Any) -> TableModel:
        """Fit on a registered name, a CSV/Parquet path or a DataFrame; returns self."""
        from threadpoolctl import threadpool_limits

        self.dataset_ = load_table(data, options=self.options or {}, seed=self.seed)
        self.encoder_ = TabularEncoder(max_modes=self.max_modes, seed=self.seed).fit(self.dataset_)
        with threadpool_limits(limits=1):  # small problems; see TabularDomain.evaluate
            self._fit(self.dataset_)
        return self

    def _check_fitted(self) -> None:
        if self.dataset_ is None:
            raise ConfigError(f"this {type(self).__name__} is not fitted yet; call fit(data)")

    def sample(self, n: int, *, seed: int | None = None, conditions: Any = None) -> pd.DataFrame:
        """``n`` rows; ``conditions`` as for ``Synthesizer.sample`` (a frame of n rows)."""
        self._check_fitted()
        if not isinstance(n, int | np.integer) or n < 1:
            raise ConfigError(f"n must be a positive integer, got {n!r}")
        if conditions is not None:
            self.encoder_.encode_conditions(conditions)  # validates names, levels, constraints
            conditions = pd.DataFrame(conditions).reset_index(drop=True)
            if len(conditions) != n:
                raise DataError(f"conditions must describe {n} rows, got {len(conditions)}")
        rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
        return self._sample(int(n), rng, conditions)

    def evaluate(self, n: int = 1000, *, seed: int = 0) -> dict[str, Any]:
        """The tabular metrics against this model's hold-out (as ``Synthesizer.evaluate``)."""
        from threadpoolctl import threadpool_limits

        self._check_fitted()
        with threadpool_limits(limits=1):
            metrics = evaluate_table(
                lambda k, c, s: self.sample(k, seed=s, conditions=c), self.dataset_, n=n, seed=seed
            )
        return {"n": n, "seed": seed, "metrics": metrics}

    @abc.abstractmethod
    def _fit(self, ds: TabularDataset) -> None: ...

    @abc.abstractmethod
    def _sample(
        self, n: int, rng: np.random.Generator, conditions: pd.DataFrame | None
    ) -> pd.DataFrame: ...


# ---------------------------------------------------------------------------- Gaussian copula
class GaussianCopula(TableModel):
    """Empirical marginals + Gaussian copula; see the module docstring."""

    max_modes = 1  # the encoder only supplies levels, bounds and types here

    def _fit(self, ds: TabularDataset) -> None:
        schema, train = ds.schema, ds.train
        self.marginals_: list[dict[str, Any]] = []
        scores = []
        for spec in schema.columns:
            if spec.discrete:
                levels = self.encoder_.columns_[spec.name]["levels"]
                codes = level_codes(train[spec.name], spec, levels, ds.name)
                freq = np.bincount(codes, minlength=len(levels)) / len(codes)
                order = np.argsort(-freq, kind="stable")  # frequent levels first (RDT-style)
                upper = np.cumsum(freq[order])
                lower = upper - freq[order]
                rank = np.empty(len(levels), dtype=np.int64)
                rank[order] = np.arange(len(levels))
                mid = (lower + upper)[rank[codes]] / 2
                self.marginals_.append(
                    {"name": spec.name, "levels": levels, "order": order, "upper": upper}
                )
                scores.append(norm.ppf(np.clip(mid, 1e-6, 1 - 1e-6)))
            else:
                x = numeric_values(train[spec.name], spec, ds.name)
                miss = np.isnan(x)
                values = np.sort(x[~miss])
                self.marginals_.append(
                    {"name": spec.name, "values": values, "missing": float(miss.mean())}
                )
                u = _ecdf(values, np.where(miss, np.nanmedian(x), x))
                scores.append(norm.ppf(u))
        z = np.stack(scores, axis=1)  # (N, C)
        corr = np.corrcoef(z, rowvar=False) if z.shape[1] > 1 else np.ones((1, 1))
        corr = np.nan_to_num(corr, nan=0.0)
        np.fill_diagonal(corr, 1.0)
        w, v = np.linalg.eigh(0.99 * corr + 0.01 * np.eye(len(corr)))  # shrink: well-posed
        self.corr_ = (v * np.clip(w, 1e-6, None)) @ v.T

    def _scores_of(self, conditions: pd.DataFrame, names: list[str]) -> np.ndarray:
        """Normal scores of given condition values (levels: their interval's midpoint)."""
        schema = self.dataset_.schema
        out = []
        index = {c: i for i, c in enumerate(schema.names)}
        for name in names:
            m = self.marginals_[index[name]]
            spec = schema.column(name)
            if spec.discrete:
                codes = level_codes(conditions[name], spec, m["levels"], "conditions")
                rank = np.empty(len(m["levels"]), dtype=np.int64)
                rank[m["order"]] = np.arange(len(m["levels"]))
                upper = m["upper"][rank[codes]]
                lower = upper - np.diff(np.concatenate([[0.0], m["upper"]]))[rank[codes]]
                out.append(norm.ppf(np.clip((lower + upper) / 2, 1e-6, 1 - 1e-6)))
            else:
                x = numeric_values(conditions[name], spec, "conditions")
                out.append(norm.ppf(_ecdf(m["values"], x)))
        return np.stack(out, axis=1)

    def _sample(self, n, rng, conditions):
        schema = self.dataset_.schema
        c = len(schema.columns)
        if schema.experiment and conditions is None:
            pool = self.dataset_.train[schema.conditions]
            conditions = pool.iloc[rng.integers(len(pool), size=n)].reset_index(drop=True)
        given = []
        if conditions is not None:
            given = [x for x in conditions.columns if conditions[x].notna().all()]
        if given:
            # Gaussian conditioning: z_o | z_c ~ N(Σ_oc Σ_cc⁻¹ z_c, Σ_oo − Σ_oc Σ_cc⁻¹ Σ_co).
            index = {x: i for i, x in enumerate(schema.names)}
            ci = [index[x] for x in given]
            oi = sorted(set(range(c)) - set(ci))
            s_oc = self.corr_[np.ix_(oi, ci)]
            gain = np.linalg.solve(self.corr_[np.ix_(ci, ci)], s_oc.T).T
            cov = self.corr_[np.ix_(oi, oi)] - gain @ s_oc.T
            w, v = np.linalg.eigh((cov + cov.T) / 2)
            chol = v * np.sqrt(np.clip(w, 0, None))
            z = np.empty((n, c))
            z[:, ci] = self._scores_of(conditions, given)
            z[:, oi] = z[:, ci] @ gain.T + rng.standard_normal((n, len(oi))) @ chol.T
        else:
            z = rng.multivariate_normal(np.zeros(c), self.corr_, size=n, method="eigh")
        u = norm.cdf(z)
        out: dict[str, Any] = {}
        for spec, m, uj in zip(schema.columns, self.marginals_, u.T, strict=True):
            if spec.discrete:
                k = np.searchsorted(m["upper"], uj, side="right").clip(max=len(m["levels"]) - 1)
                out[spec.name] = [m["levels"][i] for i in m["order"][k]]
            else:
                x = np.interp(uj, (np.arange(len(m["values"])) + 0.5) / len(m["values"]),
                              m["values"])  # fmt: skip
                lo, hi = self.encoder_.bounds(spec.name)
                x = enforce_numeric(x, spec, lo, hi)
                if m["missing"] > 0:
                    x = np.where(rng.random(n) < m["missing"], np.nan, x)
                out[spec.name] = x
        return _finish(self.encoder_, pd.DataFrame(out), conditions)


def _ecdf(sorted_values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Mid-rank empirical CDF, linearly interpolated, inside (0, 1)."""
    n = len(sorted_values)
    grid = (np.arange(n) + 0.5) / n
    u = np.interp(x, sorted_values, grid)
    return np.clip(u, 0.5 / n, 1 - 0.5 / n)


def _finish(encoder: TabularEncoder, df: pd.DataFrame, conditions: Any) -> pd.DataFrame:
    """Sum-to-one groups, exact conditions, and the same column types as the GAN's output."""
    schema = encoder.schema_
    for g in schema.sum_groups:
        if g["columns"][0] in schema.conditions:
            continue
        x = np.clip(df[g["columns"]].to_numpy(dtype=np.float64), 0, None)
        s = x.sum(axis=1, keepdims=True)
        x = np.where(s > 0, x / np.where(s > 0, s, 1), 1 / len(g["columns"])) * g["total"]
        df[g["columns"]] = x
    out = {}
    for spec in schema.columns:
        col = df[spec.name]
        if conditions is not None and spec.name in conditions.columns and schema.experiment:
            out[spec.name] = conditions[spec.name].to_numpy()
            continue
        if conditions is not None and spec.name in conditions.columns:
            given = conditions[spec.name].notna().to_numpy()
            col = col.where(~given, conditions[spec.name].to_numpy())
        if spec.discrete:
            levels = encoder.columns_[spec.name]["levels"]
            codes = level_codes(col, spec, levels, "samples")
            out[spec.name] = encoder._levels_to_values(spec, levels, codes)
        else:
            out[spec.name] = encoder._numeric_to_values(spec, col.to_numpy(dtype=np.float64))
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------- TVAE
class _CVAE(nn.Module):
    """Encoder q(h | x, c) and decoder p(x | h, c) MLPs (Xu et al. 2019 TVAE, conditional)."""

    def __init__(self, x_dim: int, c_dim: int, latent: int, width: int) -> None:
        super().__init__()
        self.enc = nn.Sequential(
            nn.Linear(x_dim + c_dim, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU()
        )
        self.mu, self.logvar = nn.Linear(width, latent), nn.Linear(width, latent)
        self.dec = nn.Sequential(
            nn.Linear(latent + c_dim, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, x_dim),
        )
        self.log_sigma = nn.Parameter(torch.full((x_dim,), np.log(0.1), dtype=torch.float32))

    def forward(self, x: Tensor, c: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        h = self.enc(torch.cat([x, c], dim=1))
        mu, logvar = self.mu(h), self.logvar(h).clamp(-10, 10)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(torch.cat([z, c], dim=1)), mu, logvar


class TVAE(TableModel):
    """TVAE-style conditional VAE; see the module docstring.

    Args:
        steps: optimiser steps (batch ``batch_size``); TVAE's 300 epochs ≈ 300·N/500 steps.
        latent, width: latent size and hidden width (TVAE: 128, 128).
        loss_factor: weight of the reconstruction term (TVAE: 2).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        options: Mapping[str, Any] | None = None,
        steps: int = 2000,
        batch_size: int = 500,
        latent: int = 128,
        width: int = 128,
        lr: float = 1e-3,
        loss_factor: float = 2.0,
    ) -> None:
        super().__init__(seed=seed, options=options)
        self.steps = steps
        self.batch_size = batch_size
        self.latent = latent
        self.width = width
        self.lr = lr
        self.loss_factor = loss_factor

    def _blocks(self) -> list[tuple[str, int, int]]:
        """(activation, start, width) of each generated span (after the pass-through)."""
        out, start = [], 0
        for s in self.encoder_.generated_spans():
            out.append((s.activation, start, s.dim))
            start += s.dim
        return out

    def _fit(self, ds: TabularDataset) -> None:
        enc = self.encoder_
        p = enc.passthrough_dim
        x = enc.encode(ds.samples)[:, p:]  # (N, G) generated part only
        c = enc.encode_conditions(ds.conditions) if enc.cond_dim else torch.zeros(len(x), 0)
        c = c[:, : enc.feature_dim]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.net_ = _CVAE(x.shape[1], c.shape[1], self.latent, self.width)
            opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr, weight_decay=1e-5)
            blocks = self._blocks()
            for _ in range(self.steps):
                idx = torch.randint(len(x), (min(self.batch_size, len(x)),))
                xb, cb = x[idx], c[idx]
                out, mu, logvar = self.net_(xb, cb)
                rec = 0.0
                for act, s0, w in blocks:
                    if act in ("tanh", "identity"):  # α of a mode-normalised number
                        sig = self.net_.log_sigma[s0 : s0 + w].exp()
                        err = (xb[:, s0 : s0 + w] - torch.tanh(out[:, s0 : s0 + w])) ** 2
                        rec = rec + (err / (2 * sig**2)).sum() + torch.log(sig).sum() * len(xb)
                    elif act == "softmax":  # sum-to-one fractions: cross-entropy to the fractions
                        logp = F.log_softmax(out[:, s0 : s0 + w], dim=1)
                        rec = rec - (xb[:, s0 : s0 + w] * logp).sum()
                    else:
                        target = xb[:, s0 : s0 + w].argmax(dim=1)
                        rec = rec + F.cross_entropy(out[:, s0 : s0 + w], target, reduction="sum")
                kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum()
                loss = (self.loss_factor * rec + kl) / len(xb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                with torch.no_grad():
                    self.net_.log_sigma.clamp_(np.log(0.01), 0.0)
        self.net_.eval()

    def _sample(self, n, rng, conditions):
        enc, ds = self.encoder_, self.dataset_
        if conditions is None and enc.cond_dim:
            pool = ds.conditions
            pick = rng.integers(len(pool), size=n)
            cond = enc.encode_conditions(pool.iloc[pick].reset_index(drop=True))
        elif conditions is not None:
            cond = enc.encode_conditions(conditions)
        else:
            cond = torch.zeros(n, 0)
        feats, passthrough = cond[:, : enc.feature_dim], cond[:, enc.feature_dim :]
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(int(rng.integers(2**62)))
            h = torch.randn(n, self.latent)
            out = self.net_.dec(torch.cat([h, feats], dim=1))
            parts = []
            for act, s0, w in self._blocks():
                o = out[:, s0 : s0 + w]
                if act in ("tanh", "identity"):  # α of a mode-normalised number
                    sig = self.net_.log_sigma[s0 : s0 + w].exp()
                    parts.append(torch.tanh(o + sig * torch.randn_like(o)))
                elif act == "softmax":
                    parts.append(torch.softmax(o, dim=1))
                else:
                    k = torch.multinomial(torch.softmax(o, dim=1), 1).squeeze(1)
                    parts.append(F.one_hot(k, w).float())
            y = torch.cat(parts, dim=1) if parts else out[:, :0]
            for c0, o0, w in enc.override_blocks():  # table mode: a named level is kept exactly
                given = feats[:, c0 : c0 + w]
                named = given.sum(dim=1, keepdim=True).clamp(max=1.0)
                y[:, o0 : o0 + w] = named * given + (1 - named) * y[:, o0 : o0 + w]
        df = enc.decode(torch.cat([passthrough, y], dim=1))
        if conditions is not None and enc.experiment:
            for name in enc.schema_.conditions:
                df[name] = conditions[name].to_numpy()
        return df
