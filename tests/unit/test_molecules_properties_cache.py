"""RDKit property tables of large training sets are computed once and cached (QED/logP/SA of
the 250,000 molecules of a default MOSES run take ~12 min on one core)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rdkit")

from scigan.domains.molecules import chem
from scigan.domains.molecules import data as mdata

SMILES = ["CCO", "c1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CC", "O=C(O)c1ccccc1"]


def test_large_tables_are_cached_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path))
    monkeypatch.setattr(mdata, "PROPERTY_CACHE_MIN", 3)
    monkeypatch.setattr(mdata, "_PROPERTY_CHUNK", 2)  # chunks join in order
    first = mdata.molecule_properties(SMILES, ["QED", "logP"])
    mols = [chem.get_mol(s) for s in SMILES]
    np.testing.assert_allclose(first["QED"], [chem.qed(m) for m in mols])
    np.testing.assert_allclose(first["logP"], chem.properties(mols, ["logP"])["logP"])
    files = list((tmp_path / "molecules" / "properties").glob("*.npz"))
    assert len(files) == 1

    def boom(*args, **kwargs):
        raise AssertionError("recomputed")

    monkeypatch.setattr(chem, "properties", boom)
    again = mdata.molecule_properties(SMILES, ["QED", "logP"])  # from the cache
    np.testing.assert_array_equal(again.to_numpy(), first.to_numpy())
    assert list(again.columns) == ["QED", "logP"]
    with pytest.raises(AssertionError, match="recomputed"):  # other names: another entry
        mdata.molecule_properties(SMILES, ["logP", "QED"])
    with pytest.raises(AssertionError, match="recomputed"):  # small tables are not cached
        mdata.molecule_properties(SMILES[:2], ["QED", "logP"])


def test_a_damaged_entry_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path))
    monkeypatch.setattr(mdata, "PROPERTY_CACHE_MIN", 3)
    first = mdata.molecule_properties(SMILES, ["SA"])
    (entry,) = (tmp_path / "molecules" / "properties").glob("*.npz")
    entry.write_bytes(b"not an npz")
    again = mdata.molecule_properties(SMILES, ["SA"])
    np.testing.assert_array_equal(again.to_numpy(), first.to_numpy())
    with np.load(entry, allow_pickle=False) as z:  # rewritten
        assert z["values"].shape == (len(SMILES), 1)


def test_invalid_molecules_are_an_error():
    with pytest.raises(mdata.DataError, match="invalid molecule"):
        mdata.molecule_properties(["CCO", "C1CC"], ["QED"])
