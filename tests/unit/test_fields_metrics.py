"""Fields metrics against closed forms and constructed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scigan.domains.fields import metrics as fm
from scigan.domains.fields.exact import gaussian_minkowski, ising_brute_force


def test_ising_observables_ground_states():
    up = np.ones((2, 1, 8, 8))
    e, m = fm.ising_observables(up)
    assert np.allclose(e, -2.0) and np.allclose(m, 1.0)
    checker = np.indices((8, 8)).sum(axis=0) % 2 * 2 - 1.0
    e, m = fm.ising_observables(checker[None])
    assert e[0] == pytest.approx(2.0) and m[0] == pytest.approx(0.0)
    assert np.allclose(fm.two_point(up), 1.0)
    g = fm.two_point(checker[None])
    assert g[1] == pytest.approx(-1.0) and g[2] == pytest.approx(1.0)


def test_ising_statistics_match_enumeration_weights():
    # Exact Boltzmann-weighted resampling of all 4×4 states reproduces brute-force averages.
    L, T = 4, 2.5
    states = np.arange(2**16)
    spins = (((states[:, None] >> np.arange(16)) & 1) * 2 - 1).reshape(-1, L, L)
    e, m = fm.ising_observables(spins)
    w = np.exp(-(e * 16) / T)
    idx = np.random.default_rng(0).choice(len(w), 200_000, p=w / w.sum())
    st = fm.ising_statistics(e[idx], m[idx], L, T)
    ref = ising_brute_force(L, T)
    assert st["energy"] == pytest.approx(ref["energy"], abs=4 * st["energy_se"])
    assert st["specific_heat"] == pytest.approx(
        ref["specific_heat"], abs=4 * st["specific_heat_se"]
    )
    assert st["abs_m"] == pytest.approx(ref["abs_m"], abs=0.01)
    assert st["binder"] == pytest.approx(1 - ref["m4"] / (3 * ref["m2"] ** 2), abs=0.01)
    assert st["m_pos"] == pytest.approx(0.5, abs=0.01)


def test_binder_limits():
    m_ordered = np.where(np.random.default_rng(0).random(1000) < 0.5, 0.9, -0.9)
    st = fm.ising_statistics(np.zeros(1000), m_ordered, 8, 2.0)
    assert st["binder"] == pytest.approx(2 / 3)  # U₄ → 2/3 in the ordered phase
    st = fm.ising_statistics(
        np.zeros(200_000), np.random.default_rng(1).normal(size=200_000), 8, 2.0
    )
    assert st["binder"] == pytest.approx(0.0, abs=0.02)  # Gaussian m: U₄ → 0


def test_power_spectrum_of_white_noise_is_flat():
    x = np.random.default_rng(0).normal(0, 2.0, (400, 32, 32))
    k, p, modes = fm.radial_power_spectrum(x)
    assert len(k) == 16 and k[0] == pytest.approx(2 * np.pi / 32)
    scatter = np.sqrt(2 / (400 * modes))  # one estimate's relative sd
    assert np.all(np.abs(p / 4.0 - 1) < 5 * scatter)


def test_spectrum_ratio_scatter_is_calibrated():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(200, 32, 32)), rng.normal(size=(200, 32, 32))
    _, pa, modes = fm.radial_power_spectrum(a)
    _, pb, _ = fm.radial_power_spectrum(b)
    z = (pa / pb - 1) / fm.spectrum_ratio_scatter(200, modes)
    assert 0.6 < z.std() < 1.5


def test_minkowski_area_of_known_threshold():
    ramp = np.tile(np.arange(64, dtype=float), (64, 1))[None]  # values 0 … 63 per row
    mf = fm.minkowski_functionals(ramp, np.array([15.5, 47.5]))
    assert mf["area"] == pytest.approx([48 / 64, 16 / 64])


def test_minkowski_euler_of_shapes():
    yy, xx = np.indices((64, 64))
    r = np.hypot(yy - 31.5, xx - 31.5)
    disc = (r < 12).astype(float)[None]
    annulus = ((r < 20) & (r > 8)).astype(float)[None]
    two_discs = ((np.hypot(yy - 15, xx - 15) < 6) | (np.hypot(yy - 45, xx - 45) < 6)).astype(float)[
        None
    ]
    npix = 64 * 64
    assert fm.minkowski_functionals(disc, [0.5])["euler"][0] * npix == pytest.approx(1)
    assert fm.minkowski_functionals(annulus, [0.5])["euler"][0] * npix == pytest.approx(0)
    assert fm.minkowski_functionals(two_discs, [0.5])["euler"][0] * npix == pytest.approx(2)
    single = np.zeros((1, 8, 8))
    single[0, 3, 3] = 1
    assert fm.minkowski_functionals(single, [0.5])["euler"][0] * 64 == pytest.approx(1)
    # Crofton boundary length of a large disc ≈ 2πR (within pixelisation error).
    big = (r < 25).astype(float)[None]
    assert fm.minkowski_functionals(big, [0.5])["length"][0] * npix == pytest.approx(
        2 * np.pi * 25, rel=0.05
    )


def test_minkowski_of_smooth_gaussian_field_matches_analytic():
    # Smooth field (Gaussian spectrum, correlation length ≫ pixel) → pixel estimators ≈ theory.
    size, n, r0 = 128, 40, 4.0
    rng = np.random.default_rng(0)
    k1 = 2 * np.pi * np.fft.fftfreq(size)
    k2 = k1[:, None] ** 2 + k1[None, :] ** 2
    amp = np.exp(-0.5 * k2 * r0**2)
    f = np.fft.ifft2(np.fft.fft2(rng.normal(size=(n, size, size))) * amp).real
    f /= f.std()
    lam = 1 / (2 * r0**2)  # ⟨(∂ₓu)²⟩/⟨u²⟩ for P(k) ∝ exp(−k² r0²)
    nu = np.array([-1.5, -0.5, 0.5, 1.5])
    mf = fm.minkowski_functionals(f, nu)
    th = gaussian_minkowski(nu, lam)
    assert mf["area"] == pytest.approx(th["area"], abs=0.01)
    assert mf["length"] == pytest.approx(th["length"], rel=0.08)
    assert mf["euler"] == pytest.approx(th["euler"], abs=0.15 * np.abs(th["euler"]).max())


def test_finite_difference_lambda_of_white_noise():
    # White noise: ⟨(u(x+1) − u(x))²⟩ = 2σ².
    assert fm.finite_difference_lambda(np.ones((16, 16))) == pytest.approx(2.0)


def test_peak_heights():
    x = np.zeros((1, 16, 16))
    x[0, 4, 4], x[0, 10, 12] = 3.0, 1.0
    assert sorted(fm.peak_heights(x)) == [1.0, 3.0]


def test_separation_power_limits():
    rng = np.random.default_rng(0)
    a = rng.normal(size=5000)
    assert fm.separation_power(a, a, a) == 0.0
    assert fm.separation_power(a, a + 100, np.concatenate([a, a + 100])) == pytest.approx(1.0)
    assert fm.separation_power(a, rng.normal(size=5000), a) < 0.01


def test_calo_features_single_voxel():
    edges = np.array([0.0, 1.0, 2.0])
    x = np.zeros((1, 3, 4, 2))
    x[0, 1, 0, 1] = 50.0  # layer 1, angle bin 0 (φ = π/4), radial bin 1 (r = 1.5)
    f = fm.calo_features(x, np.array([0.1]), edges)
    assert f["e_ratio"][0] == pytest.approx(0.5)
    assert f["layer_energy"][0].tolist() == [0.0, 50.0, 0.0]
    assert f["center_x"][0, 1] == pytest.approx(1.5 * math.cos(math.pi / 4))
    assert f["width_x"][0, 1] == pytest.approx(0.0, abs=1e-6)
    assert f["sparsity"][0, 1] == pytest.approx(1 / 8)


def test_mlp_classifier_auc_same_and_shifted():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(600, 5)), rng.normal(size=(600, 5))
    assert 0.35 < fm.mlp_classifier_auc(a, b, seed=0, hidden=(16,)) < 0.65
    assert fm.mlp_classifier_auc(a, b + 2.0, seed=0, hidden=(16,)) > 0.95


def test_series_statistics_iid_poisson():
    x = np.random.default_rng(0).poisson(7.0, (2000, 1, 32)).astype(float)
    st = fm.series_statistics(x, 4)
    assert st["mean"] == pytest.approx(7.0, rel=0.01)
    assert st["fano"] == pytest.approx(1.0, abs=0.03)
    assert st["autocorr"][0] == pytest.approx(1.0)
    assert np.all(np.abs(st["autocorr"][1:]) < 0.02)


def test_mean_periodogram_closed_forms():
    # a cosine at frequency k0 holds P(k0) = A² L / 4 and nothing elsewhere; the centring
    # removes a per-series offset exactly; white noise of variance σ² has E P(k) = σ² at k ≥ 1
    L, k0, amp = 64, 5, 3.0
    t = np.arange(L)
    rng = np.random.default_rng(0)
    x = amp * np.cos(2 * np.pi * k0 * t / L + rng.uniform(0, 6.3, (10, 1))) + rng.normal(
        size=(10, 1)
    )
    p = fm.mean_periodogram(x[:, None])
    assert p[k0] == pytest.approx(amp**2 * L / 4)
    np.testing.assert_allclose(np.delete(p, k0), 0.0, atol=1e-20)
    noise = rng.normal(scale=2.0, size=(20000, L))
    p = fm.mean_periodogram(noise)
    assert p[0] == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_allclose(p[1:-1], 4.0, rtol=0.05)  # SE 4/√20000 per k: 0.7 %
    assert p[-1] == pytest.approx(4.0, rel=0.05)  # Nyquist: one real mode, twice the spread


def test_ms_per_sample_positive():
    assert fm.ms_per_sample(lambda b: np.zeros(b).sum(), 10, min_time=0.01) > 0


def test_series_standard_errors_match_closed_forms_for_iid_values():
    # iid N(0, 1) values: se(mean) = 1/√(NL), se(variance) = √(2/(NL)), se(ρ(l)) ≈ 1/√(NL)
    x = np.random.default_rng(4).normal(size=(2000, 1, 32))
    se = fm.series_standard_errors(x, 4)
    n = x.size
    assert se["mean"] == pytest.approx(1 / np.sqrt(n), rel=0.35)
    assert se["variance"] == pytest.approx(np.sqrt(2 / n), rel=0.35)
    lag = np.asarray(se["autocorr"])[1:]
    assert np.allclose(lag, 1 / np.sqrt(n), rtol=0.4)


def test_series_standard_errors_see_correlation_within_a_series():
    # one value per series repeated along time: the L points are one draw, se(mean) = 1/√N
    x = np.repeat(np.random.default_rng(5).normal(size=(1000, 1, 1)), 16, axis=2)
    assert fm.series_standard_errors(x, 2)["mean"] == pytest.approx(1 / np.sqrt(1000), rel=0.35)
