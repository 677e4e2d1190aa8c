"""The virtual-experiment loop's pieces: suggest explores conditions never measured and spreads
its batch (GP posterior variance against the closed form), and tiny measured tables load and
evaluate (cold starts of ~10 rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from scigan.domains.tabular import experiments as X
from scigan.domains.tabular.data import load_table
from scigan.domains.tabular.encoding import TabularEncoder
from scigan.domains.tabular.metrics import evaluate_table

SUZUKI = Path(__file__).parents[1] / "fixtures" / "tabular" / "reizman_suzuki_case_1.csv"


def _gp_var(xs: np.ndarray, xm: np.ndarray) -> np.ndarray:
    """1 − k(x, X)(K + εI)⁻¹k(X, x), written out with an explicit inverse."""
    d = ((xs[:, None, :] - xm[None, :, :]) ** 2).sum(-1)
    dm = ((xm[:, None, :] - xm[None, :, :]) ** 2).sum(-1)
    ks, km = np.exp(-d / 2), np.exp(-dm / 2) + X._JITTER * np.eye(len(xm))
    return 1 - np.einsum("cm,mn,cn->c", ks, np.linalg.inv(km), ks)


def test_explorer_variance_matches_the_gp_posterior_after_each_pick():
    rng = np.random.default_rng(0)
    xs, xm = rng.normal(size=(40, 3)), rng.normal(size=(6, 3))
    ex = X._Explorer(xs, xm, spread=2.0)
    np.testing.assert_allclose(ex.var, _gp_var(xs, xm), atol=1e-8)
    for j in (3, 17, 5):
        ex.measure(j)
        xm = np.vstack([xm, xs[j]])
        np.testing.assert_allclose(ex.var, _gp_var(xs, xm), atol=1e-5)  # jitter-level
        assert ex.var[j] == pytest.approx(0.0, abs=1e-5)
    np.testing.assert_allclose(ex.std(), 2.0 * np.sqrt(ex.var))
    assert (X._Explorer(xs, xm[:0], spread=1.0).var == 1.0).all()  # nothing measured


EFFECT = {"A": 40.0, "B": 50.0, "C": 55.0, "D": 52.0, "E": 45.0}


class _BlindModel:
    """Trained on levels A–D only (E declared, never measured). Like a generator at an input
    it never saw, it predicts E with the same small noise as everywhere: a guess (45)."""

    def __init__(self) -> None:
        rng = np.random.default_rng(1)
        level = rng.choice(list("ABCD"), size=40)
        temp = rng.uniform(20, 100, size=40)
        df = pd.DataFrame({"level": level, "temp": temp})
        df["y"] = [EFFECT[v] for v in level] + rng.normal(0, 2, 40)
        options = {
            "conditions": ["level", "temp"],
            "schema": {"level": {"type": "categorical", "categories": list("ABCDE")}},
        }
        self.dataset_ = load_table(df, options=options, seed=0)
        self.encoder_ = TabularEncoder(seed=0).fit(self.dataset_)

    def sample(self, n, *, seed=None, conditions=None):
        rng = np.random.default_rng(seed)
        out = conditions.reset_index(drop=True).copy()
        out["y"] = np.array([EFFECT[v] for v in out["level"]]) + rng.normal(0, 2, n)
        return out


def test_suggest_tries_a_level_never_measured_first_then_spreads():
    model = _BlindModel()
    kw = dict(n_candidates=300, draws=16, seed=0)
    blind = X.suggest(model, 4, explore=False, **kw)
    assert (blind["level"] == "C").all()  # the generator's spread alone: C's corner only
    assert (blind["explore_std"] == 0).all() and not blind["untried"].any()
    s = X.suggest(model, 4, **kw)
    train = model.dataset_.train
    top = train.loc[train["y"].idxmax()]
    # E first, at the conditions of the best measured experiment, flagged as untried.
    assert s["level"].iloc[0] == "E" and s["untried"].tolist() == [True, False, False, False]
    assert s["temp"].iloc[0] == top["temp"]
    # σ_explore there: a GP over the measured conditions, E one-hot √2 from every row.
    spread = np.std(train["y"])
    assert 0.8 * spread < s["explore_std"].iloc[0] <= spread
    assert (s["score"] > 0).all()
    # Then C (the best EI) twice and D once (D's EI is within LEVEL_SPREAD of C's, A's and
    # B's are not): the batch spreads over the levels worth a try.
    assert s["level"].iloc[1] == "C" and sorted(s["level"].iloc[1:]) == ["C", "C", "D"]
    # The rest lie in trust regions: around the level's best measured experiment or the best
    # experiment of all (its level swapped), and a level's picks are distinct points.
    lo, hi = model.encoder_.bounds("temp")
    for _, row in s.iloc[1:].iterrows():
        rows = train[train["level"] == row["level"]]
        centres = np.array([rows.loc[rows["y"].idxmax(), "temp"], top["temp"]])
        assert np.abs(centres - row["temp"]).min() < 4 * X.LOCAL_RADIUS * (hi - lo)
    for _, grp in s.iloc[1:].groupby("level"):
        assert np.diff(np.sort(grp["temp"].to_numpy())).min(initial=np.inf) > 0


def test_measured_rows_steer_exploration_and_the_incumbent():
    model = _BlindModel()
    kw = dict(n_candidates=300, draws=16, seed=0)
    grid = pd.DataFrame({"level": ["E"] * 9, "temp": np.linspace(20, 100, 9), "y": 44.0})
    measured = pd.concat([model.dataset_.train, grid], ignore_index=True)
    s = X.suggest(model, 3, measured=measured, **kw)
    assert "E" not in set(s["level"]) and not s["untried"].any()  # E measured: no bonus
    high = measured.assign(y=np.where(measured["level"] == "E", 80.0, measured["y"]))
    t = X.suggest(model, 1, measured=high, **kw)
    assert t["score"].iloc[0] < s["score"].iloc[0]  # incumbent 80 from measured's target
    fixed = X.suggest(model, 2, fixed={"level": "C"}, **kw)
    assert (fixed["level"] == "C").all() and not fixed["untried"].any()


def test_a_ten_row_cold_start_loads_and_evaluates():
    """Ten rows over seven catalysts: the stratified hold-out had no row (no level has three),
    and the engine's final evaluation then failed; now the split falls back to an
    unstratified one and detection on a one-row validation part is NaN, not an error."""
    df = pd.read_csv(SUZUKI)
    rows = np.random.default_rng(0).choice(np.flatnonzero(df["catalyst"] != "P1-L4"), 10, False)
    small = df.iloc[np.sort(rows)].reset_index(drop=True)
    opts = {
        "conditions": ["catalyst", "t_res", "temperature", "catalyst_loading"],
        "outcomes": ["yld", "ton"],
        "holdout": 0.2,
    }
    ds = load_table(small, options=opts, seed=0)
    assert len(ds.holdout) == 2 and len(ds.train) == 8

    def sample(k, conditions, seed):
        rows = ds.train.sample(k, replace=True, random_state=seed).reset_index(drop=True)
        if conditions is not None:
            for c in conditions.columns:
                rows[c] = conditions[c].to_numpy()
        return rows

    tiny = load_table(small.iloc[:4], options={**opts, "holdout": 0.5}, seed=0)
    one = tiny.__class__(**{**tiny.__dict__, "holdout": tiny.holdout.iloc[:1]})
    out = evaluate_table(sample, one, n=50, seed=0)
    assert np.isnan(out["detection_auc"]["value"]) and out["column_shape"]["n"] == 1
    assert evaluate_table(sample, ds, n=50, seed=0)["column_shape"]["n"] == 2


def test_pick_batch_spreads_over_levels_within_a_factor_of_the_best_ei():
    """Closed form: σ_explore = 0, σ = 1, incumbent 10. EI(μ) = φ(z) + zΦ(z), z = μ − 10:
    EI(10) = 0.399, EI(9.9) = 0.351, EI(9) = 0.083 (≥ 0.1 × 0.351: level 1 joins the batch),
    EI(0) ≈ 8e-24 (level 2 does not)."""
    mean = np.array([10.0, 9.9, 9.8, 9.0, 0.0])
    std = np.ones(5)
    groups = np.array([0, 0, 0, 1, 2])
    xs = 10.0 * np.arange(5)[:, None]  # far apart: no picks shrink another's σ_explore

    def pick(g):
        ex = X._Explorer(xs, xs[:0], spread=0.0)
        return X._pick_batch(mean, std, 10.0, 0.0, 3, ex, groups=g)

    order, sd, ei = pick(groups)
    assert order.tolist() == [0, 3, 1] and (sd == 0).all()
    h = lambda z: norm.pdf(z) + z * norm.cdf(z)  # noqa: E731
    np.testing.assert_allclose(ei, [h(0.0), h(-1.0), h(-0.1)], rtol=1e-9)
    assert ei[1] >= X.LEVEL_SPREAD * h(-0.1) > h(-10.0)
    assert pick(None)[0].tolist() == [0, 1, 2]  # no groups: the plain EI order
    # Every level in the batch: a new round over all of them.
    order, _, _ = X._pick_batch(
        mean[:4],
        std[:4],
        10.0,
        0.0,
        4,
        X._Explorer(xs[:4], xs[:0], 0.0),
        groups=np.array([0, 0, 1, 1]),
    )
    assert order.tolist() == [0, 2, 1, 3]


def test_local_candidates_surround_each_levels_best_measured_experiment():
    model = _BlindModel()
    enc = model.encoder_
    train = model.dataset_.train
    y = train["y"].to_numpy()
    anchor = train.iloc[[int(np.argmax(y))]]
    rng = np.random.default_rng(0)
    loc = X._local_candidates(enc, train, y, anchor, None, 2000, rng)
    lo, hi = enc.bounds("temp")
    assert loc["temp"].between(lo, hi).all() and not loc.duplicated().any()
    # Every level, E (never measured) too, at the best experiment's conditions.
    assert set(loc["level"]) == set("ABCDE")
    for level, grp in loc.groupby("level"):
        rows = train[train["level"] == level]
        centres = [anchor["temp"].iloc[0]] + (
            [rows.loc[rows["y"].idxmax(), "temp"]] if len(rows) else []
        )
        step = np.min([np.abs(grp["temp"] - c) for c in centres], axis=0) / (hi - lo)
        assert step.max() < 5 * X.LOCAL_RADIUS
        for c in centres:  # each centre has its trust region
            assert np.abs(grp["temp"] - c).min() / (hi - lo) < 0.01
    only_c = X._local_candidates(enc, train, y, anchor, {"level": "C"}, 2000, rng)
    assert set(only_c["level"]) == {"C"}


def test_sample_local_keeps_levels_bounds_and_grids():
    from scigan.domains.tabular.design import sample_local

    df = pd.DataFrame(
        {"cat": list("abab") * 5, "t": np.linspace(0, 10, 20), "n": np.arange(20) % 7}
    )
    opts = {
        "conditions": ["cat", "t", "n"],
        "schema": {"t": {"low": 0, "high": 10}, "n": {"type": "integer", "low": 0, "high": 6}},
    }
    ds = load_table(df.assign(y=1.0), options=opts, seed=0)
    enc = TabularEncoder(seed=0).fit(ds)
    centres = pd.DataFrame({"cat": ["a", "b"], "t": [9.5, 2.0], "n": [3, 0]})
    out = sample_local(enc, centres, 500, np.random.default_rng(0), 0.1)
    assert len(out) == 1000 and out["cat"].tolist() == ["a"] * 500 + ["b"] * 500
    assert out["t"].between(0, 10).all() and (out["t"] == 10).any()  # clipped at the bound
    assert (out["n"] == np.round(out["n"])).all() and out["n"].between(0, 6).all()
    b = out["t"].iloc[500:]
    assert np.mean(b) == pytest.approx(2.0, abs=0.15) and np.std(b) == pytest.approx(1.0, rel=0.1)
