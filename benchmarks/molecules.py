"""MOSES benchmark of the molecules domain: latent GAN vs an n-gram baseline vs real molecules.

    python benchmarks/molecules.py --threads 1 --out runs/bench-molecules > bench.log
    python benchmarks/molecules.py --only-floor --out runs/bench-molecules  # beside it
    python benchmarks/molecules.py --metrics-speed            # time the 30k metric suite only

Steps (each result cached as JSON in the --out folder, so a rerun resumes):

1. ``train30k`` / ``train10k``: MOSES metrics of 30k / 10k random MOSES train molecules (the
   floor; MOSES' "Train" row) — also times the metric suite;
2. the latent GAN with the shipped defaults and wall-time budgets: a 10-minute run
   (autoencoder 6 min, the GAN in the rest; scored on 10k) and the main run (autoencoder
   ``--ae-minutes``, then the WGAN-GP and the decoder's adaptation to it within
   ``--gan-minutes``; scored on 30k samples, the protocol size, and on 10k); the same 30k codes
   decoded without retries of invalid decodes, and the first 10k decoded by the autoencoder's
   own decoder (not adapted to the GAN);
3. baselines on the same training molecules, scored on 10k, each decoded by the autoencoder's
   own decoder: its ceiling (decoded codes of test molecules), a full-covariance Gaussian on
   the codes, the VAE's prior, a SMILES 6-gram model, and a 16-component Gaussian mixture on
   the active code dimensions.

``--only-floor`` scores the real-vs-real rows alone, so it can run on the second core while a
training stage runs on the first (``--only-ten`` trains the 10-minute run alone).

Quick (10k) and protocol (30k) numbers are printed in separate tables, never mixed; published
MOSES rows (30k, Polykovskiy et al. 2020, Table 2) are printed beside the 30k table.

``--metrics-speed`` times the 30k MOSES suite stage by stage with 1 worker / 1 thread and with
2 workers / 2 threads, checks that both give the same values (and the values stored by the
earlier run, which used the previous implementation), and prints a table with the ratios to
moses' published 11 minutes on 2 cores and to the previous implementation's 628 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import scigan
from scigan.domains.latent import auto_adapt_steps
from scigan.domains.molecules import metrics as M
from scigan.domains.molecules.baselines import NGramModel
from scigan.domains.molecules.data import moses_smiles, moses_train_canonical

# MOSES paper Table 2 (mean over 3 runs, 30k samples); the repository README lists the same.
PUBLISHED = {
    "Train": {"valid": 1.0, "unique@1000": 1.0, "unique@10000": 1.0, "FCD/Test": 0.008,
              "FCD/TestSF": 0.476, "SNN/Test": 0.642, "Frag/Test": 1.0, "Scaf/Test": 0.991,
              "IntDiv": 0.856, "Filters": 1.0, "Novelty": 0.0},
    "CharRNN": {"valid": 0.975, "unique@1000": 1.0, "unique@10000": 0.999, "FCD/Test": 0.073,
                "FCD/TestSF": 0.520, "SNN/Test": 0.601, "Frag/Test": 1.0, "Scaf/Test": 0.924,
                "IntDiv": 0.856, "Filters": 0.994, "Novelty": 0.842},
    "VAE": {"valid": 0.977, "unique@1000": 1.0, "unique@10000": 0.998, "FCD/Test": 0.099,
            "FCD/TestSF": 0.567, "SNN/Test": 0.626, "Frag/Test": 0.999, "Scaf/Test": 0.939,
            "IntDiv": 0.856, "Filters": 0.997, "Novelty": 0.695},
    "LatentGAN": {"valid": 0.897, "unique@1000": 1.0, "unique@10000": 0.997, "FCD/Test": 0.296,
                  "FCD/TestSF": 0.824, "SNN/Test": 0.538, "Frag/Test": 0.999,
                  "Scaf/Test": 0.886, "IntDiv": 0.857, "Filters": 0.973, "Novelty": 0.949},
}  # fmt: skip
COLUMNS = ["valid", "unique@1000", "unique@10000", "FCD/Test", "FCD/TestSF", "SNN/Test",
           "Frag/Test", "Scaf/Test", "Scaf/TestSF", "IntDiv", "IntDiv2", "Filters", "logP",
           "SA", "QED", "weight", "Novelty"]  # fmt: skip
TARGETS = {"valid": (0.95, ">="), "unique@10000": (0.998, ">="), "Novelty": (0.90, ">="),
           "FCD/Test": (0.30, "<=")}  # fmt: skip


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", flush=True)


def moses_refs() -> dict:
    """MOSES' stored test and test-scaffold statistics, the references of every row."""
    return {"Test": M.moses_reference("test"), "TestSF": M.moses_reference("test_scaffolds")}


def cached_smiles(path: Path, make) -> list[str]:
    """SMILES made once by ``make()`` into ``path`` (one per line), read back on reruns."""
    if not path.exists():
        path.write_text("\n".join(make()) + "\n")
    return path.read_text().split("\n")[:-1]


def score(name: str, smiles: list[str], out: Path, refs, train) -> dict:
    path = out / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    values = M.moses_metrics(smiles, refs, train=train, alerts=False, timings=timings)
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    alerts = {}
    if len(smiles) <= 10_000:  # the screen is not part of MOSES: quick size only
        mols = M.Molecules.from_smiles(smiles).mols
        alerts = {c: float(M.alert_flags(mols, c).mean()) for c in M.ALERT_CATALOGS}
    row = {"n": len(smiles), "metrics": values, "alerts": alerts, "seconds": seconds,
           "alert_seconds": time.perf_counter() - t1, "timings": timings}  # fmt: skip
    path.write_text(json.dumps(row, indent=1))
    log(f"{name}: scored {len(smiles)} in {seconds:.0f} s (+ alerts {row['alert_seconds']:.0f} s)")
    return row


def table(rows: dict[str, dict], cols: list[str]) -> str:
    head = "| model | " + " | ".join(cols) + " |"
    lines = [head, "|" + "---|" * (len(cols) + 1)]
    for name, vals in rows.items():
        cells = []
        for c in cols:
            v = vals.get(c)
            cells.append("–" if v is None or v != v else f"{v:.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def train_latent_gan(
    run: Path,
    args,
    *,
    ae_minutes: float,
    gan_minutes: float = 0.0,
    total_minutes: float = 0.0,
) -> dict:
    """Train a latent GAN with the shipped defaults and a wall-time budget, once (cached).

    The autoencoder gets ``ae_minutes``; the GAN ``gan_minutes`` after it, or whatever is left of
    ``total_minutes`` (autoencoder, set-up and GAN together). A 200-step probe measures the GAN's
    rate, then training resumes to the step count that fills the budget. An autoencoder found in
    the cache (trained by an earlier invocation with the same settings) counts with its own
    training seconds.
    """
    from scigan import Synthesizer

    info_path = run / "training.json"
    if (run / "config.json").exists() and info_path.exists():
        return json.loads(info_path.read_text())
    opts = {"ae_minutes": ae_minutes} if ae_minutes else {}
    hyper = {"threads": args.threads, "eval_n": args.eval_n, "seed": args.seed}
    t0 = time.perf_counter()
    probe = Synthesizer(domain="molecules", options=opts, steps=200, **hyper)
    probe.fit("moses", out=run)
    ae = probe.encoder_.ae_info_
    ae_cached_s = float(ae.get("seconds", 0.0)) if "cached" in ae else 0.0
    elapsed = time.perf_counter() - t0 + ae_cached_s
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    t = {r["step"]: r["elapsed_s"] for r in rows if r.get("kind") == "train"}
    rate = 100 / max(t[200] - t[100], 1e-9)  # steps/s without the final evaluation
    left = 60 * total_minutes - elapsed if total_minutes else 60 * gan_minutes
    # the decoder's adaptation to the GAN (a quarter of its steps, at most 6,000) comes out
    # of the same budget, at the probe's own adaptation rate
    adapt = [r for r in rows if r.get("kind") == "adapt"]
    per_adapt = adapt[-1]["seconds"] / adapt[-1]["steps"] if adapt else 0.0
    steps = max(200, int(200 + rate * left))
    for _ in range(20):  # fixed point of: GAN time + adaptation time = left
        steps = max(200, int(200 + rate * (left - per_adapt * auto_adapt_steps(steps))))
    log(
        f"{run.name}: autoencoder {ae.get('seconds', 0):.0f} s, {ae.get('steps')} steps, "
        f"reconstruction {ae.get('reconstruction', float('nan')):.3f}; set-up + probe "
        f"{elapsed - float(ae.get('seconds', 0)):.0f} s; GAN {rate:.1f} steps/s -> {steps} steps; "
        f"decoder adaptation {per_adapt:.3f} s/step"
    )
    gan = Synthesizer.load(run).resume(steps=steps)
    info = {"ae": ae, "ae_cached_s": ae_cached_s, "probe_wall_s": elapsed, "gan_steps_per_s": rate,
            "steps": steps, "gan_elapsed_s": gan.state_.elapsed_s,
            "wall_s": time.perf_counter() - t0 + ae_cached_s}  # fmt: skip
    info_path.write_text(json.dumps(info, indent=1))
    return info


def floors(out: Path, args, refs, train) -> tuple[dict, dict]:
    all_train = moses_smiles("train")
    rng = np.random.default_rng(0)
    real = [all_train[i] for i in rng.choice(len(all_train), args.n, replace=False)]
    return (score("train30k", real, out, refs, train),
            score("train10k", real[: args.quick_n], out, refs, train))  # fmt: skip


def baselines(gan, out: Path, args, refs, train) -> dict[str, dict]:
    """Non-adversarial rows at the quick size: the autoencoder's ceiling (decoded codes of test
    molecules), a Gaussian on the codes, the VAE's prior, a SMILES 6-gram model and a Gaussian
    mixture on the active code dimensions."""
    from scigan.domains.molecules.baselines import LatentGaussian, LatentMixture, prior_sample

    ds = gan.domain_.load("moses", options=gan.config_.options, seed=gan.config_.seed)
    enc, n = gan.encoder_, args.quick_n
    makers = {
        "autoencoder: decoded codes of test molecules (ceiling)": lambda: enc.decode_codes(
            enc.to_codes(enc.encode([ds.test[i] for i in np.random.default_rng(3).choice(
                len(ds.test), n, replace=False)])), adapted=False),
        "Gaussian on the codes (full covariance)": lambda: LatentGaussian(enc)
        .fit(ds.samples).sample(n, seed=0),
        "VAE prior N(0, I)": lambda: prior_sample(enc, n, seed=0),
        "SMILES 6-gram model": lambda: NGramModel(order=6).fit(ds.samples).sample(n, seed=0),
        "Gaussian mixture on the active codes (K = 16, EM)": lambda: LatentMixture(enc, 16)
        .fit(ds.samples).sample(n, seed=0),
    }  # fmt: skip
    rows = {}
    for i, (name, make) in enumerate(makers.items()):
        path = out / f"baseline{i}.smi"
        fresh, t0 = not path.exists(), time.perf_counter()
        if fresh and name.startswith(("VAE", "Gaussian mixture")) and enc.code_mean_ is None:
            continue  # deterministic autoencoder: no prior, no active dimensions
        smiles = cached_smiles(path, make)
        if fresh:
            log(f"{name}: {time.perf_counter() - t0:.0f} s")
        rows[name] = score(f"baseline{i}-10k", smiles, out, refs, train)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", default="runs/bench-molecules")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ae-minutes", type=float, default=0.0,
                    help="autoencoder wall-time budget of the main run (0: the shipped "
                         "default, a fixed number of steps)")  # fmt: skip
    ap.add_argument(
        "--total-minutes",
        type=float,
        default=57.0,
        help="wall-time budget of the whole main run: autoencoder (its cached seconds count), "
        "set-up, GAN and decoder adaptation; the GAN gets what the rest leaves",
    )
    ap.add_argument(
        "--gan-minutes",
        type=float,
        default=0.0,
        help="instead of --total-minutes: the GAN's and the adaptation's budget after the "
        "autoencoder",
    )
    ap.add_argument("--n", type=int, default=30000)
    ap.add_argument("--quick-n", type=int, default=10000)
    ap.add_argument("--eval-n", type=int, default=1000, help="in-training evaluation size")
    ap.add_argument(
        "--only-floor",
        action="store_true",
        help="score the real-vs-real rows only (can run beside a training stage)",
    )
    ap.add_argument("--only-ten", action="store_true", help="train the 10-minute run only")
    ap.add_argument("--skip-extras", action="store_true", help="no activity / guided stages")
    ap.add_argument("--guided-steps", type=int, default=6000)
    ap.add_argument("--metrics-speed", action="store_true",
                    help="only time the 30k metric suite with 1 and 2 workers")  # fmt: skip
    ap.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the main run (training and its 30k samples); a seed other "
        "than 0 trains and scores the main run only (MOSES' protocol: 3 runs)",
    )
    ap.add_argument("--aggregate", default="",
                    help="comma-separated --out folders of runs with different seeds: print "
                         "their 30k rows and the mean ± sd (nothing is trained)")  # fmt: skip
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.metrics_speed:
        metrics_speed(out, args.n)
        return
    if args.aggregate:
        aggregate([Path(p) for p in args.aggregate.split(",")])
        return
    log(f"scigan {scigan.__version__}, torch {torch.__version__}, {platform.platform()}, "
        f"threads {args.threads}")  # fmt: skip
    if args.only_floor:
        refs = moses_refs()
        floors(out, args, refs, moses_train_canonical())
        return
    # ---- training first: the metric suite's caches are not touched before it -------------------
    # the 10-minute point is its own run: autoencoder 6 min, the GAN in what is left of 10 min
    # (--only-ten trains it alone, e.g. on the second core while the main run trains)
    if not args.only_ten:
        info = train_latent_gan(
            out / "latent-gan",
            args,
            ae_minutes=args.ae_minutes,
            gan_minutes=args.gan_minutes,
            total_minutes=0.0 if args.gan_minutes else args.total_minutes,
        )
    if args.seed != 0:
        protocol_run(out, args, info)
        return
    ten_info = train_latent_gan(out / "latent-gan-10min", args, ae_minutes=6.0, total_minutes=10)
    if args.only_ten:
        return

    refs = moses_refs()
    train = moses_train_canonical()
    floor30, floor10 = floors(out, args, refs, train)
    ten = load_shipped(out / "latent-gan-10min")
    gen10 = cached_smiles(out / "latent-gan-10min.smi", lambda: ten.sample(args.quick_n, seed=1))
    r10 = score("latent-gan-10min", gen10, out, refs, train)
    gan, gen, final30, sample_s = main_samples(out, args, refs, train)
    final10 = score("latent-gan-10k", gen[: args.quick_n], out, refs, train)
    raw30 = score("latent-gan-noretry-30k", no_retry_sample(gan, out, args.n, 0), out, refs, train)
    own10 = score("latent-gan-unadapted-10k", unadapted_sample(gan, out, args.quick_n, 0), out,
                  refs, train)  # fmt: skip
    base = baselines(gan, out, args, refs, train)

    # ---- report ---------------------------------------------------------------------------------
    rows30 = {f"published {k}": v for k, v in PUBLISHED.items()}
    rows30["scigan Train sample (floor)"] = floor30["metrics"]
    rows30[f"scigan latent GAN ({info['wall_s'] / 60:.0f} min)"] = final30["metrics"]
    rows30["same samples, no retries of invalid decodes"] = raw30["metrics"]
    rows10 = {
        "Train sample (floor)": floor10["metrics"],
        f"latent GAN, 10-minute run ({ten_info['wall_s'] / 60:.1f} min)": r10["metrics"],
        f"latent GAN, final ({info['wall_s'] / 60:.0f} min)": final10["metrics"],
        "same GAN codes, the autoencoder's own decoder (not adapted)": own10["metrics"],
        **{name: row["metrics"] for name, row in base.items()},
    }
    print("\n## Protocol size: 30,000 samples (MOSES), one run, seed 0\n")
    print(table(rows30, COLUMNS))
    print("\n## Quick size: 10,000 samples\n")
    print(table(rows10, COLUMNS))
    print("\nStructural alerts, 10k (fraction of valid molecules flagged; RDKit FilterCatalog):")
    for name, row in (("Train", floor10), ("latent GAN, final", final10), *base.items()):
        print(f"  {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in row["alerts"].items()))
    print("\nTargets (30k, final model):")
    for key, (thr, op) in TARGETS.items():
        v = final30["metrics"].get(key, float("nan"))
        ok = v >= thr if op == ">=" else v <= thr
        print(f"  {key} {v:.3f} {op} {thr}: {'met' if ok else 'MISSED'}")
    print(f"\nTraining (main run): {json.dumps(info)}")
    print(f"Training (10-minute run): {json.dumps(ten_info)}")
    if sample_s is not None:
        print(f"Sampling 30k took {sample_s:.0f} s")
    print(f"Metric suite, 30k real molecules, 1 thread: {floor30['seconds']:.0f} s; stages: "
          + ", ".join(f"{k} {v:.0f} s" for k, v in floor30["timings"].items()))  # fmt: skip
    if args.skip_extras:
        return
    activity(gan, out)
    guided(gan, out, args)


def protocol_run(out: Path, args, info: dict) -> None:
    """Another seed of the main run (a different 250k subset, autoencoder and GAN): its 30k row."""

    gan, _, row, _ = main_samples(out, args, moses_refs(), moses_train_canonical())
    raw = no_retry_sample(gan, out, args.n, args.seed)
    valid = len(M.Molecules.from_smiles(raw).smiles) / len(raw)
    print(f"\n## Protocol size: 30,000 samples, seed {args.seed} ({info['wall_s'] / 60:.1f} min)\n")
    print(table({f"latent GAN, seed {args.seed}": row["metrics"]}, COLUMNS))
    print(f"validity of the same samples decoded once (no retries): {valid:.4f}")


def main_samples(out: Path, args, refs, train) -> tuple:
    """The main run (shipped decoder), its ``args.n`` samples at ``args.seed`` and their score:
    (model, SMILES, scored row, sampling seconds — None when the samples were cached)."""
    gan = load_shipped(out / "latent-gan")
    path = out / "latent-gan.smi"
    fresh, t0 = not path.exists(), time.perf_counter()
    gen = cached_smiles(path, lambda: gan.sample(args.n, seed=args.seed))
    sample_s = time.perf_counter() - t0 if fresh else None
    return gan, gen, score("latent-gan-30k", gen, out, refs, train), sample_s


def load_shipped(run: Path):
    """A run, decoding with the shipped decoder: runs saved before invalid decodes were retried
    (their encoder.json has no ``retries``) load with 0 retries, as they were decoded then."""
    from scigan import Synthesizer
    from scigan.domains.molecules.encoding import RETRIES

    gan = Synthesizer.load(run)
    gan.encoder_.retries = RETRIES
    return gan


def no_retry_sample(gan, out: Path, n: int, seed: int) -> list[str]:
    """The same samples (same codes) decoded once, without retries: the decoder's own validity."""
    return cached_smiles(out / "latent-gan-noretry.smi",
                         lambda: decoded_with(gan, n, seed, retries=0))  # fmt: skip


def unadapted_sample(gan, out: Path, n: int, seed: int) -> list[str]:
    """The same samples (same codes) decoded by the autoencoder's own decoder at its own
    temperature, with retries: the decoding before the decoder was adapted to the GAN."""
    return cached_smiles(out / "latent-gan-unadapted.smi",
                         lambda: decoded_with(gan, n, seed, decoder_=None))  # fmt: skip


def decoded_with(gan, n: int, seed: int, **decoding) -> list[str]:
    """``gan.sample(n, seed)`` with the encoder's decoding settings changed for the call."""
    before = {k: getattr(gan.encoder_, k) for k in decoding}
    for k, v in decoding.items():
        setattr(gan.encoder_, k, v)
    try:
        return gan.sample(n, seed=seed)
    finally:
        for k, v in before.items():
            setattr(gan.encoder_, k, v)


def aggregate(folders: list[Path]) -> None:
    """MOSES' protocol: the 30k rows of runs with different seeds, then their mean ± sd."""
    rows, minutes = {}, []
    for folder in folders:
        cfg = json.loads((folder / "latent-gan" / "config.json").read_text())
        info = json.loads((folder / "latent-gan" / "training.json").read_text())
        rows[f"seed {cfg['seed']} ({folder})"] = json.loads(
            (folder / "latent-gan-30k.json").read_text())["metrics"]  # fmt: skip
        minutes.append(info["wall_s"] / 60)
    print(f"\n## Protocol size: 30,000 samples, {len(rows)} runs\n")
    print(table(rows, COLUMNS))
    values = {c: np.array([r[c] for r in rows.values()]) for c in COLUMNS}
    print("| mean ± sd | " + " | ".join(
        f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}" for v in values.values()
    ) + " |")  # fmt: skip
    print(f"\nTraining minutes: {', '.join(f'{m:.1f}' for m in minutes)}")
    print("Targets on the mean:")
    for key, (thr, op) in TARGETS.items():
        v = values[key].mean()
        ok = v >= thr if op == ">=" else v <= thr
        print(f"  {key} {v:.3f} {op} {thr}: {'met' if ok else 'MISSED'}")


MOSES_SECONDS = 11 * 60  # moses README: 30k samples on 2 cores take ~11 minutes
PREVIOUS_SECONDS = 628  # our previous implementation, 1 thread, loaded machine (RESULTS.md)
STAGES = ["parse", "fingerprints", "chemnet", "fragments", "scaffolds", "FCD/Frag/Scaf scores",
          "SNN", "IntDiv", "filters", "properties"]  # fmt: skip
POOL_STAGES = {"parse", "fingerprints", "chemnet", "fragments", "scaffolds", "filters",
               "properties"}  # fmt: skip


def _load() -> tuple[float, float, float]:
    return tuple(round(x, 2) for x in os.getloadavg())


def metrics_speed(out: Path, n: int) -> None:
    """The 30k MOSES suite timed stage by stage, 1 worker / 1 thread vs 2 workers / 2 threads.

    With 2 workers the per-molecule stages (RDKit and ChemNet) run in 2 processes of one thread
    each; 2 torch threads are used for the SNN/IntDiv GEMMs.

    Two sets: the latent GAN's 30k samples of the main benchmark when present (the set the
    previous implementation was timed on; most fail the filters early) and ``n`` random MOSES
    train molecules (seed 0, as the floor row; all pass the filters, the slow case).
    """
    t0 = time.perf_counter()
    refs = moses_refs()
    ref_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    train = moses_train_canonical()
    train_s = time.perf_counter() - t0
    log(f"stored reference statistics {ref_s:.1f} s, canonical train set (cached) {train_s:.1f} s")
    sets = []
    path = out / "latent-gan.smi"
    if path.exists():
        sets.append(("latent-gan", path.read_text().split("\n")[:-1][:n],
                     f"{path}: latent GAN samples", out / "latent-gan-30k.json"))  # fmt: skip
    train_all = moses_smiles("train")
    rng = np.random.default_rng(0)
    real = [train_all[i] for i in rng.choice(len(train_all), n, replace=False)]
    sets.append(("train", real, "random MOSES train molecules, seed 0", out / "train30k.json"))
    report = {"reference_load_s": ref_s, "train_load_s": train_s, "platform": platform.platform(),
              "date": f"{dt.datetime.now():%Y-%m-%d %H:%M}", "sets": {}}  # fmt: skip
    for name, smiles, what, stored in sets:
        runs = {}
        for workers in (1, 2):
            load0 = _load()
            timings: dict[str, float] = {}
            t0 = time.perf_counter()
            values = M.moses_metrics(smiles, refs, train=train, alerts=False, timings=timings,
                                     workers=workers, threads=workers)  # fmt: skip
            total = time.perf_counter() - t0
            runs[workers] = {"seconds": total, "timings": timings, "values": values,
                             "load_before": load0, "load_after": _load()}  # fmt: skip
            log(f"{name}: {workers} worker(s) {total:.1f} s, load average {load0} -> {_load()}")
        report["sets"][name] = {"molecules": what, "n": len(smiles), "runs": runs}
        (out / "metrics-speed.json").write_text(json.dumps(report, indent=1))
        _speed_table(runs, len(smiles), what, stored if n == 30_000 else None)


def _speed_table(runs: dict, n: int, what: str, stored: Path | None) -> None:
    one, two = runs[1], runs[2]
    print(f"\n## MOSES metric suite, {n:,} molecules ({what}), alerts off\n")
    print("| stage | 1 worker, 1 thread (s) | 2 workers, 2 threads (s) |")
    print("|---|---|---|")
    for stage in STAGES:
        a = one["timings"].get(stage, 0.0)
        if stage in POOL_STAGES:
            cpu = two["timings"].get(f"cpu:{stage}", 0.0)
            b = f"in the worker pass ({cpu:.1f} CPU s)"
        else:
            b = f"{two['timings'].get(stage, 0.0):.1f}"
        print(f"| {stage} | {a:.1f} | {b} |")
    pool1 = sum(one["timings"].get(s, 0.0) for s in POOL_STAGES)
    pool2 = two["timings"].get("molecule pass (2 workers)", 0.0)
    print(f"| per-molecule stages together | {pool1:.1f} | {pool2:.1f} (2 processes) |")
    print(f"| **total** | **{one['seconds']:.1f}** | **{two['seconds']:.1f}** |")
    if n == 30_000:
        for name, ref in (("moses' 11 min on 2 cores", MOSES_SECONDS),
                          ("our previous 628 s (1 thread, loaded)", PREVIOUS_SECONDS)):  # fmt: skip
            print(f"| ratio to {name} | {ref / one['seconds']:.1f}× faster | "
                  f"{ref / two['seconds']:.1f}× faster |")  # fmt: skip
    print(
        f"\nLoad average (1, 5, 15 min) before/after: 1 worker {one['load_before']} / "
        f"{one['load_after']}; 2 workers {two['load_before']} / {two['load_after']}"
    )
    diffs = {k: abs(two["values"][k] - v) for k, v in one["values"].items()}
    print("max |1 worker − 2 workers| over metrics: "
          f"{max(diffs.values()):.2e} ({max(diffs, key=diffs.get)})")  # fmt: skip
    if stored is not None and stored.exists():  # scored earlier by the previous implementation
        old = json.loads(stored.read_text())["metrics"]
        d = {k: abs(one["values"][k] - v) for k, v in old.items() if k in one["values"]}
        worst = max(d, key=d.get)
        print(f"max |new − previous implementation| over {len(d)} metrics (values stored in "
              f"{stored.name}): {d[worst]:.2e} ({worst})")  # fmt: skip


def activity(gan, out: Path) -> None:
    """RF on Morgan fingerprints vs RF on the latent GAN's autoencoder codes (MoleculeACE)."""
    from scigan.domains.molecules.activity import activity_benchmark

    for target in ("CHEMBL204_Ki", "CHEMBL214_Ki"):
        path = out / f"activity-{target}.csv"
        if not path.exists():
            t0 = time.perf_counter()
            activity_benchmark(target, gan.encoder_).to_csv(path, index=False)
            log(f"activity {target}: {time.perf_counter() - t0:.0f} s")
        print(f"\n## Activity prediction, {target} (MoleculeACE split; RF, 300 trees)\n")
        df = pd.read_csv(path)
        df.index = [f"{f}, {lab:.0%} labels (n={n})" for f, lab, n in
                    zip(df["features"], df["labels"], df["n_train"], strict=True)]  # fmt: skip
        print(table(df[["rmse", "r2", "roc_auc"]].T.to_dict(), ["rmse", "r2", "roc_auc"]))


def guided(gan, out: Path, args) -> None:
    """Property-guided generation: a QED-conditioned latent GAN (same cached autoencoder)."""
    from scigan import Synthesizer
    from scigan.domains.molecules import chem

    run = out / "latent-gan-qed"
    steps = args.guided_steps
    if not (run / "config.json").exists():
        t0 = time.perf_counter()
        opts = {
            **({"ae_minutes": args.ae_minutes} if args.ae_minutes else {}),
            "conditions": ["QED"],
        }  # the main run's cached autoencoder
        Synthesizer(domain="molecules", options=opts, steps=steps, threads=args.threads,
                    eval_n=args.eval_n).fit("moses", out=run)  # fmt: skip
        log(f"QED-conditioned model: {time.perf_counter() - t0:.0f} s ({steps} steps)")
    cond = Synthesizer.load(run)
    rows = {}
    n = 5000

    def describe(smiles: list[str]) -> dict:
        m = M.Molecules.from_smiles(smiles)
        qed = chem.properties(m.mols, ["QED"])["QED"]
        uniq = len(set(m.smiles)) / max(len(m.smiles), 1)
        return {"valid": len(m.smiles) / len(smiles), "unique": uniq,
                "novelty": M.novelty(m.smiles, moses_train_canonical()),
                "IntDiv": M.internal_diversity(m.fps), "QED mean": float(qed.mean()),
                "QED ≥ 0.85": float((qed >= 0.85).mean()),
                "|QED − 0.9|": float(np.abs(qed - 0.9).mean())}  # fmt: skip

    rows["unguided latent GAN"] = describe(gan.sample(n, seed=5))
    for target in (0.6, 0.9):
        c = cond.domain_.parse_conditions(cond.encoder_, {"QED": str(target)}, n)
        rows[f"QED-conditioned, target {target}"] = describe(cond.sample(n, seed=5, conditions=c))
    rows["QED-conditioned, training mix"] = describe(cond.sample(n, seed=5))
    # reward guidance at sampling time on the unguided model: best of k = 10 by −|QED − 0.9|
    from scigan.domains.molecules.guidance import best_of_k

    def reward(smi: str) -> float:
        return -abs(chem.qed(chem.get_mol(smi)) - 0.9)

    top = best_of_k(lambda c, s: gan.sample(c, seed=s), reward, n, k=10, seed=6)
    rows["unguided + best-of-10 for QED 0.9"] = describe(top)
    print(f"\n## Property-guided generation ({n} samples each, QED computed by RDKit)\n")
    print(table(rows, list(next(iter(rows.values())))))


if __name__ == "__main__":
    main()
