"""The ``tabular`` domain: experiment tables and general tables (CTGAN-style conditional GAN).

Two modes, chosen by the data options (``--set KEY=VALUE`` / ``options={...}``):

- **table mode** (default): every column is generated; the condition vector names one
  categorical level (CTGAN training-by-sampling), so ``--condition col=level`` is exact;
- **experiment mode** (``conditions=[...]``, optional ``outcomes=[...]``): learns
  p(outcomes | conditions); requested conditions are copied into every generated row.

A seeded hold-out (``holdout``, default 25 %) is never trained on; :meth:`TabularDomain.evaluate`
measures against it, with the same statistic for an equally large real training subset as the
floor. See ``README.md`` in this folder for options, metrics and data.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from torch import nn

from scigan.config import TrainConfig
from scigan.core.checkpoint import atomic_write_text
from scigan.domains.base import (
    AbstractEncoder,
    Dataset,
    DemoSpec,
    ExperimentDomain,
    MetricResult,
    SampleFn,
)
from scigan.domains.tabular import metrics as M
from scigan.domains.tabular.data import SHIPPED, TabularDataset, load_frame, split_holdout
from scigan.domains.tabular.design import parse_value, sample_design
from scigan.domains.tabular.encoding import TabularEncoder, _key
from scigan.domains.tabular.nets import PacCritic, TabularGenerator
from scigan.domains.tabular.schema import build_schema, with_categories
from scigan.errors import DataError
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

OPTIONS = (
    "conditions",
    "outcomes",
    "schema",
    "sum_to_one",
    "target",
    "goal",
    "holdout",
    "missing",
    "drop",
    "sampling",
    "max_modes",
)
MIN_TRAIN_ROWS = 4096  # table mode: rows drawn by training-by-sampling for the engine
_DRAWS = 50  # generated outcomes per held-out condition row (per-condition metrics)


def resolve_options(source: Any, options: Mapping[str, Any]) -> tuple[str, pd.DataFrame, dict]:
    """(name, table, options) with a shipped dataset's defaults under the user's options."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise DataError(
            f"unknown tabular option(s) {unknown}; the tabular domain takes {', '.join(OPTIONS)}"
        )
    name, df, defaults = load_frame(source)
    merged = {**defaults, **dict(options)}
    schema = dict(defaults.get("schema", {}))
    for col, spec in dict(options.get("schema") or {}).items():
        schema[col] = {**schema.get(col, {}), **dict(spec)}
    merged["schema"] = schema
    return name, df, merged


def load_table(source: Any, *, options: Mapping[str, Any], seed: int) -> TabularDataset:
    """Read, type, validate and split a table (the body of :meth:`TabularDomain.load`)."""
    name, df, opts = resolve_options(source, options)
    if len(df.columns) == 0 or len(df) == 0:
        raise DataError(f"{name}: the table is empty; it needs a header row and data rows")
    df.columns = [str(c) for c in df.columns]
    drop = list(opts.get("drop") or [])
    for c in drop:
        if c not in df.columns:
            raise DataError(
                f"{name}: cannot drop unknown column '{c}'; columns: {list(df.columns)}"
            )
    df = df.drop(columns=drop).reset_index(drop=True)
    df.index = pd.RangeIndex(1, len(df) + 1)  # "row i" in messages = the i-th data row
    missing = opts.get("missing", "model")
    if missing not in ("model", "drop", "error"):
        raise DataError(f"{name}: missing={missing!r} must be model, drop or error")
    empty = df.isna().to_numpy()
    if empty.any() and missing == "error":
        r, c = np.argwhere(empty)[0]
        raise DataError(
            f"{name}: row {df.index[r]}, column '{df.columns[c]}' is empty; fill it, or use "
            "--set missing=model (learn where cells are empty) or missing=drop"
        )
    if empty.any() and missing == "drop":
        df = df[~empty.any(axis=1)]
    if len(df) > 1 and (df.nunique(dropna=False) <= 1).all():
        raise DataError(
            f"{name}: every column is constant ({len(df)} identical rows); there is nothing to "
            "learn — check the file"
        )
    schema = build_schema(
        df,
        where=name,
        overrides=opts.get("schema"),
        conditions=opts.get("conditions"),
        outcomes=opts.get("outcomes"),
        sum_to_one=opts.get("sum_to_one"),
        target=opts.get("target"),
        goal=opts.get("goal", "maximize"),
    )
    for c in schema.conditions:
        empty_rows = df.index[df[c].isna().to_numpy()]
        if len(empty_rows):
            raise DataError(
                f"{name}: row {empty_rows[0]}, condition column '{c}' is empty; conditions must "
                "be known for every experiment — fill it or drop such rows with --set missing=drop"
            )
    schema = with_categories(schema, df)
    ignored = [c for c in df.columns if c not in schema.names]  # not a condition or outcome
    df = df[schema.names]
    _validate_constraints(df, schema, name)
    fraction = opts.get("holdout", 0.25)
    if not isinstance(fraction, int | float) or not 0.05 <= fraction <= 0.5:
        raise DataError(f"{name}: holdout={fraction!r} must be a fraction in [0.05, 0.5]")
    discrete_conds = [c for c in schema.conditions if schema.column(c).discrete]
    strat = discrete_conds[0] if discrete_conds else None
    if not schema.experiment and schema.column(schema.target).discrete:
        strat = schema.target
    try:
        tr, ho = split_holdout(df, float(fraction), seed, strat)
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    train, holdout = df.iloc[tr], df.iloc[ho]
    sampling = opts.get("sampling", "empirical")
    if sampling not in ("empirical", "log"):
        raise DataError(f"{name}: sampling={sampling!r} must be empirical or log")
    info = {
        "mode": "experiment" if schema.experiment else "table",
        "n_rows": len(df),
        "n_train": len(train),
        "n_holdout": len(holdout),
        "columns": {c.name: c.kind for c in schema.columns},
        "conditions": schema.conditions,
        "outcomes": schema.outcomes,
        "target": schema.target,
        "holdout": float(fraction),
        "split_seed": seed,
        "ignored_columns": ignored,
    }
    ds = TabularDataset(name, train, None, info, schema=schema, train=train, holdout=holdout)
    if schema.experiment:
        ds.conditions = train[schema.conditions]
    else:
        _training_by_sampling(ds, sampling, seed)
    return ds


def _validate_constraints(df: pd.DataFrame, schema, name: str) -> None:
    """The real data must satisfy the declared bounds, steps and sum-to-one groups."""
    from scigan.domains.tabular.encoding import numeric_values

    for spec in schema.columns:
        if spec.discrete or (spec.low is None and spec.high is None and spec.step is None):
            continue
        x = numeric_values(df[spec.name], spec, name)
        lo = -np.inf if spec.low is None else spec.low
        hi = np.inf if spec.high is None else spec.high
        bad = (x < lo) | (x > hi)
        if spec.step is not None:
            k = (x - (spec.low or 0.0)) / spec.step
            bad |= np.abs(k - np.round(k)) > 1e-6
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{name}: row {df.index[i]}, column '{spec.name}': {float(x[i])!r} is outside the "
                f"declared low={spec.low}, high={spec.high}, step={spec.step}; fix the value or "
                "the schema"
            )
    for g in schema.sum_groups:
        x = np.stack([numeric_values(df[c], schema.column(c), name) for c in g["columns"]], 1)
        s = x.sum(axis=1)
        bad = ~(np.abs(s - g["total"]) <= 1e-3 * g["total"]) | (x < 0).any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{name}: row {df.index[i]}: columns {g['columns']} sum to {float(s[i])!r}, not "
                f"{g['total']} (or a value is negative); fix the row or drop the sum_to_one group"
            )


def _training_by_sampling(ds: TabularDataset, sampling: str, seed: int) -> None:
    """Rows and condition vectors for the engine's uniform sampler (CTGAN §4.3).

    Each drawn row names one categorical column, chosen uniformly, and its level. ``log``
    draws the level with probability ∝ log(1 + frequency) and then a row with that level, as
    in the paper; ``empirical`` (default) draws the row uniformly, which keeps the frequencies
    of the conditions the engine later samples from (its condition pool) unbiased.
    """
    schema, train = ds.schema, ds.train
    discrete = [c.name for c in schema.columns if c.discrete]
    if not discrete:
        ds.samples = train
        return
    rng = np.random.default_rng([seed, 17])
    m = max(MIN_TRAIN_ROWS, 4 * len(train))
    column = rng.integers(len(discrete), size=m)
    rows = rng.integers(len(train), size=m)
    if sampling == "log":
        for j, name in enumerate(discrete):
            pick = np.flatnonzero(column == j)
            labels = np.array([_key(v) for v in train[name].tolist()])
            levels, counts = np.unique(labels, return_counts=True)
            p = np.log1p(counts) / np.log1p(counts).sum()
            chosen = levels[rng.choice(len(levels), size=len(pick), p=p)]
            for level in levels:
                where = pick[chosen == level]
                rows[where] = rng.choice(np.flatnonzero(labels == level), size=len(where))
    samples = train.iloc[rows].reset_index(drop=True)
    cond = pd.DataFrame({n: pd.array([None] * m, dtype=object) for n in discrete})
    for j, name in enumerate(discrete):
        pick = np.flatnonzero(column == j)
        cond.loc[pick, name] = samples[name].iloc[pick].to_numpy(dtype=object)
    ds.samples, ds.conditions = samples, cond
    ds.info["n_sampled"] = m
    ds.info["sampling"] = sampling


@DOMAINS.register("tabular")
class TabularDomain(ExperimentDomain):
    """Experiment and general tables; see the module docstring."""

    name = "tabular"
    sample_suffixes = (".csv",)
    best_metric = (M.DETECTION_AUC, True)

    demo = DemoSpec(
        science="Chemistry: virtual experiments",
        data="suzuki_case_1",
        headline="tstr",
        what=(
            "Suzuki–Miyaura reaction table (catalyst, residence time, temperature, loading → "
            "yield): the headline is R² of a gradient-boosting model trained on generated "
            "experiments and scored on held-out real ones (TSTR); the floor is the same model "
            "trained on as many real experiments (TRTR)."
        ),
    )

    def default_config(self, data: str) -> dict[str, Any]:
        # CTGAN's objective (WGAN-GP, Adam betas 0.5/0.9, one critic step) with sizes measured
        # in benchmarks/tabular.py (RESULTS.md): width 128 and lr 1e-3 fit in ~20-40 s on one
        # thread of a shared 2-core machine. Experiment tables (conditions → outcomes) use an
        # unpacked critic, which judges each (conditions, outcome) pair on its own: pac 10
        # lowered hold-out TSTR R² on every experiment set tried (e.g. HPLC 0.07 vs 0.45).
        # A user table given conditions=[...] gets the same through option_defaults().
        experiment = bool(SHIPPED[data].options.get("conditions")) if data in SHIPPED else False
        return {
            "loss": "wgan-gp",
            "pac": 1 if experiment else 10,
            "batch_size": 250 if experiment else 500,
            "n_critic": 1,
            "lr_g": 1e-3,
            "lr_d": 1e-3,
            "beta1": 0.5,
            "beta2": 0.9,
            "z_dim": 64,
            "g_width": 128,
            "d_width": 128,
            "g_depth": 2,
            "d_depth": 2,
            "steps": 1500,
            "eval_every": 0,
            "eval_n": 1000,
            "ckpt_every": 500,
            "log_every": 100,
            "ema_decay": 0.99,
            "threads": 1,
        }

    def option_defaults(self, data: str, options: Mapping[str, Any]) -> dict[str, Any]:
        """Experiment mode (``conditions`` given) uses the unpacked critic and batch 250."""
        if options.get("conditions"):
            return {"pac": 1, "batch_size": 250}
        return {}

    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        return load_table(source, options=options, seed=seed)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        max_modes = cfg.options.get("max_modes", 10)
        if not isinstance(max_modes, int) or not 1 <= max_modes <= 50:
            raise DataError(f"max_modes={max_modes!r} must be an integer in [1, 50]")
        return TabularEncoder(max_modes=max_modes, seed=cfg.seed)

    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return TabularGenerator(
            cfg.net.z_dim,
            encoder.generated_spans(),
            feature_dim=encoder.feature_dim,
            passthrough_dim=encoder.passthrough_dim,
            override=encoder.override_blocks(),
            width=cfg.net.g_width,
            depth=cfg.net.g_depth,
        )

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return PacCritic(
            sum(s.dim for s in encoder.generated_spans()),
            feature_dim=encoder.feature_dim,
            passthrough_dim=encoder.passthrough_dim,
            width=cfg.net.d_width,
            depth=cfg.net.d_depth,
            pac=cfg.net.pac,
            sn=cfg.net.spectral_norm,
        )

    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        from threadpoolctl import threadpool_limits

        # One BLAS/OpenMP thread: these tables are small, and on a shared 2-core machine the
        # multi-threaded scikit-learn models spin-wait tens of times slower (measured).
        with threadpool_limits(limits=1):
            return evaluate_table(sample, reference, n=n, seed=seed)

    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        if not isinstance(samples, pd.DataFrame):
            raise DataError("tabular samples must be a DataFrame")
        atomic_write_text(Path(path), samples.to_csv(index=False, float_format="%.10g"))

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        schema = encoder.schema_
        allowed = schema.conditions if schema.experiment else encoder.discrete_generated()
        unknown = [k for k in values if k not in allowed]
        if unknown:
            what = "conditions" if schema.experiment else "categorical columns"
            raise DataError(
                f"unknown condition(s) {unknown}; this model's {what} are {allowed}"
                + ("" if schema.experiment else "; set conditions=[...] to condition on numbers")
            )
        parsed = {k: parse_value(encoder, k, v) for k, v in values.items()}
        if schema.experiment:
            # Conditions not given are drawn uniformly from the design space (seeded).
            return sample_design(encoder, n, np.random.default_rng(0), fixed=parsed)
        return pd.DataFrame({k: [v] * n for k, v in parsed.items()})

    def predict(self, model: Any, conditions: Any, **kwargs: Any) -> pd.DataFrame:
        """See :func:`scigan.domains.tabular.experiments.predict`."""
        from scigan.domains.tabular.experiments import predict

        return predict(model, conditions, **kwargs)

    def suggest(self, model: Any, k: int, **kwargs: Any) -> pd.DataFrame:
        """See :func:`scigan.domains.tabular.experiments.suggest`."""
        from scigan.domains.tabular.experiments import suggest

        return suggest(model, k, **kwargs)

    def model_figures(self, model: Any) -> dict[str, Any]:
        """Experiment mode: the predicted response surface against the measured points."""
        from scigan.domains.tabular.experiments import response_surface_figure

        schema = model.encoder_.schema_
        numeric = [c for c in schema.conditions if not schema.column(c).discrete]
        if not schema.experiment or not numeric or schema.column(schema.target).discrete:
            return {}
        fig = response_surface_figure(model, draws=50)
        return {f"Predicted response surface of {schema.target} vs measured experiments": fig}

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from scigan.domains.tabular.figures import table_figures

        return table_figures(generated, reference)


# ---------------------------------------------------------------------------- evaluation
def _metric(value: float, floor: float, n: int, seed: int, better: str, **extra) -> dict:
    return {"value": float(value), "floor": float(floor), "n": int(n), "seed": seed,
            "better": better, **extra}  # fmt: skip


def evaluate_table(
    sample: SampleFn, reference: TabularDataset, *, n: int, seed: int
) -> MetricResult:
    """All tabular metrics against the hold-out; floors from equally many real training rows.

    Shape, trend, detection and DCR compare ``s = min(n, |train|, |hold-out|)`` generated rows
    (floor: ``s`` real training rows) with ``s`` hold-out rows. Utility trains on
    ``k = min(n, |train|)`` generated rows (TSTR; floor: ``k`` real rows, TRTR) and scores on
    the whole hold-out. Experiment mode adds condition hit rate, per-condition mean outcomes and
    best-condition recovery (see README).
    """
    if not isinstance(reference, TabularDataset):
        raise DataError("tabular evaluation needs a reference loaded by the tabular domain")
    schema, train, hold = reference.schema, reference.train, reference.holdout
    rng = np.random.default_rng([seed, 23])
    k = int(min(n, len(train)))
    s = int(min(n, len(train), len(hold)))
    gen = sample(k, None, seed).reset_index(drop=True)
    gen_s = gen.iloc[:s]
    train_k = train.iloc[np.sort(rng.choice(len(train), k, replace=False))]
    train_s = train.iloc[np.sort(rng.choice(len(train), s, replace=False))]
    hold_s = hold.iloc[np.sort(rng.choice(len(hold), s, replace=False))]
    out: MetricResult = {}
    shape_v, shape_f = (
        M.column_shapes(gen_s, hold_s, schema),
        M.column_shapes(train_s, hold_s, schema),
    )
    out[M.COLUMN_SHAPE] = _metric(
        np.mean(list(shape_v.values())), np.mean(list(shape_f.values())), s, seed, "higher"
    )
    if len(schema.columns) > 1:
        tr_v = M.column_pair_trends(gen_s, hold_s, schema)
        tr_f = M.column_pair_trends(train_s, hold_s, schema)
        out[M.COLUMN_PAIR_TREND] = _metric(
            np.mean(list(tr_v.values())), np.mean(list(tr_f.values())), s, seed, "higher"
        )
    out[M.DETECTION_AUC] = _metric(
        M.detection_auc(hold_s, gen_s, schema, seed=seed),
        M.detection_auc(hold_s, train_s, schema, seed=seed),
        s,
        seed,
        "lower",
    )
    target = schema.target
    features = schema.conditions if schema.experiment else [c for c in schema.names if c != target]
    if features:
        score = "macro F1" if schema.column(target).discrete else "R²"
        util = dict(target=target, features=features, seed=seed)
        tstr = M.utility(gen, hold, schema, **util)
        trtr = M.utility(train_k, hold, schema, **util)
        out[M.TSTR] = _metric(tstr, trtr, k, seed, "higher", target=target, score=score)
        ratio = tstr / trtr if trtr > 0 else float("nan")
        out[M.TSTR_RATIO] = _metric(ratio, 1.0, k, seed, "higher")
        aug = M.utility(pd.concat([train, gen], ignore_index=True), hold, schema, **util)
        trtr_all = M.utility(train, hold, schema, **util)
        out[M.AUGMENTATION] = _metric(aug, trtr_all, len(train) + k, seed, "higher", score=score)
    if schema.experiment:
        # Generated at the hold-out's own conditions: only the outcomes can differ, so a DCR
        # far below the hold-out's means training outcomes are being replayed.
        gen_d = sample(s, hold_s[schema.conditions].reset_index(drop=True), seed + 3)
    else:
        gen_d = gen_s
    dcr_v = M.distance_to_closest(gen_d, train, schema, fit_on=train)
    dcr_f = M.distance_to_closest(hold_s, train, schema, fit_on=train)
    out[M.DCR] = _metric(np.median(dcr_v), np.median(dcr_f), s, seed, "higher")
    if schema.experiment:
        out.update(_experiment_metrics(sample, reference, seed))
    return out


def _predicted_means(
    sample: SampleFn, conditions: pd.DataFrame, target: str, draws: int, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Generated rows for ``draws`` copies of each condition row, and their mean target."""
    reps = conditions.loc[conditions.index.repeat(draws)].reset_index(drop=True)
    gen = sample(len(reps), reps, seed)
    y = M._numeric(gen, target).reshape(len(conditions), draws)
    with np.errstate(all="ignore"):
        return gen, np.nanmean(y, axis=1)


def _experiment_metrics(sample: SampleFn, ref: TabularDataset, seed: int) -> MetricResult:
    schema, train, hold = ref.schema, ref.train, ref.holdout
    conds, target = schema.conditions, schema.target
    out: MetricResult = {}
    draws = int(max(4, min(_DRAWS, 20_000 // max(len(hold), 1))))
    gen, pred = _predicted_means(sample, hold[conds], target, draws, seed + 1)
    requested = hold[conds].loc[hold.index.repeat(draws)].reset_index(drop=True)
    hit = np.ones(len(gen), dtype=bool)
    for c in conds:
        if schema.column(c).discrete:
            a = np.array([_key(v) for v in gen[c].tolist()])
            b = np.array([_key(v) for v in requested[c].tolist()])
            hit &= a == b
        else:
            hit &= M._numeric(gen, c) == M._numeric(requested, c)
    out[M.CONDITION_HIT_RATE] = _metric(hit.mean(), 1.0, len(gen), seed, "higher")
    if schema.column(target).discrete:
        return out
    y_hold, y_train = M._numeric(hold, target), M._numeric(train, target)
    sign = 1.0 if schema.goal == "maximize" else -1.0
    levels = [c for c in conds if schema.column(c).discrete]
    if levels:
        lev = levels[0]
        lab_h = np.array([_key(v) for v in hold[lev].tolist()])
        lab_t = np.array([_key(v) for v in train[lev].tolist()])
        real = M.mean_by_level(lab_h, y_hold)
        mae, rho = M.compare_means(M.mean_by_level(lab_h, pred), real)
        fmae, frho = M.compare_means(M.mean_by_level(lab_t, y_train), real)
        extra = {"by": lev, "levels": len(real)}
        out[M.CONDITION_MEAN_MAE] = _metric(mae, fmae, len(hold), seed, "lower", **extra)
        out[M.CONDITION_MEAN_SPEARMAN] = _metric(rho, frho, len(hold), seed, "higher", **extra)
        # Best level: the real answer uses every measured row; the model predicts at every
        # measured condition; the floor is what the training rows alone say.
        both = pd.concat([train, hold])
        lab_b = np.array([_key(v) for v in both[lev].tolist()])
        y_b = M._numeric(both, target)
        _, pred_b = _predicted_means(sample, both[conds], target, max(4, draws // 2), seed + 2)
        real_best = _best_by_level(lab_b, y_b, sign)
        model_best = _best_by_level(lab_b, pred_b, sign)
        train_best = _best_by_level(lab_t, y_train, sign)
        top = _level_best_values(lab_b, y_b, sign)
        regret = abs(top[real_best] - top[model_best])
        fregret = abs(top[real_best] - top[train_best])
        extra = {"by": lev, "real_best": real_best, "model_best": model_best}
        out[M.BEST_CONDITION_RECOVERED] = _metric(
            float(model_best == real_best), float(train_best == real_best), len(both), seed,
            "higher", **extra,
        )  # fmt: skip
        out[M.BEST_CONDITION_REGRET] = _metric(regret, fregret, len(both), seed, "lower", **extra)
    else:
        ok = ~np.isnan(pred) & ~np.isnan(y_hold)
        mae = float(np.abs(pred[ok] - y_hold[ok]).mean())
        rho = float(spearmanr(pred[ok], y_hold[ok]).statistic)
        near = _nearest_train_outcome(train, hold, schema)
        fmae = float(np.abs(near[ok] - y_hold[ok]).mean())
        frho = float(spearmanr(near[ok], y_hold[ok]).statistic)
        extra = {"by": "held-out condition row (floor: nearest training experiment)"}
        out[M.CONDITION_MEAN_MAE] = _metric(mae, fmae, int(ok.sum()), seed, "lower", **extra)
        out[M.CONDITION_MEAN_SPEARMAN] = _metric(rho, frho, int(ok.sum()), seed, "higher", **extra)
    return out


def _level_best_values(labels: np.ndarray, y: np.ndarray, sign: float) -> dict[str, float]:
    out = {}
    for v in np.unique(labels):
        x = y[(labels == v) & ~np.isnan(y)]
        if len(x):
            out[str(v)] = float(x[np.argmax(sign * x)])
    return out


def _best_by_level(labels: np.ndarray, y: np.ndarray, sign: float) -> str:
    best = _level_best_values(labels, y, sign)
    return max(best, key=lambda k: sign * best[k])


def _nearest_train_outcome(train: pd.DataFrame, hold: pd.DataFrame, schema) -> np.ndarray:
    from scipy.spatial import cKDTree

    fmap = M.FeatureMap.fit(train, schema, schema.conditions)
    _, idx = cKDTree(fmap.transform(train)).query(fmap.transform(hold), k=1)
    return M._numeric(train, schema.target)[idx]


# ---------------------------------------------------------------------------- datasets
for _name, _shipped in SHIPPED.items():
    register_dataset(
        DatasetInfo(
            _name, "tabular", _shipped.size, _shipped.source, _shipped.licence, _shipped.description
        )
    )

__all__ = ["TabularDomain", "evaluate_table", "load_table"]
