"""The watchdog: NaN, exploding gradients, collapse; rollback, lower LR, clear stop."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

import scigan
from scigan.config import TrainConfig, WatchdogConfig
from scigan.core.checkpoint import load_checkpoint
from scigan.core.monitor import Watchdog, mean_pairwise_distance
from scigan.core.training_loop import WatchdogWarning, train
from scigan.problem import build_problem
from scigan.registry import DOMAINS

FAST = {
    "z_dim": 4,
    "g_width": 16,
    "d_width": 16,
    "g_depth": 1,
    "d_depth": 1,
    "batch_size": 32,
    "log_every": 10,
    "eval_every": 0,
    "ckpt_every": 20,
    "options": {"n": 500},
}


def _problem(**overrides):
    cfg = TrainConfig(domain="toy", data="ring8").replace({**FAST, **overrides})
    domain = DOMAINS.get("toy")()
    ds = domain.load("ring8", options=cfg.options, seed=0)
    enc = domain.make_encoder(cfg).fit(ds)
    return cfg, build_problem(cfg, domain, enc, ds)


def test_check_step_nan_and_explosion():
    wd = Watchdog(WatchdogConfig(explode_factor=100))
    assert "non-finite loss_d" in wd.check_step({"loss_d": math.nan}, {})
    assert "non-finite grad_norm_g" in wd.check_step({}, {"grad_norm_g": math.inf})
    for _ in range(60):
        assert wd.check_step({"loss_d": 1.0}, {"grad_norm_d": 1.0}) is None
    assert wd.check_step({"loss_d": 1.0}, {"grad_norm_d": 50.0}) is None
    assert "exploding grad_norm_d" in wd.check_step({"loss_d": 1.0}, {"grad_norm_d": 1e4})


def test_collapse_and_saturation_need_patience():
    wd = Watchdog(WatchdogConfig(collapse_patience=3, collapse_warmup=100, collapse_ratio=0.1))
    assert wd.check_collapse(50, 0.0, 0.5) is None  # warm-up
    assert wd.check_collapse(110, 0.05, 0.5) is None
    assert wd.check_collapse(120, 0.05, 0.5) is None
    assert "mode collapse" in wd.check_collapse(130, 0.05, 0.5)
    wd.reset_streaks()
    assert wd.check_collapse(140, 0.05, 0.5) is None
    assert wd.check_collapse(150, 0.9, 0.999) is None  # streak broken, saturation 1
    assert wd.check_collapse(160, 0.9, 0.999) is None
    assert "saturated" in wd.check_collapse(170, 0.9, 0.999)


def test_mean_pairwise_distance_closed_form():
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    assert mean_pairwise_distance(x) == pytest.approx(5.0)
    assert mean_pairwise_distance(torch.ones(10, 3)) == pytest.approx(0.0, abs=1e-6)


class FlakyD(nn.Module):
    """Wraps D and returns NaN on chosen calls (a transient numerical fault)."""

    def __init__(self, inner: nn.Module, bad_calls: set[int]):
        super().__init__()
        self.inner, self.bad_calls, self.calls = inner, bad_calls, 0

    def forward(self, x, cond=None):
        self.calls += 1
        out = self.inner(x, cond)
        return out * math.nan if self.calls in self.bad_calls else out


def test_transient_nan_rolls_back_and_recovers(tmp_path):
    cfg, problem = _problem(steps=80)
    problem.D = FlakyD(problem.D, {70})  # once, after the step-20 checkpoint
    with pytest.warns(WatchdogWarning, match="non-finite loss"):
        state = train(cfg, problem, tmp_path, progress=False)
    assert state.step == 80 and state.rollbacks == 1
    assert state.lr_g == pytest.approx(cfg.optim.lr_g * 0.5)
    events = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    rollback = [e for e in events if e["kind"] == "watchdog"]
    assert len(rollback) == 1 and rollback[0]["event"] == "rollback"
    assert rollback[0]["to_step"] in (20, 40, 60) and rollback[0]["to_step"] < rollback[0]["step"]
    tensors, _ = load_checkpoint(tmp_path / "checkpoints")
    assert all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())


def test_nan_in_data_stops_with_clear_error(tmp_path):
    cfg, problem = _problem(steps=60, max_rollbacks=2)
    problem.data[::3] = math.nan  # a third of the rows: every batch is poisoned
    with (
        pytest.warns(WatchdogWarning),
        pytest.raises(scigan.TrainingDivergedError, match=r"non-finite loss_d.*2 rollbacks"),
    ):
        train(cfg, problem, tmp_path, progress=False)
    events = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events if e["kind"] == "watchdog"] == [
        "rollback",
        "rollback",
        "stop",
    ]
    # Nothing with NaN was ever saved.
    ckpts = list((tmp_path / "checkpoints").glob("*.safetensors"))
    assert not ckpts or all(
        torch.isfinite(t).all()
        for t in load_checkpoint(tmp_path / "checkpoints")[0].values()
        if t.is_floating_point()
    )


def test_watchdog_off_still_refuses_nan(tmp_path):
    cfg, problem = _problem(steps=30, watchdog=False)
    problem.data[:] = math.nan
    with pytest.raises(scigan.TrainingDivergedError, match="watchdog is off"):
        train(cfg, problem, None, progress=False)


class ConstantG(nn.Module):
    """A fully collapsed generator: every z maps to the same point."""

    def __init__(self, dim: int):
        super().__init__()
        self.point = nn.Parameter(torch.zeros(dim))

    def forward(self, z, cond=None):
        return self.point.expand(len(z), -1)


def test_collapse_triggers_rollback_then_stop():
    cfg, problem = _problem(steps=200, collapse_warmup=0, collapse_patience=2, max_rollbacks=1)
    problem.G = ConstantG(2)
    with (
        pytest.warns(WatchdogWarning, match="mode collapse"),
        pytest.raises(scigan.TrainingDivergedError, match="mode collapse"),
    ):
        train(cfg, problem, None, progress=False)


class NaNBatchOnce:
    """The training data, except that the ``bad_call``-th batch drawn has a NaN row (a
    transient corrupt read); lengths and the fixed probe batch are unaffected."""

    def __init__(self, data: torch.Tensor, bad_call: int):
        self.data, self.bad_call, self.calls = data, bad_call, 0

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, idx):
        batch = self.data[idx]
        self.calls += 1
        if self.calls == self.bad_call:
            batch = batch.clone()
            batch[0, 0] = math.nan
        return batch


def test_nan_in_one_batch_rolls_back_and_no_nan_is_ever_saved(tmp_path, monkeypatch):
    import scigan.core.run_folder as run_folder

    saved: list[dict[str, torch.Tensor]] = []
    real_save = run_folder.save

    def spy(directory, tags, step, tensors, state):
        saved.append({k: v.clone() for k, v in tensors.items()})
        return real_save(directory, tags, step, tensors, state)

    monkeypatch.setattr(run_folder, "save", spy)
    cfg, problem = _problem(steps=80)
    # 1 probe batch, then one D batch per step: call 52 is the D batch of step 51.
    problem.data = NaNBatchOnce(problem.data, bad_call=52)
    with pytest.warns(WatchdogWarning, match="non-finite loss_d"):
        state = train(cfg, problem, tmp_path, progress=False)
    assert problem.data.calls > 52  # the poisoned batch was drawn, training went on
    assert state.step == 80 and state.rollbacks == 1
    events = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    rollback = [e for e in events if e["kind"] == "watchdog"]
    assert [e["event"] for e in rollback] == ["rollback"]
    assert rollback[0]["step"] == 50 and rollback[0]["to_step"] == 40
    assert [s for s in saved if s] and len(saved) == 4  # steps 20, 40, 60, 80
    for tensors in saved:
        assert all(torch.isfinite(t).all() for t in tensors.values() if t.is_floating_point())
    for module in (state.G, state.D, state.ema.shadow):
        assert all(torch.isfinite(p).all() for p in module.state_dict().values())


def test_generator_penalty_is_added_to_g_loss_and_logged(tmp_path):
    """A domain prior enters G's loss: a pull of every sample's first coordinate towards 3."""
    means = {}
    for name, penalty in (("plain", None), ("pulled", 3.0)):
        cfg, problem = _problem(steps=200, log_every=50, ckpt_every=100)
        assert problem.g_penalty is None  # the toy domain has no prior
        if penalty is not None:
            problem.g_penalty = lambda fake, cond: 50.0 * ((fake[:, 0] - 3.0) ** 2).mean()
        (tmp_path / name).mkdir()
        torch.manual_seed(0)
        state = train(cfg, problem, tmp_path / name, progress=False)
        rows = [json.loads(x) for x in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
        logged = [r.get("g_penalty") for r in rows if r["kind"] == "train"]
        with torch.no_grad():
            means[name] = state.G(torch.randn(500, cfg.net.z_dim), None)[:, 0].mean().item()
        if penalty is None:
            assert logged == [None] * 4
        else:
            assert len(logged) == 4 and logged[-1] < 0.75 * logged[0]
    # same seed, same data: only the penalty moves the samples towards 3 (ring8 lies in ±2)
    assert means["pulled"] - means["plain"] > 1.0, means
