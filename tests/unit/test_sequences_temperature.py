"""The latent sequence GAN's sampling temperature is chosen after training on the validation
part by the selection metric (mean k-mer JSD), kept in encoder.json; ``--set temperature`` fixes
it instead."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scigan.api import Synthesizer
from scigan.domains.sequences import SequencesDomain
from scigan.domains.sequences.encoding import TEMPERATURES

TINY = {"model": "latent-gan", "ae_steps": 3, "ae_hidden": 8, "ae_latent": 4}
SETTINGS = {"steps": 4, "eval_every": 0, "eval_n": 20, "batch_size": 16,
            "g_width": 16, "d_width": 16, "threads": 1, "seed": 0}  # fmt: skip


def _fasta(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "seqs.fasta"
    path.write_text(
        "".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), 16))}\n" for i in range(200))
    )
    return path


def _rows(run):
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


def test_temperature_is_chosen_on_the_validation_part_and_saved(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    gan = Synthesizer(domain="sequences", options=TINY, **SETTINGS)
    gan.fit(str(_fasta(tmp_path)), out=run)
    (row,) = [r for r in _rows(run) if r.get("kind") == "temperature"]
    assert row["metric"] == "fidelity" and row["n"] == 20
    scores = {float(t): v for t, v in row["scores"].items()}
    assert list(scores) == list(TEMPERATURES)
    best = min(scores.values())
    assert row["chosen"] == next(t for t in TEMPERATURES if scores[t] == best)  # first of ties
    saved = json.loads((run / "encoder.json").read_text())
    assert saved["adapt_temperature"] == row["chosen"] and saved["temperatures"] == list(
        TEMPERATURES
    )
    # the recorded score is the selection metric of the saved model at that temperature
    loaded = Synthesizer.load(run)
    assert loaded.encoder_.adapt_temperature == row["chosen"]
    domain = SequencesDomain()
    val = domain.selection_reference(loaded.dataset_ or domain.load(
        str(tmp_path / "seqs.fasta"), options=loaded.config_.options, seed=0))  # fmt: skip
    m = domain.evaluate(lambda k, c, s: loaded.sample(k, seed=s, conditions=c), val, n=20, seed=0)
    assert m["fidelity"]["value"] == pytest.approx(scores[row["chosen"]])


def test_a_temperature_option_is_kept_as_given(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    gan = Synthesizer(domain="sequences", options={**TINY, "temperature": 0.9}, **SETTINGS)
    gan.fit(str(_fasta(tmp_path)), out=run)
    assert not [r for r in _rows(run) if r.get("kind") == "temperature"]
    assert gan.encoder_.adapt_temperature == 0.9
    assert "temperatures" not in json.loads((run / "encoder.json").read_text())
