"""TabSyn's shape and trend scores (column_shape, column_pair_trend) against closed forms,
scipy and an independent transcription of sdmetrics' ContingencySimilarity."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp, pearsonr

from scigan.domains.tabular import metrics as M
from scigan.domains.tabular.data import load_table
from scigan.domains.tabular.schema import build_schema, with_categories

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tabular"


def _schema(df: pd.DataFrame, target: str):
    return with_categories(build_schema(df, where="t", target=target), df)


@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(3)
    n = 300
    x = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "x": x,
            "y": x + rng.normal(scale=0.7, size=n),
            "u": rng.exponential(size=n),
            "c": rng.choice(["p", "q", "r"], size=n, p=[0.5, 0.3, 0.2]),
            "d": np.where(x > 0.3, "hi", "lo"),
        }
    )
    return df, _schema(df, "d")


def _other(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Another table of the same columns: shifted, rescaled, re-drawn levels."""
    rng = np.random.default_rng(seed)
    n = len(df) - 37
    x = rng.normal(loc=0.4, scale=1.3, size=n)
    return pd.DataFrame(
        {
            "x": x,
            "y": -0.5 * x + rng.normal(size=n),
            "u": rng.exponential(scale=2.0, size=n),
            "c": rng.choice(["p", "q", "r", "s"], size=n),
            "d": np.where(rng.random(n) < 0.5, "hi", "lo"),
        }
    )


def test_identical_tables_score_one(mixed):
    df, schema = mixed
    assert set(M.column_shapes(df, df, schema).values()) == {1.0}
    trends = M.column_pair_trends(df, df, schema)
    assert len(trends) == 10 and set(trends.values()) == {1.0}


def test_shape_is_one_minus_scipy_ks_and_hand_tvd(mixed):
    df, schema = mixed
    other = _other(df, 1)
    shapes = M.column_shapes(other, df, schema)
    for col in ("x", "y", "u"):
        ks = ks_2samp(other[col], df[col]).statistic
        assert shapes[col] == pytest.approx(1.0 - ks, abs=1e-12)
    # c: level frequencies by hand over the union of levels {p, q, r, s}
    pa = other["c"].value_counts(normalize=True)
    pb = df["c"].value_counts(normalize=True)
    tvd = 0.5 * sum(abs(pa.get(v, 0.0) - pb.get(v, 0.0)) for v in "pqrs")
    assert shapes["c"] == pytest.approx(1.0 - tvd, abs=1e-12)


def test_shape_of_a_shifted_grid_is_closed_form():
    # x = 0, 1, …, 99 and x + 25: the empirical CDFs differ by exactly 25/100 at most.
    a = pd.DataFrame({"v": np.arange(100.0), "k": ["a", "b"] * 50})
    b = a.assign(v=a["v"] + 25.0)
    schema = _schema(a, "k")
    assert M.column_shapes(b, a, schema)["v"] == pytest.approx(0.75, abs=1e-12)
    # levels: a/b 50/50 vs a/b/c = 25/25/50 → TVD = (0.25 + 0.25 + 0.5)/2 = 0.5
    c = a.assign(k=["a", "b", "c", "c"] * 25)
    schema_c = _schema(pd.concat([a, c]), "k")
    assert M.column_shapes(c, a, schema_c)["k"] == pytest.approx(0.5, abs=1e-12)


def test_numeric_pair_is_one_minus_half_the_pearson_difference(mixed):
    df, schema = mixed
    other = _other(df, 2)
    trends = M.column_pair_trends(other, df, schema)
    for i, j in (("x", "y"), ("x", "u"), ("y", "u")):
        ra = pearsonr(other[i], other[j]).statistic
        rb = pearsonr(df[i], df[j]).statistic
        assert trends[f"{i}|{j}"] == pytest.approx(1 - abs(ra - rb) / 2, abs=1e-12)


def _sdmetrics_contingency(real: pd.DataFrame, syn: pd.DataFrame, a: str, b: str, cont: list):
    """sdmetrics ContingencySimilarity.compute_breakdown (continuous columns cut with
    discretize_column: np.histogram_bin_edges of the real column, outer edges ±inf), written
    out with pandas for this test."""
    real, syn = real[[a, b]].copy(), syn[[a, b]].copy()
    for col in cont:
        edges = np.histogram_bin_edges(real[col].dropna(), bins=10)
        edges[0], edges[-1] = -np.inf, np.inf
        real[col], syn[col] = np.digitize(real[col], edges), np.digitize(syn[col], edges)
    pr = real.groupby([a, b], dropna=False).size() / len(real)
    ps = syn.groupby([a, b], dropna=False).size() / len(syn)
    idx = pr.index.union(ps.index)
    diff = (pr.reindex(idx, fill_value=0) - ps.reindex(idx, fill_value=0)).abs()
    return 1 - diff.sum() / 2


def test_contingency_pairs_match_sdmetrics_definition(mixed):
    df, schema = mixed
    other = _other(df, 3)
    trends = M.column_pair_trends(other, df, schema)
    kinds = {"x": "n", "y": "n", "u": "n", "c": "c", "d": "c"}
    checked = 0
    for i, j in itertools.combinations(df.columns, 2):
        if kinds[i] == kinds[j] == "n":
            continue
        cont = [c for c in (i, j) if kinds[c] == "n"]
        ref = _sdmetrics_contingency(df, other, i, j, cont)
        assert trends[f"{i}|{j}"] == pytest.approx(ref, abs=1e-12), (i, j)
        checked += 1
    assert checked == 7  # 3 mixed × 2 levels + the level pair


def test_mixed_pair_closed_form():
    # v is uniform on 0 … 99; its 10 equal-width bins hold 10 values each. In the reference,
    # k = "lo" exactly in the lower five bins; in the other table k is independent of v
    # (alternating): each (bin, level) cell holds 5 % instead of 10 % or 0 → TVD = 0.5.
    ref = pd.DataFrame({"v": np.arange(100.0), "k": np.where(np.arange(100) < 50, "lo", "hi")})
    other = ref.assign(k=["lo", "hi"] * 50)
    schema = _schema(ref, "k")
    assert M.column_pair_trends(other, ref, schema)["v|k"] == pytest.approx(0.5, abs=1e-12)
    # Values beyond the reference's range fall in its end bins (open outer edges).
    wide = ref.assign(v=np.where(ref["v"] < 50, ref["v"] - 1e6, ref["v"] + 1e6))
    assert M.column_pair_trends(wide, ref, schema)["v|k"] == pytest.approx(0.2, abs=1e-12)


def test_undefined_correlation_falls_back_to_contingency():
    n = 40
    ref = pd.DataFrame({"a": np.arange(n, dtype=float), "b": np.ones(n), "k": ["x", "y"] * 20})
    schema = _schema(ref, "k")
    score = M.column_pair_trends(ref.iloc[::-1], ref, schema)["a|b"]
    assert score == 1.0  # same rows, other order: same joint frequencies


def test_pairs_are_all_pairs_below_the_cap_and_a_seeded_sample_above():
    cols = {f"c{i}": np.arange(5.0) + i for i in range(12)}
    schema = _schema(pd.DataFrame(cols), "c0")
    everything = list(itertools.combinations(schema.names, 2))
    pairs, total = M.column_pairs(schema)
    assert total == 66 and pairs == everything
    for cap in (1, 7, 40, 65):
        sub, total = M.column_pairs(schema, max_pairs=cap, seed=4)
        assert total == 66 and len(sub) == cap == len(set(sub))
        assert set(sub) <= set(everything)
        assert sub == [p for p in everything if p in set(sub)]  # table order
        assert sub == M.column_pairs(schema, max_pairs=cap, seed=4)[0]
    assert (
        M.column_pairs(schema, max_pairs=40, seed=5)[0]
        != M.column_pairs(schema, max_pairs=40, seed=4)[0]
    )
    # Every pair index decodes: with the cap at total − 1, only one pair is left out.
    for seed in range(20):
        sub, _ = M.column_pairs(schema, max_pairs=65, seed=seed)
        assert len(set(everything) - set(sub)) == 1


def test_evaluate_reports_shape_and_trend_with_real_vs_real_floors(monkeypatch):
    ds = load_table(
        FIXTURES / "reizman_suzuki_case_1.csv",
        options={
            "conditions": ["catalyst", "t_res", "temperature", "catalyst_loading"],
            "outcomes": ["yld", "ton"],
        },
        seed=0,
    )
    calls: list[tuple[str, pd.DataFrame, pd.DataFrame]] = []
    fns = {name: getattr(M, name) for name in ("column_shapes", "column_pair_trends")}
    for name, real_fn in fns.items():

        def spy(a, b, *args, _fn=real_fn, _name=name):
            calls.append((_name, a, b))
            return _fn(a, b, *args)

        monkeypatch.setattr(M, name, spy)
    rng = np.random.default_rng(0)
    fake_marker = -12345.0

    def sample(k, conditions, seed):  # a generator that is visibly not real
        rows = ds.train.sample(k, replace=True, random_state=seed).reset_index(drop=True)
        return rows.assign(ton=fake_marker + rng.random(k))

    out = M.evaluate_table(sample, ds, n=1000, seed=7)
    s = min(len(ds.train), len(ds.holdout))
    train_idx, hold_idx = set(ds.train.index), set(ds.holdout.index)
    for name, key in (
        ("column_shapes", M.COLUMN_SHAPE),
        ("column_pair_trends", M.COLUMN_PAIR_TREND),
    ):
        (_, gen, ref1), (_, real, ref2) = [c for c in calls if c[0] == name]
        assert (gen["ton"] < 0).all() and len(gen) == s  # the value: generated vs hold-out
        # The floor: s real training rows vs the same s hold-out rows, disjoint.
        assert len(real) == s and set(real.index) <= train_idx
        assert set(ref1.index) == set(ref2.index) <= hold_idx and len(ref1) == s
        entry = out[key]
        assert entry["n"] == s and entry["seed"] == 7 and entry["better"] == "higher"
        assert entry["split"] == "test"
        assert entry["floor"] == pytest.approx(
            np.mean(list(fns[name](real, ref2, ds.schema).values()))
        )
        assert entry["value"] == pytest.approx(
            np.mean(list(fns[name](gen, ref1, ds.schema).values()))
        )
        assert entry["floor"] > entry["value"]  # real rows beat a generator with a wrong column
    pairs = out[M.COLUMN_PAIR_TREND]
    assert pairs["pairs"] == pairs["pairs_total"] == 15  # 6 columns
    assert out[M.COLUMN_SHAPE]["columns"] == 6
