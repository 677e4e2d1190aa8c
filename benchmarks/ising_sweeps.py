"""Ising: do K Metropolis sweeps after decoding (``--set sweeps=K``) bring a trained run to the
exact thermodynamics, and does the GAN start beat a random (hot) or ordered (cold) start with
the same K? One line per T, start and K: ⟨e⟩ and C with z against Kaufman's exact values.

Usage: ``python benchmarks/ising_sweeps.py RUN [CHECKPOINT] [--n 1000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from scigan.api import Synthesizer
from scigan.domains.fields.exact import ising_exact
from scigan.domains.fields.metrics import ising_observables, ising_statistics
from scigan.domains.fields.simulators import metropolis_sweep

SWEEPS = (0, 2, 5, 10, 20, 50, 100, 200)


def _z(value: float, exact: float, se: float) -> float:
    return (value - exact) / max(se, 1e-12)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("checkpoint", nargs="?", default="latest")
    ap.add_argument("--n", type=int, default=1000, help="lattices per T (default 1000)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = Synthesizer.load(args.run, checkpoint=args.checkpoint)
    n = args.n
    for T in (2.0, 2.269185, 2.5):
        t0 = time.time()
        gan = np.asarray(model.sample(n, seed=7, conditions=np.full((n, 1), T)))[:, 0]
        gan = gan.astype(np.int8)
        L = gan.shape[-1]
        ex = ising_exact(L, T)
        rng = np.random.default_rng(1)
        starts = {
            "gan": gan,
            "hot": rng.choice(np.array([-1, 1], np.int8), size=gan.shape),
            "cold": np.ones_like(gan),
        }
        for name, s0 in starts.items():
            s, done, r = s0.copy(), 0, np.random.default_rng(2)
            for k in SWEEPS:
                while done < k:
                    metropolis_sweep(s, 1.0 / T, r)
                    done += 1
                st = ising_statistics(*ising_observables(s), L, T)
                ze = _z(st["energy"], ex["energy"], st["energy_se"])
                zc = _z(st["specific_heat"], ex["specific_heat"], st["specific_heat_se"])
                print(
                    f"T={T:.3f} {name:4s} K={k:3d} e={st['energy']:.4f} "
                    f"(exact {ex['energy']:.4f}) z_e={ze:7.2f} C={st['specific_heat']:.3f} "
                    f"(exact {ex['specific_heat']:.3f}) z_C={zc:7.2f} |m|={st['abs_m']:.3f} "
                    f"chi={st['susceptibility']:.2f} U4={st['binder']:.3f}",
                    flush=True,
                )
        print(f"generator: {time.time() - t0:.2f} s for {n} lattices and all chains", flush=True)


if __name__ == "__main__":
    main()
