"""The tabular domain through the CLI: train → sample → evaluate, experiment mode, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from scigan.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tabular"
SMALL = [
    "--z-dim",
    "16",
    "--g-width",
    "32",
    "--d-width",
    "32",
    "--batch-size",
    "100",
    "--eval-n",
    "200",
    "--quiet",
]
EXPERIMENT = [
    "--set",
    "conditions=[catalyst,t_res,temperature,catalyst_loading]",
    "--set",
    "outcomes=[yld,ton]",
    "--set",
    "schema={t_res: {type: continuous}, yld: {low: 0, high: 100}}",
]


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tab") / "run"
    args = ["train", "--data", "breast_cancer", "--steps", "40", "--out", str(out), *SMALL]
    args += ["--set", "max_modes=3"]  # 30 mixture fits: keep the test quick
    assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def experiment_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tab") / "exp"
    data = str(FIXTURES / "reizman_suzuki_case_1.csv")
    args = ["train", "--data", data, "--domain", "tabular", "--steps", "40", "--out", str(out)]
    assert main([*args, *SMALL, *EXPERIMENT]) == 0
    return out


def test_train_sample_evaluate(table_run, tmp_path, capsys):
    csv = tmp_path / "s.csv"
    assert main(["sample", str(table_run), "-n", "50", "--out", str(csv)]) == 0
    df = pd.read_csv(csv)
    assert df.shape == (50, 31) and set(df["target"]) <= {0, 1}
    capsys.readouterr()
    assert main(["evaluate", str(table_run), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    metrics = result["metrics"]
    for key in ("column_shape", "column_pair_trend", "detection_auc", "tstr", "dcr"):
        assert {"value", "floor", "n", "seed"} <= set(metrics[key])
    assert metrics["tstr"]["score"] == "macro F1" and metrics["tstr"]["n"] == 200
    config = json.loads((table_run / "config.json").read_text())
    assert config["data"]["n_holdout"] == 142 and config["data"]["mode"] == "table"


def test_table_mode_condition_is_exact(table_run, tmp_path):
    csv = tmp_path / "c.csv"
    args = ["sample", str(table_run), "-n", "40", "--condition", "target=0", "--out", str(csv)]
    assert main(args) == 0
    assert (pd.read_csv(csv)["target"] == 0).all()


def test_experiment_mode_conditions_are_exact(experiment_run, tmp_path, capsys):
    csv = tmp_path / "e.csv"
    args = ["sample", str(experiment_run), "-n", "30", "--out", str(csv)]
    conds = ["--condition", "catalyst=P1-L4", "--condition", "temperature=97.3"]
    assert main([*args, *conds]) == 0
    df = pd.read_csv(csv)
    assert (df["catalyst"] == "P1-L4").all() and (df["temperature"] == 97.3).all()
    assert df["yld"].between(0, 100).all() and df["t_res"].between(60, 600).all()
    capsys.readouterr()
    assert main(["evaluate", str(experiment_run), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    assert metrics["condition_hit_rate"]["value"] == 1.0
    assert metrics["tstr"]["score"] == "R²"
    assert metrics["condition_mean_spearman"]["by"] == "catalyst"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("catalyst=P9-L9", "unknown level 'P9-L9'"),
        ("temperature=hot", "'temperature' is numeric"),
        ("pressure=2", "unknown condition(s) ['pressure']"),
    ],
)
def test_bad_conditions_are_one_line_errors(experiment_run, tmp_path, capsys, condition, message):
    args = ["sample", str(experiment_run), "-n", "5", "--out", str(tmp_path / "x.csv")]
    assert main([*args, "--condition", condition]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_wheel_names_the_fetch_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCIGAN_DATA", str(tmp_path))
    assert main(["train", "--data", "suzuki_case_1", "--steps", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bash scripts/fetch_tabular_data.sh" in err and str(tmp_path) in err


def test_bad_cell_is_named(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    rows = [f"{i},{i * 0.37:.2f}" for i in range(30)] + ["30,≥90%"]
    bad.write_text("t,yld\n" + "\n".join(rows) + "\n", encoding="utf-8")
    args = ["train", "--data", str(bad), "--domain", "tabular", "--steps", "1", "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "row 31, column 'yld': '≥90%' is not a number" in err
