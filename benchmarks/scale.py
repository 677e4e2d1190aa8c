"""Scale-out benchmark: steps/s and samples/s of the same job with 1 vs 2 torchrun processes.

Usage:
    python benchmarks/scale.py [--steps 300] [--data ring8] [--batch-size 512]

Each configuration runs ``torchrun --standalone --nproc_per_node=N -m scigan train ...`` in a
fresh run folder and reads the training time from its metrics.jsonl (start-up excluded). The
global batch is the same in both runs (each of N ranks draws batch/N). On a 2-core machine, 2
processes are not expected to be faster than 1 process with 2 threads: the point is that the
same command runs data-parallel on a multi-core node or a cluster (see the README).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def run(nproc: int, threads: int, args: argparse.Namespace, root: Path) -> dict:
    out = root / f"n{nproc}-t{threads}"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "scigan",
        "train",
        "--data",
        args.data,
        "--steps",
        str(args.steps),
        "--batch-size",
        str(args.batch_size),
        "--eval-every",
        "0",
        "--ckpt-every",
        str(args.steps),
        "--threads",
        str(threads),
        "--quiet",
        "--out",
        str(out),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    first, last = train_rows[0], train_rows[-1]
    steps = last["step"] - first["step"]
    seconds = last["elapsed_s"] - first["elapsed_s"]
    return {"steps_per_s": steps / seconds, "samples_per_s": steps * args.batch_size / seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--data", default="ring8")
    ap.add_argument("--batch-size", type=int, default=512)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        configs = [(1, 1), (1, 2), (2, 1)]
        results = {c: run(*c, args, Path(tmp)) for c in configs}
    base = results[(1, 2)]["steps_per_s"]
    print(f"data {args.data}, global batch {args.batch_size}, {args.steps} steps, gloo on CPU")
    print("| processes | threads each | steps/s | samples/s | vs 1 proc x 2 threads |")
    print("|---|---|---|---|---|")
    for (nproc, threads), r in results.items():
        print(
            f"| {nproc} | {threads} | {r['steps_per_s']:.1f} | {r['samples_per_s']:.0f} | "
            f"{r['steps_per_s'] / base:.2f} |"
        )


if __name__ == "__main__":
    main()
