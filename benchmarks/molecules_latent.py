"""Where the latent GAN loses FCD: its code space, measured on a trained run.

    python benchmarks/molecules_latent.py RUN [--threads 2] [--quick-n 10000]

RUN is a latent-gan run folder trained on MOSES (e.g. ``scigan train --data moses``). Prints

1. the code dimensions' activity: Var over training molecules of the posterior mean and the
   mean posterior variance (active dimensions, Burda et al. 2016: Var > 0.01);
2. the autoencoder's ceiling on 5k test molecules decoded from their posterior means (all
   dimensions; inactive ones set to their mean) and from posterior samples z ~ q(z | x);
3. samplers of the code space scored at ``--quick-n``: the run's GAN, a full-covariance
   Gaussian (K = 1), Gaussian mixtures with K = 16 and 128 components (EM on the active
   dimensions), the decoded test codes (ceiling) and real training molecules (floor), with each
   FCD's ratio to the GAN's.

FCD/Test is against MOSES' stored test statistics; one seed (0) for every draw.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time

import numpy as np
import torch

import scigan
from scigan import Synthesizer
from scigan.domains.molecules import metrics as M
from scigan.domains.molecules.baselines import LatentGaussian, LatentMixture
from scigan.domains.molecules.data import moses_smiles


def fcd_row(smiles: list[str], ref: M.ReferenceStats) -> dict[str, float]:
    mols = M.Molecules.from_smiles(smiles)
    return {"n": len(smiles), "valid": len(mols.smiles) / len(smiles),
            "unique": len(set(mols.smiles)) / max(len(mols.smiles), 1),
            "FCD/Test": M.fcd(ref, M.chemnet_activations(mols.smiles))}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("run", help="a latent-gan run folder trained on moses")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick-n", type=int, default=10000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"scigan {scigan.__version__}, torch {torch.__version__}, {platform.platform()}, "
          f"threads {args.threads}, {dt.datetime.now():%Y-%m-%d %H:%M}")  # fmt: skip
    gan = Synthesizer.load(args.run)
    enc = gan.encoder_
    ds = gan.domain_.load("moses", options=gan.config_.options, seed=gan.config_.seed)
    ref = M.moses_reference("test")
    model = enc.model_

    # 1. activity of the code dimensions
    ids = enc.ids(list(ds.samples[:50000]))
    with torch.no_grad():
        parts = [
            model.posterior(torch.from_numpy(ids[i : i + 2048])) for i in range(0, 50000, 2048)
        ]
    mu = torch.cat([m for m, _ in parts])
    var, sig2 = mu.var(0), torch.cat([lv.exp() for _, lv in parts]).mean(0)
    active = var > 0.01
    print(f"\n## Code dimensions ({model.cfg.latent}; 50k training molecules)\n")
    print(
        f"active (Var of the posterior mean > 0.01): {int(active.sum())}; "
        f"Var range of the active {var[active].min():.3f}–{var[active].max():.3f}, "
        f"their mean posterior σ² {sig2[active].min():.3f}–{sig2[active].max():.3f}; "
        f"inactive: Var ≤ {var[~active].max():.4f}, mean σ² ≥ {sig2[~active].min():.3f}"
    )

    # 2. ceiling variants on 5k test molecules
    rng = np.random.default_rng(3)
    test = [ds.test[i] for i in rng.choice(len(ds.test), 5000, replace=False)]
    with torch.no_grad():
        tmu, tlv = model.posterior(torch.from_numpy(enc.ids(test)))
    torch.manual_seed(0)
    post = tmu + torch.randn_like(tmu) * (0.5 * tlv).exp()
    held = tmu.clone()
    held[:, ~active] = enc.code_mean_[~active]
    print("\n## Decoded test-molecule codes, N = 5000 (FCD is biased upward at small N)\n")
    print("| codes | valid | FCD/Test |\n|---|---|---|")
    for name, codes in (("posterior means, all dimensions", tmu),
                        ("posterior means, inactive dimensions at their mean", held),
                        ("posterior samples z ~ q(z | x)", post)):  # fmt: skip
        torch.manual_seed(0)
        row = fcd_row(enc.decode_codes(codes), ref)
        print(f"| {name} | {row['valid']:.3f} | {row['FCD/Test']:.3f} |", flush=True)

    # 3. samplers of the code space at the quick size
    n = args.quick_n
    rows: dict[str, tuple[dict, float]] = {}

    def add(name: str, make) -> None:
        t0 = time.perf_counter()
        rows[name] = (fcd_row(make(), ref), time.perf_counter() - t0)
        print(f"  {name}: {rows[name][0]['FCD/Test']:.3f} ({rows[name][1]:.0f} s)", flush=True)

    print(f"\n## Samplers of the code space, N = {n}\n")
    steps = gan.state_.step
    add(f"the run's GAN ({steps} steps)", lambda: gan.sample(n, seed=0))
    add("Gaussian, full covariance (K = 1)", lambda: LatentGaussian(enc).fit(ds.samples)
        .sample(n, seed=0))  # fmt: skip
    for k in (16, 128):
        add(f"Gaussian mixture, K = {k} (EM on the active dimensions)",
            lambda k=k: LatentMixture(enc, k).fit(ds.samples).sample(n, seed=0))  # fmt: skip
    pick = np.random.default_rng(3).choice(len(ds.test), n, replace=False)
    add("decoded test-molecule codes (ceiling)",
        lambda: enc.decode(enc.encode([ds.test[i] for i in pick])))  # fmt: skip
    train = moses_smiles("train")
    add(
        "MOSES train sample (floor)",
        lambda: [train[i] for i in np.random.default_rng(0).choice(len(train), n, False)],
    )
    gan_fcd = next(iter(rows.values()))[0]["FCD/Test"]
    print(
        "\n| sampler | valid | unique | FCD/Test | FCD ÷ GAN's | seconds |"
        "\n|---|---|---|---|---|---|"
    )
    for name, (row, sec) in rows.items():
        print(f"| {name} | {row['valid']:.3f} | {row['unique']:.4f} | {row['FCD/Test']:.3f} | "
              f"{row['FCD/Test'] / gan_fcd:.2f} | {sec:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
