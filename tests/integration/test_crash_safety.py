"""Crash safety: SIGTERM saves a step-boundary checkpoint; SIGKILL leaves a loadable run folder
that resumes to the same final weights as an uninterrupted run (CPU)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import torch
from safetensors.torch import load_file
from small_toy import small_flags

from scigan.cli import main

SMALL = [*small_flags(ckpt_every=50), "--threads", "1"]


def _weights(run) -> dict[str, torch.Tensor]:
    ptr = json.loads((run / "checkpoints" / "latest.json").read_text())
    return load_file(run / "checkpoints" / ptr["file"])


def _start(out, steps: int, pipe: bool = False) -> subprocess.Popen:
    stream = subprocess.PIPE if pipe else subprocess.DEVNULL
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scigan",
            "train",
            "--data",
            "ring8",
            "--steps",
            str(steps),
            "--out",
            str(out),
            *SMALL,
        ],
        stdout=stream,
        stderr=stream,
        text=True,
    )


def _wait_for_checkpoint(out, timeout=120) -> None:
    deadline = time.time() + timeout
    while not (out / "checkpoints" / "latest.json").exists():
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.05)


def _same_final_weights(a, b) -> bool:
    wa, wb = _weights(a), _weights(b)
    keys = [k for k in wa if k.startswith(("G.", "G_ema.", "D."))]
    return all(torch.equal(wa[k], wb[k]) for k in keys)


def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    ref = tmp_path / "ref"
    assert main(["train", "--data", "ring8", "--steps", "600", "--out", str(ref), *SMALL]) == 0
    for trial, delay in enumerate((0.0, 0.7)):
        out = tmp_path / f"killed{trial}"
        proc = _start(out, 600)
        _wait_for_checkpoint(out)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert main(["resume", str(out), "--quiet"]) == 0
        assert _same_final_weights(ref, out), f"trial {trial}"
        assert not list(out.rglob("*.tmp"))


def test_sigterm_saves_checkpoint_and_resumes(tmp_path):
    out = tmp_path / "term"
    proc = _start(out, 100_000, pipe=True)
    _wait_for_checkpoint(out)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    state = json.loads((out / "checkpoints" / "latest.json").read_text())
    assert state["step"] >= 50  # at least the periodic checkpoint; usually a later step
    events = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "interrupted"
    stopped = state["step"]
    assert main(["resume", str(out), "--steps", str(stopped + 20), "--quiet"]) == 0
    assert json.loads((out / "checkpoints" / "latest.json").read_text())["step"] == stopped + 20
