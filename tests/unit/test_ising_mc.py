"""The single Ising Markov chains (checkerboard Metropolis, Wolff) sample the Boltzmann
distribution: their mean energy per spin at L = 8 matches Kaufman's exact finite-lattice value
within 4 standard errors, the errors from the chains' integrated autocorrelation time."""

from __future__ import annotations

import numpy as np
import pytest

from scigan.domains.fields import simulators as sim
from scigan.domains.fields.exact import ising_exact


def _energy(spins: np.ndarray) -> np.ndarray:
    """Energy per spin of lattices (..., L, L): −(1/L²) Σ_<ij> s_i s_j, each bond once."""
    s = spins.astype(np.float64)
    bonds = s * np.roll(s, 1, axis=-1) + s * np.roll(s, 1, axis=-2)
    return -bonds.sum(axis=(-2, -1)) / (s.shape[-1] * s.shape[-2])


def _mean_and_se(series: np.ndarray) -> tuple[float, float]:
    tau, _ = sim.integrated_autocorr_time(series)
    return float(series.mean()), float(np.sqrt(2.0 * tau * series.var() / len(series)))


def _metropolis_energies(L: int, T: float, chains: int, burn: int, n: int) -> np.ndarray:
    """Per-sweep energy per spin averaged over ``chains`` independent chains, (n,)."""
    rng = np.random.default_rng(1)
    spins = np.ones((chains, L, L), dtype=np.int8)
    out = np.empty(n)
    for t in range(burn + n):
        sim.metropolis_sweep(spins, 1.0 / T, rng)
        if t >= burn:
            out[t - burn] = _energy(spins).mean()
    return out


def _wolff_energies(L: int, T: float, burn: int, n: int) -> np.ndarray:
    """Energy per spin after each cluster update, (n,)."""
    rng = np.random.default_rng(2)
    spins = np.ones((L, L), dtype=np.int8)
    out = np.empty(n)
    for t in range(burn + n):
        sim.wolff_update(spins, 1.0 / T, rng)
        if t >= burn:
            out[t - burn] = _energy(spins)
    return out


@pytest.mark.parametrize("T", [2.0, 2.5])
def test_metropolis_energy_matches_kaufman(T):
    e = _metropolis_energies(8, T, chains=32, burn=200, n=1500)
    mean, se = _mean_and_se(e)
    exact = ising_exact(8, T)["energy"]
    assert abs(mean - exact) < 4 * se, (mean, exact, se)
    assert se < 0.01  # the test has power: 4 se is well below the T = 2 → 2.5 change (0.35)


@pytest.mark.parametrize("T", [2.0, 2.5])
def test_wolff_energy_matches_kaufman(T):
    e = _wolff_energies(8, T, burn=200, n=10_000)
    mean, se = _mean_and_se(e)
    exact = ising_exact(8, T)["energy"]
    assert abs(mean - exact) < 4 * se, (mean, exact, se)
    assert se < 0.01


def test_infinite_temperature_energy_is_zero():
    """β → 0 from the ordered state: both chains forget it and reach e ≈ 0 (detailed balance
    with a flat distribution). Metropolis at T = 100 (not ∞: at β = 0 every proposal is
    accepted and the checkerboard sweep is a deterministic global flip)."""
    e_m = _metropolis_energies(8, 100.0, chains=16, burn=300, n=500)
    e_w = _wolff_energies(8, 1e4, burn=3000, n=3000)  # p_add ≈ 2e-4: single-spin flips
    for e, T in ((e_m, 100.0), (e_w, 1e4)):
        mean, se = _mean_and_se(e)
        assert abs(mean) < 0.05
        assert abs(mean - ising_exact(8, T)["energy"]) < 4 * se


def test_wolff_flips_one_aligned_cluster():
    rng = np.random.default_rng(0)
    spins = np.where(rng.random((16, 16)) < 0.5, 1, -1).astype(np.int8)
    before = spins.copy()
    size = sim.wolff_update(spins, 0.44, rng)
    changed = spins != before
    assert changed.sum() == size >= 1
    assert len(np.unique(before[changed])) == 1  # every flipped spin had the seed's sign


def test_chains_are_seeded():
    a = np.ones((2, 8, 8), dtype=np.int8)
    b = a.copy()
    for s, seed in ((a, 5), (b, 5)):
        rng = np.random.default_rng(seed)
        for _ in range(5):
            sim.metropolis_sweep(s, 0.4, rng)
            sim.wolff_update(s[0], 0.4, rng)
    assert np.array_equal(a, b)


def test_metropolis_needs_even_sides():
    with pytest.raises(ValueError, match="even"):
        sim.metropolis_sweep(np.ones((7, 7), dtype=np.int8), 0.4, np.random.default_rng(0))


def test_autocorr_time_of_ar1():
    """AR(1) x_t = φ x_{t−1} + ε_t has ρ(t) = φ^t, so τ_int = ½ + φ/(1 − φ) = 9.5 at φ = 0.9."""
    rng = np.random.default_rng(0)
    phi, n = 0.9, 200_000
    eps = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = eps[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + eps[t]
    tau, window = sim.integrated_autocorr_time(x)
    assert tau == pytest.approx(9.5, rel=0.08)
    assert window >= 5 * tau
    assert sim.integrated_autocorr_time(np.ones(10)) == (0.5, 0)
