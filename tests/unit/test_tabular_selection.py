"""Honest selection for tables: training-time evaluations never read the test hold-out;
detection is scored as |AUC − 0.5|; columns left out of conditions/outcomes are named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scigan.domains.tabular import TabularDomain
from scigan.domains.tabular import metrics as M
from scigan.domains.tabular.data import (
    IgnoredColumnsWarning,
    load_table,
    tuning_view,
    validation_view,
)
from scigan.domains.tabular.metrics import evaluate_table
from scigan.metrics.floor import verdict

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tabular"
SUZUKI = FIXTURES / "reizman_suzuki_case_1.csv"
OPTIONS = {
    "conditions": ["catalyst", "t_res", "temperature", "catalyst_loading"],
    "outcomes": ["yld", "ton"],
}


@pytest.fixture(scope="module")
def suzuki():
    return load_table(SUZUKI, options=OPTIONS, seed=3)


def _labels(df: pd.DataFrame) -> set:
    return set(df.index.tolist())  # the table's row numbers survive every split


def test_validation_view_is_built_from_training_rows_only(suzuki):
    view = TabularDomain().selection_reference(suzuki)
    train, test = _labels(suzuki.train), _labels(suzuki.holdout)
    part, val = _labels(view.train), _labels(view.holdout)
    assert part | val == train and not part & val
    assert not (part | val) & test  # the test hold-out is never read
    assert abs(len(val) - round(0.25 * len(train))) <= 2  # same fraction (stratified rounding)
    # Stratified on the first categorical condition, as the hold-out: every catalyst with
    # 3 or more training rows appears in both parts.
    counts = suzuki.train["catalyst"].value_counts()
    assert set(counts[counts >= 3].index) <= set(view.holdout["catalyst"])
    assert view.schema is suzuki.schema and view.info["mode"] == "experiment"
    assert view.info["split"] == "validation"
    assert (view.info["n_train"], view.info["n_holdout"]) == (len(part), len(val))
    again = validation_view(suzuki)
    pd.testing.assert_frame_equal(again.holdout, view.holdout)  # seeded: the same split
    assert suzuki.holdout is not view.holdout and len(suzuki.train) == len(part) + len(val)


def test_tuning_view_trains_on_the_train_part_with_paired_conditions(suzuki):
    # Experiment mode: the engine's rows are the train part, each with its own conditions
    # (the benchmark's --split validation once paired the train part's rows with the first
    # conditions of all training rows, and every model fitted garbage).
    view = tuning_view(suzuki)
    assert _labels(view.samples) == _labels(view.train)
    assert not _labels(view.samples) & _labels(view.holdout)
    pd.testing.assert_frame_equal(view.conditions, view.samples[OPTIONS["conditions"]])
    pd.testing.assert_frame_equal(view.holdout, validation_view(suzuki).holdout)
    assert len(suzuki.samples) == len(suzuki.train)  # the loaded dataset is not touched


def test_tuning_view_redraws_training_by_sampling_from_the_train_part():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200), "label": rng.choice(["a", "b", "c"], 200)})
    df["row"] = np.arange(200)  # an integer column that identifies the row
    ds = load_table(df, options={"target": "label"}, seed=1)
    view = tuning_view(ds)
    rows = set(view.samples["row"])
    assert rows <= set(view.train["row"]) and not rows & set(view.holdout["row"])
    assert len(view.samples) == len(view.conditions)
    named = view.conditions["label"].notna().to_numpy()
    assert named.all()  # the class label is named in every drawn row (TARGET_NAMED)
    assert (view.conditions["label"].to_numpy() == view.samples["label"].to_numpy()).all()


def test_small_tables_still_get_a_validation_split():
    df = pd.DataFrame({"x": np.arange(8.0), "y": np.arange(8.0) ** 2})
    ds = load_table(df, options={"conditions": ["x"], "holdout": 0.25}, seed=0)
    view = validation_view(ds)
    assert len(ds.train) == 6 and len(view.holdout) >= 2 and len(view.train) >= 2
    assert not _labels(view.holdout) & _labels(ds.holdout)


def _tuples(df: pd.DataFrame, columns: list[str]) -> set:
    return set(df[columns].itertuples(index=False, name=None))


def test_training_time_evaluation_reads_only_the_validation_rows(suzuki):
    conds = suzuki.schema.conditions
    train_conditions = _tuples(suzuki.train, conds)
    test_only = _tuples(suzuki.holdout, conds) - train_conditions
    assert test_only  # else this test could not tell
    seen: set = set()

    def sample(n, conditions, seed):
        if conditions is not None:
            seen.update(_tuples(conditions, conds))
        pool = suzuki.train.reset_index(drop=True)
        rows = pool.sample(n, replace=True, random_state=seed).reset_index(drop=True)
        if conditions is not None:
            rows[conditions.columns] = conditions.reset_index(drop=True).to_numpy()
        return rows

    view = TabularDomain().selection_reference(suzuki)
    out = evaluate_table(sample, view, n=200, seed=0)
    assert seen and seen <= train_conditions and not seen & test_only
    assert _tuples(view.holdout, conds) <= seen  # evaluated at the validation conditions
    assert out[M.COLUMN_SHAPE]["n"] == len(view.holdout)
    assert {e["split"] for e in out.values()} == {"validation"}


def test_detection_is_the_distance_of_the_auc_from_one_half(suzuki):
    hold = suzuki.holdout.reset_index(drop=True)
    far = hold.assign(yld=hold["yld"] + 500.0, ton=hold["ton"] + 500.0)

    def shifted(n, conditions, seed):
        return far.sample(n, replace=True, random_state=seed).reset_index(drop=True)

    out = evaluate_table(shifted, suzuki, n=500, seed=0)
    entry = out[M.DETECTION_AUC]
    assert {e["split"] for e in out.values()} == {"test"}
    assert entry["better"] == "lower"
    assert entry["value"] == pytest.approx(abs(entry["auc"] - 0.5))
    assert entry["floor"] == pytest.approx(abs(entry["floor_auc"] - 0.5))
    assert entry["auc"] > 0.95 and entry["value"] > 0.45
    # Conditions are copied: the hit rate is a check, never counted as a met target.
    hit = out[M.CONDITION_HIT_RATE]
    assert hit["by_construction"] is True and verdict(hit)[0] == "info"


def test_columns_neither_conditions_nor_outcomes_are_named():
    df = pd.read_csv(SUZUKI)
    with pytest.warns(IgnoredColumnsWarning, match=r"\['t_res', 'catalyst_loading', 'ton'\]"):
        ds = load_table(df, options={"conditions": ["catalyst", "temperature"],
                                     "outcomes": ["yld"]}, seed=0)  # fmt: skip
    assert ds.info["ignored_columns"] == ["t_res", "catalyst_loading", "ton"]
    # Dropped columns, and every column modelled (outcomes by default): no warning.
    load_table(df, options={"conditions": ["catalyst", "temperature"]}, seed=0)
    load_table(
        df,
        options={"conditions": ["catalyst"], "outcomes": ["yld"],
                 "drop": ["t_res", "temperature", "catalyst_loading", "ton"]},
        seed=0,
    )  # fmt: skip
