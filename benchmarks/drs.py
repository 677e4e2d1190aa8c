"""Discriminator rejection sampling (``--drs``) against plain sampling of the same generator.

    python benchmarks/drs.py                        # toy part: exact mode metrics, ~4 min
    python benchmarks/drs.py --molecules RUN        # + FCD of a trained MOSES latent-gan run

Toy part: ring8 and grid25 (the engine benchmark's mixtures) and two Gaussian blobs, each
trained briefly (a generator that is close but blurry is where rejection can help) with the
toy defaults over ``--seeds``; the same generator is sampled plainly and through the fitted
classifier. Columns: high-quality fraction (within 3σ of a mode), modes covered, mode KL, the
classifier's held-out ROC-AUC, draws per accepted sample and the classifier's fitting seconds.

Molecules part: a trained latent-gan run (``scigan train --data moses``), the classifier fitted
on its codes exactly as ``--drs`` does (all of G's dimensions), at each ``--quantiles``; 10k
samples decoded and scored against MOSES' stored test statistics (FCD/Test), with validity,
uniqueness and novelty. One seed (0) for every draw.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import time

import numpy as np
import torch

import scigan
from scigan.core.refine import fit_generator_ratio

STEPS = {"ring8": 1000, "grid25": 3000, "blobs": 200}


def blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 0.3, (3000, 2)), rng.normal(2, 0.3, (3000, 2))])
    return x.astype(np.float32)


def toy_stats(name: str, x: np.ndarray) -> dict[str, float]:
    from scigan.domains.toy.data import MIXTURES
    from scigan.domains.toy.metrics import mode_statistics

    if name != "blobs":
        return mode_statistics(x, MIXTURES[name]())
    d = np.stack([np.linalg.norm(x + 2, axis=1), np.linalg.norm(x - 2, axis=1)], axis=1)
    near = d.min(axis=1) < 0.9  # 3σ
    counts = np.bincount(d.argmin(axis=1)[near], minlength=2) / max(near.sum(), 1)
    kl = float(sum(0.5 * np.log(0.5 / c) if c > 0 else np.inf for c in counts))
    return {"modes_covered": int((counts > 0).sum()), "high_quality_fraction": float(near.mean()),
            "mode_kl": kl}  # fmt: skip


def toy_part(seeds: list[int], n: int) -> None:
    print("\n## Toy: the same generator sampled plainly and with rejection (n = "
          f"{n} per cell, mean over seeds {seeds})\n")  # fmt: skip
    print("| data | steps | sampler | high-quality | modes | mode KL | AUC | draws/sample | "
          "fit s | HQ ratio DRS ÷ plain |\n|---|---|---|---|---|---|---|---|---|---|")  # fmt: skip
    for name, steps in STEPS.items():
        cells: dict[str, list[dict]] = {"plain": [], "drs": []}
        for seed in seeds:
            data = blobs() if name == "blobs" else name
            gan = scigan.Synthesizer("toy", steps=steps, seed=seed, drs=True, eval_every=0)
            gan.fit(data)
            info = gan.refiner_info_
            ratio = gan.refiner_
            t0 = time.perf_counter()
            cells["drs"].append({**toy_stats(name, gan.sample(n, seed=seed)), **info,
                                 "sample_s": time.perf_counter() - t0})  # fmt: skip
            gan.refiner_ = None
            cells["plain"].append(toy_stats(name, gan.sample(n, seed=seed)))
            gan.refiner_ = ratio
        hq = {k: statistics.mean(r["high_quality_fraction"] for r in v) for k, v in cells.items()}
        for kind, rows in cells.items():
            mean = {k: statistics.mean(r[k] for r in rows) for k in rows[0] if k != "quantile"}
            extra = (
                f"{mean['val_auc']:.3f} | {1 / mean['acceptance']:.1f} | {mean['seconds']:.1f}"
                if kind == "drs"
                else "– | 1 | –"
            )
            print(f"| {name} | {steps} | {kind} | {mean['high_quality_fraction']:.3f} | "
                  f"{mean['modes_covered']:.1f} | {mean['mode_kl']:.3f} | {extra} | "
                  f"{hq[kind] / hq['plain']:.2f} |", flush=True)  # fmt: skip


def molecules_part(run: str, quantiles: list[float], n: int) -> None:
    from scigan.domains.molecules import metrics as M
    from scigan.domains.molecules.data import moses_train_canonical

    gan = scigan.Synthesizer.load(run)
    enc = gan.encoder_
    ds = gan.domain_.load("moses", options=gan.config_.options, seed=gan.config_.seed)
    real = enc.encode(ds.samples).float()
    ref, train = M.moses_reference("test"), moses_train_canonical()
    print(f"\n## Molecules: {run} ({gan.state_.step} GAN steps; G's tensors {tuple(real.shape)})"
          f", N = {n}, seed 0\n")  # fmt: skip
    print("| sampler | classifier AUC | draws/sample | valid | unique | novelty | FCD/Test | "
          "FCD ÷ plain |\n|---|---|---|---|---|---|---|---|")  # fmt: skip
    rows = []
    for q in [None, *quantiles]:
        gan.refiner_, auc, draws = None, "–", "1"
        if q is not None:
            G, z_dim = gan.state_.ema.shadow, gan.config_.net.z_dim
            ratio, info = fit_generator_ratio(G, real, None, z_dim, seed=0, quantile=q)
            gan.refiner_, auc = ratio, f"{info['val_auc']:.4f}"
            draws = f"{1 / info['acceptance']:.1f}"
        smiles = gan.sample(n, seed=0)
        mols = M.Molecules.from_smiles(smiles)
        fcd = M.fcd(ref, M.chemnet_activations(mols.smiles))
        rows.append(fcd)
        print(f"| {'plain' if q is None else f'DRS, quantile {q}'} | {auc} | {draws} | "
              f"{len(mols.smiles) / n:.3f} | {len(set(mols.smiles)) / len(mols.smiles):.4f} | "
              f"{M.novelty(mols.smiles, train):.3f} | {fcd:.3f} | {fcd / rows[0]:.2f} |",
              flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--n", type=int, default=5000, help="toy samples per cell")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-toy", action="store_true")
    ap.add_argument("--molecules", default="", help="a latent-gan run folder trained on moses")
    ap.add_argument("--quantiles", type=float, nargs="+", default=[0.9, 0.97])
    ap.add_argument("--quick-n", type=int, default=10000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"scigan {scigan.__version__}, torch {torch.__version__}, {platform.platform()}, "
          f"threads {args.threads}, {dt.datetime.now():%Y-%m-%d %H:%M}")  # fmt: skip
    if not args.skip_toy:
        toy_part(args.seeds, args.n)
    if args.molecules:
        molecules_part(args.molecules, args.quantiles, args.quick_n)


if __name__ == "__main__":
    main()
