"""Biopython SeqRecords in and out of the sequences domain (issue 25)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from Bio import SeqIO
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord

from scigan import Synthesizer
from scigan.domains.sequences import as_seqrecords
from scigan.domains.sequences.data import load_user
from scigan.errors import DataError, MissingDependencyError

TINY = {
    "z_dim": 8, "g_width": 8, "d_width": 8, "g_depth": 1, "d_depth": 1, "batch_size": 16,
    "n_critic": 1, "steps": 2, "log_every": 2, "eval_every": 0, "ckpt_every": 2, "eval_n": 16,
    "threads": 1, "options": {"model": "direct"},
}  # fmt: skip


def _records(n: int = 40, length: int = 12) -> list[SeqRecord]:
    rng = np.random.default_rng(0)
    return [
        SeqRecord(Seq("".join(rng.choice(list("ACGT"), length))), id=f"chr1_{i}") for i in range(n)
    ]


def test_load_accepts_seqrecords_seqs_strings_and_an_iterator(tmp_path):
    recs = _records(3)
    ds = load_user([*recs, Seq("ACGTACGTACGT"), "ACGTACGTAAAA"], {})
    assert ds.samples == [str(r.seq) for r in recs] + ["ACGTACGTACGT", "ACGTACGTAAAA"]
    assert ds.info["alphabet"] == "ACGT"
    path = tmp_path / "in.fasta"
    SeqIO.write(recs, path, "fasta")
    with open(path, encoding="utf-8") as fh:  # an iterator
        assert load_user(SeqIO.parse(fh, "fasta"), {}).samples == ds.samples[:3]


def test_seqrecord_ids_name_bad_records():
    recs = [*_records(3), SeqRecord(Seq("ACGTACGTACGU"), id="plasmid_7")]
    with pytest.raises(DataError, match=r"'plasmid_7'.*'U' at position 12"):
        load_user(recs, {"alphabet": "dna"})
    with pytest.raises(DataError, match=r"'undefined'.*undefined"):
        load_user([SeqRecord(Seq(None, 12), id="undefined"), "ACGT"], {})
    with pytest.raises(DataError, match="item '#1' is a int"):
        load_user(["ACGT", 5], {})


def test_as_seqrecords_ids_conditions_and_fasta_round_trip(tmp_path):
    recs = as_seqrecords(["KLAK", "GIGK"], conditions=np.array(["amp", "nonamp"]))
    assert [r.id for r in recs] == ["gen_0", "gen_1"]
    assert [str(r.seq) for r in recs] == ["KLAK", "GIGK"]
    assert [r.description for r in recs] == ["condition=amp", "condition=nonamp"]
    assert [r.id for r in as_seqrecords(["A"], prefix="design")] == ["design_0"]
    path = tmp_path / "out.fasta"
    SeqIO.write(recs, path, "fasta")
    with open(path, encoding="utf-8") as fh:
        assert [str(r.seq) for r in SeqIO.parse(fh, "fasta")] == ["KLAK", "GIGK"]
    with pytest.raises(DataError, match="1 conditions for 2"):
        as_seqrecords(["A", "C"], conditions=["x"])


def test_without_biopython_seqrecords_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "Bio.SeqRecord", None)
    with pytest.raises(MissingDependencyError, match=r"scigan\[bio\]"):
        as_seqrecords(["ACGT"])
    assert load_user(["ACGT", "ACGA"], {}).samples == ["ACGT", "ACGA"]  # strings need no Bio


def test_synthesizer_fits_seqrecords_and_samples_back_as_records():
    recs = _records()
    gan = Synthesizer(domain="sequences", **TINY).fit(recs)
    seqs = gan.sample(5, seed=1)
    assert all(isinstance(s, str) and len(s) == 12 for s in seqs)  # sample keeps strings
    out = as_seqrecords(seqs)
    assert [str(r.seq) for r in out] == seqs and out[0].id == "gen_0"
    m = gan.evaluate(reference=recs, n=16)["metrics"]  # a reference given as records too
    assert m["exact_copy_fraction"]["n"] == 16
