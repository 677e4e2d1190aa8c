"""The slow simulators the GANs stand in for; numpy + scipy, seeded, vectorised over samples.

* :func:`ising_swendsen_wang` — 2-D Ising model, Swendsen & Wang (1987) cluster updates.
* :func:`metropolis_sweep` / :func:`wolff_update` — single Ising Markov chains (checkerboard
  Metropolis; Wolff 1989 single-cluster), with :func:`integrated_autocorr_time` (Sokal's
  automatic windowing) to count their independent samples (``benchmarks/ising_speed.py``).
* :func:`gaussian_random_field` / :func:`lognormal_field` — FFT-filtered white noise.
* :func:`toy_calorimeter` — EM showers in the CaloChallenge dataset-2 geometry.
* :func:`telegraph_gillespie` — telegraph-model gene expression by Gillespie's algorithm.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# ----------------------------------------------------------------------------- Ising


def swendsen_wang_sweep(spins: np.ndarray, beta: float, rng: np.random.Generator) -> None:
    """One Swendsen–Wang update of a batch of periodic lattices, in place. spins: (B, L, L) ±1.

    Aligned neighbours are bonded with probability p = 1 − e^{−2β} (J = 1); every connected
    cluster of the bond graph is flipped with probability ½. All B lattices form one
    block-diagonal graph, so one ``connected_components`` call updates the whole batch.
    """
    b, h, w = spins.shape
    p = -math.expm1(-2.0 * beta)
    idx = np.arange(b * h * w, dtype=np.int64).reshape(b, h, w)
    rows, cols = [], []
    for axis in (1, 2):
        nb = np.roll(spins, -1, axis=axis)
        bond = (spins == nb) & (rng.random(spins.shape) < p)
        rows.append(idx[bond])
        cols.append(np.roll(idx, -1, axis=axis)[bond])
    i, j = np.concatenate(rows), np.concatenate(cols)
    n = b * h * w
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n)).tocsr()
    n_clusters, labels = connected_components(graph, directed=False)
    flip = rng.random(n_clusters) < 0.5
    spins[flip[labels].reshape(b, h, w)] *= -1


def ising_swendsen_wang(
    L: int,
    T: float,
    n: int,
    rng: np.random.Generator,
    *,
    chains: int = 500,
    burn: int = 50,
    thin: int = 10,
) -> np.ndarray:
    """``n`` equilibrium configurations (n, L, L) int8 ±1 of the periodic Ising model at T.

    ``chains`` independent chains start from random spins, run ``burn`` sweeps, then each
    contributes one configuration every ``thin`` sweeps (the Swendsen–Wang energy
    autocorrelation time at L = 32 is a few sweeps even at T_c).
    """
    from scigan.progress import bar

    chains = max(1, min(chains, n))
    spins = np.where(rng.random((chains, L, L)) < 0.5, 1, -1).astype(np.int8)
    beta = 1.0 / T
    rounds = -(-n // chains)
    with bar(burn + rounds * thin, f"Ising T={T:.4g} (Swendsen-Wang)", "sweep") as pbar:
        for _ in range(burn):
            swendsen_wang_sweep(spins, beta, rng)
            pbar.update()
        out = []
        while sum(len(o) for o in out) < n:
            for _ in range(thin):
                swendsen_wang_sweep(spins, beta, rng)
                pbar.update()
            out.append(spins.copy())
    return np.concatenate(out)[:n]


def metropolis_sweep(spins: np.ndarray, beta: float, rng: np.random.Generator) -> None:
    """One checkerboard Metropolis sweep of periodic lattices, in place. spins: (..., L, L) int8
    ±1 with L even (so that same-colour sites are never neighbours).

    Each site is flipped with probability min(1, e^{−βΔE}), ΔE = 2 s_i Σ_nb s_j (J = 1): the
    even sublattice first, then the odd one with the neighbour sums recomputed. One uniform per
    site per sweep; any leading axes are independent chains updated together.
    """
    h, w = spins.shape[-2:]
    if h % 2 or w % 2:
        raise ValueError(f"checkerboard Metropolis needs even lattice sides, got {h}×{w}")
    # Acceptance by x = s_i Σ_nb s_j ∈ {−4, −2, 0, 2, 4}: min(1, e^{−2βx}), indexed by x + 4.
    accept = np.minimum(1.0, np.exp(-2.0 * beta * np.arange(-4, 5)))
    u = rng.random(spins.shape)
    odd = (np.arange(h)[:, None] + np.arange(w)[None, :]) % 2 == 1  # (L, L)
    for colour in (~odd, odd):
        nb = (
            np.roll(spins, 1, axis=-1)
            + np.roll(spins, -1, axis=-1)
            + np.roll(spins, 1, axis=-2)
            + np.roll(spins, -1, axis=-2)
        )  # int8 in [−4, 4]
        flip = colour & (u < accept[spins * nb + 4])
        spins[flip] *= -1


@lru_cache(maxsize=8)
def _neighbours(h: int, w: int) -> tuple[tuple[int, int, int, int], ...]:
    """Flat indices of the 4 periodic neighbours of every site of an h×w lattice."""
    return tuple(
        (
            r * w + (c + 1) % w,
            r * w + (c - 1) % w,
            ((r + 1) % h) * w + c,
            ((r - 1) % h) * w + c,
        )
        for r in range(h)
        for c in range(w)
    )


def wolff_update(spins: np.ndarray, beta: float, rng: np.random.Generator) -> int:
    """One Wolff (1989) single-cluster update of one periodic lattice, in place; returns the
    number of spins flipped. spins: (L, L) int8 ±1, C-contiguous.

    From a uniformly chosen seed site, every aligned neighbour of a cluster site joins with
    probability p = 1 − e^{−2β} (each bond tested once); the cluster is flipped as it grows (a
    flipped site is never tested again). A depth-first growth with a stack in plain Python:
    cost ∝ cluster size, about a microsecond per spin in CPython.
    """
    if spins.ndim != 2 or spins.dtype != np.int8 or not spins.flags.c_contiguous:
        raise ValueError("wolff_update needs one C-contiguous (L, L) int8 lattice")
    h, w = spins.shape
    nbrs = _neighbours(h, w)
    p_add = -math.expm1(-2.0 * beta)
    s = memoryview(spins).cast("b")  # flat view: reads and writes go to ``spins``
    seed = int(rng.integers(h * w))
    s0 = s[seed]
    s[seed] = -s0
    stack, size = [seed], 1
    u, k = rng.random(64).tolist(), 0  # uniforms drawn in blocks, one per bond test
    while stack:
        for j in nbrs[stack.pop()]:
            if s[j] == s0:
                if k == len(u):
                    u, k = rng.random(2 * len(u)).tolist(), 0
                k += 1
                if u[k - 1] < p_add:
                    s[j] = -s0
                    stack.append(j)
                    size += 1
    return size


def integrated_autocorr_time(x: np.ndarray, c: float = 5.0) -> tuple[float, int]:
    """Integrated autocorrelation time of a stationary series by Sokal's automatic windowing.

    τ_int(M) = ½ + Σ_{t=1..M} ρ(t), with the window M the smallest one satisfying M ≥ c τ_int(M)
    (Sokal 1997, "Monte Carlo methods in statistical mechanics", §3; Madras & Sokal 1988). The
    variance of the mean of N correlated values is 2 τ_int σ² / N, so the series holds
    N / (2 τ_int) independent samples. ρ from the FFT of the zero-padded series.

    Returns:
        (τ_int in units of the series' step, window M); M = N − 1 when no window satisfies the
        condition (the series is too short: τ_int is then a lower bound). A constant series
        gives (½, 0).
    """
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    x = x - x.mean()
    var = float(x @ x)
    if n < 2 or var == 0.0:
        return 0.5, 0
    f = np.fft.rfft(x, 2 * n)
    rho = np.fft.irfft(f * np.conj(f), 2 * n)[:n] / var  # (N,) ρ(0) = 1
    tau = np.cumsum(rho) - 0.5  # τ_int(M) for M = 0 … N − 1
    ok = np.nonzero(np.arange(n) >= c * tau)[0]
    m = int(ok[0]) if len(ok) else n - 1
    return float(tau[m]), m


# ----------------------------------------------------------------------------- GRF


def wavenumbers(size: int) -> np.ndarray:
    """|k| in radians per pixel on a size×size FFT grid, (size, size)."""
    k1 = 2 * np.pi * np.fft.fftfreq(size)
    return np.sqrt(k1[:, None] ** 2 + k1[None, :] ** 2)


def power_law_spectrum(size: int, index: float) -> np.ndarray:
    """P(k) ∝ k^−index on the FFT grid with P(0) = 0, normalised to unit field variance."""
    k = wavenumbers(size)
    p = np.zeros_like(k)
    p[k > 0] = k[k > 0] ** -index
    return p / p.sum() * size * size  # Σ P / size² = 1: unit variance per pixel


def gaussian_random_field(
    size: int, n: int, index: float, rng: np.random.Generator, *, chunk: int = 1000
) -> np.ndarray:
    """``n`` periodic Gaussian random fields (n, size, size), unit variance, P(k) ∝ k^−index.

    White noise is filtered by √P(k) in Fourier space (real FFT of a real field keeps the
    Hermitian symmetry exactly).
    """
    amp = np.sqrt(power_law_spectrum(size, index))
    out = np.empty((n, size, size), dtype=np.float32)
    for s in range(0, n, chunk):
        m = min(chunk, n - s)
        noise = np.fft.fft2(rng.standard_normal((m, size, size)))
        out[s : s + m] = np.fft.ifft2(noise * amp).real
    return out


def lognormal_field(
    size: int, n: int, index: float, sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """Log-normal fields δ = exp(σ g − σ²/2) − 1 (mean 0, δ > −1) from unit-variance GRFs g."""
    g = gaussian_random_field(size, n, index, rng).astype(np.float64)
    return np.expm1(sigma * g - 0.5 * sigma**2).astype(np.float32)


# ----------------------------------------------------------------------------- calorimeter

# CaloChallenge dataset 2 geometry: 45 layers × 16 angular × 9 radial bins (Krause et al. 2024).
CALO_LAYERS, CALO_ALPHA, CALO_RADIAL = 45, 16, 9
# Radial bin edges in Molière radii (ds2 uses 4.65 mm bins out to ~9 R_M of 9.3 mm; here
# coarser at large r so that every bin is populated in a toy of this size).
CALO_R_EDGES = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5, 7.0])
CALO_X0_PER_LAYER = 0.5  # radiation lengths per layer (22.5 X0 in all)
CALO_E_CRIT_GEV = 0.0125  # critical energy of the absorber (≈ Si-W)
CALO_SPOTS_PER_GEV = 40.0
CALO_SAMPLING = 0.3  # visible fraction of the incident energy


def toy_calorimeter(
    e_inc_gev: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Toy EM showers: (N, 45, 16, 9) float32 voxel energies in MeV for incident energies in GeV.

    Per shower: N_spots ~ Poisson(40 E/GeV); each spot carries 0.3 E / ⟨N⟩ × Gamma(4)/4 MeV;
    its depth follows the Gamma longitudinal profile dE/dt ∝ t^{a−1} e^{−bt} with b = 0.5 and
    t_max = (a−1)/b = ln(E/E_c) − 0.5 (Longo 1975; PDG), with a per-shower 10 % fluctuation of
    a; its radius follows the Grindhammer–Peters core+tail form (Grindhammer & Peters 1993)
    f(r) = p·2rR_C²/(r²+R_C²)² + (1−p)·2rR_T²/(r²+R_T²)² with R_C, R_T growing with depth;
    its angle is uniform. Spots behind the last layer or outside the last radial bin leak.

    Returns:
        (voxels (N, 45, 16, 9) float32 MeV, sparsity-free visible energy per shower (N,)).
    """
    e = np.asarray(e_inc_gev, dtype=np.float64)
    n = len(e)
    counts = rng.poisson(CALO_SPOTS_PER_GEV * e)  # (N,)
    total = int(counts.sum())
    shower = np.repeat(np.arange(n), counts)  # (S,) shower index of every spot
    spot_e = (CALO_SAMPLING * 1000.0 / CALO_SPOTS_PER_GEV) * rng.gamma(4.0, 0.25, total)  # MeV
    b = 0.5
    t_max = np.log(e / CALO_E_CRIT_GEV) - 0.5
    a = (b * t_max + 1.0) * np.exp(0.1 * rng.standard_normal(n))  # per-shower shape
    t = rng.gamma(a[shower], 1.0 / b)  # depth in X0
    layer = np.floor(t / CALO_X0_PER_LAYER).astype(np.int64)
    tau = t / np.maximum(t_max[shower], 0.5)
    r_core = 0.15 + 0.15 * tau
    r_tail = 0.6 * (np.exp(0.6 * (tau - 1.5)) + np.exp(-1.5 * (tau - 1.0)))
    p_core = np.clip(0.85 - 0.15 * tau, 0.3, 0.9)
    u = rng.random(total)
    radius = np.where(rng.random(total) < p_core, r_core, r_tail) * np.sqrt(u / (1.0 - u))
    rbin = np.searchsorted(CALO_R_EDGES, radius, side="right") - 1
    abin = rng.integers(0, CALO_ALPHA, total)
    keep = (layer < CALO_LAYERS) & (rbin < CALO_RADIAL)
    flat = ((shower * CALO_LAYERS + layer) * CALO_ALPHA + abin) * CALO_RADIAL + rbin
    size = n * CALO_LAYERS * CALO_ALPHA * CALO_RADIAL
    voxels = np.bincount(flat[keep], weights=spot_e[keep], minlength=size)
    visible = np.bincount(shower, weights=spot_e, minlength=n)
    return (
        voxels.reshape(n, CALO_LAYERS, CALO_ALPHA, CALO_RADIAL).astype(np.float32),
        visible,
    )


# ----------------------------------------------------------------------------- telegraph


def telegraph_gillespie(
    n: int,
    length: int,
    dt: float,
    rates: tuple[float, float, float, float],
    rng: np.random.Generator,
    *,
    burn: float = 20.0,
) -> np.ndarray:
    """mRNA counts of the telegraph model on a time grid, (n, length) float32.

    Reactions (Gillespie 1977 direct method, vectorised over the n cells): gene off → on
    (k_on), on → off (k_off), on → on + mRNA (k_m), mRNA → ∅ (γ per molecule). Cells start
    from the stationary gene state and a Poisson(mean) mRNA count and run ``burn`` time units
    before the first grid point t = 0, dt, …, (length − 1) dt.
    """
    k_on, k_off, k_m, gamma = rates
    p_on = k_on / (k_on + k_off)
    gene = (rng.random(n) < p_on).astype(np.int64)
    mrna = rng.poisson(k_m * p_on / gamma, n).astype(np.int64)
    t = np.full(n, -burn)
    grid = np.arange(length) * dt
    nxt = np.zeros(n, dtype=np.int64)  # next grid index to record per cell
    out = np.zeros((n, length), dtype=np.float32)
    rows = np.arange(n)
    while True:
        active = nxt < length
        if not active.any():
            break
        r_on = np.where(gene == 0, k_on, 0.0)
        r_off = np.where(gene == 1, k_off, 0.0)
        r_prod = np.where(gene == 1, k_m, 0.0)
        r_deg = gamma * mrna
        total = r_on + r_off + r_prod + r_deg  # > 0 always (k_on or k_off > 0)
        t_new = t + rng.exponential(1.0 / total)
        # Record the current state at every grid point in [t, t_new) before the jump.
        while True:
            rec = active & (nxt < length)
            rec[rec] = grid[nxt[rec]] < t_new[rec]
            if not rec.any():
                break
            out[rows[rec], nxt[rec]] = mrna[rec]
            nxt[rec] += 1
        u = rng.random(n) * total
        c1, c2, c3 = r_on, r_on + r_off, r_on + r_off + r_prod
        gene = np.where(u < c1, 1, np.where(u < c2, 0, gene))
        mrna = mrna + ((u >= c2) & (u < c3)) - (u >= c3)
        t = t_new
    return out
