"""Oracle-guided design: the feedback GAN loop (FBGAN, Gupta & Zou 2019, Nat. Mach. Intell.).

Every round, the generator's samples are scored by an oracle (any ``list[str] -> scores``
callable); the best new sequences scoring at least ``threshold`` replace the *oldest* rows of
the training set, and training continues. Each round records the oracle-positive fraction of
fresh samples together with unique fraction, diversity and novelty, so that collapse onto a few
high-scoring sequences is visible rather than hidden in a rising curve.

The built-in oracle :class:`AmpProxyClassifier` is a **proxy**: a logistic regression on
composition and physicochemical descriptors, trained on the modlamp AMP-vs-UniProt peptides.
It predicts what separates those two lists, not measured antimicrobial activity.

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
from scigan.domains.base import Dataset
from scigan.domains.sequences import metrics as sm
from scigan.domains.sequences.encoding import PROTEIN, SequenceEncoder
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


class AmpProxyClassifier:
    """P(AMP) from a logistic regression on :func:`peptide_features` (a proxy oracle).

    Trained on the deduplicated modlamp AMPvsUniProt peptides (≤ ``max_len`` aa) with an 80/20
    split; ``test_auc_`` is the held-out ROC-AUC, reported next to every feedback run.
    """

    def __init__(self, *, max_len: int = 50, seed: int = 0) -> None:
        self.max_len, self.seed = max_len, seed

    def fit(self) -> AmpProxyClassifier:
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from scigan.domains.sequences.data import amp_records

        seqs, y, _ = amp_records(self.max_len)
        x = peptide_features(seqs)
        perm = np.random.default_rng(self.seed).permutation(len(y))
        cut = int(0.8 * len(y))
        tr, te = perm[:cut], perm[cut:]
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
        self.model_.fit(x[tr], y[tr])
        self.test_auc_ = float(roc_auc_score(y[te], self.model_.predict_proba(x[te])[:, 1]))
        self.n_train_ = len(tr)
        return self

    def __call__(self, seqs: Sequence[str]) -> np.ndarray:
        if not seqs:
            return np.zeros(0)
        return self.model_.predict_proba(peptide_features(seqs))[:, 1]


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
    """History (one dict per round, round 0 = before any feedback), final state, encoder."""

    history: list[dict[str, Any]]
    state: TrainState
    encoder: SequenceEncoder
    final_data: list[str] = field(default_factory=list)

    def sample(self, n: int, *, seed: int, z_dim: int) -> list[str]:
        return _generate(self.state.ema.shadow, self.encoder, z_dim, n, seed)


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
) -> FeedbackResult:
    """Train on ``dataset``, then ``rounds`` of score → replace oldest → train.

    Args:
        cfg: resolved config (unconditional; its ``steps`` is ignored).
        dataset: the starting real set (e.g. ``amp`` with ``subset=nonamp``).
        scorer: cached, budgeted oracle; higher is better.
        pretrain_steps: generator steps before the first round.
        rounds: feedback rounds; each trains ``steps_per_round`` more steps.
        n_generate: samples scored per round.
        threshold: score that counts as positive (and is needed to enter the training set).
        replace_max: at most this many training rows replaced per round.
        run_dir: if given, ``feedback.jsonl`` (the history) is written there.
    """
    from scigan.domains.sequences import SequencesDomain

    if dataset.conditions is not None:
        raise ConfigError("the feedback loop trains unconditional models; drop the condition")
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
        }
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
    return FeedbackResult(history, state, encoder, current)
