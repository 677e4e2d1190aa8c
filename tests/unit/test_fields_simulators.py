"""The simulators reproduce their known statistics (small, fast versions)."""

from __future__ import annotations

import numpy as np
import pytest

from scigan.domains.fields import metrics as fm
from scigan.domains.fields import simulators as sim
from scigan.domains.fields.exact import ising_brute_force, telegraph_moments


@pytest.mark.parametrize("T", [1.8, 3.0])
def test_swendsen_wang_L4_matches_enumeration(T):
    s = sim.ising_swendsen_wang(4, T, 4000, np.random.default_rng(0), chains=400, thin=3)
    assert s.shape == (4000, 4, 4) and set(np.unique(s)) <= {-1, 1}
    e, m = fm.ising_observables(s)
    st = fm.ising_statistics(e, m, 4, T)
    ref = ising_brute_force(4, T)
    assert abs(st["energy"] - ref["energy"]) < 4 * st["energy_se"]
    assert st["abs_m"] == pytest.approx(ref["abs_m"], abs=0.03)
    assert st["m_pos"] == pytest.approx(0.5, abs=0.05)


def test_swendsen_wang_is_seeded():
    a = sim.ising_swendsen_wang(8, 2.3, 10, np.random.default_rng(3), chains=5, burn=3, thin=1)
    b = sim.ising_swendsen_wang(8, 2.3, 10, np.random.default_rng(3), chains=5, burn=3, thin=1)
    assert np.array_equal(a, b)


def test_grf_variance_and_spectrum_slope():
    x = sim.gaussian_random_field(32, 300, 2.0, np.random.default_rng(0))
    assert x.shape == (300, 32, 32)
    assert x.var() == pytest.approx(1.0, rel=0.05)
    k, p, _ = fm.radial_power_spectrum(x)
    slope = np.polyfit(np.log(k[1:10]), np.log(p[1:10]), 1)[0]
    assert slope == pytest.approx(-2.0, abs=0.15)


def test_lognormal_mean_and_support():
    d = sim.lognormal_field(32, 300, 2.0, 1.0, np.random.default_rng(0))
    assert d.min() > -1
    assert d.mean() == pytest.approx(0.0, abs=0.05)


def test_toy_calorimeter_shapes_and_energy():
    e = np.array([1.0, 10.0, 100.0])
    x, visible = sim.toy_calorimeter(e, np.random.default_rng(0))
    assert x.shape == (3, 45, 16, 9) and x.dtype == np.float32
    assert (x >= 0).all()
    dep = x.sum(axis=(1, 2, 3))
    assert np.all(dep <= visible + 1e-3)  # leakage only removes energy
    assert np.all(dep / (1000 * e) == pytest.approx(0.3, abs=0.08))
    # Deeper showers at higher energy (t_max grows like ln E).
    depth = (x.sum(axis=(2, 3)) * np.arange(45)).sum(axis=1) / dep
    assert depth[0] < depth[1] < depth[2]


def test_telegraph_gillespie_moments():
    rates = (0.5, 1.0, 30.0, 1.0)
    x = sim.telegraph_gillespie(1500, 24, 0.25, rates, np.random.default_rng(0))
    ex = telegraph_moments(*rates, lags=np.arange(5) * 0.25)
    st = fm.series_statistics(x, 4)
    assert st["mean"] == pytest.approx(ex["mean"], rel=0.05)
    assert st["fano"] == pytest.approx(ex["fano"], rel=0.12)
    assert st["autocorr"] == pytest.approx(ex["autocorr"], abs=0.05)
    assert (x >= 0).all() and np.array_equal(x, np.rint(x))
