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

:func:`evaluate` (the domain's ``evaluate``) assembles the reported entries
(:func:`scigan.metrics.floor.metric_entry`) from these statistics.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import norm, wasserstein_distance

from scigan.domains.base import Dataset, MetricResult, SampleFn, without_extrapolation_warnings
from scigan.domains.fields.exact import gaussian_minkowski, ising_exact, telegraph_moments
from scigan.domains.fields.simulators import CALO_R_EDGES, power_law_spectrum
from scigan.errors import DataError
from scigan.metrics.floor import metric_entry

FIDELITY = "fidelity"  # the per-dataset headline discrepancy that selects the best checkpoint
MF_NU = np.linspace(-2.5, 2.5, 11)  # Minkowski thresholds in units of σ (quantiles for others)
CALO_CLASSIFIER_MAX_N = 3000


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


def mean_periodogram(x: np.ndarray) -> np.ndarray:
    """Mean over series (N, [1,] L) of the periodogram |FFT(x − x̄)|² / L of each centred
    series, for frequencies k = 0 … L/2 (k = 0 is 0 by the centring)."""
    s = np.asarray(x, dtype=np.float64)
    if s.ndim == 3:
        s = s[:, 0]
    c = s - s.mean(axis=1, keepdims=True)
    return (np.abs(np.fft.rfft(c, axis=1)) ** 2).mean(axis=0) / s.shape[1]


def series_standard_errors(
    x: np.ndarray, max_lag: int, groups: int = 20
) -> dict[str, np.ndarray | float]:
    """Standard errors of :func:`series_statistics` by the delete-a-group jackknife over the
    series (independent draws; the time points within one series are correlated, so a
    per-point formula would understate them): ``groups`` contiguous groups of series."""
    s = np.asarray(x, dtype=np.float64)
    if s.ndim == 3:
        s = s[:, 0]
    g = min(groups, len(s))
    if g < 2:
        return {"mean": math.nan, "variance": math.nan, "fano": math.nan, "autocorr": np.nan}
    parts = np.array_split(np.arange(len(s)), g)
    leave = [series_statistics(np.delete(s, p, axis=0), max_lag) for p in parts]
    out: dict[str, np.ndarray | float] = {}
    for key in ("mean", "variance", "fano", "autocorr"):
        v = np.array([np.asarray(r[key], dtype=np.float64) for r in leave])
        out[key] = np.sqrt((g - 1) / g * ((v - v.mean(axis=0)) ** 2).sum(axis=0))
    for key in ("mean", "variance", "fano"):
        out[key] = float(out[key])
    return out


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


# ----------------------------------------------------------------------------- evaluation


def temperature_labels(temps: np.ndarray) -> list[str]:
    """Shortest '%.Ng' labels (≥ 4 significant digits) that tell all temperatures apart."""
    for digits in range(4, 17):
        labels = [f"{t:.{digits}g}" for t in temps]
        if len(set(labels)) == len(labels):
            return labels
    return [repr(float(t)) for t in temps]


def _z(diff: float, se: float) -> float:
    """diff / se; ±inf for a degenerate (zero-variance) sample that misses the target."""
    if se > 0:
        return diff / se
    return 0.0 if diff == 0 else math.copysign(math.inf, diff)


def _split(idx: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(idx)
    return perm[:n], perm[n : 2 * n]


def _pixels(x: np.ndarray, seed: int, k: int = 200_000) -> np.ndarray:
    flat = np.asarray(x, dtype=np.float64).ravel()
    if len(flat) <= k:
        return flat
    return flat[np.random.default_rng(seed).choice(len(flat), k, replace=False)]


def evaluate(sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
    """Generated samples vs real ones, per kind of data; floor = a second, disjoint real sample.

    Ising lattices per temperature against Kaufman's exact values, calorimeter showers by
    CaloChallenge features, series by their moments (exact for ``cellgrowth``), maps by
    spectrum, Minkowski functionals and peaks. The ``fidelity`` entry selects the best
    checkpoint.
    """
    kind = reference.info.get("kind", "user")
    sample = without_extrapolation_warnings(sample)  # reference conditions: the point
    x = np.asarray(reference.samples)
    if len(x) < 4:
        raise DataError(f"{reference.name}: need at least 4 reference samples to evaluate")
    if kind == "ising2d":
        return _evaluate_ising(sample, reference, n, seed)
    if kind == "calo":
        return _evaluate_calo(sample, reference, n, seed)
    m = min(n, len(x) // 2)
    idx_a, idx_b = _split(np.arange(len(x)), m, seed)
    cond = None if reference.conditions is None else np.asarray(reference.conditions)[idx_a]
    gen = np.asarray(sample(m, cond, seed))
    a, b = x[idx_a], x[idx_b]
    if kind == "cellgrowth":
        return _evaluate_series(gen, a, b, m, seed, reference.info["params"])
    if x.ndim == 3:
        return _evaluate_series(gen, a, b, m, seed, None)
    return _evaluate_maps(gen, a, b, m, seed, kind, reference.info.get("params"))


# ----------------------------------------------------------------------------- Ising


def _evaluate_ising(sample: SampleFn, reference: Dataset, n: int, seed: int) -> MetricResult:
    x = np.asarray(reference.samples)
    cond = np.asarray(reference.conditions, dtype=np.float64)[:, 0]
    L = x.shape[-1]
    temps = np.unique(cond)
    out: MetricResult = {}
    z_gen, z_floor = [], []
    for i, (T, lab) in enumerate(zip(temps, temperature_labels(temps), strict=True)):
        idx = np.flatnonzero(cond == T)
        m = min(n, len(idx) // 2)
        if m < 2:
            raise DataError(f"{reference.name}: T={T} has {len(idx)} samples; need at least 4")
        ia, ib = _split(idx, m, seed + i)
        gen = np.asarray(sample(m, np.full((m, 1), T), seed + i))
        obs = {k: ising_observables(v) for k, v in (("g", gen), ("a", x[ia]), ("b", x[ib]))}
        st = {k: ising_statistics(e, mm, L, T) for k, (e, mm) in obs.items()}
        exact = ising_exact(L, float(T))
        for key in ("energy", "specific_heat"):
            z = _z(st["g"][key] - exact[key], st["g"][f"{key}_se"])
            zf = _z(st["b"][key] - exact[key], st["b"][f"{key}_se"])
            out[f"{key}_T{lab}"] = metric_entry(
                st["g"][key],
                st["b"][key],
                m,
                seed,
                "closer to exact",
                exact=exact[key],
                z=z,
                z_floor=zf,
                reference=st["a"][key],
                description=f"exact (Kaufman) {exact[key]:.6g}; z = {z:.2f} (real sample: "
                f"{zf:.2f})",
            )
            if key == "energy":
                z_gen.append(abs(z))
                z_floor.append(abs(zf))
        for key in ("abs_m", "susceptibility", "binder"):
            out[f"{key}_T{lab}"] = metric_entry(
                st["g"][key], st["b"][key], m, seed, "closer to reference", reference=st["a"][key]
            )
        out[f"m_pos_T{lab}"] = metric_entry(
            st["g"]["m_pos"],
            st["b"]["m_pos"],
            m,
            seed,
            "closer to 0.5",
            target=0.5,
            se=0.5 / math.sqrt(m),
        )
        (eg, mg), (ea, ma), (eb, mb) = obs["g"], obs["a"], obs["b"]
        out[f"e_w1_T{lab}"] = metric_entry(w1(eg, ea), w1(eb, ea), m, seed, "lower")
        out[f"m_w1_T{lab}"] = metric_entry(w1(mg, ma), w1(mb, ma), m, seed, "lower")
        gg, ga, gb = two_point(gen), two_point(x[ia]), two_point(x[ib])
        out[f"corr_maxdev_T{lab}"] = metric_entry(
            np.abs(gg - ga).max(),
            np.abs(gb - ga).max(),
            m,
            seed,
            "lower",
            g_r=gg.tolist(),
            g_r_reference=ga.tolist(),
        )
    out[FIDELITY] = metric_entry(
        max(z_gen),
        max(z_floor),
        min(n, len(x)),
        seed,
        "lower",
        description="max over T of |z| of the mean energy vs Kaufman's exact value",
    )
    return out


# ----------------------------------------------------------------------------- maps


def _evaluate_maps(
    gen: np.ndarray, a: np.ndarray, b: np.ndarray, n: int, seed: int, kind: str, params: Any
) -> MetricResult:
    out: MetricResult = {}
    square = gen.shape[-1] == gen.shape[-2]
    pix_a = _pixels(a, seed)
    out["pixel_w1"] = metric_entry(
        w1(_pixels(gen, seed + 1), pix_a), w1(_pixels(b, seed + 2), pix_a), n, seed, "lower"
    )
    if not square or gen.shape[1] != 1:
        out["channel_mean_maxdev"] = metric_entry(
            np.abs(gen.mean(axis=(0, 2, 3)) - a.mean(axis=(0, 2, 3))).max(),
            np.abs(b.mean(axis=(0, 2, 3)) - a.mean(axis=(0, 2, 3))).max(),
            n,
            seed,
            "lower",
        )
        out[FIDELITY] = {**out["pixel_w1"], "description": "pixel_w1"}
        return out
    k, pg, modes = radial_power_spectrum(gen)
    _, pa, _ = radial_power_spectrum(a)
    _, pb, _ = radial_power_spectrum(b)
    ratio, ratio_floor = pg / pa, pb / pa
    scatter = spectrum_ratio_scatter(n, modes)
    dev = np.abs(ratio - 1)
    out["pk_ratio_maxdev"] = metric_entry(
        dev.max(),
        np.abs(ratio_floor - 1).max(),
        n,
        seed,
        "lower",
        target="< 0.05 in every k bin",
        bins_within_5pct=int((dev < 0.05).sum()),
        bins=len(dev),
        k=k.tolist(),
        ratio=ratio.tolist(),
        ratio_floor=ratio_floor.tolist(),
        expected_scatter=scatter.tolist(),
    )
    # Minkowski functionals at fixed thresholds: ν σ for the unit-variance grf (analytic
    # formulas apply), reference quantiles Φ(ν) otherwise.
    thresholds = MF_NU.copy() if kind == "grf" else np.quantile(_pixels(a, seed), norm.cdf(MF_NU))
    mf = {key: minkowski_functionals(v, thresholds) for key, v in (("g", gen), ("a", a), ("b", b))}
    analytic = None
    if kind == "grf":
        size = gen.shape[-1]
        lam = finite_difference_lambda(power_law_spectrum(size, params["index"]))
        analytic = gaussian_minkowski(MF_NU, lam)
    for name in ("area", "length", "euler"):
        ref = mf["a"][name]
        scale = max(np.abs(ref).max(), 1e-12)
        extra: dict[str, Any] = {
            "thresholds_nu": MF_NU.tolist(),
            "generated": mf["g"][name].tolist(),
            "reference": ref.tolist(),
            "description": "max over thresholds of |MF − MF_ref| / max|MF_ref|",
        }
        if analytic is not None:
            extra["analytic"] = analytic[name].tolist()
            extra["analytic_dev_generated"] = float(
                np.abs(mf["g"][name] - analytic[name]).max()
                / max(np.abs(analytic[name]).max(), 1e-12)
            )
            extra["analytic_dev_reference"] = float(
                np.abs(ref - analytic[name]).max() / max(np.abs(analytic[name]).max(), 1e-12)
            )
        out[f"mf_{name}_maxdev"] = metric_entry(
            np.abs(mf["g"][name] - ref).max() / scale,
            np.abs(mf["b"][name] - ref).max() / scale,
            n,
            seed,
            "lower",
            **extra,
        )
    peaks = {key: peak_heights(v) for key, v in (("g", gen), ("a", a), ("b", b))}
    u1 = float(np.quantile(pix_a, 0.8413))  # the +1σ level (a quantile for non-Gaussian maps)
    counts = {key: float((p > u1).sum()) / n for key, p in peaks.items()}
    out["peak_count"] = metric_entry(
        counts["g"],
        counts["b"],
        n,
        seed,
        "closer to reference",
        reference=counts["a"],
        description="local maxima above the reference's 84th-percentile (+1σ) level per map",
    )
    out["peak_height_w1"] = metric_entry(
        w1(peaks["g"], peaks["a"]), w1(peaks["b"], peaks["a"]), n, seed, "lower"
    )
    # Checkpoint selection needs a symmetric score: max |ratio − 1| is at most 1 for a
    # generator with too little power (a collapsed one scores 1) but unbounded for too much.
    with np.errstate(divide="ignore"):
        log_dev, log_floor = np.abs(np.log(ratio)).max(), np.abs(np.log(ratio_floor)).max()
    out[FIDELITY] = metric_entry(
        log_dev, log_floor, n, seed, "lower", description="max over k bins of |ln P_gen/P_ref|"
    )
    return out


# ----------------------------------------------------------------------------- series


def _evaluate_series(
    gen: np.ndarray, a: np.ndarray, b: np.ndarray, n: int, seed: int, params: Any
) -> MetricResult:
    out: MetricResult = {}
    max_lag = min(16, gen.shape[-1] // 2)
    st = {k: series_statistics(v, max_lag) for k, v in (("g", gen), ("a", a), ("b", b))}
    exact = None
    if params is not None:
        lags = np.arange(max_lag + 1) * params["dt"]
        exact = telegraph_moments(
            params["k_on"], params["k_off"], params["k_m"], params["gamma"], lags
        )
    se = (
        {k: series_standard_errors(v, max_lag) for k, v in (("g", gen), ("b", b))}
        if exact is not None
        else None
    )
    for key in ("mean", "variance", "fano"):
        extra: dict[str, Any] = {"reference": st["a"][key]}
        better = "closer to reference"
        if exact is not None and se is not None:
            extra["exact"] = float(exact[key])
            extra["rel_err"] = (st["g"][key] - exact[key]) / exact[key]
            extra["rel_err_floor"] = (st["b"][key] - exact[key]) / exact[key]
            # z: distance from the exact value in standard errors of the estimate (jackknife
            # over series); z_floor: the same for the second real sample
            extra["z"] = _z(st["g"][key] - exact[key], se["g"][key])
            extra["z_floor"] = _z(st["b"][key] - exact[key], se["b"][key])
            better = "closer to exact"
        out[key] = metric_entry(st["g"][key], st["b"][key], n, seed, better, **extra)
    target = exact["autocorr"] if exact is not None else st["a"]["autocorr"]
    extra = {}
    if se is not None:
        lag_z = [
            max(
                abs(_z(d, e))
                for d, e in zip(
                    st[k]["autocorr"][1:] - target[1:], se[k]["autocorr"][1:], strict=True
                )
            )
            for k in ("g", "b")
        ]
        extra = {"z_max": lag_z[0], "z_max_floor": lag_z[1]}
    out["autocorr_maxdev"] = metric_entry(
        np.abs(st["g"]["autocorr"] - target).max(),
        np.abs(st["b"]["autocorr"] - target).max(),
        n,
        seed,
        "lower",
        lags=list(range(max_lag + 1)),
        generated=st["g"]["autocorr"].tolist(),
        target=np.asarray(target).tolist(),
        description="max over lags of |ρ(l) − ρ_exact(l)|" if exact is not None else "vs reference",
        **extra,
    )
    pa_ = mean_periodogram(a)[1:]
    ratio, ratio_b = (mean_periodogram(v)[1:] / pa_ for v in (gen, b))
    out["spectrum_maxdev"] = metric_entry(
        float(np.abs(np.log(ratio)).max()),
        float(np.abs(np.log(ratio_b)).max()),
        n,
        seed,
        "lower",
        ratio=ratio.tolist(),
        description="max over frequencies k = 1 … L/2 of |log(P_gen(k) / P_ref(k))|, P the "
        "mean periodogram of the centred series (Wiener–Khinchin partner of the "
        "autocorrelation; shows periodic artefacts that the lags average out)",
    )
    pa = _pixels(a, seed)
    out["value_w1"] = metric_entry(
        w1(_pixels(gen, seed + 1), pa), w1(_pixels(b, seed + 2), pa), n, seed, "lower"
    )
    if exact is not None:
        worst = lambda s: max(  # noqa: E731
            abs(s["mean"] / exact["mean"] - 1),
            abs(s["fano"] / exact["fano"] - 1),
            float(np.abs(s["autocorr"] - exact["autocorr"]).max()),
        )
        out[FIDELITY] = metric_entry(
            worst(st["g"]),
            worst(st["b"]),
            n,
            seed,
            "lower",
            description="max of |mean/exact − 1|, |Fano/exact − 1|, max |ρ − ρ_exact|",
        )
    else:
        out[FIDELITY] = {**out["autocorr_maxdev"], "description": "autocorr_maxdev"}
    return out


# ----------------------------------------------------------------------------- calorimeter


def _calo_lowlevel(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Classifier input: log(1 + voxel / 1 MeV) flattened, plus log E_inc."""
    return np.concatenate([np.log1p(x.reshape(len(x), -1)), np.log(e).reshape(-1, 1)], axis=1)


def _evaluate_calo(sample: SampleFn, reference: Dataset, n: int, seed: int) -> MetricResult:
    x = np.asarray(reference.samples, dtype=np.float64)
    e = np.asarray(reference.conditions, dtype=np.float64)[:, 0]
    m = min(n, len(x) // 2)
    ia, ib = _split(np.arange(len(x)), m, seed)
    gen = np.asarray(sample(m, e[ia, None], seed), dtype=np.float64)
    a, b = x[ia], x[ib]
    f = {
        "g": calo_features(gen, e[ia], CALO_R_EDGES),
        "a": calo_features(a, e[ia], CALO_R_EDGES),
        "b": calo_features(b, e[ib], CALO_R_EDGES),
    }
    out: MetricResult = {}
    out["sep_e_ratio"] = metric_entry(
        separation_power(f["g"]["e_ratio"], f["a"]["e_ratio"], f["a"]["e_ratio"]),
        separation_power(f["b"]["e_ratio"], f["a"]["e_ratio"], f["a"]["e_ratio"]),
        m,
        seed,
        "lower",
        description="separation power of E_dep/E_inc",
    )
    active = (f["a"]["layer_energy"] > 0).mean(axis=0) > 0.1  # layers hit in > 10 % of showers
    sps = []
    for name in ("layer_energy", "center_x", "center_y", "width_x", "width_y", "sparsity"):
        tr = (lambda v: np.log10(v + 1e-3)) if name == "layer_energy" else (lambda v: v)
        vals = {
            k: [
                separation_power(
                    tr(f[k][name][:, j]), tr(f["a"][name][:, j]), tr(f["a"][name][:, j])
                )
                for j in np.flatnonzero(active)
            ]
            for k in ("g", "b")
        }
        sps.append((np.mean(vals["g"]), np.mean(vals["b"])))
        out[f"sep_{name}"] = metric_entry(
            np.mean(vals["g"]),
            np.mean(vals["b"]),
            m,
            seed,
            "lower",
            description=f"separation power of {name} averaged over {int(active.sum())} layers",
        )
    prof = {k: v.mean(axis=0) for k, v in (("g", gen), ("a", a), ("b", b))}
    for name, axes in (("longitudinal", (1, 2)), ("radial", (0, 1))):
        pg, pa, pb = (prof[k].sum(axis=axes) for k in ("g", "a", "b"))
        scale = pa.max()
        out[f"{name}_profile_maxdev"] = metric_entry(
            np.abs(pg - pa).max() / scale,
            np.abs(pb - pa).max() / scale,
            m,
            seed,
            "lower",
            generated=pg.tolist(),
            reference=pa.tolist(),
            description=f"max |mean {name} profile − reference| / reference peak",
        )
    k = min(m, CALO_CLASSIFIER_MAX_N)
    lo_a = _calo_lowlevel(a[:k], e[ia][:k])
    out["classifier_auc"] = metric_entry(
        mlp_classifier_auc(lo_a, _calo_lowlevel(gen[:k], e[ia][:k]), seed=seed),
        mlp_classifier_auc(lo_a, _calo_lowlevel(b[:k], e[ib][:k]), seed=seed),
        k,
        seed,
        "closer to 0.5",
        target="<= 0.75 (CaloChallenge GANs 0.89-0.94)",
        description="MLP on log(1 + voxel/MeV) and log E_inc, 60/20/20 split, test AUC",
    )
    out[FIDELITY] = metric_entry(
        float(np.mean([out["sep_e_ratio"]["value"], *(g for g, _ in sps)])),
        float(np.mean([out["sep_e_ratio"]["floor"], *(b for _, b in sps)])),
        m,
        seed,
        "lower",
        description="mean separation power over the high-level features",
    )
    return out
