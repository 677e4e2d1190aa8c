"""The tabular energy score (``--set energy=λ``): closed forms, outcome coordinates, pairing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from scigan.api import Synthesizer
from scigan.core.losses import make_loss
from scigan.core.step import Batches, GANStep
from scigan.domains.tabular import TabularDomain
from scigan.domains.tabular.data import load_table
from scigan.domains.tabular.encoding import TabularEncoder
from scigan.domains.tabular.scoring import (
    EnergyPenalty,
    OutcomeSpace,
    energy_score,
    energy_weight,
)
from scigan.errors import DataError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tabular"
SUZUKI = FIXTURES / "reizman_suzuki_case_1.csv"
SUZUKI_OPTIONS = {
    "conditions": ["catalyst", "t_res", "temperature", "catalyst_loading"],
    "outcomes": ["yld", "ton"],
    "schema": {"t_res": {"type": "continuous"}, "yld": {"low": 0.0, "high": 100.0}},
}


def test_energy_score_matches_a_direct_computation():
    g = torch.Generator().manual_seed(0)
    x, x2, y = (torch.randn(7, 3, generator=g) for _ in range(3))
    a, b, c = (t.double().numpy() for t in (x, x2, y))
    want = np.mean(
        0.5 * (np.linalg.norm(a - c, axis=1) + np.linalg.norm(b - c, axis=1))
        - 0.5 * np.linalg.norm(a - b, axis=1)
    )
    assert float(energy_score(x, x2, y)) == pytest.approx(want, abs=1e-6)


def test_energy_score_is_proper_for_a_gaussian_and_an_l2_term_is_not():
    """y ~ N(0, 1), forecasts N(0, s²): E[ES](s) = √(2(1 + s²)/π) − s/√π, least at s = 1;
    the mean squared error E(X − y)² = 1 + s² would prefer s = 0 (a collapsed generator)."""
    g = torch.Generator().manual_seed(1)
    n = 400_000
    y = torch.randn(n, 1, generator=g, dtype=torch.float64)
    got = {}
    for s in (0.0, 0.5, 1.0, 2.0):
        x = s * torch.randn(n, 1, generator=g, dtype=torch.float64)
        x2 = s * torch.randn(n, 1, generator=g, dtype=torch.float64)
        got[s] = float(energy_score(x, x2, y))
        exact = math.sqrt(2 * (1 + s * s) / math.pi) - s / math.sqrt(math.pi)
        assert got[s] == pytest.approx(exact, abs=0.005)
    assert min(got, key=got.get) == 1.0


def test_outcome_space_gives_standardised_values_and_scaled_levels():
    ds = load_table(SUZUKI, options=SUZUKI_OPTIONS, seed=0)
    enc = TabularEncoder(seed=0).fit(ds)
    space = OutcomeSpace(enc)
    rows = ds.train.iloc[:20]
    coords = space(enc.encode(rows)).double().numpy()
    assert coords.shape == (20, 2)  # yld and ton: the conditions' pass-through is left out
    for j, name in enumerate(("yld", "ton")):
        norm = enc.normalizers_[name]
        mean = float(np.sum(norm.weights * norm.means))
        var = float(np.sum(norm.weights * (norm.stds**2 + norm.means**2))) - mean**2
        want = (rows[name].to_numpy(dtype=float) - mean) / math.sqrt(var)
        np.testing.assert_allclose(coords[:, j], want, rtol=1e-4, atol=1e-4)
    # table mode: the categorical catalyst is generated, its one-hot scaled by 1/√2
    ds_t = load_table(SUZUKI, options={"schema": {"t_res": {"type": "continuous"}}}, seed=0)
    enc_t = TabularEncoder(seed=0).fit(ds_t)
    coords_t = OutcomeSpace(enc_t)(enc_t.encode(ds_t.train.iloc[:5])).numpy()
    levels = enc_t.columns_["catalyst"]["levels"]
    pos = [s.name for s in ds_t.schema.columns].index("catalyst")  # block order = column order
    block = coords_t[:, pos : pos + len(levels)]
    np.testing.assert_allclose(block.sum(axis=1), 1 / math.sqrt(2), rtol=1e-6)


def test_energy_option_is_checked_and_zero_means_no_penalty():
    assert energy_weight(0) == 0.0 and energy_weight(2) == 2.0
    for bad in (-1, "high", True, float("nan"), float("inf")):
        with pytest.raises(DataError, match="energy="):
            energy_weight(bad)
    ds = load_table(SUZUKI, options=SUZUKI_OPTIONS, seed=0)
    enc = TabularEncoder(seed=0).fit(ds)
    dom = TabularDomain()
    off = Synthesizer(domain="tabular", options={"energy": 0}).resolve_config("suzuki_case_1")
    assert dom.generator_penalty(off, enc) is None
    on = Synthesizer(domain="tabular", options={"energy": 1.5}).resolve_config("suzuki_case_1")
    pen = dom.generator_penalty(on, enc)
    assert isinstance(pen, EnergyPenalty) and pen.weight == 1.5 and pen.paired


class _Recorder:
    """A paired penalty that records what the generator phase hands it."""

    paired = True

    def __call__(self, fake, cond, *, real, fake2):
        self.got = (fake.detach(), cond, real, fake2.detach())
        return fake.sum() * 0.0


def test_generator_phase_pairs_each_condition_with_its_own_real_row():
    """The rows given to a paired penalty are the rows the conditions were drawn from, and the
    second generated half differs from the first (its own z) at the same conditions."""
    torch.manual_seed(0)
    data = torch.arange(50, dtype=torch.float32)[:, None].repeat(1, 2)  # row i = (i, i)
    cond = data[:, :1] * 10.0  # condition of row i = 10 i
    G = torch.nn.Linear(3, 2)

    class Gen(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = G

        def forward(self, z, c):
            return self.lin(torch.cat([z, c], dim=1))

    D = torch.nn.Linear(2, 1)

    class Crit(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = D

        def forward(self, x, c=None):
            return self.lin(x)[:, 0]

    rec = _Recorder()
    batches = Batches(data, cond, z_dim=2, size=8, device=torch.device("cpu"))
    step = GANStep(Gen(), Crit(), make_loss("wgan-gp"), [], rec, batches)

    class _Ok:
        def check_step(self, *a):
            return None

    opt = torch.optim.SGD(step.G.parameters(), lr=0.0)
    phase = step.generator(opt, _Ok())
    assert phase.fault is None and "g_penalty" in phase.stats
    fake, c, real, fake2 = rec.got
    torch.testing.assert_close(c[:, 0], real[:, 0] * 10.0)
    assert fake.shape == fake2.shape == (8, 2)
    assert not torch.allclose(fake, fake2)
