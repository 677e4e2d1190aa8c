"""Closed forms the fields metrics are judged against.

* 2-D Ising model on an L×L periodic lattice: exact finite-lattice energy and specific heat per
  spin from Kaufman's partition function (Kaufman 1949, Phys. Rev. 76, 1232; in the form of
  Ferdinand & Fisher 1969, Phys. Rev. 185, 832, eqs. 2.1-2.5), plus brute-force enumeration
  for tiny lattices (the test of the formula).
* Gaussian random fields in 2-D: Minkowski functionals of excursion sets (area fraction,
  boundary length and Euler characteristic per unit area; Tomita 1986, Adler 1981 ch. 4).
* Telegraph model of gene expression: stationary mean, variance, Fano factor and the
  autocorrelation function of the mRNA count (Peccoud & Ycart 1995).
"""

from __future__ import annotations

import math

import numpy as np
import torch

T_CRITICAL = 2.0 / math.log(1.0 + math.sqrt(2.0))  # 2.269185314…, Onsager (J = k_B = 1)


# ----------------------------------------------------------------------------- Ising


def _log_abs_2sinh(x: torch.Tensor) -> torch.Tensor:
    """log|2 sinh x| without overflow: |x| + log(1 − e^{−2|x|})."""
    a = x.abs()
    return a + torch.log(-torch.expm1(-2.0 * a))


def _log_2cosh(x: torch.Tensor) -> torch.Tensor:
    """log(2 cosh x) = logaddexp(x, −x)."""
    return torch.logaddexp(x, -x)


def ising_log_partition(L: int, K: torch.Tensor) -> torch.Tensor:
    """ln Z of the L×L periodic Ising model at coupling K = J/(k_B T), differentiable in K.

    Ferdinand & Fisher (1969), eqs. (2.1)-(2.5) with n = m = L::

        Z = ½ (2 sinh 2K)^{L²/2} Σ_{i=1..4} Z_i
        Z₁ = Π_r 2cosh(½Lγ_{2r+1}),  Z₂ = Π_r 2sinh(½Lγ_{2r+1}),
        Z₃ = Π_r 2cosh(½Lγ_{2r}),    Z₄ = Π_r 2sinh(½Lγ_{2r}),      r = 0 … L−1
        cosh γ_l = cosh 2K coth 2K − cos(πl/L)  (l ≥ 1),   γ₀ = 2K + ln tanh K.

    γ₀ changes sign at the critical point, so Z₄ is negative above T_c; the sum is taken with
    signs in log space.
    """
    r = torch.arange(L, dtype=torch.float64)
    c = torch.cosh(2 * K) / torch.tanh(2 * K)
    gamma_odd = torch.acosh(c - torch.cos(math.pi * (2 * r + 1) / L))  # (L,)
    gamma_even_rest = torch.acosh(c - torch.cos(math.pi * (2 * r[1:]) / L))  # (L-1,)
    gamma0 = 2 * K + torch.log(torch.tanh(K))
    half = 0.5 * L
    logs = torch.stack(
        [
            _log_2cosh(half * gamma_odd).sum(),
            _log_abs_2sinh(half * gamma_odd).sum(),
            _log_2cosh(half * gamma0) + _log_2cosh(half * gamma_even_rest).sum(),
            _log_abs_2sinh(half * gamma0) + _log_abs_2sinh(half * gamma_even_rest).sum(),
        ]
    )
    signs = torch.stack([torch.ones((), dtype=torch.float64)] * 3 + [torch.sign(gamma0).detach()])
    top = logs.max()
    log_sum = top + torch.log((signs * torch.exp(logs - top)).sum())
    return math.log(0.5) + 0.5 * L * L * torch.log(2 * torch.sinh(2 * K)) + log_sum


def ising_exact(L: int, T: float) -> dict[str, float]:
    """Exact energy and specific heat per spin of the L×L periodic Ising model at T (J=k_B=1).

    e = −(1/L²) ∂ln Z/∂K and c = (K²/L²) ∂²ln Z/∂K², computed by automatic differentiation of
    :func:`ising_log_partition` in float64.

    Returns:
        ``{"energy": e, "specific_heat": c}`` per spin.
    """
    if L < 2 or T <= 0:
        raise ValueError(f"need L >= 2 and T > 0, got L={L}, T={T}")
    K0 = 1.0 / T
    if abs(K0 - 1.0 / T_CRITICAL) < 1e-10:
        K0 += 1e-9  # γ₀ = 0 exactly at T_c: ln|sinh| is singular; the shift changes e by ~1e-9
    K = torch.tensor(K0, dtype=torch.float64, requires_grad=True)
    ln_z = ising_log_partition(L, K)
    (d1,) = torch.autograd.grad(ln_z, K, create_graph=True)
    (d2,) = torch.autograd.grad(d1, K)
    n = L * L
    return {
        "energy": -float(d1.detach()) / n,
        "specific_heat": K0 * K0 * float(d2.detach()) / n,
    }


def ising_brute_force(L: int, T: float) -> dict[str, float]:
    """Energy, specific heat, ⟨|m|⟩, ⟨m²⟩, ⟨m⁴⟩ per spin by enumerating all 2^(L²) states.

    Only for L ≤ 4 (65,536 states); the test of :func:`ising_exact`.
    """
    n = L * L
    if n > 16:
        raise ValueError("brute force enumerates 2^(L*L) states; use L <= 4")
    states = np.arange(2**n, dtype=np.int64)
    spins = (((states[:, None] >> np.arange(n)) & 1) * 2 - 1).reshape(-1, L, L)  # (S, L, L)
    bonds = spins * np.roll(spins, 1, axis=1) + spins * np.roll(spins, 1, axis=2)
    energy = -bonds.sum(axis=(1, 2)).astype(np.float64)  # (S,) total E = −Σ_<ij> s_i s_j
    mag = spins.sum(axis=(1, 2)) / n
    logw = -energy / T
    w = np.exp(logw - logw.max())
    w /= w.sum()
    e_mean = float(w @ energy)
    e_var = float(w @ (energy - e_mean) ** 2)
    return {
        "energy": e_mean / n,
        "specific_heat": e_var / (T * T * n),
        "abs_m": float(w @ np.abs(mag)),
        "m2": float(w @ mag**2),
        "m4": float(w @ mag**4),
    }


# ----------------------------------------------------------------------------- GRF


def gaussian_minkowski(nu: np.ndarray, lam: float) -> dict[str, np.ndarray]:
    """Minkowski functionals per unit area of the excursion set {u > ν σ} of a 2-D Gaussian field.

    With λ = ⟨(∂ₓu)²⟩/⟨u²⟩ (one derivative component over the variance; Adler 1981, Tomita 1986):

    * area fraction        A(ν) = ½ erfc(ν/√2)
    * boundary length      ℓ(ν) = (√λ / 2) e^{−ν²/2}          (Rice formula)
    * Euler characteristic χ(ν) = λ / (2π)^{3/2} · ν e^{−ν²/2}  (Adler's EC density)

    Lengths are in pixels when λ is per pixel².
    """
    nu = np.asarray(nu, dtype=np.float64)
    g = np.exp(-0.5 * nu**2)
    area = 0.5 * np.vectorize(math.erfc)(nu / math.sqrt(2.0))
    return {
        "area": area,
        "length": 0.5 * math.sqrt(lam) * g,
        "euler": lam / (2 * math.pi) ** 1.5 * nu * g,
    }


# ----------------------------------------------------------------------------- telegraph


def telegraph_moments(
    k_on: float, k_off: float, k_m: float, gamma: float, lags: np.ndarray
) -> dict[str, np.ndarray | float]:
    """Stationary statistics of the telegraph model (gene off ⇄ on; on → mRNA; mRNA → ∅).

    Peccoud & Ycart (1995); with λ = k_on + k_off, p = k_on/λ:

    * mean  μ = k_m p / γ
    * Fano  F = 1 + k_m k_off / (λ (λ + γ))
    * autocovariance (moment equations are linear, so exact):
      C(τ) = V e^{−γτ} + k_m c_gm (e^{−λτ} − e^{−γτ}) / (γ − λ),
      c_gm = Cov(g, m) = k_m p (1 − p) / (λ + γ)

    Returns:
        ``{"mean", "variance", "fano", "autocorr"}``; autocorr = C(τ)/V at ``lags``.
    """
    lam = k_on + k_off
    p = k_on / lam
    mean = k_m * p / gamma
    fano = 1.0 + k_m * k_off / (lam * (lam + gamma))
    var = fano * mean
    c_gm = k_m * p * (1 - p) / (lam + gamma)
    tau = np.asarray(lags, dtype=np.float64)
    if abs(gamma - lam) < 1e-12:
        cross = k_m * c_gm * tau * np.exp(-gamma * tau)
    else:
        cross = k_m * c_gm * (np.exp(-lam * tau) - np.exp(-gamma * tau)) / (gamma - lam)
    cov = var * np.exp(-gamma * tau) + cross
    return {"mean": mean, "variance": var, "fano": fano, "autocorr": cov / var}
