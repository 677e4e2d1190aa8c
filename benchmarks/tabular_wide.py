"""Wide numeric tables (issue 26): TSTR/TRTR of the tabular GAN on scikit-learn's digits.

The issue's protocol, on a user CSV: a seeded random 75/25 split of the table; the training
part is written to a CSV and fitted with shipped defaults; an independent random forest is
trained on as many generated rows as there are training rows and scored (accuracy) on the
real held-out rows (TSTR); TRTR is the same forest trained on the real training rows.

    python benchmarks/tabular_wide.py --data digits --seeds 0 1 --threads 1 --out /tmp/wide.jsonl
    python benchmarks/tabular_wide.py --data wine --seeds 0   # shipped sets, same protocol

``--model tvae`` / ``--model copula`` fits the project's baselines
(:mod:`scigan.domains.tabular.baselines`, their defaults) on the same CSV instead of the GAN.

``--set KEY=VALUE`` passes a data option (YAML value) to try a variant, e.g.
``--set schema='{target: {type: categorical}}'``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import yaml
from sklearn import datasets
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from scigan import Synthesizer

LOADERS = {
    "digits": datasets.load_digits,
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
}


def table(name: str) -> pd.DataFrame:
    """The scikit-learn frame: feature columns + ``target``."""
    return LOADERS[name](as_frame=True).frame


def forest_accuracy(train: pd.DataFrame, test: pd.DataFrame, seed: int) -> float:
    x, y = train.drop(columns="target"), train["target"].round().astype(int)
    rf = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1).fit(x, y)
    return float(rf.score(test.drop(columns="target"), test["target"].astype(int)))


def run(
    name: str,
    seed: int,
    threads: int,
    options: dict[str, Any],
    hyper: dict[str, Any],
    run_dir: str | None = None,
    model: str = "gan",
) -> dict:
    torch.set_num_threads(threads)
    frame = table(name)
    train, test = train_test_split(frame, test_size=0.25, random_state=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.csv"
        train.to_csv(path, index=False)
        hyper = {**hyper, "seed": seed, "threads": threads}
        if options:
            hyper["options"] = options
        t0, c0 = time.perf_counter(), time.process_time()
        if model == "gan":
            gan = Synthesizer(domain="tabular", **hyper).fit(
                str(path), out=f"{run_dir}-{name}-{seed}" if run_dir else None
            )
            steps = gan.state_.step
        else:
            from scigan.domains.tabular.baselines import TVAE, GaussianCopula

            kw = {k: v for k, v in hyper.items() if k not in ("threads", "options")}
            gan = (TVAE if model == "tvae" else GaussianCopula)(**kw, options=options)
            gan.fit(str(path))
            steps = getattr(gan, "steps", 0)
        fit_s = time.perf_counter() - t0
        fit_cpu_s = time.process_time() - c0
        kinds = {c.name: c.kind for c in gan.dataset_.schema.columns}
        fake = gan.sample(len(train), seed=seed + 1000)
    fake = fake[train.columns]
    trtr = forest_accuracy(train, test, seed)
    tstr = forest_accuracy(fake, test, seed)
    counts = fake["target"].round().value_counts(normalize=True)
    return {
        "data": name,
        "model": model,
        "seed": seed,
        "options": options,
        "hyper": {k: v for k, v in hyper.items() if k not in ("seed", "threads", "options")},
        "n_train": len(train),
        "n_test": len(test),
        "fit_s": round(fit_s, 1),
        "fit_cpu_s": round(fit_cpu_s, 1),
        "steps": steps,
        "tstr": round(tstr, 4),
        "trtr": round(trtr, 4),
        "ratio": round(tstr / trtr, 4),
        "kinds": {k: sum(v == k for v in kinds.values()) for k in set(kinds.values())},
        "target_kind": kinds["target"],
        "fake_target_levels": int(counts.size),
        "fake_target_top": round(float(counts.iloc[0]), 3),
        "fake_unique_rows": int(fake.drop_duplicates().shape[0]),
        "fake_col_std_mean": round(float(fake.drop(columns="target").std().mean()), 3),
        "real_col_std_mean": round(float(train.drop(columns="target").std().mean()), 3),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", default=["digits"], choices=sorted(LOADERS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--hyper",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training hyperparameter, e.g. pac=1",
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--model", default="gan", choices=["gan", "tvae", "copula"])
    p.add_argument("--run-dir", default=None, help="prefix of run folders (losses, timing)")
    p.add_argument("--out", default=None, help="append one JSON line per run")
    a = p.parse_args(argv)
    options = {}
    for item in a.set:
        key, _, value = item.partition("=")
        options[key] = yaml.safe_load(value)
    hyper = {}
    for item in a.hyper:
        key, _, value = item.partition("=")
        hyper[key] = yaml.safe_load(value)
    for name in a.data:
        for seed in a.seeds:
            row = run(name, seed, a.threads, options, hyper, a.run_dir, a.model)
            print(json.dumps(row), flush=True)
            if a.out:
                with open(a.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
