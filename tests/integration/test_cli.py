"""The CLI contract: subcommands, formats, JSON output, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from small_toy import small_flags

from scigan.cli import main

SMALL = small_flags()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--data", "ring8", "--steps", "60", "--out", str(out), *SMALL]) == 0
    return out


def test_datasets_table(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["name", "domain", "size"]
    assert "ring8" in out and "grid25" in out
    assert max(len(line) for line in out.splitlines()) <= 100  # fits a 100-column terminal
    assert main(["datasets", "--long"]) == 0
    long = capsys.readouterr().out
    assert "licence" in long and "source" in long and "scikit-learn" in long
    assert max(len(line) for line in long.splitlines()) <= 100


def test_csv_with_text_columns_is_tabular(tmp_path, capsys):
    text = tmp_path / "runs.csv"
    text.write_text("catalyst,temperature,yield\nPd,30,0.5\nNi,40,0.7\nPd,50,0.9\n")
    assert main(["train", "--data", str(text), "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["domain"] == "tabular"
    numeric = tmp_path / "points.csv"
    numeric.write_text("x,y\n1,2\n3,4\n5,6\n")
    assert main(["train", "--data", str(numeric), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "--domain tabular" in err and "--domain toy" in err and len(err.splitlines()) == 1


def test_sklearn_clone_copies_the_estimator():
    from sklearn.base import clone

    from scigan import Synthesizer

    gan = Synthesizer(domain="toy", steps=7, lr_d=3e-4)
    twin = clone(gan)
    assert twin is not gan and twin.get_params() == gan.get_params()
    twin.set_params(steps=9, domain="toy")
    assert twin.get_params()["steps"] == 9 and gan.get_params()["steps"] == 7


def test_dry_run_prints_resolved_config(capsys):
    assert (
        main(["train", "--data", "grid25", "--lr-d", "3e-4", "--loss", "hinge", "--dry-run"]) == 0
    )
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["domain"] == "toy" and cfg["optim"]["lr_d"] == 3e-4
    assert cfg["objective"]["loss"] == "hinge"


def test_flags_checked_against_each_other(capsys):
    # latent_modes must stay below z_dim: a larger --z-dim on the same line allows more modes
    args = ["train", "--data", "ring8", "--dry-run"]
    assert main([*args, "--latent-modes", "100", "--z-dim", "128"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["net"]["latent_modes"] == 100 and cfg["net"]["z_dim"] == 128
    assert main([*args, "--z-dim", "32", "--latent-modes", "40"]) == 2
    assert "latent_modes" in capsys.readouterr().err


def test_config_file_and_flag_precedence(tmp_path, capsys):
    f = tmp_path / "c.yaml"
    f.write_text("steps: 11\nlr_g: 0.0005\n")
    assert main(["train", "--data", "ring8", "--config", str(f), "--steps", "22", "--dry-run"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["steps"] == 22 and cfg["optim"]["lr_g"] == 0.0005


def test_sample_formats(run, tmp_path):
    for suffix in (".csv", ".npy"):
        out = tmp_path / f"s{suffix}"
        assert main(["sample", str(run), "-n", "25", "--out", str(out), "--seed", "1"]) == 0
        if suffix == ".npy":
            arr = np.load(out)
            assert arr.dtype == np.float32 and arr.shape == (25, 2)
        else:
            lines = out.read_text().splitlines()
            assert lines[0] == "x0,x1" and len(lines) == 26
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    main(["sample", str(run), "-n", "10", "--out", str(a), "--seed", "5"])
    main(["sample", str(run), "-n", "10", "--out", str(b), "--seed", "5"])
    assert np.array_equal(np.load(a), np.load(b))


def test_evaluate_json_contract(run, capsys):
    assert main(["evaluate", str(run), "-n", "300", "--seed", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 300 and result["seed"] == 2
    for name in ("modes_covered", "high_quality_fraction", "mode_kl"):
        assert {"value", "floor"} <= set(result["metrics"][name])
    assert result["metrics"]["modes_covered"]["floor"] == 8


def test_report(run):
    assert main(["report", str(run), "-n", "200"]) == 0
    html = (run / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["train", "--data", "no_such_set"], "unknown dataset 'no_such_set'"),
        (["train", "--data", "ring8", "--steps", "-3"], "--steps"),
        (["train", "--data", "ring8", "--lr-g", "abc"], "--lr-g"),
        (["train", "--data", "ring8", "--set", "n=5"], "n=5"),
        (["train", "--data", "/no/such/file.npy", "--domain", "toy"], "file not found"),
        (["train", "--data", "ring8", "--config", "/no/such.yaml"], "config file not found"),
        (["sample", "/no/such/run", "-n", "3", "--out", "x.csv"], "run folder not found"),
        (["sample", "RUN", "-n", "0", "--out", "x.csv"], "-n"),
        (["sample", "RUN", "-n", "3", "--out", "x.fasta"], "unsupported sample format"),
        (["evaluate", "/no/such/run"], "run folder not found"),
        (["resume", "RUN", "--steps", "10"], "below the checkpoint"),
        (["train", "--data", "ring8", "--out", "RUN"], "already holds a run"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_are_one_line_exit_2(argv, match, run, capsys):
    argv = [str(run) if a == "RUN" else a for a in argv]
    code = _run(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert match in err


def _run(argv: list[str]) -> int:
    """main() returns the code; argparse errors exit through SystemExit."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_unwritable_out_folder(tmp_path, capsys):
    """An --out below a regular file cannot be created (works even as root)."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = _run(["train", "--data", "ring8", "--steps", "5", "--out", str(blocker / "run"), *SMALL])
    assert code == 2 and "cannot write" in capsys.readouterr().err
    assert blocker.read_text() == "x"


def test_module_entry_point_and_help():
    out = subprocess.run(
        [sys.executable, "-m", "scigan", "train", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for flag in ("--lr-g", "--loss", "--spectral-norm", "--n-critic", "--dry-run", "--seed"):
        assert flag in out
    assert "default" in out


def test_evaluate_table_leads_with_the_verdict(run, capsys):
    assert main(["evaluate", str(run), "-n", "300", "--seed", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["verdict", "metric"]
    marks = {line.split()[1]: line.split()[0] for line in lines[2:]}
    assert set(marks.values()) <= {"pass", "miss", "info"}
    assert "modes_covered" in marks


def test_a_best_metric_never_scored_warns(tmp_path):
    from scigan import Synthesizer

    gan = Synthesizer(
        domain="toy", steps=4, eval_every=2, eval_n=200, best_metric="no_such_metric",
        z_dim=8, g_width=16, d_width=16, g_depth=1, d_depth=1, batch_size=32,
        options={"n": 400},
    )  # fmt: skip
    with pytest.warns(UserWarning, match="'no_such_metric' is not among the metrics"):
        gan.fit("ring8", out=tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints" / "best.json").exists()


def test_resume_refreshes_an_existing_report(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--data", "ring8", "--steps", "4", "--out", str(out), *SMALL]) == 0
    assert main(["report", str(out), "-n", "200"]) == 0
    before = (out / "report.html").read_text()
    assert main(["resume", str(out), "--steps", "6", "--quiet"]) == 0
    after = (out / "report.html").read_text()
    assert '4 <span class="muted">of 4 configured' in before
    assert '6 <span class="muted">of 6 configured' in after  # the report after the resume
