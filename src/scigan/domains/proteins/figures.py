"""Report figures for proteins: distance maps, backbone traces, angle histograms, ensembles.

Drawn on bare :class:`matplotlib.figure.Figure` objects (no pyplot state, Agg-safe). Real data
is blue and generated orange, as in the other domains' figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from scigan.domains.base import Dataset
from scigan.domains.proteins import data as pdata
from scigan.domains.proteins import geometry as geo
from scigan.domains.proteins import metrics as pm

_REAL, _GEN = "tab:blue", "tab:orange"


def make_figures(generated: np.ndarray, reference: Dataset, k: int = 64) -> dict[str, Any]:
    """Maps real vs generated, recovered backbones, virtual-angle histograms (and the AdK
    closed/open RMSD plane)."""
    test = pdata.reals(reference)[0]
    gen = np.asarray(generated)[:k]
    # a seeded spread of held-out windows (consecutive windows of one chain look alike)
    pick = np.sort(np.random.default_rng(0).choice(len(test), min(k, len(test)), replace=False))
    real = test[pick]
    extra = reference.extra if isinstance(reference, pdata.ProteinDataset) else {}
    bonds = geo.native_bond_targets(extra["closed"]) if "closed" in extra else geo.BOND
    gen_coords = geo.recover_batch(gen, steps=geo.RECOVER_STEPS, seed=0, bond=bonds)
    real_coords = reference.test_coords if isinstance(reference, pdata.ProteinDataset) else None
    real_coords = geo.recover_batch(real, steps=0) if real_coords is None else real_coords[pick]
    figs = {
        "Distance maps: real (top) vs generated (bottom)": map_grid(gen, real),
        "Recovered Cα backbones (2-D projections)": backbone_projections(gen_coords, real_coords),
        "Cα virtual bond angles and torsions": angle_histograms(gen_coords, real_coords),
    }
    return figs


def map_grid(gen_maps: np.ndarray, real_maps: np.ndarray, k: int = 6) -> Figure:
    """Real (top row) and generated (bottom row) distance maps on one colour scale (Å)."""
    real, gen = np.asarray(real_maps), np.asarray(gen_maps)
    k = max(1, min(k, len(real), len(gen)))
    fig = Figure(figsize=(1.6 * k + 0.8, 3.4), layout="constrained")
    axes = fig.subplots(2, k, squeeze=False)
    hi = float(np.percentile(real[:k], 99)) or 1.0
    im = None
    for row, data in enumerate((real, gen)):
        for j in range(k):
            ax = axes[row, j]
            im = ax.imshow(data[j], cmap="viridis_r", vmin=0.0, vmax=hi, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel("real" if row == 0 else "generated")
    fig.colorbar(im, ax=axes, shrink=0.8, label="Cα–Cα distance (Å)")
    return fig


def _principal_2d(x: np.ndarray) -> np.ndarray:
    c = x - x.mean(0)
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    return c @ vt[:2].T


def backbone_projections(gen_coords: np.ndarray, real_coords: np.ndarray, k: int = 6) -> Figure:
    """Cα traces (real top, generated bottom) projected on their first two principal axes,
    coloured N → C (dark → light)."""
    real, gen = np.asarray(real_coords), np.asarray(gen_coords)
    k = max(1, min(k, len(real), len(gen)))
    fig = Figure(figsize=(1.8 * k, 3.8), layout="constrained")
    axes = fig.subplots(2, k, squeeze=False)
    for row, data in enumerate((real, gen)):
        for j in range(k):
            ax = axes[row, j]
            p = _principal_2d(data[j])
            ax.plot(p[:, 0], p[:, 1], color="0.75", lw=0.8, zorder=1)
            ax.scatter(p[:, 0], p[:, 1], c=np.arange(len(p)), cmap="viridis", s=6, zorder=2)
            ax.set_aspect("equal", adjustable="datalim")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel("real" if row == 0 else "generated")
    fig.suptitle("Cα traces on their principal axes (N → C: dark → light)", fontsize=9)
    return fig


def angle_histograms(gen_coords: np.ndarray, real_coords: np.ndarray) -> Figure:
    """Virtual bond-angle and torsion histograms, real vs generated (36 bins each)."""
    real, gen = np.asarray(real_coords), np.asarray(gen_coords)
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for ax, fn, lo, hi, label in (
        (ax1, geo.virtual_angles, 0.0, 180.0, "virtual bond angle (°)"),
        (ax2, geo.virtual_torsions, -180.0, 180.0, "virtual torsion (°)"),
    ):
        bins = np.linspace(lo, hi, pm.HIST_BINS + 1)
        r, g = fn(real).ravel(), fn(gen).ravel()
        ax.hist(r, bins, density=True, histtype="step", color=_REAL, label=f"real (N={len(real)})")
        ax.hist(
            g, bins, density=True, histtype="step", color=_GEN, label=f"generated (N={len(gen)})"
        )
        ax.set_xlabel(label)
        ax.set_xlim(lo, hi)
    ax2.axvline(50.0, color="0.6", ls=":", lw=0.8)  # α-helix peak
    ax2.axvline(-170.0, color="0.6", ls=":", lw=0.8)  # β-strand peak
    ax1.legend(fontsize=7)
    return fig


def ensemble_figure(
    gen_coords: np.ndarray,
    gen_progress: np.ndarray,
    real_coords: np.ndarray,
    real_progress: np.ndarray,
    closed: np.ndarray,
    open_: np.ndarray,
) -> Figure:
    """RMSD to the closed state against RMSD to the open state, coloured by progress."""
    fig = Figure(figsize=(9, 3.8), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    sc = None
    lo = float(min(np.min(real_progress), np.min(gen_progress)))
    hi = float(max(np.max(real_progress), np.max(gen_progress)))
    for ax, x, p, title in (
        (axes[0], real_coords, real_progress, "real"),
        (axes[1], gen_coords, gen_progress, "generated"),
    ):
        x = np.asarray(x, dtype=np.float64)
        rc = geo.pairwise_rmsd(x, np.asarray(closed, dtype=np.float64)[None])[:, 0]
        ro = geo.pairwise_rmsd(x, np.asarray(open_, dtype=np.float64)[None])[:, 0]
        sc = ax.scatter(rc, ro, c=p, cmap="coolwarm", vmin=lo, vmax=hi, s=6)
        ax.set_title(f"{title} (N={len(x)})", fontsize=9)
        ax.set_xlabel("RMSD to closed (Å)")
    axes[0].set_ylabel("RMSD to open (Å)")
    fig.colorbar(sc, ax=axes, label="progress (closed → open)")
    return fig
