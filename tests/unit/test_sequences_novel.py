"""The latent sequence GAN draws a generated copy of a training sequence again from the same
code (``NOVEL_REDRAWS`` times at most), counts the copies it saw before the redraws, keeps the
training part's digests in encoder.json, and ``--set novel=false`` turns the redraws off."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from scigan.api import Synthesizer
from scigan.domains.base import Dataset
from scigan.domains.sequences.encoding import (
    NOVEL_REDRAWS,
    LatentSequenceEncoder,
    sequence_digests,
)
from scigan.errors import DataError

TRAIN = ["AAAA", "ACAC", "CCCC"]


def _encoder(tmp_path, monkeypatch, novel=True):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    seqs = TRAIN + ["".join(rng.choice(list("ACGT"), 4)) for _ in range(30)]
    enc = LatentSequenceEncoder(ae={"steps": 2, "hidden": 8, "latent": 4, "embed": 4}, seed=0,
                                adapt_steps=0, novel=novel)  # fmt: skip
    return enc.fit(Dataset("t", seqs, None, {"alphabet": "ACGT"})), set(seqs)


def _scripted(enc, monkeypatch, batches):
    """Make the decoder return these strings, one list per call; record the codes asked for."""
    lookup = {ch: i + 3 for i, ch in enumerate(enc.alphabet_)}
    calls = []

    def generate(model, codes, temperature, *, length=None, banned=None):
        rows = batches[len(calls)]
        calls.append(codes.clone())
        assert len(rows) == len(codes)
        return torch.tensor([[lookup[c] for c in s] for s in rows])

    monkeypatch.setattr(enc, "_generate_ids", generate)
    return calls


def test_digests_are_per_sequence_and_stable():
    d = sequence_digests(["ACGT", "ACGT", "TTTT"])
    assert d.dtype == np.uint64 and len(d) == 3 and d[0] == d[1] != d[2]
    assert sequence_digests(["ACGT"])[0] == d[0]  # no per-process salt (unlike hash())


def test_copies_are_drawn_again_from_their_own_codes(tmp_path, monkeypatch):
    enc, train = _encoder(tmp_path, monkeypatch)
    x = torch.randn(3, enc.gan_dim)
    # first draw: a copy, a new sequence, a copy; the redraw: still a copy, now new; then new
    calls = _scripted(enc, monkeypatch, [["AAAA", "GGTA", "CCCC"], ["ACAC", "TTGA"], ["GATC"]])
    out = enc.decode(x)
    assert out == ["GATC", "GGTA", "TTGA"]
    assert not any(s in train for s in out)
    assert enc.copies_before_redraw_ == 2 and enc.decoded_ == 3
    codes = enc.to_codes(x)
    assert torch.equal(calls[1], codes[[0, 2]]) and torch.equal(calls[2], codes[[0]])


def test_a_persistent_copy_is_kept_after_the_last_redraw(tmp_path, monkeypatch):
    enc, _ = _encoder(tmp_path, monkeypatch)
    _scripted(enc, monkeypatch, [["AAAA"]] * (NOVEL_REDRAWS + 1))
    assert enc.decode(torch.randn(1, enc.gan_dim)) == ["AAAA"]  # counted, not hidden
    assert enc.copies_before_redraw_ == 1


def test_novel_false_keeps_the_first_draws(tmp_path, monkeypatch):
    enc, _ = _encoder(tmp_path, monkeypatch, novel=False)
    _scripted(enc, monkeypatch, [["AAAA", "GGTA"]])
    assert enc.decode(torch.randn(2, enc.gan_dim)) == ["AAAA", "GGTA"]
    assert enc.copies_before_redraw_ == 0 and enc.decoded_ == 2


def test_state_round_trip_and_runs_saved_before_the_redraws(tmp_path, monkeypatch):
    enc, train = _encoder(tmp_path, monkeypatch)
    state = json.loads(json.dumps(enc.state_dict()))  # what encoder.json holds
    back = LatentSequenceEncoder(seed=0)
    back.load_state_dict(state)
    assert back.novel is True
    assert np.array_equal(back.train_digests_, enc.train_digests_)
    assert len(back.train_digests_) == len(train)  # one per distinct training sequence
    old = {k: v for k, v in state.items() if k not in ("novel", "train_digests")}
    back.load_state_dict(old)
    assert back.novel is False and back.train_digests_ is None  # they sampled without


def test_novel_option_reaches_the_encoder_and_is_checked():
    from scigan.domains.sequences.encoding import make_encoder

    def encoder(options):
        gan = Synthesizer(domain="sequences", options={"model": "latent-gan", **options})
        return make_encoder(gan.resolve_config("orf"))

    assert encoder({}).novel is True
    assert encoder({"novel": False}).novel is False
    with pytest.raises(DataError, match="novel"):
        encoder({"novel": "maybe"})
