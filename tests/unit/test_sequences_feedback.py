"""The feedback loop's scorer cache/budget, peptide features and a tiny end-to-end loop."""

from __future__ import annotations

import numpy as np
import pytest

from scigan.config import TrainConfig
from scigan.domains.base import Dataset
from scigan.domains.sequences.feedback import CachedScorer, feedback_train, peptide_features
from scigan.domains.sequences.figures import make_figures
from scigan.errors import ConfigError


def test_cached_scorer_scores_each_sequence_once_and_respects_budget():
    calls: list[list[str]] = []

    def oracle(seqs):
        calls.append(list(seqs))
        return np.array([s.count("A") / len(s) for s in seqs])

    scorer = CachedScorer(oracle, budget=3)
    out = scorer(["AAC", "CCC", "AAC"])
    assert out.tolist() == [2 / 3, 0.0, 2 / 3] and scorer.calls == 2 and calls == [["AAC", "CCC"]]
    out = scorer(["CCC", "GGA", "TTT"])  # CCC cached, GGA fits, TTT over budget
    assert out[0] == 0.0 and out[1] == pytest.approx(1 / 3) and np.isnan(out[2])
    assert scorer.exhausted and scorer.calls == 3
    with pytest.raises(ConfigError):
        CachedScorer(oracle, budget=0)


def test_peptide_features_composition_sums_to_one():
    f = peptide_features(["KLAK", "GG"])
    assert f.shape == (2, 425)
    assert f[:, :20].sum(axis=1) == pytest.approx([1, 1])
    assert f[:, 20:420].sum(axis=1) == pytest.approx([1, 1])
    assert f[1, 20 + 20 * 5 + 5] == 1.0  # the dipeptide GG (G is index 5)


def test_feedback_loop_replaces_oldest_rows_with_high_scorers():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 12)) for _ in range(64)]
    ds = Dataset("toy", seqs, None, {"alphabet": "ACGT", "kind": "user"})
    cfg = TrainConfig(domain="sequences").replace(
        {"z_dim": 8, "g_width": 8, "d_width": 8, "g_depth": 1, "d_depth": 1, "batch_size": 16,
         "n_critic": 1, "loss": "wgan-gp", "log_every": 1000, "eval_every": 0, "threads": 1}
    )  # fmt: skip
    scorer = CachedScorer(lambda s: np.array([x.count("A") / len(x) for x in s]), budget=10_000)
    res = feedback_train(
        cfg, ds, scorer, pretrain_steps=2, rounds=2, steps_per_round=2, n_generate=40,
        threshold=0.0, replace_max=5,
    )  # fmt: skip
    h = res.history
    assert [r["round"] for r in h] == [0, 1, 2] and [r["step"] for r in h] == [2, 4, 6]
    assert h[0]["replaced"] == 5 and h[-1]["replaced"] == 0
    assert res.final_data[10:] == seqs[10:]  # only the 10 oldest rows were replaced
    assert scorer.calls <= 120
    for r in h:
        assert 0 <= r["positive_fraction"] <= 1 and 0 <= r["unique_fraction"] <= 1


def test_figures_for_dna_and_protein():
    dna = Dataset("d", ["ACGTAC", "GGCCAA", "TTGACA"], None, {"alphabet": "ACGT"})
    figs = make_figures(["ACGTTT", "GGGCAA"], dna)
    assert any("k-mer" in t for t in figs) and any("GC" in t for t in figs)
    prot = Dataset("p", ["KLAKLAK", "GIGKF"], None, {"alphabet": "ACDEFGHIKLMNPQRSTVWY"})
    figs = make_figures(["KKLLA", "GIGAV"], prot)
    assert any("Peptide" in t for t in figs)
