"""Tabular benchmark: scigan GAN, TVAE-style VAE, Gaussian copula (and ctgan when installed).

Every shipped tabular dataset, one run per (dataset, model, seed), each judged by the same
``evaluate_table`` against the same seeded hold-out (25 %), with floors from an equally large
real training subset. Prints one line per run and appends JSON lines to ``--out``.

    python benchmarks/tabular.py                                  # everything, seed 0
    python benchmarks/tabular.py --datasets suzuki_case_1 wine --models gan copula --seeds 0 1
    python benchmarks/tabular.py --out /tmp/tabular.jsonl
    python benchmarks/tabular.py --summarize /tmp/tabular.jsonl   # markdown: value (floor)

The summit/olymp wheels must be fetched first (``bash scripts/fetch_tabular_data.sh``);
datasets whose wheel is missing are skipped with a note. ctgan (BUSL-licensed, never a scigan
dependency) is benchmarked at its defaults only if it is importable.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from scigan.api import Synthesizer
from scigan.domains.tabular import evaluate_table, load_table
from scigan.domains.tabular.baselines import TVAE, GaussianCopula
from scigan.domains.tabular.data import SHIPPED
from scigan.errors import DataError

MODELS = ("gan", "vae", "copula", "ctgan")
COLUMNS = (
    ("column_shape", "shape"),
    ("column_pair_trend", "trend"),
    ("detection_auc", "detect"),
    ("tstr", "TSTR"),
    ("tstr_ratio", "ratio"),
    ("condition_hit_rate", "hit"),
    ("condition_mean_spearman", "rho"),
    ("best_condition_recovered", "best"),
)


def _fit(model: str, data: str, seed: int, threads: int) -> tuple[Any, Any, float, dict]:
    """(sample_fn, dataset, fit seconds, extra facts) for one model."""
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    if model == "gan":
        gan = Synthesizer(domain="tabular", seed=seed, threads=threads, eval_every=0)
        # fit() ends with one evaluation (the engine's final eval); it is part of fit seconds.
        gan.fit(data)
        extra = {"steps": gan.state_.step, "rollbacks": gan.state_.rollbacks}
        return (lambda k, c, s: gan.sample(k, seed=s, conditions=c)), gan.dataset_, _t(t0), extra
    if model in ("vae", "copula"):
        cls = TVAE if model == "vae" else GaussianCopula
        m = cls(seed=seed).fit(data)
        return (lambda k, c, s: m.sample(k, seed=s, conditions=c)), m.dataset_, _t(t0), {}
    return _fit_ctgan(data, seed, t0)


def _t(t0: float) -> float:
    return time.perf_counter() - t0


def _fit_ctgan(data: str, seed: int, t0: float):
    """ctgan at its defaults on the same training rows; conditions via its own API."""
    from ctgan import CTGAN

    ds = load_table(data, options={}, seed=seed)
    exp = load_table(data, options=SHIPPED[data].options, seed=seed) if data in SHIPPED else ds
    train = exp.train.reset_index(drop=True)
    discrete = [c.name for c in exp.schema.columns if c.discrete]
    torch.manual_seed(seed)
    model = CTGAN()
    model.fit(train, discrete_columns=discrete)
    first = next((c for c in exp.schema.conditions if c in discrete), None)

    def sample(k: int, conditions: Any, s: int) -> pd.DataFrame:
        torch.manual_seed(s)
        np.random.seed(s)
        if conditions is None or first is None:
            return model.sample(k)[exp.schema.names]
        parts = []
        for value, idx in conditions.groupby(first).groups.items():
            rows = model.sample(len(idx), condition_column=first, condition_value=value)
            parts.append(rows.set_index(pd.Index(idx)))
        return pd.concat(parts).sort_index()[exp.schema.names].reset_index(drop=True)

    return sample, exp, _t(t0), {}


def run(data: str, model: str, seed: int, n: int, threads: int) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sample, ds, fit_s, extra = _fit(model, data, seed, threads)
        with threadpool_limits(limits=1):
            t0 = time.perf_counter()
            metrics = evaluate_table(sample, ds, n=n, seed=seed)
            eval_s = _t(t0)
    return {
        "dataset": data,
        "model": model,
        "seed": seed,
        "fit_s": round(fit_s, 1),
        "eval_s": round(eval_s, 1),
        "n_train": len(ds.train),
        "n_holdout": len(ds.holdout),
        "metrics": metrics,
        **extra,
    }


def _fmt(row: dict[str, Any]) -> str:
    parts = [f"{row['dataset']:22s} {row['model']:6s} s{row['seed']} fit {row['fit_s']:6.1f}s"]
    for key, short in COLUMNS:
        m = row["metrics"].get(key)
        if m is not None:
            parts.append(f"{short} {m['value']:.3f}/{m['floor']:.3f}")
    return "  ".join(parts)


def summarize(path: str) -> str:
    """Markdown table (mean over seeds; ± half-range when several) from a ``--out`` file."""
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["model"]), []).append(r)
    head = ["dataset", "model", "seeds", "fit s"] + [short for _, short in COLUMNS]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (data, model), rs in groups.items():
        cells = [data, model, str(len(rs)), f"{np.mean([r['fit_s'] for r in rs]):.0f}"]
        for key, _ in COLUMNS:
            vals = [r["metrics"][key] for r in rs if key in r["metrics"]]
            if not vals:
                cells.append("")
                continue
            v = np.array([m["value"] for m in vals], dtype=float)
            f = np.array([m["floor"] for m in vals], dtype=float)
            spread = f" ±{np.ptp(v) / 2:.2f}" if len(v) > 1 else ""
            cells.append(f"{np.nanmean(v):.2f}{spread} ({np.nanmean(f):.2f})")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="*", default=list(SHIPPED))
    p.add_argument("--models", nargs="*", default=list(MODELS), choices=MODELS)
    p.add_argument("--seeds", nargs="*", type=int, default=[0])
    p.add_argument("-n", type=int, default=1000, help="generated rows per evaluation (cap)")
    p.add_argument("--threads", type=int, default=1, help="torch threads for fitting")
    p.add_argument("--out", help="append one JSON line per run to this file")
    p.add_argument("--summarize", metavar="FILE", help="print a markdown table of FILE and exit")
    args = p.parse_args(argv)
    if args.summarize:
        print(summarize(args.summarize))
        return 0
    models = list(args.models)
    if "ctgan" in models:
        try:
            import ctgan  # noqa: F401
        except ImportError:
            print("note: ctgan is not installed; its column is skipped", file=sys.stderr)
            models.remove("ctgan")
    print("value/floor; floor = same metric for an equally large real training subset "
          "(TSTR floor = TRTR)")  # fmt: skip
    for data in args.datasets:
        for seed in args.seeds:
            for model in models:
                try:
                    row = run(data, model, seed, args.n, args.threads)
                except DataError as exc:
                    print(f"{data:22s} {model:6s} skipped: {exc}", file=sys.stderr)
                    break
                print(_fmt(row), flush=True)
                if args.out:
                    with open(args.out, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(row, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
