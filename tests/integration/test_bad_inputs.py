"""Bad input never corrupts anything (issue 8): every case fails with one clear line.

Each case feeds one bad input through the CLI (``scigan.cli.main``) and/or the API
(``Synthesizer``) and checks the contract:

- CLI: exit code 2; stderr is exactly one line starting ``scigan: error:`` that names the file
  (row/line/column where there is one) and hints at the fix;
- API: the specific :mod:`scigan.errors` class, with the same one-line message;
- no partial output: the test folder (the working directory, inputs, run folders, output
  paths) is byte-for-byte unchanged afterwards, and hostile payloads never run.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from scigan import Synthesizer
from scigan.cli import main
from scigan.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    OutputError,
    SciganError,
    UnknownNameError,
)

MAX_LINE = 600  # an error line quotes a path and a value, never a whole 10 MB input
# Every message says what to do (or what is expected): one of these words must appear.
HINTS = re.compile(
    r"\b(use|pass|choose|remove|save|check|fill|add|give|write|install|rename|retrain|restore|"
    r"fix|drop|set|delete|create|free|see|start|raise|continue|expected|must|need|needs|"
    r"should|try|train|replace|separate|take|takes)\b|--[a-z]|one of|did you mean|"
    r"columns( are)?:? \[|known levels|conditions are|name every",
    re.IGNORECASE,
)
TINY = {
    "steps": 2,
    "z_dim": 4,
    "g_width": 8,
    "d_width": 8,
    "g_depth": 1,
    "d_depth": 1,
    "batch_size": 20,
    "eval_every": 0,
    "eval_n": 50,
    "log_every": 1,
    "threads": 1,
}
TINY_FLAGS = [
    tok
    for k, v in TINY.items()
    for tok in ("--" + k.replace("_", "-"), str(v))
    if k != "threads"  # --threads is passed by each case below to keep one BLAS thread
] + ["--threads", "1", "--quiet"]
EXPERIMENT = "a,cat,y\n" + "".join(f"{i % 7},{'pq'[i % 2]},{i * 0.5}\n" for i in range(40))


# ---------------------------------------------------------------------------- payloads
class Payload:
    """Unpickling this creates the folder ``path``: proof that a loader ran code from a file."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


MARKER = "PWNED"


def hostile_pickle(t: Path) -> bytes:
    return pickle.dumps({"weights": Payload(t / MARKER)})


def hostile_torch_save(t: Path) -> bytes:
    buf = io.BytesIO()
    torch.save({"G.net.0.weight": torch.zeros(2), "x": Payload(t / MARKER)}, buf)
    return buf.getvalue()


def hostile_npy(t: Path) -> bytes:
    buf = io.BytesIO()
    arr = np.empty(3, dtype=object)
    arr[:] = [Payload(t / MARKER), 1.0, 2.0]
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def hostile_npz(t: Path) -> bytes:
    buf = io.BytesIO()
    arr = np.empty(3, dtype=object)
    arr[:] = [Payload(t / MARKER), 1.0, 2.0]
    np.savez(buf, x=arr, allow_pickle=True)
    return buf.getvalue()


def npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def rows(n: int, f: Callable[[int], str]) -> bytes:
    return "".join(f(i) + "\n" for i in range(n)).encode()


GOOD_POINTS = rows(20, lambda i: f"{i * 0.1:.1f},{(i * 7) % 5}")
GOOD_TABLE = ("a,b,c\n" + "".join(f"{i},{i % 3}.5,{'xyz'[i % 3]}\n" for i in range(30))).encode()


# ---------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    """One bad input.

    ``{t}`` in ``cli`` and ``needles`` stands for the test's working folder; ``api`` gets that
    folder as a Path. ``runs`` names trained run folders (see ``trained``) copied into it
    before ``corrupt`` edits them; ``files`` are written there (bytes, or a function of the
    folder for payloads that must point into it). ``needles`` must all appear in the message.
    """

    id: str
    exc: type[SciganError]
    needles: tuple[str, ...]
    cli: list[str] | None = None
    api: Callable[[Path], Any] | None = None
    files: dict[str, bytes | Callable[[Path], bytes]] = field(default_factory=dict)
    runs: tuple[str, ...] = ()  # names of trained run folders to copy in
    corrupt: Callable[[Path], None] | None = None  # edits the copied run folder(s)


def train_cli(domain: str, data: str, *extra: str) -> list[str]:
    return ["train", "--domain", domain, "--data", data, "--out", "{t}/out", *TINY_FLAGS, *extra]


def fit_api(domain: str, data: Any, **kw: Any) -> Callable[[Path], Any]:
    options = kw.pop("options", None)
    settings = {**TINY, **kw}

    def call(t: Path) -> Any:
        d = data(t) if callable(data) else data
        if isinstance(d, str) and d.startswith("{t}"):
            d = d.format(t=t)
        synth = Synthesizer(domain=domain, **settings, **({"options": options} if options else {}))
        return synth.fit(d, out=t / "out")

    return call


def toy_file(name: str, file: tuple[str, Any], needles: tuple[str, ...]) -> Case:
    """A bad points file ``(file name, bytes)`` for the toy domain, through both entry points."""
    fname, content = file
    return Case(
        f"toy-{name}",
        DataError,
        needles,
        cli=train_cli("toy", "{t}/" + fname),
        api=fit_api("toy", "{t}/" + fname),
        files={fname: content},
    )


def corrupt_file(rel: str, how: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def edit(t: Path) -> None:
        p = t / rel
        p.write_bytes(how(p.read_bytes()))

    return edit


def point_pointer_at(rel_run: str, payload: Callable[[Path], bytes]) -> Callable[[Path], None]:
    """Replace the latest weights with ``payload`` and fix the SHA-256 in latest.json."""

    def edit(t: Path) -> None:
        ckpt = t / rel_run / "checkpoints"
        ptr = json.loads((ckpt / "latest.json").read_text())
        data = payload(t)
        (ckpt / ptr["file"]).write_bytes(data)
        ptr["sha256"] = hashlib.sha256(data).hexdigest()
        (ckpt / "latest.json").write_text(json.dumps(ptr))

    return edit


def edit_json(rel: str, fn: Callable[[Any], Any]) -> Callable[[Path], None]:
    def edit(t: Path) -> None:
        p = t / rel
        p.write_text(json.dumps(fn(json.loads(p.read_text()))))

    return edit


def _set(d: dict, path: str, value: Any) -> dict:
    *head, last = path.split(".")
    node = d
    for k in head:
        node = node[k]
    node[last] = value
    return d


def _del(d: dict, key: str) -> dict:
    d.pop(key)
    return d


def loaded(rel: str, then: Callable[[Synthesizer, Path], Any]) -> Callable[[Path], Any]:
    def call(t: Path) -> Any:
        return then(Synthesizer.load(t / rel), t)

    return call


CASES: list[Case] = [
    # ---------------------------------------------------------------- toy: point files
    toy_file("csv-empty", ("p.csv", b""), ("{t}/p.csv", "empty", "one point per line")),
    toy_file("csv-blank-lines", ("p.csv", b"\n\n\n"), ("{t}/p.csv", "empty", "one point per line")),
    toy_file("csv-header-only", ("p.csv", b"x,y\n"), ("{t}/p.csv", "line 1", "header")),
    toy_file(
        "csv-header-and-rows",
        ("p.csv", b"x,y\n" + GOOD_POINTS),
        ("{t}/p.csv", "line 1", "remove the header"),
    ),
    toy_file(
        "csv-semicolons",
        ("p.csv", rows(10, lambda i: f"{i};{i + 1}")),
        ("{t}/p.csv", "line 1", "comma"),
    ),
    toy_file(
        "csv-tabs", ("p.csv", rows(10, lambda i: f"{i}\t{i + 1}")), ("{t}/p.csv", "line 1", "comma")
    ),
    toy_file(
        "csv-nan",
        ("p.csv", GOOD_POINTS + b"nan,1\n"),
        ("{t}/p.csv", "non-finite", "row 21", "column 1", "remove or impute"),
    ),
    toy_file(
        "csv-inf",
        ("p.csv", b"1,2\n3,-inf\n" + GOOD_POINTS),
        ("{t}/p.csv", "non-finite", "row 2", "column 2"),
    ),
    toy_file("csv-single-row", ("p.csv", b"1.0,2.0\n"), ("{t}/p.csv", "N >= 2", "(1, 2)")),
    toy_file(
        "csv-all-columns-constant",
        ("p.csv", rows(30, lambda i: "5,-1")),
        ("{t}/p.csv", "identical", "constant"),
    ),
    toy_file(
        "csv-ragged",
        ("p.csv", b"1,2\n3,4\n5\n6,7\n"),
        ("{t}/p.csv", "line 3", "same number of"),
    ),
    toy_file(
        "csv-mixed-types",
        ("p.csv", b"1,2\n3,4\n5,abc\n"),
        ("{t}/p.csv", "line 3", "abc", "numbers"),
    ),
    toy_file(
        "csv-non-utf8",
        ("p.csv", b"1,2\n3,\xff\xfe\n"),
        ("{t}/p.csv", "UTF-8", "byte"),
    ),
    toy_file(
        "csv-10mb-single-line",
        ("p.csv", b"7" * 10_000_000),
        ("{t}/p.csv", "(1, 1)", "one point per line"),
    ),
    toy_file(
        "csv-10mb-garbage-line",
        ("p.csv", b"q" * 10_000_000 + b"\n"),
        ("{t}/p.csv", "line 1", "numbers"),
    ),
    toy_file(
        "npy-3d-array", ("p.npy", npy(np.zeros((6, 2, 2)))), ("{t}/p.npy", "(N, D)", "(6, 2, 2)")
    ),
    toy_file("npy-1d-array", ("p.npy", npy(np.arange(9.0))), ("{t}/p.npy", "(N, D)", "(9,)")),
    toy_file("npy-strings", ("p.npy", npy(np.array(["a", "b"]))), ("{t}/p.npy", "numeric")),
    toy_file(
        "npy-nan",
        ("p.npy", npy(np.array([[0.0, 1.0], [2.0, np.nan], [3.0, 4.0]]))),
        ("{t}/p.npy", "non-finite", "row 2, column 2"),
    ),
    toy_file("npy-empty-file", ("p.npy", b""), ("{t}/p.npy", "empty")),
    toy_file(
        "npy-truncated",
        ("p.npy", npy(np.zeros((50, 2)))[:100]),
        ("{t}/p.npy", "not a readable .npy"),
    ),
    toy_file("npy-hostile-pickle", ("p.npy", hostile_npy), ("{t}/p.npy", "pickle")),
    toy_file("pt-hostile-torch-save", ("w.pt", hostile_torch_save), ("{t}/w.pt", ".npy or .csv")),
    toy_file("unsupported-json", ("p.json", b"[[1, 2]]"), ("{t}/p.json", ".npy or .csv")),
    Case(
        "toy-directory-instead-of-file",
        DataError,
        ("{t}/pts.csv", "directory"),
        cli=train_cli("toy", "{t}/pts.csv"),
        api=fit_api("toy", "{t}/pts.csv"),
        files={"pts.csv/keep": b"x"},
    ),
    Case(
        "toy-missing-file",
        DataError,
        ("{t}/nope.csv", "file not found"),
        cli=train_cli("toy", "{t}/nope.csv"),
        api=fit_api("toy", "{t}/nope.csv"),
    ),
    Case(
        "toy-api-ragged-list",
        DataError,
        ("<in-memory>", "ragged", "same length"),
        api=fit_api("toy", [[1.0, 2.0], [3.0], [4.0, 5.0]]),
    ),
    Case(
        "toy-api-object-array",
        DataError,
        ("<in-memory>", "numeric"),
        api=fit_api("toy", np.array([[1.0, "a"], [2.0, "b"]], dtype=object)),
    ),
    Case(
        "toy-unknown-option",
        DataError,
        ("foo", "the toy domain takes n"),
        cli=train_cli("toy", "ring8", "--set", "foo=1"),
        api=fit_api("toy", "ring8", options={"foo": 1}),
    ),
    Case(
        "toy-option-n-negative",
        DataError,
        ("n=-5", "[100, 10000000]"),
        cli=train_cli("toy", "ring8", "--set", "n=-5"),
        api=fit_api("toy", "ring8", options={"n": -5}),
    ),
    Case(
        "toy-option-n-absurd",
        DataError,
        ("n=1000000000000", "[100, 10000000]"),
        cli=train_cli("toy", "ring8", "--set", "n=1000000000000"),
    ),
    # ---------------------------------------------------------------- names
    Case(
        "unknown-dataset",
        UnknownNameError,
        ("no_such_set", "choose one of", "ring8"),
        cli=["train", "--data", "no_such_set", "--out", "{t}/out", *TINY_FLAGS],
        api=fit_api(None, "no_such_set"),
    ),
    Case(
        "unknown-domain",
        UnknownNameError,
        ("astrology", "toy"),
        cli=train_cli("astrology", "ring8"),
        api=fit_api("astrology", "ring8"),
    ),
    *[
        Case(
            f"dataset-of-another-domain-{domain}",
            ConfigError,
            ("'ring8' is a toy dataset", "--domain toy"),
            cli=train_cli(domain, "ring8"),
            api=fit_api(domain, "ring8"),
        )
        for domain in ("tabular", "fields")
    ],
    Case(
        "dry-run-dataset-of-another-domain",
        ConfigError,
        ("'ising2d' is a fields dataset", "--domain fields"),
        cli=["train", "--domain", "toy", "--data", "ising2d", "--dry-run"],
        api=lambda t: Synthesizer(domain="toy").resolve_config("ising2d"),
    ),
    # ---------------------------------------------------------------- flags and settings
    *[
        Case(
            f"flag-{flag.strip('-')}-{value}",
            ConfigError,
            (flag, value, hint),
            cli=["train", "--data", "ring8", "--out", "{t}/out", *TINY_FLAGS, flag, value],
            api=fit_api("toy", "ring8", **{flag.strip("-").replace("-", "_"): api_value})
            if api_value is not None
            else None,
        )
        for flag, value, api_value, hint in [
            ("--steps", "-3", -3, "must be"),
            ("--ckpt-every", "0", 0, "must be"),
            ("--steps", "abc", None, "expected int"),
            ("--lr-g", "-1", -1.0, "must be"),
            ("--lr-d", "nan", float("nan"), "must be"),
            ("--batch-size", "1000000000000", 10**12, "must be"),
            ("--threads", "-2", -2, "must be"),
            ("--z-dim", "0", 0, "must be"),
            ("--loss", "wasserstein", "wasserstein", "ns, hinge, wgan-gp"),
            ("--seed", "-1", -1, "must be"),
            ("--device", "gpu", "gpu", "auto, cpu, cuda or cuda:N"),
            # a GPU asked for where torch sees none (on a GPU machine: an index beyond it)
            ("--device", "cuda:99", "cuda:99", "--device cuda:99"),
            ("--drs-quantile", "0.2", 0.2, "in [0.5, 1]"),
            ("--drs-quantile", "x", None, "expected float"),
        ]
    ],
    Case(
        "flag-set-without-equals",
        ConfigError,
        ("--set", "NAME=VALUE"),
        cli=train_cli("toy", "ring8", "--set", "n"),
    ),
    Case(
        "api-unknown-hyperparameter",
        ConfigError,
        ("stepz", "steps"),
        api=lambda t: Synthesizer(domain="toy", stepz=3).fit("ring8", out=t / "out"),
    ),
    # ---------------------------------------------------------------- config files
    *[
        Case(
            f"config-{name}",
            ConfigError,
            ("{t}/c.yaml", *needles),
            cli=["train", "--data", "ring8", "--config", "{t}/c.yaml", "--out", "{t}/out"],
            api=lambda t: Synthesizer(config=t / "c.yaml").fit("ring8", out=t / "out"),
            files={"c.yaml": text},
        )
        for name, text, needles in [
            ("unknown-key", b"steps: 2\nstepz: 3\n", ("stepz", "did you mean")),
            ("unknown-nested-key", b"optim:\n  lr: 0.1\n", ("optim.lr",)),
            ("invalid-yaml", b"steps: 2\nlr_g: [1,\n", ("line", "invalid YAML")),
            ("empty", b"", ("empty", "steps: 1000")),
            ("a-list", b"- steps\n- 2\n", ("mapping",)),
            ("non-utf8", b"steps: 2\n# \xff\xfe\n", ("UTF-8",)),
            ("bad-value", b"steps: many\n", ("many", "steps")),
        ]
    ],
    Case(
        "config-directory",
        ConfigError,
        ("{t}/conf", "directory"),
        cli=["train", "--data", "ring8", "--config", "{t}/conf", "--out", "{t}/out"],
        api=lambda t: Synthesizer(config=t / "conf").fit("ring8", out=t / "out"),
        files={"conf/x": b""},
    ),
    # ---------------------------------------------------------------- output folders
    Case(
        "out-below-a-regular-file",
        OutputError,
        ("{t}/blocker/run", "cannot write", "writable"),
        cli=["train", "--data", "ring8", "--out", "{t}/blocker/run", *TINY_FLAGS],
        api=lambda t: Synthesizer(domain="toy", **TINY).fit("ring8", out=t / "blocker" / "run"),
        files={"blocker": b"not a folder"},
    ),
    Case(
        "out-is-a-file",
        OutputError,
        ("{t}/taken", "is a file"),
        cli=["train", "--data", "ring8", "--out", "{t}/taken", *TINY_FLAGS],
        api=lambda t: Synthesizer(domain="toy", **TINY).fit("ring8", out=t / "taken"),
        files={"taken": b"x"},
    ),
    Case(
        "out-holds-a-run",
        OutputError,
        ("{t}/run", "already holds a run", "scigan resume"),
        cli=["train", "--data", "ring8", "--out", "{t}/run", *TINY_FLAGS],
        api=lambda t: Synthesizer(domain="toy", **TINY).fit("ring8", out=t / "run"),
        runs=("run",),
    ),
    Case(
        "api-save-below-a-file",
        OutputError,
        ("{t}/blocker/saved", "cannot write"),
        api=loaded("run", lambda s, t: s.save(t / "blocker" / "saved")),
        runs=("run",),
        files={"blocker": b"x"},
    ),
    Case(
        "sample-out-parent-is-a-file",
        OutputError,
        ("{t}/blocker", "folder"),
        cli=["sample", "{t}/run", "-n", "5", "--out", "{t}/blocker/s.csv"],
        runs=("run",),
        files={"blocker": b"x"},
    ),
    Case(
        "sample-out-is-a-directory",
        OutputError,
        ("{t}/s.csv", "is a directory", "file name"),
        cli=["sample", "{t}/run", "-n", "5", "--out", "{t}/s.csv"],
        runs=("run",),
        files={"s.csv/keep": b""},
    ),
    Case(
        "sample-unsupported-format",
        OutputError,
        ("{t}/s.fasta", "unsupported sample format", ".csv"),
        cli=["sample", "{t}/run", "-n", "5", "--out", "{t}/s.fasta"],
        runs=("run",),
    ),
    Case(
        "sample-n-zero",
        ConfigError,
        ("must be", "0"),
        cli=["sample", "{t}/run", "-n", "0", "--out", "{t}/s.csv"],
        api=loaded("run", lambda s, t: s.sample(0)),
        runs=("run",),
    ),
    Case(
        "sample-n-absurd",
        ConfigError,
        ("-n", "must be in"),
        cli=["sample", "{t}/run", "-n", "1000000000000", "--out", "{t}/s.csv"],
        runs=("run",),
    ),
    Case(
        "evaluate-n-one",
        ConfigError,
        ("n must be at least 2",),
        api=loaded("run", lambda s, t: s.evaluate(n=1)),
        runs=("run",),
    ),
    Case(
        "sample-condition-on-unconditional",
        DataError,
        ("no conditions", "remove --condition"),
        cli=["sample", "{t}/run", "-n", "5", "--out", "{t}/s.csv", "--condition", "T=2"],
        runs=("run",),
    ),
    Case(
        "api-conditions-on-unconditional",
        DataError,
        ("unconditional", "do not pass conditions"),
        api=loaded("run", lambda s, t: s.sample(5, conditions=np.ones((5, 1)))),
        runs=("run",),
    ),
    Case(
        "sample-condition-without-equals",
        ConfigError,
        ("--condition", "NAME=VALUE"),
        cli=["sample", "{t}/run", "-n", "5", "--out", "{t}/s.csv", "--condition", "T"],
        runs=("run",),
    ),
    Case(
        "sample-condition-unknown-column",
        DataError,
        ("nope", "conditions are"),
        cli=["sample", "{t}/tab", "-n", "5", "--out", "{t}/s.csv", "--condition", "nope=1"],
        runs=("tab",),
    ),
    Case(
        "sample-condition-not-a-number",
        DataError,
        ("a=", "abc", "number"),
        cli=["sample", "{t}/tab", "-n", "5", "--out", "{t}/s.csv", "--condition", "a=abc"],
        runs=("tab",),
    ),
    Case(
        "sample-condition-unknown-level",
        DataError,
        ("cat", "'zz'", "known levels: p, q"),
        cli=["sample", "{t}/tab", "-n", "5", "--out", "{t}/s.csv", "--condition", "cat=zz"],
        runs=("tab",),
    ),
    # ---------------------------------------------------------------- corrupted run folders
    Case(
        "run-folder-missing",
        CheckpointError,
        ("{t}/nothing", "run folder not found"),
        cli=["evaluate", "{t}/nothing"],
        api=lambda t: Synthesizer.load(t / "nothing"),
    ),
    Case(
        "run-folder-is-a-hostile-pt-file",
        CheckpointError,
        ("{t}/model.pt", "run folder not found"),
        cli=["sample", "{t}/model.pt", "-n", "3", "--out", "{t}/s.csv"],
        api=lambda t: Synthesizer.load(t / "model.pt"),
        files={"model.pt": hostile_torch_save},
    ),
    Case(
        "run-config-json-missing",
        CheckpointError,
        ("{t}/run/config.json", "not found", "scigan train --out"),
        cli=["sample", "{t}/run", "-n", "3", "--out", "{t}/s.csv"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=lambda t: (t / "run" / "config.json").unlink(),
    ),
    Case(
        "run-config-json-truncated",
        CheckpointError,
        ("{t}/run/config.json", "corrupt JSON"),
        cli=["evaluate", "{t}/run", "-n", "20"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=corrupt_file("run/config.json", lambda b: b[: len(b) // 2]),
    ),
    Case(
        "run-config-json-not-a-run",
        CheckpointError,
        ("{t}/run/config.json", "not a scigan run config"),
        cli=["report", "{t}/run", "-n", "20"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=corrupt_file("run/config.json", lambda b: b"[1, 2, 3]"),
    ),
    Case(
        "run-config-invalid-setting",
        CheckpointError,
        ("{t}/run/config.json", "steps"),
        cli=["resume", "{t}/run", "--quiet"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=edit_json("run/config.json", lambda d: _set(d, "config.steps", -7)),
    ),
    Case(
        "run-config-unknown-domain",
        CheckpointError,
        ("{t}/run/config.json", "astrology"),
        cli=["sample", "{t}/run", "-n", "3", "--out", "{t}/s.csv"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=edit_json("run/config.json", lambda d: _set(d, "config.domain", "astrology")),
    ),
    Case(
        "run-config-network-mismatch",
        CheckpointError,
        ("{t}/run/checkpoints", "do not match the network", "retrain"),
        cli=["sample", "{t}/run", "-n", "3", "--out", "{t}/s.csv"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=edit_json("run/config.json", lambda d: _set(d, "config.net.g_width", 12)),
    ),
    Case(
        "run-encoder-json-missing",
        CheckpointError,
        ("{t}/run/encoder.json", "not found"),
        cli=["evaluate", "{t}/run"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=lambda t: (t / "run" / "encoder.json").unlink(),
    ),
    Case(
        "run-encoder-json-wrong-content",
        CheckpointError,
        ("{t}/run/encoder.json", "invalid encoder state"),
        cli=["report", "{t}/run"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=corrupt_file("run/encoder.json", lambda b: b'{"mean": "x"}'),
    ),
    Case(
        "run-latest-json-missing",
        CheckpointError,
        ("{t}/run/checkpoints/latest.json", "no 'latest' checkpoint"),
        # (`resume` restarts such a run from step 0: tests/integration/test_hostile_inputs.py)
        cli=["evaluate", "{t}/run"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=lambda t: (t / "run" / "checkpoints" / "latest.json").unlink(),
    ),
    Case(
        "run-latest-json-truncated",
        CheckpointError,
        ("{t}/run/checkpoints/latest.json", "corrupt checkpoint state"),
        cli=["sample", "{t}/run", "-n", "3", "--out", "{t}/s.csv"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=corrupt_file("run/checkpoints/latest.json", lambda b: b[:40]),
    ),
    Case(
        "run-latest-json-path-traversal",
        CheckpointError,
        ("{t}/run/checkpoints/latest.json", "invalid checkpoint file name"),
        cli=["sample", "{t}/run", "-n", "3", "--out", "{t}/s.csv"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=edit_json(
            "run/checkpoints/latest.json", lambda d: _set(d, "file", "../../w.safetensors")
        ),
    ),
    Case(
        "run-best-checkpoint-missing",
        CheckpointError,
        ("best.json", "no 'best' checkpoint"),
        cli=["sample", "{t}/run", "-n", "3", "--out", "{t}/s.csv", "--checkpoint", "best"],
        api=lambda t: Synthesizer.load(t / "run", checkpoint="best"),
        runs=("run",),
        corrupt=lambda t: (t / "run" / "checkpoints" / "best.json").unlink(missing_ok=True),
    ),
    Case(
        "run-weights-bit-flipped",
        CheckpointError,
        ("{t}/run/checkpoints/ckpt-", "checksum mismatch", "retrain"),
        cli=["resume", "{t}/run", "--steps", "4", "--quiet"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=lambda t: _flip(next((t / "run" / "checkpoints").glob("*.safetensors"))),
    ),
    Case(
        "run-weights-truncated",
        CheckpointError,
        ("{t}/run/checkpoints/ckpt-", "checksum mismatch"),
        cli=["evaluate", "{t}/run", "-n", "20"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=lambda t: _truncate(next((t / "run" / "checkpoints").glob("*.safetensors"))),
    ),
    Case(
        "run-weights-missing",
        CheckpointError,
        ("{t}/run/checkpoints/ckpt-", "cannot read checkpoint"),
        cli=["report", "{t}/run"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=lambda t: next((t / "run" / "checkpoints").glob("*.safetensors")).unlink(),
    ),
    Case(
        "run-weights-hostile-pickle-right-sha",
        CheckpointError,
        ("{t}/run/checkpoints/ckpt-", "not a valid safetensors file"),
        cli=["sample", "{t}/run", "-n", "3", "--out", "{t}/s.csv"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=point_pointer_at("run", hostile_pickle),
    ),
    Case(
        "run-weights-hostile-torch-save-right-sha",
        CheckpointError,
        ("{t}/run/checkpoints/ckpt-", "not a valid safetensors file"),
        cli=["resume", "{t}/run", "--steps", "4", "--quiet"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=point_pointer_at("run", hostile_torch_save),
    ),
    Case(
        "resume-steps-below-checkpoint",
        ConfigError,
        ("below the checkpoint", "larger number"),
        cli=["resume", "{t}/run", "--steps", "1", "--quiet"],
        api=loaded("run", lambda s, t: s.resume(1)),
        runs=("run",),
    ),
    Case(
        "resume-training-data-gone",
        DataError,
        ("{t}/pts.csv", "file not found"),
        cli=["resume", "{t}/csvrun", "--steps", "4", "--quiet"],
        api=loaded("csvrun", lambda s, t: s.resume(4)),
        runs=("csvrun",),
    ),
    Case(
        "resume-training-data-changed",
        DataError,
        ("{t}/pts.csv", "data changed", "new run"),
        cli=["resume", "{t}/csvrun", "--steps", "4", "--quiet"],
        api=loaded("csvrun", lambda s, t: s.resume(4)),
        runs=("csvrun",),
        files={"pts.csv": GOOD_POINTS + b"9,9\n"},
    ),
    Case(
        "evaluate-reference-bad-file",
        DataError,
        ("{t}/ref.csv", "line 1"),
        cli=["evaluate", "{t}/run", "--data", "{t}/ref.csv", "-n", "20"],
        api=loaded("run", lambda s, t: s.evaluate(reference=str(t / "ref.csv"), n=20)),
        runs=("run",),
        files={"ref.csv": b"a;b\n1;2\n"},
    ),
    Case(
        "tabular-drs-on-categories",
        ConfigError,
        ("--drs", "categories", "without --drs"),
        cli=train_cli("tabular", "{t}/t.csv", "--drs"),
        api=fit_api("tabular", "{t}/t.csv", drs=True),
        files={"t.csv": GOOD_TABLE},
    ),
    # ---------------------------------------------------------------- tabular tables
    *[
        Case(
            f"tabular-{name}",
            DataError,
            ("{t}/" + fname, *needles),
            cli=train_cli("tabular", "{t}/" + fname, *extra),
            api=fit_api("tabular", "{t}/" + fname, options=opts) if opts is not False else None,
            files={fname: content},
        )
        for name, fname, content, needles, extra, opts in [
            ("empty-file", "t.csv", b"", ("empty", "header row"), (), None),
            ("empty-tsv", "t.tsv", b"\n\n", ("empty", "header row"), (), None),
            ("header-only", "t.csv", b"a,b,c\n", ("empty", "data rows"), (), None),
            (
                "semicolons",
                "t.csv",
                b"a;b;c\n" + rows(20, lambda i: f"{i};{i % 3};x"),
                ("line 1", "';'-separated", "comma"),
                (),
                None,
            ),
            (
                "tabs-in-csv",
                "t.csv",
                b"a\tb\n" + rows(20, lambda i: f"{i}\t{i % 3}"),
                ("'\\t'-separated", ".tsv"),
                (),
                None,
            ),
            (
                "nan-with-missing-error",
                "t.csv",
                GOOD_TABLE.replace(b"\n7,1.5,", b"\n7,,"),
                ("row 8", "column 'b'", "fill it"),
                ("--set", "missing=error"),
                {"missing": "error"},
            ),
            (
                "inf-value",
                "t.csv",
                GOOD_TABLE.replace(b"\n4,1.5,", b"\n4,inf,"),
                ("row 5", "column 'b'", "inf"),
                (),
                None,
            ),
            (
                "all-columns-constant",
                "t.csv",
                b"a,k\n" + rows(30, lambda i: "x,3.5"),
                ("every column is constant", "check the file"),
                (),
                None,
            ),
            (
                "single-row",
                "t.csv",
                b"a,b\n1,2\n",
                ("1 rows", "add rows"),
                (),
                None,
            ),
            (
                "mixed-types-declared-numeric",
                "t.csv",
                GOOD_TABLE.replace(b"\n6,0.5,", b"\n6,abc,"),
                ("row 7", "column 'b'", "abc"),
                ("--set", "schema={b: {type: continuous}}"),
                {"schema": {"b": {"type": "continuous"}}},
            ),
            (
                "ragged-rows",
                "t.csv",
                b"a,b\n1,2\n3,4,5\n" + rows(10, lambda i: f"{i},{i}"),
                ("line 3", "Expected 2 fields"),
                (),
                None,
            ),
            ("non-utf8", "t.csv", b"a,b\n1,\xff\xfe\n2,3\n", ("UTF-8", "byte"), (), None),
            (
                "10mb-single-line",
                "t.csv",
                b"h" * 10_000_000,
                ("empty", "data rows"),
                (),
                None,
            ),
            (
                "column-without-header",
                "t.csv",
                b"a,\n1,2\n3,4\n",
                ("column 2", "no header"),
                (),
                None,
            ),
            ("unsupported-xlsx", "t.xlsx", b"PK\x03\x04", (".csv or .parquet",), (), None),
            (
                "holdout-absurd",
                "t.csv",
                GOOD_TABLE,
                ("holdout=2", "[0.05, 0.5]"),
                ("--set", "holdout=2"),
                {"holdout": 2},
            ),
            (
                "schema-unknown-column",
                "t.csv",
                GOOD_TABLE,
                ("zz", "columns"),
                ("--set", "schema={zz: {type: continuous}}"),
                {"schema": {"zz": {"type": "continuous"}}},
            ),
            (
                "condition-unknown-column",
                "t.csv",
                GOOD_TABLE,
                ("nope",),
                ("--set", "conditions=[nope]", "--set", "outcomes=[a]"),
                {"conditions": ["nope"], "outcomes": ["a"]},
            ),
        ]
    ],
    Case(
        "tabular-directory-instead-of-file",
        DataError,
        ("{t}/tbl.csv", "directory"),
        cli=train_cli("tabular", "{t}/tbl.csv"),
        api=fit_api("tabular", "{t}/tbl.csv"),
        files={"tbl.csv/x": b""},
    ),
    Case(
        "tabular-hostile-pickle-as-table",
        DataError,
        ("{t}/t.pkl", ".csv or .parquet"),
        cli=train_cli("tabular", "{t}/t.pkl"),
        api=fit_api("tabular", "{t}/t.pkl"),
        files={"t.pkl": hostile_pickle},
    ),
    Case(
        "tabular-api-empty-dataframe",
        DataError,
        ("<in-memory>", "empty"),
        api=fit_api("tabular", lambda t: pd.DataFrame()),
    ),
    # ---------------------------------------------------------------- fields arrays
    *[
        Case(
            f"fields-{name}",
            DataError,
            ("{t}/" + fname, *needles),
            cli=train_cli("fields", "{t}/" + fname, *extra),
            api=fit_api("fields", "{t}/" + fname, options=opts),
            files={fname: content},
        )
        for name, fname, content, needles, extra, opts in [
            ("npy-2d", "f.npy", npy(np.zeros((8, 16))), ("(N, H, W)", "(8, 16)"), (), None),
            ("npy-5d", "f.npy", npy(np.zeros((4, 1, 2, 8, 8))), ("(N, H, W)",), (), None),
            ("too-few-samples", "f.npy", npy(np.zeros((2, 8, 8))), ("N >= 4",), (), None),
            (
                "npy-nan",
                "f.npy",
                npy(np.where(np.arange(6 * 64).reshape(6, 8, 8) == 77, np.nan, 1.0)),
                ("non-finite", "index (1, 0, 1, 5)"),
                (),
                None,
            ),
            ("npy-empty-file", "f.npy", b"", ("empty",), (), None),
            (
                "npy-text-file",
                "f.npy",
                b"1,2,3\n4,5,6\n",
                ("not a numeric numpy file", "np.save"),
                (),
                None,
            ),
            ("npy-hostile-pickle", "f.npy", hostile_npy, ("pickle",), (), None),
            ("npz-hostile-pickle", "f.npz", hostile_npz, ("pickle",), (), None),
            (
                "npz-no-x",
                "f.npz",
                npz(fields=np.zeros((6, 8, 8))),
                ("no array named 'x'", "np.savez"),
                (),
                None,
            ),
            (
                "npz-cond-wrong-length",
                "f.npz",
                npz(x=np.zeros((6, 8, 8)), cond=np.zeros(5)),
                ("'cond'", "N = 6"),
                (),
                None,
            ),
            (
                "spin-transform-wrong-values",
                "f.npy",
                npy(np.full((6, 8, 8), 0.5)),
                ("transform=spin", "{-1, +1}"),
                ("--set", "transform=spin"),
                {"transform": "spin"},
            ),
            ("hostile-pt", "w.pt", hostile_torch_save, (".npy, .npz or .h5",), (), None),
        ]
    ],
    Case(
        "tabular-unknown-option",
        DataError,
        ("frobnicate", "the tabular domain takes", "holdout"),
        cli=train_cli("tabular", "{t}/t.csv", "--set", "frobnicate=1"),
        api=fit_api("tabular", "{t}/t.csv", options={"frobnicate": 1}),
        files={"t.csv": GOOD_TABLE},
    ),
    Case(
        "fields-unknown-option",
        DataError,
        ("bogus", "user fields", "layout"),
        cli=train_cli("fields", "{t}/f.npy", "--set", "bogus=3"),
        api=fit_api("fields", "{t}/f.npy", options={"bogus": 3}),
        files={"f.npy": npy(np.ones((6, 8, 8)))},
    ),
    Case(
        "fields-api-ragged-list",
        DataError,
        ("<in-memory>", "ragged"),
        api=fit_api("fields", [np.zeros((8, 8)), np.zeros((4, 4)), np.zeros((8, 8))]),
    ),
    Case(
        "fields-builtin-absurd-option",
        DataError,
        ("ising2d", "L"),
        cli=train_cli("fields", "ising2d", "--set", "L=-4"),
        api=fit_api("fields", "ising2d", options={"L": -4}),
    ),
]


# ---------------------------------------------------------------- sequences and molecules
CASES += [
    Case(
        f"{prefix}-{name}",
        DataError,
        ("{t}/" + fname, *needles),
        cli=train_cli(domain, "{t}/" + fname, *extra),
        api=fit_api(domain, "{t}/" + fname, options=opts),
        files={fname: content} if content is not None else {},
    )
    for prefix, domain in (("seq", "sequences"), ("mol", "molecules"))
    for name, fname, content, needles, extra, opts in {
        "seq": [
            (
                "unknown-letters",
                "s.fasta",
                b">a\nACGTACGT\n>b\nACGTZCGT\n>c\nACGTACGA\n",
                ("'b'", "Z", "invalid=drop"),
                ("--set", "alphabet=dna"),
                {"alphabet": "dna"},
            ),
            (
                "fasta-without-headers",
                "s.fasta",
                b"ACGT\nACGA\n",
                ("line 1", "'>' header"),
                (),
                None,
            ),
            ("fasta-empty", "s.fasta", b"", ("no FASTA records",), (), None),
            ("fasta-non-utf8", "s.fasta", b">a\nAC\xff\n", ("UTF-8", "byte"), (), None),
            ("csv-non-utf8", "s.csv", b"sequence\nACGT\nAC\xffT\n", ("UTF-8", "byte"), (), None),
            ("csv-header-only", "s.csv", b"sequence\n", ("no rows",), (), None),
            ("txt-single-sequence", "s.txt", b"ACGTACGT\n", ("at least 2",), (), None),
            ("directory", "s.fasta/x", b"", ("not found",), (), None),
        ],
        "mol": [
            (
                "invalid-smiles",
                "m.smi",
                b"CCO\nC1CC(\nc1ccccc1\nCCN\n",
                ("line 2", "C1CC(", "invalid=skip"),
                (),
                None,
            ),
            ("empty-file", "m.smi", b"", ("no molecules", "one SMILES per line"), (), None),
            ("non-utf8", "m.smi", b"CCO\nC\xffC\n", ("UTF-8", "byte"), (), None),
            (
                "csv-without-smiles-column",
                "m.csv",
                b"name,value\na,1\nb,2\n",
                ("no SMILES column", "smiles_column"),
                (),
                None,
            ),
            (
                "csv-empty-smiles-cell",
                "m.csv",
                b"smiles,y\nCCO,1\n,2\nCCN,3\n",
                ("line 3", "empty SMILES"),
                (),
                None,
            ),
            ("csv-ragged", "m.csv", b"smiles,y\nCCO,1\nCCN,2,3\n", ("line 3",), (), None),
            ("directory", "m.smi/x", b"", ("directory",), (), None),
            ("unsupported-type", "m.mol2", b"@<TRIPOS>MOLECULE\n", (".smi",), (), None),
        ],
    }[prefix]
]
for _c in CASES[-16:]:  # the folder itself is the input in the "directory" cases
    if _c.id.endswith("-directory"):
        CASES[CASES.index(_c)] = Case(
            _c.id,
            _c.exc,
            tuple(n.removesuffix("/x") for n in _c.needles),
            cli=[a.removesuffix("/x") for a in _c.cli],
            api=fit_api(_c.cli[2], _c.cli[4].removesuffix("/x")),
            files=_c.files,
        )


# ---------------------------------------------------------------- more entry points
def _demo(t: Path, out: str, domains: list[str] | None = None) -> Any:
    from scigan.demo import run_demo

    return run_demo(t / out, domains=domains, log=lambda line: None)


CASES += [
    Case(
        "demo-out-below-a-regular-file",
        OutputError,
        ("{t}/blocker/demo", "cannot write", "writable --out"),
        cli=["demo", "--out", "{t}/blocker/demo", "--quiet"],
        api=lambda t: _demo(t, "blocker/demo"),
        files={"blocker": b"x"},
    ),
    Case(
        "demo-out-not-empty",
        OutputError,
        ("{t}/full", "not empty", "new --out"),
        cli=["demo", "--out", "{t}/full", "--quiet"],
        api=lambda t: _demo(t, "full"),
        files={"full/notes.txt": b"mine"},
    ),
    Case(
        "demo-unknown-domain",
        UnknownNameError,
        ("astrology", "choose one of"),
        cli=["demo", "--out", "{t}/demo", "--domains", "astrology", "--quiet"],
        api=lambda t: _demo(t, "demo", ["astrology"]),
    ),
    Case(
        "report-metrics-log-missing",
        CheckpointError,
        ("{t}/run/metrics.jsonl",),
        cli=["report", "{t}/run", "-n", "20"],
        api=loaded("run", lambda s, t: s.report(n=20)),
        runs=("run",),
        corrupt=lambda t: (t / "run" / "metrics.jsonl").unlink(),
    ),
    Case(
        "run-config-json-not-utf8",
        CheckpointError,
        ("{t}/run/config.json", "corrupt JSON"),
        cli=["evaluate", "{t}/run"],
        api=lambda t: Synthesizer.load(t / "run"),
        runs=("run",),
        corrupt=corrupt_file("run/config.json", lambda b: b"\xff\xfe" + b),
    ),
    *[
        Case(
            f"fields-condition-{name}",
            DataError,
            needles,
            cli=["sample", "{t}/frun", "-n", "4", "--out", "{t}/s.npy", "--condition", cond],
            runs=("frun",),
        )
        for name, cond, needles in [
            ("not-a-number", "T=hot", ("T=", "hot", "expected a number")),
            ("infinite", "T=inf", ("T=", "inf", "finite")),
            ("nan", "T=nan", ("T=", "nan", "finite")),
            ("unknown-name", "X=1", ("T=VALUE", "unknown ['X']", "missing ['T']")),
        ]
    ],
    Case(
        "fields-api-condition-rows-mismatch",
        DataError,
        ("conditions must describe 4 rows", "got 3"),
        api=loaded("frun", lambda s, t: s.sample(4, conditions=np.full((3, 1), 2.3))),
        runs=("frun",),
    ),
]


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-64])


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """Tiny trained run folders (toy ring8, toy CSV, tabular experiment, Ising at three
    temperatures), 2 steps each."""
    root = tmp_path_factory.mktemp("trained")
    runs = {}
    Synthesizer(domain="toy", **TINY, options={"n": 200}).fit("ring8", out=root / "run")
    runs["run"] = root / "run"
    (root / "pts.csv").write_bytes(GOOD_POINTS)
    Synthesizer(domain="toy", **TINY).fit(str(root / "pts.csv"), out=root / "csvrun")
    runs["csvrun"] = root / "csvrun"
    (root / "exp.csv").write_text(EXPERIMENT)
    Synthesizer(
        domain="tabular", **TINY, options={"conditions": ["a", "cat"], "outcomes": ["y"]}
    ).fit(str(root / "exp.csv"), out=root / "tab")
    runs["tab"] = root / "tab"
    Synthesizer(domain="fields", **TINY, options={"L": 8, "n": 60, "cache": False}).fit(
        "ising2d", out=root / "frun"
    )
    runs["frun"] = root / "frun"
    runs["root"] = root
    return runs


def _snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with a hash of its bytes (folders as 'dir')."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _prepare(case: Case, t: Path, trained: dict[str, Path]) -> None:
    for rel in case.runs:
        shutil.copytree(trained[rel], t / rel)
        if rel == "csvrun":  # the run's config.json names its training file: point it here
            info = json.loads((t / rel / "config.json").read_text())
            info["config"]["data"] = str(t / "pts.csv")
            (t / rel / "config.json").write_text(json.dumps(info))
    for rel, content in case.files.items():
        p = t / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content(t) if callable(content) else content)
    if case.corrupt is not None:
        case.corrupt(t)


def _fill(text: str, t: Path) -> str:
    return text.replace("{t}", str(t))


# ---------------------------------------------------------------- proteins
_PDB_ATOM = "ATOM      1  CA  ALA A   1      11.104   6.134  -6.504  1.00  0.00           C\n"
_ASYM = np.abs(np.random.default_rng(0).normal(5, 1, (6, 12, 12)))
_BAD_PDB = _PDB_ATOM + _PDB_ATOM.replace("11.104", "1x.104").replace("   1  ", "   2  ")
_NAN_MAPS = np.where(np.eye(12)[None].repeat(6, 0) > 0, np.nan, 1.0)
CASES += [
    Case(
        f"proteins-{name}",
        DataError,
        (needle_path, *needles),
        cli=train_cli("proteins", "{t}/" + target, *extra),
        api=fit_api("proteins", "{t}/" + target, options=opts),
        files=files,
    )
    for name, target, files, needle_path, needles, extra, opts in [
        ("folder-without-structures", "structs", {"structs/notes.txt": b"hello\n"},
         "{t}/structs", ("no protein structure files",), (), None),
        ("pdb-bad-coordinate", "bad.pdb",
         {"bad.pdb": _BAD_PDB.encode()},
         "bad.pdb:2", ("malformed coordinates", "columns 31-38"), (), None),
        ("pdb-without-ca", "noca.pdb", {"noca.pdb": _PDB_ATOM.replace(" CA ", " N  ").encode()},
         "noca.pdb", ("no Cα",), (), None),
        ("npy-wrong-shape", "m.npy", {"m.npy": npy(np.zeros((6, 8, 4)))}, "m.npy",
         ("(N, L, L)", "(N, L, 3)"), (), None),
        ("npy-asymmetric-maps", "m.npy", {"m.npy": npy(_ASYM)}, "m.npy", ("symmetric",), (), None),
        ("npy-nan", "m.npy", {"m.npy": npy(_NAN_MAPS)},
         "m.npy", ("non-finite",), (), None),
        ("unknown-option", "m.npy", {"m.npy": npy(np.ones((6, 12, 3)))}, "bogus",
         ("protein data",), ("--set", "bogus=1"), {"bogus": 1}),
        ("bad-head", "m.npy", {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))}, "head",
         ("'map'", "'chain'"), ("--set", "head=spiral"), {"head": "spiral"}),
        ("bad-steric", "m.npy", {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))}, "steric",
         ("0 (off) to 8",), ("--set", "steric=-1"), {"steric": -1}),
        ("bad-geometry-critic", "m.npy", {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))},
         "geometry_critic", ("true or false",), ("--set", "geometry_critic=maybe"),
         {"geometry_critic": "maybe"}),
        ("bad-geometry-match", "m.npy", {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))},
         "geometry_match", ("0 (off) to 100000",), ("--set", "geometry_match=-5"),
         {"geometry_match": -5}),
        ("bad-shape-match", "m.npy", {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))},
         "shape_match", ("0 (off) to 100000",), ("--set", "shape_match=lots"),
         {"shape_match": "lots"}),
        ("map-head-geometry-match", "m.npy",
         {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))}, "geometry_match",
         ("head=bonds",), ("--set", "head=map", "--set", "geometry_match=5"),
         {"head": "map", "geometry_match": 5}),
        ("bad-steric-min-sep", "m.npy", {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))},
         "steric_min_sep", ("to 8 residues apart",), ("--set", "steric_min_sep=9"),
         {"steric_min_sep": 9}),
        ("steric-min-sep-bonded", "m.npy",
         {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))}, "steric_min_sep",
         ("integer >= 2",), ("--set", "steric_min_sep=1"), {"steric_min_sep": 1}),
        ("bad-steric-weight", "m.npy", {"m.npy": npy(np.cumsum(np.ones((6, 12, 3)), axis=1))},
         "steric_weight", ("0 (off) to 100000",), ("--set", "steric_weight=2e5"),
         {"steric_weight": 2e5}),
    ]
]  # fmt: skip

# molecules options are checked before any autoencoder is trained
CASES += [
    Case(
        f"mol-{name}",
        DataError,
        (needle, *needles),
        cli=train_cli("molecules", "{t}/m.smi", "--set", setting),
        api=fit_api("molecules", "{t}/m.smi", options=opts),
        files={"m.smi": "".join(f"{s}\n" for s in ["CCO", "CCN", "c1ccccc1", "CC(=O)O"] * 6)
               .encode()},
    )
    for name, needle, needles, setting, opts in [
        ("bad-ae-beta", "ae_beta", ("[0, 10]", "default 0.5"), "ae_beta=-1", {"ae_beta": -1}),
        ("ae-beta-not-a-number", "ae_beta", ("[0, 10]",), "ae_beta=lots", {"ae_beta": "lots"}),
        ("bad-temperature", "temperature", ("[0, 5]", "greedy"), "temperature=-0.5",
         {"temperature": -0.5}),
        ("bad-retries", "retries", ("[0, 100]", "0 = never"), "retries=-1", {"retries": -1}),
        ("fractional-retries", "retries", ("whole number",), "retries=2.5", {"retries": 2.5}),
        ("bad-active-variance", "active_variance", ("[0, 10]", "0 = the GAN models all"),
         "active_variance=-1", {"active_variance": -1}),
        ("bad-adapt-steps", "adapt_steps", ("[0, 1000000]", "0 = never", "auto"),
         "adapt_steps=soon", {"adapt_steps": "soon"}),
        ("fractional-adapt-steps", "adapt_steps", ("whole number",), "adapt_steps=2.5",
         {"adapt_steps": 2.5}),
        ("bad-adapt-temperature", "adapt_temperature", ("[0, 5]",), "adapt_temperature=9",
         {"adapt_temperature": 9}),
    ]
]  # fmt: skip


PARAMS = [
    pytest.param(
        case,
        entry,
        id=f"{entry}-{case.id}",
    )
    for case in CASES
    for entry in ("cli", "api")
    if getattr(case, entry) is not None
]


def test_case_count():
    """The issue asks for at least 50 distinct bad inputs."""
    assert len({c.id for c in CASES}) == len(CASES) >= 50


@pytest.mark.parametrize(
    ("make", "unpickle"),
    [
        (hostile_pickle, pickle.loads),
        (hostile_torch_save, lambda b: torch.load(io.BytesIO(b), weights_only=False)),
        (hostile_npy, lambda b: np.load(io.BytesIO(b), allow_pickle=True)),
        (hostile_npz, lambda b: np.load(io.BytesIO(b), allow_pickle=True)["x"]),
    ],
    ids=["pickle", "torch-save", "npy", "npz"],
)
def test_payloads_are_live(make, unpickle, tmp_path):
    """The hostile files above do run code when unpickled, so 'the marker never appears'
    in the cases is a real check."""
    unpickle(make(tmp_path))
    assert (tmp_path / MARKER).exists()


@pytest.mark.parametrize(("case", "entry"), PARAMS)
def test_bad_input(case: Case, entry: str, tmp_path, trained, capsys, monkeypatch):
    t = tmp_path / "w"
    t.mkdir()
    monkeypatch.chdir(t)  # a default run folder (runs/...) would land here and be seen
    _prepare(case, t, trained)
    before = _snapshot(t)
    capsys.readouterr()

    if entry == "cli":
        argv = [_fill(a, t) for a in case.cli]
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse errors
            code = exc.code
        captured = capsys.readouterr()
        err = captured.err
        assert code == 2, f"exit code {code}; stderr: {err[:2000]}"
        lines = err.splitlines()
        assert len(lines) == 1 and err.endswith("\n"), f"not one line: {err[:2000]!r}"
        message = lines[0]
        assert message.startswith("scigan: error: "), message
    else:
        with pytest.raises(SciganError) as info:
            case.api(t)
        assert isinstance(info.value, case.exc), f"{type(info.value).__name__}: {info.value}"
        message = str(info.value)
        assert "\n" not in message, message
    assert len(message) <= MAX_LINE, f"{len(message)} characters: {message[:300]}..."
    assert HINTS.search(message.removeprefix("scigan: error: ")), f"no hint at the fix: {message}"
    for needle in case.needles:
        assert _fill(needle, t) in message, f"{needle!r} missing from: {message}"
    assert not (t / MARKER).exists(), "a hostile payload ran"
    assert _snapshot(t) == before, "the bad input left output behind or changed a file"


# Through a real process: Python warnings and C libraries (numpy, RDKit) write to the process's
# stderr, which capsys does not see; the one-line contract holds there too.
SUBPROCESS_CASES = [
    "toy-csv-empty",
    "toy-npy-hostile-pickle",
    "mol-invalid-smiles",
    "seq-unknown-letters",
]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_bad_input_in_a_process(case_id, tmp_path, trained):
    case = next(c for c in CASES if c.id == case_id)
    t = tmp_path / "w"
    t.mkdir()
    _prepare(case, t, trained)
    before = _snapshot(t)
    proc = subprocess.run(
        [sys.executable, "-m", "scigan", *[_fill(a, t) for a in case.cli]],
        capture_output=True,
        text=True,
        cwd=t,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("scigan: error: "), proc.stderr[:2000]
    for needle in case.needles:
        assert _fill(needle, t) in lines[0]
    assert not (t / MARKER).exists()
    assert _snapshot(t) == before
