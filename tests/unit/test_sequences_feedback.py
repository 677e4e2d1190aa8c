"""The feedback loop's scorer cache/budget, peptide features and a tiny end-to-end loop."""

from __future__ import annotations

import numpy as np
import pytest

from scigan.config import TrainConfig
from scigan.domains.base import Dataset
from scigan.domains.sequences import data as sdata
from scigan.domains.sequences.data_files import wheel_dir
from scigan.domains.sequences.feedback import (
    AmpProxyClassifier,
    CachedScorer,
    _check_independent,
    evaluate_final,
    feedback_train,
    independent_amp_oracles,
    peptide_features,
)
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
         "options": {"model": "direct"},
         "n_critic": 1, "loss": "wgan-gp", "log_every": 1000, "eval_every": 0, "threads": 1}
    )  # fmt: skip
    scorer = CachedScorer(lambda s: np.array([x.count("A") / len(x) for x in s]), budget=10_000)
    judged: list[list[str]] = []

    def judge(seqs):  # an independent oracle: sees every round's samples, never steers
        judged.append(list(seqs))
        return np.array([x.count("T") / len(x) for x in seqs])

    with pytest.raises(ConfigError, match="drives the loop"):
        feedback_train(cfg, ds, scorer, pretrain_steps=1, rounds=0, steps_per_round=1,
                       judge=scorer.oracle)  # fmt: skip
    res = feedback_train(
        cfg, ds, scorer, pretrain_steps=2, rounds=2, steps_per_round=2, n_generate=40,
        threshold=0.0, replace_max=5, judge=judge, judge_name="T fraction",
    )  # fmt: skip
    h = res.history
    assert len(judged) == 3 and all(len(g) == 40 for g in judged)
    assert res.scored_by == "T fraction" and "CachedScorer" not in res.driven_by
    for r, g in zip(h, judged, strict=True):
        expect = np.array([x.count("T") / len(x) for x in g])
        assert r["judge_mean_score"] == pytest.approx(expect.mean())
    assert res.gain == h[-1]["judge_positive_fraction"] - h[0]["judge_positive_fraction"]
    assert res.driver_gain == h[-1]["positive_fraction"] - h[0]["positive_fraction"]
    assert res.summary()["scored_by"] == "T fraction"
    assert [r["round"] for r in h] == [0, 1, 2] and [r["step"] for r in h] == [2, 4, 6]
    assert h[0]["replaced"] == 5 and h[-1]["replaced"] == 0
    assert res.final_data[10:] == seqs[10:]  # only the 10 oldest rows were replaced
    assert scorer.calls <= 120
    for r in h:
        assert 0 <= r["positive_fraction"] <= 1 and 0 <= r["unique_fraction"] <= 1


def test_feedback_trains_on_the_train_part_and_is_scored_on_the_test_part(monkeypatch):
    from scigan.domains.sequences import SequencesDomain
    from scigan.domains.sequences import metrics as sm

    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), 12)) for _ in range(100)]
    ds = SequencesDomain().load(seqs, options={}, seed=0)  # 80 / 10 / 10
    cfg = TrainConfig(domain="sequences").replace(
        {"z_dim": 8, "g_width": 8, "d_width": 8, "g_depth": 1, "d_depth": 1, "batch_size": 16,
         "options": {"model": "direct"},
         "n_critic": 1, "loss": "wgan-gp", "log_every": 1000, "eval_every": 0, "threads": 1}
    )  # fmt: skip
    scorer = CachedScorer(lambda s: np.array([x.count("A") / len(x) for x in s]), budget=10_000)
    test_view = SequencesDomain().evaluation_reference(ds)
    with pytest.raises(ConfigError, match="the test part"):
        feedback_train(cfg, test_view, scorer, pretrain_steps=1, rounds=0, steps_per_round=1)
    res = feedback_train(cfg, ds, scorer, pretrain_steps=2, rounds=1, steps_per_round=2,
                         n_generate=20, threshold=0.0, replace_max=5)  # fmt: skip
    assert len(res.final_data) == 80 and res.final_data[5:] == ds.samples[5:]
    seen = {}

    def spy(gen, a, b, train, rest, info, seed, *, floor_queries=None, **kw):
        seen.update(gen=gen, a=a, train=train)
        return {}

    monkeypatch.setattr(sm, "evaluate_sets", spy)
    evaluate_final(res, ds, z_dim=8, n=50, seed=0)
    assert set(seen["a"]) == set(ds.test) and seen["train"] == ds.samples  # not the fed-back rows
    assert seen["gen"] == res.sample(10, seed=0, z_dim=8)


def test_figures_for_dna_and_protein():
    dna = Dataset("d", ["ACGTAC", "GGCCAA", "TTGACA"], None, {"alphabet": "ACGT"})
    figs = make_figures(["ACGTTT", "GGGCAA"], dna)
    assert any("k-mer" in t for t in figs) and any("GC" in t for t in figs)
    prot = Dataset("p", ["KLAKLAK", "GIGKF"], None, {"alphabet": "ACDEFGHIKLMNPQRSTVWY"})
    figs = make_figures(["KKLLA", "GIGAV"], prot)
    assert any("Peptide" in t for t in figs)


@pytest.mark.skipif(
    not (wheel_dir() / sdata.MODLAMP_WHEEL).is_file(), reason="modlamp wheel not downloaded"
)
def test_the_judge_is_another_model_trained_on_other_rows():
    import copy

    driver, judge = independent_amp_oracles(seed=0)
    assert judge is not driver and type(judge.model_) is not type(driver.model_)
    assert (driver.model, judge.model) == ("logistic", "forest")
    assert len(np.intersect1d(driver.train_rows_, judge.train_rows_)) == 0
    assert driver.train_sequences_.isdisjoint(judge.train_sequences_)
    assert driver.n_train_ + judge.n_train_ == len(sdata.amp_records(50)[0])
    assert driver.test_auc_ > 0.8 and judge.test_auc_ > 0.8
    scorer = CachedScorer(driver, budget=10)
    _check_independent(scorer, judge)  # accepted
    with pytest.raises(ConfigError, match=r"share .* training peptides"):
        _check_independent(scorer, copy.copy(driver))  # another object, the same rows
    with pytest.raises(ConfigError, match="drives the loop"):
        _check_independent(scorer, CachedScorer(driver, budget=10))
    with pytest.raises(ConfigError, match="model="):
        AmpProxyClassifier(model="svm").fit()
