"""Golden values: the shipped simulators against exact physics at full size (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from scigan.domains.fields import metrics as fm
from scigan.domains.fields import simulators as sim
from scigan.domains.fields.exact import gaussian_minkowski, ising_exact, telegraph_moments

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("T", [2.0, 2.269185, 2.5])
def test_swendsen_wang_L32_matches_kaufman(T):
    s = sim.ising_swendsen_wang(32, T, 3000, np.random.default_rng(11))
    e, m = fm.ising_observables(s)
    st = fm.ising_statistics(e, m, 32, T)
    ex = ising_exact(32, T)
    # Independent chains, thinned by 10 sweeps: plain standard errors apply.
    assert abs(st["energy"] - ex["energy"]) < 3.5 * st["energy_se"]
    assert abs(st["specific_heat"] - ex["specific_heat"]) < 3.5 * st["specific_heat_se"]
    assert st["m_pos"] == pytest.approx(0.5, abs=0.04)
    if T == 2.269185:
        # DATA.md reference values at T_c for L = 32: ⟨|m|⟩ 0.655, U₄ 0.611.
        assert st["abs_m"] == pytest.approx(0.655, abs=0.015)
        assert st["binder"] == pytest.approx(0.611, abs=0.02)


def test_grf_minkowski_close_to_analytic_on_lattice():
    x = sim.gaussian_random_field(64, 500, 2.0, np.random.default_rng(0))
    nu = np.linspace(-2, 2, 9)
    mf = fm.minkowski_functionals(x, nu)
    lam = fm.finite_difference_lambda(sim.power_law_spectrum(64, 2.0))
    th = gaussian_minkowski(nu, lam)
    assert mf["area"] == pytest.approx(th["area"], abs=0.01)
    # Rough (k⁻²) fields are only approximately captured by pixel estimators: 20 % band.
    assert np.abs(mf["length"] - th["length"]).max() < 0.2 * th["length"].max()


def test_telegraph_long_run_autocorrelation():
    rates = (0.5, 1.0, 30.0, 1.0)
    x = sim.telegraph_gillespie(5000, 64, 0.25, rates, np.random.default_rng(2))
    ex = telegraph_moments(*rates, lags=np.arange(17) * 0.25)
    st = fm.series_statistics(x, 16)
    assert st["mean"] == pytest.approx(ex["mean"], rel=0.02)
    assert st["fano"] == pytest.approx(ex["fano"], rel=0.05)
    assert np.abs(st["autocorr"] - ex["autocorr"]).max() < 0.02
