"""Mode metrics for the toy mixtures (Srivastava et al. 2017 VEEGAN; Lin et al. 2018 PacGAN).

A sample is *high quality* if it lies within 3σ of some mode centre; a mode is *covered* if at
least 1 % of the samples are high-quality samples of that mode. ``mode_kl`` is
KL(p̂ ‖ uniform) of the per-mode histogram of high-quality samples (0 = every mode equally
often; log K when all samples sit in one mode).

:func:`evaluate_points` judges a generator: on a registered mixture against fresh draws from the
true mixture (mode metrics and MMD, floors from a second fresh draw); on a user point cloud with
MMD and Fréchet distance against the data (floors from two disjoint halves of it).
"""

from __future__ import annotations

import numpy as np

from scigan.domains.base import Dataset, MetricResult, SampleFn
from scigan.domains.toy.data import MIXTURES, Mixture

MODES_COVERED = "modes_covered"
HIGH_QUALITY_FRACTION = "high_quality_fraction"
MODE_KL = "mode_kl"
MMD = "mmd"
FRECHET = "frechet"
_BETTER = {MODES_COVERED: "higher", HIGH_QUALITY_FRACTION: "higher", MODE_KL: "lower"}
#: The engine benchmark's target (benchmarks/RESULTS.md): every mode, ≥ 90 % high-quality samples.
HIGH_QUALITY_TARGET = 0.90
_REFERENCE_SEED_OFFSET = 1_000_003  # fresh reference draws never coincide with training data


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


def _mmd(a: np.ndarray, b: np.ndarray) -> float:
    from scigan.metrics import mmd2_unbiased

    return mmd2_unbiased(a, b)


def _frechet(a: np.ndarray, b: np.ndarray) -> float:
    from scigan.metrics import frechet_distance_features

    return frechet_distance_features(a, b)


def evaluate_points(sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
    """Toy metrics for ``n`` generated points (the body of :meth:`ToyDomain.evaluate`).

    Registered mixture: ``modes_covered``, ``high_quality_fraction``, ``mode_kl`` and ``mmd``
    against ``n`` fresh draws from the true mixture; floor = the same statistic for another
    ``n`` fresh draws; targets: every mode covered, high-quality fraction ≥ 0.90. Point
    cloud: ``mmd`` and ``frechet`` against the data, floor from two disjoint halves of
    ``min(n, N // 2)`` points (:func:`scigan.metrics.with_floor`).
    """
    from scigan.metrics import with_floor
    from scigan.metrics.floor import metric_entry

    generated = np.asarray(sample(n, None, seed))
    out: MetricResult = {}
    mixture = MIXTURES.get(reference.name)
    if mixture is not None:
        # Exact reference: fresh draws from the true mixture, never the training points.
        rng = np.random.default_rng(seed + _REFERENCE_SEED_OFFSET)
        real = mixture().sample(2 * n, rng)
        ref_a, ref_b = real[:n], real[n:]
        stats, floor = mode_statistics(generated, mixture()), mode_statistics(ref_b, mixture())
        targets = {
            MODES_COVERED: len(mixture().centres),
            HIGH_QUALITY_FRACTION: HIGH_QUALITY_TARGET,
        }
        for key, value in stats.items():
            extra = {"target": targets[key]} if key in targets else {}
            out[key] = metric_entry(value, floor[key], n, seed, _BETTER[key], **extra)
        out[MMD] = metric_entry(_mmd(generated, ref_a), _mmd(ref_b, ref_a), n, seed, "lower")
        return out
    x = np.asarray(reference.samples)
    for key, fn in ((MMD, _mmd), (FRECHET, _frechet)):
        res = with_floor(fn, generated, x, n=min(n, len(x) // 2), seed=seed)
        out[key] = metric_entry(res["value"], res["floor"], res["n"], res["seed"], "lower")
    return out
