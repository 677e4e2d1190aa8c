"""Molecules in and out for the next tool: SD files and RDKit Mol objects (issue 28).

Out: ``write_molecules(..., "x.sdf")`` / ``scigan sample --out x.sdf`` and ``as_mols`` — the
properties are checked against RDKit's own QED / Crippen logP / SA / MolWt and MOSES' filter.
In: RDKit Mols (a list, mixed with SMILES, an SDMolSupplier) and user SD files, with SD
properties as conditions and unreadable records named.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("selfies")
pytest.importorskip("fcd_torch")

from rdkit import Chem
from rdkit.Chem import Crippen, Descriptors
from rdkit.Chem.QED import qed
from rdkit.Contrib.SA_Score import sascorer

from scigan.domains.molecules.data import moses_data_available

if not moses_data_available():  # the filter alerts are MOSES' SMARTS files
    pytest.skip(
        "MOSES wheel data missing: bash scripts/fetch_molecules_data.sh", allow_module_level=True
    )

from scigan import Synthesizer
from scigan.cli import main
from scigan.domains.molecules import as_mols, chem, load_molecules
from scigan.domains.molecules import metrics as M
from scigan.domains.molecules.export import (
    SkippedMoleculesWarning,
    filter_failures,
    write_molecules,
)
from scigan.errors import DataError
from scigan.problem import infer_domain

FIXTURES = Path(__file__).parents[1] / "fixtures" / "molecules"
MOSES_1K = FIXTURES / "moses_test_1k.smi"
FILTER_HITS = FIXTURES / "filter_hits.smi"
ALERTS_HIT = "O=CC=CO"  # matches MCF7 and PAINS keto_keto_beta_D(5)
CHARGED = "O=C([O-])c1ccccc1"
# A record RDKit reads but cannot sanitise: a carbon with five bonds.
BAD_RECORD = """bad one
     RDKit          2D

  6  5  0  0  0  0  0  0  0  0999 V2000
    0.0000    0.0000    0.0000 C   0  0
    1.0000    0.0000    0.0000 C   0  0
   -1.0000    0.0000    0.0000 C   0  0
    0.0000    1.0000    0.0000 C   0  0
    0.0000   -1.0000    0.0000 C   0  0
    0.5000    0.5000    0.0000 C   0  0
  1  2  1  0
  1  3  1  0
  1  4  1  0
  1  5  1  0
  1  6  1  0
M  END
$$$$
"""


def _smiles(path: Path, n: int) -> list[str]:
    return path.read_text().split()[:n]


def _rdkit_properties(smiles: str) -> dict[str, float]:
    """RDKit's own values, computed here without scigan's chem module."""
    mol = Chem.MolFromSmiles(smiles)
    return {
        "QED": qed(mol),
        "logP": Crippen.MolLogP(mol),
        "SA": sascorer.calculateScore(mol),
        "MW": Descriptors.MolWt(mol),
    }


def _write_sdf(path: Path, smiles: list[str], **columns: list[float]) -> None:
    with Chem.SDWriter(str(path)) as w:
        for i, s in enumerate(smiles):
            mol = Chem.MolFromSmiles(s)
            for name, values in columns.items():
                mol.SetDoubleProp(name, values[i])
            w.write(mol)


# ---------------------------------------------------------------------------- out
def test_sdf_round_trip_properties_conditions_and_skipped_invalid(tmp_path):
    samples = [*_smiles(MOSES_1K, 6), "C1CC", ALERTS_HIT, CHARGED, ""]
    targets = pd.DataFrame({"QED": [0.1 * i for i in range(10)], "logP": [2.5] * 10})
    path = tmp_path / "gen.sdf"
    with pytest.warns(SkippedMoleculesWarning, match=r"gen\.sdf: 2 of 10 .*gen_6: 'C1CC'"):
        write_molecules(samples, targets, path)
    assert [p.name for p in tmp_path.iterdir()] == ["gen.sdf"]  # no temporary file left
    records = list(Chem.SDMolSupplier(str(path)))
    valid = [i for i in range(10) if i not in (6, 9)]
    assert len(records) == 8 and all(m is not None for m in records)
    for i, mol in zip(valid, records, strict=True):
        canon = Chem.MolToSmiles(Chem.MolFromSmiles(samples[i]))
        assert mol.GetProp("_Name") == f"gen_{i}"  # the index in the sample
        assert Chem.MolToSmiles(mol) == mol.GetProp("SMILES") == canon  # the mol block is it
        conf = mol.GetConformer()  # 2-D coordinates from RDKit's depictor
        xy = [conf.GetAtomPosition(k) for k in range(mol.GetNumAtoms())]
        assert not conf.Is3D() and any(p.x != 0 or p.y != 0 for p in xy)
        for name, value in _rdkit_properties(samples[i]).items():
            assert float(mol.GetProp(name)) == value, (name, i)  # written exactly
        assert float(mol.GetProp("target_QED")) == targets["QED"][i]
        assert float(mol.GetProp("target_logP")) == 2.5
        assert mol.GetBoolProp("passes_filters") == M.passes_filters(Chem.MolFromSmiles(canon))
    by_name = {m.GetProp("_Name"): m for m in records}
    assert by_name["gen_7"].GetProp("filter_sets") == "MCF; PAINS"
    assert by_name["gen_7"].GetProp("filter_alerts") == "MCF7; keto_keto_beta_D(5)"
    assert by_name["gen_8"].GetProp("filter_sets") == "charge"
    assert by_name["gen_8"].GetProp("passes_filters") == "0"
    assert by_name["gen_0"].GetProp("filter_sets") == ""


def test_as_mols_properties_and_invalid_entries():
    samples = ["CCO", "C1CC", "c1ccccc1O"]
    mols = as_mols(samples, {"QED": [0.5, 0.6, 0.7]})
    assert mols[1] is None and [m.GetProp("_Name") for m in (mols[0], mols[2])] == [
        "gen_0",
        "gen_2",
    ]
    phenol = mols[2]
    for name, value in _rdkit_properties("c1ccccc1O").items():
        assert phenol.GetDoubleProp(name) == value
    assert phenol.GetDoubleProp("target_QED") == 0.7 and phenol.GetBoolProp("passes_filters")
    assert phenol.GetNumConformers() == 1  # 2-D coordinates, drawable as written to SD files
    kept = as_mols(samples, drop_invalid=True, prefix="x")
    assert [m.GetProp("_Name") for m in kept] == ["x_0", "x_2"]
    assert not kept[0].HasProp("target_QED")
    with pytest.raises(DataError, match="2 condition rows for 3 molecules"):
        as_mols(samples, {"QED": [0.5, 0.6]})


def test_filter_flags_name_exactly_the_molecules_that_fail_moses_filters():
    """filter_failures checks each rule of MOSES' filter on its own: it names a rule exactly
    when passes_filters (the Filters metric) rejects the molecule, on 1,065 molecules of which
    the 65 in filter_hits.smi match 29 different MCF/PAINS alerts."""
    seen: set[str] = set()
    with chem.quiet_rdkit():
        for s in _smiles(MOSES_1K, 1000) + _smiles(FILTER_HITS, 65):
            mol = chem.get_mol(s)
            sets, alerts = filter_failures(mol)
            assert M.passes_filters(mol) == (not sets), s
            assert bool(alerts) == bool({"MCF", "PAINS"} & set(sets)), s
            seen.update(sets)
    assert {"MCF", "PAINS", "ring>=8"} <= seen


# ---------------------------------------------------------------------------- in
def test_mols_and_sd_suppliers_as_data_with_properties_as_conditions(tmp_path):
    smiles = _smiles(MOSES_1K, 40)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    for i, m in enumerate(mols):
        m.SetDoubleProp("pIC50", i / 10)
    mixed = [*mols[:20], *smiles[20:]]  # Mols and SMILES in one list
    ds = load_molecules(mixed, options={}, seed=0)
    assert sorted(ds.samples + ds.test + ds.val) == sorted(chem.canonical(s) for s in smiles)
    ds = load_molecules(mols, options={"conditions": ["pIC50"]}, seed=0)
    lookup = {chem.canonical(s): i / 10 for i, s in enumerate(smiles)}
    assert ds.conditions["pIC50"].tolist() == [lookup[s] for s in ds.samples]
    path = tmp_path / "in.sdf"
    _write_sdf(path, smiles, pIC50=[i / 10 for i in range(40)])
    for source in (path, str(path), Chem.SDMolSupplier(str(path))):  # a user file, --data
        ds = load_molecules(source, options={"conditions": ["pIC50", "QED"]}, seed=0)
        assert ds.conditions["pIC50"].tolist() == [lookup[s] for s in ds.samples]
    assert infer_domain(None, str(path), {}) == "molecules"


def test_unreadable_sd_records_and_none_mols_are_named(tmp_path):
    smiles = _smiles(MOSES_1K, 30)
    path = tmp_path / "bad.sdf"
    _write_sdf(path, smiles[:2])
    with path.open("a") as fh:
        fh.write(BAD_RECORD)
    _write_sdf(tmp_path / "rest.sdf", smiles[2:])
    with path.open("a") as fh:
        fh.write((tmp_path / "rest.sdf").read_text())
    with pytest.raises(DataError, match=r"bad\.sdf: 1 unreadable record\(s\) of 31 \(record 3 "
                       r"\('bad one'\)\).*--set invalid=skip"):  # fmt: skip
        load_molecules(str(path), options={}, seed=0)
    ds = load_molecules(str(path), options={"invalid": "skip"}, seed=0)
    assert len(ds.samples) + len(ds.val) + len(ds.test) == 30
    with pytest.raises(DataError, match=r"1 of 31 molecules are None \(index 2, counted from 0"):
        load_molecules(Chem.SDMolSupplier(str(path)), options={}, seed=0)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    mols[4] = mols[7] = None
    with pytest.raises(DataError, match=r"<in-memory>: 2 of 30 molecules are None \(index 4, 7"):
        load_molecules(mols, options={}, seed=0)


# ---------------------------------------------------------------------------- end to end
TINY = dict(steps=6, n_critic=1, batch_size=32, z_dim=8, g_width=16, d_width=16, g_depth=1,
            d_depth=1, eval_n=50, threads=1)  # fmt: skip


def test_fit_on_mols_evaluate_on_a_supplier_and_sample_an_sdf(tmp_path, capsys):
    """A conditional model trained on RDKit Mols (their SD property as the condition), scored
    against an SDMolSupplier, sampled to an SD file by the CLI with the targets in it."""
    smiles = _smiles(MOSES_1K, 400)
    mols = [Chem.MolFromSmiles(s) for s in smiles[:300]]
    for m in mols:
        m.SetDoubleProp("pIC50", Crippen.MolLogP(m))
    run = tmp_path / "run"
    gan = Synthesizer(domain="molecules", options={"model": "selfies-gan", "n_train": 300,
                                                   "conditions": ["pIC50"]}, **TINY)  # fmt: skip
    gan.fit(mols, out=run)
    assert gan.encoder_.condition_names == ["pIC50"]
    ref = tmp_path / "ref.sdf"  # a conditional model's reference carries its condition
    with pytest.raises(DataError, match=r"'pIC50'.* numeric column of the data \(it has no"):
        gan.evaluate(reference=smiles[300:], n=50)
    _write_sdf(ref, smiles[300:], pIC50=[Crippen.MolLogP(Chem.MolFromSmiles(s))
                                         for s in smiles[300:]])  # fmt: skip
    result = gan.evaluate(reference=Chem.SDMolSupplier(str(ref)), n=50)["metrics"]
    assert result["FCD/Test"]["n"] == 50 and 0 <= result["valid"]["value"] <= 1
    out = tmp_path / "gen.sdf"
    with warnings.catch_warnings():  # the CLI prints warnings as one line on stderr
        code = main(["sample", str(run), "-n", "20", "--out", str(out), "--condition",
                     "pIC50=2.5"])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    records = [m for m in Chem.SDMolSupplier(str(out)) if m is not None]
    skipped = 20 - len(records)
    assert (f"{skipped} of 20 generated SMILES are invalid" in err) == (skipped > 0)
    assert records and all(float(m.GetProp("target_pIC50")) == 2.5 for m in records)
    assert {"SMILES", "QED", "logP", "SA", "MW", "passes_filters"} <= set(
        records[0].GetPropsAsDict()
    )
