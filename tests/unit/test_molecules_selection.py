"""Honest selection (issues 26, 28): checkpoints are chosen on a validation split of the
training side, never on the test or scaffold-test molecules."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("rdkit")

from scigan.domains.molecules import MoleculesDomain
from scigan.domains.molecules import data as D
from scigan.errors import DataError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "molecules" / "moses_test_1k.smi"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "molecules"


def test_best_metric_is_the_validation_fcd():
    assert MoleculesDomain.best_metric == ("FCD/Val", True)


def test_validation_size():
    assert D.validation_size(1_584_663, 0.02) == D.VAL_MAX  # MOSES: capped
    assert D.validation_size(900, 0.02) == 90  # small data: a tenth, up to VAL_MIN
    assert D.validation_size(20_000, 0.02) == 400
    assert D.validation_size(10, 0.02) == 2  # the least that has a covariance


def test_user_file_selection_reference_holds_no_test_molecules():
    ds = D.load_molecules(str(FIXTURE), options={}, seed=0)
    view = MoleculesDomain().selection_reference(ds)
    assert view.reference == "Val" and ds.reference == "Test"
    assert view.test == ds.val and len(ds.val) == ds.info["n_val"] == 90
    assert not set(view.test) & set(ds.test)  # never the test split
    assert not set(ds.val) & set(ds.samples)  # never trained on
    assert not set(view.pool) & set(ds.val)  # the floor's real molecules are not validation ones
    assert len(ds.samples) + len(ds.val) + len(ds.test) == 1000
    assert view.test_sf is None and ds.test_sf is None
    # novelty: a validation molecule is novel (the GAN never saw it); a training one is not
    train = D.novelty_set(view)
    assert not train & set(ds.val) and set(ds.samples) <= train
    # the split is seeded: the same seed gives the same split, another seed another one
    assert D.load_molecules(str(FIXTURE), options={}, seed=0).val == ds.val
    assert D.load_molecules(str(FIXTURE), options={}, seed=1).val != ds.val


def test_val_fraction_option_and_its_bounds():
    ds = D.load_molecules(str(FIXTURE), options={"val_fraction": 0.2}, seed=0)
    assert len(ds.val) == 180 and len(ds.samples) == 720
    with pytest.raises(DataError, match=r"val_fraction=0\.9 must be a number in \[0\.01, 0\.5\]"):
        D.load_molecules(str(FIXTURE), options={"val_fraction": 0.9}, seed=0)


def test_selection_reference_of_a_dataset_without_validation_split_is_an_error():
    ds = D.MoleculeDataset("x", ["CCO"] * 3, test=["CCN"], pool=["CCO"])
    with pytest.raises(DataError, match="no validation split"):
        MoleculesDomain().selection_reference(ds)


def test_validation_metrics_are_named_val_and_cached_by_hash(cache, monkeypatch):
    pytest.importorskip("fcd_torch")
    from scigan.domains.molecules import metrics as M

    monkeypatch.setattr(M, "_REFERENCES", {})  # an earlier test may hold it in memory

    ds = D.load_molecules(str(FIXTURE), options={}, seed=0)
    view = MoleculesDomain().selection_reference(ds)
    refs = M.references(view)
    assert list(refs) == ["Val"]
    assert len(list(cache.glob("ref-*.npz"))) == 1  # ChemNet statistics of the validation SMILES
    assert M.references(view)["Val"] is refs["Val"]  # computed once
    real = ds.samples[:60]
    out = M.evaluate_molecules(lambda n, c, s: real[:n], view, n=60, seed=0)
    assert {"FCD/Val", "SNN/Val", "Frag/Val", "Scaf/Val", "Novelty"} <= set(out)
    assert not [k for k in out if k.endswith(("/Test", "/TestSF"))]
    assert out["Novelty"]["value"] == 0.0  # training molecules are not novel
    test = M.evaluate_molecules(lambda n, c, s: real[:n], ds, n=60, seed=0)
    assert "FCD/Test" in test and "FCD/Val" not in test  # after training: the test split


@pytest.mark.skipif(
    not D.moses_data_available(), reason="MOSES wheel data missing: scripts/fetch_molecules_data.sh"
)
def test_moses_selection_reference_holds_no_test_or_scaffold_test_molecules():
    ds = D.load_molecules("moses", options={"n_train": 20_000}, seed=0)
    view = D.validation_view(ds)
    assert view.reference == "Val" and view.moses and len(view.test) == D.VAL_MAX
    val = set(view.test)
    assert not val & set(ds.test) and not val & set(ds.test_sf)
    assert not val & set(ds.samples) and not val & set(view.pool)
    assert val <= set(D.moses_smiles("train"))  # a sample of MOSES train
    # the training subset is the one drawn before the validation split existed
    assert ds.samples == D._subset(D.moses_smiles("train"), 20_000, 0)[0]


def test_moses_validation_stats_are_computed_not_the_stored_test_ones(monkeypatch):
    """The view never reaches MOSES' stored test statistics."""
    from scigan.domains.molecules import metrics as M

    ds = D.MoleculeDataset("moses", ["CCO"] * 5, test=["CCN"], pool=[], moses=True,
                           val=["CCCO", "CCCN"])  # fmt: skip
    view = D.validation_view(ds)

    def refuse(split: str):
        raise AssertionError(f"read the stored {split} statistics")

    monkeypatch.setattr(M, "moses_reference", refuse)
    seen = []
    monkeypatch.setattr(M.ReferenceStats, "load", classmethod(lambda cls, stem: seen.append(1)))
    fake = classmethod(lambda cls, m: SimpleNamespace(smiles=m.smiles, save=lambda stem: None))
    monkeypatch.setattr(M.ReferenceStats, "from_molecules", fake)
    monkeypatch.setattr(M, "_REFERENCES", {})
    refs = M.references(view)
    assert list(refs) == ["Val"] and sorted(refs["Val"].smiles) == ["CCCN", "CCCO"] and seen


def test_no_test_smiles_reach_the_selection_evaluation_of_a_training_run(tmp_path, cache):
    """build_problem's evaluation callback gets the validation view."""
    pytest.importorskip("selfies")
    from scigan.problem import build_problem, resolve_config

    cfg = resolve_config("molecules", None, {"steps": 1, "options": {"model": "selfies-gan"}},
                         str(FIXTURE))  # fmt: skip
    domain = MoleculesDomain()
    ds = domain.load(str(FIXTURE), options=cfg.options, seed=cfg.seed)
    seen = []

    def spy(sample, reference, *, n, seed):
        seen.append(reference)
        return {}

    domain.evaluate = spy  # this instance only
    enc = domain.make_encoder(cfg).fit(ds)
    problem = build_problem(cfg, domain, enc, ds)
    problem.evaluate(problem.G, 4, 0)
    (ref,) = seen
    assert ref.reference == "Val" and not set(ref.test) & set(ds.test)
    assert problem.best_metric == "FCD/Val" and problem.best_lower_is_better


def test_property_conditions_outside_the_training_range_warn():
    import pandas as pd

    from scigan import ExtrapolationWarning
    from scigan.domains.molecules.encoding import _Conditions

    c = _Conditions()
    c.fit(pd.DataFrame({"qed": [0.3, 0.5, 0.7]}))
    c.encode(pd.DataFrame({"qed": [0.4, 0.6]}))  # inside: no warning (warnings are errors)
    with pytest.warns(ExtrapolationWarning, match=r"qed=1\.5 is outside the training range"):
        c.encode(pd.DataFrame({"qed": [1.5, 0.5]}))
    old = _Conditions()
    old.load({"names": ["qed"], "mean": [0.5], "std": [0.1]})  # saved before ranges existed
    old.encode(pd.DataFrame({"qed": [1.5]}))  # loads, no range check
