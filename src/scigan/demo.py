"""``scigan demo``: a short run on one default dataset per science, then one combined report.

Each domain that has landed declares a ``demo`` (:class:`DemoSpec`) on its class: a small,
exactly checkable job that trains in a few minutes on 2 CPU cores. The demo trains each,
writes each run's own ``report.html``, and a combined ``report.html`` at the top of the demo
folder that leads with each headline metric's verdict (pass / miss against its target or floor,
:func:`scigan.metrics.floor.verdict`), then the metric's direction, its value beside its
real-vs-real floor (N and seed stated) and the domain's first figure. A domain whose optional
dependencies or data are missing is listed as skipped with the reason (never silently dropped,
never counted as a pass).
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

from scigan import progress as bars
from scigan.domains.base import DemoSpec
from scigan.errors import DataError, MissingDependencyError, OutputError
from scigan.metrics.floor import verdict


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

    def verdict(self) -> tuple[str, str]:
        """``("pass" | "miss" | "info" | "skipped", reason)`` of the headline metric."""
        if self.skipped:
            return "skipped", self.skipped
        if self.metric is None:
            return "miss", f"headline metric '{self.spec.headline}' missing from the evaluation"
        return verdict(self.metric)


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
    """Train every demo, write each run's report and the combined ``out/report.html``.

    ``progress`` shows the training bars and one bar per demo through its stages (train,
    evaluate and draw figures, write the report), with the evaluation's own bar inside."""
    from scigan.core.checkpoint import atomic_write_text

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
    with bars.enabled(progress):
        for name, spec in specs:
            results.append(_run_one(name, spec, root, seed, progress, log))
    root.mkdir(parents=True, exist_ok=True)
    path = root / "report.html"
    atomic_write_text(path, render_demo(results))
    return path


def _run_one(
    name: str, spec: DemoSpec, root: Path, seed: int, progress: bool, log: Callable[[str], None]
) -> DemoResult:
    """Train, evaluate and report one domain's demo; a missing dependency or data skips it."""
    from scigan.api import Synthesizer
    from scigan.report import write_report
    from scigan.report.html import figure_to_data_uri

    res = DemoResult(name, spec)
    log(f"[demo] {spec.science}: {name} / {spec.data} ...")
    t0 = time.perf_counter()
    try:
        with bars.task(f"demo {name}"):
            bars.stage("train")
            gan = Synthesizer(domain=name, seed=seed, options=dict(spec.options), **spec.settings)
            gan.fit(spec.data, out=root / name, progress=progress)
            bars.stage("evaluate and draw figures")
            evaluation, figures = gan.evaluate_with_figures(seed=seed)
            bars.stage("write the report")
            write_report(gan.run_dir_, evaluation=evaluation, figures=figures)
    except (MissingDependencyError, DataError) as exc:
        res.skipped = str(exc)
        log(f"[demo]   skipped: {exc}")
        return res
    res.seconds = time.perf_counter() - t0
    res.run_dir = gan.run_dir_
    res.n, res.seed = evaluation["n"], evaluation["seed"]
    res.metric = evaluation["metrics"].get(spec.headline)
    if figures:
        res.figure_title, fig = next(iter(figures.items()))
        res.figure_uri = figure_to_data_uri(fig)
    value = "missing" if res.metric is None else f"{res.metric['value']:.4g}"
    floor = "" if res.metric is None else f" (floor {res.metric.get('floor', float('nan')):.4g})"
    v, reason = res.verdict()
    log(f"[demo]   {spec.headline} = {value}{floor}: {v} ({reason}), {res.seconds:.0f} s")
    return res


def _fmt(v: Any) -> str:
    try:
        return f"{float(v):.4g}"
    except (TypeError, ValueError):
        return html.escape(str(v))


def _direction(metric: dict[str, Any] | None) -> str:
    better = (metric or {}).get("better")
    if better in ("lower", "higher"):
        return f"{better} is better"
    return str(better) if better else "—"


def _summary(results: Sequence[DemoResult]) -> str:
    """ "N of M headline targets met", misses first, then passes, then what was not counted."""
    judged = [(r, *r.verdict()) for r in results]
    order = {"miss": 0, "pass": 1, "info": 2, "skipped": 3}
    met = sum(v == "pass" for _, v, _ in judged)
    counted = sum(v in ("pass", "miss") for _, v, _ in judged)
    items = "".join(
        f"<li><span class=v-{v}>{v}</span> {r.domain} / {html.escape(r.spec.headline)}: "
        f"{html.escape(reason)}</li>"
        for r, v, reason in sorted(judged, key=lambda j: order.get(j[1], 9))
    )
    return f"<p><strong>{met} of {counted} headline targets met</strong></p><ul>{items}</ul>"


def render_demo(results: Sequence[DemoResult]) -> str:
    """The combined HTML page (self-contained; each run also has its own report)."""
    rows, sections = [], []
    for r in results:
        s = r.spec
        v, reason = r.verdict()
        lead = (
            f"<tr><td class=v-{v} title='{html.escape(reason)}'>{v}</td>"
            f"<td>{html.escape(s.science)}</td><td>{r.domain} / {s.data}</td>"
        )
        if r.skipped:
            rows.append(f"{lead}<td colspan=6>skipped: {html.escape(r.skipped)}</td></tr>")
            continue
        m = r.metric or {}
        link = f"{r.domain}/report.html"
        rows.append(
            f"{lead}<td>{html.escape(s.headline)}</td><td>{html.escape(_direction(r.metric))}</td>"
            f"<td>{_fmt(m.get('value'))}</td><td>{_fmt(m.get('floor'))}</td>"
            f"<td>{r.n} / {r.seed}</td>"
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
img{{max-width:100%}}.muted{{color:#666}}.v-pass{{color:#1a7f37;font-weight:600}}
.v-miss{{color:#b42318;font-weight:600}}.v-info,.v-skipped{{color:#666}}</style></head>
<body><main><h1>scigan demo across the sciences</h1>
{_summary(results)}
<p class=muted>generated {now}. Each headline number stands beside its <em>floor</em>: the same
statistic between two disjoint real samples of the same size (N = samples per evaluation;
the seed fixes them). A value near its floor is as good as real data can show. The verdict
judges the value against its target, the exact answer (|z| &le; 2) or the floor; each run's
full report states the rule and the reason. Skipped runs and info metrics are not counted.</p>
<table><tr><th>verdict</th><th>science</th><th>domain / data</th><th>headline metric</th>
<th>direction</th><th>value</th><th>floor (real vs real)</th><th>N / seed</th><th>time</th></tr>
{"".join(rows)}</table>
{"".join(sections)}
</main></body></html>
"""
