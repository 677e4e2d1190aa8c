"""The run folder: the one module that knows its file names and how each is written.

Layout::

    RUN/
      config.json        resolved config, versions, seed, data hash, command (written by the API)
      encoder.json       the fitted encoder's JSON state (never pickled)
      metrics.jsonl      one JSON object per line: training rows, evaluations, watchdog events,
                         post-training stages (append-only; truncated to the resumed step)
      checkpoints/       ckpt-<step>.safetensors + one JSON pointer per tag (latest, best)
      report.html        written by the report

Every write is atomic (write-then-rename) except the append to metrics.jsonl, whose torn last
line (a crash mid-append) readers skip. Only rank 0 writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from scigan.core.checkpoint import (
    atomic_write_text,
    json_default,
    load_checkpoint,
    save_checkpoint,
)
from scigan.errors import CheckpointError, OutputError
from scigan.limits import check_readable_file

CONFIG = "config.json"
ENCODER = "encoder.json"
METRICS = "metrics.jsonl"
CHECKPOINTS = "checkpoints"
REPORT = "report.html"


def create(out: str | Path, *, force: bool = False) -> Path:
    """Make ``out`` a new run folder (created if missing). Refused: an empty name, a folder
    that holds a run (resume it instead), and a non-empty folder that is not a run unless
    ``force`` (its files could be silently replaced)."""
    if str(out).strip() == "":
        raise OutputError("--out is empty; name a folder for the run, e.g. --out runs/my-run")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is a file; choose a folder for --out")
    if (out / CONFIG).exists():
        raise OutputError(
            f"{out}: already holds a run; continue it with `scigan resume {out}` "
            "or choose a new --out"
        )
    if out.is_dir() and not force and any(out.iterdir()):
        raise OutputError(
            f"{out}: folder is not empty and holds no scigan run; choose a new --out, or pass "
            "--force to write the run into it"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(
            f"{out}: cannot write here ({exc.strerror}); choose a writable --out folder"
        ) from None
    return out


def read_json(path: Path) -> Any:
    """A run file's JSON; one-line CheckpointError when missing, corrupt, not a regular file
    (a FIFO would hang the read) or over the size limit (scigan.limits)."""
    if path.exists() or path.is_symlink():
        check_readable_file(path, CheckpointError)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(
            f"{path}: not found; is {path.parent} a scigan run folder (scigan train --out)?"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(
            f"{path}: unreadable or corrupt JSON ({exc}); restore the file or retrain"
        ) from None


def read_config(run_dir: str | Path) -> dict[str, Any]:
    """``config.json`` as a dict (CheckpointError when missing, corrupt or not an object)."""
    path = Path(run_dir) / CONFIG
    if not path.is_file():
        raise CheckpointError(
            f"{path}: file not found; this is not a scigan run folder (run `scigan train` first)"
        )
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise CheckpointError(f"{path}: expected a JSON object; the run folder is corrupt")
    return doc


def write_config(run_dir: str | Path, info: dict[str, Any]) -> None:
    atomic_write_text(Path(run_dir) / CONFIG, json.dumps(info, indent=2))


def read_encoder(run_dir: str | Path) -> Any:
    return read_json(Path(run_dir) / ENCODER)


def write_encoder(run_dir: str | Path, state: dict[str, Any]) -> None:
    atomic_write_text(Path(run_dir) / ENCODER, json.dumps(state))


LOCK = ".lock"


@contextlib.contextmanager
def lock(run_dir: str | Path | None) -> Iterator[None]:
    """Hold the run's write lock (an advisory ``flock`` on ``RUN/.lock``) while writing it, so
    two processes (two ``resume``, a ``train --force`` beside a ``resume``) never write one run
    at once; the second is refused at once with a one-line error. The lock goes with the
    process, so a killed run never leaves a stale lock. Stale temporary files of a killed
    writer are removed once the lock is held. ``None``: nothing to lock (in-memory runs,
    ranks other than 0)."""
    if run_dir is None:
        yield
        return
    run_dir = Path(run_dir)
    try:
        fd = os.open(run_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OutputError(
            f"{run_dir}: cannot write here ({exc.strerror}); check permissions"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"{run_dir}: another scigan process is writing this run; wait for it to finish "
                "(or stop it) and try again"
            ) from None
        remove_stale_files(run_dir)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stale_files(run_dir: str | Path) -> None:
    """Temporary files (``.NAME.*.tmp``) a killed writer left behind."""
    run_dir = Path(run_dir)
    for folder in (run_dir, run_dir / CHECKPOINTS):
        for f in folder.glob(".*.tmp"):
            f.unlink(missing_ok=True)


def has_checkpoint(run_dir: str | Path) -> bool:
    return (checkpoints(run_dir) / "latest.json").exists()


def clear_for_restart(run_dir: str | Path) -> None:
    """A run killed before its first checkpoint: drop what it wrote after config.json
    (metrics rows, encoder state, partial checkpoint files) so it can start again at step 0."""
    run_dir = Path(run_dir)
    for name in (METRICS, ENCODER, REPORT):
        (run_dir / name).unlink(missing_ok=True)
    ckpt = checkpoints(run_dir)
    if ckpt.is_dir():
        for f in ckpt.iterdir():
            if f.is_file():
                f.unlink()


# --------------------------------------------------------------------------- metrics.jsonl
class MetricsLog:
    """Append-only ``metrics.jsonl`` (one JSON object per line), written by rank 0 only.

    ``run_dir`` None: nothing is written (training in memory, or a rank other than 0).
    ``resume_step``: rows logged after that step (a run killed between checkpoints) and a torn
    last line are dropped first, so a resumed log has no repeats.
    """

    def __init__(self, run_dir: str | Path | None, resume_step: int | None = None) -> None:
        self.path = None if run_dir is None else Path(run_dir) / METRICS
        if self.path is not None and resume_step is not None and self.path.exists():
            _truncate_after(self.path, resume_step)

    def write(self, *rows: dict[str, Any]) -> None:
        if self.path is None:
            return
        with self.path.open("a", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, default=json_default) + "\n")


def _truncate_after(path: Path, step: int) -> None:
    keep = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if int(row.get("step", 0)) <= step:
            keep.append(line)
    atomic_write_text(path, "".join(k + "\n" for k in keep))


@dataclass
class RunLog:
    """Parsed ``metrics.jsonl``: rows by kind, plus what could not be read."""

    train: list[dict[str, Any]] = field(default_factory=list)
    evals: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)  # adapt, drs, ... after training
    unknown_kinds: dict[str, int] = field(default_factory=dict)
    bad_lines: list[int] = field(default_factory=list)
    truncated_last: bool = False


STAGE_KINDS = ("setup", "adapt", "drs")  # stages with their own seconds
IN_MEMORY = "<in-memory>"  # config "data" of a run fitted on a Python object


def read_metrics(run_dir: str | Path) -> RunLog:
    """Parse ``metrics.jsonl``; a torn last line is noted, other bad lines are counted."""
    path = Path(run_dir) / METRICS
    if not path.is_file():
        raise CheckpointError(
            f"{path}: file not found; this is not a scigan run folder (run `scigan train` first)"
        )
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc})") from exc
    log = RunLog()
    lines = text.splitlines()
    last_index = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = None
        if not isinstance(row, dict):
            if i == last_index:
                log.truncated_last = True
            else:
                log.bad_lines.append(i + 1)
            continue
        kind = row.get("kind")
        rows = {"train": log.train, "eval": log.evals, "watchdog": log.events}.get(kind)
        if rows is not None:
            rows.append(row)
        elif kind in STAGE_KINDS:
            log.stages.append(row)
        else:
            key = "(no kind)" if kind is None else str(kind)
            log.unknown_kinds[key] = log.unknown_kinds.get(key, 0) + 1
    return log


# --------------------------------------------------------------------------- checkpoints
def checkpoints(run_dir: str | Path) -> Path:
    return Path(run_dir) / CHECKPOINTS


def save(
    run_dir: str | Path,
    tags: list[str],
    step: int,
    tensors: dict[str, torch.Tensor],
    state: dict[str, Any],
) -> Path:
    """Write a checkpoint and point each of ``tags`` at it (see :mod:`scigan.core.checkpoint`)."""
    return save_checkpoint(checkpoints(run_dir), tags, step, tensors, state)


def load(run_dir: str | Path, tag: str = "latest") -> tuple[dict, dict]:
    """``(tensors, state)`` of a tagged checkpoint, checksum verified."""
    return load_checkpoint(checkpoints(run_dir), tag)


def tags_sharing(run_dir: str | Path, tag: str = "latest") -> list[str]:
    """Every tag pointing at the same file as ``tag`` (rewriting that file must move them)."""
    ckpt = checkpoints(run_dir)
    target = read_json(ckpt / f"{tag}.json")["file"]
    return sorted(p.stem for p in ckpt.glob("*.json") if read_json(p).get("file") == target)
