"""Mode metrics for the toy mixtures (Srivastava et al. 2017 VEEGAN; Lin et al. 2018 PacGAN).

A sample is *high quality* if it lies within 3σ of some mode centre; a mode is *covered* if at
least 1 % of the samples are high-quality samples of that mode. ``mode_kl`` is
KL(p̂ ‖ uniform) of the per-mode histogram of high-quality samples (0 = every mode equally
often; log K when all samples sit in one mode).
"""

from __future__ import annotations

import numpy as np

from scigan.domains.toy.data import Mixture

MODES_COVERED = "modes_covered"
HIGH_QUALITY_FRACTION = "high_quality_fraction"
MODE_KL = "mode_kl"


def assign_modes(x: np.ndarray, mixture: Mixture) -> np.ndarray:
    """Index of the mode each sample is within 3σ of, or -1. (N, 2) → (N,)."""
    d = np.linalg.norm(x[:, None, :] - mixture.centres[None, :, :], axis=2)  # (N, K)
    nearest = d.argmin(axis=1)
    ok = d[np.arange(len(x)), nearest] <= 3 * mixture.sigma
    return np.where(ok, nearest, -1)


def mode_statistics(x: np.ndarray, mixture: Mixture) -> dict[str, float]:
    k = len(mixture.centres)
    modes = assign_modes(np.asarray(x, dtype=np.float64), mixture)
    counts = np.bincount(modes[modes >= 0], minlength=k).astype(np.float64)
    covered = int((counts >= 0.01 * len(x)).sum())
    hq = float((modes >= 0).mean()) if len(x) else 0.0
    if counts.sum() > 0:
        p = counts / counts.sum()
        nz = p > 0
        kl = float(np.sum(p[nz] * np.log(p[nz] * k)))
    else:
        kl = float(np.log(k))
    return {MODES_COVERED: covered, HIGH_QUALITY_FRACTION: hq, MODE_KL: kl}
