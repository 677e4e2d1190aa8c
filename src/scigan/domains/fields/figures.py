"""Report figures for fields: samples, spectra, histograms and profiles, real vs generated.

Drawn on bare :class:`matplotlib.figure.Figure` objects (no pyplot state). The report's
generated samples carry no conditions, so for conditional data (Ising T, calorimeter E) the
histograms pool all conditions — drawn with the training data's condition mix, they are
comparable to the pooled reference; per-condition comparisons are in the metric table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from scigan.domains.base import Dataset
from scigan.domains.fields import metrics as fm
from scigan.domains.fields.simulators import CALO_R_EDGES

_REAL, _GEN = "tab:blue", "tab:orange"


def make_figures(generated: np.ndarray, reference: Dataset) -> dict[str, Figure]:
    kind = reference.info.get("kind", "user")
    real = np.asarray(reference.samples)
    rng = np.random.default_rng(0)
    real = real[rng.permutation(len(real))[: max(len(generated), 1)]]
    figs: dict[str, Figure] = {}
    if generated.ndim == 4 and kind != "calo":
        figs["Samples: real (top) vs generated (bottom)"] = _image_grid(real, generated)
    if kind == "ising2d":
        figs["Energy and magnetisation per spin (all T pooled)"] = _ising_hists(real, generated)
        figs["Two-point function G(r) (all T pooled)"] = _two_point(real, generated)
    elif kind == "calo":
        figs["Calorimeter: profiles and energy response"] = _calo(real, generated, reference)
    elif generated.ndim == 4 and generated.shape[-1] == generated.shape[-2]:
        figs["Power spectrum and pixel histogram"] = _spectrum(real, generated)
    elif generated.ndim == 3:
        figs["Series: trajectories, values, autocorrelation"] = _series(real, generated)
    return figs


def _image_grid(real: np.ndarray, gen: np.ndarray, k: int = 6) -> Figure:
    k = min(k, len(real), len(gen))
    fig = Figure(figsize=(1.6 * k, 3.4), layout="constrained")
    axes = fig.subplots(2, k, squeeze=False)
    lo, hi = np.percentile(real[:k, 0], [1, 99])
    for row, data in enumerate((real, gen)):
        for j in range(k):
            ax = axes[row, j]
            ax.imshow(data[j, 0], cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel("real" if row == 0 else "generated")
    return fig


def _hist(ax: Any, a: np.ndarray, b: np.ndarray, label: str, *, log: bool = False) -> None:
    lo, hi = np.percentile(np.concatenate([a, b]), [0.1, 99.9])
    bins = np.linspace(lo, hi if hi > lo else lo + 1, 50)
    ax.hist(a, bins, density=True, histtype="step", color=_REAL, label=f"real (N={len(a)})")
    ax.hist(b, bins, density=True, histtype="step", color=_GEN, label=f"generated (N={len(b)})")
    ax.set_xlabel(label)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=7)


def _ising_hists(real: np.ndarray, gen: np.ndarray) -> Figure:
    (er, mr), (eg, mg) = fm.ising_observables(real), fm.ising_observables(gen)
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _hist(ax1, er, eg, "energy per spin e")
    _hist(ax2, mr, mg, "magnetisation per spin m")
    return fig


def _two_point(real: np.ndarray, gen: np.ndarray) -> Figure:
    fig = Figure(figsize=(5, 3.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(fm.two_point(real), "o-", color=_REAL, label="real")
    ax.plot(fm.two_point(gen), "s--", color=_GEN, label="generated")
    ax.set_xlabel("r (lattice spacings)")
    ax.set_ylabel("G(r) = ⟨s(x) s(x+r)⟩")
    ax.legend(fontsize=8)
    return fig


def _spectrum(real: np.ndarray, gen: np.ndarray) -> Figure:
    k, pr, modes = fm.radial_power_spectrum(real)
    _, pg, _ = fm.radial_power_spectrum(gen)
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    ax1.loglog(k, pr, color=_REAL, label="real")
    ax1.loglog(k, pg, color=_GEN, linestyle="--", label="generated")
    ax1.set_xlabel("k (rad / pixel)")
    ax1.set_ylabel("P(k)")
    ax1.legend(fontsize=8)
    scatter = fm.spectrum_ratio_scatter(min(len(real), len(gen)), modes)
    ax2.semilogx(k, pg / pr, color=_GEN, label="P_gen / P_real")
    ax2.fill_between(k, 1 - scatter, 1 + scatter, color="0.85", label="expected 1σ scatter")
    ax2.axhspan(0.95, 1.05, color="tab:green", alpha=0.1, label="±5 % target")
    ax2.axhline(1, color="0.3", linewidth=0.8)
    ax2.set_xlabel("k (rad / pixel)")
    ax2.legend(fontsize=7)
    _hist(ax3, real.ravel()[:200_000], gen.ravel()[:200_000], "pixel value", log=True)
    return fig


def _series(real: np.ndarray, gen: np.ndarray) -> Figure:
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for j in range(min(3, len(real))):
        ax1.plot(real[j, 0], color=_REAL, alpha=0.7, label="real" if j == 0 else None)
        ax1.plot(gen[j, 0], color=_GEN, alpha=0.7, label="generated" if j == 0 else None)
    ax1.set_xlabel("time step")
    ax1.legend(fontsize=7)
    _hist(ax2, real.ravel(), gen.ravel(), "value")
    lag = min(16, real.shape[-1] // 2)
    ax3.plot(fm.series_statistics(real, lag)["autocorr"], "o-", color=_REAL, label="real")
    ax3.plot(fm.series_statistics(gen, lag)["autocorr"], "s--", color=_GEN, label="generated")
    ax3.set_xlabel("lag (time steps)")
    ax3.set_ylabel("autocorrelation")
    ax3.legend(fontsize=7)
    return fig


def _calo(real: np.ndarray, gen: np.ndarray, reference: Dataset) -> Figure:
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for data, color, label in ((real, _REAL, "real"), (gen, _GEN, "generated")):
        ax1.plot(data.mean(axis=0).sum(axis=(1, 2)), color=color, label=label)
        r = 0.5 * (CALO_R_EDGES[1:] + CALO_R_EDGES[:-1])
        ax2.plot(r, data.mean(axis=0).sum(axis=(0, 1)), "o-", color=color, label=label)
    ax1.set_xlabel("layer")
    ax1.set_ylabel("mean energy (MeV)")
    ax1.set_yscale("log")
    ax2.set_xlabel("radius (Molière radii)")
    ax2.set_yscale("log")
    ax1.legend(fontsize=8)
    _hist(
        ax3,
        np.log10(real.sum(axis=(1, 2, 3)) + 1),
        np.log10(gen.sum(axis=(1, 2, 3)) + 1),
        "log10(1 + deposited energy / MeV), all E pooled",
    )
    return fig
