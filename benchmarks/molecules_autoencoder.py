"""Which autoencoder can a latent GAN sample? FCD of what each decodes (MOSES, N = 5k).

    python benchmarks/molecules_autoencoder.py --decoder gru --beta 0.5 --minutes 20
    python benchmarks/molecules_autoencoder.py --decoder mlp --beta 0.1 --minutes 12
    python benchmarks/molecules_autoencoder.py --temperatures 1,0.75,0.5   # tune on FCD/Val

Trains (or loads from the cache) the latent GAN's autoencoder on the shipped 250k MOSES
training molecules with the given settings and a wall-time budget, then scores, at N ≤ 5k
against held-out statistics (FCD on canonical valid molecules, ChemNet of fcd_torch). The
held-out molecules are ``--split val`` (default): the seeded validation split of the training
side that the training never sees, scored against its own statistics (FCD/Val) — the split to
tune decoding temperatures on; ``--split test`` scores MOSES' test molecules against the stored
test statistics (FCD/Test), for the reported number only, never for choosing a setting.

- the held-out molecules themselves (the floor: two real samples),
- the decoded codes of the same held-out molecules (the autoencoder's ceiling),
- a full-covariance Gaussian fitted to the training codes, decoded (``LatentGaussian``: what
  any sampler in this latent space must beat, and what a GAN's first samples look like),
- the VAE prior N(0, I), decoded (variational autoencoders only),
- optionally (``--temperatures 1,0.7``) the first two at other decoding temperatures.

One JSON line per run is appended to ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

import numpy as np
import torch

from scigan.domains.molecules import load_molecules
from scigan.domains.molecules import metrics as M
from scigan.domains.molecules.baselines import LatentGaussian, prior_sample
from scigan.domains.molecules.encoding import LatentEncoder


def score(smiles: list[str], ref: M.ReferenceStats, name: str) -> dict:
    mols = M.Molecules.from_smiles(smiles)  # valid, canonical
    return {"valid": len(mols.smiles) / len(smiles),
            "unique": len(set(mols.smiles)) / max(len(mols.smiles), 1),
            f"FCD/{name}": M.fcd(ref, mols.chemnet)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--alphabet", choices=["selfies", "smiles"], default="selfies")
    ap.add_argument("--decoder", choices=["gru", "mlp"], default="gru")
    ap.add_argument("--beta", type=float, default=0.5)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--minutes", type=float, default=20.0, help="autoencoder wall-time budget")
    ap.add_argument("--steps", type=int, default=20000, help="step limit (the budget binds first)")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--temperatures", default="", help="extra decoding temperatures, e.g. 1,0.7")
    ap.add_argument(
        "--split",
        choices=["val", "test"],
        default="val",
        help="held-out molecules: val (tune on it) or test (report only)",
    )
    ap.add_argument("--out", default="runs/molecules-autoencoder.jsonl")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    ds = load_molecules("moses", options={"n_train": 250_000}, seed=0)
    ae = {"max_minutes": args.minutes, "steps": args.steps, "beta": args.beta,
          "decoder": args.decoder, "hidden": args.hidden}  # fmt: skip
    enc = LatentEncoder(args.alphabet, 0, ae=ae, seed=0).fit(ds)
    row = {"date": f"{dt.datetime.now():%Y-%m-%d %H:%M}", "settings": ae, "n": args.n,
           "alphabet": args.alphabet, "split": args.split,
           "autoencoder": enc.ae_info_, "fit_s": time.perf_counter() - t0}  # fmt: skip
    pool, name = (list(ds.val), "Val") if args.split == "val" else (list(ds.test), "Test")
    ref = (M.ReferenceStats.from_molecules(M.Molecules.from_smiles(pool)) if name == "Val"
           else M.moses_reference("test"))  # fmt: skip
    rng = np.random.default_rng(0)
    held = [pool[i] for i in rng.choice(len(pool), min(args.n, len(pool)), replace=False)]
    codes = enc.encode(held)
    gauss = LatentGaussian(enc).fit(ds.samples)
    row[f"{args.split} molecules (floor)"] = score(held, ref, name)
    for t in [0.0] + [float(x) for x in args.temperatures.split(",") if x]:
        enc.temperature = t
        tag = "" if t == 0 else f", temperature {t}"
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            row[f"decoded {args.split} codes{tag}"] = score(enc.decode(codes), ref, name)
        row[f"Gaussian on the codes{tag}"] = score(gauss.sample(len(held), seed=1), ref, name)
        if t == 0 and enc.code_mean_ is not None:
            row["prior N(0, I)"] = score(prior_sample(enc, len(held), seed=2), ref, name)
    for k, v in row.items():
        print(f"{k}: {v}")
    with open(args.out, "a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
