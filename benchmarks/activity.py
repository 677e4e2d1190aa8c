"""Activity / safety-property prediction: does the latent GAN's unlabelled pre-training help?

    python benchmarks/activity.py --model runs/bench-molecules/latent-gan --out runs/bench-activity

Sets: B3DB blood–brain-barrier permeability (7,805 valid molecules, BBB+/BBB−, random 80/20
split, seed 0; ROC-AUC) and MoleculeACE CHEMBL204_Ki (its own split; RMSE, R² in pK units and
ROC-AUC for K ≤ 100 nM). Predictors (``scigan.domains.molecules.activity``): random forest
(300 trees) on Morgan fingerprints, on the latent GAN's autoencoder codes, on its critic's
penultimate features, and a linear head on the critic features; all labels and 10 %. Every cell
is the mean ± sd over 3 seeds (label subsample + forest) with the seed-0 bootstrap 95 % CI
(1,000 test resamples); the floor is the Morgan forest trained on permuted labels.
The model is the cached latent GAN of ``benchmarks/molecules.py`` (not retrained here).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

import pandas as pd
import torch

from scigan import Synthesizer
from scigan.domains.molecules import activity as A


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", default="runs/bench-molecules/latent-gan")
    ap.add_argument("--out", default="runs/bench-activity")
    ap.add_argument("--sets", nargs="+", default=["B3DB", "CHEMBL204_Ki"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--trees", type=int, default=300)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log(f"{platform.platform()}, torch {torch.__version__}, load {os.getloadavg()}")
    gan = Synthesizer.load(args.model)
    for name in args.sets:
        data = A.load_labelled(name)
        cov = A.token_coverage(gan.encoder_, data.train_smiles + data.test_smiles)
        path = out / f"{name}.csv"
        if not path.exists():
            t0 = time.perf_counter()
            res = A.activity_benchmark(name, gan, seeds=args.seeds, bootstrap=args.bootstrap,
                                       permuted_floor=True, n_estimators=args.trees)  # fmt: skip
            res.to_csv(path, index=False)
            log(f"{name}: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()}")
        res = pd.read_csv(path)
        pos = f"; BBB+ fraction of test {data.test_y.mean():.3f}" if data.binary else ""
        print(f"\n## {name}: {data.note}; train {len(data.train_y):,}, "
              f"test {len(data.test_y):,}{pos}\n")  # fmt: skip
        print(f"Latent GAN encoder on these molecules: {cov['truncated']:.1%} truncated at "
              f"{gan.encoder_.length_} tokens, {cov['unknown_tokens']:.1%} with tokens unseen "
              "in MOSES (read as <unk>)\n")  # fmt: skip
        print(A.format_summary(A.summarise(res)))


if __name__ == "__main__":
    main()
