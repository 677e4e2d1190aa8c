"""ctgan in its own environment (see scripts/setup_ctgan_bench.sh), driven over stdin/stdout.

Protocol, one JSON object per line. First line: ``{"train": CSV, "discrete": [...],
"seed": S, "threads": T, "budget_s": B|null}`` → fits ``CTGAN()`` at its defaults (300 epochs),
or, given a wall-clock budget B, with the epochs raised so that the fit takes about B seconds
(never fewer than the default 300; short probe fits, not counted, measure the fixed cost and the
seconds per epoch), and replies ``{"fit_s": seconds, "epochs": E}``.
Then each request ``{"k": K, "seed": S, "out": CSV, "column": NAME|null, "values": CSV|null}``
writes K rows to ``out`` (per-row condition values of ``column`` read from ``values``, through
ctgan's own ``condition_column``/``condition_value``) and replies ``{"ok": true}``. Runs with
ctgan's interpreter only; it never imports scigan.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch


def budget_epochs(train: pd.DataFrame, discrete: list[str], budget_s: float) -> int:
    """Epochs for a fit of about ``budget_s`` seconds: after a warm-up fit (imports, first
    allocations), fits of 5 and 25 epochs give the fixed cost (the mode-specific normalisation)
    and the seconds per epoch."""
    from ctgan import CTGAN

    CTGAN(epochs=1).fit(train, discrete_columns=discrete)
    took = []
    for e in (5, 25):
        t0 = time.perf_counter()
        CTGAN(epochs=e).fit(train, discrete_columns=discrete)
        took.append(time.perf_counter() - t0)
    per_epoch = max((took[1] - took[0]) / 20, took[1] / 250)
    fixed = max(took[0] - 5 * per_epoch, 0.0)
    return int((budget_s - fixed) / per_epoch)


def main() -> None:
    warnings.simplefilter("ignore")
    from ctgan import CTGAN

    init = json.loads(sys.stdin.readline())
    torch.set_num_threads(int(init.get("threads", 1)))
    torch.manual_seed(init["seed"])
    np.random.seed(init["seed"])
    train = pd.read_csv(init["train"])
    for c in init["discrete"]:
        train[c] = train[c].astype(str)
    epochs = 300  # ctgan's default
    if init.get("budget_s"):
        epochs = max(epochs, budget_epochs(train, init["discrete"], float(init["budget_s"])))
        torch.manual_seed(init["seed"])
        np.random.seed(init["seed"])
    t0 = time.perf_counter()
    model = CTGAN(epochs=epochs)
    model.fit(train, discrete_columns=init["discrete"])
    print(json.dumps({"fit_s": time.perf_counter() - t0, "epochs": epochs}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        torch.manual_seed(req["seed"])
        np.random.seed(req["seed"])
        if req.get("column") is None:
            rows = model.sample(req["k"])
        else:
            values = pd.read_csv(req["values"])[req["column"]].astype(str)
            parts = []
            for value, idx in values.groupby(values).groups.items():
                got = model.sample(len(idx), condition_column=req["column"], condition_value=value)
                parts.append(got.set_index(pd.Index(idx)))
            rows = pd.concat(parts).sort_index()
        rows.to_csv(req["out"], index=False)
        print(json.dumps({"ok": True}), flush=True)


if __name__ == "__main__":
    main()
