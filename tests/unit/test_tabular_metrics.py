"""Tabular metrics: identical tables score perfectly, different tables do not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scigan.domains.tabular import metrics as M
from scigan.domains.tabular.data import load_table
from scigan.domains.tabular.metrics import evaluate_table
from scigan.domains.tabular.schema import build_schema, with_categories

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tabular"


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 400
    a = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "a": a,
            "b": 2 * a + rng.normal(scale=0.5, size=n),
            "c": rng.choice(["x", "y", "z"], size=n),
            "d": np.where(a > 0, "pos", "neg"),
        }
    )
    schema = with_categories(build_schema(df, where="t", target="d"), df)
    return df, schema


def test_identical_tables_are_perfect(table):
    df, schema = table
    assert all(v == 1.0 for v in M.column_shapes(df, df, schema).values())
    assert all(v == pytest.approx(1.0) for v in M.column_pair_trends(df, df, schema).values())
    assert M.distance_to_closest(df, df, schema, fit_on=df).max() == 0.0
    auc = M.detection_auc(df, df, schema, seed=0)
    assert auc <= 0.55  # a classifier cannot separate a table from itself
    util = dict(target="d", features=["a", "b", "c"], seed=0)
    assert M.utility(df, df, schema, **util) == pytest.approx(1.0)


def test_different_tables_score_worse(table):
    df, schema = table
    rng = np.random.default_rng(1)
    shuffled = df.copy()
    for c in df.columns:  # same marginals, no dependence
        shuffled[c] = rng.permutation(df[c].to_numpy())
    shapes = M.column_shapes(shuffled, df, schema)
    assert min(shapes.values()) == pytest.approx(1.0)
    trends = M.column_pair_trends(shuffled, df, schema)
    assert trends["a|b"] < 0.6 and trends["a|d"] < 0.7
    shifted = df.assign(a=df["a"] + 3.0)
    assert M.column_shapes(shifted, df, schema)["a"] < 0.2
    assert M.detection_auc(df, shifted, schema, seed=0) > 0.95


def test_compare_means_and_levels():
    mae, rho = M.compare_means({"a": 1.0, "b": 2.0, "c": 3.0}, {"a": 1.5, "b": 2.5, "c": 3.5})
    assert mae == pytest.approx(0.5) and rho == pytest.approx(1.0)
    means = M.mean_by_level(np.array(["u", "v", "u"]), np.array([1.0, 5.0, 3.0]))
    assert means == {"u": 2.0, "v": 5.0}


def test_evaluate_a_perfect_copy_reaches_its_floor():
    ds = load_table(
        FIXTURES / "reizman_suzuki_case_1.csv",
        options={
            "conditions": ["catalyst", "t_res", "temperature", "catalyst_loading"],
            "outcomes": ["yld", "ton"],
        },
        seed=0,
    )
    hold = ds.holdout.reset_index(drop=True)
    both = pd.concat([hold, ds.train], ignore_index=True)
    keys = [tuple(r) for r in both[ds.schema.conditions].itertuples(index=False)]

    def oracle(n, conditions, seed):
        # "Generates" the hold-out rows themselves: every score must be at or past its floor.
        if conditions is None:
            return hold.sample(n, replace=True, random_state=seed).reset_index(drop=True)
        rows = [keys.index(tuple(r)) for r in conditions.itertuples(index=False)]
        return both.iloc[rows].reset_index(drop=True)

    out = evaluate_table(oracle, ds, n=500, seed=0)
    assert out[M.CONDITION_HIT_RATE]["value"] == 1.0
    # Replicated conditions with different yields keep these from being exactly 0 and 1.
    assert out[M.CONDITION_MEAN_MAE]["value"] < 0.5 < out[M.CONDITION_MEAN_MAE]["floor"]
    assert out[M.CONDITION_MEAN_SPEARMAN]["value"] > 0.95
    assert out[M.BEST_CONDITION_RECOVERED]["value"] == 1.0
    assert out[M.BEST_CONDITION_REGRET]["value"] == 0.0
    for key, m in out.items():
        assert {"value", "floor", "n", "seed", "better"} <= set(m), key
    assert out[M.COLUMN_SHAPE]["n"] == len(ds.holdout)
    assert out[M.TSTR]["n"] == len(ds.train)
