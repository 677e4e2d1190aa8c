"""Fields data: options, the cache, user arrays, encoders, conditions and sample files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from scigan.core.nets import ConvDiscriminator, ConvGenerator, plan_stages
from scigan.domains.fields import FieldsDomain
from scigan.domains.fields.encoding import FieldEncoder
from scigan.domains.fields.metrics import temperature_labels
from scigan.errors import DataError, MissingDependencyError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))


TINY_ISING = {"L": 8, "n": 20, "temperatures": [2.0, 3.0], "burn": 5, "thin": 2}


def test_ising_load_shapes_conditions_and_cache(tmp_path):
    d = FieldsDomain()
    ds = d.load("ising2d", options=TINY_ISING, seed=1)
    assert ds.samples.shape == (40, 1, 8, 8) and ds.samples.dtype == np.float32
    assert ds.conditions.shape == (40, 1) and set(ds.conditions[:, 0]) == {2.0, 3.0}
    files = list((tmp_path / "cache" / "fields").glob("ising2d-*.npz"))
    assert len(files) == 1
    again = d.load("ising2d", options=TINY_ISING, seed=1)
    assert np.array_equal(again.samples, ds.samples)
    assert again.info["simulator_s"] == ds.info["simulator_s"]  # read back, not re-run
    d.load("ising2d", options={**TINY_ISING, "L": 6}, seed=1)
    d.load("ising2d", options=TINY_ISING, seed=2)
    assert len(list(files[0].parent.glob("ising2d-*.npz"))) == 3  # key covers params and seed
    json.dumps(ds.info)  # JSON-able for config.json


def test_data_seed_and_cache_off(tmp_path):
    d = FieldsDomain()
    a = d.load("grf", options={"n": 4, "size": 8, "data_seed": 5, "cache": False}, seed=0)
    b = d.load("grf", options={"n": 4, "size": 8, "data_seed": 5, "cache": False}, seed=9)
    assert np.array_equal(a.samples, b.samples)
    assert not (tmp_path / "cache" / "fields").exists()


def test_heldout_samples_are_independent_simulator_draws(tmp_path):
    """Checkpoints are chosen on a validation sample and results reported on a test sample:
    both from the simulator with the training sample's parameters but their own seeds."""
    d = FieldsDomain()
    ds = d.load("ising2d", options={**TINY_ISING, "n": 1500}, seed=3)
    val, test = d.selection_reference(ds), d.evaluation_reference(ds)
    assert val.info["role"] == "validation" and test.info["role"] == "test"
    assert len({ds.info["data_seed"], val.info["data_seed"], test.info["data_seed"]}) == 3
    assert len(val) == 2 * 1000 and len(test) == len(ds)  # validation capped per temperature
    assert np.array_equal(np.unique(val.conditions), np.unique(ds.conditions))
    assert val.info["params"]["L"] == 8 and test.info["params"] == ds.info["params"]
    assert not np.array_equal(test.samples, ds.samples[: len(test)])
    grf = d.load("grf", options={"n": 50, "size": 8}, seed=3)
    rows = {s.tobytes() for s in grf.samples}
    for other in (d.selection_reference(grf), d.evaluation_reference(grf)):
        assert not any(s.tobytes() in rows for s in other.samples)  # no training map
    again = d.evaluation_reference(d.load("ising2d", options={**TINY_ISING, "n": 1500}, seed=3))
    assert np.array_equal(again.samples, test.samples)  # a pure function of the seed
    user = d.load(_write_npy(tmp_path), options={}, seed=0)
    assert d.selection_reference(user) is user and d.evaluation_reference(user) is user


def _write_npy(tmp_path):
    path = tmp_path / "maps.npy"
    np.save(path, np.random.default_rng(0).normal(size=(6, 8, 8)).astype(np.float32))
    return str(path)


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"L": 2}, "L=2"),
        ({"n": "many"}, "n='many'"),
        ({"temperatures": []}, "temperatures"),
        ({"bogus": 1}, "unknown option"),
        ({"periodic": "yes"}, "periodic"),
    ],
)
def test_bad_options_raise_one_line_errors(options, fragment):
    with pytest.raises(DataError, match=fragment) as exc:
        FieldsDomain().load("ising2d", options={**TINY_ISING, **options}, seed=0)
    assert "\n" not in str(exc.value)


def test_calo_options_checked():
    with pytest.raises(DataError, match="swap"):
        FieldsDomain().load("calo", options={"n": 4, "e_min": 50, "e_max": 10}, seed=0)


def test_user_arrays(tmp_path):
    d = FieldsDomain()
    x = np.random.default_rng(0).normal(size=(10, 12, 12)).astype(np.float32)
    np.save(tmp_path / "a.npy", x)
    ds = d.load(str(tmp_path / "a.npy"), options={}, seed=0)
    assert ds.samples.shape == (10, 1, 12, 12) and ds.conditions is None
    np.savez(tmp_path / "b.npz", x=x[:, None].repeat(2, axis=1), cond=np.arange(10.0))
    ds = d.load(str(tmp_path / "b.npz"), options={"cond_names": ["dose"]}, seed=0)
    assert ds.samples.shape == (10, 2, 12, 12) and ds.conditions.shape == (10, 1)
    ds = d.load(x, options={"layout": "series"}, seed=0)
    assert ds.samples.shape == (10, 12, 12)
    ds = d.load((x, np.ones((10, 2))), options={"periodic": True}, seed=0)
    assert ds.info["model"]["periodic"] == [True, True] and ds.conditions.shape == (10, 2)


@pytest.mark.parametrize(
    "array, options, fragment",
    [
        (np.zeros((10, 4)), {}, "expected an array of shape"),
        (np.zeros((2, 4, 4)), {}, "N >= 4"),
        (np.full((5, 4, 4), np.nan), {}, "non-finite"),
        (np.full((5, 4, 4), -1.0), {"transform": "energy"}, "non-negative"),
        (np.full((5, 4, 4), 0.5), {"transform": "spin"}, "spin"),
        (np.zeros((5, 4, 4)), {"layout": "cube"}, "layout"),
    ],
)
def test_user_array_errors(array, options, fragment):
    with pytest.raises(DataError, match=fragment):
        FieldsDomain().load(array, options=options, seed=0)


def test_user_file_errors(tmp_path):
    np.savez(tmp_path / "c.npz", y=np.zeros((5, 4, 4)))
    with pytest.raises(DataError, match="no array named 'x'"):
        FieldsDomain().load(str(tmp_path / "c.npz"), options={}, seed=0)
    with pytest.raises(DataError, match="not found"):
        FieldsDomain().load(str(tmp_path / "missing.npy"), options={}, seed=0)
    (tmp_path / "d.txt").write_text("1,2")
    with pytest.raises(DataError, match="unsupported"):
        FieldsDomain().load(str(tmp_path / "d.txt"), options={}, seed=0)
    np.savez(tmp_path / "e.npz", x=np.zeros((5, 4, 4)), cond=np.zeros(3))
    with pytest.raises(DataError, match="'cond' must have shape"):
        FieldsDomain().load(str(tmp_path / "e.npz"), options={}, seed=0)


@pytest.mark.parametrize("transform", ["standard", "log1p", "energy", "counts", "anscombe", "spin"])
def test_encoder_roundtrip_and_state(transform):
    rng = np.random.default_rng(0)
    if transform == "spin":
        x = np.where(rng.random((6, 1, 8, 8)) < 0.5, -1.0, 1.0)
    elif transform == "log1p":
        x = np.expm1(rng.normal(size=(6, 1, 8, 8)))
    elif transform in ("counts", "anscombe"):
        x = rng.poisson(5.0, (6, 1, 16)).astype(float)
    elif transform == "energy":
        x = rng.gamma(1.0, 10.0, (6, 2, 4, 3)) * (rng.random((6, 2, 4, 3)) < 0.4)
    else:
        x = rng.normal(3.0, 2.0, (6, 2, 8, 8))
    ds = FieldsDomain().load(
        x.astype(np.float32),
        options={"transform": transform, **({"layout": "series"} if x.ndim == 3 else {})},
        seed=0,
    )
    enc = FieldEncoder().fit(ds)
    t = enc.encode(ds.samples)
    assert t.dtype == torch.float32 and tuple(t.shape) == ds.samples.shape
    back = enc.decode(t)
    assert back.shape == ds.samples.shape
    np.testing.assert_allclose(back, ds.samples, rtol=1e-4, atol=1e-4 * np.abs(x).max())
    state = json.loads(json.dumps(enc.state_dict()))
    enc2 = FieldEncoder()
    enc2.load_state_dict(state)
    assert torch.equal(enc2.encode(ds.samples), t)
    if transform == "energy":
        assert (back == 0).mean() == pytest.approx((x == 0).mean())  # sparsity restored


def test_conditions_encoding_and_parse():
    d = FieldsDomain()
    ds = d.load("ising2d", options=TINY_ISING, seed=0)
    enc = FieldEncoder().fit(ds)
    assert enc.cond_dim == 1 and enc.cond_names_ == ["T"]
    c = enc.encode_conditions(ds.conditions)
    assert c.shape == (40, 1) and abs(float(c.mean())) < 1e-5
    raw = d.parse_conditions(enc, {"T": "2.269"}, 5)
    assert raw.shape == (5, 1) and np.all(raw == 2.269)
    for bad, frag in (({"E": "1"}, "unknown"), ({}, "missing"), ({"T": "hot"}, "number")):
        with pytest.raises(DataError, match=frag):
            d.parse_conditions(enc, bad, 5)
    with pytest.raises(DataError, match="shape"):
        enc.encode_conditions(np.zeros((3, 2)))


def test_calo_condition_is_log_energy():
    ds = FieldsDomain().load("calo", options={"n": 30}, seed=0)
    enc = FieldEncoder().fit(ds)
    assert enc.cond_names_ == ["E"] and enc.transform_ == "energy"
    c = enc.encode_conditions(np.array([[1.0], [100.0]])).numpy()
    assert c[1, 0] - c[0, 0] == pytest.approx(np.log(100) / enc.cond_std_[0], rel=1e-5)


def test_write_samples_npy_npz(tmp_path):
    d = FieldsDomain()
    x = np.ones((3, 1, 4, 4))
    d.write_samples(x, None, tmp_path / "s.npy")
    arr = np.load(tmp_path / "s.npy")
    assert arr.dtype == np.float32 and arr.shape == (3, 1, 4, 4)
    d.write_samples(x, np.full((3, 1), 2.5), tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz") as z:
        assert z["x"].shape == (3, 1, 4, 4) and z["cond"].tolist() == [[2.5]] * 3


def test_temperature_labels_unique():
    assert temperature_labels(np.array([2.0, 2.269185, 2.5])) == ["2", "2.269", "2.5"]
    labels = temperature_labels(np.array([2.26918, 2.26919]))
    assert len(set(labels)) == 2


@pytest.mark.parametrize(
    "shape, periodic",
    [
        ((1, 32, 32), (True, True)),
        ((1, 12, 12), (True, True)),
        ((45, 16, 9), (True, False)),
        ((1, 64), (False,)),
        ((2, 5, 7), (False, False)),
    ],
)
def test_conv_nets_shapes(shape, periodic):
    G = ConvGenerator(8, shape, cond_dim=1, width=8, periodic=periodic)
    D = ConvDiscriminator(shape, cond_dim=1, width=8, periodic=periodic, minibatch_std=True, pac=2)
    x = G(torch.randn(4, 8), torch.randn(4, 1))
    assert x.shape == (4, *shape)
    assert D(x, torch.randn(4, 1)).shape == (4,)


def test_periodic_discriminator_is_translation_invariant():
    stages, _ = plan_stages([16, 16])
    shift = 2 ** len(stages)  # pooling grid aligned: exact invariance
    D = ConvDiscriminator((1, 16, 16), width=8, periodic=(True, True))
    x = torch.randn(3, 1, 16, 16)
    y = torch.roll(x, (shift, -shift), dims=(2, 3))
    torch.testing.assert_close(D(x), D(y), rtol=1e-4, atol=1e-4)


def test_symmetric_generator_is_exactly_odd_in_z0():
    G = ConvGenerator(8, (1, 8, 8), cond_dim=1, periodic=(True, True), head="spin", symmetric=True)
    z, c = torch.randn(50, 8), torch.randn(50, 1)
    flipped = z.clone()
    flipped[:, 0] = -flipped[:, 0]
    with torch.no_grad():
        torch.manual_seed(1)
        x = G(z, c)
        torch.manual_seed(1)  # same per-pixel noise
        y = G(flipped, c)
    assert set(x.unique().tolist()) <= {-1.0, 1.0}  # straight-through spins
    assert torch.equal(x, -y)  # m > 0 and m < 0 equally likely, exactly


def test_hdf5_input(tmp_path):
    path = tmp_path / "d.h5"
    try:
        import h5py
    except ImportError:
        path.write_bytes(b"not really hdf5")
        with pytest.raises(MissingDependencyError, match=r"scigan\[fields\]"):
            FieldsDomain().load(str(path), options={}, seed=0)
        return
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros((6, 4, 4), dtype=np.float32)
        f["cond"] = np.arange(6.0)
    ds = FieldsDomain().load(str(path), options={}, seed=0)
    assert ds.samples.shape == (6, 1, 4, 4) and ds.conditions.shape == (6, 1)


def test_conditional_minibatch_std_sees_collapse_within_a_condition():
    from scigan.core.nets import ConditionalMinibatchStd

    mb = ConditionalMinibatchStd(group=8)
    cond = torch.tensor([[-1.0], [0.0], [1.0], [-1.0], [0.0], [1.0], [-1.0], [0.0]])
    diverse = torch.randn(8, 5)
    collapsed = torch.stack([torch.full((5,), float(c)) for c in cond[:, 0]])  # one per T
    spread_div = mb(diverse, cond)[:, -1]
    spread_col = mb(collapsed, cond)[:, -1]
    assert torch.all(spread_div > 0.1)
    assert torch.all(spread_col < 1e-2)  # identical within each T, different across T
    D = ConvDiscriminator((1, 8, 8), cond_dim=1, width=8, minibatch_std=True)
    assert D(torch.randn(16, 1, 8, 8), torch.randn(16, 1)).shape == (16,)
    with pytest.raises(ValueError, match="conditional"):
        D(torch.randn(16, 1, 8, 8))


def test_anscombe_transform_against_closed_forms():
    # y = 2 sqrt(x + 3/8) (Anscombe 1948), then standardised; decoding rounds and maps
    # everything below the image of 0 to 0 counts.
    x = np.array([[[0.0, 1.0, 6.0, 30.0]]] * 4)
    ds = FieldsDomain().load(x, options={"transform": "anscombe", "layout": "series"}, seed=0)
    enc = FieldEncoder().fit(ds)
    y = 2.0 * np.sqrt(x + 0.375)
    assert enc.mean_[0] == pytest.approx(y.mean()) and enc.std_[0] == pytest.approx(y.std())
    t = enc.encode(x).double().numpy()
    np.testing.assert_allclose(t * enc.std_[0] + enc.mean_[0], y, rtol=1e-6)
    below = torch.full((1, 1, 4), (0.5 - enc.mean_[0]) / enc.std_[0])  # y = 0.5 < 2 sqrt(3/8)
    assert (enc.decode(below) == 0).all() and not np.signbit(enc.decode(below)).any()
    # Variance stabilisation: Var 2 sqrt(X + 3/8) of a Poisson X is 1 + O(1/λ²), from the pmf.
    from scipy.stats import poisson

    for lam, tol in ((10.0, 0.02), (30.0, 0.003)):
        k = np.arange(0, 400)
        p = poisson.pmf(k, lam)
        f = 2.0 * np.sqrt(k + 0.375)
        assert (p * f * f).sum() - (p * f).sum() ** 2 == pytest.approx(1.0, abs=tol)
