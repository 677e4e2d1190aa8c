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
