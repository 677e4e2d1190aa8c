"""Molecule file reading, validation messages, tokenisers and the n-gram baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("selfies")

from scigan.domains.molecules import chem
from scigan.domains.molecules.baselines import NGramModel
from scigan.domains.molecules.data import read_smiles_file
from scigan.domains.molecules.tokens import Tokenizer, split_smiles
from scigan.errors import DataError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "molecules" / "moses_test_1k.smi"


def _fixture(n: int = 200) -> list[str]:
    return FIXTURE.read_text().split()[:n]


def test_smi_invalid_line_is_reported(tmp_path):
    p = tmp_path / "m.smi"
    p.write_text("smiles\nCCO\nC1CC\n\nc1ccccc1 benzene\nC(C\n")
    with pytest.raises(DataError, match=r"m\.smi: 2 invalid .*line 3: 'C1CC'; line 6: 'C\(C'"):
        read_smiles_file(p)
    smiles, _ = read_smiles_file(p, invalid="skip")
    assert smiles == ["CCO", "c1ccccc1"]


def test_csv_column_detection_and_errors(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("name,SMILES,act\na,OCC,1\nb,c1ccccc1,2\n")
    smiles, frame = read_smiles_file(p)
    assert smiles == ["CCO", "c1ccccc1"] and list(frame.columns) == ["name", "act"]
    p.write_text("name,structure\na,OCC\n")
    with pytest.raises(DataError, match="smiles_column"):
        read_smiles_file(p)
    assert read_smiles_file(p, smiles_column="structure")[0] == ["CCO"]
    p.write_text("smiles\nCCO\nC1CC\n")
    with pytest.raises(DataError, match="line 3: 'C1CC'"):
        read_smiles_file(p)


def test_sdf_and_unsupported(tmp_path):
    Chem = chem.require_rdkit()
    p = tmp_path / "m.sdf"
    with Chem.SDWriter(str(p)) as w:
        for s in ("CCO", "c1ccccc1N"):
            w.write(Chem.MolFromSmiles(s))
    assert read_smiles_file(p)[0] == ["CCO", "Nc1ccccc1"]
    with pytest.raises(DataError, match="unsupported file type"):
        read_smiles_file(tmp_path / "x.json") if (tmp_path / "x.json").touch() is None else None


def test_smiles_tokens_round_trip():
    for s in _fixture():
        assert "".join(split_smiles(s)) == s
    assert split_smiles("C[C@@H](Cl)Br%10") == ["C", "[C@@H]", "(", "Cl", ")", "Br", "%10"]
    with pytest.raises(DataError):
        split_smiles("C&C")


@pytest.mark.parametrize("alphabet", ["smiles", "selfies"])
def test_tokenizer_ids_round_trip(alphabet):
    smiles = _fixture()
    tok = Tokenizer(alphabet)
    symbols = [tok.split(s) for s in smiles]
    tok.fit(symbols)
    ids = tok.to_ids(symbols, max(len(s) for s in symbols) + 1)
    assert ids[:, 0].min() >= 4 and (ids == 2).sum() == len(smiles)  # one <eos> each
    back = tok.from_ids(ids)
    assert [chem.canonical(b) for b in back] == [chem.canonical(s) for s in smiles]


def test_selfies_always_decode_to_valid_molecules():
    tok = Tokenizer("selfies")
    tok.fit([tok.split(s) for s in _fixture()])
    rng = np.random.default_rng(0)
    ids = rng.integers(4, tok.size, size=(200, 30))
    with chem.quiet_rdkit():
        out = [chem.canonical(s) for s in tok.from_ids(ids)]
    assert all(o is not None for o in out)


def test_ngram_baseline_learns_smiles():
    smiles = _fixture(1000)
    gen = NGramModel(order=8).fit(smiles).sample(300, seed=0)
    assert gen == NGramModel(order=8).fit(smiles).sample(300, seed=0)  # seeded
    unigram = NGramModel(order=0).fit(smiles).sample(300, seed=0)
    with chem.quiet_rdkit():
        valid = np.mean([chem.canonical(s) is not None for s in gen])
        valid0 = np.mean([chem.canonical(s) is not None for s in unigram])
    assert valid > max(0.1, 3 * valid0)  # context (ring closures, branches) is learned


def test_activity_predictors_on_a_known_property(tmp_path):
    from scigan.domains.molecules.activity import compare_predictors, load_labelled, morgan_features

    smiles = _fixture(400)
    with chem.quiet_rdkit():
        logp = [chem.logp(chem.get_mol(s)) for s in smiles]
    p = tmp_path / "lab.csv"
    med = np.median(logp)
    rows = [f"{s},{v},{int(v > med)}\n" for s, v in zip(smiles, logp, strict=True)]
    p.write_text("smiles,logp,high\n" + "".join(rows))
    reg = load_labelled(p, label_column="logp")
    assert not reg.binary and len(reg.train_y) == 320
    feats = {"morgan": (morgan_features(reg.train_smiles), morgan_features(reg.test_smiles))}
    res = compare_predictors(reg, feats, fractions=(1.0, 0.1), n_estimators=50)
    full, few = res.iloc[0], res.iloc[1]
    assert full["n_train"] == 320 and few["n_train"] == 32
    assert full["r2"] > 0.1 and full["rmse"] < np.std(reg.test_y)  # better than the mean
    cls = load_labelled(p, label_column="high")
    assert cls.binary
    feats = {"morgan": (morgan_features(cls.train_smiles), morgan_features(cls.test_smiles))}
    res = compare_predictors(cls, feats, fractions=(1.0,), n_estimators=50)
    assert res["roc_auc"].iloc[0] > 0.65
    with pytest.raises(DataError, match="label column"):
        load_labelled(p)


def test_activity_seeds_bootstrap_floor_and_screening(tmp_path):
    from scigan.domains.molecules import activity as A

    smiles = _fixture(400)
    with chem.quiet_rdkit():
        logp = np.array([chem.logp(chem.get_mol(s)) for s in smiles])
    p = tmp_path / "lab.csv"
    high = (logp > np.median(logp)).astype(int)
    p.write_text("smiles,high\n" + "".join(f"{s},{v}\n" for s, v in zip(smiles, high, strict=True)))
    res = A.activity_benchmark(p, label_column="high", fractions=(1.0, 0.2), seeds=(0, 1),
                               bootstrap=200, permuted_floor=True, n_estimators=30)  # fmt: skip
    assert len(res) == 2 * 2 * 2  # (rf-morgan + floor) × fractions × seeds
    assert (res["roc_auc_lo"] <= res["roc_auc"]).all() and (
        res["roc_auc"] <= res["roc_auc_hi"]
    ).all()
    summ = A.summarise(res).set_index(["features", "labels"])
    assert summ.loc[("rf-morgan", 1.0), "roc_auc"] > 0.65
    assert abs(summ.loc[(A.FLOOR, 1.0), "roc_auc"] - 0.5) < 0.2  # permuted labels: chance
    assert summ.loc[("rf-morgan", 0.2), "seeds"] == 2 and summ["roc_auc_sd"].notna().all()
    assert "± " in A.format_summary(A.summarise(res))
    pred = A.PropertyPredictor(n_estimators=30).fit(p, label_column="high")
    out = pred.predict(["CCCCCCCCCCCC", "OCC(O)C(O)CO", "C1CC"])  # dodecane vs a sugar alcohol
    assert out[0] > out[1] and np.isnan(out[2])


def test_b3db_loader():
    from scigan.domains.molecules.activity import load_labelled
    from scigan.domains.molecules.data import B3DB_ROWS, b3db_frame

    try:
        df = b3db_frame()
    except DataError:
        pytest.skip("B3DB wheel missing: bash scripts/fetch_molecules_data.sh")
    assert len(df) == B3DB_ROWS and df["bbb"].sum() == 4956  # BBB+ 4,956 / BBB− 2,851
    data = load_labelled("B3DB")
    assert data.binary and len(data.train_y) + len(data.test_y) == B3DB_ROWS - 2
    assert len(data.test_y) == 1561 and not set(data.train_smiles) & set(data.test_smiles)
    assert 0.6 < data.test_y.mean() < 0.67


def test_guidance_attainment_and_best_of_k():
    from scigan.domains.molecules.guidance import attainment, best_of_k

    out = attainment(["CCO", "c1ccccc1", "C1CC"], {"weight": (40.0, 60.0), "logP": 0.0})
    assert out["valid"] == pytest.approx(2 / 3)
    assert out["weight in [40.0, 60.0]"] == pytest.approx(1 / 3)  # ethanol only (benzene 78)
    assert out["weight mean error"] == pytest.approx((78.114 - 60.0) / 2, abs=1e-2)
    pool = _fixture(300)

    def sample(count, seed):
        rng = np.random.default_rng(seed)
        return [pool[i] for i in rng.choice(len(pool), count)]

    def heavy(s):
        return chem.weight(chem.get_mol(s))

    top = best_of_k(sample, heavy, 10, k=10, seed=0)
    assert len(top) == 10 and len(set(top)) == 10
    plain = sample(10, 0)
    assert np.mean([heavy(s) for s in top]) > np.mean([heavy(s) for s in plain])


def test_conditions_from_file_columns_and_rdkit(tmp_path):
    from scigan.domains.molecules import load_molecules

    smiles = _fixture(60)
    p = tmp_path / "m.csv"
    p.write_text("smiles,pic50\n" + "".join(f"{s},{i / 10}\n" for i, s in enumerate(smiles)))
    ds = load_molecules(str(p), options={"conditions": ["pic50", "qed"]}, seed=0)
    assert list(ds.conditions.columns) == ["pic50", "QED"] and len(ds.conditions) == len(ds)
    lookup = {chem.canonical(s): i / 10 for i, s in enumerate(smiles)}
    assert ds.conditions["pic50"].tolist() == [lookup[s] for s in ds.samples]
    with pytest.raises(DataError, match="unknown molecular property 'pIC5'"):
        load_molecules(str(p), options={"conditions": ["pIC5"]}, seed=0)
