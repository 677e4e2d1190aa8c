"""Each fields dataset trains a few steps, samples and evaluates on CPU in seconds."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scigan import Synthesizer
from scigan.cli import main

TINY = {
    "z_dim": 8,
    "g_width": 8,
    "d_width": 8,
    "batch_size": 16,
    "steps": 4,
    "log_every": 2,
    "eval_every": 0,
    "ckpt_every": 4,
    "eval_n": 16,
}
ISING = {"L": 8, "n": 40, "temperatures": [2.0, 3.0], "burn": 5, "thin": 2}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))


def _finite_entries(metrics):
    for name, m in metrics.items():
        assert {"value", "floor", "n", "seed"} <= set(m), name
        assert isinstance(m["value"], float) and isinstance(m["floor"], float), name
        assert math.isfinite(m["floor"]), name


def test_ising_cli_flow(tmp_path, capsys):
    run = tmp_path / "run"
    flags = ["--z-dim", "8", "--g-width", "8", "--d-width", "8", "--batch-size", "16"]
    opts = ["--set", "L=8", "--set", "n=40", "--set", "temperatures=[2.0,2.5]"]
    opts += ["--set", "burn=5", "--set", "thin=2", "--eval-n", "16"]
    assert (
        main(
            [
                "train",
                "--data",
                "ising2d",
                *opts,
                *flags,
                "--steps",
                "3",
                "--out",
                str(run),
                "--quiet",
            ]
        )
        == 0
    )
    out = tmp_path / "s.npy"
    assert main(["sample", str(run), "-n", "8", "--out", str(out), "--condition", "T=2.269"]) == 0
    arr = np.load(out)
    assert arr.shape == (8, 1, 8, 8) and arr.dtype == np.float32
    capsys.readouterr()
    assert main(["evaluate", str(run), "-n", "16", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert "energy_T2.5" in res["metrics"]
    assert main(["report", str(run), "-n", "16"]) == 0
    html = (run / "report.html").read_text()
    assert "Samples: real" in html and "Two-point function" in html
    assert main(["sample", str(run), "-n", "2", "--out", str(out), "--condition", "E=3"]) == 2
    assert "unknown" in capsys.readouterr().err
    # The API on the same run folder: conditional sampling is deterministic and binary.
    gan = Synthesizer.load(run)
    x = gan.sample(10, seed=1, conditions=np.full((10, 1), 2.269))
    assert set(np.unique(x)) <= {-1.0, 1.0}
    assert np.array_equal(
        x, Synthesizer.load(run).sample(10, seed=1, conditions=np.full((10, 1), 2.269))
    )
    m = gan.evaluate(n=16)["metrics"]
    for key in ("energy_T2", "specific_heat_T2.5", "binder_T2", "m_pos_T2.5", "corr_maxdev_T2"):
        assert key in m
    assert m["energy_T2"]["exact"] == pytest.approx(-1.7454, abs=0.2)  # L = 8 exact value
    assert {"z", "z_floor", "reference"} <= set(m["energy_T2"])
    _finite_entries({k: v for k, v in m.items() if k != "fidelity"})


@pytest.mark.parametrize(
    "data, options, keys",
    [
        ("grf", {"size": 16, "n": 40}, ["pk_ratio_maxdev", "mf_euler_maxdev", "peak_count"]),
        ("lognormal", {"size": 16, "n": 40}, ["pk_ratio_maxdev", "pixel_w1"]),
        ("cellgrowth", {"n": 40, "length": 16}, ["fano", "autocorr_maxdev"]),
        ("calo", {"n": 40}, ["sep_e_ratio", "sep_layer_energy", "classifier_auc"]),
    ],
)
def test_builtin_datasets_train_and_evaluate(tmp_path, data, options, keys):
    gan = Synthesizer(domain="fields", options=options, **TINY).fit(data, out=tmp_path / "r")
    res = gan.evaluate(n=16)["metrics"]
    for key in [*keys, "fidelity"]:
        assert key in res, key
    _finite_entries({k: v for k, v in res.items() if k != "classifier_auc"})
    if data == "grf":
        assert "analytic" in res["mf_area_maxdev"]
        assert "Power spectrum" in gan.report(n=16).read_text()


def test_user_npz_conditional(tmp_path):
    rng = np.random.default_rng(0)
    cond = rng.uniform(1, 2, 40)
    x = rng.normal(size=(40, 2, 8, 8)) * cond[:, None, None, None]
    np.savez(tmp_path / "d.npz", x=x, cond=cond)
    gan = Synthesizer(domain="fields", options={"cond_names": ["s"]}, **TINY)
    gan.fit(str(tmp_path / "d.npz"))
    y = gan.sample(5, seed=0, conditions=np.full((5, 1), 1.5))
    assert y.shape == (5, 2, 8, 8)
    res = gan.evaluate(n=16)["metrics"]
    assert "pixel_w1" in res and "fidelity" in res


def test_user_series(tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 1, 32)).cumsum(axis=2)
    np.save(tmp_path / "s.npy", x)
    gan = Synthesizer(domain="fields", options={"layout": "series"}, **TINY)
    gan.fit(str(tmp_path / "s.npy"))
    res = gan.evaluate(n=16)["metrics"]
    assert "autocorr_maxdev" in res and res["mean"]["reference"] is not None
    spec = res["spectrum_maxdev"]
    assert len(spec["ratio"]) == 16 and spec["value"] > 0 and spec["floor"] > 0


@pytest.mark.parametrize(
    "momentum, extra",
    [
        (0.0, {}),
        (0.9, {"match_stat": "moments"}),
        (0.0, {"split": True, "split_d": True, "equivariant": True, "full_depth": 1}),
        (0.9, {"match_stat": "both"}),
    ],
)
def test_ising_resume_off_the_log_grid_is_exact(tmp_path, momentum, extra):
    """6 steps straight equal 3 + resume to 6 although step 3 is off the log grid (the
    generator's noise maps must not draw from training's stream when the stopped run logs its
    last row), and with moving-average matching its average is saved and restored; also with
    one equivariant generator per temperature (``split``), whose shifts draw from the stream."""
    import torch
    from safetensors.torch import load_file

    opts = {**ISING, "match_momentum": momentum, **extra}
    kw = {**TINY, "ckpt_every": 3, "eval_every": 3}  # the split run evaluates at 3: so does this
    straight, split = tmp_path / "a", tmp_path / "b"
    Synthesizer(domain="fields", options=opts, **{**kw, "steps": 6}).fit("ising2d", out=straight)
    Synthesizer(domain="fields", options=opts, **{**kw, "steps": 3}).fit("ising2d", out=split)
    Synthesizer.load(split).resume(6)

    def latest(run):
        ptr = json.loads((run / "checkpoints" / "latest.json").read_text())
        return load_file(run / "checkpoints" / ptr["file"])

    a, b = latest(straight), latest(split)
    saved = {"penalty.ema", "penalty.seen"} & set(a)
    assert saved == ({"penalty.ema", "penalty.seen"} if momentum else set())
    if momentum:  # 6 steps, both temperatures in every batch of 16
        assert a["penalty.seen"].tolist() == [6.0, 6.0]
    for k in a:
        if k.startswith(("G.", "G_ema.", "D.", "penalty.")):
            assert torch.equal(a[k], b[k]), k
