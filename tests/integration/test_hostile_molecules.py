"""Hostile molecule files (issue 29): pipes, devices and absurd SMILES lines.

Every case ends in exit code 2 with exactly one stderr line ``scigan: error: ...`` that names
the file and the limit or problem — never a hang or a memory blow-up — and leaves the test
folder unchanged. Cases that could hang (a FIFO, a device) run in subprocesses with a 60 s
timeout; the rest call ``scigan.cli.main``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("rdkit")

from hostile import cli, one_error, snapshot

TINY = ["--steps", "1", "--n-critic", "1", "--batch-size", "8", "--z-dim", "4", "--g-width",
        "8", "--d-width", "8", "--g-depth", "1", "--d-depth", "1", "--threads", "1",
        "--quiet"]  # fmt: skip
GOOD = ["CCO", "CCN", "c1ccccc1", "CC(=O)O", "CCCl", "CC(C)O"] * 5  # 30 valid molecules
MEGA = "C" * 1_000_000  # a 1 MB "SMILES": a valid alkane to RDKit, a bomb to the tokeniser


def test_pipes_and_devices_as_molecule_files_are_refused_without_hanging(tmp_path):
    """A FIFO (.smi, .sdf, .csv) and /dev/zero behind a .smi name: nobody writes to the pipes,
    so a reader that opened one would block forever; /dev/zero would fill memory."""
    pipes = {}
    for name in ("m.smi", "m.sdf", "m.csv"):
        pipes[name] = tmp_path / name
        os.mkfifo(pipes[name])
    zero = tmp_path / "zero.smi"
    zero.symlink_to("/dev/zero")
    # name: (the data arguments, what the error must say)
    cases = {
        f"fifo-{name}": (["--domain", "molecules", "--data", str(p)], (str(p), "regular file"))
        for name, p in pipes.items()
    }
    cases["dev-zero"] = (["--domain", "molecules", "--data", str(zero)], (str(zero), "regular"))
    # without --domain the engine does not take a pipe for a data file (problem.infer_domain
    # asks for a regular file before it reads the suffix): one line, no hang
    cases["fifo-inferred-domain"] = (["--data", str(pipes["m.smi"])], ("m.smi", "regular file"))
    before = snapshot(tmp_path)
    env = {**os.environ, "PYTHONWARNINGS": "default", "SCIGAN_CACHE": str(tmp_path / "c")}
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "scigan", "train", *data, "--out", str(tmp_path / name), *TINY],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (data, _) in cases.items()
    }
    deadline = time.monotonic() + 60
    results = {}
    for name, proc in procs.items():
        try:
            _, stderr = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            for p in procs.values():
                p.kill()
                p.communicate()
            pytest.fail(f"{name}: still running after 60 s (it hangs)")
        results[name] = (proc.returncode, stderr.splitlines())
    for name, (rc, lines) in results.items():
        one_error(rc, lines, *cases[name][1])
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("fname", "content", "where"),
    [
        ("m.smi", "CCO\n" + MEGA + "\n" + "CCN\n" * 30, "line 2"),
        ("m.txt", "smiles\nCCO\n" + MEGA + " name\n" + "CCN\n" * 30, "line 3"),
        ("m.csv", "smiles,y\nCCO,1\n" + MEGA + ",2\n" + "CCN,3\n" * 30, "line 3"),
    ],
)
def test_a_megabyte_smiles_line_is_refused_in_one_line(tmp_path, capsys, fname, content, where):
    path = tmp_path / fname
    path.write_text(content)
    assert path.stat().st_size > 1_000_000
    before = snapshot(tmp_path)
    t0 = time.perf_counter()
    rc, lines = cli(capsys, "train", "--domain", "molecules", "--data", path, "--out",
                    tmp_path / "out", *TINY)  # fmt: skip
    line = one_error(rc, lines, str(path), where, "1,000,000 characters", "limit of 1,000",
                     "--set max_smiles_length=N")  # fmt: skip
    assert "CCCCCCCCCC" not in line  # the SMILES itself is not echoed
    assert time.perf_counter() - t0 < 20
    assert snapshot(tmp_path) == before


def test_the_smiles_length_limit_can_be_raised(tmp_path, capsys):
    """A genuine long molecule (a 1,200-character alkane chain) reads with a raised limit."""
    path = tmp_path / "long.smi"
    path.write_text("".join(f"{s}\n" for s in GOOD) + "C" * 1_200 + "\n")
    from scigan.domains.molecules.data import load_molecules
    from scigan.errors import DataError

    with pytest.raises(DataError, match="line 31: a SMILES of 1,200 characters"):
        load_molecules(str(path), options={}, seed=0)
    ds = load_molecules(str(path), options={"max_smiles_length": 2000}, seed=0)
    assert ds.info["n_source"] == 31


def test_in_memory_smiles_are_held_to_the_same_limit():
    from scigan.domains.molecules.data import load_molecules
    from scigan.errors import DataError

    with pytest.raises(DataError, match=r"<in-memory>: line 31: a SMILES of 1,000,000 characters"):
        load_molecules([*GOOD, MEGA], options={}, seed=0)


@pytest.mark.parametrize(
    ("setting", "needles"),
    [
        ("max_len=1000000000", ("max_len", "[0, 1000]", "tokens")),
        ("max_len=2.5", ("max_len", "whole number")),
        ("max_smiles_length=1e12", ("max_smiles_length", "[10, 100000]")),
        ("max_smiles_length=lots", ("max_smiles_length",)),
        ("val_fraction=0.9", ("val_fraction", "[0.01, 0.5]")),
    ],
)
def test_size_options_are_bounded_before_any_allocation(tmp_path, capsys, setting, needles):
    """A token length of 10**9 would make the one-hot tensor and the autoencoder's first
    layer that wide; it is refused while the options are read."""
    path = tmp_path / "m.smi"
    path.write_text("".join(f"{s}\n" for s in GOOD))
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "train", "--domain", "molecules", "--data", path, "--out",
                    tmp_path / "out", "--set", setting, *TINY)  # fmt: skip
    one_error(rc, lines, *needles)
    assert snapshot(tmp_path) == before
