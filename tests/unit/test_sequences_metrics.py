"""Sequence metrics against closed forms and known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scigan.domains.sequences import metrics as sm
from scigan.domains.sequences.data import is_orf


def test_kmer_counts_small_case():
    c = sm.kmer_counts(["ACGT", "AA"], "ACGT", 2)
    # AC, CG, GT from the first; AA from the second; index = 4·first + second
    expect = np.zeros(16)
    expect[[1, 6, 11, 0]] = 1
    assert np.array_equal(c, expect)
    assert sm.kmer_counts(["AC"], "ACGT", 3).sum() == 0  # too short for a 3-mer


def test_jsd_identical_zero_disjoint_one_and_symmetric():
    seqs = ["ACGTTGCA", "GGGAAACC"]
    for k in range(1, 7):
        c = sm.kmer_counts(seqs, "ACGT", k)
        assert sm.jsd(c, c) == 0.0
    assert sm.jsd(np.array([1.0, 0]), np.array([0, 1.0])) == pytest.approx(1.0)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.1, 0.3])
    assert sm.jsd(p, q) == pytest.approx(sm.jsd(q, p))
    # closed form for p = (1, 0), q = (½, ½): JSD = 1 − ¾·log2(4/3) … computed directly
    m = np.array([0.75, 0.25])
    expect = 0.5 * math.log2(1 / 0.75) + 0.5 * (0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(2))
    assert sm.jsd(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(expect)
    assert m.sum() == 1


@pytest.mark.parametrize(
    ("seq", "valid"),
    [
        ("ATGAAATAA", True),
        ("ATGTAG", True),
        ("ATGAAATGATAA", False),  # in-frame internal stop (TGA)
        ("ATGAATGAATAA", True),  # TGA out of frame is fine
        ("ATGAAATA", False),  # not a multiple of 3
        ("TTGAAATAA", False),  # no ATG start
        ("ATGAAAAAA", False),  # no stop
        ("ATG", False),
    ],
)
def test_orf_validator_known_cases(seq, valid):
    assert is_orf(seq) is valid


def test_gc_validity_unique_and_period3():
    assert sm.gc_content(["GGCC", "ATAT", "GATC"]).tolist() == [1.0, 0.0, 0.5]
    assert sm.validity(["ACGT", "ACNT", "AC"], "ACGT", 3, 4) == pytest.approx(1 / 3)
    assert sm.unique_fraction(["A", "A", "C", "G"]) == 0.75
    # a pure codon repeat: same base at lag 3 always, at lags 2 and 4 never
    assert sm.period3_excess(["ACG" * 20]) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    iid = ["".join(rng.choice(list("ACGT"), 300)) for _ in range(50)]
    assert abs(sm.period3_excess(iid)) < 0.02


def test_peptide_properties_closed_forms():
    # Biopython's documented examples (Bio.SeqUtils.IsoelectricPoint docstring)
    assert sm.isoelectric_point(["INGAR", "PETER"]) == pytest.approx([9.75, 4.53], abs=0.005)
    assert sm.net_charge(["INGAR"])[0] == pytest.approx(0.76, abs=0.005)
    # poly-K at pH 7 by hand, Bjellqvist pK: n·1/(1+10^(7−10)) + N-term (7.5) − C-term (3.55)
    n = 5
    expect = n / (1 + 10 ** (7 - 10.0)) + 1 / (1 + 10 ** (7 - 7.5)) - 1 / (1 + 10 ** (3.55 - 7))
    assert sm.net_charge(["K" * n])[0] == pytest.approx(expect)
    pi = sm.isoelectric_point(["GKDE", "KKKK", "DDDD"])
    assert sm.net_charge(["GKDE"], ph=pi[0])[0] == pytest.approx(0, abs=1e-3)
    assert pi[1] > 10 and pi[2] < 4.5
    assert sm.net_charge([""])[0] == 0.0 and sm.isoelectric_point([""])[0] == 7.0
    assert sm.hydrophobicity(["IL"])[0] == pytest.approx((1.38 + 1.06) / 2)
    # moment of a homopolymer: h·|Σ e^{inδ}|/N, a geometric series
    N, d = 7, np.deg2rad(100)
    geo = abs((1 - np.exp(1j * N * d)) / (1 - np.exp(1j * d))) / N
    assert sm.hydrophobic_moment(["L" * N])[0] == pytest.approx(1.06 * geo)


def test_charge_and_pi_are_biopythons_and_the_metrics_use_them():
    from Bio.SeqUtils.IsoelectricPoint import IsoelectricPoint

    peptides = ["KLAKLAKKLAKLAK", "GIGAVLKVLTTGLPALISWIKRKRQQ", "DDEEGS", "MHHHHHHC"]
    assert sm.net_charge(peptides).tolist() == [
        IsoelectricPoint(s).charge_at_pH(7.0) for s in peptides
    ]
    assert sm.isoelectric_point(peptides).tolist() == [IsoelectricPoint(s).pi() for s in peptides]
    info = {"alphabet": sm.PROTEIN, "kind": "user", "max_len": 26}
    gen, a, b = peptides[:2], peptides[2:], peptides[1:3]
    m = sm.evaluate_sets(gen, a, b, peptides, peptides, info, seed=0)
    charge = [IsoelectricPoint(s).charge_at_pH(7.0) for s in gen]
    pi = [IsoelectricPoint(s).pi() for s in gen]
    assert m["charge_w1"]["mean"] == pytest.approx(np.mean(charge))
    assert m["isoelectric_point_w1"]["mean"] == pytest.approx(np.mean(pi))


def test_charge_without_biopython_names_the_extra(monkeypatch):
    import sys

    from scigan.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "Bio.SeqUtils.IsoelectricPoint", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'scigan\[bio\]'"):
        sm.net_charge(["KLAK"])
    with pytest.raises(MissingDependencyError, match="scigan"):
        sm.isoelectric_point(["KLAK"])


def test_nearest_identity_exact_copy_and_one_mismatch():
    pool = ["ACGTACGTACGTACGTACGT", "TTTTTGGGGGCCCCCAAAAA"]
    q = ["ACGTACGTACGTACGTACGT", "ACGTACGTACGTACGTACGA"]
    ident = sm.nearest_identity(q, pool, "ACGT")
    assert ident[0] == 1.0 and ident[1] == pytest.approx(19 / 20)
    prot = sm.nearest_identity(["KLAKLAKKLAKLAK"], ["KLAKLAKKLAKLAK", "GIGAVLK"], sm.PROTEIN)
    assert prot[0] == 1.0


def test_pairwise_distance_is_edit_distance():
    assert sm.mean_pairwise_distance(["AAAA", "AAAA"], pairs=10) == 0.0
    assert sm.mean_pairwise_distance(["AAAA", "AAAT"], pairs=10) == pytest.approx(0.25)
    assert sm.mean_pairwise_distance(["AAAA", "AA"], pairs=10) == pytest.approx(0.5)


def test_classifier_auc_separable_and_identical():
    rng = np.random.default_rng(0)
    a = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(200)]
    b = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(200)]
    at_rich = ["".join(rng.choice(list("AT"), 30)) for _ in range(200)]
    assert sm.cnn_classifier_auc(a, at_rich, "ACGT", epochs=3, width=8) > 0.95
    assert abs(sm.cnn_classifier_auc(a, b, "ACGT", epochs=3, width=8) - 0.5) < 0.12


def test_evaluate_sets_on_a_copy_of_the_reference():
    from scigan.domains.sequences.metrics import evaluate_sets

    rng = np.random.default_rng(1)
    train = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(120)]
    a, b, rest = train[:40], train[40:80], train[:40] + train[80:]
    info = {"alphabet": "ACGT", "kind": "user", "max_len": 30}
    m = evaluate_sets(list(a), a, b, train, rest, info, seed=0)
    for k in range(1, 7):
        assert m[f"kmer_jsd_{k}"]["value"] == 0.0 and m[f"kmer_jsd_{k}"]["floor"] > 0
    assert m["exact_copy_fraction"]["value"] == 1.0 and m["exact_copy_fraction"]["floor"] == 0.0
    assert m["nearest_identity"]["value"] == 1.0 and m["nearest_identity"]["floor"] < 0.9
    assert m["gc_w1"]["value"] == 0.0 and m["validity"]["value"] == 1.0
    assert "orf_validity" not in m and "charge_w1" not in m


def test_peptide_properties_average_draws_of_the_same_size_on_both_sides(monkeypatch):
    from scigan.domains.base import Dataset
    from scigan.domains.sequences import data as sdata

    monkeypatch.setattr(sm, "cnn_classifier_auc", lambda *a, **k: 0.5)  # not tested here
    rng = np.random.default_rng(3)
    peps = ["".join(rng.choice(list(sm.PROTEIN), int(rng.integers(8, 20)))) for _ in range(400)]
    ds = sdata.split_dataset(Dataset("p", peps, None, {"alphabet": sm.PROTEIN}), 0, {})
    ref = sdata.reference_view(ds, sdata.TEST)
    calls = []

    def sample(m, cond, seed):  # a generator that draws training peptides, seeded
        calls.append(seed)
        pick = np.random.default_rng(seed).permutation(len(ds.samples))[:m]
        return [ds.samples[i] for i in pick]

    m = sm.evaluate(sample, ref, n=20, seed=5)
    assert calls == [5 + sm.DRAW_SEED * j for j in range(sm.DRAWS)]
    held = list(ref.samples)
    n = min(20, len(held))
    r = np.random.default_rng(5)
    a = [held[i] for i in r.permutation(len(held))[:n]]
    first_b = [ds.samples[i] for i in r.permutation(len(ds.samples))[:n]]
    bs = [first_b] + [[ds.samples[i] for i in r.permutation(len(ds.samples))[:n]]
                      for _ in range(sm.DRAWS - 1)]  # fmt: skip
    gens = [sample(n, None, 5 + sm.DRAW_SEED * j) for j in range(sm.DRAWS)]
    copies = m[sm.EXACT_COPY]  # the generator draws training peptides: every one a copy
    assert copies["copies"] == n and copies["value"] == 1.0
    assert copies["copies_all_draws"] == copies["counted_all_draws"] == n * sm.DRAWS
    for name, fn in sm.PEPTIDE_PROPERTIES.items():
        e = m[f"{name}_w1"]
        vg = [sm.w1(fn(g), fn(a)) for g in gens]
        vb = [sm.w1(fn(b), fn(a)) for b in bs]
        assert e["draws"] == sm.DRAWS and e["n"] == n
        assert e["value"] == pytest.approx(np.mean(vg)) and e["floor"] == pytest.approx(np.mean(vb))
        assert e["value_first"] == pytest.approx(vg[0]) and e["floor_first"] == pytest.approx(vb[0])


def test_test_part_kmer_spectra_average_the_draws(monkeypatch):
    from scigan.domains.base import Dataset
    from scigan.domains.sequences import data as sdata

    monkeypatch.setattr(sm, "cnn_classifier_auc", lambda *a, **k: 0.5)  # not tested here
    rng = np.random.default_rng(4)
    seqs = ["".join(rng.choice(list("ACGT"), 24)) for _ in range(300)]
    ds = sdata.split_dataset(Dataset("d", seqs, None, {"alphabet": "ACGT"}), 0, {})

    def sample(m, cond, seed):
        return ["".join(r) for r in np.random.default_rng(seed).choice(list("ACGT"), (m, 24))]

    test = sdata.reference_view(ds, sdata.TEST)
    m = sm.evaluate(sample, test, n=25, seed=2)
    held = list(test.samples)
    n = min(25, len(held))
    r = np.random.default_rng(2)
    a = [held[i] for i in r.permutation(len(held))[:n]]
    bs = [[ds.samples[i] for i in r.permutation(len(ds.samples))[:n]] for _ in range(sm.DRAWS)]
    gens = [sample(n, None, 2 + sm.DRAW_SEED * j) for j in range(sm.DRAWS)]
    for k in (1, 3):
        ca = sm.kmer_counts(a, "ACGT", k)
        e = m[f"kmer_jsd_{k}"]
        assert e["draws"] == sm.DRAWS
        assert e["value"] == pytest.approx(np.mean([sm.jsd(sm.kmer_counts(g, "ACGT", k), ca)
                                                    for g in gens]))  # fmt: skip
        assert e["floor"] == pytest.approx(np.mean([sm.jsd(sm.kmer_counts(b, "ACGT", k), ca)
                                                    for b in bs]))  # fmt: skip
    val = sm.evaluate(sample, sdata.reference_view(ds, sdata.VALIDATION), n=25, seed=2)
    assert "draws" not in val["kmer_jsd_1"] and val[sm.FIDELITY]["draws"] == 1
