"""Observable matching (fields): targets are the training sample's moments per condition
value, the split-half estimate is unbiased for the squared moment gap, and G gets gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scigan.domains.fields.matching import (
    expected_order_statistics,
    moments,
    observable_matching,
)
from scigan.domains.fields.metrics import ising_observables


def _lattices(n: int, p_up: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.where(torch.rand(n, 1, 8, 8, generator=g) < p_up, 1.0, -1.0)


MEAN, STD = [-0.5, 0.4, 0.2], [0.3, 0.2, 0.1]


def test_targets_are_the_training_moments_per_condition():
    data = torch.cat([_lattices(40, 0.9, 0), _lattices(60, 0.5, 1)])
    cond = torch.cat([torch.zeros(40, 1), torch.ones(60, 1)])
    pen = observable_matching("ising", 1.0, data, cond, MEAN, STD)
    # a batch equal to group 1's own rows, split into halves with identical means → the
    # penalty is the product of the two half-gaps, computed here independently with numpy
    rows = data[40:]
    e, m = ising_observables(rows[:, 0].numpy())
    phi = (np.stack([e, np.abs(m), m * m], 1) - MEAN) / STD
    target = np.concatenate([phi, phi**2], 1).mean(0)
    d1 = np.concatenate([phi[0::2], phi[0::2] ** 2], 1).mean(0) - target
    d2 = np.concatenate([phi[1::2], phi[1::2] ** 2], 1).mean(0) - target
    got = pen(rows, torch.ones(60, 1)).item()
    assert got == pytest.approx(float((d1 * d2).sum()), rel=1e-4, abs=1e-6)
    other = pen(rows, torch.zeros(60, 1)).item()  # the same rows judged against group 0
    assert other > 10 * abs(got)


def test_split_half_estimate_is_unbiased_and_detects_a_gap():
    data = _lattices(2000, 0.5, 0)
    pen = observable_matching("ising", 1.0, data, None, MEAN, STD)
    same = [pen(_lattices(64, 0.5, s), None).item() for s in range(1, 301)]
    biased = [pen(_lattices(64, 0.8, s), None).item() for s in range(1, 51)]
    # fakes from the training distribution: mean ≈ 0 (a single batch's squared gap would
    # average var/n > 0); a shifted distribution: clearly positive
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same))
    assert np.mean(biased) > 20 * np.std(same)


def test_gradient_reaches_the_generator_and_off_switches():
    data = _lattices(100, 0.5, 0)
    pen = observable_matching("ising", 2.0, data, None, MEAN, STD)
    logits = torch.zeros(16, 1, 8, 8, requires_grad=True)
    x = torch.tanh(logits + 2.0)  # a too-ordered "generator"
    pen(x, None).backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    assert observable_matching("ising", 0.0, data, None, MEAN, STD) is None
    assert observable_matching("none", 1.0, data, None, MEAN, STD) is None
    continuous = torch.rand(100, 1)  # 100 distinct condition values: not a per-value moment
    assert observable_matching("ising", 1.0, data, continuous, MEAN, STD) is None


def test_moments_are_observables_and_their_squares():
    x = _lattices(5, 0.7, 3)
    out = moments(x, "ising", torch.tensor(MEAN), torch.tensor(STD))
    assert out.shape == (5, 6) and torch.allclose(out[:, 3:], out[:, :3] ** 2)


def test_series_moments_of_anscombe_counts_are_taken_on_the_counts():
    from scigan.core.nets import observables

    g = torch.Generator().manual_seed(0)
    counts = torch.poisson(torch.full((20, 1, 16), 8.0), generator=g).double()
    mean, std = 5.5, 2.0  # an encoder's standardisation of 2 sqrt(x + 3/8)
    encoded = (2.0 * torch.sqrt(counts + 0.375) - mean) / std
    mu, sd = torch.zeros(6, dtype=torch.float64), torch.ones(6, dtype=torch.float64)
    got = moments(encoded, "series", mu, sd, [mean, std])
    want = observables(counts, "series")  # mean, log variance, 4 octaves (k = 1 … 8)
    torch.testing.assert_close(got, torch.cat([want, want**2], dim=1), rtol=1e-6, atol=1e-6)


def test_moving_average_gap_and_its_gradient():
    """β > 0: the gap is the bias-corrected average of the batch moments (Adam's first
    moment), the value its square, and the gradient 2 · gap · ∇(batch moments)."""
    beta, weight = 0.9, 3.0
    data = _lattices(200, 0.5, 0)
    pen = observable_matching("ising", weight, data, None, MEAN, STD, momentum=beta)
    target = moments(data, "ising", torch.tensor(MEAN), torch.tensor(STD)).double().mean(0)
    batch_means = []
    for s in range(1, 4):
        logits = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(s))
        logits.requires_grad_(True)
        x = torch.tanh(logits + 0.5 * s)
        value = pen(x, None)
        m = moments(x, "ising", torch.tensor(MEAN), torch.tensor(STD)).mean(0)
        batch_means.append(m.detach().double())
        raw = sum(
            beta ** (len(batch_means) - 1 - i) * (1 - beta) * b for i, b in enumerate(batch_means)
        )
        gap = raw / (1 - beta ** len(batch_means)) - target
        assert value.item() == pytest.approx(weight * float((gap**2).sum()), rel=1e-4)
        value.backward(retain_graph=True)
        want = torch.autograd.grad(weight * 2 * (gap.float() * m).sum(), logits)[0]
        torch.testing.assert_close(logits.grad, want, rtol=1e-4, atol=1e-7)
    assert pen.seen.tolist() == [3.0] and set(pen.state_dict()) == {"ema", "seen"}
    assert not observable_matching("ising", 1.0, data, None, MEAN, STD).state_dict()


def test_moving_average_cuts_the_noise_of_the_gap():
    """Fakes drawn from the training distribution: the averaged gap (β = 0.98, ~50 batches)
    scatters far less than one batch's gap, which is what the split-half estimate rests on."""
    data = _lattices(4000, 0.6, 0)
    pen = observable_matching("ising", 1.0, data, None, MEAN, STD, momentum=0.98)
    mu, sd = torch.tensor(MEAN), torch.tensor(STD)
    averaged, single = [], []
    for s in range(1, 301):
        x = _lattices(32, 0.6, s)
        pen(x, None)
        if s > 150:
            averaged.append((pen.ema / (1 - 0.98 ** pen.seen[:, None]) - pen.targets)[0, 0].item())
            single.append((moments(x, "ising", mu, sd).mean(0) - pen.targets[0])[0].item())
    assert np.std(averaged) < 0.35 * np.std(single)
    assert abs(np.mean(single)) < 3 * np.std(single) / np.sqrt(len(single))


def test_group_scale_matches_each_condition_in_its_own_units():
    """``scale="group"``: the observables of each condition value are standardised by that
    value's own training mean and spread, so its targets are exactly [0 … 0, 1 … 1], and the penalty
    of a batch is checked against a direct numpy computation in the group's own units."""
    data = torch.cat([_lattices(40, 0.95, 0), _lattices(60, 0.5, 1)])
    cond = torch.cat([torch.zeros(40, 1), torch.ones(60, 1)])
    pen = observable_matching("ising", 1.0, data, cond, MEAN, STD, scale="group")
    assert torch.allclose(pen.targets, torch.tensor([[0.0] * 3 + [1.0] * 3] * 2), atol=1e-5)
    e, m = ising_observables(data[:40, 0].numpy())
    raw = np.stack([e, np.abs(m), m * m], 1)
    mu, sd = raw.mean(0), raw.std(0)
    fake = _lattices(8, 0.8, 3)  # less ordered than group 0's lattices
    fe, fm = ising_observables(fake[:, 0].numpy())
    phi = (np.stack([fe, np.abs(fm), fm * fm], 1) - mu) / sd
    feats = np.concatenate([phi, phi * phi], 1)
    target = pen.targets[0].numpy()
    expected = ((feats[0::2].mean(0) - target) * (feats[1::2].mean(0) - target)).sum()
    got = pen(fake, torch.zeros(8, 1)).item()
    assert got == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ValueError, match="scale='x'"):
        observable_matching("ising", 1.0, data, cond, MEAN, STD, scale="x")


def test_expected_order_statistics_match_a_closed_form_and_monte_carlo():
    """E[X_(i:k)] for k draws with replacement from M values: for the values 1 … M the i-th of
    k uniform draws on {1 … M} has mean → i (M + 1) / (k + 1) for large M; and a brute-force
    Monte Carlo of sorted draws from an arbitrary sample agrees."""
    m, k = 100_000, 7
    got = expected_order_statistics(np.arange(1, m + 1), k)
    closed = np.arange(1, k + 1) * (m + 1) / (k + 1)
    assert np.allclose(got, closed, rtol=1e-4)
    rng = np.random.default_rng(0)
    values = rng.gamma(2.0, size=300)
    draws = np.sort(rng.choice(values, size=(200_000, 5)), axis=1).mean(0)
    assert np.allclose(expected_order_statistics(values, 5), draws, atol=0.01)


def test_quantile_matching_is_unbiased_and_sees_a_missing_tail():
    """``stat="quantiles"``: fakes drawn from the training distribution average a penalty of
    0; fakes with the right mean and a narrower spread — what moments of φ alone hardly
    resolve at a batch of 64 — get a clearly positive one."""
    data = _lattices(3000, 0.5, 0)
    pen = observable_matching("ising", 1.0, data, None, MEAN, STD, stat="quantiles")
    same = [pen(_lattices(64, 0.5, s), None).item() for s in range(1, 301)]
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same))
    # half the sites copied from a fixed pattern: |m| spreads less, the mean barely moves
    g = torch.Generator().manual_seed(9)
    base = _lattices(1, 0.5, 99)
    narrow = []
    for s in range(1, 51):
        x = _lattices(64, 0.5, 1000 + s)
        mask = torch.rand(64, 1, 8, 8, generator=g) < 0.5
        narrow.append(pen(torch.where(mask, base.expand_as(x), x), None).item())
    assert np.mean(narrow) > 10 * np.std(same) / np.sqrt(len(same))
    both = observable_matching("ising", 1.0, data, None, MEAN, STD, stat="both")
    moments_only = observable_matching("ising", 1.0, data, None, MEAN, STD)
    x = _lattices(64, 0.8, 7)
    assert both(x, None).item() == pytest.approx(
        pen(x, None).item() + moments_only(x, None).item(), rel=1e-5
    )
    with pytest.raises(ValueError, match="stat='x'"):
        observable_matching("ising", 1.0, data, None, MEAN, STD, stat="x")
    with pytest.raises(ValueError, match="momentum"):
        observable_matching("ising", 1.0, data, None, MEAN, STD, momentum=0.9, stat="quantiles")


def test_quantile_matching_pulls_the_tail_with_gradients():
    data = _lattices(500, 0.5, 0)
    pen = observable_matching("ising", 1.0, data, None, MEAN, STD, stat="quantiles")
    logits = torch.zeros(16, 1, 8, 8, requires_grad=True)
    pen(torch.tanh(logits + 2.0), None).backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_the_run_keeps_its_match_stat_when_the_default_changes(tmp_path, monkeypatch):
    """The encoder records ``match_stat`` and ``match_scale``: the defaults (quantiles, group)
    or the options, checked; a run saved before ``match_stat`` existed loads as ``moments``,
    the statistic it trained with."""
    import json

    from scigan.domains.fields import FieldsDomain
    from scigan.domains.fields.encoding import FieldEncoder
    from scigan.errors import DataError

    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path))
    opts = {"L": 4, "n": 8, "temperatures": [1.5, 3.0], "burn": 5, "thin": 1}
    enc = FieldEncoder().fit(FieldsDomain().load("ising2d", options=opts, seed=0))
    assert enc.match_stat_ == "quantiles"
    assert enc.match_scale_ == "group"
    both = {**opts, "match_stat": "both", "match_scale": "pooled"}
    enc = FieldEncoder().fit(FieldsDomain().load("ising2d", options=both, seed=0))
    again = FieldEncoder()
    again.load_state_dict(json.loads(json.dumps(enc.state_dict())))
    assert (again.match_stat_, again.match_scale_) == ("both", "pooled")
    old = FieldEncoder()
    old.load_state_dict({k: v for k, v in enc.state_dict().items() if k != "match_stat"})
    assert old.match_stat_ == "moments"
    with pytest.raises(DataError, match="match_stat='median'"):
        FieldsDomain().load("ising2d", options={**opts, "match_stat": "median"}, seed=0)


def test_an_explicit_option_in_the_run_config_wins_over_an_unrecorded_encoder(
    tmp_path, monkeypatch
):
    """A run trained with ``--set match_stat=quantiles`` before the encoder recorded it loads
    as ``moments``; its config's option restores ``quantiles`` when the penalty is built."""
    from scigan.config import TrainConfig
    from scigan.domains.fields import FieldsDomain
    from scigan.domains.fields.encoding import FieldEncoder

    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path))
    opts = {"L": 4, "n": 8, "temperatures": [1.5, 3.0], "burn": 5, "thin": 1}
    domain = FieldsDomain()
    ds = domain.load("ising2d", options=opts, seed=0)
    fitted = FieldEncoder().fit(ds)
    old = FieldEncoder()
    old.load_state_dict({k: v for k, v in fitted.state_dict().items() if k != "match_stat"})
    data, cond = fitted.encode(ds.samples), fitted.encode_conditions(ds.conditions)
    cfg = TrainConfig().replace({"options": {**opts, "match_stat": "quantiles"}})
    pen = domain.generator_penalty(cfg, old, data, None, cond)
    assert old.match_stat_ == "quantiles" and pen.stat == "quantiles"
    plain = FieldEncoder()
    plain.load_state_dict({k: v for k, v in fitted.state_dict().items() if k != "match_stat"})
    bare = TrainConfig().replace({"options": opts})
    pen = domain.generator_penalty(bare, plain, data, None, cond)
    assert pen.stat == "moments"


def test_means_matches_the_first_moments_alone():
    """``stat="means"``: targets are E[φ] only, the penalty is the split-half product of the
    first-moment gaps (the same number as the ``moments`` penalty's first half)."""
    data = _lattices(400, 0.7, 0)
    means = observable_matching("ising", 1.0, data, None, MEAN, STD, stat="means")
    both = observable_matching("ising", 1.0, data, None, MEAN, STD, stat="moments")
    assert means.targets.shape == (1, 3)
    np.testing.assert_allclose(means.targets.numpy(), both.targets[:, :3].numpy(), rtol=1e-6)
    fake = _lattices(64, 0.9, 3)
    e, m = ising_observables(fake[:, 0].numpy())
    phi = (np.stack([e, np.abs(m), m * m], 1) - MEAN) / STD
    t = means.targets[0].numpy()
    want = ((phi[0::2].mean(0) - t) * (phi[1::2].mean(0) - t)).sum()
    assert means(fake, None).item() == pytest.approx(float(want), rel=1e-4)
    # with a moving average of the generated means (momentum): the squared gap of the first
    with torch.no_grad():
        avg = observable_matching("ising", 1.0, data, None, MEAN, STD, momentum=0.9, stat="means")
        got = avg(fake, None).item()
    gap = phi.mean(0) - t
    assert got == pytest.approx(float((gap * gap).sum()), rel=1e-4)
