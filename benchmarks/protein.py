"""Protein-structure benchmark (issue 9): fragments and the adenylate-kinase ensemble.

1. ``protein_fragments``: train with the shipped defaults (``scigan train --data
   protein_fragments``; ≤ 20 min on 2 CPU cores is the issue's budget), generate N maps, recover
   them to 3-D and score them against held-out chains (split by chain), each metric beside the
   floor (training windows vs the same held-out windows). Beside the GAN: the issue's simple
   baseline — random *training* fragments perturbed by Gaussian coordinate noise so that their
   RMSD to the original equals the GAN's median nearest-training-fragment RMSD — so users see
   what the GAN adds over "copy and jitter".
2. ``adk_ensemble``: train with the shipped defaults, generate frames at the held-out
   trajectory's progress values, recover and score RMSD-to-end-state curves, nearest-training-
   frame RMSD (memorisation) and chain checks — beside two simple baselines scored the same
   way: the training frame nearest in progress (a lookup table: copies) and the training
   ensemble's medoid frame for every progress value (no motion).

Targets (issue 9): ≥ 95 % of generated maps recover to backbones with every Cα–Cα bond within
3.8 ± 0.3 Å and no clash; triangle-inequality violations < 1 %; torsion-angle histogram distance
within 2× the real-vs-real floor; training ≤ 20 min.

Every stage caches its result as JSON in ``--out`` (a rerun resumes).

Usage:
    python benchmarks/protein.py --threads 2 --out runs/bench-protein
    python benchmarks/protein.py --skip-adk --fragments-steps 500      # quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import scigan
from scigan import Synthesizer
from scigan.core.ema import EMA
from scigan.domains.proteins import geometry as geo
from scigan.domains.proteins import metrics as pm
from scigan.domains.proteins.metrics import with_fidelity

ROWS = ("valid_backbone", "bond_valid", "bond_map_valid", "triangle_violation", "embeddable",
        "clash_any", "torsion_js", "angle_js", "distance_w1", "contact_map_mae", "rg_w1",
        "helix_fraction", "strand_fraction", "fidelity")  # fmt: skip


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else str(v)
    return str(v)


def _cached(path: Path, fn) -> dict[str, Any]:
    if path.exists():
        return json.loads(path.read_text())
    out = fn()
    path.write_text(json.dumps(out, indent=1, default=float))
    return out


def _train(name: str, run: Path, steps: int | None, threads: int) -> dict[str, Any]:
    """Train with the shipped defaults (or ``steps``); returns timing (reuses a finished run)."""
    hyper: dict[str, Any] = {"threads": threads}
    if steps is not None:
        hyper["steps"] = steps
    if not (run / "checkpoints" / "latest.json").exists():
        t0 = time.perf_counter()
        Synthesizer(domain="proteins", **hyper).fit(name, out=run, progress=False)
        wall = time.perf_counter() - t0
    else:
        wall = float("nan")
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    return {
        "steps": train_rows[-1]["step"],
        "train_s": train_rows[-1]["elapsed_s"],
        "wall_s": wall,
        "evals": [_eval_row(r) for r in rows if r["kind"] == "eval"],
    }


def _eval_row(r: dict[str, Any]) -> dict[str, Any]:
    keep = ("valid_backbone", "fidelity")
    values = {k: r["metrics"][k]["value"] for k in keep if k in r["metrics"]}
    return {"step": r["step"], "elapsed_s": r["elapsed_s"], **values}


def _real_pair(ds: Any, n: int, seed: int) -> tuple[np.random.Generator, np.ndarray, np.ndarray]:
    """The seeded real samples every fragment column is scored against: N held-out maps (the
    reference) and N training maps (the floor); the generator continues for later draws."""
    rng = np.random.default_rng(seed)
    test, train = np.asarray(ds.test_maps), np.asarray(ds.samples)
    ia = np.sort(rng.choice(len(test), n, replace=False))
    ib = np.sort(rng.choice(len(train), n, replace=False))
    return rng, test[ia], train[ib]


def fragments(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    run = out / "fragments"
    steps, threads = args.fragments_steps, args.threads
    timing = _cached(
        out / "fragments_train.json", lambda: _train("protein_fragments", run, steps, threads)
    )
    gan = Synthesizer.load(run, checkpoint="latest")
    ds = gan._reference(None)
    n, seed = args.n, args.seed
    rng, real_a, real_b = _real_pair(ds, n, seed)
    train = np.asarray(ds.samples)
    t0 = time.perf_counter()
    gen = np.asarray(gan.sample(n, seed=seed))
    sample_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    metrics, feats = pm.recover_and_score(gen, real_a, real_b, seed=seed)
    score_s = time.perf_counter() - t0
    # baseline at the GAN's median nearest-training-fragment RMSD (2,000 training windows)
    ref_idx = np.sort(rng.choice(len(train), min(2000, len(train)), replace=False))
    ref_coords = np.asarray(ds.coords)[ref_idx]
    nn_gen = geo.pairwise_rmsd(feats["gen"].coords, ref_coords).min(axis=1)
    nn_real = geo.pairwise_rmsd(feats["real_a"].coords, ref_coords).min(axis=1)
    target = float(np.median(nn_gen))
    noisy = pm.noise_baseline(np.asarray(ds.coords), target, n=n, seed=seed + 1)
    base = with_fidelity(pm.fragment_metrics(geo.distance_maps(noisy), real_a, real_b, seed=seed))
    with_fidelity(metrics)
    map_head = None
    if args.map_run is not None:  # the map head (G draws the map), trained separately
        other = Synthesizer.load(args.map_run, checkpoint="latest")
        gen_map = np.asarray(other.sample(n, seed=seed))
        map_head = with_fidelity(pm.fragment_metrics(gen_map, real_a, real_b, seed=seed))
        rows = [
            json.loads(x) for x in (Path(args.map_run) / "metrics.jsonl").read_text().splitlines()
        ]
        last = [r for r in rows if r["kind"] == "train"][-1]
        map_head["_run"] = {"path": str(args.map_run), "steps": last["step"],
                            "train_s": last["elapsed_s"],
                            "config": json.loads((Path(args.map_run) / "config.json").read_text())
                            ["config"]["options"]}  # fmt: skip
    return {
        "timing": timing,
        "map_head": map_head,
        "n": n,
        "seed": seed,
        "info": {k: v for k, v in ds.info.items() if k != "source"},
        "gan": metrics,
        "baseline": base,
        "baseline_rmsd": target,
        "nn_train_rmsd": {"gan_median": target, "real_test_median": float(np.median(nn_real))},
        "sample_s": sample_s,
        "score_s": score_s,
    }


def prior_only(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Ablation: the shipped G trained on its loss priors alone (steric + geometry matching),
    with no critic — same seed, steps, batch, Adam settings and EMA as the GAN run — scored on
    the same real samples. What the adversarial loss adds is the difference."""
    from scigan.sampling import generate

    gan = Synthesizer.load(out / "fragments", checkpoint="latest")
    cfg, enc, domain = gan.config_, gan.encoder_, gan.domain_
    ds = gan._reference(None)
    data = enc.encode(ds.samples)
    torch.manual_seed(cfg.seed)
    G = domain.build_generator(cfg, enc)
    prior = domain.generator_penalty(cfg, enc, data, G)
    ema = EMA(G, cfg.optim.ema_decay)  # the engine's EMA, warm-up included
    opt = torch.optim.Adam(G.parameters(), cfg.optim.lr_g, betas=(cfg.optim.beta1, cfg.optim.beta2))
    steps, batch = gan.state_.step, cfg.optim.batch_size
    t0 = time.perf_counter()
    for step in range(steps):
        fake = G(torch.randn(batch, cfg.net.z_dim))
        loss = prior(fake, None)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema.update(G, step)
    train_s = time.perf_counter() - t0
    _, real_a, real_b = _real_pair(ds, args.n, args.seed)
    gen = np.asarray(generate(ema.shadow, enc, cfg.net.z_dim, args.n, args.seed))
    m = with_fidelity(pm.fragment_metrics(gen, real_a, real_b, seed=args.seed))
    return {"steps": steps, "train_s": train_s, "metrics": m}


def fragments_best(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """The best checkpoint (lowest training-time fidelity) on the same real samples.

    Training-time evaluations score against half of the training windows
    (``ProteinsDomain.selection_reference``), so the choice never looks at the test chains.
    """
    gan = Synthesizer.load(out / "fragments", checkpoint="best")
    _, real_a, real_b = _real_pair(gan._reference(None), args.n, args.seed)
    gen = np.asarray(gan.sample(args.n, seed=args.seed))
    m = with_fidelity(pm.fragment_metrics(gen, real_a, real_b, seed=args.seed))
    return {"step": gan.state_.step, "metrics": m}


def adk(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    run = getattr(args, "adk_run", None) or out / "adk"
    timing = _cached(out / f"{Path(run).name}_train.json",
                     lambda: _train("adk_ensemble", run, args.adk_steps, args.threads))  # fmt: skip
    gan = Synthesizer.load(run, checkpoint="latest")
    t0 = time.perf_counter()
    result = gan.evaluate(n=args.adk_n, seed=args.seed)
    return {
        "timing": timing,
        "metrics": result["metrics"],
        "n": result["n"],
        "seed": args.seed,
        "eval_s": time.perf_counter() - t0,
    }


def adk_baselines(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Two simple AdK baselines scored exactly as the GAN (same frames, progress values, seed):

    * ``lookup``: for each requested progress value, the training frame whose progress is
      nearest (a table lookup: copies by construction, so ``copy_rate`` ≈ 1);
    * ``medoid``: the training ensemble's medoid frame for every progress value (no
      conformational change at all; the template head's starting point).
    """
    gan = Synthesizer.load(out / "adk", checkpoint="latest")
    ds = gan._reference(None)
    train_maps, train_p = np.asarray(ds.samples), np.asarray(ds.conditions)[:, 0]
    medoid, _ = geo.ensemble_template(train_maps, np.asarray(ds.coords))
    medoid_map = geo.distance_maps(medoid[None])[0]

    def lookup(m: int, cond: np.ndarray, seed: int) -> np.ndarray:
        return train_maps[np.abs(train_p[None, :] - np.asarray(cond)[:, :1]).argmin(1)]

    def still(m: int, cond: np.ndarray, seed: int) -> np.ndarray:
        return np.repeat(medoid_map[None], m, axis=0)

    return {
        name: pm.evaluate(fn, ds, n=args.adk_n, seed=args.seed)
        for name, fn in (("lookup", lookup), ("medoid", still))
    }


def fragment_table(r: dict[str, Any], best: dict[str, Any], prior: dict[str, Any] | None) -> str:
    g, b, mh, gb = r["gan"], r["baseline"], r.get("map_head"), best["metrics"]
    head = r.get("info", {}).get("model", {}).get("head", "chain")
    lines = [
        f"protein_fragments: N = {r['n']}, seed {r['seed']}; floor = training windows vs the "
        "same held-out windows (chains split by group)",
        f"| metric | GAN {head} head, final | GAN, best (step {best['step']}) "
        "| priors only, no critic | GAN map head | noise baseline | floor (real) | better |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key in ROWS:
        if key not in g:
            continue
        other = _fmt(mh[key]["value"]) if mh else "not run"
        po = _fmt(prior["metrics"][key]["value"]) if prior else "not run"
        lines.append(f"| {key} | {_fmt(g[key]['value'])} | {_fmt(gb[key]['value'])} | {po} "
                     f"| {other} | {_fmt(b[key]['value'])} | {_fmt(g[key]['floor'])} "
                     f"| {g[key].get('better', '')} |")  # fmt: skip
    if mh:
        run = mh["_run"]
        lines.append(f"map head: {run['steps']} steps, {run['train_s'] / 60:.1f} min, options "
                     f"{run['config']} ({run['path']})")  # fmt: skip
    lines.append(
        f"noise baseline: random training fragments + Gaussian noise at RMSD "
        f"{r['baseline_rmsd']:.2f} Å (the GAN's median nearest-training-fragment RMSD; real "
        f"held-out fragments: {r['nn_train_rmsd']['real_test_median']:.2f} Å)"
    )
    return "\n".join(lines)


def fragment_targets(r: dict[str, Any], best: dict[str, Any]) -> list[tuple[str, str, bool]]:
    g, t, gb = r["gan"], r["timing"], best["metrics"]
    tj = g["torsion_js"]
    return [
        (f"best checkpoint (step {best['step']}): valid backbones ≥ 95 %",
         f"{gb['valid_backbone']['value']:.3f}", gb["valid_backbone"]["value"] >= 0.95),
        (f"best checkpoint (step {best['step']}): torsion JS ≤ 2 × floor",
         f"{gb['torsion_js']['value']:.4f} vs 2 × {gb['torsion_js']['floor']:.4f}",
         gb["torsion_js"]["value"] <= 2 * gb["torsion_js"]["floor"]),
        ("valid backbones ≥ 95 %", f"{g['valid_backbone']['value']:.3f} "
         f"(real {g['valid_backbone']['floor']:.3f})", g["valid_backbone"]["value"] >= 0.95),
        ("triangle violations < 1 %", f"{g['triangle_violation']['value']:.4f}",
         g["triangle_violation"]["value"] < 0.01),
        ("torsion histogram JS ≤ 2 × floor", f"{tj['value']:.4f} vs 2 × {tj['floor']:.4f}",
         tj["value"] <= 2 * tj["floor"]),
        ("training ≤ 20 min", f"{t['train_s'] / 60:.1f} min ({t['steps']} steps)",
         t["train_s"] <= 1200),
    ]  # fmt: skip


def adk_table(r: dict[str, Any], base: dict[str, Any] | None = None) -> str:
    m = r["metrics"]
    cols = "| nearest-progress training frame | medoid frame " if base else ""
    lines = [
        f"adk_ensemble: N = {r['n']} frames at the held-out trajectory's progress values, seed "
        f"{r['seed']}; floor = one half of the held-out frames vs the other",
        f"| metric | GAN {cols}| floor (real) | better |",
        "|---|---|" + ("---|---|" if base else "") + "---|---|",
    ]
    for key, e in m.items():
        extra = ""
        if base:
            extra = "".join(f"| {_fmt(base[b][key]['value'])} " for b in ("lookup", "medoid"))
        lines.append(f"| {key} | {_fmt(e['value'])} {extra}| {_fmt(e['floor'])} "
                     f"| {e.get('better', '')} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("runs/bench-protein"))
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--n", type=int, default=1000, help="generated fragments to score")
    p.add_argument("--adk-n", type=int, default=100, help="generated AdK frames to score")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fragments-steps", type=int, default=None, help="default: shipped")
    p.add_argument("--adk-steps", type=int, default=None, help="default: shipped")
    p.add_argument("--skip-adk", action="store_true")
    p.add_argument(
        "--skip-prior-only",
        action="store_true",
        help="skip the ablation that trains G on its loss priors alone (no critic)",
    )
    p.add_argument(
        "--map-run",
        type=Path,
        default=None,
        help="also score this trained map-head run (--set head=map) on the same data",
    )
    p.add_argument(
        "--adk-map-run",
        type=Path,
        default=None,
        help="also score this trained adk_ensemble map-head run (--set head=map)",
    )
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    cpu = platform.processor() or platform.machine()
    print(
        f"# scigan {scigan.__version__}, torch {torch.__version__}, {cpu}, {os.cpu_count()} "
        f"CPUs, load {os.getloadavg()[0]:.1f}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    frag = _cached(args.out / "fragments.json", lambda: fragments(args, args.out))
    t = frag["timing"]
    print(f"\nprotein_fragments: trained {t['steps']} steps in {t['train_s'] / 60:.1f} min "
          f"(threads {args.threads}); sampling {frag['n']} maps {frag['sample_s']:.1f} s, "
          f"recovery + scoring of 3 × {frag['n']} maps {frag['score_s']:.0f} s")  # fmt: skip
    for e in t["evals"]:
        print(
            f"  eval at step {e['step']} ({e['elapsed_s'] / 60:.1f} min): "
            + ", ".join(f"{k} {v:.4g}" for k, v in e.items() if k not in ("step", "elapsed_s"))
        )
    best = _cached(args.out / "fragments_best.json", lambda: fragments_best(args, args.out))
    prior = None
    if not args.skip_prior_only:
        prior = _cached(args.out / "prior_only.json", lambda: prior_only(args, args.out))
    print(fragment_table(frag, best, prior))
    if prior:
        print(f"priors only: G trained {prior['steps']} steps on its loss priors alone (no "
              f"critic) in {prior['train_s'] / 60:.1f} min")  # fmt: skip
    print("\n| target | measured | met |\n|---|---|---|")
    for name, measured, met in fragment_targets(frag, best):
        print(f"| {name} | {measured} | {'yes' if met else 'no'} |")
    stages = [] if args.skip_adk else [("adk.json", "adk_ensemble (shipped defaults)", None)]
    if args.adk_map_run is not None:  # the map head on AdK, trained separately
        stages.append(("adk_map.json", f"adk_ensemble, map head ({args.adk_map_run})",
                       args.adk_map_run))  # fmt: skip
    for cache, label, run in stages:
        args.adk_run = run
        a = _cached(args.out / cache, lambda: adk(args, args.out))
        ta = a["timing"]
        print(f"\n{label}: trained {ta['steps']} steps in {ta['train_s'] / 60:.1f} min; "
              f"evaluation {a['eval_s']:.0f} s")  # fmt: skip
        base = None
        if run is None:  # the shipped model: with the two simple baselines beside it
            base = _cached(args.out / "adk_baselines.json", lambda: adk_baselines(args, args.out))
        print(adk_table(a, base))


if __name__ == "__main__":
    main()
