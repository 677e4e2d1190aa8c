"""Report figures for sequences: k-mer spectra, position frequency plots, property histograms.

Drawn on bare :class:`matplotlib.figure.Figure` objects (no pyplot state).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from scigan.domains.base import Dataset
from scigan.domains.sequences import metrics as sm
from scigan.domains.sequences.encoding import one_hot

_REAL, _GEN = "tab:blue", "tab:orange"
_BASE_COLOURS = {
    "A": "tab:green",
    "C": "tab:blue",
    "G": "tab:orange",
    "T": "tab:red",
    "U": "tab:red",
}


def make_figures(generated: list[str], reference: Dataset) -> dict[str, Figure]:
    alphabet = str(reference.info["alphabet"])
    real = list(reference.samples)
    rng = np.random.default_rng(0)
    real = [real[i] for i in rng.permutation(len(real))[: max(len(generated), 1)]]
    figs: dict[str, Figure] = {
        "k-mer spectra: generated vs real frequency": _spectra(real, generated, alphabet),
        "Position frequency: real (top) vs generated (bottom)": _position_frequency(
            real, generated, alphabet
        ),
    }
    if set(alphabet) == set(sm.PROTEIN):
        figs["Peptide properties and lengths"] = _properties(real, generated)
    elif len({len(s) for s in real}) > 1 or "G" in alphabet:
        figs["GC content and lengths"] = _gc_lengths(real, generated)
    return figs


def _spectra(real: list[str], gen: list[str], alphabet: str) -> Figure:
    ks = [1, 3, 6] if len(alphabet) <= 4 else [1, 2, 3]
    fig = Figure(figsize=(4 * len(ks), 3.8), layout="constrained")
    for ax, k in zip(fig.subplots(1, len(ks)), ks, strict=True):
        cr, cg = sm.kmer_counts(real, alphabet, k), sm.kmer_counts(gen, alphabet, k)
        pr, pg = cr / max(cr.sum(), 1), cg / max(cg.sum(), 1)
        ax.loglog(pr + 1e-7, pg + 1e-7, ".", ms=3, alpha=0.6, color=_GEN)
        lo = max(min(pr[pr > 0].min(initial=1e-6), 1e-6), 1e-7)
        ax.plot([lo, 1], [lo, 1], "k--", lw=0.8)
        ax.set_xlabel(f"real {k}-mer frequency")
        ax.set_ylabel("generated")
        ax.set_title(f"k = {k}: JSD {sm.jsd(cg, cr):.4f} bits")
    return fig


def _position_frequency(real: list[str], gen: list[str], alphabet: str) -> Figure:
    L = max(max((len(s) for s in real), default=1), max((len(s) for s in gen), default=1))
    fig = Figure(figsize=(min(3 + 0.12 * L, 16), 5), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    for ax, seqs, label in ((axes[0], real, "real"), (axes[1], gen, "generated")):
        x = one_hot(seqs, alphabet, L)  # (N, V, L)
        freq = x.sum(axis=0) / max(len(seqs), 1)  # (V, L): fraction of sequences per symbol
        bottom = np.zeros(L)
        cmap = _colours(alphabet)
        for v, ch in enumerate(alphabet):
            ax.bar(
                np.arange(1, L + 1),
                freq[v],
                bottom=bottom,
                width=1.0,
                color=cmap[v],
                label=ch,
                linewidth=0,
            )
            bottom += freq[v]
        ax.set_ylabel(f"{label}\nfraction")
        ax.set_ylim(0, 1)
    axes[1].set_xlabel("position")
    axes[0].legend(ncol=min(len(alphabet), 10), fontsize=6, loc="upper right")
    return fig


def _colours(alphabet: str) -> list[Any]:
    if all(ch in _BASE_COLOURS for ch in alphabet):
        return [_BASE_COLOURS[ch] for ch in alphabet]
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(i % 20) for i in range(len(alphabet))]


def _hist(ax: Any, a: np.ndarray, b: np.ndarray, label: str) -> None:
    lo, hi = np.percentile(np.concatenate([a, b]), [0.5, 99.5])
    bins = np.linspace(lo, hi if hi > lo else lo + 1, 40)
    ax.hist(a, bins, density=True, alpha=0.5, color=_REAL, label="real")
    ax.hist(b, bins, density=True, alpha=0.5, color=_GEN, label="generated")
    ax.set_xlabel(label)


def _properties(real: list[str], gen: list[str]) -> Figure:
    fig = Figure(figsize=(15, 3.2), layout="constrained")
    axes = fig.subplots(1, 5)
    for ax, (name, fn) in zip(axes, sm.PEPTIDE_PROPERTIES.items(), strict=False):
        _hist(ax, fn(real), fn(gen), name.replace("_", " "))
    _hist(axes[4], sm.lengths(real), sm.lengths(gen), "length (aa)")
    axes[0].legend()
    return fig


def _gc_lengths(real: list[str], gen: list[str]) -> Figure:
    fig = Figure(figsize=(8, 3.2), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    _hist(a1, sm.gc_content(real), sm.gc_content(gen), "GC content")
    _hist(a2, sm.lengths(real), sm.lengths(gen), "length")
    a1.legend()
    return fig
