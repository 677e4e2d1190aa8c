"""Oracle-guided design: the feedback GAN loop (FBGAN, Gupta & Zou 2019, Nat. Mach. Intell.).

Every round, the generator's samples are scored by an oracle (any ``list[str] -> scores``
callable); the best new sequences scoring at least ``threshold`` replace the *oldest* rows of
the training set, and training continues. Each round records the oracle-positive fraction of
fresh samples together with unique fraction, diversity and novelty, so that collapse onto a few
high-scoring sequences is visible rather than hidden in a rising curve.

The built-in oracle :class:`AmpProxyClassifier` is a **proxy**: a classifier on composition
and physicochemical descriptors, trained on the modlamp AMP-vs-UniProt peptides. It predicts
what separates those two lists, not measured antimicrobial activity.

The loop's gain is scored by a *judge*, an oracle that is not the one driving the loop (the
generator learns the driver's blind spots, so the driver's own score overstates the gain):
:func:`independent_amp_oracles` gives a logistic-regression driver and a random-forest judge
trained on disjoint halves of the labelled peptides.

Oracle calls go through :class:`CachedScorer`: a sequence is scored once, and at most
``budget`` distinct sequences are ever sent to the oracle (wet-lab or expensive-model budgets).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from scigan.config import TrainConfig
from scigan.core.losses import make_loss, make_regularisers
from scigan.core.training_loop import Problem, TrainState, train
from scigan.domains.base import Dataset, MetricResult
from scigan.domains.sequences import metrics as sm
from scigan.domains.sequences.data import TEST, TRAIN, SequenceDataset, reference_view
from scigan.domains.sequences.encoding import PROTEIN, SequenceEncoder, model_option
from scigan.errors import ConfigError

Scorer = Callable[[Sequence[str]], np.ndarray]


# ----------------------------------------------------------------------------- oracle


def peptide_features(seqs: Sequence[str]) -> np.ndarray:
    """(N, 20 + 400 + 5): amino-acid and dipeptide composition, length/50, net charge per
    residue, hydrophobicity, hydrophobic moment and isoelectric point."""
    idx = {a: i for i, a in enumerate(PROTEIN)}
    comp = np.zeros((len(seqs), 20))
    di = np.zeros((len(seqs), 400))
    for r, s in enumerate(seqs):
        codes = [idx[a] for a in s if a in idx]
        for c in codes:
            comp[r, c] += 1
        for a, b in itertools.pairwise(codes):
            di[r, 20 * a + b] += 1
        comp[r] /= max(len(codes), 1)
        di[r] /= max(len(codes) - 1, 1)
    n = np.array([max(len(s), 1) for s in seqs], dtype=np.float64)
    glob = np.stack(
        [
            n / 50,
            sm.net_charge(seqs) / n,
            sm.hydrophobicity(seqs),
            sm.hydrophobic_moment(seqs),
            sm.isoelectric_point(seqs) / 14,
        ],
        axis=1,
    )
    return np.concatenate([comp, di, glob], axis=1)


ORACLE_MODELS = ("logistic", "forest")
ORACLE_ROWS = ("all", "half1", "half2")


class AmpProxyClassifier:
    """P(AMP) from a classifier on :func:`peptide_features` (a proxy oracle).

    Trained on the deduplicated modlamp AMPvsUniProt peptides (≤ ``max_len`` aa), split by a
    permutation seeded with ``seed``: ``rows="all"`` trains on 80 % and tests on 20 %;
    ``"half1"`` / ``"half2"`` train on one half and test on the other, so two oracles on the
    two halves never share a training peptide. ``model``: ``"logistic"`` (standardised
    logistic regression, C = 0.1) or ``"forest"`` (a random forest, 200 trees). ``test_auc_``
    is the held-out ROC-AUC, reported next to every feedback run; ``train_rows_`` (indices into
    ``amp_records(max_len)``) and ``train_sequences_`` say what it was trained on.
    """

    def __init__(
        self, *, max_len: int = 50, seed: int = 0, model: str = "logistic", rows: str = "all"
    ) -> None:
        self.max_len, self.seed, self.model, self.rows = max_len, seed, model, rows

    def __repr__(self) -> str:
        return (
            f"AmpProxyClassifier(model={self.model!r}, rows={self.rows!r}, seed={self.seed}, "
            f"max_len={self.max_len})"
        )

    def fit(self) -> AmpProxyClassifier:
        from sklearn.metrics import roc_auc_score

        from scigan.domains.sequences.data import amp_records

        if self.model not in ORACLE_MODELS:
            raise ConfigError(f"model={self.model!r}: choose {' or '.join(ORACLE_MODELS)}")
        if self.rows not in ORACLE_ROWS:
            raise ConfigError(f"rows={self.rows!r}: choose {', '.join(ORACLE_ROWS)}")
        seqs, y, _ = amp_records(self.max_len)
        x = peptide_features(seqs)
        perm = np.random.default_rng(self.seed).permutation(len(y))
        cut = int(0.8 * len(y)) if self.rows == "all" else len(y) // 2
        tr, te = perm[:cut], perm[cut:]
        if self.rows == "half2":
            tr, te = te, tr
        self.model_ = _classifier(self.model, self.seed)
        self.model_.fit(x[tr], y[tr])
        self.test_auc_ = float(roc_auc_score(y[te], self.model_.predict_proba(x[te])[:, 1]))
        self.n_train_ = len(tr)
        self.train_rows_ = np.sort(tr)
        self.train_sequences_ = frozenset(seqs[i] for i in tr)
        return self

    def __call__(self, seqs: Sequence[str]) -> np.ndarray:
        if not seqs:
            return np.zeros(0)
        return self.model_.predict_proba(peptide_features(seqs))[:, 1]


def _classifier(model: str, seed: int) -> Any:  # an unfitted sklearn classifier
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if model == "forest":
        return RandomForestClassifier(
            n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1
        )
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))


def independent_amp_oracles(
    *, max_len: int = 50, seed: int = 0
) -> tuple[AmpProxyClassifier, AmpProxyClassifier]:
    """(driver, judge), both fitted: the loop's oracle, a logistic regression on one half of
    the labelled peptides, and the oracle that scores the gain, a random forest on the other
    half — a different model family trained on different rows. Both see the same descriptors
    and the same two lists, so the judge's verdict is still a proxy (see README)."""
    driver = AmpProxyClassifier(max_len=max_len, seed=seed, model="logistic", rows="half1")
    judge = AmpProxyClassifier(max_len=max_len, seed=seed, model="forest", rows="half2")
    return driver.fit(), judge.fit()


class CachedScorer:
    """Scores each distinct sequence once; never sends more than ``budget`` to the oracle.

    Sequences beyond the budget get NaN (and ``exhausted`` turns True).
    """

    def __init__(self, oracle: Scorer, budget: int) -> None:
        if budget < 1:
            raise ConfigError(f"oracle budget must be >= 1, got {budget}")
        self.oracle, self.budget = oracle, budget
        self.cache: dict[str, float] = {}
        self.calls = 0  # distinct sequences sent to the oracle
        self.exhausted = False

    def __repr__(self) -> str:
        return f"CachedScorer({self.oracle!r}, budget={self.budget})"

    def __call__(self, seqs: Sequence[str]) -> np.ndarray:
        new = list(dict.fromkeys(s for s in seqs if s not in self.cache))
        room = self.budget - self.calls
        if len(new) > room:
            self.exhausted = True
            new = new[:room]
        if new:
            scores = np.asarray(self.oracle(new), dtype=np.float64)
            if scores.shape != (len(new),):
                raise ConfigError(
                    f"the oracle returned shape {scores.shape} for {len(new)} sequences"
                )
            self.cache.update(zip(new, scores.tolist(), strict=True))
            self.calls += len(new)
        return np.array([self.cache.get(s, np.nan) for s in seqs])


# ----------------------------------------------------------------------------- the loop


@dataclass
class FeedbackResult:
    """History (one dict per round, round 0 = before any feedback), final state, encoder, and
    the names of the oracle that drove the loop and of the independent one that scored it."""

    history: list[dict[str, Any]]
    state: TrainState
    encoder: SequenceEncoder
    final_data: list[str] = field(default_factory=list)
    driven_by: str = ""
    scored_by: str | None = None  # None: no independent judge was given

    @property
    def gain(self) -> float | None:
        """Change of the positive fraction from round 0 to the last round, scored by the judge
        (``scored_by``), an oracle independent of the one driving the loop; None without one."""
        return _change(self.history, "judge_positive_fraction")

    @property
    def driver_gain(self) -> float | None:
        """The same change by the driving oracle: what the loop optimised, so no evidence."""
        return _change(self.history, "positive_fraction")

    def summary(self) -> dict[str, Any]:
        return {
            "gain": self.gain,
            "scored_by": self.scored_by,
            "driver_gain": self.driver_gain,
            "driven_by": self.driven_by,
            "rounds": len(self.history) - 1,
            "note": "gain is scored by an oracle that is not the one driving the loop",
        }

    def sample(self, n: int, *, seed: int, z_dim: int) -> list[str]:
        return _generate(self.state.ema.shadow, self.encoder, z_dim, n, seed)


def _change(history: list[dict[str, Any]], key: str) -> float | None:
    first, last = history[0].get(key), history[-1].get(key)
    return None if first is None or last is None else float(last - first)


def _check_independent(scorer: CachedScorer, judge: Scorer) -> None:
    """A ConfigError if ``judge`` is the driving oracle, or was trained on its rows."""
    inner = judge.oracle if isinstance(judge, CachedScorer) else judge
    if judge is scorer or inner is scorer or inner is scorer.oracle:
        raise ConfigError(
            "the judge is the oracle that drives the loop; pass an independent one (e.g. "
            "independent_amp_oracles()) so the reported gain is not the optimised score"
        )
    driver = scorer.oracle
    if isinstance(driver, AmpProxyClassifier) and isinstance(inner, AmpProxyClassifier):
        shared = len(driver.train_sequences_ & inner.train_sequences_)
        if shared:
            raise ConfigError(
                f"the judge {inner!r} and the driving oracle {driver!r} share {shared} training "
                "peptides; train them on disjoint rows (rows='half1' / 'half2')"
            )


def _generate(
    G: torch.nn.Module, encoder: SequenceEncoder, z_dim: int, n: int, seed: int
) -> list[str]:
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        was = G.training
        G.eval()
        x = G(torch.randn(n, z_dim), None)
        G.train(was)
    return encoder.decode(x)


def feedback_train(
    cfg: TrainConfig,
    dataset: Dataset,
    scorer: CachedScorer,
    *,
    pretrain_steps: int,
    rounds: int,
    steps_per_round: int,
    n_generate: int = 500,
    threshold: float = 0.5,
    replace_max: int = 200,
    run_dir: str | Path | None = None,
    progress: bool = False,
    judge: Scorer | None = None,
    judge_name: str | None = None,
) -> FeedbackResult:
    """Train on ``dataset``, then ``rounds`` of score → replace oldest → train.

    Args:
        cfg: resolved config (unconditional; its ``steps`` is ignored).
        dataset: the starting real set (e.g. ``amp`` with ``subset=nonamp``), as
            ``SequencesDomain().load`` returns it: the loop trains on its training part only,
            so :func:`evaluate_final` can score the result on its untouched test part.
        scorer: cached, budgeted oracle; higher is better.
        pretrain_steps: generator steps before the first round.
        rounds: feedback rounds; each trains ``steps_per_round`` more steps.
        n_generate: samples scored per round.
        threshold: score that counts as positive (and is needed to enter the training set).
        replace_max: at most this many training rows replaced per round.
        run_dir: if given, ``feedback.jsonl`` (the history) is written there.
        judge: an oracle independent of ``scorer``'s (another model, trained on other rows)
            that scores the same samples every round (``judge_positive_fraction``,
            ``judge_mean_score``) and so the reported ``gain``; it never steers the loop.
        judge_name: how the result names the judge (default: its repr).
    """
    from scigan.domains.sequences import SequencesDomain

    if dataset.conditions is not None:
        raise ConfigError("the feedback loop trains unconditional models; drop the condition")
    if isinstance(dataset, SequenceDataset) and dataset.part != TRAIN:
        raise ConfigError(
            f"the feedback loop got the {dataset.part} part of {dataset.name}; pass the dataset "
            "SequencesDomain().load returns (it trains on the training part)"
        )
    if judge is not None:
        _check_independent(scorer, judge)
    if model_option(cfg.options) != "direct" or "model" not in cfg.options:
        raise ConfigError(
            "the feedback loop trains the direct (one-hot) GAN: resolve the config with "
            "options={'model': 'direct'} (its defaults; the shipped latent GAN's codes are not "
            "re-encoded as rows are replaced)"
        )
    domain = SequencesDomain()
    torch.manual_seed(cfg.seed)
    encoder = domain.make_encoder(cfg).fit(dataset)
    if not isinstance(encoder, SequenceEncoder):  # pragma: no cover - make_encoder's contract
        raise TypeError("expected a SequenceEncoder")
    current = list(dataset.samples)
    original = set(current)
    data = encoder.encode(current)
    torch.manual_seed(cfg.seed)
    problem = Problem(
        G=domain.build_generator(cfg, encoder),
        D=domain.build_discriminator(cfg, encoder),
        data=data,
        cond=None,
        z_dim=cfg.net.z_dim,
        loss=make_loss(cfg.objective.loss),
        regularisers=make_regularisers(cfg.objective),
    )
    state = train(cfg.replace({"steps": pretrain_steps}), problem, None, progress=progress)
    history: list[dict[str, Any]] = []
    oldest = 0  # FIFO pointer: rows are replaced in their original order
    log = Path(run_dir) / "feedback.jsonl" if run_dir is not None else None
    for r in range(rounds + 1):
        gen = _generate(state.ema.shadow, encoder, cfg.net.z_dim, n_generate, cfg.seed + 1000 + r)
        scores = scorer(gen)
        scored = ~np.isnan(scores)
        row = {
            "round": r,
            "step": state.step,
            "positive_fraction": float((scores[scored] >= threshold).mean())
            if scored.any()
            else None,
            "mean_score": float(scores[scored].mean()) if scored.any() else None,
            "unique_fraction": sm.unique_fraction(gen),
            "diversity": sm.mean_pairwise_distance(gen, pairs=200, seed=r),
            "novel_fraction": float(np.mean([s not in original for s in gen])),
            "oracle_calls": scorer.calls,
            "train_positive_fraction": None,
            "replaced": 0,
            "judge_positive_fraction": None,
            "judge_mean_score": None,
        }
        if judge is not None:
            verdict = np.asarray(judge(gen), dtype=np.float64)
            judged = ~np.isnan(verdict)
            if judged.any():
                row["judge_positive_fraction"] = float((verdict[judged] >= threshold).mean())
                row["judge_mean_score"] = float(verdict[judged].mean())
        if r < rounds and not scorer.exhausted:
            have = set(current)
            cand = sorted(
                {
                    s: sc
                    for s, sc in zip(gen, scores, strict=True)
                    if s and sc >= threshold and s not in have
                }.items(),
                key=lambda kv: -kv[1],
            )[:replace_max]
            if cand:
                rows = [(oldest + i) % len(current) for i in range(len(cand))]
                oldest = (oldest + len(cand)) % len(current)
                for i, (s, _) in zip(rows, cand, strict=True):
                    current[i] = s
                problem.data = problem.data.clone()
                problem.data[rows] = encoder.encode([s for s, _ in cand])
            row["replaced"] = len(cand)
        train_scores = scorer.cache
        known = [train_scores[s] for s in current if s in train_scores]
        row["train_positive_fraction"] = (
            float(np.mean(np.asarray(known) >= threshold) * len(known) / len(current))
            if known
            else 0.0
        )
        history.append(row)
        if log is not None:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
        if r == rounds or scorer.exhausted:
            break
        state = train(
            cfg.replace({"steps": state.step + steps_per_round}),
            problem,
            None,
            state=state,
            progress=progress,
        )
    scored_by = None if judge is None else (judge_name or repr(judge))
    return FeedbackResult(history, state, encoder, current, repr(scorer.oracle), scored_by)


def evaluate_final(
    result: FeedbackResult, dataset: Dataset, *, z_dim: int, n: int, seed: int
) -> MetricResult:
    """The loop's final generator scored like any model: against the test part of ``dataset``
    (the split the loop trained on; never used by the loop), memorisation against its training
    part (the fed-back rows are generated, so they do not count as training data here)."""
    from scigan.domains.sequences import SequencesDomain

    reference = reference_view(dataset, TEST)
    return SequencesDomain().evaluate(
        lambda k, c, s: result.sample(k, seed=s, z_dim=z_dim), reference, n=n, seed=seed
    )
