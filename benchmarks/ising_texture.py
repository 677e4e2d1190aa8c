"""Ising: the local texture of generated lattices against the simulator's — the bond
correlations along x and y (isotropy), the next-nearest (diagonal) and distance-2 correlations,
and how much the bond correlation depends on a site's place in the generator's coarse grid.

The energy per spin is −(b_x + b_y): a generator can hit it with the wrong texture (too few
aligned bonds along one axis, too many along the other, or diagonal correlations too weak),
which D sees and the energy z-score does not. Per T, three rows: the run's samples, the test
sample (reference) and the training sample (floor: two real samples differ by this much).

* ``b_x``, ``b_y``: ⟨s_i s_{i+x}⟩, ⟨s_i s_{i+y}⟩; ``diag``: ⟨s_i s_{i+x+y}⟩; ``r2``: ⟨s_i s_{i+2x}⟩
  (both axes averaged), each with its standard error over samples;
* ``phase range``: max − min over the 8 × 8 classes of site position (i mod 8, j mod 8) of the
  ensemble bond correlation b_x — the default generator's 4 × 4 coarse grid, up-sampled 8 times
  to 32 × 32, makes it depend on the site's place in its block. A generator with random shifts
  (``equivariant``) is uniform here by construction, so this column is reported, not counted;
* ``sample phase sd``: the spread of b_x over the 8 × 8 position classes *within* one lattice,
  averaged over lattices (shift invariant: it sees blocks in every sample, shifted or not; two
  real samples give the noise level of 16 bonds per class).

Usage: ``python benchmarks/ising_texture.py RUN [RUN …] [--n 1000] [--checkpoint latest]``
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from scigan.api import Synthesizer
from scigan.domains.fields.data import heldout
from scigan.problem import load_data

BLOCK = 8


def texture(s: np.ndarray) -> dict[str, float]:
    """Texture statistics of lattices ``s`` (N, L, L) of ±1 (module docstring)."""
    s = s.astype(np.float64)
    n, L = len(s), s.shape[-1]
    bx = s * np.roll(s, -1, axis=2)
    by = s * np.roll(s, -1, axis=1)
    diag = s * np.roll(np.roll(s, -1, axis=1), -1, axis=2)
    r2 = 0.5 * (s * np.roll(s, -2, axis=2) + s * np.roll(s, -2, axis=1))
    out: dict[str, float] = {}
    for name, f in (("b_x", bx), ("b_y", by), ("diag", diag), ("r2", r2)):
        per = f.mean(axis=(1, 2))
        out[name], out[name + "_se"] = float(per.mean()), float(per.std(ddof=1) / np.sqrt(n))
    k = L // BLOCK
    classes = bx.reshape(n, k, BLOCK, k, BLOCK).mean(axis=(1, 3))  # (N, 8, 8)
    ens = classes.mean(axis=0)
    out["phase_range"] = float(ens.max() - ens.min())
    out["sample_phase_sd"] = float(classes.std(axis=(1, 2)).mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--n", type=int, default=1000, help="lattices per T (default 1000)")
    ap.add_argument("--checkpoint", default="latest")
    ap.add_argument("--seed", type=int, default=7, help="sampling seed (default 7)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cols = ("b_x", "b_y", "diag", "r2")
    print("| run | T | sample | " + " | ".join(cols) + " | phase range | sample phase sd |")
    print("|---|---|---|" + "---|" * (len(cols) + 2))
    for run in args.runs:
        model = Synthesizer.load(run, checkpoint=args.checkpoint)
        cfg = model.config_
        train = load_data(model.domain_, cfg.data, cfg.options, cfg.seed)
        test = heldout(train, "test")
        temps = np.unique(np.asarray(test.conditions, dtype=np.float64).ravel())
        for T in temps:
            rows = {}
            for name, ds in (("test", test), ("train (floor)", train)):
                t = np.asarray(ds.conditions, dtype=np.float64).ravel()
                rows[name] = np.asarray(ds.samples)[np.isclose(t, T)][: args.n, 0]
            n = len(rows["test"])
            gen = model.sample(n, seed=args.seed, conditions=np.full((n, 1), T))
            rows = {"generated": np.asarray(gen)[:, 0], **rows}
            for name, s in rows.items():
                st = texture(s)
                cells = " | ".join(f"{st[c]:.4f} ± {st[c + '_se']:.4f}" for c in cols)
                print(
                    f"| {run} | {T:g} | {name} (N = {len(s)}) | {cells} | "
                    f"{st['phase_range']:.3f} | {st['sample_phase_sd']:.4f} |"
                )


if __name__ == "__main__":
    main()
