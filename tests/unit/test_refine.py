"""Discriminator rejection sampling: the classifier learns the log density ratio, rejection
with it turns G's distribution into the data's (closed forms for two Gaussians)."""

from __future__ import annotations

import math

import pytest
import torch

from scigan.core.refine import DensityRatio, fit_density_ratio, rejection_sample


def _gaussians(n: int = 20000):
    g = torch.Generator().manual_seed(1)
    real = torch.randn(n, 1, generator=g)  # N(0, 1)
    fake = torch.randn(n, 1, generator=g) + 1.0  # N(1, 1)
    return real, fake


def test_classifier_learns_the_log_density_ratio_of_two_gaussians():
    # log N(x; 0, 1) − log N(x; 1, 1) = 0.5 − x
    real, fake = _gaussians()
    ratio, info = fit_density_ratio(real, fake, seed=0, width=32, depth=2)
    x = torch.linspace(-1.5, 2.5, 41).unsqueeze(1)
    err = (ratio.logits(x) - (0.5 - x.squeeze(1))).abs()
    assert float(err.mean()) < 0.15, err
    # Bayes AUC of N(0,1) vs N(1,1) is Φ(1/√2) = 0.760; the held-out 2,000 + 2,000 rows give
    # it a standard error of about 0.009
    bayes = 0.5 * (1 + math.erf(0.5))
    assert abs(info["val_auc"] - bayes) < 0.04
    assert 0.0 < info["acceptance"] < 1.0
    assert 0.0 < info["effective_fraction"] <= 1.0


def test_rejection_turns_the_generator_into_the_data():
    real, fake = _gaussians()
    ratio, _ = fit_density_ratio(real, fake, seed=0, width=32, depth=2, quantile=0.99)

    def draw(idx):
        return torch.randn(len(idx), 1) + 1.0  # G: N(1, 1)

    torch.manual_seed(0)
    x, draws = rejection_sample(draw, ratio, 20000)
    assert x.shape == (20000, 1)
    # accepted draws follow N(0, 1) up to the cap's clipping of the far left tail
    assert abs(float(x.mean())) < 0.08
    assert abs(float(x.var()) - 1.0) < 0.1
    assert draws > 20000  # some draws were rejected


def test_identical_distributions_are_not_separable():
    g = torch.Generator().manual_seed(2)
    a, b = torch.randn(6000, 3, generator=g), torch.randn(6000, 3, generator=g)
    _, info = fit_density_ratio(a, b, seed=0, width=32, depth=2)
    assert abs(info["val_auc"] - 0.5) < 0.05
    assert info["val_loss"] == pytest.approx(math.log(2), abs=0.02)


def test_rows_keep_their_conditions():
    # the classifier reads [x, c]; rows must come back with draws made for their own c
    cond = torch.tensor([[0.0], [5.0], [-3.0], [2.0]]).repeat(50, 1)
    real = torch.cat([cond + 0.1 * torch.randn(200, 1), cond], dim=1)
    fake = torch.cat([cond + 0.1 * torch.randn(200, 1) + 0.3, cond], dim=1)
    ratio, _ = fit_density_ratio(real, fake, seed=0, width=16, depth=1)

    def draw(idx):
        return cond[idx] + 0.1 * torch.randn(len(idx), 1)

    x, _ = rejection_sample(draw, ratio, len(cond), condition=cond, chunk=64)
    assert torch.allclose(x, cond, atol=0.5)


def test_state_round_trip():
    real, fake = _gaussians(2000)
    ratio, _ = fit_density_ratio(real, fake, seed=0, width=16, depth=2)
    again = DensityRatio.from_tensors(ratio.state_dict())
    x = torch.randn(100, 1)
    assert torch.equal(again.logits(x), ratio.logits(x))
    assert float(again.cap) == float(ratio.cap)


def test_bad_quantile_is_refused():
    real, fake = _gaussians(100)
    with pytest.raises(ValueError, match="quantile"):
        fit_density_ratio(real, fake, seed=0, quantile=0.2)
