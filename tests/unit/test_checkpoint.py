"""Checkpoints: safetensors + JSON, atomic, verified, never unpickled."""

from __future__ import annotations

import json
import os
import pickle

import pytest
import torch

from scigan.core.checkpoint import (
    flatten_state,
    load_checkpoint,
    save_checkpoint,
    unflatten_state,
)
from scigan.errors import CheckpointError


def _save(tmp_path, step=5, tags=("latest",)):
    tensors = {"w": torch.arange(6.0).reshape(2, 3), "rng": torch.tensor([1, 2], dtype=torch.uint8)}
    return save_checkpoint(tmp_path, list(tags), step, tensors, {"lr": 0.1, "nested": [1, "a"]})


def test_round_trip(tmp_path):
    _save(tmp_path)
    tensors, state = load_checkpoint(tmp_path, "latest")
    assert torch.equal(tensors["w"], torch.arange(6.0).reshape(2, 3))
    assert state["step"] == 5 and state["lr"] == 0.1 and state["nested"] == [1, "a"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_only_referenced_files_are_kept(tmp_path):
    _save(tmp_path, step=1, tags=("latest", "best"))
    _save(tmp_path, step=2)
    _save(tmp_path, step=3)
    names = sorted(p.name for p in tmp_path.glob("*.safetensors"))
    assert names == ["ckpt-00000001.safetensors", "ckpt-00000003.safetensors"]
    assert load_checkpoint(tmp_path, "best")[1]["step"] == 1


def test_optimizer_state_round_trip():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.9))
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    tensors: dict = {}
    skeleton = flatten_state("opt", opt.state_dict(), tensors)
    json.dumps(skeleton)  # JSON-able
    opt2 = torch.optim.Adam(torch.nn.Linear(3, 2).parameters(), lr=1.0)
    opt2.load_state_dict(unflatten_state(json.loads(json.dumps(skeleton)), tensors, int_keys=True))
    a, b = opt.state_dict(), opt2.state_dict()
    assert a["param_groups"][0]["lr"] == b["param_groups"][0]["lr"]
    for k in a["state"]:
        for key in a["state"][k]:
            assert torch.equal(a["state"][k][key], b["state"][k][key])


def test_bit_flip_and_truncation_refused(tmp_path):
    path = _save(tmp_path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        load_checkpoint(tmp_path)
    path.write_bytes(bytes(data[:20]))
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        load_checkpoint(tmp_path)


def test_pickle_payload_never_runs(tmp_path):
    """A hostile pickle named like a checkpoint is refused; its payload does not execute."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "ckpt-00000001.safetensors"
    path.write_bytes(pickle.dumps(Payload()))
    import hashlib

    (tmp_path / "latest.json").write_text(
        json.dumps(
            {
                "format": "scigan-checkpoint",
                "file": path.name,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "step": 1,
            }
        )
    )
    with pytest.raises(CheckpointError, match="not a valid safetensors"):
        load_checkpoint(tmp_path)
    assert not marker.exists()


def test_non_finite_weights_are_never_saved(tmp_path):
    with pytest.raises(CheckpointError, match="non-finite"):
        save_checkpoint(tmp_path, ["latest"], 1, {"w": torch.tensor([1.0, float("nan")])}, {})
    assert not list(tmp_path.glob("*.safetensors")) and not (tmp_path / "latest.json").exists()


def test_path_traversal_in_pointer_refused(tmp_path):
    (tmp_path / "latest.json").write_text(
        json.dumps(
            {
                "format": "scigan-checkpoint",
                "file": "../evil.safetensors",
                "sha256": "x",
                "step": 1,
            }
        )
    )
    with pytest.raises(CheckpointError, match="invalid checkpoint file name"):
        load_checkpoint(tmp_path)


def _pointer_for(tmp_path, data: bytes) -> None:
    """A latest.json with the right SHA-256 for ``data`` stored as the checkpoint file."""
    import hashlib

    path = tmp_path / "ckpt-00000001.safetensors"
    path.write_bytes(data)
    (tmp_path / "latest.json").write_text(
        json.dumps(
            {
                "format": "scigan-checkpoint",
                "file": path.name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "step": 1,
            }
        )
    )


class _Payload:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        import os

        return (os.mkdir, (self.path,))


def test_torch_save_payload_never_runs(tmp_path):
    """A torch.save file (a zip of pickles) with a payload, in place of the weights."""
    import io

    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"G.w": torch.zeros(3), "x": _Payload(marker)}, buf)
    _pointer_for(tmp_path, buf.getvalue())
    with pytest.raises(CheckpointError, match="not a valid safetensors"):
        load_checkpoint(tmp_path)
    assert not marker.exists()


def _full_disk(monkeypatch, *, fail_call: int = 1, partial: bool = True) -> list[int]:
    """Make the ``fail_call``-th file write in scigan.core.checkpoint fail with ENOSPC after
    writing half of its bytes (a disk that fills up mid-write)."""
    import errno
    import os

    import scigan.core.checkpoint as ckpt

    calls = [0]
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            if partial:
                self.fh.write(data[: len(data) // 2])
                self.fh.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.fh, name)

    def fdopen(fd, mode="r", *args, **kwargs):
        fh = real_fdopen(fd, mode, *args, **kwargs)
        calls[0] += 1
        return FullDisk(fh) if calls[0] == fail_call else fh

    monkeypatch.setattr(ckpt.os, "fdopen", fdopen)
    return calls


@pytest.mark.parametrize("fail_call", [1, 2], ids=["weights-write", "pointer-write"])
def test_disk_full_on_save_keeps_previous_checkpoint(tmp_path, monkeypatch, fail_call):
    from scigan.errors import OutputError

    _save(tmp_path, step=5)
    before = (tmp_path / "latest.json").read_bytes()
    _full_disk(monkeypatch, fail_call=fail_call)
    with pytest.raises(OutputError, match=r"No space left on device.*previous file is unchanged"):
        _save(tmp_path, step=6)
    monkeypatch.undo()
    assert (tmp_path / "latest.json").read_bytes() == before
    tensors, state = load_checkpoint(tmp_path)
    assert state["step"] == 5 and torch.equal(tensors["w"], torch.arange(6.0).reshape(2, 3))
    assert not list(tmp_path.glob(".*.tmp"))
    # The next successful save works and removes any orphaned file of the failed one.
    _save(tmp_path, step=7)
    assert [p.name for p in tmp_path.glob("*.safetensors")] == ["ckpt-00000007.safetensors"]


def test_permission_error_on_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    """mkstemp refused (a read-only folder; simulated, since tests run as root)."""
    import errno
    import os

    import scigan.core.checkpoint as ckpt
    from scigan.errors import OutputError

    _save(tmp_path, step=5)

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(ckpt.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match="Permission denied"):
        _save(tmp_path, step=6)
    monkeypatch.undo()
    assert load_checkpoint(tmp_path)[1]["step"] == 5


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_writes_follow_the_users_umask(tmp_path, umask):
    from scigan.core.checkpoint import atomic_write_text

    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o666 & ~umask
