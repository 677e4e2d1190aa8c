"""Fields benchmark (issue 4): train each physics dataset with the shipped defaults, then judge
it with the physics.

For every dataset: train with ``FieldsDomain.default_config`` (optionally fewer steps), evaluate
with the domain's metrics at ``--eval-n`` samples per condition (each beside its real-vs-real
floor), and time generation at batch 1, 100 and 10,000 against the simulator's cost per sample
(wall time of generating the training set / its size, measured on this machine).

Targets (issue 24): Ising ⟨e⟩ and specific heat within 2σ of Kaufman's exact values at each
T, ⟨|m|⟩, χ and Binder's U₄ within 2× the real-vs-real floor; GRF/log-normal P(k) ratio within
5 % in every k bin and Minkowski functionals within 2× floor; calorimeter classifier AUC ≤ 0.75
and E_dep/E_inc, layer energies within 2× floor; telegraph mean, variance, Fano and
autocorrelation within 2σ of the exact values. Generation time against the simulator is printed
for information (the Ising speed comparison at equal quality: benchmarks/ising_speed.py).

Usage:
    python benchmarks/fields.py                              # all datasets, shipped defaults
    python benchmarks/fields.py --datasets ising2d grf --steps 1500 --threads 1
    python benchmarks/fields.py --markdown results.md        # also write the tables as markdown
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from scigan import Synthesizer
from scigan.domains.fields import DEFAULTS
from scigan.domains.fields import metrics as fm

DATASETS = ("ising2d", "grf", "lognormal", "calo", "cellgrowth")
BATCHES = (1, 100, 10_000)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else str(v)
    return str(v)


def _within_floor(m: dict[str, Any], factor: float = 2.0) -> bool:
    """|generated − reference| ≤ factor × |second real sample − reference| (reference: the
    first real sample's value), for statistics without an exact value."""
    return abs(m["value"] - m["reference"]) <= factor * abs(m["floor"] - m["reference"])


def _lower_within_floor(m: dict[str, Any], factor: float = 2.0) -> bool:
    """A distance (lower is better) within ``factor`` × the real-vs-real distance."""
    return m["value"] <= factor * m["floor"]


def _floor_row(label: str, m: dict[str, Any]) -> tuple[str, str, bool]:
    """The target row "``label`` within 2× floor" for the distance ``m``."""
    return (f"{label} within 2× floor", f"{m['value']:.3g} (floor {m['floor']:.3g})",
            _lower_within_floor(m))  # fmt: skip


def targets(name: str, metrics: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) rows for issue 24's targets (speed: benchmarks/ising_speed.py)."""
    rows: list[tuple[str, str, bool]] = []
    if name == "ising2d":
        temps = [k[len("energy_T") :] for k in metrics if k.startswith("energy_T")]
        for t in temps:
            for key, label in (("energy", "⟨e⟩"), ("specific_heat", "specific heat")):
                m = metrics[f"{key}_T{t}"]
                rows.append(
                    (
                        f"{label} within 2σ of exact at T={t}",
                        f"{m['value']:.4g} vs {m['exact']:.4g}, z = {m['z']:.2f} "
                        f"(real-vs-exact z = {m['z_floor']:.2f})",
                        abs(m["z"]) <= 2,
                    )
                )
            for key, label in (("abs_m", "⟨|m|⟩"), ("susceptibility", "χ"), ("binder", "U₄")):
                m = metrics[f"{key}_T{t}"]
                rows.append(
                    (
                        f"{label} within 2× floor of the real sample at T={t}",
                        f"{m['value']:.4g} vs {m['reference']:.4g} (second real sample "
                        f"{m['floor']:.4g})",
                        _within_floor(m),
                    )
                )
            m = metrics[f"m_pos_T{t}"]
            rows.append(
                (
                    f"m>0 fraction 0.5 ± 2σ at T={t} (Z₂ symmetry: holds by construction)",
                    f"{m['value']:.3f} (real {m['floor']:.3f})",
                    abs(m["value"] - 0.5) <= 2 * m["se"],
                )
            )
    if name in ("grf", "lognormal"):
        m = metrics["pk_ratio_maxdev"]
        rows.append(
            (
                "P(k) ratio within 5 % in every k bin",
                f"max |ratio − 1| = {m['value']:.3f} (floor {m['floor']:.3f}); "
                f"{m['bins_within_5pct']}/{m['bins']} bins within 5 %",
                m["value"] <= 0.05,
            )
        )
        for key in ("mf_area_maxdev", "mf_length_maxdev", "mf_euler_maxdev"):
            if key in metrics:
                rows.append(_floor_row(f"Minkowski {key[3:-7]}", metrics[key]))
    if name == "calo":
        m = metrics["classifier_auc"]
        rows.append(
            (
                "classifier AUC ≤ 0.75 (CaloChallenge GANs 0.89–0.94)",
                f"{m['value']:.3f} (simulator vs itself {m['floor']:.3f})",
                m["value"] <= 0.75,
            )
        )
        for key, label in (("sep_e_ratio", "E_dep/E_inc"), ("sep_layer_energy", "layer energies")):
            rows.append(_floor_row(f"{label} separation power", metrics[key]))
    if name == "cellgrowth":
        for key in ("mean", "variance", "fano"):
            m = metrics[key]
            rows.append(
                (
                    f"{key} within 2σ of exact",
                    f"{m['value']:.4g} vs {m['exact']:.4g}, z = {m['z']:.2f} "
                    f"(real-vs-exact z = {m['z_floor']:.2f})",
                    abs(m["z"]) <= 2,
                )
            )
        m = metrics["autocorr_maxdev"]
        rows.append(
            (
                "autocorrelation within 2σ of exact at every lag",
                f"max |z| = {m['z_max']:.2f} (real {m['z_max_floor']:.2f}); max |Δρ| "
                f"{m['value']:.3f}",
                m["z_max"] <= 2,
            )
        )
    return [(t, measured, bool(met)) for t, measured, met in rows]


def run_one(name: str, args: argparse.Namespace) -> dict[str, Any]:
    hyper: dict[str, Any] = {"seed": args.seed}
    if args.steps is not None:
        hyper["steps"] = args.steps
    if args.threads:
        hyper["threads"] = args.threads
    existing = dict(kv.split("=", 1) for kv in args.existing).get(name)
    if existing is not None:  # a finished run of the shipped defaults: evaluate, don't retrain
        out = Path(existing)
        gan = Synthesizer.load(out)
        cfg = gan.config_
        if cfg.steps != gan.state_.step:
            raise SystemExit(f"{out}: stopped at step {gan.state_.step} of {cfg.steps}")
        gan._reference(None)
        rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x]
        train_s = max(r.get("elapsed_s", 0.0) for r in rows)
    else:
        out = Path(args.runs) / f"{name}-{int(time.time())}"
        gan = Synthesizer(domain="fields", **hyper)
        cfg = gan.resolve_config(name)
        t0 = time.perf_counter()
        gan.fit(name, out=out)
        train_s = time.perf_counter() - t0
    # Evaluate on the simulator's test sample (the training evaluations that chose `best` used
    # its validation sample; fields.data.heldout) with a seed they never used (fresh z).
    eval_seed = args.seed + 1000
    t0 = time.perf_counter()
    result = gan.evaluate(n=args.eval_n, seed=eval_seed)
    eval_s = time.perf_counter() - t0
    best = Synthesizer.load(out, checkpoint="best")
    best_step = json.loads((out / "checkpoints" / "best.json").read_text())["step"]
    result_best = best.evaluate(n=args.eval_n, seed=eval_seed)  # the simulator's test sample
    info = gan.dataset_.info
    sim_ms = 1000.0 * info["simulator_s"] / info["n"]
    cond = None
    if gan.encoder_.cond_dim:
        values = np.asarray(gan.dataset_.conditions)
        cond = values[np.random.default_rng(0).integers(len(values), size=max(BATCHES))]
    timing = {}
    for b in BATCHES:
        c = None if cond is None else cond[:b]
        timing[b] = fm.ms_per_sample(lambda k, c=c: gan.sample(k, seed=0, conditions=c), b)
    speedup = sim_ms / timing[10_000]
    return {
        "name": name,
        "run": str(out),
        "steps": cfg.steps,
        "default_steps": DEFAULTS[name]["steps"],
        "threads": cfg.threads or torch.get_num_threads(),
        "train_s": train_s,
        "eval_s": eval_s,
        "n_train": info["n"],
        "shape": info["shape"],
        "simulator_ms": sim_ms,
        "gen_ms": timing,
        "speedup": speedup,
        "eval": result,
        "eval_best": result_best,
        "best_step": best_step,
        "targets": targets(name, result["metrics"]),
        "targets_best": targets(name, result_best["metrics"]),
    }


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"### {r['name']}",
        "",
        f"Trained {r['steps']} steps (shipped default {r['default_steps']}) in "
        f"{r['train_s'] / 60:.1f} min on {r['threads']} thread(s); training set "
        f"{r['n_train']} × {tuple(r['shape'][1:])}; evaluation N ≤ {r['eval']['n']} per "
        f"condition, seed {r['eval']['seed']} ({r['eval_s']:.0f} s).",
        "",
        f"| target | final checkpoint (step {r['steps']}) | met | best checkpoint (step "
        f"{r['best_step']}, by `fidelity` on the validation sample) | met |",
        "|---|---|---|---|---|",
    ]
    for (t, m, ok), (_, mb, okb) in zip(r["targets"], r["targets_best"], strict=True):
        lines.append(
            f"| {t} | {m} | {'yes' if ok else '**no**'} | {mb} | {'yes' if okb else '**no**'} |"
        )
    lines += [
        "",
        "| metric | final | best | floor (real vs real) | extra (final checkpoint) |",
        "|---|---|---|---|---|",
    ]
    best_metrics = r["eval_best"]["metrics"]
    for key, m in r["eval"]["metrics"].items():
        extra = []
        for k in ("exact", "z", "z_floor", "reference", "target"):
            if k in m and not isinstance(m[k], list):
                extra.append(f"{k} {_fmt(m[k])}")
        lines.append(
            f"| {key} | {_fmt(m['value'])} | {_fmt(best_metrics[key]['value'])} | "
            f"{_fmt(m['floor'])} | {', '.join(extra)} |"
        )
    g = r["gen_ms"]
    lines += [
        "",
        f"Generation: {g[1]:.3g} / {g[100]:.3g} / {g[10_000]:.3g} ms per sample at batch "
        f"1 / 100 / 10,000; simulator {r['simulator_ms']:.3g} ms per sample → speed-up "
        f"{r['speedup']:.3g}× at batch 10,000.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    p.add_argument("--steps", type=int, default=None, help="override the shipped default steps")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    p.add_argument("--eval-n", type=int, default=1000, help="samples per condition for metrics")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--runs", default="/tmp/scigan-fields-bench", help="folder for run folders")
    p.add_argument("--markdown", type=Path, default=None, help="append markdown tables here")
    p.add_argument("--json", type=Path, default=None, help="append JSON results here")
    p.add_argument(
        "--existing",
        nargs="*",
        default=[],
        metavar="NAME=RUN",
        help="evaluate these finished run folders (trained by `scigan train --data NAME`) "
        "instead of training again",
    )
    args = p.parse_args()
    print(
        f"fields benchmark: torch {torch.__version__}, {platform.processor() or platform.machine()}"
        f", {torch.get_num_threads()} default threads"
    )
    for name in args.datasets:
        r = run_one(name, args)
        text = markdown(r)
        print(text, flush=True)
        if args.markdown is not None:
            with args.markdown.open("a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        if args.json is not None:
            with args.json.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(r, default=float) + "\n")


if __name__ == "__main__":
    main()
