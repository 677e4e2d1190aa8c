"""Physics metrics for fields: features → statistics → score, pure numpy functions.

Each statistic is computed on generated samples and on two disjoint real samples of the same
size (A: the reference, B: the floor); the domain assembles the reported dicts.

* Ising: energy and magnetisation per spin, specific heat, ⟨|m|⟩, susceptibility, Binder
  cumulant U₄ = 1 − ⟨m⁴⟩/(3⟨m²⟩²) (Binder 1981), two-point function G(r) = ⟨s(x) s(x+r)⟩.
* Fields: radially binned power spectrum, pixel histograms, Minkowski functionals of excursion
  sets (area, boundary length by the Crofton formula, Euler characteristic of the union of
  closed pixels), peak counts.
* Calorimeter: CaloChallenge high-level features and the separation power
  ½ Σ (h₁ − h₂)²/(h₁ + h₂) (Krause et al. 2024, eq. 5); an MLP classifier two-sample test.
* Time series: mean, variance, Fano factor, autocorrelation.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable

import numpy as np
from scipy.stats import wasserstein_distance

# ----------------------------------------------------------------------------- Ising


def ising_observables(spins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Energy and magnetisation per spin of periodic lattices (N, [1,] L, L) → (N,), (N,).

    e = −(1/L²) Σ_<ij> s_i s_j over nearest-neighbour bonds (each bond once, J = 1).
    """
    s = np.asarray(spins, dtype=np.float64)
    if s.ndim == 4:
        s = s[:, 0]
    n_sites = s.shape[1] * s.shape[2]
    bonds = s * np.roll(s, 1, axis=1) + s * np.roll(s, 1, axis=2)
    return -bonds.sum(axis=(1, 2)) / n_sites, s.mean(axis=(1, 2))


def ising_statistics(e: np.ndarray, m: np.ndarray, L: int, T: float) -> dict[str, float]:
    """Thermodynamic estimators from per-spin energies and magnetisations of N configurations.

    * specific heat per spin  c = L² Var(e) / T²
    * susceptibility per spin χ = L² (⟨m²⟩ − ⟨|m|⟩²) / T   (finite-lattice convention with |m|)
    * Binder cumulant         U₄ = 1 − ⟨m⁴⟩ / (3⟨m²⟩²)
    * m_pos: fraction with m > 0 (m = 0 counts ½) — ½ for the symmetric Hamiltonian

    Standard errors: se(⟨e⟩) = sd(e)/√N; se(c) from Var(s²) ≈ (μ₄ − σ⁴)/N.
    """
    e = np.asarray(e, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    n = len(e)
    var_e = e.var()
    mu4 = ((e - e.mean()) ** 4).mean()
    m2, m4 = (m**2).mean(), (m**4).mean()
    return {
        "energy": float(e.mean()),
        "energy_se": float(e.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        "specific_heat": float(L * L * var_e / T**2),
        "specific_heat_se": float(L * L / T**2 * math.sqrt(max(mu4 - var_e**2, 0.0) / n)),
        "abs_m": float(np.abs(m).mean()),
        "susceptibility": float(L * L * (m2 - np.abs(m).mean() ** 2) / T),
        "binder": float(1.0 - m4 / (3.0 * m2**2)) if m2 > 0 else math.nan,
        "m_pos": float((m > 0).mean() + 0.5 * (m == 0).mean()),
    }


def two_point(spins: np.ndarray) -> np.ndarray:
    """G(r) = ⟨s(x) s(x + r ê)⟩ averaged over sites, both axes and samples; r = 0 … L/2."""
    s = np.asarray(spins, dtype=np.float64)
    if s.ndim == 4:
        s = s[:, 0]
    L = s.shape[1]
    return np.array(
        [
            0.5 * ((s * np.roll(s, r, axis=1)).mean() + (s * np.roll(s, r, axis=2)).mean())
            for r in range(L // 2 + 1)
        ]
    )


def w1(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein-1 (earth mover's) distance between two 1-D empirical distributions."""
    return float(wasserstein_distance(np.ravel(a), np.ravel(b)))


# ----------------------------------------------------------------------------- 2-D fields


def radial_power_spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean radially binned power spectrum of square periodic maps (N, [1,] S, S).

    Bin j holds the modes with round(|k| S / 2π) = j, j = 1 … S/2 (k = 0 dropped).
    P(k) = |FFT(x)|² / S² (so Σ_k P / S² = pixel variance about the mean).

    Returns:
        (k (radians per pixel), P (mean over maps), modes per bin).
    """
    f = np.asarray(x, dtype=np.float64)
    if f.ndim == 4:
        f = f[:, 0]
    s = f.shape[-1]
    power = (np.abs(np.fft.fft2(f)) ** 2).mean(axis=0) / (s * f.shape[-2])
    k1 = np.fft.fftfreq(s) * s
    k0 = np.fft.fftfreq(f.shape[-2]) * f.shape[-2]
    kbin = np.rint(np.sqrt(k0[:, None] ** 2 + k1[None, :] ** 2)).astype(np.int64)
    nb = s // 2 + 1
    sums = np.bincount(kbin.ravel(), weights=power.ravel(), minlength=nb)[1:nb]
    modes = np.bincount(kbin.ravel(), minlength=nb)[1:nb]
    return 2 * np.pi * np.arange(1, nb) / s, sums / np.maximum(modes, 1), modes


def spectrum_ratio_scatter(n: int, modes: np.ndarray) -> np.ndarray:
    """Expected relative scatter (1σ) of P_a/P_b for two independent sets of n Gaussian maps.

    Each complex mode's power is exponential (relative variance 1); a real field has
    modes/2 independent ones per bin, so one estimate has relative sd √(2/(n·modes)) and the
    ratio of two has √(4/(n·modes)). Non-Gaussian fields (log-normal) scatter more.
    """
    return np.sqrt(4.0 / (n * np.maximum(modes, 1)))


def minkowski_functionals(x: np.ndarray, thresholds: np.ndarray) -> dict[str, np.ndarray]:
    """Area fraction, boundary length and Euler characteristic per pixel of {x > u}.

    Periodic maps (N, [1,] H, W), mean over maps, one value per threshold u.

    * area: fraction of pixels above u.
    * length: (π/4) × (neighbouring pixel pairs on opposite sides of u) / pixels. Crofton: an
      isotropic curve of length ℓ crosses the two families of unit grid lines (4/π) ℓ times.
    * euler: χ = V − E + F of the union of closed pixels above u (8-connected foreground) —
      a vertex or edge belongs to it if any pixel touching it does — per pixel.
    """
    f = np.asarray(x, dtype=np.float64)
    if f.ndim == 4:
        f = f[:, 0]
    n_pix = f.shape[1] * f.shape[2]
    out = {"area": [], "length": [], "euler": []}
    for u in np.asarray(thresholds, dtype=np.float64):
        a = f > u  # (N, H, W)
        right = np.roll(a, -1, axis=2)
        down = np.roll(a, -1, axis=1)
        crossings = (a != right).sum(axis=(1, 2)) + (a != down).sum(axis=(1, 2))
        faces = a.sum(axis=(1, 2))
        # Pixel (i, j) is the square with corners (i, j) … (i+1, j+1); on the torus there
        # are H·W vertices, H·W horizontal and H·W vertical edges.
        edges_h = (a | down).sum(axis=(1, 2))  # edge between pixels (i, j) and (i+1, j)
        edges_v = (a | right).sum(axis=(1, 2))
        diag = np.roll(down, -1, axis=2)
        vertices = (a | right | down | diag).sum(axis=(1, 2))
        chi = vertices - edges_h - edges_v + faces
        out["area"].append(faces.mean() / n_pix)
        out["length"].append(0.25 * np.pi * crossings.mean() / n_pix)
        out["euler"].append(chi.mean() / n_pix)
    return {k: np.asarray(v) for k, v in out.items()}


def finite_difference_lambda(power: np.ndarray) -> float:
    """λ = ⟨(Δₓu)²⟩/⟨u²⟩ for a field with FFT-grid spectrum ``power`` (S, S), Δₓ the forward
    difference: Σ P(k) 4 sin²(kₓ/2) / Σ P(k) — the derivative variance a pixel map really has."""
    s = power.shape[-1]
    kx = 2 * np.pi * np.fft.fftfreq(s)
    return float((power * 4 * np.sin(kx[None, :] / 2) ** 2).sum() / power.sum())


def peak_heights(x: np.ndarray) -> np.ndarray:
    """Heights of all strict local maxima (8 neighbours, periodic) of maps (N, [1,] H, W)."""
    f = np.asarray(x, dtype=np.float64)
    if f.ndim == 4:
        f = f[:, 0]
    is_peak = np.ones(f.shape, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                is_peak &= f > np.roll(f, (dy, dx), axis=(1, 2))
    return f[is_peak]


# ----------------------------------------------------------------------------- calorimeter


def calo_geometry(alpha: int, radial_edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Voxel-centre x and y (Molière units), each (alpha, radial)."""
    phi = (np.arange(alpha) + 0.5) * 2 * np.pi / alpha
    r = 0.5 * (radial_edges[:-1] + radial_edges[1:])
    return np.cos(phi)[:, None] * r[None, :], np.sin(phi)[:, None] * r[None, :]


def calo_features(
    x: np.ndarray, e_inc_gev: np.ndarray, radial_edges: np.ndarray
) -> dict[str, np.ndarray]:
    """CaloChallenge high-level features of showers (N, layers, alpha, radial) in MeV.

    e_ratio (N,) = E_dep / E_inc; per layer (N, layers): energy, centre of energy in x and y,
    width in x and y (energy-weighted standard deviation; 0 for empty layers), sparsity
    (fraction of voxels with energy > 0).
    """
    v = np.asarray(x, dtype=np.float64)
    gx, gy = calo_geometry(v.shape[2], radial_edges)
    layer_e = v.sum(axis=(2, 3))  # (N, layers)
    safe = np.where(layer_e > 0, layer_e, 1.0)
    cx = (v * gx).sum(axis=(2, 3)) / safe
    cy = (v * gy).sum(axis=(2, 3)) / safe
    wx = np.sqrt(np.maximum((v * gx**2).sum(axis=(2, 3)) / safe - cx**2, 0.0))
    wy = np.sqrt(np.maximum((v * gy**2).sum(axis=(2, 3)) / safe - cy**2, 0.0))
    return {
        "e_ratio": layer_e.sum(axis=1) / (1000.0 * np.asarray(e_inc_gev).ravel()),
        "layer_energy": layer_e,
        "center_x": cx,
        "center_y": cy,
        "width_x": wx,
        "width_y": wy,
        "sparsity": (v > 0).mean(axis=(2, 3)),
    }


def separation_power(a: np.ndarray, b: np.ndarray, reference: np.ndarray, bins: int = 30) -> float:
    """½ Σ_i (h_a,i − h_b,i)² / (h_a,i + h_b,i) with normalised histograms on bins from the
    reference's range (CaloChallenge, Krause et al. 2024 eq. 5); 0 identical, 1 disjoint."""
    ref = np.asarray(reference, dtype=np.float64).ravel()
    lo, hi = float(ref.min()), float(ref.max())
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    ha, _ = np.histogram(np.clip(a, lo, hi), edges)
    hb, _ = np.histogram(np.clip(b, lo, hi), edges)
    ha = ha / max(ha.sum(), 1)
    hb = hb / max(hb.sum(), 1)
    denom = ha + hb
    ok = denom > 0
    return float(0.5 * ((ha[ok] - hb[ok]) ** 2 / denom[ok]).sum())


def mlp_classifier_auc(
    real: np.ndarray, fake: np.ndarray, *, seed: int, hidden: tuple[int, ...] = (128, 128)
) -> float:
    """ROC-AUC on a held-out test split of an MLP trained to separate real from generated.

    Split 60/20/20 (train / validation for early stopping / test), features standardised on
    the training split (CaloChallenge's classifier metric, Krause et al. 2024 sec. 4).
    0.5 = indistinguishable, 1.0 = separable.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import roc_auc_score
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    n = min(len(real), len(fake))
    x = np.concatenate([real[:n], fake[:n]]).astype(np.float64)
    y = np.concatenate([np.ones(n), np.zeros(n)])
    perm = np.random.default_rng(seed).permutation(2 * n)
    x, y = x[perm], y[perm]
    n_test = max(2, int(0.2 * len(x)))
    x_test, y_test = x[:n_test], y[:n_test]
    x_train, y_train = x[n_test:], y[n_test:]
    scaler = StandardScaler().fit(x_train)
    clf = MLPClassifier(
        hidden_layer_sizes=hidden,
        early_stopping=True,
        validation_fraction=0.25,  # 20 % of all: train / val / test = 60 / 20 / 20
        n_iter_no_change=10,
        max_iter=200,
        alpha=1e-3,
        random_state=seed,
    )
    # One BLAS thread: these matrices are small, and on a shared 2-core machine spinning BLAS
    # threads slow the fit down by an order of magnitude.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(scaler.transform(x_train), y_train)
    if len(np.unique(y_test)) < 2:
        return math.nan
    return float(roc_auc_score(y_test, clf.predict_proba(scaler.transform(x_test))[:, 1]))


# ----------------------------------------------------------------------------- series


def series_statistics(x: np.ndarray, max_lag: int) -> dict[str, np.ndarray | float]:
    """Stationary mean, variance, Fano factor and autocorrelation of series (N, [1,] L).

    All time points are pooled (stationarity); ρ(l) = ⟨(x_t − μ)(x_{t+l} − μ)⟩ / Var.
    """
    s = np.asarray(x, dtype=np.float64)
    if s.ndim == 3:
        s = s[:, 0]
    mu = s.mean()
    var = s.var()
    c = s - mu
    lags = range(max_lag + 1)
    ac = np.array(
        [(c[:, : s.shape[1] - k] * c[:, k:]).mean() / var if var > 0 else 0 for k in lags]
    )
    return {
        "mean": float(mu),
        "variance": float(var),
        "fano": float(var / mu) if mu else 0.0,
        "autocorr": ac,
    }


# ----------------------------------------------------------------------------- timing


def ms_per_sample(fn: Callable[[int], object], batch: int, *, min_time: float = 0.5) -> float:
    """Wall-clock milliseconds per sample of ``fn(batch)``, repeated until ``min_time`` s."""
    fn(batch)  # warm-up (allocations, lazy imports)
    reps, t0 = 0, time.perf_counter()
    while True:
        fn(batch)
        reps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time:
            return 1000.0 * elapsed / (reps * batch)
