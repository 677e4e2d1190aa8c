"""A disk that fills up during training: the run stops with one clear line, the previous
checkpoint stays loadable and ``scigan resume`` continues from it."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import scigan.core.checkpoint as ckpt
from scigan.cli import main

TINY = [
    "--data",
    "ring8",
    "--set",
    "n=200",
    "--z-dim",
    "4",
    "--g-width",
    "8",
    "--d-width",
    "8",
    "--g-depth",
    "1",
    "--d-depth",
    "1",
    "--batch-size",
    "20",
    "--eval-every",
    "0",
    "--eval-n",
    "50",
    "--log-every",
    "5",
    "--ckpt-every",
    "10",
    "--threads",
    "1",
    "--quiet",
]


def test_disk_full_mid_training_keeps_previous_checkpoint(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    real_write = ckpt.atomic_write_bytes
    real_fdopen = os.fdopen
    weights_writes = [0]

    def half_then_enospc(fd, mode="r", *args, **kwargs):
        fh = real_fdopen(fd, mode, *args, **kwargs)

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                fh.close()

            def write(self, data):
                fh.write(data[: len(data) // 2])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            def __getattr__(self, name):
                return getattr(fh, name)

        return Full()

    def write(path, data):
        if Path(path).suffix == ".safetensors":
            weights_writes[0] += 1
            if weights_writes[0] == 2:  # the step-20 checkpoint: the disk is full
                with monkeypatch.context() as m:
                    m.setattr(ckpt.os, "fdopen", half_then_enospc)
                    return real_write(path, data)
        return real_write(path, data)

    monkeypatch.setattr(ckpt, "atomic_write_bytes", write)
    code = main(["train", "--steps", "40", "--out", str(out), *TINY])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("scigan: error: "), err
    assert "ckpt-00000020.safetensors" in err and "No space left on device" in err
    assert "free disk space" in err
    assert weights_writes[0] == 2  # training stopped at the failed save

    ckpt_dir = out / "checkpoints"
    assert json.loads((ckpt_dir / "latest.json").read_text())["step"] == 10
    tensors, state = ckpt.load_checkpoint(ckpt_dir)
    assert state["step"] == 10 and tensors
    assert not list(out.rglob("*.tmp"))

    monkeypatch.undo()  # disk space freed
    assert main(["resume", str(out), "--quiet"]) == 0
    assert ckpt.load_checkpoint(ckpt_dir)[1]["step"] == 40
