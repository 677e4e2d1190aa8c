"""The sequences domain's train / validation / test split (issues 25/26): seeded, reproducible,
disjoint by distinct sequence, with conditions travelling with their rows; checkpoints are
chosen on the validation part and results scored on the test part, memorisation against the
training part."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from scigan.domains.base import Dataset
from scigan.domains.sequences import SequencesDomain
from scigan.domains.sequences import data as sdata
from scigan.domains.sequences import metrics as sm
from scigan.errors import DataError

DOMAIN = SequencesDomain()


def _random(n: int, seed: int = 0, length: int = 12) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]


def _parts(ds: sdata.SequenceDataset) -> tuple[list[str], list[str], list[str]]:
    return list(ds.samples), list(ds.val), list(ds.test)


def test_parts_are_disjoint_and_cover_every_row():
    seqs = _random(300)
    ds = DOMAIN.load(seqs, options={}, seed=0)
    train, val, test = _parts(ds)
    assert not set(train) & set(val) and not set(train) & set(test) and not set(val) & set(test)
    assert Counter(train + val + test) == Counter(seqs)
    assert (len(train), len(val), len(test)) == (240, 30, 30)
    info = ds.info
    assert (info["n_train"], info["n_val"], info["n_test"]) == (240, 30, 30)
    assert info["split_seed"] == 0 and "by distinct sequence" in info["split"]


def test_split_is_reproducible_for_a_seed_and_changes_with_it():
    seqs = _random(200)
    one, two = DOMAIN.load(seqs, options={}, seed=3), DOMAIN.load(seqs, options={}, seed=3)
    assert _parts(one) == _parts(two)
    other = DOMAIN.load(seqs, options={}, seed=4)
    assert set(other.test) != set(one.test)
    # built-in data: the records and the split both follow the seed
    a, b = (DOMAIN.load("orf", options={"n": 150}, seed=1) for _ in range(2))
    assert _parts(a) == _parts(b)


@pytest.mark.parametrize(
    ("distinct", "val", "test"),
    [(20, 5, 5), (49, 5, 5), (60, 6, 6), (1000, 100, 100), (19, 0, 0), (5, 0, 0)],
)
def test_sizes_are_a_function_of_the_distinct_count(distinct, val, test):
    assert sdata.split_sizes(distinct, 0.1, 0.1) == (val, test)
    ds = DOMAIN.load(_random(distinct, seed=distinct), options={}, seed=0)
    assert (ds.info["distinct_val"], ds.info["distinct_test"]) == (val, test)
    assert ds.info["distinct_train"] == distinct - val - test
    if not val:  # too little data: nothing held out, and the info says so
        assert len(ds.samples) == distinct and ds.info["split"].startswith("none")


def test_fractions_are_options_and_checked():
    ds = DOMAIN.load(_random(400), options={"val_fraction": 0.05, "test_fraction": "0.2"}, seed=0)
    assert (len(ds.val), len(ds.test)) == (20, 80)
    with pytest.raises(DataError, match=r"test_fraction=0.9: must be in \[0.02, 0.3\]"):
        DOMAIN.load(_random(400), options={"test_fraction": 0.9}, seed=0)
    with pytest.raises(DataError, match="val_fraction"):  # the unknown-option message names them
        DOMAIN.load("orf", options={"n": 50, "bogus": 1}, seed=0)


def test_duplicates_never_sit_on_two_sides():
    base = _random(60, seed=7)
    rng = np.random.default_rng(1)
    seqs = [base[i] for i in rng.integers(0, 60, size=600)]  # every sequence ~10 times
    for seed in range(5):
        ds = DOMAIN.load(seqs, options={}, seed=seed)
        train, val, test = _parts(ds)
        assert not set(train) & set(val) and not set(train) & set(test)
        assert not set(val) & set(test)
        assert Counter(train + val + test) == Counter(seqs)  # every copy kept, in one part
        distinct = len(set(seqs))
        assert len(set(val)) == len(set(test)) == max(round(0.1 * distinct), 5)


def test_conditions_travel_with_their_rows():
    seqs = _random(120)
    temps = np.linspace(30.0, 90.0, 120)
    pairs = dict(zip(seqs, temps, strict=True))
    ds = sdata.split_dataset(Dataset("x", seqs, temps, {"alphabet": "ACGT"}), 0, {})
    parts = [(ds.samples, ds.conditions), (ds.val, ds.val_conditions)]
    for part, cond in [*parts, (ds.test, ds.test_conditions)]:
        assert len(part) == len(cond) and all(
            pairs[s] == c for s, c in zip(part, cond, strict=True)
        )
    # the training range is the data's range: the rows with the extremes train
    assert ds.conditions.min() == 30.0 and ds.conditions.max() == 90.0
    seqs_all, cond_all = ds.records()
    assert Counter(seqs_all) == Counter(seqs) and sorted(cond_all) == sorted(temps)


def test_every_label_keeps_training_rows():
    seqs = _random(40)
    labels = np.array(["rare"] + ["common"] * 39, dtype=object)
    for seed in range(10):
        ds = sdata.split_dataset(Dataset("x", seqs, labels, {"alphabet": "ACGT"}), seed, {})
        assert "rare" in set(ds.conditions)  # a label the model never saw cannot be asked for
        assert len(ds.val) == len(ds.test) == 5


def test_selection_uses_validation_and_evaluation_uses_test():
    ds = DOMAIN.load("orf", options={"n": 200}, seed=0)
    sel, ev = DOMAIN.selection_reference(ds), DOMAIN.evaluation_reference(ds)
    assert sel.part == "validation" and sel.samples == ds.val and sel.train == ds.samples
    assert ev.part == "test" and ev.samples == ds.test and ev.train == ds.samples
    assert "test part (20 sequences)" in ev.info["reference"]
    # a view is not split again, and without held-out parts the reference is the data itself
    assert sdata.reference_view(ev, sdata.TEST) is ev
    tiny = DOMAIN.load(_random(10), options={}, seed=0)
    assert DOMAIN.selection_reference(tiny) is tiny and DOMAIN.evaluation_reference(tiny) is tiny


def test_held_out_evaluation_scores_test_and_memorisation_against_train(monkeypatch):
    ds = DOMAIN.load(_random(300, length=20), options={}, seed=0)
    ref = DOMAIN.evaluation_reference(ds)
    seen = {}

    def spy(gen, a, b, train, rest, info, seed, *, floor_queries=None, draws=None, **kw):
        seen.update(a=a, b=b, train=train, rest=rest, queries=floor_queries, draws=draws)
        return {}

    monkeypatch.setattr(sm, "evaluate_sets", spy)
    sm.evaluate(lambda m, c, s: ds.samples[:m], ref, n=1000, seed=0)
    assert set(seen["a"]) == set(ds.test) and len(seen["a"]) == 30  # capped at the test part
    assert set(seen["b"]) <= set(ds.samples) and len(seen["b"]) == 30
    assert seen["train"] == seen["rest"] == ds.samples and seen["queries"] == seen["a"]
    # the test part (reported numbers): DRAWS − 1 more (generated, training) samples of size m
    assert len(seen["draws"]) == sm.DRAWS - 1
    assert all(len(g) == len(r) == 30 and set(r) <= set(ds.samples) for g, r in seen["draws"])
    sm.evaluate(lambda m, c, s: ds.samples[:m], DOMAIN.selection_reference(ds), n=1000, seed=0)
    assert seen["draws"] == []  # validation (training-time) scoring of DNA: one draw


def test_memorisation_is_measured_against_the_training_part(monkeypatch):
    monkeypatch.setattr(sm, "cnn_classifier_auc", lambda *a, **k: 0.5)  # not tested here
    ds = DOMAIN.load(_random(300, length=20), options={}, seed=0)
    ref = DOMAIN.evaluation_reference(ds)
    copies = sm.evaluate(lambda m, c, s: ds.samples[:m], ref, n=30, seed=0)
    assert copies[sm.EXACT_COPY]["value"] == 1.0 and copies[sm.NEAREST_IDENTITY]["value"] == 1.0
    assert copies[sm.EXACT_COPY]["floor"] == 0.0  # test sequences are never in the train part
    assert copies[sm.EXACT_COPY]["pool"] == len(set(ds.samples))
    assert copies[sm.NEAREST_IDENTITY]["floor"] < 1.0
    # a generator that reproduces the held-out test part copies nothing it trained on
    test_copies = sm.evaluate(lambda m, c, s: ds.test[:m], ref, n=30, seed=0)
    assert test_copies[sm.EXACT_COPY]["value"] == 0.0
    assert test_copies[sm.FIDELITY]["value"] == 0.0  # ... and matches the test k-mers exactly


def test_evaluation_against_named_data_uses_all_its_records():
    other = DOMAIN.load(_random(100, seed=9), options={}, seed=0)  # e.g. evaluate(reference=...)
    got = {}

    def sample(m, cond, seed):
        got["m"] = m
        return list(other.samples[:m])

    sm.evaluate(sample, other, n=1000, seed=0)
    assert got["m"] == 50  # half of all 100 records, not of the 80 in its train part


def test_conditional_held_out_evaluation_draws_the_test_conditions():
    seqs = _random(100)
    labels = np.array(["a", "b"] * 50)
    pairs = dict(zip(seqs, labels, strict=True))
    ds = sdata.split_dataset(Dataset("x", seqs, labels, {"alphabet": "ACGT"}), 0, {})
    ref = sdata.reference_view(ds, sdata.TEST)
    asked = {}

    def sample(m, cond, seed):
        asked["cond"] = list(cond)
        return list(ref.samples[:m])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sm, "evaluate_sets", lambda gen, a, *rest, **kw: asked.update(a=a) or {})
        sm.evaluate(sample, ref, n=10, seed=0)
    assert asked["cond"] == [pairs[s] for s in asked["a"]]
