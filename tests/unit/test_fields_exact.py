"""Closed forms of the fields domain: Kaufman's Ising solution, GRF Minkowski, telegraph model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scigan.domains.fields.exact import (
    T_CRITICAL,
    gaussian_minkowski,
    ising_brute_force,
    ising_exact,
    telegraph_moments,
)


@pytest.mark.parametrize("T", [1.0, 1.8, 2.0, 2.269185, 2.5, 3.3, 10.0])
def test_kaufman_matches_brute_force_enumeration_at_L4(T):
    exact, brute = ising_exact(4, T), ising_brute_force(4, T)
    assert exact["energy"] == pytest.approx(brute["energy"], abs=1e-10)
    assert exact["specific_heat"] == pytest.approx(brute["specific_heat"], abs=1e-8)


def test_kaufman_at_L2_matches_enumeration():
    # L = 2 on a torus double-counts bonds; both the formula and the enumeration do so.
    for T in (1.5, 3.0):
        assert ising_exact(2, T)["energy"] == pytest.approx(
            ising_brute_force(2, T)["energy"], abs=1e-10
        )


@pytest.mark.parametrize(
    "T, energy, heat",
    [(2.0, -1.745565, 0.7249), (2.269185, -1.433659, 1.847), (2.5, -1.107292, 0.8858)],
)
def test_kaufman_reference_values_L32(T, energy, heat):
    # Reference numbers from DATA.md (Ferdinand & Fisher finite-lattice solution).
    res = ising_exact(32, T)
    assert res["energy"] == pytest.approx(energy, abs=2e-6)
    assert res["specific_heat"] == pytest.approx(heat, abs=6e-4)


def test_kaufman_exactly_at_tc_is_finite_and_limits():
    res = ising_exact(32, T_CRITICAL)
    assert math.isfinite(res["energy"]) and math.isfinite(res["specific_heat"])
    # Ground state and infinite temperature.
    assert ising_exact(16, 0.2)["energy"] == pytest.approx(-2.0, abs=1e-9)
    assert ising_exact(16, 1e4)["energy"] == pytest.approx(0.0, abs=1e-3)


def test_brute_force_symmetry_and_limits():
    r = ising_brute_force(3, 0.3)
    assert r["abs_m"] == pytest.approx(1.0, abs=1e-6)
    r = ising_brute_force(3, 1e6)
    assert r["m2"] == pytest.approx(1 / 9, rel=1e-3)  # independent spins: ⟨m²⟩ = 1/N


def test_gaussian_minkowski_closed_forms():
    nu = np.array([-1.0, 0.0, 1.0])
    mf = gaussian_minkowski(nu, lam=0.5)
    assert mf["area"][1] == pytest.approx(0.5)
    assert mf["area"][0] + mf["area"][2] == pytest.approx(1.0)
    assert mf["euler"][1] == 0.0 and mf["euler"][0] == pytest.approx(-mf["euler"][2])
    assert mf["length"][1] == pytest.approx(0.5 * math.sqrt(0.5))


def test_telegraph_limits():
    # Constitutive expression (k_off → 0): Poisson with mean k_m/γ, Fano 1.
    m = telegraph_moments(10.0, 1e-9, 20.0, 2.0, np.array([0.0, 1.0]))
    assert m["mean"] == pytest.approx(10.0, rel=1e-6)
    assert m["fano"] == pytest.approx(1.0, abs=1e-6)
    assert m["autocorr"][1] == pytest.approx(math.exp(-2.0), rel=1e-5)
    # General case: autocorrelation starts at 1 and decays.
    m = telegraph_moments(0.5, 1.0, 30.0, 1.0, np.arange(5) * 0.5)
    assert m["autocorr"][0] == pytest.approx(1.0)
    assert np.all(np.diff(m["autocorr"]) < 0)
    assert m["fano"] == pytest.approx(1 + 30 * 1.0 / (1.5 * 2.5))
    # γ = k_on + k_off: the degenerate branch agrees with the limit of the general one.
    a = telegraph_moments(0.5, 0.5, 10.0, 1.0, np.array([0.7]))["autocorr"]
    b = telegraph_moments(0.5, 0.5, 10.0, 1.0 + 1e-7, np.array([0.7]))["autocorr"]
    assert a[0] == pytest.approx(b[0], rel=1e-5)
