"""Discriminator rejection sampling end to end (toy ring8: exact mode metrics, seconds)."""

from __future__ import annotations

import json

import numpy as np

import scigan


def _two_blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 0.3, (3000, 2)), rng.normal(2, 0.3, (3000, 2))])
    return x.astype(np.float32)


def _near_a_mode(x: np.ndarray) -> np.ndarray:
    """Within 3σ (0.9) of the centre (−2, −2) or (2, 2): (N,) bool."""
    return np.minimum(np.linalg.norm(x - 2, axis=1), np.linalg.norm(x + 2, axis=1)) < 0.9


def test_drs_moves_samples_onto_the_modes(tmp_path, fast_settings):
    # a GAN stopped early (200 steps) still puts half its samples between the two blobs; the
    # density-ratio classifier rejects those draws
    kw = {**fast_settings, "steps": 200, "options": {}}
    data = _two_blobs()
    plain = scigan.Synthesizer("toy", **kw).fit(data, out=tmp_path / "plain")
    drs = scigan.Synthesizer("toy", drs=True, **kw).fit(data, out=tmp_path / "drs")
    x0, x1 = plain.sample(4000, seed=0), drs.sample(4000, seed=0)
    # the classifier is fitted after training: the generators are the same, only the draws differ
    assert _near_a_mode(x0).mean() < 0.7
    assert _near_a_mode(x1).mean() > 0.95
    assert 0.4 < (x1[:, 0] > 0).mean() < 0.6  # both blobs kept, in the data's proportion
    rows = [json.loads(x) for x in (tmp_path / "drs" / "metrics.jsonl").read_text().splitlines()]
    info = [r for r in rows if r["kind"] == "drs"]
    assert len(info) == 1 and info[0]["step"] == 200 and info[0]["val_auc"] > 0.6
    # saved with the checkpoint: a reload samples the same rows
    again = scigan.Synthesizer.load(tmp_path / "drs")
    assert np.array_equal(again.sample(4000, seed=0), x1)
    assert not np.array_equal(drs.sample(500, seed=3), drs.sample(500, seed=4))
    assert scigan.Synthesizer.load(tmp_path / "plain").refiner_ is None


def test_ring8_run_keeps_best_and_latest_loadable(tmp_path, fast_settings):
    # the refined checkpoint is rewritten in place: a "best" tag on the same step moves with it
    kw = {**fast_settings, "steps": 200, "eval_every": 200}
    scigan.Synthesizer("toy", drs=True, **kw).fit("ring8", out=tmp_path / "r")
    best = scigan.Synthesizer.load(tmp_path / "r", checkpoint="best")
    latest = scigan.Synthesizer.load(tmp_path / "r")
    assert best.state_.step == latest.state_.step == 200
    assert best.refiner_ is not None and latest.refiner_ is not None


def test_resume_refits_and_drs_leaves_training_unchanged(tmp_path, fast_settings):
    kw = {**fast_settings, "ckpt_every": 100}
    scigan.Synthesizer("toy", steps=200, drs=True, **kw).fit("ring8", out=tmp_path / "a")
    scigan.Synthesizer.load(tmp_path / "a").resume(300)
    scigan.Synthesizer("toy", steps=300, **kw).fit("ring8", out=tmp_path / "b")
    a, b = scigan.Synthesizer.load(tmp_path / "a"), scigan.Synthesizer.load(tmp_path / "b")
    for k, v in a.state_.ema.shadow.state_dict().items():
        assert np.array_equal(v.numpy(), b.state_.ema.shadow.state_dict()[k].numpy()), k
    steps = [json.loads(x)["step"] for x in (tmp_path / "a" / "metrics.jsonl").read_text()
             .splitlines() if json.loads(x)["kind"] == "drs"]  # fmt: skip
    assert steps == [200, 300]
