"""Which autoencoder can a latent GAN sample? FCD/Test of what each decodes (MOSES, N = 5k).

    python benchmarks/molecules_autoencoder.py --decoder gru --beta 0.5 --minutes 20
    python benchmarks/molecules_autoencoder.py --decoder mlp --beta 0.1 --minutes 12

Trains (or loads from the cache) the latent GAN's autoencoder on the shipped 250k MOSES
training molecules with the given settings and a wall-time budget, then scores, at N = 5k
against MOSES' stored test statistics (FCD on canonical valid molecules, ChemNet of fcd_torch):

- the test molecules themselves (the floor: two real samples),
- the decoded codes of the same test molecules (the autoencoder's ceiling),
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


def score(smiles: list[str]) -> dict:
    mols = M.Molecules.from_smiles(smiles)  # valid, canonical
    ref = M.moses_reference("test")
    return {"valid": len(mols.smiles) / len(smiles),
            "unique": len(set(mols.smiles)) / max(len(mols.smiles), 1),
            "FCD/Test": M.fcd(ref, mols.chemnet)}  # fmt: skip


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
    ap.add_argument("--out", default="runs/molecules-autoencoder.jsonl")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    ds = load_molecules("moses", options={"n_train": 250_000}, seed=0)
    ae = {"max_minutes": args.minutes, "steps": args.steps, "beta": args.beta,
          "decoder": args.decoder, "hidden": args.hidden}  # fmt: skip
    enc = LatentEncoder(args.alphabet, 0, ae=ae, seed=0).fit(ds)
    row = {"date": f"{dt.datetime.now():%Y-%m-%d %H:%M}", "settings": ae, "n": args.n,
           "alphabet": args.alphabet,
           "autoencoder": enc.ae_info_, "fit_s": time.perf_counter() - t0}  # fmt: skip
    rng = np.random.default_rng(0)
    test = [ds.test[i] for i in rng.choice(len(ds.test), args.n, replace=False)]
    codes = enc.encode(test)
    gauss = LatentGaussian(enc).fit(ds.samples)
    row["test molecules (floor)"] = score(test)
    for t in [0.0] + [float(x) for x in args.temperatures.split(",") if x]:
        enc.temperature = t
        tag = "" if t == 0 else f", temperature {t}"
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            row[f"decoded test codes{tag}"] = score(enc.decode(codes))
        row[f"Gaussian on the codes{tag}"] = score(gauss.sample(args.n, seed=1))
        if t == 0 and enc.code_mean_ is not None:
            row["prior N(0, I)"] = score(prior_sample(enc, args.n, seed=2))
    for k, v in row.items():
        print(f"{k}: {v}")
    with open(args.out, "a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
