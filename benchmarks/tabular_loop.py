"""Virtual-experiment loop (issue 26): does ``suggest`` find the best catalyst from a cold start?

The loop a chemist would run, simulated against measured data. For each shipped reaction set
(Suzuki–Miyaura cases 1–4, Reizman et al. 2016; C–N couplings, Baumgartner et al. 2019):

1. The *best catalyst* is the level of ``catalyst`` (the ligand / precatalyst) with the highest
   measured yield in the whole table.
2. Cold start: ``--start`` rows drawn at random (seeded) from the rows that do **not** use it.
3. Fit the experiment-mode GAN on the measured rows (shipped defaults: every hyper-parameter and
   option as ``Synthesizer(domain="tabular")`` resolves them, except what the loop must set,
   below), call ``suggest(k, measured=<the rows measured so far>)`` (incumbent: their best
   yield; exploration: their conditions).
4. "Measure" each suggestion: the **nearest not-yet-measured row** of the table (fewest
   mismatching categorical conditions, then the smallest Euclidean distance of the numeric
   conditions scaled by their declared range) — a continuous design point never equals a
   measured one exactly. Each suggestion costs one new row; add the rows, refit, repeat until
   ``--budget`` suggestions are spent.
5. Found = the best measured row after the budget uses the best catalyst (what the chemist
   would pick); ``found@`` = suggestions spent when that became and stayed true; ``tried@`` =
   the first suggestion that measured a best-catalyst row.

Random baseline, same start rows, budget, lookup and seed: each suggestion is a uniform random
point of the same design space (every categorical level equally likely, numbers uniform in the
declared range).

What the loop sets beyond the shipped defaults, because a cold start needs it: the design space
is declared (``schema``: every catalyst/base level of the table as ``categories``, each numeric
condition's ``low``/``high`` = the table's range) — otherwise an unmeasured catalyst could never
be suggested; and ``holdout`` is the smallest fraction leaving two rows (the loader requires a
hold-out; its rows are not trained on, but count for the incumbent).

    python benchmarks/tabular_loop.py --seeds 0 --threads 1 --out /tmp/loop.jsonl
    python benchmarks/tabular_loop.py --datasets suzuki_case_1 --seeds 0 1 --rounds-k 2
    python benchmarks/tabular_loop.py --summarize /tmp/loop.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch

from scigan.api import Synthesizer
from scigan.domains.tabular.data import SHIPPED
from scigan.domains.tabular.experiments import suggest

SUZUKI = [f"suzuki_case_{k}" for k in range(1, 5)]
CN = ["cn_aniline", "cn_benzamide"]
LEVEL = "catalyst"
#: gan: suggest as shipped; gan_plain: suggest(explore=False) (top k by EI of the generator's
#: spread alone, the behaviour before issue 26); random: uniform design points.
MODELS = ("gan", "gan_plain", "random")


def problem(name: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The measured table and the loop's options (shipped options + declared design space)."""
    df = SHIPPED[name].load()
    opts = json.loads(json.dumps(SHIPPED[name].options))
    schema = opts.setdefault("schema", {})
    for c in opts["conditions"]:
        spec = schema.setdefault(c, {})
        if pd.api.types.is_numeric_dtype(df[c]):
            spec.update(low=float(df[c].min()), high=float(df[c].max()))
        else:
            spec.update(type="categorical", categories=sorted(df[c].astype(str).unique()))
    return df, opts


def best_level(df: pd.DataFrame, target: str) -> tuple[str, float]:
    """(catalyst with the highest measured target, that value)."""
    top = df.groupby(LEVEL)[target].max()
    return str(top.idxmax()), float(top.max())


def nearest(row: pd.Series, pool: pd.DataFrame, opts: dict[str, Any]) -> Any:
    """Index of the row of ``pool`` nearest to the condition row ``row``."""
    mism = np.zeros(len(pool))
    dist = np.zeros(len(pool))
    for c in opts["conditions"]:
        spec = opts["schema"][c]
        if "categories" in spec:
            mism += (pool[c].astype(str) != str(row[c])).to_numpy()
        else:
            span = spec["high"] - spec["low"] or 1.0
            dist += ((pool[c].to_numpy(float) - float(row[c])) / span) ** 2
    return pool.index[np.lexsort((dist, mism))[0]]


def random_points(n: int, opts: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """``n`` uniform random points of the declared design space."""
    out = {}
    for c in opts["conditions"]:
        spec = opts["schema"][c]
        if "categories" in spec:
            out[c] = [spec["categories"][i] for i in rng.integers(len(spec["categories"]), size=n)]
        else:
            out[c] = rng.uniform(spec["low"], spec["high"], size=n)
    return pd.DataFrame(out)


def _fit(measured: pd.DataFrame, opts: dict[str, Any], seed: int, threads: int) -> Synthesizer:
    # The smallest hold-out the loader accepts: two rows (the validation split then takes a
    # share of the rest for checkpoint selection, as always).
    options = {**opts, "holdout": max(0.05, 2.0 / len(measured))}
    gan = Synthesizer(domain="tabular", seed=seed, threads=threads, eval_every=0, options=options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # extrapolation / tiny-table warnings of the final eval
        return gan.fit(measured.reset_index(drop=True))


def run(
    name: str, model: str, seed: int, *, start: int, budget: int, k: int, threads: int
) -> dict[str, Any]:
    """One loop; returns the suggestions as measured and the found / found@ facts."""
    torch.set_num_threads(threads)
    df, opts = problem(name)
    target = opts["target"]
    best, best_value = best_level(df, target)
    rng = np.random.default_rng([seed, 41])
    cold = np.flatnonzero(df[LEVEL].astype(str) != best)
    measured_idx = [int(i) for i in np.sort(rng.choice(cold, size=start, replace=False))]
    steps: list[dict[str, Any]] = []
    fit_s = 0.0
    rnd = np.random.default_rng([seed, 43])
    t_all = time.perf_counter()
    rounds = 0
    while len(steps) < budget:
        kr = min(k, budget - len(steps))
        measured = df.loc[measured_idx]
        if model in ("gan", "gan_plain"):
            t0 = time.perf_counter()
            gan = _fit(measured, opts, seed, threads)
            fit_s += time.perf_counter() - t0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sug = suggest(gan, kr, measured=measured, seed=seed * 100 + rounds,
                              explore=model == "gan")  # fmt: skip
        else:
            sug = random_points(kr, opts, rnd)
        for _, row in sug.iterrows():
            pool = df.drop(index=measured_idx)
            j = int(nearest(row, pool, opts))
            measured_idx.append(j)
            steps.append(
                {
                    "round": rounds,
                    "suggested": {c: _plain(row[c]) for c in opts["conditions"]},
                    "predicted_mean": _plain(row.get("predicted_mean")),
                    "predicted_std": _plain(row.get("predicted_std")),
                    "score": _plain(row.get("score")),
                    "row": j,
                    "measured_level": str(df.at[j, LEVEL]),
                    "measured": float(df.at[j, target]),
                }
            )
        rounds += 1
    return {
        "dataset": name,
        "model": model,
        "seed": seed,
        "start": start,
        "budget": budget,
        "k": k,
        "rounds": rounds,
        "best_level": best,
        "best_value": best_value,
        "start_rows": measured_idx[:start],
        "start_best": float(df.loc[measured_idx[:start], target].max()),
        "steps": steps,
        **outcome(df.loc[measured_idx[:start]], steps, target, best, best_value),
        "fit_s": round(fit_s, 1),
        "wall_s": round(time.perf_counter() - t_all, 1),
    }


def outcome(
    start: pd.DataFrame, steps: list[dict[str, Any]], target: str, best: str, best_value: float
) -> dict[str, Any]:
    """found (the incumbent's catalyst is the best at the end), found@, tried@, regret."""
    top, top_level = float(start[target].max()), str(start.loc[start[target].idxmax(), LEVEL])
    found_at = None
    tried_at = None
    for i, s in enumerate(steps, 1):
        if s["measured_level"] == best and tried_at is None:
            tried_at = i
        if s["measured"] > top:
            top, top_level = s["measured"], s["measured_level"]
        if top_level == best and found_at is None:
            found_at = i
        elif top_level != best:
            found_at = None
    return {
        "found": top_level == best,
        "found_at": found_at,
        "tried_at": tried_at,
        "final_level": top_level,
        "final_best": top,
        "regret": best_value - top,
        "distinct_levels": len({s["suggested"][LEVEL] for s in steps}),
    }


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def summarize(path: str) -> str:
    """Markdown: per set and seed, GAN vs random vs plain EI (found@ or –, tried@, regret);
    then the found counts per model and seed."""
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    by = {(r["dataset"], r["seed"], r["model"]): r for r in rows}
    sets = list(dict.fromkeys(r["dataset"] for r in rows))
    seeds = sorted({r["seed"] for r in rows})
    head = (
        "| set | seed | best catalyst (yield) | start best | GAN found@ | GAN tried@ | GAN regret "
        "| GAN catalysts suggested | random found@ | random tried@ | random regret "
        "| plain found@ | plain tried@ |"
    )
    out = [head, "|" + "---|" * 13]

    def at(r: dict[str, Any] | None, key: str) -> str:
        if r is None:
            return ""
        return "–" if r[key] is None else str(r[key])

    for s in sets:
        for sd in seeds:
            g, r, p = (by.get((s, sd, m)) for m in ("gan", "random", "gan_plain"))
            any_r = g or r or p
            if any_r is None:
                continue
            cells = [
                s, str(sd), f"{any_r['best_level']} ({any_r['best_value']:.3g})",
                f"{any_r['start_best']:.3g}",
                at(g, "found_at"), at(g, "tried_at"), f"{g['regret']:.3g}" if g else "",
                str(g["distinct_levels"]) if g else "",
                at(r, "found_at"), at(r, "tried_at"), f"{r['regret']:.3g}" if r else "",
                at(p, "found_at"), at(p, "tried_at"),
            ]  # fmt: skip
            out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("| model | seed | Suzuki cases found (of 4) | C–N sets found (of 2) | fit s (all) |")
    out.append("|---|---|---|---|---|")
    for model in MODELS:
        for sd in seeds:
            rs = [by[(s, sd, model)] for s in sets if (s, sd, model) in by]
            if not rs:
                continue
            suz = [r for r in rs if r["dataset"] in SUZUKI]
            cn = [r for r in rs if r["dataset"] in CN]
            fit = sum(r["fit_s"] for r in rs)
            out.append(
                f"| {model} | {sd} | {sum(r['found'] for r in suz)} of {len(suz)} "
                f"| {sum(r['found'] for r in cn)} of {len(cn)} | {fit:.0f} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="*", default=SUZUKI + CN)
    p.add_argument("--models", nargs="*", default=["gan", "random"], choices=list(MODELS))
    p.add_argument("--seeds", nargs="*", type=int, default=[0])
    p.add_argument("--start", type=int, default=10, help="cold-start rows (10)")
    p.add_argument("--budget", type=int, default=10, help="suggestions in all (10)")
    p.add_argument("--rounds-k", type=int, default=5, help="suggestions per round / refit (5)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    p.add_argument("--out", help="append one JSON line per loop to this file")
    p.add_argument("--summarize", metavar="FILE", help="print the markdown tables of FILE")
    args = p.parse_args(argv)
    if args.summarize:
        print(summarize(args.summarize))
        return 0
    for name in args.datasets:
        for seed in args.seeds:
            for model in args.models:
                r = run(name, model, seed, start=args.start, budget=args.budget, k=args.rounds_k,
                        threads=args.threads)  # fmt: skip
                print(
                    f"{name:14s} s{seed} {model:6s} best {r['best_level']} "
                    f"found {r['found']} @{r['found_at']} tried @{r['tried_at']} "
                    f"regret {r['regret']:.3g} levels {r['distinct_levels']} fit {r['fit_s']}s",
                    flush=True,
                )
                if args.out:
                    with open(args.out, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
