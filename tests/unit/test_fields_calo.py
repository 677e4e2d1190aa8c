"""The paired observable score for fields with a continuous condition (calorimeter showers):
what it decodes equals the encoder's decoding, it is a proper scoring rule (lowest for the
real conditional distribution), it is standardised at fixed condition, and the fields domain
builds it for the calorimeter by default and records its observables in the run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from scigan.domains.fields.matching import ObservableScore, observable_score, physical_energies


def _showers(e: np.ndarray, resp: float, spread: float, seed: int) -> torch.Tensor:
    """(N, 3, 2, 2) toy 'showers': each of 3 layers deposits a share of resp · E with
    multiplicative noise of the given spread (energies ≥ 0, as the calorimeter's)."""
    rng = np.random.default_rng(seed)
    share = np.array([0.2, 0.5, 0.3])
    noise = np.exp(spread * rng.standard_normal((len(e), 3)))
    layer = 1000.0 * resp * e[:, None] * share * noise  # (N, 3) MeV
    return torch.tensor(
        np.repeat(layer[:, :, None, None] / 4.0, 4, axis=2).reshape(len(e), 3, 2, 2)
    )


def test_physical_energies_decode_as_the_encoder_does():
    from scigan.domains.arrays import ArrayEncoder
    from scigan.domains.base import Dataset

    rng = np.random.default_rng(0)
    x = rng.exponential(5.0, (50, 3, 4, 4)) * (rng.random((50, 3, 4, 4)) < 0.3)
    enc = ArrayEncoder().fit(Dataset("x", x, None, {"model": {"transform": "energy"}}))
    z = enc.encode(x) + 0.3 * torch.randn(50, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    got = physical_energies(z.double(), enc.energy_decode).numpy()
    np.testing.assert_allclose(got, enc.decode(z), rtol=1e-5, atol=1e-6)
    assert (got == 0).mean() > 0.3  # values below the threshold are zeros, not tiny energies


def test_the_score_is_proper_and_standardised_at_fixed_condition():
    e_train = np.exp(np.random.default_rng(0).uniform(0, np.log(100), 4000))
    data = _showers(e_train, 0.3, 0.1, 1)
    cond = torch.tensor(np.log(e_train))[:, None]
    pen = observable_score("layers", 1.0, data, cond)
    assert isinstance(pen, ObservableScore) and pen.paired
    # layers + total: spread at fixed E is ~0.1 in log (the noise), not the ~1.3 of log E
    assert pen.sd.shape == (4,)
    assert float(pen.sd[:3].max()) < 0.15 and float(pen.sd[:3].min()) > 0.07
    e = np.exp(np.random.default_rng(2).uniform(0, np.log(100), 4000))
    real = _showers(e, 0.3, 0.1, 3)
    score = {
        name: pen(_showers(e, r, s, 4), None, real=real, fake2=_showers(e, r, s, 5)).item()
        for name, (r, s) in {
            "true": (0.3, 0.1),
            "low response": (0.27, 0.1),
            "narrow": (0.3, 0.03),
            "wide": (0.3, 0.2),
        }.items()
    }
    for name in ("low response", "narrow", "wide"):
        assert score[name] > score["true"] + 0.02, (name, score)
    # a generator that ignores the condition within its range scores far worse
    shuffled = np.random.default_rng(6).permutation(e)
    blind = pen(
        _showers(shuffled, 0.3, 0.1, 4), None, real=real, fake2=_showers(shuffled, 0.3, 0.1, 5)
    )
    assert blind.item() > 3 * score["true"]


def test_gradients_reach_the_generator_and_weight_zero_is_off():
    e = np.exp(np.random.default_rng(0).uniform(0, 4, 200))
    data = _showers(e, 0.3, 0.1, 1)
    cond = torch.tensor(np.log(e))[:, None]
    pen = observable_score("layers", 2.0, data, cond)
    raw = torch.full((8, 3, 2, 2), 0.5, requires_grad=True)
    fake = torch.nn.functional.softplus(raw)
    pen(fake, None, real=data[:8], fake2=fake.flip(0)).backward()
    assert raw.grad is not None and raw.grad.abs().sum() > 0
    assert observable_score("layers", 0.0, data, cond) is None
    assert observable_score("none", 1.0, data, cond) is None


def test_the_calorimeter_trains_with_the_score_and_records_it(tmp_path, monkeypatch):
    from scigan.config import TrainConfig
    from scigan.domains.fields import FieldsDomain
    from scigan.domains.fields.encoding import FieldEncoder
    from scigan.errors import DataError

    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path))
    domain = FieldsDomain()
    opts = {"n": 40}
    ds = domain.load("calo", options=opts, seed=0)
    enc = FieldEncoder().fit(ds)
    assert enc.match_obs_ == "projections" and enc.observables_ == "none"
    data, cond = enc.encode(ds.samples), enc.encode_conditions(ds.conditions)
    pen = domain.generator_penalty(TrainConfig().replace({"options": opts}), enc, data, None, cond)
    assert isinstance(pen, ObservableScore) and pen.kind == "projections" and pen.weight == 30.0
    assert pen.energy == pytest.approx(enc.energy_decode)
    off = TrainConfig().replace({"options": {**opts, "match": 0}})
    assert domain.generator_penalty(off, enc, data, None, cond) is None
    again = FieldEncoder()
    again.load_state_dict(json.loads(json.dumps(enc.state_dict())))
    assert again.match_obs_ == "projections"
    old = FieldEncoder()  # a run saved before match_obs: the penalty reads D's observables
    old.load_state_dict({k: v for k, v in enc.state_dict().items() if k != "match_obs"})
    assert old.match_obs_ is None
    assert (
        domain.generator_penalty(TrainConfig().replace({"options": opts}), old, data, None, cond)
        is None
    )
    none = FieldEncoder().fit(domain.load("calo", options={**opts, "match_obs": "none"}, seed=0))
    assert none.match_obs_ == "none"
    with pytest.raises(DataError, match="match_obs='spins'"):
        domain.load("calo", options={**opts, "match_obs": "spins"}, seed=0)
    with pytest.raises(DataError, match="match_obs=layers needs energies"):
        FieldEncoder().fit(
            domain.load("grf", options={"n": 8, "size": 8, "match_obs": "layers"}, seed=0)
        )


def test_the_networks_layout_reorders_axes_and_decodes_back():
    from scigan.domains.arrays import ArrayEncoder
    from scigan.domains.base import Dataset
    from scigan.errors import DataError

    rng = np.random.default_rng(0)
    x = (rng.exponential(5.0, (20, 6, 4, 3)) * (rng.random((20, 6, 4, 3)) < 0.5)).astype(np.float32)
    model = {"transform": "energy", "periodic": [True, False], "axes": [2, 0, 1]}
    enc = ArrayEncoder().fit(Dataset("x", x, None, {"model": model}))
    z = enc.encode(x)
    assert list(z.shape[1:]) == enc.net_shape == [3, 6, 4]
    assert enc.net_periodic == [False, True]  # layers (the data's channels), then the angle
    plain = ArrayEncoder().fit(Dataset("x", x, None, {"model": {**model, "axes": None}}))
    np.testing.assert_array_equal(z.numpy(), plain.encode(x).numpy().transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(enc.to_data_layout(z).numpy(), plain.encode(x).numpy())
    kept = np.where(x < enc.threshold_, 0.0, x)  # the decoding's sparsity cut
    np.testing.assert_allclose(enc.decode(z), kept, rtol=1e-5, atol=1e-6)
    again = ArrayEncoder()
    again.load_state_dict(json.loads(json.dumps(enc.state_dict())))
    assert again.axes_ == [2, 0, 1] and again.net_shape == [3, 6, 4]
    old = ArrayEncoder()  # a run saved before ``axes``: the data's own order
    old.load_state_dict({k: v for k, v in plain.state_dict().items() if k != "axes"})
    assert old.axes_ is None and old.net_shape == [6, 4, 3]
    with pytest.raises(DataError, match="axes=\\[0, 0, 1\\] must order the 3 axes"):
        ArrayEncoder().fit(Dataset("x", x, None, {"model": {**model, "axes": [0, 0, 1]}}))
    for bad in (2, "x", [0, 1, 2.5]):
        with pytest.raises(DataError, match="must order the 3 axes"):
            ArrayEncoder().fit(Dataset("x", x, None, {"model": {**model, "axes": bad}}))
    with pytest.raises(DataError, match="observables=layers reads the networks' channels"):
        ArrayEncoder().fit(Dataset("x", x, None, {"model": {**model, "observables": "layers"}}))


def test_the_score_reads_layers_in_the_data_layout(tmp_path, monkeypatch):
    """The calorimeter's networks draw radial channels over (layer, angle); the score's
    observables are still the 45 layer energies and the total of the decoded shower."""
    from scigan.domains.fields import FieldsDomain
    from scigan.domains.fields.encoding import FieldEncoder
    from scigan.domains.fields.metrics import calo_features
    from scigan.domains.fields.simulators import CALO_R_EDGES

    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path))
    ds = FieldsDomain().load("calo", options={"n": 40}, seed=0)
    enc = FieldEncoder().fit(ds)
    assert enc.axes_ == [2, 0, 1] and enc.net_shape == [9, 45, 16]
    assert enc.net_periodic == [False, True]
    data = enc.encode(ds.samples)
    pen = observable_score("layers", 1.0, data, torch.zeros(40, 1), enc.energy_decode, enc.axes_)
    phys = physical_energies(enc.to_data_layout(data).double(), enc.energy_decode)
    layers = np.expm1((pen.phi(data) * pen.sd + pen.mu).detach().numpy())[:, :45]
    want = calo_features(enc.decode(data), np.asarray(ds.conditions)[:, 0], CALO_R_EDGES)
    np.testing.assert_allclose(layers, want["layer_energy"], rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(phys.numpy(), enc.decode(data), rtol=1e-4, atol=1e-4)


def test_projections_are_the_energy_summed_onto_every_axis():
    from scigan.core.nets import observables
    from scigan.errors import DataError

    x = np.random.default_rng(0).exponential(3.0, (4, 5, 6, 3))
    got = observables(torch.tensor(x), "projections").numpy()
    want = np.concatenate(
        [
            x.sum(axis=(2, 3)),
            x.sum(axis=(1, 3)),
            x.sum(axis=(1, 2)),
            x.sum(axis=(1, 2, 3))[:, None],
        ],
        axis=1,
    )
    np.testing.assert_allclose(got, np.log1p(want), rtol=1e-12)
    from scigan.domains.fields import FieldsDomain

    with pytest.raises(DataError, match="projections: a match_obs kind"):
        FieldsDomain().load("calo", options={"n": 8, "observables": "projections"}, seed=0)


def test_roll_draws_each_sample_at_a_random_rotation_of_the_same_output():
    from scigan.core.nets import ConvGenerator

    g = ConvGenerator(8, (3, 5, 8), cond_dim=1, width=8, periodic=[False, True], roll=True)
    z, c = torch.randn(16, 8), torch.randn(16, 1)
    torch.manual_seed(3)
    rolled = g(z, c).detach()
    g.roll = False
    torch.manual_seed(3)  # the same noise maps: the unrolled output
    plain = g(z, c).detach()
    shifts = []
    for a, b in zip(rolled, plain, strict=True):
        k = [s for s in range(8) if torch.allclose(a, torch.roll(b, -s, dims=2))]
        assert len(k) == 1  # a rotation on the periodic (angle) axis only
        shifts.append(k[0])
    assert len(set(shifts)) > 3  # offsets differ between samples


def test_the_sparsity_cut_shows_d_the_decoded_zeros_and_passes_g_its_gradient():
    from scigan.core.nets import ConvGenerator
    from scigan.domains.arrays import ArrayEncoder
    from scigan.domains.base import Dataset
    from scigan.errors import DataError

    rng = np.random.default_rng(0)
    x = rng.exponential(5.0, (50, 3, 4, 4)) * (rng.random((50, 3, 4, 4)) < 0.3)
    enc = ArrayEncoder().fit(Dataset("x", x, None, {"model": {"transform": "energy", "cut": True}}))
    level, zero = enc.sparse_cut
    assert zero == pytest.approx(float(enc.encode(np.zeros((1, 3, 4, 4)))[0, 0, 0, 0]), abs=1e-6)
    probe = torch.tensor([zero, level - 1e-4, level + 1e-4]).reshape(1, 3, 1, 1).expand(1, 3, 4, 4)
    dec = enc.decode(probe.contiguous())
    assert dec[0, 0].max() == 0 and dec[0, 1].max() == 0 and dec[0, 2].min() > 0
    g = ConvGenerator(8, (3, 4, 4), width=8)
    z = torch.randn(32, 8)
    torch.manual_seed(1)
    raw = g(z)
    raw.sum().backward()
    grads = [p.grad.clone() for p in g.parameters()]
    g.zero_grad()
    mid = float(raw.detach().median())  # a cut through the middle of G's outputs
    g.cut = (mid, -5.0)
    torch.manual_seed(1)
    out = g(z)
    r = raw.detach()
    assert torch.equal(out.detach()[r >= mid], r[r >= mid])
    assert torch.all(out.detach()[r < mid] == -5.0) and (r < mid).float().mean() > 0.3
    out.sum().backward()  # straight-through: the same gradient as without the cut
    assert any(a.abs().sum() > 0 for a in grads)
    for p, a in zip(g.parameters(), grads, strict=True):
        assert torch.allclose(p.grad, a)
    with pytest.raises(DataError, match="cut=true needs energies"):
        ArrayEncoder().fit(Dataset("x", x, None, {"model": {"transform": "standard", "cut": True}}))


def test_circular_mean_is_the_energy_weighted_direction_of_a_shower():
    from scigan.domains.fields.matching import circular_mean

    x = torch.zeros(3, 2, 8, 3, dtype=torch.float64)
    x[0, :, 2] = 1.0  # all energy at angle bin 2 of 8: 90 degrees
    x[1] = 1.0  # spread evenly round the axis
    x[2, 0, 0, 0], x[2, 1, 4, 2] = 3.0, 1.0  # 3:1 between opposite bins
    got = circular_mean(x, axis=2).numpy()
    np.testing.assert_allclose(got, [[0.0, 1.0], [0.0, 0.0], [0.5, 0.0]], atol=1e-12)
    e = np.exp(np.random.default_rng(0).uniform(0, 4, 100))
    data = _showers(e, 0.3, 0.1, 1)
    pen = observable_score("projections", 1.0, data, torch.tensor(np.log(e))[:, None], circular=[2])
    assert pen.sd.shape == (3 + 2 + 2 + 1 + 2,) and pen.phi(data).shape == (100, 10)
