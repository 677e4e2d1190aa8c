"""``scigan demo``: a short run on one default dataset per science, then one combined report.

Each domain that has landed declares a ``demo`` (:class:`DemoSpec`) on its class: a small,
exactly checkable job that trains in a few minutes on 2 CPU cores. The demo trains each,
writes each run's own ``report.html``, and a combined ``report.html`` at the top of the demo
folder with every domain's headline metric beside its real-vs-real floor (N and seed stated)
and the domain's first figure. A domain whose optional dependencies or data are missing is
listed as skipped with the reason (never silently dropped, never counted as a pass).
"""

from __future__ import annotations

import datetime as _dt
import html
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scigan.domains.base import DemoSpec
from scigan.errors import DataError, MissingDependencyError, OutputError


@dataclass
class DemoResult:
    domain: str
    spec: DemoSpec
    run_dir: Path | None = None
    metric: dict[str, Any] | None = None
    n: int | None = None
    seed: int | None = None
    seconds: float = 0.0
    skipped: str | None = None
    figure_uri: str | None = None
    figure_title: str = ""


def demo_specs(domains: Sequence[str] | None = None) -> list[tuple[str, DemoSpec]]:
    """(domain, spec) for every registered domain that declares a demo (or those named)."""
    import scigan.domains  # noqa: F401  (register)
    from scigan.registry import DOMAINS

    names = list(domains) if domains else DOMAINS.names()
    out = []
    for name in names:
        spec = DOMAINS.get(name).demo
        if spec is not None:
            out.append((name, spec))
        elif domains:
            raise DataError(f"domain '{name}' has no demo; domains with one: {_with_demo()}")
    return out


def _with_demo() -> str:
    from scigan.registry import DOMAINS

    return ", ".join(n for n in DOMAINS.names() if DOMAINS.get(n).demo)


def run_demo(
    out: str | Path,
    *,
    domains: Sequence[str] | None = None,
    seed: int = 0,
    progress: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    """Train every demo, write each run's report and the combined ``out/report.html``."""
    from scigan.api import Synthesizer
    from scigan.core.checkpoint import atomic_write_text
    from scigan.report import write_report
    from scigan.report.html import figure_to_data_uri

    root = Path(out)
    if root.exists() and any(root.iterdir()):
        raise OutputError(f"{root}: folder exists and is not empty; choose a new --out")
    specs = demo_specs(domains)  # unknown domains fail before anything runs
    parent = root
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise OutputError(f"{root}: cannot write below {parent}; choose a writable --out folder")
    results: list[DemoResult] = []
    for name, spec in specs:
        res = DemoResult(name, spec)
        results.append(res)
        log(f"[demo] {spec.science}: {name} / {spec.data} ...")
        t0 = time.perf_counter()
        try:
            gan = Synthesizer(domain=name, seed=seed, options=dict(spec.options), **spec.settings)
            gan.fit(spec.data, out=root / name, progress=progress)
            evaluation, figures = gan.evaluate_with_figures(seed=seed)
            write_report(gan.run_dir_, evaluation=evaluation, figures=figures)
        except (MissingDependencyError, DataError) as exc:
            res.skipped = str(exc)
            log(f"[demo]   skipped: {exc}")
            continue
        res.seconds = time.perf_counter() - t0
        res.run_dir = gan.run_dir_
        res.n, res.seed = evaluation["n"], evaluation["seed"]
        res.metric = evaluation["metrics"].get(spec.headline)
        if figures:
            res.figure_title, fig = next(iter(figures.items()))
            res.figure_uri = figure_to_data_uri(fig)
        value = "missing" if res.metric is None else f"{res.metric['value']:.4g}"
        floor = (
            "" if res.metric is None else f" (floor {res.metric.get('floor', float('nan')):.4g})"
        )
        log(f"[demo]   {spec.headline} = {value}{floor}, {res.seconds:.0f} s")
    root.mkdir(parents=True, exist_ok=True)
    path = root / "report.html"
    atomic_write_text(path, render_demo(results))
    return path


def _fmt(v: Any) -> str:
    try:
        return f"{float(v):.4g}"
    except (TypeError, ValueError):
        return html.escape(str(v))


def render_demo(results: Sequence[DemoResult]) -> str:
    """The combined HTML page (self-contained; each run also has its own report)."""
    rows, sections = [], []
    for r in results:
        s = r.spec
        if r.skipped:
            rows.append(
                f"<tr><td>{html.escape(s.science)}</td><td>{r.domain} / {s.data}</td>"
                f"<td colspan=5>skipped: {html.escape(r.skipped)}</td></tr>"
            )
            continue
        m = r.metric or {}
        link = f"{r.domain}/report.html"
        rows.append(
            f"<tr><td>{html.escape(s.science)}</td><td>{r.domain} / {s.data}</td>"
            f"<td>{html.escape(s.headline)}</td><td>{_fmt(m.get('value'))}</td>"
            f"<td>{_fmt(m.get('floor'))}</td><td>{r.n} / {r.seed}</td>"
            f"<td>{r.seconds:.0f} s · <a href='{link}'>full report</a></td></tr>"
        )
        img = (
            f"<img alt='{html.escape(r.figure_title)}' src='{r.figure_uri}'>"
            if r.figure_uri
            else ""
        )
        sections.append(
            f"<section><h2>{html.escape(s.science)} — {r.domain} / {s.data}</h2>"
            f"<p>{html.escape(s.what)}</p><p class=muted>{html.escape(r.figure_title)}</p>"
            f"{img}</section>"
        )
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scigan demo across the sciences</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}
img{{max-width:100%}}.muted{{color:#666}}</style></head>
<body><main><h1>scigan demo across the sciences</h1>
<p class=muted>generated {now}. Each headline number stands beside its <em>floor</em>: the same
statistic between two disjoint real samples of the same size (N = samples per evaluation;
the seed fixes them). A value near its floor is as good as real data can show.</p>
<table><tr><th>science</th><th>domain / data</th><th>headline metric</th><th>value</th>
<th>floor (real vs real)</th><th>N / seed</th><th>time</th></tr>
{"".join(rows)}</table>
{"".join(sections)}
</main></body></html>
"""
