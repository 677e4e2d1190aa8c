"""Conformance of the MOSES metric suite with the reference implementation (slow).

Reference values (shared/DATA.md, measured with moses 0.3.1's own metric code on numpy 2 /
RDKit 2026): a 10k seed-0 random sample of MOSES train scored as if generated, against the stored
test statistics — FCD/Test 0.134, SNN/Test 0.643, IntDiv 0.857, Scaf/Test 0.888; Frag/Test is
0.9999 once the integer-overflow bug is removed. Our sample is ``default_rng(0).choice`` of
10,000 (the reference's sampler is not recorded), so the tolerances allow for a different
random sample of the same size.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("fcd_torch")

from scigan.domains.molecules import metrics as M
from scigan.domains.molecules.data import (
    moses_data_available,
    moses_smiles,
    moses_train_canonical,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def train10k():
    if not moses_data_available():
        pytest.skip("MOSES wheel data missing: bash scripts/fetch_molecules_data.sh")
    train = moses_smiles("train")
    rng = np.random.default_rng(0)
    smiles = [train[i] for i in rng.choice(len(train), 10_000, replace=False)]
    refs = {"Test": M.moses_reference("test"), "TestSF": M.moses_reference("test_scaffolds")}
    return M.moses_metrics(smiles, refs, train=moses_train_canonical(), alerts=False)


@pytest.mark.parametrize(
    ("name", "reference", "tol"),
    [("FCD/Test", 0.134, 0.03), ("SNN/Test", 0.643, 0.006), ("IntDiv", 0.857, 0.003),
     ("Scaf/Test", 0.888, 0.03), ("Frag/Test", 0.9995, 0.0005), ("valid", 1.0, 0.0),
     ("unique@10000", 1.0, 0.0), ("Filters", 1.0, 0.002), ("Novelty", 0.0, 0.0),
     ("Scaf/TestSF", 0.0, 0.01)],
)  # fmt: skip
def test_train_sample_matches_reference(train10k, name, reference, tol):
    assert train10k[name] == pytest.approx(reference, abs=tol)
