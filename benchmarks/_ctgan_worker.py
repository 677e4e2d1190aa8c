"""ctgan in its own environment (see scripts/setup_ctgan_bench.sh), driven over stdin/stdout.

Protocol, one JSON object per line. First line: ``{"train": CSV, "discrete": [...],
"seed": S, "threads": T}`` → fits ``CTGAN()`` at its defaults, replies ``{"fit_s": seconds}``.
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
    t0 = time.perf_counter()
    model = CTGAN()
    model.fit(train, discrete_columns=init["discrete"])
    print(json.dumps({"fit_s": time.perf_counter() - t0}), flush=True)
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
