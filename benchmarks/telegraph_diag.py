"""Telegraph-series diagnostics of a cellgrowth run against the simulator's validation sample.

Prints, for ``-n`` generated series of the run's EMA generator (and its raw generator), the
stationary mean, variance, Fano factor, the spread of per-series means, the fraction of zero
counts and the autocorrelation at lags 1, 4, 8, 16 beside the validation sample's and the exact
values; z-scores against the validation sample (jackknife standard errors of both, the generated
one scaled to 1,000 series, the benchmark's N); the autocorrelation difference per lag; and the
ratio of the mean periodograms per frequency k. Reads the validation sample only (never the test
sample), so it can inform choices; the fields README's "Telegraph series" cites its numbers.

    python benchmarks/telegraph_diag.py RUN [--checkpoint best] [-n 5000] [--seed 123]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from scigan.api import Synthesizer
from scigan.domains.fields import data as fdata
from scigan.domains.fields.exact import telegraph_moments
from scigan.domains.fields.metrics import (
    mean_periodogram,
    series_standard_errors,
    series_statistics,
)
from scigan.sampling import generate

LAGS = 16


def describe(name: str, x: np.ndarray) -> None:
    st = series_statistics(x, LAGS)
    ac = st["autocorr"]
    print(
        f"{name:10s} n={len(x)} mean {st['mean']:.3f} var {st['variance']:.2f} "
        f"fano {st['fano']:.3f} var(series means) {x.mean(axis=1).var():.2f} "
        f"zeros {(x == 0).mean():.4f} acf 1/4/8/16 {ac[1]:.3f} {ac[4]:.3f} {ac[8]:.3f} {ac[16]:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", help="a cellgrowth run folder")
    p.add_argument("--checkpoint", default="latest", help="latest (default) or best")
    p.add_argument("-n", type=int, default=5000, help="generated series (default 5000)")
    p.add_argument("--seed", type=int, default=123, help="sampling seed")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    syn = Synthesizer.load(args.run, checkpoint=args.checkpoint)
    cfg = syn.config_
    train = fdata.load_builtin("cellgrowth", dict(cfg.options), int(cfg.seed))
    params = train.info["params"]
    val = np.asarray(fdata.heldout(train, "validation").samples, dtype=np.float64)[:, 0]
    ema = np.asarray(syn.sample(args.n, seed=args.seed), dtype=np.float64)[:, 0]
    raw = np.asarray(
        generate(syn.state_.G, syn.encoder_, cfg.net.z_dim, args.n, args.seed), dtype=np.float64
    )[:, 0]
    lags = np.arange(LAGS + 1) * params["dt"]
    exact = telegraph_moments(params["k_on"], params["k_off"], params["k_m"], params["gamma"], lags)
    e = exact["autocorr"]
    print(
        f"exact      mean {exact['mean']:.3f} var {exact['variance']:.2f} fano {exact['fano']:.3f} "
        f"acf 1/4/8/16 {e[1]:.3f} {e[4]:.3f} {e[8]:.3f} {e[16]:.3f}"
    )
    describe("validation", val)
    describe("EMA G", ema)
    describe("raw G", raw)

    g, v = series_statistics(ema, LAGS), series_statistics(val, LAGS)
    eg, ev = series_standard_errors(ema, LAGS), series_standard_errors(val, LAGS)
    k = np.sqrt(len(ema) / 1000)  # the generated standard error at the benchmark's N = 1,000
    z = {
        key: (g[key] - v[key]) / np.hypot(eg[key] * k, ev[key])
        for key in ("mean", "variance", "fano")
    }
    za = (g["autocorr"] - v["autocorr"])[1:] / np.hypot(eg["autocorr"][1:] * k, ev["autocorr"][1:])
    print(
        "z vs validation (EMA G, N scaled to 1,000): "
        + ", ".join(f"{key} {val_:+.2f}" for key, val_ in z.items())
        + f", autocorrelation max |z| {np.abs(za).max():.2f} (lag {np.abs(za).argmax() + 1})"
    )
    print("lag  gen − val  gen − exact  val − exact  se(val)")
    for lag in range(1, LAGS + 1):
        print(
            f"{lag:3d}  {g['autocorr'][lag] - v['autocorr'][lag]:+.4f}    "
            f"{g['autocorr'][lag] - e[lag]:+.4f}      {v['autocorr'][lag] - e[lag]:+.4f}      "
            f"{ev['autocorr'][lag]:.4f}"
        )
    ratio = mean_periodogram(ema)[1:] / mean_periodogram(val)[1:]
    print("periodogram ratio EMA G / validation, k = 1 …:")
    print(" ".join(f"{i}:{r:.3f}" for i, r in enumerate(ratio, start=1)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
