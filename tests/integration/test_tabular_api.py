"""The tabular domain through the API: experiment mode, baselines, predict / suggest, figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from scigan.api import Synthesizer
from scigan.domains.tabular.baselines import TVAE, GaussianCopula
from scigan.domains.tabular.experiments import predict, response_surface_figure, suggest
from scigan.errors import ConfigError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tabular"
SUZUKI = FIXTURES / "reizman_suzuki_case_1.csv"
MIXED = FIXTURES / "mixed_types.csv"
OPTIONS = {
    "conditions": ["catalyst", "t_res", "temperature", "catalyst_loading"],
    "outcomes": ["yld", "ton"],
    "schema": {"t_res": {"type": "continuous"}, "yld": {"low": 0.0, "high": 100.0}},
}
SMALL = dict(z_dim=16, g_width=32, d_width=32, batch_size=100, eval_n=200, steps=40)
MIXED_OPTIONS = {
    "conditions": ["solvent", "temperature", "frac_a", "frac_b", "frac_c"],
    "outcomes": ["yield", "count", "stirred"],
    "sum_to_one": [["frac_a", "frac_b", "frac_c"]],
    "missing": "drop",
    "drop": ["date"],  # neither a condition nor an outcome (else an IgnoredColumnsWarning)
}


@pytest.fixture(scope="module")
def gan():
    return Synthesizer(domain="tabular", seed=0, options=OPTIONS, **SMALL).fit(SUZUKI)


def _conditions(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "catalyst": ["P1-L1", "P1-L4"] * (n // 2),
            "t_res": [60.0, 333.3] * (n // 2),
            "temperature": [30.0, 101.7] * (n // 2),
            "catalyst_loading": [0.5, 1.75] * (n // 2),
        }
    )


def test_sample_honours_conditions_and_save_load_is_exact(gan, tmp_path):
    want = _conditions(40)
    got = gan.sample(40, seed=3, conditions=want)
    pd.testing.assert_frame_equal(got[want.columns], want)
    again = Synthesizer.load(gan.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(again.sample(40, seed=3, conditions=want), got)


def test_predict_and_suggest(gan):
    p = predict(gan, _conditions(4), draws=30, level=0.8, seed=0)
    assert len(p) == 4
    # (the mean of a skewed draw may lie outside the central interval: not asserted)
    assert (p["yld_lower"] <= p["yld_upper"]).all() and (p["yld_std"] >= 0).all()
    assert p["yld_lower"].min() >= 0 and p["yld_upper"].max() <= 100
    s = suggest(gan, 3, n_candidates=50, draws=8, fixed={"catalyst": "P1-L4"}, seed=0)
    assert len(s) == 3 and (s["catalyst"] == "P1-L4").all()
    assert s["t_res"].between(60, 600).all() and (np.diff(s["score"]) <= 0).all()
    t = suggest(gan, 2, method="thompson", n_candidates=20, draws=4, seed=1)
    assert len(t) == 2
    fig = response_surface_figure(gan, x="temperature", grid=5, draws=4)
    assert isinstance(fig, Figure)
    figs = gan.domain_.figures(gan.sample(50, seed=0), gan.dataset_)
    assert len(figs) == 3 and all(isinstance(f, Figure) for f in figs.values())


@pytest.mark.parametrize("cls", [GaussianCopula, TVAE])
def test_baselines_share_the_api(cls):
    kwargs = {"steps": 30} if cls is TVAE else {}
    model = cls(seed=0, options=OPTIONS, **kwargs).fit(SUZUKI)
    want = _conditions(20)
    got = model.sample(20, seed=1, conditions=want)
    pd.testing.assert_frame_equal(got[want.columns], want)
    assert got["yld"].between(0, 100).all()
    metrics = model.evaluate(n=100)["metrics"]
    assert metrics["condition_hit_rate"]["value"] == 1.0


@pytest.mark.parametrize("cls", [GaussianCopula, TVAE])
def test_baselines_keep_constraints_on_mixed_types(cls):
    kwargs = {"steps": 30} if cls is TVAE else {}
    model = cls(seed=0, options=MIXED_OPTIONS, **kwargs).fit(MIXED)
    df = model.sample(200, seed=0)
    fr = df[["frac_a", "frac_b", "frac_c"]].to_numpy(dtype=float)
    assert np.abs(fr.sum(1) - 1).max() < 1e-9 and fr.min() >= 0
    assert df["count"].dtype.kind == "i" and set(df["stirred"]) <= {True, False}


def test_gan_mixed_types_experiment():
    gan = Synthesizer(domain="tabular", seed=0, options=MIXED_OPTIONS, **SMALL).fit(MIXED)
    cond = pd.DataFrame(
        {
            "solvent": ["A", "C"],
            "temperature": [25.5, 70.25],
            "frac_a": [0.2, 0.5],
            "frac_b": [0.3, 0.5],
            "frac_c": [0.5, 0.0],
        }
    )
    df = gan.sample(2, seed=0, conditions=cond)
    pd.testing.assert_frame_equal(df[cond.columns], cond)
    bad = cond.assign(frac_c=[0.6, 0.0])
    with pytest.raises(ValueError, match=r"must be >= 0 and sum to 1\.0"):
        gan.sample(2, seed=0, conditions=bad)


def test_fit_keywords_and_methods_match_the_functions(gan, tmp_path):
    """``fit(df, conditions=..., outcomes=...)`` equals ``options=``; predict/suggest methods."""
    df = pd.read_csv(SUZUKI)
    kw = Synthesizer(domain="tabular", seed=0, **SMALL).fit(df, **OPTIONS, out=tmp_path / "r")
    want = _conditions(6)
    pd.testing.assert_frame_equal(
        kw.sample(6, seed=1, conditions=want), gan.sample(6, seed=1, conditions=want)
    )
    pd.testing.assert_frame_equal(kw.predict(want, draws=20), predict(gan, want, draws=20))
    pd.testing.assert_frame_equal(kw.suggest(3, n_candidates=50), suggest(gan, 3, n_candidates=50))
    html = kw.report(n=100).read_text()
    assert "Predicted response surface of yld" in html


def test_predict_is_refused_where_a_domain_has_none():
    toy = Synthesizer(domain="toy", steps=2).fit("ring8")
    with pytest.raises(ConfigError, match="no predict"):
        toy.predict(None)


def test_experiment_mode_defaults_follow_the_options():
    table = Synthesizer(domain="tabular").resolve_config(SUZUKI)
    exp = Synthesizer(domain="tabular", options=OPTIONS).resolve_config(SUZUKI)
    assert (table.net.pac, table.optim.batch_size) == (10, 500)
    assert (exp.net.pac, exp.optim.batch_size) == (1, 250)
    mine = Synthesizer(domain="tabular", options=OPTIONS, pac=5).resolve_config(SUZUKI)
    assert mine.net.pac == 5  # the user's value wins
