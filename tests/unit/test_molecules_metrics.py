"""MOSES metric maths on known molecules: closed forms, identities, known values."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("selfies")

from scigan.domains.molecules.data import moses_data_available

if not moses_data_available():
    pytest.skip(
        "MOSES wheel data missing: bash scripts/fetch_molecules_data.sh", allow_module_level=True
    )

from scigan.domains.molecules import chem
from scigan.domains.molecules import metrics as M

FIXTURE = Path(__file__).parents[1] / "fixtures" / "molecules" / "moses_test_1k.smi"
SET = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CN1CCC[C@H]1c1cccnc1", "O=C(O)c1ccccc1O",
       "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "c1ccc2c(c1)ccc1ccccc12", "CCN(CC)CC"]  # fmt: skip


@pytest.fixture(scope="module")
def real():
    """600 MOSES test molecules with ChemNet activations (full-rank 512-d covariance)."""
    m = M.Molecules.from_smiles(FIXTURE.read_text().split()[:600])
    assert m.chemnet.shape == (600, 512)
    return m


def test_canonical_and_validity():
    assert chem.canonical("OCC") == chem.canonical("C(O)C") == "CCO"
    for bad in ("", "C1CC", "c1ccccc", "C(C", "Xx", "C=1=C"):
        assert chem.canonical(bad) is None
    m = M.Molecules.from_smiles(["CCO", "C1CC", "", "c1ccccc1"])
    assert m.n_input == 4 and m.smiles == ["CCO", "c1ccccc1"]
    out = M.moses_metrics(["CCO", "C1CC", "", "OCC"], {}, ks=(3,), alerts=False)
    assert out["valid"] == 0.5


def test_uniqueness_of_duplicates():
    assert M.fraction_unique(["CCO", "CCO", "CCN", "CCN"], 4) == 0.5
    assert M.fraction_unique(["CCO", "CCN", "CCC", "CCO"], 3) == 1.0  # first k only
    out = M.moses_metrics(["CCO", "OCC", "C(O)C", "CCN"], {}, ks=(4,), alerts=False)
    assert out["unique@4"] == 0.5  # canonicalised before counting


def test_internal_diversity_of_identical_molecules_is_zero():
    fps = M.Molecules.from_smiles(["c1ccccc1O"] * 5).fps
    assert M.internal_diversity(fps, 1) == pytest.approx(0.0, abs=1e-12)
    assert M.internal_diversity(fps, 2) == pytest.approx(0.0, abs=1e-12)


def test_tanimoto_matches_rdkit():
    from rdkit import DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    m = M.Molecules.from_smiles(SET)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    bv = [gen.GetFingerprint(x) for x in m.mols]
    full = np.array([DataStructs.BulkTanimotoSimilarity(b, bv) for b in bv])  # (ref, gen)
    assert M.tanimoto_agg(m.fps, m.fps, agg="mean") == pytest.approx(full.mean(0), abs=1e-6)
    off = full - np.eye(len(SET)) * 2  # exclude self: nearest other molecule
    ref, gen_ = m.fps[1:], m.fps[:1]
    assert M.snn(ref, gen_) == pytest.approx(off[1:, 0].max(), abs=1e-6)
    expect = 1 - ((full**2).mean(0) ** 0.5).mean()
    assert M.internal_diversity(m.fps, 2) == pytest.approx(expect, abs=1e-6)


def test_frechet_of_identical_statistics_is_zero(real):
    act = real.chemnet
    ref = M.ReferenceStats(act.mean(0), np.cov(act.T), real.fps, Counter(), Counter(), {})
    assert M.fcd(ref, act) == pytest.approx(0.0, abs=1e-6)
    assert M.fcd(ref, act[:300]) > 0.05  # a subsample differs (FCD is biased at small N)
    shifted = act + 0.1
    assert M.fcd(ref, shifted) == pytest.approx(0.01 * 512, rel=1e-6)  # ||Δμ||², same Σ


def test_cosine_similarity_float64_no_overflow():
    a = Counter({"x": 3_000_000, "y": 4_000_000})
    b = Counter({"x": 3_000_000, "y": 4_000_000, "z": 1})
    assert M.cos_similarity(a, a) == pytest.approx(1.0, abs=1e-15)
    expected = 25e12 / (5e6 * np.sqrt(25e12 + 1))
    assert M.cos_similarity(a, b) == pytest.approx(expected, rel=1e-15)
    assert M.cos_similarity(a, b) < 1.0  # integer-overflow-free: not rounded up to 1
    assert np.isnan(M.cos_similarity(Counter(), a))


def test_fragments_and_scaffolds_known():
    mol = chem.get_mol("CC(=O)Nc1ccc(O)cc1")  # paracetamol: amide bond is a BRICS bond
    frags = M.fragments([mol])
    assert sum(frags.values()) == 2 + 1  # acyl, aniline and the acetamide N–C(=O) split
    scaf = M.scaffolds(M.Molecules.from_smiles(["c1ccc2ccccc2c1C", "c1ccccc1C"]).mols)
    assert scaf == Counter({"c1ccc2ccccc2c1": 1})  # min 2 rings (benzene scaffold dropped)


def test_filters_known_cases():
    smiles = ("c1ccccc1O", "C[N+](C)(C)C", "C1CCCCCCC1", "Ic1ccccc1")
    ok, charged, ring8, iodine = (chem.get_mol(s) for s in smiles)
    assert M.passes_filters(ok)
    assert not M.passes_filters(charged)
    assert not M.passes_filters(ring8)
    assert not M.passes_filters(iodine)
    rhodanine = chem.get_mol("S=C1SC(=Cc2ccccc2)C(=O)N1")  # a classic PAINS (ene_rhod)
    assert not M.passes_filters(rhodanine)
    assert M.alert_flags([rhodanine, ok], "PAINS").tolist() == [True, False]


def test_novelty_and_identical_sets_are_perfect(real):
    ref = M.ReferenceStats.from_molecules(real)
    train = set(real.smiles[:150])
    out = M.moses_metrics(real, {"Test": ref}, train=train, ks=(600,), alerts=False)
    assert out["valid"] == 1.0 and out["unique@600"] == 1.0
    assert out["FCD/Test"] == pytest.approx(0.0, abs=1e-6)
    assert out["SNN/Test"] == pytest.approx(1.0)
    assert out["Frag/Test"] == pytest.approx(1.0) and out["Scaf/Test"] == pytest.approx(1.0)
    for p in M.PROPERTY_METRICS:
        assert out[p] == pytest.approx(0.0, abs=1e-12)
    assert out["Novelty"] == pytest.approx(450 / 600)


def test_properties_known_values():
    mol = chem.get_mol("CCO")
    assert chem.weight(mol) == pytest.approx(46.069, abs=1e-3)
    assert chem.logp(mol) == pytest.approx(-0.0014, abs=1e-3)
    assert 0 < chem.qed(mol) < 1 and 1 <= chem.sa(mol) <= 10
    assert chem.property_name("qed") == "QED" and chem.property_name("MW") == "weight"


def test_frechet_psd_matches_sqrtm():
    from scigan.metrics.frechet import frechet_distance

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 20)), rng.normal(size=(200, 20)) @ rng.normal(size=(20, 20))
    args = (x.mean(0), np.cov(x.T), y.mean(0), np.cov(y.T))
    assert M.frechet_psd(*args) == pytest.approx(frechet_distance(*args), rel=1e-8)
