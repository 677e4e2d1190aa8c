"""Training batches (core.step.Batches): the plain draw and batches of one condition value."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scigan.core.step import Batches
from scigan.errors import ConfigError

CPU = torch.device("cpu")


def _data():
    cond = torch.cat(
        [torch.full((100, 1), 2.0), torch.full((300, 1), 2.5), torch.full((600, 1), 3.0)]
    )
    data = torch.arange(len(cond), dtype=torch.float32)[:, None]
    return data, cond


def test_plain_draw_is_uniform_indices_from_torchs_stream():
    data, cond = _data()
    torch.manual_seed(0)
    x, c = Batches(data, cond, 4, 64, CPU).real()
    torch.manual_seed(0)
    idx = torch.randint(len(data), (64,))
    assert torch.equal(x, data[idx]) and torch.equal(c, cond[idx])


def test_batches_by_condition_hold_one_value_in_proportion_to_its_rows():
    data, cond = _data()
    torch.manual_seed(0)
    batches = Batches(data, cond, 4, 32, CPU, by_condition=True)
    seen = []
    for _ in range(600):
        x, c = batches.real()
        assert len(torch.unique(c)) == 1  # one temperature per batch
        assert torch.equal(cond[x[:, 0].long()], c)  # rows and conditions stay paired
        seen.append(float(c[0, 0]))
        assert len(torch.unique(batches.conditions())) == 1
    share = np.array([np.mean(np.isclose(seen, v)) for v in (2.0, 2.5, 3.0)])
    # binomial 3-sigma bands around 0.1 / 0.3 / 0.6 for 600 draws
    assert np.all(np.abs(share - [0.1, 0.3, 0.6]) < 3 * np.sqrt(share * (1 - share) / 600) + 1e-9)


def test_batches_by_condition_refuse_a_continuous_condition():
    data = torch.zeros(100, 1)
    with pytest.raises(ConfigError, match="at most 32 distinct condition values"):
        Batches(data, torch.rand(100, 1), 4, 8, CPU, by_condition=True)
    assert Batches(data, None, 4, 8, CPU, by_condition=True).members is None  # unconditional
