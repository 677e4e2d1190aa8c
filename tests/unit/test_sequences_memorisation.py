"""Memorisation metrics (issue 25): exact copies and nearest-training identity, with floors,
for every sequences dataset; the identity's k-mer pre-filter is bounded and block-independent."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scigan.domains.sequences import data as sdata
from scigan.domains.sequences import metrics as sm
from scigan.domains.sequences import motifs as mt
from scigan.domains.sequences.data_files import ecoli_fasta, wheel_dir
from scigan.errors import DataError


def _has_ecoli() -> bool:
    try:
        ecoli_fasta()
    except DataError:
        return False
    return True


def _user(seed: int = 0):
    rng = np.random.default_rng(seed)
    seqs = [
        "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), rng.integers(8, 20))) for _ in range(80)
    ]
    return sdata.load_user(seqs, {})


DATASETS = [
    pytest.param(lambda: sdata.load_orf({"n": 120}, 0), id="orf"),
    pytest.param(lambda: sdata.load_markov({"n": 120}, 0), id="markov"),
    pytest.param(_user, id="user"),
    pytest.param(
        lambda: sdata.load_motif({"n": 120}, 0),
        id="motif",
        marks=pytest.mark.skipif(
            not (wheel_dir() / mt.JASPAR_WHEEL).is_file(), reason="pyjaspar wheel not downloaded"
        ),
    ),
    pytest.param(
        lambda: sdata.load_amp({}, 0),
        id="amp",
        marks=pytest.mark.skipif(
            not (wheel_dir() / sdata.MODLAMP_WHEEL).is_file(), reason="modlamp wheel not downloaded"
        ),
    ),
    pytest.param(
        lambda: sdata.load_ecoli({"n": 2000}, 0),
        id="ecoli",
        marks=pytest.mark.skipif(not _has_ecoli(), reason="bowtie-examples not installed"),
    ),
]


@pytest.mark.parametrize("load", DATASETS)
def test_every_dataset_reports_copies_and_nearest_identity_with_floors(load, monkeypatch):
    monkeypatch.setattr(sm, "cnn_classifier_auc", lambda *a, **k: 0.5)  # not tested here
    ds = load()
    train = list(ds.samples)

    def copies(m, cond, seed):  # a generator that memorised the training set
        return train[:m]

    m = sm.evaluate(copies, ds, n=16, seed=0)
    for key in (sm.EXACT_COPY, sm.NEAREST_IDENTITY):
        assert math.isfinite(m[key]["floor"]) and m[key]["n"] == 16, key
        assert m[key]["value"] == 1.0, key  # every copy found, identity 1
    assert m[sm.EXACT_COPY]["copies"] == 16 and m[sm.EXACT_COPY]["pool"] == len(set(train))
    assert m[sm.NEAREST_IDENTITY]["pool"] == len(train)
    assert m[sm.NEAREST_IDENTITY]["floor"] < 1.0  # held-out real sequences are not copies

    def novel(m, cond, seed):  # shuffled letters: same composition, no copies
        rng = np.random.default_rng(seed)
        return ["".join(rng.permutation(list(s))) for s in train[-m:]]

    m = sm.evaluate(novel, ds, n=16, seed=0)
    assert m[sm.EXACT_COPY]["value"] == 0.0 and m[sm.NEAREST_IDENTITY]["value"] < 1.0


def test_nearest_identity_is_independent_of_the_prefilter_block():
    rng = np.random.default_rng(3)
    pool = ["".join(rng.choice(list("ACGT"), 40)) for _ in range(300)]
    queries = [p[:20] + "A" + p[21:] for p in pool[::37]] + ["".join(rng.choice(list("ACGT"), 40))]
    whole = sm.nearest_identity(queries, pool, "ACGT", block=10_000)
    assert np.array_equal(sm.nearest_identity(queries, pool, "ACGT", block=7), whole)
    assert (whole[:-1] >= 39 / 40).all()  # each one-mismatch copy finds its source
    assert sm.nearest_identity(["ACGTACGT"], [], "ACGT").tolist() == [0.0]
