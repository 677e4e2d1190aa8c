"""Built-in sequence datasets: planted motif rates, ORFs, Markov, ecoli and amp loaders."""

from __future__ import annotations

import numpy as np
import pytest

from scigan.domains.sequences import data as sdata
from scigan.domains.sequences import motifs as mt
from scigan.domains.sequences.data_files import MODLAMP_WHEEL_HINT, ecoli_fasta, wheel_dir
from scigan.domains.sequences.encoding import one_hot
from scigan.errors import DataError

HAS_JASPAR = (wheel_dir() / mt.JASPAR_WHEEL).is_file()
HAS_MODLAMP = (wheel_dir() / sdata.MODLAMP_WHEEL).is_file()


def _has_ecoli() -> bool:
    try:
        ecoli_fasta()
    except DataError:
        return False
    return True


def _toy_motif() -> mt.Motif:
    # a deterministic 8-bp motif (all counts on one base): every sampled site is the consensus
    counts = np.zeros((4, 8))
    counts[[0, 1, 2, 3, 3, 2, 1, 0], np.arange(8)] = 10
    return mt.Motif("TOY.1", "toy", counts)


def test_planted_motif_rate_and_positions():
    motif = _toy_motif()
    n, rate = 4000, 0.3
    seqs, planted, starts = sdata.planted_motif_sequences(
        [motif], n, 60, rate, (10, 20), 0.5, seed=0
    )
    assert len(seqs) == n and {len(s) for s in seqs} == {60}
    # binomial: |p̂ − p| < 4 σ
    assert abs(planted.mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / n)
    pos = starts[planted[:, 0], 0]
    assert pos.min() >= 10 and pos.max() <= 20
    for i in np.flatnonzero(planted[:, 0])[:50]:
        assert seqs[i][starts[i, 0] : starts[i, 0] + 8] == motif.consensus
    score, where = mt.scan(one_hot(seqs, "ACGT", 60), motif)
    hit = score >= 1.0  # exact consensus
    # every planted site is found; background chance hits are ~ 53 windows × 4⁻⁸
    assert hit[planted[:, 0]].all()
    assert hit[~planted[:, 0]].mean() < 0.01
    assert (where[planted[:, 0]] == pos).mean() > 0.99


def test_scan_relative_score_bounds():
    motif = _toy_motif()
    s, p = mt.scan(one_hot(["AAAA" + motif.consensus + "AAAA"], "ACGT", 16), motif)
    assert s[0] == pytest.approx(1.0) and p[0] == 4
    s, _ = mt.scan(one_hot(["ACG"], "ACGT", 3), motif)
    assert s[0] == -np.inf


@pytest.mark.skipif(not HAS_JASPAR, reason="pyjaspar wheel not downloaded")
def test_jaspar_motif_dataset_hit_fraction_near_planted_rate():
    ds = sdata.load_motif({"n": 2000}, seed=0)
    motif = mt.load_motif("MA0139.1")
    assert motif.name.upper() == "CTCF" and motif.width == 19
    score, _ = mt.scan(one_hot(ds.samples, "ACGT", 100), motif)
    assert abs((score >= 0.8).mean() - 0.5) < 0.04


@pytest.mark.skipif(not HAS_JASPAR, reason="pyjaspar wheel not downloaded")
def test_motif_truth_is_the_simulators_hit_fraction_not_the_planted_rate():
    info = sdata.load_motif({"n": 10}, seed=0).info
    ((truth, se),) = sdata.motif_truth(info, n=40_000)
    # an independent draw of the same simulator agrees within 4 combined standard errors
    ds = sdata.load_motif({"n": 20_000}, seed=11)
    score, _ = mt.scan(one_hot(ds.samples, "ACGT", 100), mt.load_motif("MA0139.1"))
    draw = (score >= 0.8).mean()
    assert abs(draw - truth) < 4 * np.hypot(se, np.sqrt(draw * (1 - draw) / 20_000))
    # planted sites that miss the threshold and chance hits in the background: above 0.5
    assert truth > 0.5 + 4 * se
    # exact ends: every complete window reaches relative score 0, none exceeds 1
    assert sdata.motif_truth({**info, "threshold": 0.0}, n=2000) == [(1.0, 0.0)]
    assert sdata.motif_truth({**info, "threshold": 1.01}, n=2000) == [(0.0, 0.0)]


def test_orf_dataset_all_valid_and_codon_lengths():
    ds = sdata.load_orf({"n": 300, "min_codons": 10, "max_codons": 20}, seed=1)
    assert all(sdata.is_orf(s) for s in ds.samples)
    assert {len(s) // 3 for s in ds.samples} <= set(range(10, 21)) and ds.info["variable"]


def test_markov_dataset_info_rebuilds_the_chain():
    ds = sdata.load_markov({"n": 50, "length": 30, "order": 2}, seed=0)
    chain = sdata.markov_chain(ds.info)
    assert chain.order == 2 and np.isfinite(chain.log_likelihood(ds.samples)).all()


def test_unknown_option_is_an_error():
    with pytest.raises(DataError, match="unknown option"):
        sdata.load_orf({"lenght": 3}, seed=0)


def test_missing_genome_message(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIGAN_ECOLI_FASTA", str(tmp_path / "nope.fna.gz"))
    with pytest.raises(DataError, match="apt-get install bowtie-examples"):
        sdata.load_ecoli({}, seed=0)


def test_missing_wheel_message(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIGAN_DATA", str(tmp_path))
    with pytest.raises(DataError, match=MODLAMP_WHEEL_HINT):
        sdata.load_amp({}, seed=0)


@pytest.mark.skipif(not _has_ecoli(), reason="bowtie-examples not installed")
def test_ecoli_windows():
    ds = sdata.load_ecoli({}, seed=0)
    assert ds.info["genome_bp"] == 4_938_920
    assert len(ds.samples) == 49_389 and {len(s) for s in ds.samples[:100]} == {100}
    gc = np.mean([(s.count("G") + s.count("C")) / 100 for s in ds.samples])
    assert gc == pytest.approx(0.505, abs=0.002)


@pytest.mark.skipif(not HAS_MODLAMP, reason="modlamp wheel not downloaded")
def test_amp_dedup_and_length_filter():
    ds = sdata.load_amp({}, seed=0)
    assert len(set(ds.samples)) == len(ds.samples)
    assert max(len(s) for s in ds.samples) <= 50 and ds.info["unique"] < ds.info["rows"]
    both = sdata.load_amp({"subset": "all", "condition": "label"}, seed=0)
    assert set(both.conditions) == {"amp", "nonamp"}
