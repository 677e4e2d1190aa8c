"""Tabular data: shipped tables, splits, options, training-by-sampling, helpful errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scigan.domains.tabular.data import (
    OLYMP_WHEEL,
    SUMMIT_WHEEL,
    find_wheel,
    load_table,
    read_table,
    wheel_dir,
)
from scigan.errors import DataError, MissingDependencyError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tabular"
SUZUKI = FIXTURES / "reizman_suzuki_case_1.csv"


def test_sklearn_tables_and_seeded_split():
    a = load_table("wine", options={}, seed=0)
    assert a.info["mode"] == "table" and a.info["columns"]["target"] == "categorical"
    assert len(a.train) + len(a.holdout) == 178 and len(a.holdout) == pytest.approx(44, abs=2)
    # Stratified on the categorical target: every class is in the hold-out.
    assert set(a.holdout["target"]) == {0, 1, 2}
    b = load_table("wine", options={}, seed=0)
    c = load_table("wine", options={}, seed=1)
    assert a.holdout.index.equals(b.holdout.index)
    assert not a.holdout.index.equals(c.holdout.index)
    assert set(a.train.index).isdisjoint(a.holdout.index)
    d = load_table("diabetes", options={}, seed=0)
    assert d.info["columns"]["sex"] == "categorical" and d.info["columns"]["age"] == "integer"


def test_log_frequency_sampling_oversamples_rare_levels():
    emp = load_table(SUZUKI, options={}, seed=0)
    log = load_table(SUZUKI, options={"sampling": "log"}, seed=0)
    share = {k: ds.samples["catalyst"].value_counts(normalize=True) for k, ds in
             (("emp", emp), ("log", log))}  # fmt: skip
    real = emp.train["catalyst"].value_counts(normalize=True)
    rare, common = real.idxmin(), real.idxmax()
    assert share["emp"][rare] == pytest.approx(real[rare], abs=0.02)
    assert share["log"][rare] > share["emp"][rare] and share["log"][common] < real[common]


def test_options_are_checked():
    with pytest.raises(DataError, match="unknown tabular option"):
        load_table(SUZUKI, options={"condition": ["catalyst"]}, seed=0)
    with pytest.raises(DataError, match=r"holdout=0\.9"):
        load_table(SUZUKI, options={"holdout": 0.9}, seed=0)
    with pytest.raises(DataError, match="outside the declared"):
        load_table(SUZUKI, options={"schema": {"yld": {"high": 50}}}, seed=0)
    with pytest.raises(DataError, match="sum to"):
        load_table(SUZUKI, options={"sum_to_one": [["t_res", "temperature"]]}, seed=0)


def test_missing_values_policies(tmp_path):
    path = tmp_path / "m.csv"
    df = pd.DataFrame({"x": np.arange(40) * 0.5, "y": np.linspace(0, 1, 40), "c": ["a", "b"] * 20})
    df.loc[7, "y"] = np.nan
    df.to_csv(path, index=False)
    assert load_table(path, options={}, seed=0).info["n_rows"] == 40
    assert load_table(path, options={"missing": "drop"}, seed=0).info["n_rows"] == 39
    with pytest.raises(DataError, match="row 8, column 'y' is empty"):
        load_table(path, options={"missing": "error"}, seed=0)
    with pytest.raises(DataError, match="row 8, condition column 'y' is empty"):
        load_table(path, options={"conditions": ["y"]}, seed=0)


def test_missing_wheel_error_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_DATA", str(tmp_path))
    assert wheel_dir() == tmp_path
    with pytest.raises(DataError, match=r"bash scripts/fetch_tabular_data\.sh"):
        find_wheel(SUMMIT_WHEEL)


def test_read_table_errors(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(DataError, match="unsupported table type"):
        read_table(tmp_path / "x.json")
    (tmp_path / "h.csv").write_text("a,\n1,2\n")
    with pytest.raises(DataError, match="column 2 has no header"):
        read_table(tmp_path / "h.csv")
    pq = tmp_path / "t.parquet"
    pq.write_bytes(b"PAR1")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(MissingDependencyError, match="pip install pyarrow"):
            read_table(pq)


@pytest.mark.skipif(
    not (wheel_dir() / SUMMIT_WHEEL).exists() or not (wheel_dir() / OLYMP_WHEEL).exists(),
    reason="data wheels not fetched (bash scripts/fetch_tabular_data.sh)",
)
@pytest.mark.parametrize(
    ("name", "rows", "conditions"),
    [
        ("suzuki_case_4", 97, 4),
        ("cn_aniline", 96, 5),
        ("cn_benzamide", 59, 5),
        ("olympus_hplc", 1386, 6),
        ("olympus_photo_pce10", 1040, 4),
    ],
)
def test_shipped_experiment_tables(name, rows, conditions):
    ds = load_table(name, options={}, seed=0)
    assert ds.info["n_rows"] == rows and len(ds.schema.conditions) == conditions
    assert ds.info["mode"] == "experiment"


def test_categorical_target_is_named_in_every_drawn_row():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "colour": rng.choice(["red", "blue"], 300),
            "shape": rng.choice(["round", "square"], 300),
            "x": rng.normal(size=300),
            "label": rng.integers(0, 10, 300),
        }
    )
    ds = load_table(df, options={}, seed=0)
    assert ds.schema.column("label").kind == "categorical"  # 10 whole-number levels: a class
    assert ds.conditions["label"].notna().all()
    assert ds.conditions[["colour", "shape"]].isna().all().all()
    assert (ds.conditions["label"].to_numpy() == ds.samples["label"].to_numpy()).all()
    # A numeric target: CTGAN's uniform choice among the categorical columns is unchanged
    # (and the 10-level whole-number column that is not the target stays an integer).
    ds = load_table(df, options={"target": "x"}, seed=0)
    named = ds.conditions.notna()
    assert (named.sum(axis=1) == 1).all()
    assert list(named.columns) == ["colour", "shape"]
    assert named["colour"].mean() == pytest.approx(0.5, abs=0.05)


def test_wide_table_files_get_the_unpacked_critic(tmp_path):
    from scigan.domains.tabular import WIDE_COLUMNS
    from scigan.problem import resolve_config

    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.integers(0, 17, (20, WIDE_COLUMNS + 1)))
    wide.columns = [f"c{i}" for i in range(WIDE_COLUMNS + 1)]
    wide.to_csv(tmp_path / "wide.csv", index=False)
    wide.iloc[:, :WIDE_COLUMNS].to_csv(tmp_path / "narrow.csv", index=False)
    cfg = resolve_config("tabular", None, {}, data=str(tmp_path / "wide.csv"))
    assert (cfg.net.pac, cfg.optim.batch_size) == (1, 250)
    cfg = resolve_config("tabular", None, {}, data=str(tmp_path / "narrow.csv"))
    assert (cfg.net.pac, cfg.optim.batch_size) == (10, 500)
    # Dropped columns are not modelled; the user's settings win.
    dropped = {"options": {"drop": ["c0"]}}
    cfg = resolve_config("tabular", None, dropped, data=str(tmp_path / "wide.csv"))
    assert cfg.net.pac == 10
    cfg = resolve_config("tabular", None, {"pac": 5}, data=str(tmp_path / "wide.csv"))
    assert cfg.net.pac == 5
    # In-memory tables (Synthesizer.fit(DataFrame)) follow the same rule.
    cfg = resolve_config("tabular", None, {}, data=wide)
    assert (cfg.net.pac, cfg.optim.batch_size) == (1, 250)
    cfg = resolve_config("tabular", None, {}, data=wide.iloc[:, :WIDE_COLUMNS])
    assert (cfg.net.pac, cfg.optim.batch_size) == (10, 500)
    cfg = resolve_config("tabular", None, {}, data=dict(wide.items()))
    assert cfg.net.pac == 1
