"""Report figures: marginals, association heatmaps (real vs synthetic), measured vs predicted.

:func:`table_figures` compares generated rows with the real table; :func:`model_figures` queries
a fitted experiment-mode model (its predicted response surface). Figures are built with
``matplotlib.figure.Figure`` (no pyplot state).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scigan.domains.tabular.experiments import ExperimentModel, response_surface_figure
from scigan.domains.tabular.metrics import _labels, _numeric
from scigan.domains.tabular.schema import Schema

_MAX_MARGINALS = 16


def association_matrix(df: pd.DataFrame, schema: Schema) -> np.ndarray:
    """Pairwise association: Pearson r for numbers, Cramér's V / correlation ratio otherwise."""
    cols = schema.columns
    k = len(cols)
    out = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            out[i, j] = out[j, i] = _association(df, cols[i], cols[j])
    return out


def _association(df: pd.DataFrame, a, b) -> float:
    if not a.discrete and not b.discrete:
        x, y = _numeric(df, a.name), _numeric(df, b.name)
        ok = ~(np.isnan(x) | np.isnan(y))
        if ok.sum() < 3 or x[ok].std() == 0 or y[ok].std() == 0:
            return 0.0
        return float(np.corrcoef(x[ok], y[ok])[0, 1])
    if a.discrete and b.discrete:
        table = pd.crosstab(_labels(df, a.name), _labels(df, b.name)).to_numpy(dtype=float)
        n = table.sum()
        if n == 0 or min(table.shape) < 2:
            return 0.0
        expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
        chi2 = float(((table - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
        return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
    cat, num = (a, b) if a.discrete else (b, a)
    y, g = _numeric(df, num.name), _labels(df, cat.name)
    ok = ~np.isnan(y)
    y, g = y[ok], g[ok]
    if len(y) < 3 or y.var() == 0:
        return 0.0
    between = sum((g == v).sum() * (y[g == v].mean() - y.mean()) ** 2 for v in np.unique(g))
    return float(np.sqrt(between / (len(y) * y.var())))  # correlation ratio η


def table_figures(generated: pd.DataFrame, reference: Any) -> dict[str, Any]:
    """Marginals, association heatmaps and (experiment mode) outcome against each numeric
    condition, real vs generated: title → Figure."""
    from matplotlib.figure import Figure

    schema: Schema = reference.schema
    real = pd.concat([reference.train, reference.holdout])
    figs: dict[str, Any] = {}
    cols = schema.columns[:_MAX_MARGINALS]
    ncol = 4
    nrow = int(np.ceil(len(cols) / ncol))
    fig = Figure(figsize=(3.2 * ncol, 2.4 * nrow), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    for ax, spec in zip(axes, cols, strict=False):
        if spec.discrete:
            lr, lg = _labels(real, spec.name), _labels(generated, spec.name)
            levels = sorted(set(lr) | set(lg))
            pos = np.arange(len(levels))
            ax.bar(pos - 0.2, [(lr == v).mean() for v in levels], 0.4, label="real")
            ax.bar(pos + 0.2, [(lg == v).mean() for v in levels], 0.4, label="synthetic")
            ax.set_xticks(pos, levels, rotation=45, fontsize=6)
        else:
            xr, xg = _numeric(real, spec.name), _numeric(generated, spec.name)
            xr, xg = xr[~np.isnan(xr)], xg[~np.isnan(xg)]
            edges = np.histogram_bin_edges(np.concatenate([xr, xg]), bins=25)
            ax.hist(xr, edges, density=True, alpha=0.5, label="real")
            ax.hist(xg, edges, density=True, alpha=0.5, label="synthetic")
        ax.set_title(spec.name, fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in axes[len(cols) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=6)
    figs[f"Marginals: real (N={len(real)}) vs synthetic (N={len(generated)})"] = fig

    names = [c.name for c in schema.columns]
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    axes = fig.subplots(1, 3)
    mats = [association_matrix(real, schema), association_matrix(generated, schema)]
    mats.append(np.abs(mats[0] - mats[1]))
    titles = ("real", "synthetic", "|difference|")
    for ax, mat, title in zip(axes, mats, titles, strict=True):
        im = ax.imshow(mat, vmin=-1 if title != "|difference|" else 0, vmax=1, cmap="coolwarm")
        ax.set_title(title, fontsize=9)
        ticks = np.arange(len(names)) if len(names) <= 20 else []
        ax.set_xticks(ticks, [names[i] for i in ticks], rotation=90, fontsize=6)
        ax.set_yticks(ticks, [names[i] for i in ticks], fontsize=6)
    fig.colorbar(im, ax=axes, shrink=0.7)
    figs["Associations (Pearson r, Cramér's V, correlation ratio)"] = fig

    if schema.experiment and not schema.column(schema.target).discrete:
        conds = [c for c in schema.conditions if not schema.column(c).discrete][:4]
        if conds:
            fig = Figure(figsize=(3.4 * len(conds), 3.0), layout="constrained")
            axes = np.atleast_1d(fig.subplots(1, len(conds)))
            for ax, c in zip(axes, conds, strict=True):
                ax.scatter(_numeric(generated, c), _numeric(generated, schema.target), s=4,
                           alpha=0.3, label="synthetic")  # fmt: skip
                ax.scatter(_numeric(real, c), _numeric(real, schema.target), s=10, c="k",
                           label="measured")  # fmt: skip
                ax.set_xlabel(c, fontsize=8)
                ax.set_ylabel(schema.target, fontsize=8)
            axes[0].legend(fontsize=6)
            figs[f"Outcome {schema.target} against each condition: measured vs synthetic"] = fig
    return figs


def model_figures(model: ExperimentModel) -> dict[str, Any]:
    """Experiment mode with a numeric condition and a numeric target: the predicted response
    surface against the measured experiments (title → Figure); otherwise none."""
    schema = model.encoder_.schema_
    numeric = [c for c in schema.conditions if not schema.column(c).discrete]
    if not schema.experiment or not numeric or schema.column(schema.target).discrete:
        return {}
    fig = response_surface_figure(model, draws=50)
    return {f"Predicted response surface of {schema.target} vs measured experiments": fig}
