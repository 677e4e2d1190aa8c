"""Checkpoints: safetensors weights + a JSON state file, written atomically.

Layout inside ``RUN/checkpoints/``::

    ckpt-00000400.safetensors   every tensor (G, D, G_ema, optimiser moments, RNG state, extras)
    latest.json                 {"file": "ckpt-00000400.safetensors", "sha256": …, "step": 400}
    best.json                   the same for the best-by-metric checkpoint

A JSON pointer is written (write-then-rename) only after its safetensors file is complete, so a
crash at any moment leaves the previous pointer and its file intact. The pointer carries the
SHA-256 of the weights: a truncated or bit-flipped file is refused on load. Nothing is ever
unpickled.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from scigan.errors import CheckpointError, OutputError
from scigan.limits import check_readable_file

FORMAT = "scigan-checkpoint"
FORMAT_VERSION = 1


def _file_mode() -> int:
    """The permissions a plain ``open(path, "w")`` would give: 0o666 less the user's umask
    (``mkstemp`` makes 0o600 files, which other users of a shared run folder cannot read)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``;
    the file gets the user's umask, like any file the user writes."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(
            f"{path.parent}: cannot write here ({exc.strerror}); choose a writable output folder"
        ) from None
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(
            f"{path}: write failed ({exc.strerror}); the previous file is "
            "unchanged — free disk space or fix permissions"
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_npz(path: str | Path, **arrays: Any) -> None:
    """``arrays`` as an uncompressed ``.npz`` at ``path`` (folders made as needed), written
    atomically (:func:`atomic_write_bytes`): a cache entry is either whole or absent."""
    path = Path(path)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buf.getvalue())


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def flatten_state(prefix: str, state: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Move every tensor of a nested dict/list into ``tensors`` (keyed by path); return the
    JSON-able skeleton with ``{"__tensor__": key}`` placeholders."""
    if isinstance(state, torch.Tensor):
        key = prefix
        tensors[key] = state.detach().cpu().contiguous().clone()
        return {"__tensor__": key}
    if isinstance(state, dict):
        return {str(k): flatten_state(f"{prefix}.{k}", v, tensors) for k, v in state.items()}
    if isinstance(state, list | tuple):
        return [flatten_state(f"{prefix}.{i}", v, tensors) for i, v in enumerate(state)]
    if isinstance(state, float) and not math.isfinite(state):
        return {"__float__": repr(state)}
    return state


def unflatten_state(skeleton: Any, tensors: dict[str, torch.Tensor], *, int_keys: bool = False):
    """Inverse of :func:`flatten_state`. ``int_keys`` restores integer dict keys (optimisers)."""
    if isinstance(skeleton, dict):
        if set(skeleton) == {"__tensor__"}:
            key = skeleton["__tensor__"]
            if key not in tensors:
                raise CheckpointError(f"checkpoint is missing tensor '{key}'")
            return tensors[key]
        if set(skeleton) == {"__float__"}:
            return float(skeleton["__float__"])
        out = {}
        for k, v in skeleton.items():
            kk = int(k) if int_keys and k.lstrip("-").isdigit() else k
            out[kk] = unflatten_state(v, tensors, int_keys=int_keys)
        return out
    if isinstance(skeleton, list):
        return [unflatten_state(v, tensors, int_keys=int_keys) for v in skeleton]
    return skeleton


def save_checkpoint(
    directory: str | Path,
    tags: list[str],
    step: int,
    tensors: dict[str, torch.Tensor],
    state: dict[str, Any],
) -> Path:
    """Write ``ckpt-<step>.safetensors`` and point each tag (``latest``/``best``) at it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise CheckpointError(f"refusing to save non-finite values in '{name}' at step {step}")
    data = st_save(tensors, metadata={"format": FORMAT, "step": str(step)})
    fname = f"ckpt-{step:08d}.safetensors"
    atomic_write_bytes(directory / fname, data)
    pointer = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "file": fname,
        "sha256": hashlib.sha256(data).hexdigest(),
        "step": step,
        **state,
    }
    text = json.dumps(pointer, indent=1, default=json_default, allow_nan=False)
    for tag in tags:
        atomic_write_text(directory / f"{tag}.json", text)
    _remove_unreferenced(directory)
    return directory / fname


def _remove_unreferenced(directory: Path) -> None:
    keep = set()
    for ptr in directory.glob("*.json"):
        try:
            keep.add(json.loads(ptr.read_text())["file"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    for f in directory.glob("ckpt-*.safetensors"):
        if f.name not in keep:
            f.unlink(missing_ok=True)
    for f in directory.glob(".*.tmp"):
        f.unlink(missing_ok=True)


def load_checkpoint(directory: str | Path, tag: str = "latest") -> tuple[dict, dict]:
    """Return ``(tensors, state)`` of a tagged checkpoint, verifying format and checksum."""
    directory = Path(directory)
    ptr = directory / f"{tag}.json"
    if not ptr.exists():
        raise CheckpointError(
            f"{ptr}: no '{tag}' checkpoint; train first (scigan train) "
            "or point to a run folder that has one"
        )
    check_readable_file(ptr, CheckpointError)
    try:
        state = json.loads(ptr.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(
            f"{ptr}: corrupt checkpoint state ({exc}); "
            "delete the run folder's checkpoints or retrain"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{ptr}: not a scigan checkpoint state file")
    fname = str(state.get("file", ""))
    if "/" in fname or "\\" in fname or not fname.endswith(".safetensors"):
        raise CheckpointError(
            f"{ptr}: invalid checkpoint file name {fname!r}; it must name a .safetensors file in "
            "the same folder — restore the file or retrain"
        )
    path = directory / fname
    if not path.exists():
        raise CheckpointError(
            f"{path}: cannot read checkpoint (file not found); restore it from a backup or retrain"
        )
    check_readable_file(path, CheckpointError, memory=True)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(
            f"{path}: cannot read checkpoint ({exc.strerror}); restore it from a backup or retrain"
        ) from None
    if hashlib.sha256(data).hexdigest() != state.get("sha256"):
        raise CheckpointError(
            f"{path}: checksum mismatch (truncated or corrupted file); "
            "restore it from a backup or retrain"
        )
    try:
        tensors = st_load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path}: not a valid safetensors file ({exc}); scigan loads only the safetensors "
            "weights that scigan train writes (never pickles) — restore the file or retrain"
        ) from None
    validate_state(state, tensors, ptr)
    return tensors, state


_RNG_BYTES = torch.get_rng_state().numel()


def validate_state(state: dict[str, Any], tensors: dict[str, torch.Tensor], where: Path) -> None:
    """Refuse a checkpoint whose metadata or tensors could not have been written by training:
    the checksum proves the weights file matches its pointer, not that the pointer is sane.
    Every field a resume or sample reads is checked here, with a one-line error."""

    def bad(field: str, problem: str) -> CheckpointError:
        return CheckpointError(
            f"{where}: field '{field}' {problem}; the checkpoint was edited or damaged — "
            "restore it from a backup or retrain"
        )

    def number(field: str, *, integer: bool = False, positive: bool = False) -> None:
        v = state.get(field)
        ok_type = isinstance(v, int) if integer else isinstance(v, int | float)
        if isinstance(v, bool) or not ok_type:
            raise bad(field, f"is {v!r}, not {'an integer' if integer else 'a number'}")
        if not math.isfinite(v) or v < 0 or (positive and v == 0):
            raise bad(field, f"is {v!r}, not a finite {'positive' if positive else '≥ 0'} value")

    number("step", integer=True)
    for name in ("lr_g", "lr_d"):
        if name in state:
            number(name, positive=True)
    if "rollbacks" in state:
        number("rollbacks", integer=True)
    if "elapsed_s" in state:
        number("elapsed_s")
    if state.get("best_step") is not None:
        number("best_step", integer=True)
    best = state.get("best_value")
    if best is not None and (isinstance(best, bool) or not isinstance(best, int | float)):
        raise bad("best_value", f"is {best!r}, not a number or null")
    for name in ("window", "watchdog", "opt_g", "opt_d"):
        if name in state and not isinstance(state[name], dict):
            raise bad(name, "is not a JSON object")
    window = state.get("window", {})
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in window.values()):
        raise bad("window", "holds a value that is not a number")
    rng = tensors.get("rng.torch")
    if rng is not None and (rng.dtype != torch.uint8 or rng.numel() != _RNG_BYTES):
        raise bad("rng.torch", f"has {rng.numel()} {rng.dtype} entries, not {_RNG_BYTES} bytes")
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise bad(name, "holds NaN or infinite values (training never saves them)")
