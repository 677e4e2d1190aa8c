"""Hostile input and bad timing (issue 29): toy, tabular and the generic run-folder cases.

Every case ends in exit code 2 with exactly one stderr line ``scigan: error: ...`` that names
the file, the problem and the fix — never a traceback, a hang or a memory blow-up — and leaves
nothing half-written (the test folder is byte-for-byte unchanged). Cases that could hang (a
FIFO, a device) run in a subprocess with a timeout; the rest call ``scigan.cli.main``.

Families: resource bombs (a .npy header declaring 1.46 TiB, FIFOs, /dev/zero, a YAML alias
bomb, a 120,000-column CSV); tampered checkpoint metadata; a run killed before its first
checkpoint and stale temporary files; a second process on a locked run; overwriting; moved
training data; tabular conditions outside the training range.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hostile import MAX_LINE, cli, one_error, snapshot
from numpy.lib import format as npy_format
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from scigan import Synthesizer
from scigan.cli import main
from scigan.domains.base import ExtrapolationWarning
from scigan.errors import DataError

# Tiny networks: every training below takes well under a second on one thread.
TINY = ["--z-dim", "4", "--g-width", "8", "--d-width", "8", "--g-depth", "1", "--d-depth", "1",
        "--batch-size", "20", "--eval-every", "0", "--threads", "1", "--quiet"]  # fmt: skip
TOY = ["--steps", "4", "--ckpt-every", "2", *TINY, "--set", "n=200"]
# Experiment table: temperature 30..110 (a numeric condition), a categorical one, an outcome.
EXPERIMENT = "temperature,cat,y\n" + "".join(
    f"{30 + 2 * i},{'pq'[i % 2]},{0.5 * i}\n" for i in range(41)
)
TAB = ["--steps", "2", *TINY, "--set", "conditions=[temperature,cat]", "--set", "outcomes=[y]"]


# ---------------------------------------------------------------------------- helpers


def run_processes(cases: dict[str, tuple[list[str], Path]], timeout: float = 60) -> dict:
    """``python -m scigan ARGS`` for every case at once (cwd given); {name: CompletedProcess}.
    A case still running after ``timeout`` seconds is killed and reported as a hang."""
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "scigan", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (args, cwd) in cases.items()
    }
    out = {}
    deadline = time.monotonic() + timeout
    for name, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail(f"{name}: still running after {timeout} s (it hangs)")
        out[name] = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return out


def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def checkpoint_tensors(run: Path) -> dict[str, torch.Tensor]:
    ptr = json.loads((run / "checkpoints" / "latest.json").read_text())
    return st_load((run / "checkpoints" / ptr["file"]).read_bytes())


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory) -> Path:
    """A finished 4-step ring8 run (checkpoints at steps 2 and 4)."""
    out = tmp_path_factory.mktemp("toy") / "run"
    assert main(["train", "--data", "ring8", "--out", str(out), *TOY]) == 0
    return out


@pytest.fixture(scope="module")
def tab_run(tmp_path_factory) -> Path:
    """A 2-step tabular experiment run: temperature, cat → y."""
    root = tmp_path_factory.mktemp("tab")
    (root / "exp.csv").write_text(EXPERIMENT)
    out = root / "run"
    assert main(["train", "--domain", "tabular", "--data", str(root / "exp.csv"), "--out",
                 str(out), *TAB]) == 0  # fmt: skip
    return out


# ---------------------------------------------------------------------------- resource bombs
def test_npy_header_declaring_terabytes_is_refused_before_allocation(tmp_path, capsys):
    bomb = tmp_path / "bomb.npy"
    with bomb.open("wb") as fh:  # a 128-byte header declaring (10**11, 2) float64, no data
        npy_format.write_array_header_1_0(
            fh, {"descr": "<f8", "fortran_order": False, "shape": (10**11, 2)}
        )
    assert bomb.stat().st_size == 128
    before = snapshot(tmp_path)
    t0 = time.perf_counter()
    rc, lines = cli(capsys, "train", "--domain", "toy", "--data", bomb, "--out",
                    tmp_path / "out", *TOY)  # fmt: skip
    one_error(rc, lines, str(bomb), "(100000000000, 2)", "SCIGAN_MAX_MEMORY_GB")
    assert time.perf_counter() - t0 < 10
    assert snapshot(tmp_path) == before


def test_pipes_and_devices_are_refused_without_hanging(toy_run, tmp_path):
    """A FIFO as --data and as a checkpoint pointer, /dev/zero as config.json: nobody writes
    to the pipes, so a reader that opened them would block forever."""
    fifo = tmp_path / "points.csv"
    os.mkfifo(fifo)
    piped = copy_run(toy_run, tmp_path / "piped")
    (piped / "checkpoints" / "latest.json").unlink()
    os.mkfifo(piped / "checkpoints" / "latest.json")
    zero = copy_run(toy_run, tmp_path / "zero")
    (zero / "config.json").unlink()
    (zero / "config.json").symlink_to("/dev/zero")
    before = snapshot(tmp_path)
    procs = run_processes(
        {
            "fifo-data": (
                [
                    "train",
                    "--domain",
                    "toy",
                    "--data",
                    str(fifo),
                    "--out",
                    str(tmp_path / "out"),
                    *TOY,
                ],
                tmp_path,
            ),
            "fifo-pointer": (
                ["sample", str(piped), "-n", "5", "--out", str(tmp_path / "s1.csv")],
                tmp_path,
            ),
            "dev-zero-config": (
                ["sample", str(zero), "-n", "5", "--out", str(tmp_path / "s2.csv")],
                tmp_path,
            ),
        }
    )
    needles = {
        "fifo-data": str(fifo),
        "fifo-pointer": str(piped / "checkpoints" / "latest.json"),
        "dev-zero-config": str(zero / "config.json"),
    }
    for name, proc in procs.items():
        one_error(proc.returncode, proc.stderr.splitlines(), needles[name], "regular file")
    assert snapshot(tmp_path) == before


def test_yaml_alias_bomb_is_refused_in_one_short_line(tmp_path, capsys):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    assert bomb.stat().st_size < 1024
    before = snapshot(tmp_path)
    rc, err = cli(capsys, "train", "--data", "ring8", "--config", bomb, "--out", tmp_path / "out")
    line = one_error(rc, err, str(bomb))
    assert len(line) <= MAX_LINE
    assert snapshot(tmp_path) == before


def test_csv_with_120000_columns_is_refused_quickly(tmp_path, capsys):
    wide = tmp_path / "wide.csv"
    n = 120_000
    wide.write_text(
        ",".join(f"c{i}" for i in range(n)) + "\n" + "\n".join(",".join("1" * n) for _ in range(2))
    )
    assert wide.stat().st_size > 1_000_000
    before = snapshot(tmp_path)
    t0 = time.perf_counter()
    rc, lines = cli(capsys, "train", "--domain", "tabular", "--data", wide, "--out",
                    tmp_path / "out", *TAB[:-4])  # fmt: skip
    elapsed = time.perf_counter() - t0
    one_error(rc, lines, str(wide), "120,000 columns", "--set max_columns=")
    assert elapsed < 30
    assert snapshot(tmp_path) == before


def _write_parquet(path: Path) -> None:
    pd.DataFrame({f"c{i}": np.arange(40.0) * i for i in range(5)}).to_parquet(path)


@pytest.mark.parametrize(
    ("name", "content", "domain", "extra", "needles"),
    [
        ("pts.csv", "1,2\n3,4\n" * 100, "toy", (), ("SCIGAN_MAX_MEMORY_GB",)),
        ("t.csv", "a,b\n1,2\n" * 100, "tabular", (), ("SCIGAN_MAX_MEMORY_GB",)),
        ("t.csv", "a,b,c,d,e\n" + "1,2,3,4,5\n" * 40, "tabular", ("--set", "max_columns=3"),
         ("5 columns", "limit of 3", "--set max_columns=N")),
        ("t.parquet", _write_parquet, "tabular", ("--set", "max_columns=3"),
         ("5 columns", "limit of 3")),
        ("p.npy", None, "toy", (), ("not a readable .npy", "truncated")),
    ],
    ids=["toy-csv-over-memory", "tabular-csv-over-memory", "csv-too-wide", "parquet-too-wide",
         "npy-shorter-than-its-header"],
)  # fmt: skip
def test_files_over_the_limits_are_refused_before_reading(name, content, domain, extra,
                                                          needles, tmp_path, capsys,
                                                          monkeypatch):  # fmt: skip
    path = tmp_path / name
    if callable(content):
        content(path)
    elif content is None:  # a .npy header for (1000, 2) float64 and 100 bytes of data
        np.save(path, np.zeros((1000, 2)))
        path.write_bytes(path.read_bytes()[:228])
    else:
        path.write_text(content)
    if "SCIGAN_MAX_MEMORY_GB" in needles:
        monkeypatch.setenv("SCIGAN_MAX_MEMORY_GB", "0.000001")  # about 1 KB
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "train", "--domain", domain, "--data", path, "--out",
                    tmp_path / "out", *TINY, *extra)  # fmt: skip
    one_error(rc, lines, str(path), *needles)
    assert snapshot(tmp_path) == before


def test_in_memory_tables_are_held_to_max_columns():
    wide = pd.DataFrame({f"c{i}": [0.0, 1.0, 2.0] for i in range(6)})
    with pytest.raises(DataError, match=r"<in-memory>: 6 columns, over the limit of 5"):
        Synthesizer(domain="tabular", steps=1, options={"max_columns": 5}).fit(wide)


# ---------------------------------------------------------------------------- tampered metadata
def _edit_pointer(**fields):
    def edit(run: Path) -> None:
        ptr = run / "checkpoints" / "latest.json"
        state = json.loads(ptr.read_text())
        state.update(fields)
        ptr.write_text(json.dumps(state))

    return edit


def _nan_weights(run: Path) -> None:
    """A NaN in the generator's first weight, re-saved with safetensors, and the pointer's
    checksum updated: the file is intact, its contents are not."""
    ptr = run / "checkpoints" / "latest.json"
    state = json.loads(ptr.read_text())
    path = run / "checkpoints" / state["file"]
    tensors = dict(st_load(path.read_bytes()))
    name = next(k for k in sorted(tensors) if k.startswith("G.") and k.endswith("weight"))
    tensors[name] = tensors[name].clone()
    tensors[name].view(-1)[0] = float("nan")
    data = st_save(tensors, metadata={"format": "scigan-checkpoint", "step": str(state["step"])})
    path.write_bytes(data)
    state["sha256"] = hashlib.sha256(data).hexdigest()
    ptr.write_text(json.dumps(state))


def _nan_weight_name(run: Path) -> str:
    return next(k for k in sorted(checkpoint_tensors(run)) if k.startswith("G."))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (_edit_pointer(step=-5), "'step'"),
        (_edit_pointer(lr_g=-1.0), "'lr_g'"),
        (_edit_pointer(step="abc"), "'step'"),
        (_nan_weights, "NaN"),
    ],
    ids=["step-negative", "lr-negative", "step-text", "nan-weights"],
)
def test_tampered_checkpoint_is_refused_by_sample_and_resume(edit, field, toy_run, tmp_path,
                                                             capsys):  # fmt: skip
    run = copy_run(toy_run, tmp_path / "run")
    edit(run)
    before = snapshot(tmp_path)
    ptr = str(run / "checkpoints" / "latest.json")
    rc, lines = cli(capsys, "sample", run, "-n", "5", "--out", tmp_path / "s.csv")
    one_error(rc, lines, ptr, field)
    rc, lines = cli(capsys, "resume", run, "--steps", "6", "--quiet")
    one_error(rc, lines, ptr, field)
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------- fault timing
def test_run_killed_before_its_first_checkpoint_resumes_exactly(toy_run, tmp_path, capsys):
    """Only config.json and encoder.json survive: resume starts again from step 0 with the
    saved config and ends bit-identical to the uninterrupted run."""
    run = copy_run(toy_run, tmp_path / "run")
    shutil.rmtree(run / "checkpoints")
    (run / "metrics.jsonl").unlink()
    rc, lines = cli(capsys, "resume", run, "--quiet")
    assert rc == 0, lines
    want, got = checkpoint_tensors(toy_run), checkpoint_tensors(run)
    assert sorted(got) == sorted(want)
    for name in want:
        assert torch.equal(got[name], want[name]), name


def test_stale_temporary_files_are_removed_by_the_next_resume(toy_run, tmp_path, capsys):
    run = copy_run(toy_run, tmp_path / "run")
    stale = [
        run / "checkpoints" / ".ckpt-00000006.safetensors.k1l2m3.tmp",
        run / "checkpoints" / ".latest.json.x9y8.tmp",
        run / ".config.json.a1b2.tmp",
    ]
    for p in stale:
        p.write_bytes(b"half a file")
    rc, lines = cli(capsys, "resume", run, "--steps", "6", "--quiet")
    assert rc == 0, lines
    assert not [p for p in stale if p.exists()]
    assert json.loads((run / "checkpoints" / "latest.json").read_text())["step"] == 6


# ---------------------------------------------------------------------------- concurrency
def test_a_locked_run_is_refused_at_once(toy_run, tmp_path, capsys):
    run = copy_run(toy_run, tmp_path / "run")
    fd = os.open(run / ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another scigan process is writing this run
        before = snapshot(tmp_path)
        t0 = time.perf_counter()
        rc, lines = cli(capsys, "resume", run, "--steps", "6", "--quiet")
        one_error(rc, lines, str(run), "another scigan process")
        assert time.perf_counter() - t0 < 10
        assert snapshot(tmp_path) == before
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


# ---------------------------------------------------------------------------- overwriting
def test_train_out_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my thesis\n")
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "train", "--data", "ring8", "--out", folder, *TOY)
    one_error(rc, lines, str(folder), "--force")
    assert snapshot(tmp_path) == before
    rc, lines = cli(capsys, "train", "--data", "ring8", "--out", folder, *TOY, "--force")
    assert rc == 0, lines
    assert (folder / "checkpoints" / "latest.json").is_file()
    assert (folder / "notes.txt").read_text() == "my thesis\n"


def test_train_out_empty_name_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, lines = cli(capsys, "train", "--data", "ring8", "--out", "", *TOY)
    one_error(rc, lines, "--out")
    assert list(tmp_path.iterdir()) == []


def test_sample_out_never_replaces_a_file_without_force(toy_run, tmp_path, capsys):
    out = tmp_path / "s.csv"
    out.write_text("precious\n")
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "sample", toy_run, "-n", "5", "--out", out)
    one_error(rc, lines, str(out), "--force")
    assert snapshot(tmp_path) == before
    rc, lines = cli(capsys, "sample", toy_run, "-n", "5", "--out", out, "--force")
    assert rc == 0, lines
    assert out.read_text().splitlines()[0] == "x0,x1" and len(out.read_text().splitlines()) == 6


# ---------------------------------------------------------------------------- moved data
def test_moved_training_data(tmp_path, capsys, monkeypatch):
    """A relative --data path is stored absolute: resume works from another folder; when
    the file moves, resume says to pass --data, and --data NEWPATH continues the run."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    rng = np.random.default_rng(0)
    np.savetxt(first / "pts.csv", rng.normal(size=(200, 2)), delimiter=",")
    monkeypatch.chdir(first)
    rc, lines = cli(capsys, "train", "--domain", "toy", "--data", "pts.csv", "--out",
                    tmp_path / "run", *TOY[:-2])  # fmt: skip
    assert rc == 0, lines
    run = tmp_path / "run"
    monkeypatch.chdir(second)
    rc, lines = cli(capsys, "resume", run, "--steps", "6", "--quiet")
    assert rc == 0, lines
    moved = second / "moved.csv"
    shutil.move(first / "pts.csv", moved)
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "resume", run, "--steps", "8", "--quiet")
    one_error(rc, lines, str(first / "pts.csv"), "--data")
    assert snapshot(tmp_path) == before
    rc, lines = cli(capsys, "resume", run, "--steps", "8", "--data", moved, "--quiet")
    assert rc == 0, lines
    assert json.loads((run / "checkpoints" / "latest.json").read_text())["step"] == 8


# ---------------------------------------------------------------------------- extrapolation
def test_condition_far_outside_the_training_range_warns(tab_run, tmp_path):
    """In a process of its own: the warning is what a user sees on stderr."""
    out = tmp_path / "s.csv"
    args = ["sample", str(tab_run), "-n", "5", "--out", str(out),
            "--condition", "temperature=1e9", "--condition", "cat=p"]  # fmt: skip
    proc = run_processes({"extrapolate": (args, tmp_path)})["extrapolate"]
    assert proc.returncode == 0, proc.stderr
    warning = next(line for line in proc.stderr.splitlines() if "outside the training" in line)
    assert "temperature=1e+09 is outside the training range [" in warning
    assert "above its maximum" in warning and "ExtrapolationWarning" in warning
    assert "scigan: error" not in proc.stderr and "Traceback" not in proc.stderr
    assert (pd.read_csv(out)["temperature"] == 1e9).all()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_condition_is_refused(value, tab_run, tmp_path, capsys):
    before = snapshot(tmp_path)
    rc, lines = cli(capsys, "sample", tab_run, "-n", "5", "--out", tmp_path / "s.csv",
                    "--condition", f"temperature={value}")  # fmt: skip
    one_error(rc, lines, "temperature", "finite")
    assert snapshot(tmp_path) == before


def test_api_conditions_outside_the_range_warn_and_non_finite_ones_fail(tab_run):
    gan = Synthesizer.load(tab_run)
    lo, hi = gan.encoder_.columns_["temperature"]["observed"]
    inside = pd.DataFrame({"temperature": [lo, hi], "cat": ["p", "q"]})
    gan.sample(2, seed=0, conditions=inside)  # no warning (warnings are errors in tests)
    far = pd.DataFrame({"temperature": [hi + 1000.0, lo], "cat": ["p", "q"]})
    with pytest.warns(ExtrapolationWarning, match=r"temperature=.*outside the training range"):
        gan.sample(2, seed=0, conditions=far)
    with pytest.warns(ExtrapolationWarning, match="above its maximum"):
        gan.predict(far, draws=4)
    for bad in (math.nan, math.inf):
        with pytest.raises(DataError, match="temperature"):
            gan.sample(1, seed=0, conditions=pd.DataFrame({"temperature": [bad], "cat": ["p"]}))
