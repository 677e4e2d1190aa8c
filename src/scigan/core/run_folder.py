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

import json
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

CONFIG = "config.json"
ENCODER = "encoder.json"
METRICS = "metrics.jsonl"
CHECKPOINTS = "checkpoints"
REPORT = "report.html"


def create(out: str | Path) -> Path:
    """Make ``out`` a new run folder (created if missing); refuse one that holds a run."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is a file; choose a folder for --out")
    if (out / CONFIG).exists():
        raise OutputError(
            f"{out}: already holds a run; continue it with `scigan resume {out}` "
            "or choose a new --out"
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
    """A run file's JSON; one-line CheckpointError when missing or corrupt."""
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


_KINDS = {"train": "train", "eval": "evals", "watchdog": "events"}
STAGE_KINDS = ("adapt", "drs")


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
        if kind in _KINDS:
            getattr(log, _KINDS[kind]).append(row)
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
