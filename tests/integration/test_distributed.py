"""A 2-process gloo DDP job on CPU: trains, saves, resumes and evaluates (torchrun)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from small_toy import small_flags

pytestmark = pytest.mark.distributed

SMALL = small_flags(eval_every=20, ckpt_every=20)


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "scigan",
        *args,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def test_two_process_gloo_train_resume_evaluate(tmp_path):
    out = tmp_path / "run"
    r = _torchrun(
        "train", "--data", "ring8", "--loss", "wgan-gp", "--steps", "40", "--out", str(out), *SMALL
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("trained 40 steps") == 1  # only rank 0 reports and writes
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in rows if x["kind"] == "eval"] == [20, 40]
    r = _torchrun("resume", str(out), "--steps", "60", "--quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((out / "checkpoints" / "latest.json").read_text())["step"] == 60
    r = subprocess.run(
        [sys.executable, "-m", "scigan", "evaluate", str(out), "-n", "200", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(r.stdout)
    assert result["n"] == 200 and "floor" in result["metrics"]["modes_covered"]

    # The step-60 evaluation under DDP generated its samples on two shards and gathered them:
    # it must equal a single-process evaluation of the same checkpoint, seed and N.
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    sharded = [x for x in rows if x["kind"] == "eval"][-1]
    assert sharded["step"] == 60
    n, seed = str(sharded["n"]), str(sharded["seed"])
    r = subprocess.run(
        [sys.executable, "-m", "scigan", "evaluate", str(out), "-n", n, "--seed", seed, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    single = json.loads(r.stdout)["metrics"]
    assert set(single) == set(sharded["metrics"])
    for name, entry in single.items():
        got = sharded["metrics"][name]
        assert entry["value"] == pytest.approx(got["value"], rel=1e-5, abs=1e-7)
        assert entry["floor"] == pytest.approx(got["floor"], rel=1e-9)
