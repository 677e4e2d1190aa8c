"""The fields networks' physics-informed discriminator features against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scigan.core.nets import ConvDiscriminator, observables
from scigan.domains.fields.metrics import ising_observables


def test_ising_observables_match_the_hamiltonian():
    up = torch.ones(1, 1, 8, 8)
    e, am, m2 = observables(up, "ising")[0].tolist()
    assert (e, am, m2) == (-2.0, 1.0, 1.0)
    checker = torch.tensor([[(-1.0) ** (i + j) for j in range(8)] for i in range(8)])
    e, am, m2 = observables(checker[None, None], "ising")[0].tolist()
    assert (e, am, m2) == (2.0, 0.0, 0.0)
    rng = np.random.default_rng(0)
    spins = rng.choice([-1.0, 1.0], size=(5, 1, 12, 12))
    got = observables(torch.tensor(spins), "ising").numpy()
    e_ref, m_ref = ising_observables(spins)
    np.testing.assert_allclose(got[:, 0], e_ref, atol=1e-12)
    np.testing.assert_allclose(got[:, 1], np.abs(m_ref), atol=1e-12)
    np.testing.assert_allclose(got[:, 2], m_ref**2, atol=1e-12)


def test_log_spectrum_of_white_noise_is_flat_at_zero():
    # Unit-variance white noise: E|FFT|²/S² = 1 in every k bin, so log P ≈ 0 on average.
    x = torch.randn(400, 1, 32, 32, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    power = observables(x, "spectrum").exp().mean(dim=0).numpy()
    assert power.shape == (16,)
    np.testing.assert_allclose(power, 1.0, atol=0.06)
    # A pure cosine of wave number 3 puts all its power in bin 3.
    i = torch.arange(32, dtype=torch.float64)
    wave = torch.cos(2 * np.pi * 3 * i / 32)[None, :].expand(32, 32)[None, None]
    spec = observables(wave, "spectrum")[0]
    assert int(spec.argmax()) == 2 and spec[2] > 0 and (spec[torch.arange(16) != 2] < -15).all()


def test_discriminator_uses_observables_and_they_carry_gradient():
    torch.manual_seed(0)
    d = ConvDiscriminator(
        [1, 8, 8], cond_dim=1, periodic=[True, True], observables="ising",
        obs_mean=[-1.0, 0.5, 0.3], obs_std=[0.1, 0.1, 0.1], minibatch_std=True, pac=2,
    )  # fmt: skip
    x = torch.randn(8, 1, 8, 8, requires_grad=True)
    out = d(x, torch.ones(8, 1))
    assert out.shape == (8,)
    grad = torch.autograd.grad(d.obs(x).sum(), x)[0]
    assert grad.abs().sum() > 0
    with pytest.raises(ValueError, match="unknown observables"):
        observables(x, "nope")


def test_layer_observables_are_log_energy_sums_of_the_decoded_voxels():
    from scigan.domains.arrays import ArrayEncoder
    from scigan.domains.base import Dataset

    rng = np.random.default_rng(0)
    e = np.where(rng.random((40, 3, 4, 2)) < 0.2, rng.gamma(2.0, 5.0, (40, 3, 4, 2)), 0.0)
    info = {"model": {"transform": "energy", "observables": "layers"}}
    enc = ArrayEncoder().fit(Dataset(name="toy", samples=e, conditions=None, info=info))
    mean, std, scale = enc.obs_energy
    x = enc.encode(e)
    # D's view: the encoded input mapped back to energies, then per-layer and total sums
    feats = observables(scale * torch.expm1(torch.relu(x * std + mean)), "layers")
    sums = e.reshape(40, 3, -1).sum(axis=2)
    want = np.log1p(np.concatenate([sums, sums.sum(axis=1, keepdims=True)], axis=1))
    assert np.allclose(feats.numpy(), want, rtol=1e-4, atol=1e-4)
    d = ConvDiscriminator(
        (3, 4, 2),
        observables="layers",
        obs_mean=enc.obs_mean_,
        obs_std=enc.obs_std_,
        obs_energy=enc.obs_energy,
    )
    xg = x[:8].clone().requires_grad_(True)
    d(xg).sum().backward()
    assert xg.grad is not None and xg.grad.abs().sum() > 0
