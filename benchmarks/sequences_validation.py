"""Score sequences run folders on their **validation** part (never the test part).

For choosing a default between variants (issue 25: the n-gram prior on or off) without reading
the test sequences: each run is loaded from its folder (the checkpoint ``sample`` uses) and
scored by ``SequencesDomain.evaluate`` against the validation part of its own seeded split,
N = min(--n, the validation part's size), floor = N training sequences against the same
validation sequences.

    python benchmarks/sequences_validation.py RUN [RUN ...] [--n 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from scigan import Synthesizer
from scigan.domains.sequences import SequencesDomain

SHOW = ("kmer_jsd_6", "classifier_auc", "orf_validity", "motif_hit_fraction", "motif_hit_error",
        "charge_w1", "hydrophobicity_w1", "hydrophobic_moment_w1", "isoelectric_point_w1",
        "exact_copy_fraction", "nearest_identity")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="run folders (scigan train --out)")
    p.add_argument("--n", type=int, default=2000, help="generated and reference sequences")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws and the metrics")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    domain = SequencesDomain()
    rows = []
    for run in args.runs:
        gan = Synthesizer.load(run)
        dataset = domain.load(gan.config_.data, options=gan.config_.options, seed=gan.config_.seed)
        val = domain.selection_reference(dataset)  # the validation part of the run's split
        n = min(args.n, len(val.samples))
        m = domain.evaluate(
            lambda k, c, s, g=gan: g.sample(k, seed=s, conditions=c), val, n=n, seed=args.seed
        )
        rows.append((run.name, n, m))
    print("| run | N | metric | floor | value | value / floor |")
    print("|---|---|---|---|---|---|")
    for name, n, m in rows:
        for key in SHOW:
            if key in m:
                v, f = m[key]["value"], m[key]["floor"]
                ratio = f"{v / f:.2f}" if f else "—"
                print(f"| {name} | {n} | {key} | {f:.4g} | {v:.4g} | {ratio} |")


if __name__ == "__main__":
    main()
