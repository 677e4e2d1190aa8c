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


def test_total_head_generates_the_deposited_fraction_exactly():
    """With ``total``, a decoded shower deposits exactly r · E_inc (before the sparsity cut),
    r = exp(t · logr_std + logr_mean) from G's total unit, and the encoder's log r statistics
    are those of the training showers."""
    from scigan.core.nets import ConvGenerator
    from scigan.domains.arrays import ArrayEncoder
    from scigan.domains.base import Dataset
    from scigan.errors import DataError

    rng = np.random.default_rng(1)
    e_inc = np.exp(rng.uniform(0.0, np.log(100.0), 60))
    frac = rng.uniform(0.2, 0.4, 60)
    raw = np.where(rng.random((60, 3, 4, 2)) < 0.3, rng.gamma(2.0, 1.0, (60, 3, 4, 2)), 0.0)
    raw[:, 0, 0, 0] += 1.0  # no empty shower
    scale_to = (frac * e_inc / raw.reshape(60, -1).sum(1))[:, None, None, None]
    showers = raw * scale_to
    info = {"model": {"transform": "energy", "cond_transform": "log", "total": True}}
    ds = Dataset(name="toy", samples=showers, conditions=e_inc[:, None], info=info)
    enc = ArrayEncoder().fit(ds)
    assert enc.logr_mean_ == pytest.approx(np.log(frac).mean(), rel=1e-9)
    assert enc.logr_std_ == pytest.approx(np.log(frac).std(), rel=1e-9)
    torch.manual_seed(0)
    g = ConvGenerator(8, (3, 4, 2), cond_dim=1, width=8, total=enc.total_head).double()
    t_out: list[torch.Tensor] = []
    g.total_fc.register_forward_hook(lambda m, i, o: t_out.append(o.detach()))
    cond = enc.encode_conditions(e_inc[:5, None]).double()
    y = g(torch.randn(5, 8, dtype=torch.float64), cond)
    mean, std, scale = enc.mean_[0], enc.std_[0], enc.scale_
    energies = scale * torch.expm1(y * std + mean)
    kept = energies >= enc.threshold_ * (1 - 1e-9)  # the voxels the decoding keeps
    deposit = (energies * kept).reshape(5, -1).sum(1).detach().numpy()
    r = torch.exp(t_out[0][:, 0] * enc.logr_std_ + enc.logr_mean_).numpy()
    np.testing.assert_allclose(deposit, r * e_inc[:5], rtol=1e-6)  # float32 condition
    decoded = enc.decode(y.float()).reshape(5, -1).sum(1)
    np.testing.assert_allclose(decoded, r * e_inc[:5], rtol=1e-4)
    # saved and loaded, the encoder gives the generator the same head
    enc2 = ArrayEncoder()
    enc2.load_state_dict(enc.state_dict())
    assert enc2.total_head == enc.total_head
    with pytest.raises(DataError, match="total=true needs energies"):
        ArrayEncoder().fit(Dataset(name="t", samples=showers, conditions=None, info=info))


def test_exact_deposit_lights_voxels_by_their_share_and_deposits_exactly():
    """``exact_deposit``: a voxel is lit when its plain rescaled share k₀ d reaches the
    threshold c (the largest always is); the lit ones share the deposit exactly and stay
    above c, except a largest share alone under c; which are lit does
    not depend on the scale of the draws; gradients reach lit and unlit voxels."""
    from scigan.core.nets import CUT_MARGIN, exact_deposit

    rng = np.random.default_rng(4)
    cut = 0.05
    c = np.expm1(cut) * (1 + CUT_MARGIN)
    d = rng.gamma(0.7, 1.0, (6, 40))
    d[rng.random((6, 40)) < 0.3] = 0.0
    deposit = np.array([0.5, 2.0, 5.0, 10.0, 40.0, 100.0]) * c
    x = torch.tensor(d, requires_grad=True)
    out, lit = exact_deposit(x, torch.tensor(deposit), cut)
    o, lit = out.detach().numpy(), lit.numpy()
    k0 = deposit[:, None] / d.sum(1, keepdims=True)
    top = d == d.max(axis=1, keepdims=True)  # the largest share is lit in any case
    np.testing.assert_array_equal(lit, ((k0 * d >= c) | top) & (d > 0))
    for i in range(6):
        if lit[i].any():
            np.testing.assert_allclose(o[i, lit[i]].sum(), deposit[i], rtol=1e-12)
            assert (o[i, lit[i]] >= c).all() or (i == 0 and lit[i].sum() == 1)
            k1 = o[i, lit[i]] / d[i, lit[i]]
            np.testing.assert_allclose(k1, deposit[i] / d[i, lit[i]].sum(), rtol=1e-12)
        np.testing.assert_allclose(o[i, ~lit[i]], k0[i, 0] * d[i, ~lit[i]], rtol=1e-12)
        assert (o[i, ~lit[i]] < c).all()
    assert lit.sum(1)[0] == 1 and lit.sum(1)[-1] > lit.sum(1)[1]  # more deposit, more lit
    # scale-free: the same shares drawn 1,000 times larger light the same voxels
    out2, lit2 = exact_deposit(torch.tensor(d * 1000.0), torch.tensor(deposit), cut)
    np.testing.assert_array_equal(lit2.numpy(), lit)
    np.testing.assert_allclose(out2.numpy(), o, rtol=1e-10)
    (out * torch.linspace(-1, 1, 40, dtype=torch.float64)).sum().backward()
    g = x.grad.numpy()
    assert np.isfinite(g).all() and (g[lit] != 0).any() and (g[~lit & (d > 0)] != 0).any()


def test_total_head_with_the_cut_deposits_exactly_after_decoding():
    """``total`` with ``cut``: D sees what the decoding returns (sub-threshold voxels as the
    encoded zero) and the decoded shower deposits exactly r · E_inc, also when the plain
    rescaling would take most drawn voxels below the threshold (they go dark, and the lit
    ones share the deposit)."""
    from scigan.core.nets import ConvGenerator
    from scigan.domains.arrays import ArrayEncoder
    from scigan.domains.base import Dataset

    rng = np.random.default_rng(1)
    e_inc = np.exp(rng.uniform(0.0, np.log(100.0), 60))
    raw = np.where(rng.random((60, 3, 4, 2)) < 0.3, rng.gamma(2.0, 1.0, (60, 3, 4, 2)), 0.0)
    raw[:, 0, 0, 0] += 1.0
    frac = rng.uniform(0.2, 0.4, 60)
    showers = raw * (frac * e_inc / raw.reshape(60, -1).sum(1))[:, None, None, None]
    info = {"model": {"transform": "energy", "cond_transform": "log", "total": True, "cut": True}}
    enc = ArrayEncoder().fit(
        Dataset(name="toy", samples=showers, conditions=e_inc[:, None], info=info)
    )
    torch.manual_seed(0)
    g = ConvGenerator(
        8, (3, 4, 2), cond_dim=1, width=8, total=enc.total_head, cut=enc.sparse_cut
    ).double()
    t_out: list[torch.Tensor] = []
    g.total_fc.register_forward_hook(lambda m, i, o: t_out.append(o.detach()))
    with torch.no_grad():  # a small deposit: the common factor < 1 pushes voxels below c
        g.total_fc.bias.fill_(-15.0)  # r ≈ e⁻³ of the training mean
    cond = enc.encode_conditions(e_inc[:8, None]).double()
    y = g(torch.randn(8, 8, dtype=torch.float64), cond)
    r = torch.exp(t_out[0][:, 0] * enc.logr_std_ + enc.logr_mean_).numpy()
    decoded = enc.decode(y.float())
    lit = (decoded > 0).reshape(8, -1).sum(1)
    some = lit > 0  # a deposit below the threshold lights nothing (decoded empty)
    assert ((lit > 0) & (lit < 24)).sum() >= 2  # some voxels went dark, others share
    np.testing.assert_allclose(
        decoded.reshape(8, -1).sum(1)[some], (r * e_inc[:8])[some], rtol=1e-4
    )
    # what D sees is what is decoded: unlit voxels are exactly the encoded zero
    zero = enc.sparse_cut[1]
    np.testing.assert_allclose(y.detach().numpy()[decoded == 0], zero, atol=1e-12)


def test_series_observables_against_numpy():
    # [mean, log variance, log periodogram averaged in octaves k = 1, 2, 3-4, 5-8, ...]
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(5, 1, 64))
    got = observables(torch.tensor(x), "series").numpy()
    assert got.shape == (5, 8)
    c = x[:, 0] - x[:, 0].mean(axis=1, keepdims=True)
    np.testing.assert_allclose(got[:, 0], x[:, 0].mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(got[:, 1], np.log(x[:, 0].var(axis=1) + 1e-6), rtol=1e-10)
    p = np.abs(np.fft.rfft(c, axis=1)) ** 2 / 64
    octaves = [(1, 1), (2, 2), (3, 4), (5, 8), (9, 16), (17, 32)]
    want = np.stack([np.log(p[:, a : b + 1].mean(axis=1) + 1e-6) for a, b in octaves], axis=1)
    np.testing.assert_allclose(got[:, 2:], want, rtol=1e-10)
    # Parseval: the periodogram of white noise averages to its variance in every octave.
    w = torch.randn(2000, 1, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    power = observables(w, "series")[:, 2:].exp().mean(dim=0).numpy()
    np.testing.assert_allclose(power, 63 / 64, atol=0.1)
    # A cosine of wave number 6 puts its power in the 5-8 octave only.
    i = torch.arange(64, dtype=torch.float64)
    spec = observables(torch.cos(2 * np.pi * 6 * i / 64)[None, None], "series")[0, 2:]
    assert int(spec.argmax()) == 3 and (spec[torch.arange(6) != 3] < -10).all()
    # series-fine: the same with two bins per octave (k = 1, 2, 3-4, 5, 6-8, 9-11, 12-16, ...)
    fine = observables(torch.tensor(x), "series-fine").numpy()
    halves = [(1, 1), (2, 2), (3, 4), (5, 5), (6, 8), (9, 11), (12, 16), (17, 22), (23, 32)]
    want = np.stack([np.log(p[:, a : b + 1].mean(axis=1) + 1e-6) for a, b in halves], axis=1)
    np.testing.assert_allclose(fine[:, :2], got[:, :2], rtol=1e-12)
    np.testing.assert_allclose(fine[:, 2:], want, rtol=1e-10)


def test_series_lags_means_give_the_pooled_variance_and_autocorrelation():
    """``series-lags``: x̄ and ⟨x_t x_{t+l}⟩_t per series (l = 0 … 16); their means over the
    series, minus the squared pooled mean, are the pooled autocovariances that
    :func:`scigan.domains.fields.metrics.series_statistics` divides into ρ(l)."""
    from scigan.domains.fields.metrics import series_statistics

    rng = np.random.default_rng(3)
    # stationary AR(1) series, ρ(l) = 0.9^l, started in the stationary distribution
    e = rng.normal(0, 1, (2000, 1, 64))
    e[:, :, 0] /= np.sqrt(1 - 0.81)
    for t in range(1, 64):
        e[:, :, t] += 0.9 * e[:, :, t - 1]
    x = 10.0 + e
    got = observables(torch.tensor(x), "series-lags").numpy()
    assert got.shape == (2000, 18)
    s = x[:, 0]
    np.testing.assert_allclose(got[:, 0], s.mean(axis=1), rtol=1e-12)
    for lag in (0, 1, 7, 16):
        want = (s[:, : 64 - lag] * s[:, lag:]).mean(axis=1)
        np.testing.assert_allclose(got[:, 1 + lag], want, rtol=1e-12)
    mu = got[:, 0].mean()
    var = got[:, 1].mean() - mu**2
    st = series_statistics(x, 16)
    np.testing.assert_allclose(var, st["variance"], rtol=1e-10)
    # the pooled autocovariance at lag l centres by the mean over all points where the
    # products' means centre by the same mean: the two agree up to the edge terms, small
    # for stationary series (and both near the exact 0.9^l)
    rho = (got[:, 2:].mean(axis=0) - mu**2) / var
    np.testing.assert_allclose(rho, st["autocorr"][1:], atol=0.01)
    np.testing.assert_allclose(rho, 0.9 ** np.arange(1, 17), atol=0.04)
    # a short series stops at its last lag
    assert observables(torch.tensor(x[:, :, :5]), "series-lags").shape == (2000, 6)


def test_series_observables_of_anscombe_counts_are_those_of_the_counts():
    from scigan.core.nets import anscombe_counts
    from scigan.domains.arrays import ArrayEncoder
    from scigan.domains.base import Dataset

    rng = np.random.default_rng(0)
    x = rng.poisson(rng.gamma(2.0, 5.0, (40, 1, 1)), (40, 1, 32)).astype(np.float64)
    info = {"model": {"transform": "anscombe", "observables": "series"}}
    enc = ArrayEncoder().fit(Dataset("c", x, None, info))
    assert enc.obs_counts == [enc.mean_[0], enc.std_[0]]
    y = enc.encode(x).double()
    np.testing.assert_allclose(anscombe_counts(y, *enc.obs_counts).numpy(), x, atol=1e-4)
    want = observables(torch.tensor(x), "series").numpy()
    np.testing.assert_allclose(enc.obs_mean_, want.mean(axis=0), rtol=1e-4, atol=1e-4)
    d = ConvDiscriminator(
        [1, 32], observables="series", obs_mean=enc.obs_mean_, obs_std=enc.obs_std_,
        obs_counts=enc.obs_counts,
    )  # fmt: skip
    y = y.float().requires_grad_(True)
    assert d(y).shape == (40,)
    assert torch.autograd.grad(d.obs(y).sum(), y)[0].abs().sum() > 0
    # below the image of 0 the decoded count is 0 and carries no gradient
    low = torch.full((1, 1, 32), -10.0, requires_grad=True)
    assert (anscombe_counts(low, *enc.obs_counts).abs() < 1e-6).all()
    with pytest.raises(Exception, match="series needs single-channel series"):
        ArrayEncoder().fit(Dataset("c", x[:, :, :16].reshape(40, 1, 4, 4), None, info))


def test_linear_upsampling_wraps_round_periodic_axes():
    """upsample=linear: on a periodic axis, linear interpolation of the wrapped signal at the
    output pixel centres (hand loop); elsewhere torch's edge-clamped interpolation."""
    import torch.nn.functional as F

    from scigan.core.nets import _resize

    x = torch.randn(2, 3, 8, dtype=torch.float64)
    ref = torch.zeros(2, 3, 16, dtype=torch.float64)
    for i in range(16):
        p = (i + 0.5) / 2 - 0.5  # output centre in input coordinates
        lo = int(np.floor(p))
        w = p - lo
        ref[..., i] = (1 - w) * x[..., lo % 8] + w * x[..., (lo + 1) % 8]
    torch.testing.assert_close(_resize(x, [2], True, "linear", [True]), ref)
    clamped = F.interpolate(x, scale_factor=2.0, mode="linear", align_corners=False)
    torch.testing.assert_close(_resize(x, [2], True, "linear", [False]), clamped)
    # 2-D, one periodic axis: a field constant along the other axis interpolates as in 1-D
    f = x[:1, :1, :, None].expand(1, 1, 8, 4)
    y = _resize(f, [2, 2], True, "linear", [True, False])
    torch.testing.assert_close(y[0, 0, :, 3], ref[0, 0])
    # nearest (the default) repeats each cell
    torch.testing.assert_close(_resize(x, [2], True), x.repeat_interleave(2, dim=2))


def test_upsample_option_reaches_the_generator_and_is_saved(tmp_path):
    from scigan.domains.fields import data as fdata
    from scigan.domains.fields.encoding import FieldEncoder
    from scigan.errors import DataError

    ds = fdata.load_builtin("cellgrowth", {"n": 64, "upsample": "linear", "cache": False}, 0)
    enc = FieldEncoder().fit(ds)
    assert enc.upsample_ == "linear"
    from scigan.config import TrainConfig
    from scigan.domains.fields import nets as fnets

    G = fnets.build_generator(TrainConfig(), enc)
    assert G.upsample == "linear" and all(b.upsample == "linear" for b in G.blocks)
    again = FieldEncoder()
    again.load_state_dict(enc.state_dict())
    assert again.upsample_ == "linear"
    old = {k: v for k, v in enc.state_dict().items() if k != "upsample"}
    again.load_state_dict(old)  # a run saved before the option: nearest
    assert again.upsample_ == "nearest"
    with pytest.raises(DataError, match="upsample='cubic' must be one of nearest, linear"):
        fdata.load_builtin("cellgrowth", {"n": 64, "upsample": "cubic", "cache": False}, 0)


def test_film_starts_as_the_plain_generator_and_lets_the_condition_mute_the_noise():
    """FiLM's layers start at zero (same weights and samples as without them); with the
    scales at γ = −1 every noise map is multiplied by 0, so samples no longer depend on the
    noise drawn — the condition can set how much of it shows."""
    from scigan.core.nets import ConvGenerator

    kw = dict(cond_dim=1, width=8, head="spin", symmetric=True, periodic=[True, True])
    torch.manual_seed(0)
    plain = ConvGenerator(16, (1, 16, 16), **kw)
    torch.manual_seed(0)
    mod = ConvGenerator(16, (1, 16, 16), film=True, **kw)
    common = plain.state_dict()
    assert all(torch.equal(v, mod.state_dict()[k]) for k, v in common.items())
    assert {k.split(".")[-2] for k in set(mod.state_dict()) - set(common)} == {
        "scale",
        "full_scale",
        "full_shift",
    }
    z, c = torch.randn(6, 16), torch.randn(6, 1)
    draws = []
    for model in (plain, mod, mod):
        torch.manual_seed(1)
        draws.append(model(z, c))
    assert torch.equal(draws[0], draws[1])
    with torch.no_grad():
        for noise in [b.noise for b in mod.blocks] + [mod.full_noise]:
            noise.strength.fill_(3.0)
        for layer in [b.scale for b in mod.blocks] + [mod.full_scale]:
            layer.bias.fill_(-1.0)
    torch.manual_seed(2)
    a = mod(z, c)
    torch.manual_seed(3)
    assert torch.equal(a, mod(z, c))  # muted: other noise, same lattices
    with torch.no_grad():
        for layer in [b.scale for b in mod.blocks] + [mod.full_scale]:
            layer.bias.fill_(0.0)
    torch.manual_seed(2)
    b = mod(z, c)
    torch.manual_seed(3)
    assert not torch.equal(b, mod(z, c))


def test_film_option_reaches_the_generator_and_is_saved():
    from scigan.config import TrainConfig
    from scigan.domains.fields import data as fdata
    from scigan.domains.fields import nets as fnets
    from scigan.domains.fields.encoding import FieldEncoder

    opts = {"L": 8, "n": 8, "temperatures": [2.0, 3.0], "burn": 2, "thin": 1, "cache": False}
    enc = FieldEncoder().fit(fdata.load_builtin("ising2d", {**opts, "film": True}, 0))
    G = fnets.build_generator(TrainConfig(), enc)
    assert enc.film_ and G.full_scale is not None and all(b.scale is not None for b in G.blocks)
    _check_flag_saved(enc, "film", opts)


def test_conditional_observable_features_read_the_condition():
    """obs_cond: D's observable MLP takes [φ, condition], so the same lattice's observable
    features differ by temperature; without it they do not; the option is saved."""
    from scigan.config import TrainConfig
    from scigan.domains.fields import data as fdata
    from scigan.domains.fields import nets as fnets
    from scigan.domains.fields.encoding import FieldEncoder

    opts = {"L": 8, "n": 8, "temperatures": [2.0, 3.0], "burn": 2, "thin": 1, "cache": False}
    x = torch.where(
        torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0)) < 0.5, 1.0, -1.0
    )
    lo, hi = torch.full((4, 1), -1.0), torch.full((4, 1), 1.0)
    feats = {}
    for flag in (False, True):
        enc = FieldEncoder().fit(fdata.load_builtin("ising2d", {**opts, "obs_cond": flag}, 0))
        torch.manual_seed(0)
        D = fnets.build_discriminator(TrainConfig(), enc)
        feats[flag] = (D.obs(x, lo), D.obs(x, hi))
        assert enc.state_dict()["obs_cond"] is flag
    assert torch.equal(*feats[False]) and not torch.equal(*feats[True])
    with pytest.raises(ValueError, match="pass a condition"):
        D.obs(x)


def test_random_shift_rolls_each_sample_on_its_periodic_axes_only():
    from scigan.core.nets import random_shift

    x = torch.randn(16, 2, 5, 7, requires_grad=True)
    torch.manual_seed(0)
    y = random_shift(x, [True, False])
    offsets = set()
    for i in range(len(x)):
        match = [k for k in range(5) if torch.equal(y[i], torch.roll(x[i], -k, dims=1))]
        assert len(match) == 1  # a circular shift of rows, the columns untouched
        offsets.add(match[0])
    assert len(offsets) > 1  # each sample its own offset
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))  # a permutation: gradients pass unchanged


def test_equivariant_generator_has_no_preferred_position(monkeypatch):
    """With ``equivariant`` the coarsest grid is the same (z, condition) features at every
    cell plus per-cell noise, so moving the noise by one cell moves the lattice by one cell of
    the coarse grid (8 sites for 32 × 32) exactly; the default generator's linear map gives
    every cell its own weights and does not."""
    from scigan.core import nets

    base_eps = torch.randn(3, nets._BASE_NOISE, 4, 4, generator=torch.Generator().manual_seed(5))
    real_randn = torch.randn

    def fake_randn(*shape, **kw):  # the base noise as given; the (muted) noise maps zero
        if tuple(shape[:2]) == (3, nets._BASE_NOISE):
            return fake_randn.eps.clone()
        return torch.zeros(*shape, dtype=kw.get("dtype"))

    kw = dict(cond_dim=1, width=8, head="spin", symmetric=True, periodic=[True, True])
    z, c = real_randn(3, 16), real_randn(3, 1)
    torch.manual_seed(0)
    G = nets.ConvGenerator(16, (1, 32, 32), equivariant=True, **kw)
    assert G.inp.out_features == G.ch0  # one vector for every cell
    with torch.no_grad():  # a generator whose output varies over the lattice
        for p in G.parameters():
            p.add_(0.3 * real_randn(p.shape))
    monkeypatch.setattr(torch, "randn", fake_randn)
    monkeypatch.setattr(nets, "random_shift", lambda x, periodic: x)
    fake_randn.eps = base_eps
    a = G(z, c)
    fake_randn.eps = torch.roll(base_eps, 1, dims=3)
    b = G(z, c)
    assert not torch.equal(a, torch.roll(a, 8, dims=3))
    assert torch.equal(b, torch.roll(a, 8, dims=3))


def test_equivariant_option_reaches_the_generator_and_is_saved():
    from scigan.config import TrainConfig
    from scigan.domains.fields import data as fdata
    from scigan.domains.fields import nets as fnets
    from scigan.domains.fields.encoding import FieldEncoder

    opts = {"L": 8, "n": 8, "temperatures": [2.0, 3.0], "burn": 2, "thin": 1, "cache": False}
    enc = FieldEncoder().fit(fdata.load_builtin("ising2d", {**opts, "equivariant": True}, 0))
    G = fnets.build_generator(TrainConfig(), enc)
    assert enc.equivariant_ and G.base_noise is not None
    plain = FieldEncoder().fit(fdata.load_builtin("ising2d", opts, 0))
    assert fnets.build_generator(TrainConfig(), plain).base_noise is None
    _check_flag_saved(enc, "equivariant", opts)


def test_full_depth_adds_full_resolution_blocks_and_is_saved():
    from scigan.config import TrainConfig
    from scigan.core.nets import ConvGenerator
    from scigan.domains.fields import data as fdata
    from scigan.domains.fields import nets as fnets
    from scigan.domains.fields.encoding import FieldEncoder
    from scigan.errors import DataError

    kw = dict(width=8, head="spin", periodic=[True, True])
    torch.manual_seed(0)
    plain = ConvGenerator(16, (1, 16, 16), **kw).state_dict()
    torch.manual_seed(0)
    deep = ConvGenerator(16, (1, 16, 16), full_depth=2, **kw)
    assert all(torch.equal(v, deep.state_dict()[k]) for k, v in plain.items() if "out" not in k)
    assert len(deep.full_blocks) == 2 and deep(torch.randn(3, 16)).shape == (3, 1, 16, 16)
    opts = {"L": 8, "n": 8, "temperatures": [2.0, 3.0], "burn": 2, "thin": 1, "cache": False}
    enc = FieldEncoder().fit(fdata.load_builtin("ising2d", {**opts, "full_depth": 1}, 0))
    assert len(fnets.build_generator(TrainConfig(), enc).full_blocks) == 1
    again = FieldEncoder()
    again.load_state_dict({k: v for k, v in enc.state_dict().items() if k != "full_depth"})
    assert again.full_depth_ == 0  # a run saved before the option
    again.load_state_dict(enc.state_dict())
    assert again.full_depth_ == 1
    with pytest.raises(DataError, match="full_depth=9 must be an integer in"):
        fdata.load_builtin("ising2d", {**opts, "full_depth": 9}, 0)


def test_split_generator_routes_each_row_to_its_temperature_generator():
    """``split``: one unconditional generator per training temperature; every row is made by
    the generator of its own temperature (the same lattice as that generator alone gives),
    and a continuous condition is refused."""
    from scigan.config import TrainConfig
    from scigan.core.nets import SplitByCondition
    from scigan.domains.fields import data as fdata
    from scigan.domains.fields import nets as fnets
    from scigan.domains.fields.encoding import FieldEncoder
    from scigan.errors import ConfigError

    opts = {"L": 8, "n": 8, "temperatures": [2.0, 3.0], "burn": 2, "thin": 1, "cache": False}
    enc = FieldEncoder().fit(fdata.load_builtin("ising2d", {**opts, "split": True}, 0))
    torch.manual_seed(0)
    G = fnets.build_generator(TrainConfig(), enc)
    assert isinstance(G, SplitByCondition) and len(G.parts) == 2
    assert all(g.embed is None for g in G.parts)  # each sees z alone
    with torch.no_grad():
        for p in G.parameters():
            p.add_(0.3 * torch.randn(p.shape))
    temps = [2.0, 3.0, 3.0, 2.0, 3.0]
    z = torch.randn(5, TrainConfig().net.z_dim)
    torch.manual_seed(1)
    x = G(z, enc.encode_conditions(np.array(temps)[:, None]))
    torch.manual_seed(1)
    alone = [G.parts[0](z[[0, 3]]), G.parts[1](z[[1, 2, 4]])]
    assert torch.equal(x[[0, 3]], alone[0]) and torch.equal(x[[1, 2, 4]], alone[1])
    assert not torch.equal(x[[0, 3]], G.parts[1](z[[0, 3]]))
    assert FieldEncoder().fit(fdata.load_builtin("ising2d", opts, 0)).split_ is False
    wide = FieldEncoder().fit(fdata.load_builtin("ising2d", {**opts, "split": True}, 0))
    wide.cond_values_ = [[float(t)] for t in range(40)]
    with pytest.raises(ConfigError, match="split=true needs at most 32"):
        fnets.build_generator(TrainConfig(), wide)


def test_ising_bond_observables_split_the_energy_by_direction():
    """``ising-bonds``: b_x + b_y = −e of ``ising`` on any lattice; on stripes along x every
    x-bond is aligned and every y-bond and diagonal bond broken (e = 0 either way); on a
    random lattice the diagonals match a direct count."""
    x = torch.where(
        torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(0)) < 0.4, 1.0, -1.0
    )
    plain, bonds = observables(x, "ising"), observables(x, "ising-bonds")
    assert torch.allclose(bonds[:, 0] + bonds[:, 1], -plain[:, 0])
    assert torch.allclose(bonds[:, 4:], plain[:, 1:])
    s = x[:, 0].numpy()
    diag = (s * np.roll(np.roll(s, 1, axis=1), 1, axis=2)).mean(axis=(1, 2))
    anti = (s * np.roll(np.roll(s, 1, axis=1), -1, axis=2)).mean(axis=(1, 2))
    assert np.allclose(bonds[:, 2].numpy(), diag) and np.allclose(bonds[:, 3].numpy(), anti)
    stripes = torch.ones(1, 1, 8, 8)
    stripes[:, :, 1::2] = -1.0  # rows alternate: aligned along x, broken along y
    assert observables(stripes, "ising-bonds")[0, :4].tolist() == [1.0, -1.0, -1.0, -1.0]
    assert observables(stripes, "ising")[0, 0].item() == 0.0


def test_spectral_noise_has_the_power_spectrum_of_its_gains():
    """E|rfft2(y)(k)|² = g(|k|)² for unit white noise (ortho FFT): the filter sets the power at
    every wavenumber; at zero gain (the start) it adds nothing."""
    from scigan.core.nets import ConvGenerator, SpectralNoise

    sn = SpectralNoise(16)
    zero = sn(4, torch.device("cpu"), torch.float64)
    assert torch.equal(zero, torch.zeros_like(zero))
    with torch.no_grad():
        sn.gain.copy_(1.0 / (1.0 + torch.arange(len(sn.gain), dtype=torch.float32)))
    torch.manual_seed(0)
    y = sn(4000, torch.device("cpu"), torch.float64)
    power = (torch.fft.rfft2(y, norm="ortho").abs() ** 2).mean(dim=(0, 1))  # per mode
    expected = sn.gain.detach().double()[sn.radius] ** 2
    # 4000 draws of an exponential variable per mode (2000 effective on the real axes)
    assert torch.allclose(power, expected, rtol=0.1)
    with pytest.raises(ValueError, match="square maps"):
        ConvGenerator(8, (1, 16, 8), periodic=[True, True], spectral_noise=True)


def test_split_discriminator_scores_each_row_with_its_temperature_critic():
    """``split_d``: one unconditional critic per training temperature; each row's logit is
    its own temperature's critic's, whatever the other rows of the batch."""
    from scigan.config import TrainConfig
    from scigan.core.nets import SplitByCondition
    from scigan.domains.fields import data as fdata
    from scigan.domains.fields import nets as fnets
    from scigan.domains.fields.encoding import FieldEncoder

    opts = {"L": 8, "n": 8, "temperatures": [2.0, 3.0], "burn": 2, "thin": 1, "cache": False}
    enc = FieldEncoder().fit(fdata.load_builtin("ising2d", {**opts, "split_d": True}, 0))
    torch.manual_seed(0)
    cfg = TrainConfig.from_dict({"minibatch_std": False})  # a row's logit: that row alone
    D = fnets.build_discriminator(cfg, enc)
    assert isinstance(D, SplitByCondition) and all(d.embed is None for d in D.parts)
    x = torch.where(
        torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(1)) < 0.5, 1.0, -1.0
    )
    out = D(x, enc.encode_conditions(np.array([[3.0], [2.0], [2.0], [3.0]])))
    assert out.shape == (4,)
    assert torch.allclose(out[[1, 2]], D.parts[0](x[[1, 2]]))
    assert torch.allclose(out[[0, 3]], D.parts[1](x[[0, 3]]))
    assert not torch.allclose(out[[1, 2]], D.parts[1](x[[1, 2]]))
    assert not isinstance(
        fnets.build_discriminator(cfg, FieldEncoder().fit(fdata.load_builtin("ising2d", opts, 0))),
        SplitByCondition,
    )


def _check_flag_saved(enc, name, opts):
    """A true/false fields option set on ``enc`` is saved in its state, reads as off from a
    run saved before the option, and a non-boolean value is refused naming the option."""
    from scigan.domains.fields import data as fdata
    from scigan.domains.fields.encoding import FieldEncoder
    from scigan.errors import DataError

    assert getattr(enc, name + "_") is True
    again = FieldEncoder()
    again.load_state_dict({k: v for k, v in enc.state_dict().items() if k != name})
    assert getattr(again, name + "_") is False  # a run saved before the option
    again.load_state_dict(enc.state_dict())
    assert getattr(again, name + "_") is True
    with pytest.raises(DataError, match=f"{name}='yes' must be true or false"):
        fdata.load_builtin("ising2d", {**opts, name: "yes"}, 0)
