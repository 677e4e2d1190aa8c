"""Losses and regularisers against closed forms."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from scigan.core.losses import (
    GradientPenalty,
    HingeLoss,
    NonSaturatingLoss,
    R1Penalty,
    WassersteinLoss,
    make_loss,
)
from scigan.errors import UnknownNameError

REAL = torch.tensor([2.0, -1.0, 0.5])
FAKE = torch.tensor([-3.0, 1.0, 0.0])


def sp(x: float) -> float:
    return math.log1p(math.exp(x))


def test_non_saturating_closed_form():
    loss = NonSaturatingLoss()
    want_d = sum(sp(-r) for r in REAL.tolist()) / 3 + sum(sp(f) for f in FAKE.tolist()) / 3
    want_g = sum(sp(-f) for f in FAKE.tolist()) / 3
    assert float(loss.d_objective(REAL, FAKE)) == pytest.approx(want_d, rel=1e-6)
    assert float(loss.g_objective(FAKE)) == pytest.approx(want_g, rel=1e-6)
    # At D = 0 everywhere the discriminator loss is 2 log 2 (the JS optimum value).
    z = torch.zeros(4)
    assert float(loss.d_objective(z, z)) == pytest.approx(2 * math.log(2))


def test_hinge_closed_form():
    loss = HingeLoss()
    want_d = (max(0, 1 - 2) + max(0, 1 + 1) + max(0, 1 - 0.5)) / 3 + (
        max(0, 1 - 3) + max(0, 1 + 1) + max(0, 1 + 0)
    ) / 3
    assert float(loss.d_objective(REAL, FAKE)) == pytest.approx(want_d)
    assert float(loss.g_objective(FAKE)) == pytest.approx(-float(FAKE.mean()))


def test_wasserstein_closed_form_and_threshold():
    loss = WassersteinLoss()
    assert float(loss.d_objective(REAL, FAKE)) == pytest.approx(float(FAKE.mean() - REAL.mean()))
    assert float(loss.g_objective(FAKE)) == pytest.approx(-float(FAKE.mean()))
    t = loss.decision_threshold(REAL, FAKE)
    assert float(t) == pytest.approx(0.5 * float(REAL.mean() + FAKE.mean()))


class Linear(nn.Module):
    """D(x) = w·x + b: its input gradient is w everywhere."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))

    def forward(self, x, cond=None):
        return x @ self.w + 0.3


def test_gradient_penalty_on_linear_critic():
    D = Linear([3.0, 4.0])  # ||w|| = 5
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    gp = GradientPenalty(10.0)(D, real, fake, None)
    assert gp.item() == pytest.approx(10.0 * (5.0 - 1.0) ** 2, rel=1e-5)
    gp.backward()  # differentiable w.r.t. D's parameters
    # d/dw 10 (||w|| - 1)^2 = 20 (||w|| - 1) w / ||w||
    assert torch.allclose(D.w.grad, 20 * 4 * torch.tensor([3.0, 4.0]) / 5, rtol=1e-4)


def test_r1_on_linear_critic():
    D = Linear([1.0, 2.0])
    r1 = R1Penalty(gamma=4.0)(D, torch.randn(8, 2), torch.randn(8, 2), None)
    assert r1.item() == pytest.approx(0.5 * 4.0 * 5.0, rel=1e-6)


def test_d_loss_stats_accuracy():
    class Fixed(nn.Module):
        def forward(self, x, cond=None):
            return x[:, 0]

    real = torch.tensor([[1.0], [2.0], [-1.0], [3.0]])
    fake = torch.tensor([[-1.0], [-2.0], [0.5], [-3.0]])
    _, stats = NonSaturatingLoss().d_loss(Fixed(), real, fake)
    assert stats["d_acc"] == pytest.approx(0.75)
    assert stats["d_real"] == pytest.approx(1.25)


def test_unknown_loss():
    with pytest.raises(UnknownNameError, match="choose one of"):
        make_loss("lsgan")
