"""Run folders, exact resume, save/load, sampling determinism (toy domain, CPU, seconds)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from small_toy import small_flags

import scigan
from scigan.cli import main


def _g_weights(run) -> dict[str, torch.Tensor]:
    ptr = json.loads((run / "checkpoints" / "latest.json").read_text())
    tensors = load_file(run / "checkpoints" / ptr["file"])
    return {k: v for k, v in tensors.items() if k.startswith(("G.", "G_ema.", "D."))}


@pytest.mark.parametrize(
    "extra",
    [
        {"loss": "ns"},
        {"loss": "wgan-gp"},
        {"loss": "hinge", "lr_half_life": 150, "pac": 2, "minibatch_std": True},
    ],
)
def test_resume_is_bit_identical(tmp_path, fast_settings, extra):
    """400 steps straight == 200 steps + resume to 400 (generator, EMA and D weights)."""
    kw = {**fast_settings, **extra, "eval_every": 100, "ckpt_every": 100}
    straight, split = tmp_path / "straight", tmp_path / "split"
    scigan.Synthesizer("toy", steps=400, **kw).fit("ring8", out=straight)
    scigan.Synthesizer("toy", steps=200, **kw).fit("ring8", out=split)
    scigan.Synthesizer.load(split).resume(400)
    a, b = _g_weights(straight), _g_weights(split)
    assert a.keys() == b.keys() and any(k.startswith("G.") for k in a)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # The resumed log has no repeated steps and ends at 400.
    steps = [
        json.loads(line)["step"]
        for line in (split / "metrics.jsonl").read_text().splitlines()
        if json.loads(line)["kind"] == "train"
    ]
    assert steps == sorted(set(steps)) and steps[-1] == 400
    assert json.loads((split / "config.json").read_text())["config"]["steps"] == 400


def test_cli_resume_identity(tmp_path, fast_settings):
    flags = [
        "--data",
        "ring8",
        "--seed",
        "3",
        *small_flags(ckpt_every=100),
    ]
    assert main(["train", *flags, "--steps", "400", "--out", str(tmp_path / "a")]) == 0
    assert main(["train", *flags, "--steps", "200", "--out", str(tmp_path / "b")]) == 0
    assert main(["resume", str(tmp_path / "b"), "--steps", "400", "--quiet"]) == 0
    a, b = _g_weights(tmp_path / "a"), _g_weights(tmp_path / "b")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_run_folder_contents(tmp_path, fast_settings):
    out = tmp_path / "run"
    scigan.Synthesizer("toy", steps=120, **{**fast_settings, "eval_every": 60}).fit(
        "ring8", out=out
    )
    info = json.loads((out / "config.json").read_text())
    assert set(info["versions"]) >= {"scigan", "torch", "numpy", "python"}
    assert info["seed"] == 0 and info["data_hash"].startswith("sha256:")
    assert info["config"]["steps"] == 120 and info["config"]["domain"] == "toy"
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    assert {
        "loss_d",
        "loss_g",
        "grad_norm_d",
        "grad_norm_g",
        "d_real",
        "d_fake",
        "elapsed_s",
    } <= set(train_rows[0])
    evals = [r for r in rows if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [60, 120]
    assert {"value", "floor"} <= set(evals[0]["metrics"]["modes_covered"])
    ckpt = out / "checkpoints"
    assert (ckpt / "latest.json").exists() and (ckpt / "best.json").exists()
    assert not list(out.rglob("*.tmp"))


def test_same_seed_same_weights_and_samples(tmp_path, fast_settings):
    a = scigan.Synthesizer("toy", steps=60, **fast_settings).fit("ring8")
    b = scigan.Synthesizer("toy", steps=60, **fast_settings).fit("ring8")
    assert np.array_equal(a.sample(50, seed=1), b.sample(50, seed=1))
    assert not np.array_equal(a.sample(50, seed=1), a.sample(50, seed=2))
    c = scigan.Synthesizer("toy", steps=60, **{**fast_settings, "seed": 9}).fit("ring8")
    assert not np.array_equal(a.sample(50, seed=1), c.sample(50, seed=1))


def test_save_load_round_trip(tmp_path, fast_settings):
    gan = scigan.Synthesizer("toy", steps=40, **fast_settings).fit("grid25")
    assert gan.fit is not None and gan.get_params()["domain"] == "toy"
    path = gan.save(tmp_path / "model")
    loaded = scigan.Synthesizer.load(path)
    assert np.array_equal(gan.sample(20, seed=4), loaded.sample(20, seed=4))
    result = loaded.evaluate(n=100)
    assert result["n"] == 100 and "modes_covered" in result["metrics"]


def test_in_memory_points_and_sklearn_conventions(fast_settings):
    x = np.random.default_rng(0).normal(size=(500, 3))
    kw = {k: v for k, v in fast_settings.items() if k != "options"}
    gan = scigan.Synthesizer("toy", steps=30, **kw)
    assert not hasattr(gan, "config_")
    with pytest.raises(scigan.ConfigError, match="not fitted"):
        gan.sample(3)
    assert gan.fit(x) is gan
    out = gan.sample(7, seed=0)
    assert out.shape == (7, 3)
    metrics = gan.evaluate(n=200)["metrics"]
    assert {"mmd", "frechet"} <= set(metrics) and "floor" in metrics["mmd"]
