"""Hostile input to the sequences domain (issue 29): checked before it is read or allocated.

A single 1 Mb FASTA record used to make every row 1 Mb long and the generator's first layer
8 GB. Every refusal ends in exit 2 with one ``scigan: error:`` line naming the file, the
problem and the fix — never a traceback, a hang or a huge allocation — and leaves nothing
written. A numeric condition outside the training range is sampled with an
:class:`~scigan.domains.arrays.ExtrapolationWarning` that says by how much; NaN/inf are refused.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hostile import cli, one_error, snapshot

from scigan import Synthesizer
from scigan.cli import main
from scigan.domains.base import ExtrapolationWarning
from scigan.domains.sequences import data as sdata
from scigan.errors import DataError
from scigan.limits import MEMORY_ENV

TINY = ["--z-dim", "4", "--g-width", "8", "--d-width", "8", "--g-depth", "1", "--d-depth", "1",
        "--batch-size", "16", "--n-critic", "1", "--eval-every", "0", "--threads", "1",
        "--quiet", "--set", "model=direct"]  # fmt: skip
RNG = np.random.default_rng(0)
SHORT = ["".join(RNG.choice(list("ACGT"), 20)) for _ in range(40)]  # 40 × 20 bp
TEMPS = [30.0 + 1.5 * i for i in range(40)]  # a numeric condition, 30 … 88.5


# ---------------------------------------------------------------------------- helpers


def train(capsys, data: Path, out: Path, *extra: object) -> tuple[int, list[str]]:
    return cli(capsys, "train", "--domain", "sequences", "--data", data, "--out", out,
               "--steps", "2", "--ckpt-every", "2", *TINY, *extra)  # fmt: skip


def huge_fasta(path: Path) -> Path:
    """Two short records and one of 1,000,000 bases (about 1 MB) on one line."""
    big = "".join(RNG.choice(list("ACGT"), 1_000_000))
    path.write_text(">a\nACGTACGTAC\n>b\nACGTTTGCA\n>chr1 a whole contig\n" + big + "\n")
    return path


@pytest.fixture(scope="module")
def cond_run(tmp_path_factory) -> Path:
    """A 2-step run on 40 DNA sequences conditioned on a number, temp 30 … 88.5."""
    root = tmp_path_factory.mktemp("cond")
    data = root / "seqs.csv"
    data.write_text(
        "sequence,temp\n" + "".join(f"{s},{t}\n" for s, t in zip(SHORT, TEMPS, strict=True))
    )
    out = root / "run"
    assert main(["train", "--domain", "sequences", "--data", str(data), "--out", str(out),
                 "--steps", "2", "--ckpt-every", "2", *TINY,
                 "--set", "condition=temp"]) == 0  # fmt: skip
    return out


# ---------------------------------------------------------------------------- long records
def test_fasta_with_a_1mb_record_is_refused_before_allocation(tmp_path, capsys):
    fa = huge_fasta(tmp_path / "genome.fa")
    assert fa.stat().st_size > 1_000_000
    before = snapshot(tmp_path)
    t0 = time.perf_counter()
    rc, lines = train(capsys, fa, tmp_path / "out")
    one_error(rc, lines, str(fa), "'chr1'", "1,000,000", "10,000", "--set max_len=N",
              "--set window=N")  # fmt: skip
    assert time.perf_counter() - t0 < 20
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("name", "text", "extra", "needles"),
    [
        ("s.csv", "sequence\nACGT\nACGG\n" + "A" * 2_000_000 + "\nACGA\n", (),
         ("line 4", "131,072 characters", "max_len", "--set window=N")),
        ("s.txt", "ACGT\nACGG\n" + "C" * 2_000_000 + "\n", (),
         ("'line 3'", "2,000,000", "10,000", "--set max_len=N")),
        ("s.fa", ">x\nACGTAC\n>y\n" + "G" * 60 + "\n", ("--set", "max_len=50"),
         ("'y'", "length 60 > max_len 50", "--set max_len=N", "--set invalid=drop")),
    ],
    ids=["csv-2mb-line", "txt-2mb-line", "fasta-over-explicit-max-len"],
)  # fmt: skip
def test_long_lines_are_refused_with_the_fix(name, text, extra, needles, tmp_path, capsys):
    path = tmp_path / name
    path.write_text(text)
    before = snapshot(tmp_path)
    rc, lines = train(capsys, path, tmp_path / "out", *extra)
    one_error(rc, lines, str(path), *needles)
    assert snapshot(tmp_path) == before


def test_long_records_can_be_windowed_or_dropped(tmp_path):
    fa = huge_fasta(tmp_path / "genome.fa")
    ds = sdata.load_user(fa, {"window": 100})  # the short records are shorter than a window
    assert len(ds.samples) == 10_000 and ds.info["max_len"] == 100
    assert {len(s) for s in ds.samples} == {100}
    ds = sdata.load_user(fa, {"window": 100, "stride": 50})
    assert len(ds.samples) == 19_999
    ds = sdata.load_user(fa, {"invalid": "drop"})
    assert ds.samples == ["ACGTACGTAC", "ACGTTTGCA"] and ds.info["dropped"] == 1
    with pytest.raises(DataError, match=r"window=-5 stride=-5: both must be >= 1"):
        sdata.load_user(fa, {"window": -5})


# ---------------------------------------------------------------------------- memory limits
def test_one_hot_over_the_memory_limit_is_refused(tmp_path, capsys, monkeypatch):
    fa = tmp_path / "s.fa"
    fa.write_text("".join(f">r{i}\n{'ACGT' * 25}\n" for i in range(200)))  # 21 KB
    monkeypatch.setenv(MEMORY_ENV, str(100_000 / 2**30))  # ≈ 98 KiB; the one-hot is 313 KiB
    before = snapshot(tmp_path)
    rc, lines = train(capsys, fa, tmp_path / "out")
    one_error(rc, lines, str(fa), "one-hot", "(200, 4, 100)", MEMORY_ENV)
    assert snapshot(tmp_path) == before


def test_generator_too_large_for_max_len_is_refused(tmp_path, capsys, monkeypatch):
    """max_len raised to 10**6 on purpose: the one-hot data (40 MB) fit, the generator's
    first layer (64 × 32·10**6 weights with Adam state, 131 GB) does not."""
    fa = tmp_path / "s.fa"
    fa.write_text(">a\nACGTAC\n>b\nACGTTTGA\n")
    monkeypatch.setenv(MEMORY_ENV, "1")
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "train", "--domain", "sequences", "--data", fa, "--out",
                    tmp_path / "out", "--steps", "1", "--quiet", "--threads", "1",
                    "--set", "max_len=1000000", "--set", "model=direct")  # fmt: skip
    one_error(rc, lines, "first layer", "1,000,000", "--set max_len=N", MEMORY_ENV)
    assert snapshot(tmp_path) == before


def test_autoencoder_too_large_for_max_len_is_refused(tmp_path, capsys, monkeypatch):
    """The same with the shipped latent GAN: its autoencoder's first layer reads L × 32
    embeddings (10**6 × 32 × 192 weights with Adam state, 393 GB)."""
    fa = tmp_path / "s.fa"
    fa.write_text(">a\nACGTAC\n>b\nACGTTTGA\n")
    monkeypatch.setenv(MEMORY_ENV, "1")
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "train", "--domain", "sequences", "--data", fa, "--out",
                    tmp_path / "out", "--steps", "1", "--quiet", "--threads", "1",
                    "--set", "max_len=1000000")  # fmt: skip
    one_error(rc, lines, "autoencoder", "first layer", "1,000,000", "--set max_len=N",
              MEMORY_ENV)  # fmt: skip
    assert snapshot(tmp_path) == before


def test_gzip_bomb_is_read_only_up_to_the_memory_limit(tmp_path, capsys, monkeypatch):
    gz = tmp_path / "bomb.fa.gz"
    gz.write_bytes(gzip.compress(b">a\n" + b"ACGT" * 1_250_000 + b"\n"))  # 5 MB in ~10 KB
    assert gz.stat().st_size < 50_000
    monkeypatch.setenv(MEMORY_ENV, str(1 / 1024))  # 1 MiB
    before = snapshot(tmp_path)
    rc, lines = train(capsys, gz, tmp_path / "out")
    one_error(rc, lines, str(gz), "decompresses to more than", MEMORY_ENV)
    assert snapshot(tmp_path) == before


def test_fifo_as_data_is_refused_without_hanging(tmp_path):
    """Nobody writes to the pipe: a reader that opened it would block forever."""
    fifo = tmp_path / "pipe.fa"
    os.mkfifo(fifo)
    before = snapshot(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "scigan", "train", "--domain", "sequences", "--data", str(fifo),
         "--out", str(tmp_path / "out"), "--steps", "1", "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )  # fmt: skip
    one_error(proc.returncode, proc.stderr.splitlines(), str(fifo), "regular file")
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------- conditions
def test_condition_outside_the_training_range_warns(cond_run, tmp_path, capsys):
    """The CLI shows the warning on stderr (or, where it keeps Python's warning machinery,
    it is recorded here): either way one warning says where and by how much."""
    out = tmp_path / "s.csv"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        rc, lines = cli(capsys, "sample", cond_run, "-n", "5", "--out", out,
                        "--condition", "temp=1e9")  # fmt: skip
    assert rc == 0, lines
    shown = lines + [str(w.message) for w in record if w.category is ExtrapolationWarning]
    (warning,) = [line for line in shown if "outside the training range" in line]
    assert "temp=1e+09 is outside the training range [30, 88.5]" in warning
    assert "above its maximum" in warning and "× the range's width" in warning
    assert not [line for line in lines if "error" in line or "Traceback" in line]
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 and {float(r["condition"]) for r in rows} == {1e9}


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_condition_is_refused(value, cond_run, tmp_path, capsys):
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "sample", cond_run, "-n", "5", "--out", tmp_path / "s.csv",
                    "--condition", f"temp={value}")  # fmt: skip
    one_error(rc, lines, "temp", "finite")
    assert snapshot(tmp_path) == before


def test_api_conditions_and_the_saved_range(cond_run, tmp_path):
    state = json.loads((cond_run / "encoder.json").read_text())
    state = state.get("state", state)
    assert (state["cond_min"], state["cond_max"]) == (30.0, 88.5)
    gan = Synthesizer.load(cond_run)
    gan.sample(2, seed=0, conditions=np.array([30.0, 88.5]))  # inside: no warning
    with pytest.warns(
        ExtrapolationWarning, match=r"temp=10 .*\[30, 88.5\] by 20 \(below its minimum"
    ):
        gan.sample(3, seed=0, conditions=np.array([10.0, 50.0, 60.0]))
    for bad in (np.nan, np.inf):
        with pytest.raises(DataError, match=r"temp=.* not a finite number"):
            gan.sample(1, seed=0, conditions=np.array([bad]))


def test_encoder_saved_without_a_range_loads_and_samples(cond_run, tmp_path):
    old = shutil.copytree(cond_run, tmp_path / "old")
    path = old / "encoder.json"
    text = json.loads(path.read_text())
    state = text.get("state", text)
    del state["cond_min"], state["cond_max"]
    path.write_text(json.dumps(text))
    gan = Synthesizer.load(old)
    assert gan.encoder_.cond_min_ is None
    assert len(gan.sample(2, seed=0, conditions=np.array([1e9, 0.0]))) == 2  # no check


def test_non_finite_training_condition_is_refused(tmp_path, capsys):
    data = tmp_path / "seqs.csv"
    temps = [*TEMPS[:7], "nan", *TEMPS[8:]]
    data.write_text(
        "sequence,temp\n" + "".join(f"{s},{t}\n" for s, t in zip(SHORT, temps, strict=True))
    )
    before = snapshot(tmp_path)
    rc, lines = train(capsys, data, tmp_path / "out", "--set", "condition=temp")
    one_error(rc, lines, str(data), "'row 9'", "temp=nan", "finite")
    assert snapshot(tmp_path) == before
