"""The virtual-experiment loop's pieces: suggest explores conditions never measured and spreads
its batch (GP posterior variance against the closed form), and tiny measured tables load and
evaluate (cold starts of ~10 rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

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
    assert (s["score"] > 0).all() and (np.diff(s["score"].iloc[1:]) <= 0).all()
    # The rest spread: picks at one level lie apart (σ_explore shrinks around each pick).
    assert s["explore_std"].iloc[1:].min() >= 0
    for _, grp in s.iloc[1:].groupby("level"):
        assert np.diff(np.sort(grp["temp"].to_numpy())).min(initial=np.inf) > 5


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
