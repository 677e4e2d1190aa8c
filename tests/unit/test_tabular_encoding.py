"""Tabular encoding: mode-specific normalisation, round trips, constraints, exact conditioning."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from scigan.domains.tabular.data import load_table
from scigan.domains.tabular.encoding import (
    ModeNormalizer,
    TabularEncoder,
    enforce_numeric,
    join_exact,
    split_exact,
)
from scigan.domains.tabular.nets import PacCritic, TabularGenerator
from scigan.domains.tabular.schema import ColumnSpec, build_schema, infer_kind
from scigan.errors import DataError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tabular"
SUZUKI = FIXTURES / "reizman_suzuki_case_1.csv"
MIXED = FIXTURES / "mixed_types.csv"
MIXED_OPTIONS = {
    "schema": {"date": {"type": "datetime"}},
    "sum_to_one": [["frac_a", "frac_b", "frac_c"]],
}
SUZUKI_OPTIONS = {
    "conditions": ["catalyst", "t_res", "temperature", "catalyst_loading"],
    "outcomes": ["yld", "ton"],
    "schema": {"t_res": {"type": "continuous"}, "yld": {"low": 0.0, "high": 100.0}},
}


def _random_generator(enc: TabularEncoder, seed: int = 0) -> TabularGenerator:
    torch.manual_seed(seed)
    return TabularGenerator(
        8,
        enc.generated_spans(),
        feature_dim=enc.feature_dim,
        passthrough_dim=enc.passthrough_dim,
        override=enc.override_blocks(),
        width=16,
        depth=1,
    )


def test_mode_normalizer_round_trip_on_a_bimodal_column():
    rng = np.random.default_rng(0)
    z = np.clip(rng.standard_normal(600), -3, 3)  # within 3σ: some component covers each value
    x = np.concatenate([-5 + 0.5 * z[:300], 10 + 2.0 * z[300:]])
    norm = ModeNormalizer.fit(x, max_modes=10, seed=0)
    assert 2 <= norm.n_modes <= 4  # the Dirichlet-process prior prunes unused components
    alpha, beta = norm.encode(x)
    assert np.all(np.abs(alpha) <= 0.99) and np.allclose(beta.sum(1), 1)
    np.testing.assert_allclose(norm.decode(alpha, beta), x, rtol=1e-12, atol=1e-12)
    # JSON state reproduces the encoding exactly.
    again = ModeNormalizer.from_state(json.loads(json.dumps(norm.state_dict())))
    np.testing.assert_array_equal(again.encode(x)[0], alpha)
    # A value no component covers is clipped at 0.99 · 4σ of the nearest (as in CTGAN).
    far = norm.decode(*norm.encode(np.array([1e6])))
    assert far[0] == pytest.approx(norm.means[-1] + 0.99 * 4 * norm.stds[-1])


def test_mode_normalizer_constant_column():
    norm = ModeNormalizer.fit(np.full(10, 3.25))
    alpha, beta = norm.encode(np.full(4, 3.25))
    np.testing.assert_allclose(norm.decode(alpha, beta), 3.25)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([1.5, 2.25, 3.0, 4.0], "continuous"),
        (list(range(20)), "integer"),
        ([0, 1, 1, 0, 2], "categorical"),
        (["a", "b", "a", None], "categorical"),
        (["yes", "no", "Yes"], "boolean"),
        ([True, False, True], "boolean"),
        (["1.5", "2.5", "7"], "continuous"),
    ],
)
def test_type_inference(values, kind):
    assert infer_kind(pd.Series(values, name="c"), "t") == kind


def test_type_inference_names_the_bad_cell():
    col = pd.Series([str(v) for v in np.linspace(0, 1, 30)] + ["≥90%"], name="yld")
    with pytest.raises(DataError, match=r"row 30, column 'yld': '≥90%' is not a number"):
        infer_kind(col, "data.csv")


def test_round_trip_with_missing_values_datetimes_and_groups():
    ds = load_table(MIXED, options=MIXED_OPTIONS, seed=0)
    kinds = ds.info["columns"]
    assert kinds == {
        "solvent": "categorical",
        "temperature": "continuous",
        "count": "integer",
        "stirred": "boolean",
        "date": "datetime",
        "frac_a": "continuous",
        "frac_b": "continuous",
        "frac_c": "continuous",
        "yield": "continuous",
    }
    enc = TabularEncoder(seed=0).fit(ds)
    df = ds.train.reset_index(drop=True)
    back = enc.decode(enc.encode(df))
    assert list(back.columns) == list(df.columns)
    assert back["solvent"].isna().sum() == df["solvent"].isna().sum() > 0
    np.testing.assert_array_equal(back["solvent"].fillna("-"), df["solvent"].fillna("-"))
    np.testing.assert_array_equal(back["count"].to_numpy(), df["count"].to_numpy())
    assert back["stirred"].tolist() == [v == "yes" for v in df["stirred"]]
    assert (back["date"] == pd.to_datetime(df["date"])).all()
    y, y0 = back["yield"].to_numpy(float), df["yield"].to_numpy(float)
    assert np.array_equal(np.isnan(y), np.isnan(y0))
    np.testing.assert_allclose(y[~np.isnan(y)], y0[~np.isnan(y0)], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(back["temperature"], df["temperature"], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(back[["frac_a", "frac_b", "frac_c"]], df[["frac_a", "frac_b",
                               "frac_c"]], atol=1e-6)  # fmt: skip
    # JSON state: a reloaded encoder encodes identically.
    again = TabularEncoder()
    again.load_state_dict(json.loads(json.dumps(enc.state_dict())))
    assert torch.equal(again.encode(df), enc.encode(df))


def test_constraints_hold_for_arbitrary_generator_output():
    ds = load_table(
        MIXED,
        options={
            **MIXED_OPTIONS,
            "schema": {
                "date": {"type": "datetime"},
                "yield": {"low": -5.0, "high": 52.0},
                "temperature": {"step": 0.1, "low": 20.0, "high": 80.0},
            },
        },
        seed=0,
    )
    enc = TabularEncoder(seed=0).fit(ds)
    torch.manual_seed(1)
    raw = 5 * torch.randn(2000, sum(s.dim for s in enc.output_spans()))  # wild outputs
    df = enc.decode(raw)
    s = df[["frac_a", "frac_b", "frac_c"]].to_numpy()
    assert np.all(s >= 0) and np.abs(s.sum(1) - 1).max() < 1e-12
    y = df["yield"].to_numpy(float)
    assert np.nanmin(y) >= -5 and np.nanmax(y) <= 52
    t = df["temperature"].to_numpy()
    assert t.min() >= 20 and t.max() <= 80
    np.testing.assert_allclose((t - 20) / 0.1, np.round((t - 20) / 0.1), atol=1e-6)
    c = df["count"].to_numpy()
    assert c.dtype.kind == "i" and c.min() >= ds.train["count"].min()


def test_enforce_numeric_integer_and_step():
    spec = ColumnSpec("x", "integer", low=0.0, high=10.0, step=2.0)
    out = enforce_numeric(np.array([-3.0, 0.9, 1.1, 9.9, 55.0]), spec, 0.0, 10.0)
    np.testing.assert_array_equal(out, [0, 0, 2, 10, 10])


def test_split_exact_restores_every_bit():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            [97.3, 2.183015499, 1e-7, 600.0, -12345.678901, 0.0, 0.058715073938315446],
            rng.uniform(-3, 3, 1000) * 10.0 ** rng.integers(-6, 6, 1000),
        ]
    )
    for exponent in (-4, 0, 10):
        parts = split_exact(x, exponent)
        assert parts.dtype == np.float32
        np.testing.assert_array_equal(join_exact(parts, exponent), x)


def test_experiment_mode_copies_requested_conditions_exactly():
    ds = load_table(SUZUKI, options=SUZUKI_OPTIONS, seed=0)
    enc = TabularEncoder(seed=0).fit(ds)
    G = _random_generator(enc)
    want = pd.DataFrame(
        {
            "catalyst": ["P1-L1", "P2-L1", "P1-L7"] * 100,
            "t_res": [97.3, 600.0, 61.12345678901234] * 100,  # unseen values, all 17 digits
            "temperature": [30.0, 109.99, 75.5] * 100,
            "catalyst_loading": [0.5, 2.183015499, 1.0] * 100,
        }
    )
    c = enc.encode_conditions(want)
    with torch.no_grad():
        out = enc.decode(G(torch.randn(len(want), 8), c))
    for col in want.columns:
        assert out[col].tolist() == want[col].tolist()
    y = out["yld"].to_numpy()
    assert y.min() >= 0 and y.max() <= 100


def test_experiment_conditions_must_satisfy_declared_constraints():
    ds = load_table(SUZUKI, options=SUZUKI_OPTIONS, seed=0)
    enc = TabularEncoder(seed=0).fit(ds)
    ok = {"catalyst": ["P1-L1"], "t_res": [60.0], "temperature": [30.0], "catalyst_loading": [1]}
    with pytest.raises(DataError, match="unknown level 'P9-L9'"):
        enc.encode_conditions({**ok, "catalyst": ["P9-L9"]})
    with pytest.raises(DataError, match="missing column"):
        enc.encode_conditions({"catalyst": ["P1-L1"]})


def test_table_mode_condition_vector_is_exact():
    ds = load_table(SUZUKI, options={"schema": {"t_res": {"type": "continuous"}}}, seed=0)
    enc = TabularEncoder(seed=0).fit(ds)
    assert enc.discrete_generated() == ["catalyst"] and enc.cond_dim == 8
    G = _random_generator(enc, seed=3)
    want = pd.DataFrame({"catalyst": ["P1-L6"] * 500})
    with torch.no_grad():
        out = enc.decode(G(torch.randn(500, 8), enc.encode_conditions(want)))
    assert (out["catalyst"] == "P1-L6").all()
    with pytest.raises(DataError, match="continuous conditions need experiment mode"):
        enc.encode_conditions(pd.DataFrame({"temperature": [30.0]}))


def test_training_by_sampling_condition_vectors_match_their_rows():
    ds = load_table(SUZUKI, options={}, seed=0)
    enc = TabularEncoder(seed=0).fit(ds)
    x, c = enc.encode(ds.samples), enc.encode_conditions(ds.conditions)
    assert len(x) == len(c) >= 4096
    (c0, o0, w) = enc.override_blocks()[0]
    named = c[:, c0 : c0 + w].sum(1) == 1
    assert named.all()  # one categorical column: every drawn row names its level
    assert torch.equal(c[:, c0 : c0 + w], x[:, o0 : o0 + w])


def test_critic_ignores_passthrough_and_packs():
    ds = load_table(SUZUKI, options=SUZUKI_OPTIONS, seed=0)
    enc = TabularEncoder(seed=0).fit(ds)
    D = PacCritic(
        sum(s.dim for s in enc.generated_spans()),
        feature_dim=enc.feature_dim,
        passthrough_dim=enc.passthrough_dim,
        width=16,
        depth=1,
        pac=5,
    ).eval()
    x = enc.encode(ds.samples.iloc[:10])
    c = enc.encode_conditions(ds.conditions.iloc[:10])
    out = D(x, c)
    assert out.shape == (10,) and torch.equal(out[:5], out[:1].expand(5))
    x2 = x.clone()
    x2[:, : enc.passthrough_dim] += 7.0
    assert torch.equal(D(x2, c), out)


def test_schema_errors_name_the_problem():
    df = pd.DataFrame({"a": [1.5, 2.5, 3.25], "b": ["x", "y", "z"]})
    with pytest.raises(DataError, match="condition column 'c' not in the table"):
        build_schema(df, where="t.csv", conditions=["c"])
    with pytest.raises(DataError, match="'b' is categorical; bounds"):
        build_schema(df, where="t.csv", overrides={"b": {"low": 0}})
    with pytest.raises(DataError, match="sum_to_one column 'b' must be continuous"):
        build_schema(df, where="t.csv", sum_to_one=[["a", "b"]])


def test_whole_number_target_with_few_values_is_a_class_label():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "pixel": rng.integers(0, 17, 200),
            "count": rng.integers(0, 40, 200),
            "label": rng.integers(0, 10, 200),
        }
    )
    kinds = {c.name: c.kind for c in build_schema(df, where="t.csv").columns}
    # The last column is the default target: 10 whole-number levels → categorical; the same
    # kind of column elsewhere stays integer (only ≤ 5 levels make a category).
    assert kinds == {"pixel": "integer", "count": "integer", "label": "categorical"}
    named = build_schema(df, where="t.csv", target="pixel")
    assert named.column("pixel").kind == "categorical"
    assert named.column("label").kind == "integer"
    # More than 20 levels is a number; a declared type or bound wins; experiment mode keeps it.
    assert build_schema(df, where="t.csv", target="count").column("count").kind == "integer"
    declared = build_schema(df, where="t.csv", overrides={"label": {"low": 0}})
    assert declared.column("label").kind == "integer"
    exp = build_schema(df, where="t.csv", conditions=["pixel"], outcomes=["label"])
    assert exp.column("label").kind == "integer"


def test_span_heads_match_apply_spans_in_distribution():
    from scigan.core.nets import OutputSpan, apply_spans
    from scigan.domains.tabular.nets import SpanHeads

    spans = [OutputSpan(1, "identity"), OutputSpan(3, "gumbel"), OutputSpan(2, "softmax")]
    spans += [OutputSpan(1, "identity"), OutputSpan(3, "gumbel"), OutputSpan(4, "gumbel")]
    width = sum(s.dim for s in spans)
    logits = torch.randn(1, width, generator=torch.Generator().manual_seed(0)) * 2
    x = logits.expand(40_000, width)
    torch.manual_seed(1)
    got = SpanHeads(spans)(x)
    torch.manual_seed(2)
    ref = apply_spans(x, spans)
    pos = 0
    for span in spans:
        a, b = got[:, pos : pos + span.dim], ref[:, pos : pos + span.dim]
        if span.activation == "gumbel":  # same categorical distribution of the argmax
            fa = torch.bincount(a.argmax(1), minlength=span.dim) / len(a)
            fb = torch.bincount(b.argmax(1), minlength=span.dim) / len(b)
            assert torch.allclose(fa, fb, atol=0.015)
            assert torch.allclose(a.sum(1), torch.ones(len(a)), atol=1e-5)
        else:  # deterministic activations: identical
            assert torch.allclose(a, b)
        pos += span.dim
    with pytest.raises(ValueError, match="spans cover"):
        SpanHeads(spans)(x[:, :-1])


def test_wide_table_critic_projects_the_condition_without_dropout():
    from scigan.config import TrainConfig
    from scigan.domains.tabular.nets import build_discriminator
    from scigan.domains.tabular.schema import WIDE_COLUMNS

    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(60, WIDE_COLUMNS)))
    wide.columns = [f"c{i}" for i in range(WIDE_COLUMNS)]
    wide["label"] = rng.integers(0, 3, 60)
    cfg = TrainConfig.from_dict({"pac": 1, "d_width": 8, "d_depth": 1})
    enc = TabularEncoder(max_modes=1).fit(load_table(wide, options={}, seed=0))
    D = build_discriminator(cfg, enc)
    assert D.proj is not None and not any(isinstance(m, torch.nn.Dropout) and m.p for m in D.net)
    # The condition reaches the score through the projection even with its first-layer
    # weights zeroed.
    with torch.no_grad():
        D.net[0].weight[:, -enc.feature_dim :] = 0.0
    x = enc.encode(load_table(wide, options={}, seed=0).train.iloc[:4])
    c = torch.eye(enc.feature_dim)[[0, 1, 2, 0]]
    assert not torch.allclose(D(x, c), D(x, c.roll(1, dims=0)))
    # Packed critics and narrow tables keep CTGAN's critic; so does a run saved before the
    # rule (its encoder state has no "wide" flag).
    assert build_discriminator(cfg.replace({"pac": 2}), enc).proj is None
    state = json.loads(json.dumps(enc.state_dict()))
    restored = TabularEncoder()
    restored.load_state_dict(state)
    assert restored.wide_ and build_discriminator(cfg, restored).proj is not None
    restored.load_state_dict({k: v for k, v in state.items() if k != "wide"})
    assert build_discriminator(cfg, restored).proj is None
    narrow = TabularEncoder(max_modes=1).fit(load_table(wide.iloc[:, -5:], options={}, seed=0))
    D = build_discriminator(cfg, narrow)
    assert D.proj is None and any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in D.net)


def test_projection_option_turns_the_critic_term_on_or_off():
    from scigan.config import TrainConfig
    from scigan.domains.tabular.nets import build_discriminator
    from scigan.errors import DataError

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=40), "y": rng.normal(size=40)})
    enc = TabularEncoder(max_modes=1).fit(load_table(df, options={"conditions": ["x"]}, seed=0))
    base = {"pac": 1, "d_width": 8, "d_depth": 1}
    build = lambda **o: build_discriminator(TrainConfig.from_dict({**base, **o}), enc)  # noqa: E731
    assert build().proj is None  # auto: narrow tables keep CTGAN's critic
    assert build(options={"projection": True}).proj is not None
    assert build(options={"projection": False}).proj is None
    with pytest.raises(DataError, match="pac 1"):
        build(pac=2, options={"projection": True})
    with pytest.raises(DataError, match="auto, true or false"):
        build(options={"projection": "yes"})
