"""Ising: what a trained critic does — does it memorise its training lattices, does it read the
temperature, and how far apart are real and generated lattices in its eyes?

For a run folder (final checkpoint unless ``--checkpoint``), per temperature T of the run:

* mean logit of D on the training lattices and on the simulator's validation lattices (a
  memorising critic scores the first far higher);
* mean logit of D on real lattices at T labelled with every training temperature (a critic
  that ignores the condition scores them alike);
* mean logit on 500 generated lattices at T, and the quantiles (5, 25, 50, 75, 95 %) of |m| of
  those lattices and of the training lattices.

Usage: ``python benchmarks/ising_critic.py RUN [--checkpoint latest]``
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from scigan.api import Synthesizer
from scigan.domains.fields.data import heldout
from scigan.problem import load_data

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("--checkpoint", default="latest")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = Synthesizer.load(args.run, checkpoint=args.checkpoint)
    cfg, enc = model.config_, model.encoder_
    D = model.state_.D.eval()
    train = load_data(model.domain_, cfg.data, cfg.options, cfg.seed)
    val = heldout(train, "validation")

    def logits(x: np.ndarray, t: float) -> float:
        xs = enc.encode(x)
        c = enc.encode_conditions(np.full((len(x), 1), t))
        with torch.no_grad():
            return float(
                torch.cat(
                    [D(a, b) for a, b in zip(xs.split(500), c.split(500), strict=True)]
                ).mean()
            )

    temps = np.unique(np.asarray(train.conditions, dtype=np.float64).ravel())
    for T in temps:
        pick = {}
        for name, ds in (("train", train), ("validation", val)):
            t = np.asarray(ds.conditions, dtype=np.float64).ravel()
            pick[name] = np.asarray(ds.samples)[np.isclose(t, T)][:1000]
        gen = np.asarray(model.sample(500, seed=1, conditions=np.full((500, 1), T)))
        print(f"T = {T:g}")
        print(
            f"  D on training / validation lattices: {logits(pick['train'], T):.3f} / "
            f"{logits(pick['validation'], T):.3f}; on generated: {logits(gen, T):.3f}"
        )
        as_t = ", ".join(f"as T = {t2:g}: {logits(pick['train'], t2):.2f}" for t2 in temps)
        print(f"  real lattices labelled {as_t}")
        for name, x in (("generated", gen), ("training", pick["train"])):
            q = np.quantile(np.abs(x[:, 0].mean(axis=(1, 2))), QUANTILES)
            print(f"  |m| quantiles 5/25/50/75/95 % ({name}): " + " ".join(f"{v:.3f}" for v in q))


if __name__ == "__main__":
    main()
