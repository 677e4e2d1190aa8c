"""Fields ``sweeps``: Metropolis sweeps of decoded Ising lattices at each sample's temperature."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from scigan.domains.fields import FieldsDomain
from scigan.domains.fields.encoding import FieldEncoder
from scigan.domains.fields.exact import ising_brute_force
from scigan.domains.fields.metrics import ising_observables
from scigan.errors import DataError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))


def _encoder(sweeps: int, L: int = 4, temps=(1.5, 3.0)) -> FieldEncoder:
    opts = {"L": L, "n": 8, "temperatures": list(temps), "burn": 5, "thin": 1, "sweeps": sweeps}
    ds = FieldsDomain().load("ising2d", options=opts, seed=0)
    return FieldEncoder().fit(ds)


def test_sweeps_zero_returns_the_decoded_samples_unchanged():
    enc = _encoder(0)
    x = np.ones((6, 1, 4, 4), np.float32)
    assert enc.finish(x, enc.encode_conditions(np.full((6, 1), 3.0)), seed=0) is x


def test_sweeps_reach_the_exact_boltzmann_energy_at_each_rows_temperature():
    """All-up lattices at two temperatures, interleaved: after the sweeps, each row's energy
    distribution is the exact 4×4 one (brute force over 2^16 states) at its own T."""
    enc = _encoder(60)
    n = 4000
    temps = np.where(np.arange(n) % 2 == 0, 1.5, 3.0)[:, None]
    out = enc.finish(np.ones((n, 1, 4, 4), np.float32), enc.encode_conditions(temps), seed=3)
    assert out.shape == (n, 1, 4, 4) and out.dtype == np.float32
    assert set(np.unique(out)) <= {-1.0, 1.0}
    e, _ = ising_observables(out)
    for T in (1.5, 3.0):
        rows = temps[:, 0] == T
        exact = ising_brute_force(4, T)["energy"]
        se = e[rows].std() / np.sqrt(rows.sum())
        assert abs(e[rows].mean() - exact) < 4 * se, (T, e[rows].mean(), exact)
    # the two temperatures really differ (the rows were not swept at one T)
    assert e[temps[:, 0] == 1.5].mean() < e[temps[:, 0] == 3.0].mean() - 0.3


def test_sweeps_are_fixed_by_the_seed_and_the_state_round_trips():
    enc = _encoder(5)
    x = np.ones((10, 1, 4, 4), np.float32)
    c = enc.encode_conditions(np.full((10, 1), 3.0))
    a, b = enc.finish(x, c, seed=1), enc.finish(x, c, seed=1)
    assert np.array_equal(a, b) and not np.array_equal(a, enc.finish(x, c, seed=2))
    enc2 = FieldEncoder()
    enc2.load_state_dict(json.loads(json.dumps(enc.state_dict())))
    assert enc2.sweeps_ == 5 and np.array_equal(enc2.finish(x, c, seed=1), a)
    old = {k: v for k, v in enc.state_dict().items() if k != "sweeps"}  # a run saved before
    enc3 = FieldEncoder()
    enc3.load_state_dict(old)
    assert enc3.sweeps_ == 0


def test_sweeps_need_periodic_spin_lattices_with_a_temperature():
    x = np.random.default_rng(0).normal(size=(8, 1, 4, 4)).astype(np.float32)
    ds = FieldsDomain().load(x, options={"sweeps": 3}, seed=0)
    with pytest.raises(DataError, match="sweeps=3 needs spins"):
        FieldEncoder().fit(ds)
    spins = np.sign(x) + (x == 0)
    ds = FieldsDomain().load(spins, options={"sweeps": 3, "transform": "spin"}, seed=0)
    with pytest.raises(DataError, match="periodic"):
        FieldEncoder().fit(ds)
    ds = FieldsDomain().load(
        spins, options={"sweeps": 3, "transform": "spin", "periodic": True}, seed=0
    )
    with pytest.raises(DataError, match="one condition"):
        FieldEncoder().fit(ds)
    with pytest.raises(DataError, match="sweeps"):
        FieldsDomain().load("ising2d", options={"sweeps": -1}, seed=0)


def test_generate_applies_the_sweeps_after_decoding():
    """Through the sampling path: an untrained generator's lattices swept at T = 0.5 from
    the decoded start end (near-)ordered domains: their energy falls."""
    from scigan.sampling import generate

    enc = _encoder(0)

    class G(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.g = torch.nn.Sequential(torch.nn.Linear(8 + 1, 16), torch.nn.Tanh())

        def forward(self, z, c):
            return self.g(torch.cat([z, c], 1)).view(-1, 1, 4, 4)

    cond = np.full((200, 1), 1.5)
    raw = generate(G(), enc, 8, 200, 0, cond)
    enc.sweeps_ = 40
    swept = generate(G(), enc, 8, 200, 0, cond)
    assert ising_observables(swept)[0].mean() < ising_observables(raw)[0].mean() - 0.2
