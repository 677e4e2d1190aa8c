"""Tabular benchmark: scigan GAN, TVAE-style VAE, Gaussian copula (and ctgan when installed).

Every shipped tabular dataset, one run per (dataset, model, seed), each judged by the same
``evaluate_table`` against the same seeded hold-out (25 %), with floors from an equally large
real training subset. Prints one line per run and appends JSON lines to ``--out``.

    python benchmarks/tabular.py                                  # everything, seed 0
    python benchmarks/tabular.py --datasets suzuki_case_1 wine --models gan copula --seeds 0 1
    python benchmarks/tabular.py --out /tmp/tabular.jsonl
    python benchmarks/tabular.py --summarize /tmp/tabular.jsonl   # markdown: value (floor)
    python benchmarks/tabular.py --screen v_base.jsonl v_steps.jsonl  # a setting vs defaults

The summit/olymp wheels must be fetched first (``bash scripts/fetch_tabular_data.sh``);
datasets whose wheel is missing are skipped with a note. ctgan (BUSL-licensed, never a scigan
dependency) is benchmarked at its defaults only if it is importable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from scigan.api import Synthesizer
from scigan.domains.tabular.baselines import TVAE, GaussianCopula
from scigan.domains.tabular.data import SHIPPED, load_table, tuning_view
from scigan.domains.tabular.metrics import evaluate_table
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


_LOAD_TABLE = load_table  # the real reader (validation_split replaces the name for a run)
#: GAN settings for this run (``--gan-set KEY=VALUE``; empty: the shipped defaults)
GAN_SETTINGS: dict[str, Any] = {}


def _tuning_view(source: Any, *, options: Any, seed: int) -> Any:
    """``load_table`` for tuning: the training rows' train part to fit on, their validation
    part as the hold-out (``data.validation_view``); the test hold-out is never read."""
    return tuning_view(_LOAD_TABLE(source, options=options, seed=seed))


@contextlib.contextmanager
def validation_split(enabled: bool):
    """``--split validation``: every model (GAN, VAE, copula, ctgan) is fitted on the train
    part of the training rows and scored on their validation part, for choosing defaults."""
    if not enabled:
        yield
        return
    import scigan.domains.tabular as tabular
    import scigan.domains.tabular.baselines as baselines

    saved = tabular.TabularDomain.load, baselines.load_table, globals()["load_table"]
    tabular.TabularDomain.load = lambda self, source, **kw: _tuning_view(source, **kw)
    baselines.load_table = globals()["load_table"] = _tuning_view
    try:
        yield
    finally:
        tabular.TabularDomain.load, baselines.load_table, globals()["load_table"] = saved


def _fit(
    model: str,
    data: str,
    seed: int,
    threads: int,
    ctgan_python: str | None = None,
    budget_s: float | None = None,
) -> tuple[Any, Any, float, dict]:
    """(sample_fn, dataset, fit seconds, extra facts) for one model; ``budget_s``: ctgan's
    wall-clock budget (None: its default 300 epochs)."""
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    if model == "gan":
        gan = Synthesizer(
            domain="tabular", seed=seed, threads=threads, eval_every=0, **GAN_SETTINGS
        )
        # fit() ends with one evaluation (the engine's final eval); it is part of fit seconds.
        gan.fit(data)
        extra = {"steps": gan.state_.step, "rollbacks": gan.state_.rollbacks}
        if GAN_SETTINGS:
            extra["gan_settings"] = dict(GAN_SETTINGS)
        return (lambda k, c, s: gan.sample(k, seed=s, conditions=c)), gan.dataset_, _t(t0), extra
    if model in ("vae", "copula"):
        cls = TVAE if model == "vae" else GaussianCopula
        m = cls(seed=seed).fit(data)
        return (lambda k, c, s: m.sample(k, seed=s, conditions=c)), m.dataset_, _t(t0), {}
    return _fit_ctgan(data, seed, t0, ctgan_python or sys.executable, threads, budget_s)


def _t(t0: float) -> float:
    return time.perf_counter() - t0


class _CtganWorker:
    """ctgan at its defaults in its own interpreter (benchmarks/_ctgan_worker.py)."""

    def __init__(self, python: str, train: pd.DataFrame, discrete: list[str], seed: int,
                 threads: int, budget_s: float | None) -> None:  # fmt: skip
        self.tmp = Path(tempfile.mkdtemp(prefix="scigan-ctgan-"))
        train.to_csv(self.tmp / "train.csv", index=False)
        worker = Path(__file__).with_name("_ctgan_worker.py")
        self.proc = subprocess.Popen(
            [python, str(worker)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.calls = 0
        init = {"train": str(self.tmp / "train.csv"), "discrete": discrete, "seed": seed,
                "threads": threads, "budget_s": budget_s}  # fmt: skip
        reply = self._ask(init)
        self.fit_s, self.epochs = float(reply["fit_s"]), int(reply["epochs"])

    def _ask(self, req: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"ctgan worker exited with {self.proc.wait()}")
        return json.loads(line)

    def sample(self, k: int, seed: int, column: str | None, values: pd.Series | None):
        self.calls += 1
        out = self.tmp / f"sample-{self.calls}.csv"
        req: dict[str, Any] = {"k": int(k), "seed": int(seed), "out": str(out), "column": column}
        if column is not None and values is not None:
            req["values"] = str(self.tmp / f"values-{self.calls}.csv")
            values.rename(column).to_frame().to_csv(req["values"], index=False)
        self._ask(req)
        return pd.read_csv(out)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _fit_ctgan(data: str, seed: int, t0: float, python: str, threads: int, budget_s: float | None):
    """ctgan on the same training rows, at its defaults or with its epochs raised to a
    wall-clock budget (``budget_s``); conditions via its own API.

    ctgan conditions on one categorical column only: the first categorical condition is passed
    through ``condition_column``/``condition_value``; numeric conditions cannot be requested,
    which the condition hit rate then shows.
    """
    exp = load_table(data, options=SHIPPED[data].options, seed=seed) if data in SHIPPED else None
    if exp is None:
        exp = load_table(data, options={}, seed=seed)
    train = exp.train.reset_index(drop=True)
    discrete = [c.name for c in exp.schema.columns if c.discrete]
    worker = _CtganWorker(python, train[exp.schema.names], discrete, seed, threads, budget_s)
    first = next((c for c in exp.schema.conditions if c in discrete), None)

    def sample(k: int, conditions: Any, s: int) -> pd.DataFrame:
        if conditions is None or first is None:
            rows = worker.sample(k, s, None, None)
        else:
            rows = worker.sample(k, s, first, conditions[first].reset_index(drop=True))
        for c in discrete:  # ctgan saw these as strings; give back the training dtype
            if train[c].dtype != object:
                rows[c] = pd.to_numeric(rows[c], errors="coerce").astype(train[c].dtype)
        return rows[exp.schema.names]

    _WORKERS.append(worker)
    extra = {"wall_s": round(_t(t0), 1), "epochs": worker.epochs, "budget_s": budget_s}
    return sample, exp, worker.fit_s, extra


_WORKERS: list[_CtganWorker] = []


def run(
    data: str,
    model: str,
    seed: int,
    n: int,
    threads: int,
    ctgan_python: str | None = None,
    budget_s: float | None = None,
) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sample, ds, fit_s, extra = _fit(model, data, seed, threads, ctgan_python, budget_s)
        try:
            with threadpool_limits(limits=1):
                t0 = time.perf_counter()
                metrics = evaluate_table(sample, ds, n=n, seed=seed)
                eval_s = _t(t0)
        finally:
            while _WORKERS:
                _WORKERS.pop().close()
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


def _read_rows(path: str) -> list[dict[str, Any]]:
    """The JSON lines of a ``--out`` file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def summarize(path: str) -> str:
    """Markdown table (mean over seeds ± sd when several) from a ``--out`` file."""
    rows = _read_rows(path)
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
            spread = f" ±{np.std(v, ddof=1):.2f}" if len(v) > 1 else ""
            cells.append(f"{np.nanmean(v):.2f}{spread} ({np.nanmean(f):.2f})")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def side_by_side(path: str) -> str:
    """One row per set: TSTR of every model (mean ± sd over seeds), TRTR, the GAN's detection
    distance |AUC − 0.5| (floor), fit seconds of the GAN and ctgan and ctgan's epochs."""
    rows = _read_rows(path)
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    models = [m for m in MODELS if any(r["model"] == m for r in rows)]
    head = ["dataset", "seeds", *(f"TSTR {m}" for m in models), "TRTR", "detect GAN (floor)"]
    has_ctgan = "ctgan" in models
    head += ["fit s GAN / ctgan", "ctgan epochs"] if has_ctgan else ["fit s GAN"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def cell(vals: list[float]) -> str:
        v = np.asarray(vals, dtype=float)
        return f"{v.mean():.2f} ±{v.std(ddof=1):.2f}" if len(v) > 1 else f"{v.mean():.2f}"

    for data in datasets:
        by = {m: [r for r in rows if r["dataset"] == data and r["model"] == m] for m in models}
        gan = by.get("gan", [])
        tstr = {m: [r["metrics"]["tstr"]["value"] for r in rs] for m, rs in by.items()}
        best = max((np.mean(v), m) for m, v in tstr.items() if v)[1]
        cells = [data, str(len(gan))]
        for m in models:
            c = cell(tstr[m]) if tstr[m] else ""
            cells.append(f"**{c}**" if m == best else c)
        cells.append(f"{np.mean([r['metrics']['tstr']['floor'] for r in gan]):.2f}" if gan else "")
        det = [r["metrics"]["detection_auc"] for r in gan]
        cells.append(
            f"{np.mean([d['value'] for d in det]):.2f} ({np.mean([d['floor'] for d in det]):.2f})"
            if det
            else ""
        )
        ct = by.get("ctgan", [])
        fit = [np.mean([r["fit_s"] for r in rs]) if rs else float("nan") for rs in (gan, ct)]
        if has_ctgan:
            cells.append(f"{fit[0]:.0f} / {fit[1]:.0f}")
            cells.append(", ".join(str(r.get("epochs")) for r in ct))
        else:
            cells.append(f"{fit[0]:.0f}")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _mean(rows: list[dict[str, Any]], data: str, model: str, key: str, part: str = "value"):
    """Mean over seeds of a metric's ``value`` (or ``floor``) for one dataset and model."""
    vals = [r["metrics"][key][part] for r in rows
            if r["dataset"] == data and r["model"] == model and key in r["metrics"]]  # fmt: skip
    return float(np.mean(vals)) if vals else float("nan")


def targets(path: str) -> str:
    """Issue 26's targets, each with the measured value and met / **missed** (seed means)."""
    rows = _read_rows(path)
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    models = {r["model"] for r in rows}
    out = ["| target | measured (scigan GAN, mean over seeds) | met |", "|---|---|---|"]

    def add(target: str, measured: str, ok: bool) -> None:
        out.append(f"| {target} | {measured} | {'yes' if ok else '**missed**'} |")

    ratio = {d: _mean(rows, d, "gan", "tstr_ratio") for d in datasets}
    low = [f"{d} {v:.2f}" for d, v in ratio.items() if not v >= 0.9]
    add(
        "TSTR/TRTR ≥ 0.9 on every set",
        f"{len(datasets) - len(low)} of {len(datasets)}"
        + (f"; below: {', '.join(low)}" if low else ""),
        not low,
    )
    fit = {d: max(r["fit_s"] for r in rows if r["dataset"] == d and r["model"] == "gan")
           for d in datasets}  # fmt: skip
    slow = [f"{d} {v:.0f} s" for d, v in fit.items() if v > 120]
    add("GAN fit ≤ 120 s on every set (max over seeds)",
        f"max {max(fit.values()):.0f} s" + (f"; over: {', '.join(slow)}" if slow else ""),
        not slow)  # fmt: skip
    for other in ("vae", "copula", "ctgan"):
        if other not in models:
            continue
        wins = [d for d in datasets
                if _mean(rows, d, "gan", "tstr") > _mean(rows, d, other, "tstr")]  # fmt: skip
        lost = [d for d in datasets if d not in wins]
        add(f"TSTR beats {other} on a majority of sets",
            f"{len(wins)} of {len(datasets)}" + (f"; not: {', '.join(lost)}" if lost else ""),
            2 * len(wins) > len(datasets))  # fmt: skip
    hits = [r["metrics"]["condition_hit_rate"]["value"] for r in rows
            if r["model"] == "gan" and "condition_hit_rate" in r["metrics"]]  # fmt: skip
    if hits:
        out.append(f"| condition hit rate (reported, holds by construction: not a target) | "
                   f"min {min(hits):.3f} over {len(hits)} runs | — |")  # fmt: skip
    suz = [d for d in datasets if d.startswith("suzuki_case_")]
    if suz:
        seeds = sorted({r["seed"] for r in rows if r["dataset"] in suz and r["model"] == "gan"})
        won = {
            sd: sum(r["metrics"]["best_condition_recovered"]["value"] == 1 for r in rows
                    if r["dataset"] in suz and r["model"] == "gan" and r["seed"] == sd)
            for sd in seeds
        }  # fmt: skip
        text = ", ".join(f"seed {sd}: {w} of {len(suz)}" for sd, w in won.items())
        add("best catalyst has the best generated mean yield in ≥ 3 of 4 Suzuki cases (per seed)",
            text, all(w >= 3 for w in won.values()))  # fmt: skip
    return "\n".join(out)


def _clipped_tstr(rows: list[dict[str, Any]], model: str) -> dict[tuple[str, int], float]:
    """TSTR of each (set, seed) run of ``model``, R² clipped at −1 (one diverged regression fit
    would swamp a mean)."""
    return {
        (r["dataset"], r["seed"]): max(float(r["metrics"]["tstr"]["value"]), -1.0)
        for r in rows
        if r["model"] == model
    }


def screen(base_path: str, other_paths: list[str]) -> str:
    """One markdown row per screen file: a GAN setting against the shipped defaults.

    ``base_path`` holds the shipped GAN (and the VAE) on the same split, sets and seeds. Per
    screen: the (set, seed) pairs whose GAN TSTR beats the shipped GAN's, the mean difference
    (R² clipped at −1), and the sets where the screen's GAN (mean over seeds) beats the base
    file's VAE. Only pairs present in both files count."""
    base = _read_rows(base_path)
    ref, vae = _clipped_tstr(base, "gan"), _clipped_tstr(base, "vae")
    out = [
        "| screen | GAN setting | (set, seed) pairs better than the shipped defaults | "
        "mean Δ TSTR (R² clipped at −1) | sets where the GAN beats the VAE (seed means) |",
        "|---|---|---|---|---|",
    ]

    def beats_vae(tstr: dict[tuple[str, int], float]) -> str:
        common = [k for k in tstr if k in vae]
        sets = {d for d, _ in common}
        wins = sum(np.mean([tstr[k] - vae[k] for k in common if k[0] == d]) > 0 for d in sets)
        return f"{wins} of {len(sets)}"

    out.append(f"| {Path(base_path).name} | shipped defaults | — | — | {beats_vae(ref)} |")
    for path in other_paths:
        rows = [r for r in _read_rows(path) if r["model"] == "gan"]
        tstr = _clipped_tstr(rows, "gan")
        keys = [k for k in tstr if k in ref]
        if not keys:
            out.append(f"| {Path(path).name} | | no (set, seed) pair in common | | |")
            continue
        settings = rows[0].get("gan_settings", {})
        label = " ".join(f"{k}={json.dumps(v)}" for k, v in settings.items()) or "(none)"
        better = sum(tstr[k] > ref[k] for k in keys)
        diff = float(np.mean([tstr[k] - ref[k] for k in keys]))
        out.append(
            f"| {Path(path).name} | `{label}` | {better} of {len(keys)} | {diff:+.3f} | "
            f"{beats_vae({k: tstr[k] for k in keys})} |"
        )
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
    p.add_argument(
        "--screen",
        nargs="+",
        metavar="FILE",
        help="compare GAN settings with the shipped defaults and exit: the first FILE is the "
        "shipped GAN and VAE (--models gan vae), the others --gan-set runs on the same split, "
        "sets and seeds",
    )
    p.add_argument(
        "--ctgan-python",
        default=None,
        help="python of an environment with ctgan (bash scripts/setup_ctgan_bench.sh makes "
        ".bench-ctgan-venv, used automatically when present); default: this interpreter",
    )
    p.add_argument(
        "--ctgan-budget",
        choices=("gan", "default"),
        default="gan",
        help="gan (default): ctgan's epochs raised (never below its 300) until its fit takes "
        "as long as the GAN's fit of the same set and seed in this run (the GAN must be among "
        "--models); default: ctgan's own 300 epochs",
    )
    p.add_argument(
        "--split",
        choices=("test", "validation"),
        default="test",
        help="test (default): fit on the training rows, score on the test hold-out (the "
        "reported numbers); validation: fit on the training rows' train part, score on their "
        "validation part (for choosing defaults; the test hold-out is not read)",
    )
    p.add_argument(
        "--gan-set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="GAN settings other than the shipped defaults (e.g. steps=3000 pac=1), values "
        "parsed as JSON where they parse; recorded in each row",
    )
    args = p.parse_args(argv)
    for kv in args.gan_set:
        key, _, value = kv.partition("=")
        try:
            GAN_SETTINGS[key] = json.loads(value)
        except json.JSONDecodeError:
            GAN_SETTINGS[key] = value
    if args.screen:
        print(screen(args.screen[0], args.screen[1:]))
        return 0
    if args.summarize:
        print(side_by_side(args.summarize))
        print()
        print(summarize(args.summarize))
        print()
        print(targets(args.summarize))
        return 0
    models = list(args.models)
    if "ctgan" in models:
        local = Path(__file__).parents[1] / ".bench-ctgan-venv" / "bin" / "python"
        py = args.ctgan_python or (str(local) if local.exists() else sys.executable)
        found = subprocess.run([py, "-c", "import ctgan"], capture_output=True).returncode == 0
        if found:
            args.ctgan_python = py
        else:
            print("note: ctgan is not installed (bash scripts/setup_ctgan_bench.sh); "
                  "its column is skipped", file=sys.stderr)  # fmt: skip
            models.remove("ctgan")
    print("value/floor; floor = same metric for an equally large real training subset "
          "(TSTR floor = TRTR)")  # fmt: skip
    if "ctgan" in models and args.ctgan_budget == "gan" and "gan" not in models:
        p.error("--ctgan-budget gan needs the gan model in --models (or --ctgan-budget default)")
    models.sort(key=MODELS.index)  # the GAN first: its fit time is ctgan's budget
    for data in args.datasets:
        for seed in args.seeds:
            budget = None
            for model in models:
                try:
                    with validation_split(args.split == "validation"):
                        row = run(
                            data, model, seed, args.n, args.threads, args.ctgan_python,
                            budget if args.ctgan_budget == "gan" else None,
                        )  # fmt: skip
                    row["split"] = args.split
                except DataError as exc:
                    print(f"{data:22s} {model:6s} skipped: {exc}", file=sys.stderr)
                    break
                if model == "gan":
                    budget = row["fit_s"]
                print(_fmt(row), flush=True)
                if args.out:
                    with open(args.out, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(row, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
