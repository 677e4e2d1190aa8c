"""JASPAR motifs: count matrices from the pyjaspar wheel's SQLite file, PWM scoring, planting.

The pyjaspar wheel (MIT code; JASPAR data CC BY 4.0) is only *downloaded*; its SQLite file is
copied out of the zip once into ``<wheel dir>/jaspar/`` and read with :mod:`sqlite3` — pyjaspar
is never imported. Scores are log-odds against a uniform background with a 0.25 pseudo-count
per base (Wasserman & Sandelin 2004); a *hit* is a window whose relative score
(s − s_min) / (s_max − s_min) reaches the threshold (0.8 is the common JASPAR convention).
"""

from __future__ import annotations

import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scigan.domains.sequences.data_files import find_wheel
from scigan.errors import DataError

JASPAR_WHEEL = "pyjaspar-4.0.0-py3-none-any.whl"
JASPAR_RELEASE = "JASPAR2024"
BASES = "ACGT"


@dataclass(frozen=True)
class Motif:
    """A JASPAR count matrix (4, W) in A, C, G, T row order."""

    matrix_id: str
    name: str
    counts: np.ndarray

    @property
    def width(self) -> int:
        return self.counts.shape[1]

    @property
    def probabilities(self) -> np.ndarray:
        return self.counts / self.counts.sum(axis=0, keepdims=True)

    def log_odds(self, pseudocount: float = 0.25) -> np.ndarray:
        """(4, W) log2 odds against a uniform background."""
        c = self.counts + pseudocount
        return np.log2(c / c.sum(axis=0, keepdims=True) / 0.25)

    @property
    def consensus(self) -> str:
        return "".join(BASES[i] for i in self.counts.argmax(axis=0))


def _sqlite_path() -> Path:
    wheel = find_wheel(JASPAR_WHEEL)
    out = wheel.parent / "jaspar" / f"{JASPAR_RELEASE}.sqlite"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        with zipfile.ZipFile(wheel) as z:
            tmp.write_bytes(z.read(f"pyjaspar/data/{JASPAR_RELEASE}.sqlite"))
        tmp.replace(out)
    return out


def load_motif(matrix_id: str) -> Motif:
    """A JASPAR matrix by id, e.g. ``MA0139.1`` (CTCF) or ``MA0079.3`` (SP1)."""
    base, _, version = matrix_id.partition(".")
    with sqlite3.connect(f"file:{_sqlite_path()}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT ID, NAME, VERSION FROM MATRIX WHERE BASE_ID = ? ORDER BY VERSION DESC",
            (base,),
        ).fetchall()
        rows = [r for r in rows if not version or str(r[2]) == version]
        if not rows:
            raise DataError(
                f"JASPAR matrix {matrix_id!r} not found in {JASPAR_RELEASE}; use an id such as "
                "MA0139.1 (see jaspar.elixir.no)"
            )
        mid, name, ver = rows[0]
        data = db.execute("SELECT row, col, val FROM MATRIX_DATA WHERE ID = ?", (mid,)).fetchall()
    width = max(c for _, c, _ in data)
    counts = np.zeros((4, width))
    for row, col, val in data:
        counts[BASES.index(row.upper()), col - 1] = val
    return Motif(f"{base}.{ver}", str(name), counts)


def scan(onehot: np.ndarray, motif: Motif) -> tuple[np.ndarray, np.ndarray]:
    """Best relative score and its start position per sequence (forward strand).

    Args:
        onehot: (N, 4, L) one-hot DNA in A, C, G, T order (zeros past a sequence's end).

    Returns:
        (best relative score (N,), start of the best window (N,)); −inf / −1 if L < width.
    """
    lo = motif.log_odds()  # (4, W)
    W, L = motif.width, onehot.shape[2]
    if L < W:
        return np.full(len(onehot), -np.inf), np.full(len(onehot), -1)
    smin, smax = lo.min(axis=0).sum(), lo.max(axis=0).sum()
    # score[n, p] = Σ_w Σ_b onehot[n, b, p + w] lo[b, w]   (N, L − W + 1)
    windows = np.lib.stride_tricks.sliding_window_view(onehot, W, axis=2)  # (N, 4, P, W)
    score = np.einsum("nbpw,bw->np", windows, lo)
    # Windows that run past a sequence's end have fewer than W bases: never a hit.
    complete = windows.sum(axis=(1, 3)) == W
    rel = np.where(complete, (score - smin) / (smax - smin), -np.inf)
    pos = rel.argmax(axis=1)
    return rel[np.arange(len(rel)), pos], pos


def sample_site_ids(motif: Motif, n: int, rng: np.random.Generator) -> np.ndarray:
    """n binding sites drawn column by column from the motif's base probabilities, as base
    indices (n, W) in A, C, G, T order."""
    cum = np.cumsum(motif.probabilities, axis=0)  # (4, W)
    u = rng.random((n, motif.width))
    return np.minimum((u[:, None, :] > cum[None]).sum(axis=1), 3)


def sample_sites(motif: Motif, n: int, rng: np.random.Generator) -> list[str]:
    """:func:`sample_site_ids` as strings."""
    return ["".join(BASES[i] for i in row) for row in sample_site_ids(motif, n, rng)]
