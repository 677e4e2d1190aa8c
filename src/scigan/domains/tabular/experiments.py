"""Virtual experiments: predicted outcome distributions, next-experiment suggestions, surfaces.

These functions take any fitted experiment-mode model (:class:`ExperimentModel`: ``sample(n, *,
seed, conditions)``, ``encoder_`` and ``dataset_``) — a :class:`scigan.Synthesizer` trained with
``conditions=[...]``, or the :mod:`~scigan.domains.tabular.baselines` — and only ever *sample*
it:

- :func:`predict`: for each condition row, ``draws`` generated outcomes → mean, standard
  deviation and a central interval (empirical quantiles);
- :func:`suggest`: ``k`` new condition rows from the design space (in trust regions around
  the measured experiments, or uniform), ranked by expected improvement over the best measured
  value ``y*`` — the closed form for a normal predictive with the mean μ and standard deviation σ of
  the generator's draws, ``EI = (μ − y* − ξ)Φ(z) + σφ(z)``, ``z = (μ − y* − ξ)/σ`` (Jones et
  al. 1998), ranked by log EI so that candidates far below ``y*`` still order by how far
  (Ament et al. 2023) — or by one Thompson draw per candidate.

Caveat, stated plainly: the spread of a conditional generator is its model of the *noise* of
an experiment (aleatoric), not of its own ignorance (epistemic); far from the measured
conditions it can be confidently wrong. Suggestions are a ranked shortlist, not a guarantee.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy.special import erfcx, ndtr

from scigan.domains.tabular.data import TabularDataset
from scigan.domains.tabular.design import sample_design, sample_local
from scigan.domains.tabular.encoding import MISSING, TabularEncoder, _key
from scigan.domains.tabular.metrics import _numeric
from scigan.errors import DataError


class ExperimentModel(Protocol):
    """What these functions read of a fitted model.

    Attributes:
        encoder_: the fitted encoder (None before ``fit`` where the model declares it so).
        dataset_: the training data with its hold-out, or None (e.g. a model loaded from a run
            folder before any evaluation): ``suggest`` then needs ``incumbent=``.
    """

    encoder_: TabularEncoder | None
    dataset_: TabularDataset | None

    def sample(self, n: int, *, seed: int | None = None, conditions: Any = None) -> Any: ...


def _experiment_encoder(model: ExperimentModel) -> TabularEncoder:
    enc = model.encoder_
    if enc is None or not enc.schema_.experiment:
        raise DataError(
            "predict/suggest need a model fitted in experiment mode: "
            "fit with options conditions=[...] (CLI: --set conditions=[a,b])"
        )
    return enc


def _draw(model: ExperimentModel, conditions: pd.DataFrame, draws: int, seed: int) -> pd.DataFrame:
    reps = conditions.loc[conditions.index.repeat(draws)].reset_index(drop=True)
    return model.sample(len(reps), seed=seed, conditions=reps)


def predict(
    model: ExperimentModel,
    conditions: pd.DataFrame | Mapping[str, Any],
    *,
    draws: int = 200,
    level: float = 0.9,
    seed: int = 0,
) -> pd.DataFrame:
    """Predicted outcome distribution for each row of ``conditions``.

    Args:
        model: fitted experiment-mode model.
        conditions: one row per experiment, every condition column given.
        draws: generated outcomes per row.
        level: central interval probability (0.9 → 5 % and 95 % quantiles).
        seed: sampling seed.

    Returns:
        The conditions plus, per numeric outcome ``y``: ``y_mean``, ``y_std``, ``y_lower``,
        ``y_upper``; per categorical outcome: ``y_p[level]`` probabilities.
    """
    enc = _experiment_encoder(model)
    if not 0 < level < 1:
        raise DataError(f"level must be in (0, 1), got {level}")
    cond = pd.DataFrame(conditions).reset_index(drop=True)
    missing = [c for c in enc.schema_.conditions if c not in cond.columns]
    if missing:
        raise DataError(f"predict: give every condition; missing {missing}")
    cond = cond[enc.schema_.conditions]
    gen = _draw(model, cond, draws, seed)
    out = cond.copy()
    q = (1 - level) / 2
    for name in enc.schema_.outcomes:
        spec = enc.schema_.column(name)
        if spec.discrete:
            labels = np.array([str(v) for v in gen[name].tolist()]).reshape(len(cond), draws)
            for lev in enc.columns_[name]["levels"]:
                out[f"{name}_p[{lev}]"] = (labels == str(lev)).mean(axis=1)
            continue
        y = _numeric(gen, name).reshape(len(cond), draws)
        with np.errstate(all="ignore"):
            out[f"{name}_mean"] = np.nanmean(y, axis=1)
            out[f"{name}_std"] = np.nanstd(y, axis=1)
            out[f"{name}_lower"] = np.nanquantile(y, q, axis=1)
            out[f"{name}_upper"] = np.nanquantile(y, 1 - q, axis=1)
    return out


_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def _log_h(z: np.ndarray) -> np.ndarray:
    """log(φ(z) + zΦ(z)), accurate for very negative z (where the sum underflows).

    For z < −1: φ(z) + zΦ(z) = φ(z)(1 + z·√(π/2)·erfcx(−z/√2)), since Φ(z)/φ(z) =
    √(π/2)·erfcx(−z/√2); below z = −1e4 the bracket is 1/z² to working precision.
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    big = z >= -1.0
    zb = z[big]
    out[big] = np.log(np.exp(-0.5 * zb**2 - _LOG_SQRT_2PI) + zb * ndtr(zb))
    small = ~big
    zs = z[small]
    log_phi = -0.5 * zs**2 - _LOG_SQRT_2PI
    with np.errstate(divide="ignore", invalid="ignore"):
        bracket = np.log1p(zs * np.sqrt(np.pi / 2) * erfcx(-zs / np.sqrt(2)))
    far = zs < -1e4
    bracket[far] = -2.0 * np.log(-zs[far])
    out[small] = log_phi + bracket
    return out


def expected_improvement(
    mean: np.ndarray, std: np.ndarray, incumbent: float, xi: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """(EI, log EI) of a normal predictive N(mean, std²) over ``incumbent`` (maximising).

    ``EI = (μ − y* − ξ)Φ(z) + σφ(z)``, ``z = (μ − y* − ξ)/σ`` (Jones, Schonlau & Welch 1998,
    *Efficient global optimization*); ``max(μ − y* − ξ, 0)`` where σ = 0. The log is
    computed without forming EI, so it stays finite (and orders candidates) where EI
    underflows to 0 (Ament et al. 2023, *Unexpected improvements to expected improvement*,
    NeurIPS). NaN in, NaN out.
    """
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    gain = mean - incumbent - xi
    with np.errstate(divide="ignore", invalid="ignore"):
        z = gain / std
        noisy = std > 0
        log_ei = np.where(noisy, np.log(np.where(noisy, std, 1.0)), np.log(np.maximum(gain, 0)))
        log_ei[noisy] += _log_h(z[noisy])
    log_ei[np.isnan(mean) | np.isnan(std)] = np.nan
    return np.exp(log_ei), log_ei


#: Length scale of the exploration kernel, in units of each numeric condition's design range.
EXPLORE_LENGTH = 0.25
_JITTER = 1e-6  # added to the kernel diagonal (repeated conditions make it singular)


def _kernel_inputs(enc: TabularEncoder, *tables: pd.DataFrame) -> list[np.ndarray]:
    """Condition rows → points where the exploration kernel is a unit RBF: each number scaled
    to its design range and divided by :data:`EXPLORE_LENGTH`; each categorical condition
    one-hot (a different level is √2 away: correlation e⁻¹ at equal numbers)."""
    schema = enc.schema_
    parts: list[list[np.ndarray]] = [[] for _ in tables]
    for name in schema.conditions:
        if schema.column(name).discrete:
            labels = [np.array([_key(v) for v in t[name].tolist()]) for t in tables]
            levels = np.unique(np.concatenate(labels))
            for part, lab in zip(parts, labels, strict=True):
                part.append((lab[:, None] == levels[None, :]).astype(np.float64))
        else:
            lo, hi = enc.bounds(name)
            span = hi - lo if np.isfinite(hi - lo) and hi > lo else 1.0
            for part, t in zip(parts, tables, strict=True):
                x = (_numeric(t, name) - lo) / (span * EXPLORE_LENGTH)
                part.append(np.nan_to_num(x)[:, None])
    return [np.concatenate(p, axis=1) if p else np.zeros((len(t), 0)) for p, t in
            zip(parts, tables, strict=True)]  # fmt: skip


def suggest(
    model: ExperimentModel,
    k: int = 5,
    *,
    target: str | None = None,
    goal: str | None = None,
    incumbent: float | None = None,
    measured: pd.DataFrame | None = None,
    method: str = "ei",
    xi: float = 0.0,
    explore: bool = True,
    n_candidates: int = 2000,
    draws: int = 64,
    fixed: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The next ``k`` experiments to run, drawn from the design space and ranked.

    The generator's draws at a candidate give a mean μ and a spread σ_noise — its model of
    the experiment's noise, not of its own ignorance: at a catalyst it never saw, or at
    conditions far from every experiment, its output is a guess with an equally small spread.
    With ``explore`` (default), a Gaussian process over the conditions already measured (RBF
    kernel, length :data:`EXPLORE_LENGTH` of each numeric range, levels one-hot; it needs
    only *where* experiments were run) gives each candidate a posterior variance fraction v
    (0 at a measured condition, 1 far from all), and EI uses

    - σ = √(σ_noise² + σ_explore²), σ_explore = s·√v, s the standard deviation of the
      measured target values;
    - the mean (1 − v)·μ + v·ȳ, ȳ the mean of the measured target values: the generator's
      prediction where experiments inform it, the measured average far from them (as a GP's
      posterior mean reverts to its constant prior). A level measured once at poor conditions
      therefore stays uncertain at other conditions, and a prediction far outside the
      measured conditions is not taken at face value.

    Where measured target values exist, candidates lie in **trust regions** (Eriksson et al.
    2019, TuRBO): ``n_candidates`` points in all, Gaussian steps of :data:`LOCAL_RADIUS` of
    each numeric range around (1) the best measured experiment of each combination of
    categorical levels and (2) the best experiment of all with one categorical condition set
    to each of its levels. Otherwise (no measured target) they are uniform design points.

    The ``k`` rows are picked one at a time (a batch, not the top ``k`` of one ranking):
    after each pick its conditions count as measured (v shrinks around it) and its mean as
    reached (the incumbent rises to it: "kriging believer", Ginsbourger et al. 2010). Each
    pick comes from a combination of categorical levels not yet in the batch when that
    combination's best EI is at least :data:`LEVEL_SPREAD` of the best EI (once all are in,
    a new round begins): the model's ranking of levels rests on a few rows each, so a batch
    hedges over the levels it cannot tell apart instead of spending every row on one.

    Levels never measured come first (with ``explore``, method ``ei``): no measured row has
    passed through the generator's input for a catalyst it never saw, so its output there is
    not a prediction, and the chemist's rule "try every candidate catalyst once" applies. Each
    categorical level (not ``fixed``) absent from the measured rows is proposed at the
    conditions of the best measured experiment (else of the best-predicted candidate), that
    one condition changed; these rows take the first places of the batch, ordered by their
    EI, and count as measured for the rest of it.

    Args:
        model: fitted experiment-mode model.
        k: experiments to propose (distinct candidates).
        target: outcome to optimise (default: the schema's target).
        goal: ``maximize``/``minimize`` (default: the schema's goal).
        incumbent: best value measured so far (default: best of ``measured``'s target when
            it has the column, else of the model's training rows).
        measured: the experiments run so far (condition columns; the target column too for
            the default incumbent and s). Default: the model's training rows.
        method: ``ei`` (expected improvement, closed form; see :func:`expected_improvement`)
            or ``thompson`` (one generator draw per candidate, plus σ_explore·N(0, 1) with
            ``explore``; the top ``k``).
        xi: the improvement EI asks for beyond ``incumbent``, in the target's units (0).
        explore: add σ_explore and pick the batch sequentially (above); False: the
            generator's spread alone and the top ``k`` of one EI ranking.
        n_candidates: candidates scored (about as many): in trust regions (above), else
            uniform design points with every level of a categorical condition equally often.
        draws: generated outcomes per candidate.
        fixed: conditions held at a value, e.g. ``{"catalyst": "P1-L1"}``.
        seed: seed of the candidates and the draws.

    Returns:
        ``k`` condition rows, in the order picked, with ``predicted_mean``, ``predicted_std``
        (σ_noise), ``explore_std`` (σ_explore when picked; 0 without ``explore``), ``untried``
        (the row tries a level never measured) and ``score`` (EI in the target's units when
        picked, for ``ei``; the drawn value for ``thompson``). EI ties (σ = 0 and no
        predicted gain) are broken by the predicted mean.
    """
    enc = _experiment_encoder(model)
    schema = enc.schema_
    target = target or schema.target
    if target not in schema.outcomes or schema.column(target).discrete:
        raise DataError(
            f"suggest: target '{target}' must be a numeric outcome of {schema.outcomes}"
        )
    goal = goal or schema.goal
    if goal not in ("maximize", "minimize"):
        raise DataError(f"goal must be maximize or minimize, got {goal!r}")
    if method not in ("ei", "thompson"):
        raise DataError(f"method must be 'ei' or 'thompson', got {method!r}")
    if not 1 <= k <= n_candidates:
        raise DataError(f"k must be in [1, n_candidates={n_candidates}], got {k}")
    if not np.isfinite(xi) or xi < 0:
        raise DataError(f"xi must be a finite number >= 0, got {xi!r}")
    sign = 1.0 if goal == "maximize" else -1.0
    ds = model.dataset_
    if measured is not None:
        measured = pd.DataFrame(measured).reset_index(drop=True)
        missing = [c for c in schema.conditions if c not in measured.columns]
        if missing:
            raise DataError(f"suggest: measured rows need every condition; missing {missing}")
    elif ds is not None:
        measured = ds.train
    y_measured = None
    if measured is not None and target in measured.columns:
        y_measured = sign * _numeric(measured, target)
    elif ds is not None:
        y_measured = sign * _numeric(ds.train, target)
    if incumbent is None:
        if y_measured is None or not np.isfinite(y_measured).any():
            raise DataError("suggest: pass incumbent= (the best measured value so far)")
        incumbent = float(np.nanmax(y_measured))
    else:
        incumbent = sign * float(incumbent)
    rng = np.random.default_rng([seed, 31])
    cand, anchor = None, None
    informed = (
        y_measured is not None
        and measured is not None
        and len(measured) == len(y_measured)
        and bool(np.isfinite(y_measured).any())
    )
    if explore and method == "ei" and informed:
        anchor = measured.iloc[[int(np.nanargmax(y_measured))]]
        local = _local_candidates(enc, measured, y_measured, anchor, fixed, n_candidates, rng)
        cand = local if len(local) >= k else None  # e.g. only categorical conditions
    if cand is None:  # nothing measured to start from: the whole design space
        cand = sample_design(enc, n_candidates, rng, fixed, balanced=True)
    mean, std, y = _moments(model, cand, target, sign, draws, seed)
    n_untried = 0
    if explore and method == "ei":
        if anchor is None:
            anchor = cand.iloc[[int(np.nanargmax(np.nan_to_num(mean, nan=-np.inf)))]]
        untried = _untried_levels(enc, measured, anchor, fixed)
        if len(untried):
            n_untried = len(untried)
            m2, s2, y2 = _moments(model, untried, target, sign, draws, seed + 1)
            cand = pd.concat([untried, cand], ignore_index=True)
            mean, std = np.concatenate([m2, mean]), np.concatenate([s2, std])
            y = np.concatenate([y2, y])
    explorer = None
    if explore:
        # s: how much the target varies between measured experiments (else: between the
        # model's predicted means over the design space).
        ok = y_measured[np.isfinite(y_measured)] if y_measured is not None else np.array([])
        spread = float(np.std(ok)) if len(ok) >= 2 else float(np.nanstd(mean))
        prior = float(np.mean(ok)) if len(ok) >= 2 else float(np.nanmean(mean))
        conds = measured[schema.conditions] if measured is not None else cand.iloc[:0]
        xs, xm = _kernel_inputs(enc, cand, conds)
        explorer = _Explorer(xs, xm, spread, prior)
    if method == "thompson":
        score = y[np.arange(len(cand)), rng.integers(draws, size=len(cand))]
        explore_sd = np.zeros(len(cand)) if explorer is None else explorer.std()
        score = score + explore_sd * rng.standard_normal(len(cand))
        order = np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")[:k]
        picked_sd, picked_score = explore_sd[order], score[order]
    elif explorer is None:
        score, log_score = expected_improvement(mean, std, incumbent, xi)
        # Best first by log EI, then by the predicted mean; NaN last.
        order = np.lexsort((-np.nan_to_num(mean, nan=-np.inf),
                            -np.nan_to_num(log_score, nan=-np.inf)))[:k]  # fmt: skip
        picked_sd, picked_score = np.zeros(k), score[order]
    else:
        order, picked_sd, picked_score = _pick_batch(
            mean, std, incumbent, xi, k, explorer, first=n_untried, groups=_level_groups(enc, cand)
        )
    out = cand.iloc[order].reset_index(drop=True)
    out["predicted_mean"] = sign * mean[order]
    out["predicted_std"] = std[order]
    out["explore_std"] = picked_sd
    out["untried"] = np.asarray(order) < n_untried
    out["score"] = picked_score
    return out


def _moments(
    model: ExperimentModel, cand: pd.DataFrame, target: str, sign: float, draws: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean (C,), std (C,), draws (C, draws)) of the signed target at each candidate."""
    gen = _draw(model, cand, draws, seed)
    y = sign * _numeric(gen, target).reshape(len(cand), draws)  # larger is better
    with np.errstate(all="ignore"):
        return np.nanmean(y, axis=1), np.nanstd(y, axis=1), y


def _untried_levels(
    enc: TabularEncoder,
    measured: pd.DataFrame | None,
    anchor: pd.DataFrame,
    fixed: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """One row per categorical level (of a condition not in ``fixed``) that no measured row
    has: the ``anchor`` row's conditions with that one level changed."""
    if measured is None:
        return anchor.iloc[:0]
    schema = enc.schema_
    rows = []
    for name in schema.conditions:
        if not schema.column(name).discrete or name in (fixed or {}):
            continue
        seen = {_key(v) for v in measured[name].tolist()}
        for level in enc.columns_[name]["levels"]:
            if level != MISSING and _key(level) not in seen:
                row = anchor[schema.conditions].copy()
                row[name] = [level]
                rows.append(row)
    if not rows:
        return anchor[schema.conditions].iloc[:0]
    return pd.concat(rows, ignore_index=True)


#: A batch member goes to a combination of categorical levels not yet in the batch when its
#: best EI is at least this fraction of the best EI of all (see :func:`_pick_batch`).
LEVEL_SPREAD = 0.1
#: Step (standard deviation) of the trust-region candidates, as a fraction of each numeric
#: condition's range: half the exploration kernel's length.
LOCAL_RADIUS = EXPLORE_LENGTH / 2
_LOCAL_MIN = 16  # candidates per trust region at least


def _local_candidates(
    enc: TabularEncoder,
    measured: pd.DataFrame,
    y_measured: np.ndarray,
    anchor: pd.DataFrame,
    fixed: Mapping[str, Any] | None,
    n: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """About ``n`` candidates in trust regions (:func:`~.design.sample_local`, step
    :data:`LOCAL_RADIUS`) around (1) the best measured experiment of each combination of
    categorical conditions and (2) the best experiment of all (``anchor``) with one
    categorical condition set to each of its levels. Far from every measured experiment the
    generator's predictions are extrapolations; the search stays where experiments inform it,
    and moves between levels instead (untried levels, the batch's level spread). Measured
    rows that contradict a ``fixed`` level are skipped; ``fixed`` values are then imposed."""
    schema = enc.schema_
    fixed = dict(fixed or {})
    keep = np.isfinite(y_measured)
    for name, value in fixed.items():
        if schema.column(name).discrete:
            keep &= np.array([_key(v) == _key(value) for v in measured[name].tolist()])
    centres = []
    if keep.any():
        rows = measured.loc[keep, schema.conditions].reset_index(drop=True)
        groups, y = _level_groups(enc, rows), y_measured[keep]
        for g in np.unique(groups):
            centres.append(rows.iloc[[int(np.flatnonzero(groups == g)[np.argmax(y[groups == g])])]])
    base = anchor[schema.conditions].reset_index(drop=True)
    centres.append(base)
    for name in schema.conditions:
        if schema.column(name).discrete and name not in fixed:
            for level in enc.columns_[name]["levels"]:
                if level != MISSING:
                    swap = base.copy()
                    swap[name] = [level]
                    centres.append(swap)
    centres = pd.concat(centres, ignore_index=True)
    for name, value in fixed.items():
        centres[name] = [value] * len(centres)
    centres = centres.drop_duplicates(ignore_index=True)
    out = sample_local(enc, centres, max(_LOCAL_MIN, n // len(centres)), rng, LOCAL_RADIUS)
    # Steps clipped at a bound land on the same point: score each point once.
    return out.drop_duplicates(ignore_index=True)


def _level_groups(enc: TabularEncoder, rows: pd.DataFrame) -> np.ndarray:
    """(N,) integer id of each row's combination of categorical conditions (all 0 if none)."""
    names = [c for c in enc.schema_.conditions if enc.schema_.column(c).discrete]
    if not names:
        return np.zeros(len(rows), dtype=np.int64)
    keys = ["\x1f".join(str(_key(v)) for v in vals) for vals in zip(
        *(rows[c].tolist() for c in names), strict=True)]  # fmt: skip
    return pd.factorize(pd.Series(keys, dtype=object))[0].astype(np.int64)


class _Explorer:
    """σ_explore of every candidate, updated as batch members are picked (rank-one updates of
    the GP posterior: picking p removes c_p(x)²/v_p from each variance, c_p the posterior
    covariance with p)."""

    def __init__(
        self, xs: np.ndarray, xm: np.ndarray, spread: float, prior: float | None = None
    ) -> None:
        self.xs, self.spread, self.prior = xs, spread, prior
        self.kxm = _rbf(xs, xm)  # (C, M)
        if len(xm):
            from scipy.linalg import cho_factor, cho_solve

            gram = _rbf(xm, xm) + _JITTER * np.eye(len(xm))
            self.a = cho_solve(cho_factor(gram, lower=True), self.kxm.T).T  # (C, M): K⁻¹k
        else:
            self.a = self.kxm
        self.var = np.clip(1.0 - (self.kxm * self.a).sum(1), 0.0, 1.0)  # (C,)
        self.cols: list[np.ndarray] = []

    def std(self) -> np.ndarray:
        return self.spread * np.sqrt(self.var)

    def mean(self, mean: np.ndarray) -> np.ndarray:
        """The model's mean where experiments were run, the measured mean ``prior`` far from
        them: (1 − v)·μ + v·prior (a blend, not a GP posterior: v is the GP's variance
        fraction, and like a GP's mean it reverts to the constant prior far from the data).
        ``prior`` None: μ unchanged."""
        if self.prior is None:
            return mean
        return (1.0 - self.var) * mean + self.var * self.prior

    def measure(self, j: int) -> None:
        """Count candidate ``j`` as measured."""
        v = self.var[j]
        if v <= 1e-12:
            return
        c = _rbf(self.xs, self.xs[j : j + 1])[:, 0] - self.a @ self.kxm[j]
        for u in self.cols:
            c -= u * u[j]
        u = c / np.sqrt(v)
        self.cols.append(u)
        self.var = np.clip(self.var - u * u, 0.0, 1.0)


def _rbf(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """k(a, b) = exp(−|a − b|²/2), (len(a), len(b))."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.exp(-0.5 * np.maximum(d2, 0.0))


def _pick_batch(
    mean: np.ndarray,
    std: np.ndarray,
    incumbent: float,
    xi: float,
    k: int,
    explorer: _Explorer,
    *,
    first: int = 0,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pick ``k`` candidates one at a time by EI with σ² = σ_noise² + σ_explore², the first
    ``first`` candidates (untried levels) before the others; each pick counts as measured and
    its predicted mean as reached. With ``groups`` (a combination id per candidate), a pick
    comes from a combination not yet in the batch when that combination's best EI is at least
    :data:`LEVEL_SPREAD` times the best EI; once every combination is in the batch, a new
    round over all of them begins. (order, σ_explore, EI) when picked."""
    taken = np.zeros(len(mean), dtype=bool)
    order, sds, scores = [], [], []
    used: list[int] = []
    best = incumbent
    for _ in range(k):
        sd_explore, mu = explorer.std(), explorer.mean(mean)
        with np.errstate(all="ignore"):
            ei, log_ei = expected_improvement(mu, np.sqrt(std**2 + sd_explore**2), best, xi)
        if len(order) < first:  # untried levels left: only they compete
            taken[first:] = True
        else:
            taken[first:] = False
            taken[order] = True
        free = ~taken
        log_ei = np.nan_to_num(log_ei, nan=-np.inf)
        if groups is not None and len(order) >= first:
            fresh = free & ~np.isin(groups, used)
            if not fresh.any():  # every combination is in the batch: start another round
                used.clear()
                fresh = free
            if log_ei[fresh].max() >= log_ei[free].max() + np.log(LEVEL_SPREAD):
                free = fresh
        key_ei = np.where(free, log_ei, -np.inf)
        key_mean = np.where(free, np.nan_to_num(mu, nan=-np.inf), -np.inf)
        j = int(np.lexsort((-key_mean, -key_ei))[0])
        taken[j] = True
        order.append(j)
        if groups is not None:
            used.append(int(groups[j]))
        sds.append(sd_explore[j])
        scores.append(ei[j])
        explorer.measure(j)
        if np.isfinite(mu[j]):
            best = max(best, float(mu[j]))  # kriging believer
    return np.array(order), np.array(sds), np.array(scores)


def response_surface_figure(
    model: ExperimentModel,
    *,
    x: str | None = None,
    by: str | None = None,
    fixed: Mapping[str, Any] | None = None,
    grid: int = 40,
    draws: int = 100,
    level: float = 0.9,
    measured: pd.DataFrame | None = None,
    seed: int = 0,
):
    """Predicted outcome (mean and central interval) along one condition, per level of another.

    Other conditions are held at ``fixed`` or at the training median / most common level;
    measured experiments (default: the model's training and hold-out rows) are overlaid.
    """
    from matplotlib.figure import Figure

    enc = _experiment_encoder(model)
    schema = enc.schema_
    numeric = [c for c in schema.conditions if not schema.column(c).discrete]
    discrete = [c for c in schema.conditions if schema.column(c).discrete]
    x = x or (numeric[0] if numeric else None)
    if x is None or x not in numeric:
        raise DataError(f"response surface: x must be a numeric condition of {numeric}")
    by = by if by is not None else (discrete[0] if discrete else None)
    ds = model.dataset_
    if measured is None and ds is not None:
        measured = pd.concat([ds.train, ds.holdout])
    base = dict(fixed or {})
    for c in schema.conditions:
        if c in base or c in (x, by):
            continue
        if measured is not None and c in measured.columns:
            col = measured[c]
            base[c] = col.mode().iloc[0] if schema.column(c).discrete else float(col.median())
        else:
            base[c] = sample_design(enc, 1, np.random.default_rng(0))[c].iloc[0]
    lo, hi = enc.bounds(x)
    xs = np.linspace(lo, hi, grid)
    levels = [None]
    if by is not None:
        levels = [v for v in enc.columns_[by]["levels"]][:8]
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    target = schema.target
    for i, lev in enumerate(levels):
        rows = pd.DataFrame({**{c: [v] * grid for c, v in base.items()}, x: xs})
        if by is not None:
            rows[by] = [lev] * grid
        p = predict(model, rows[schema.conditions], draws=draws, level=level, seed=seed)
        color = f"C{i}"
        label = f"{by}={lev}" if by is not None else "predicted"
        ax.plot(xs, p[f"{target}_mean"], color=color, label=label)
        ax.fill_between(xs, p[f"{target}_lower"], p[f"{target}_upper"], color=color, alpha=0.15)
        if measured is not None:
            m = measured if by is None else measured[measured[by].astype(str) == str(lev)]
            ax.scatter(m[x], m[target], color=color, s=14, edgecolor="k", linewidth=0.4)
    held = ", ".join(
        f"{c}={v:.4g}" if isinstance(v, float) else f"{c}={v}" for c, v in base.items()
    )
    ax.set_title(f"predicted {target} (mean, {level:.0%} interval) vs measured\n{held}", fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(target)
    ax.legend(fontsize=7, ncol=2)
    return fig


__all__ = [
    "ExperimentModel",
    "expected_improvement",
    "predict",
    "response_surface_figure",
    "suggest",
]
