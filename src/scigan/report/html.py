"""Build a self-contained HTML report from a run folder (``config.json`` + ``metrics.jsonl``).

The report opens with "N of M targets met" (misses first); every metric row shows its direction,
its verdict (:func:`scigan.metrics.floor.verdict`: pass / miss, or info, which is never counted),
the z-score where an exact answer exists, and the reason. "Reproduce this run" gives the command
that retrains the run bit for bit (every resolved setting, through ``--config RUN/config.json``).
The wall time is the training loop's plus every post-training stage's (adaptation, DRS).

Everything is embedded: figures are base64 PNG data URIs and the stylesheet is inline, so the
report references no external resource. Figures are drawn on :class:`matplotlib.figure.Figure`
objects directly (Agg canvas, no pyplot), which keeps no global state; each figure the report
creates is cleared once rendered. Figures passed in by the caller are rendered but left alone.
Rendering advances a :func:`scigan.progress.task` bar, one stage per figure.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import math
import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from matplotlib.figure import Figure

from scigan import progress
from scigan._version import __version__
from scigan.config import SECTIONS, TrainConfig, field_help
from scigan.core import run_folder
from scigan.core.checkpoint import atomic_write_text
from scigan.core.run_folder import RunLog
from scigan.errors import ConfigError, OutputError
from scigan.metrics.floor import FLOOR_FACTOR, Z_PASS, verdict, z_score

__all__ = ["figure_to_data_uri", "render_report", "write_report"]

REPORT_NAME = run_folder.REPORT

_FIG_DPI = 110
_EVENT_COLORS = {"rollback": "tab:purple", "stop": "tab:red", "warning": "tab:gray"}
_NO_EVENTS = "No watchdog events (no divergence or collapse detected)"
_FLOOR_SENTENCE = (
    "The real-vs-real floor is the same metric computed between two disjoint real samples of "
    "the same size, i.e. the value a perfect generator would reach at this sample size."
)
_VERDICT_LEGEND = (
    "Verdict, first rule that applies: a number that holds by construction is shown and never "
    "counted; a value that is not finite is a miss; where an exact answer and a standard error "
    f"exist, |z| ≤ {Z_PASS:g} passes; a target passes when the value reaches it; otherwise the "
    f"floor decides: lower-is-better passes within {FLOOR_FACTOR:g}× the floor, "
    f"higher-is-better scores in [0, 1] pass above 1 − {FLOOR_FACTOR:g}·(1 − floor) (others "
    f"above half the floor), closer-to-X passes when |value − X| ≤ {FLOOR_FACTOR:g}·|floor − X|. "
    "A metric with no floor, target or direction is info, never a pass."
)
# sys.argv[0] of the scigan command line (console script, python -m scigan)
_CLI_NAMES = ("scigan", "__main__.py")

_CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa;
        --accent: #0b5cad; --warn: #9a6700; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.5;
       font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
             Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 32px 0 10px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05em; margin: 20px 0 6px; }
p { margin: 6px 0; }
.muted { color: var(--muted); }
.small { font-size: 0.88em; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
            font-size: 0.88em; }
pre { background: var(--bg-alt); border: 1px solid var(--line); border-radius: 6px;
      padding: 12px; overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.93em; }
th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left;
         vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv th { width: 180px; }
.notes { border-left: 4px solid var(--warn); background: #fff8e6; padding: 6px 12px;
         margin: 12px 0; }
.notes ul { margin: 4px 0; padding-left: 20px; }
.ev-rollback { color: var(--warn); font-weight: 600; }
.ev-stop { color: var(--bad); font-weight: 600; }
.v-pass { color: #1a7f37; font-weight: 600; }
.v-miss { color: var(--bad); font-weight: 600; }
.v-info { color: var(--muted); }
.verdicts { border-left: 4px solid var(--line); background: var(--bg-alt); padding: 6px 12px;
            margin: 12px 0; }
.verdicts.has-miss { border-left-color: var(--bad); }
.verdicts.all-pass { border-left-color: #1a7f37; }
.verdicts ul { margin: 4px 0; padding-left: 20px; }
figure { margin: 12px 0 20px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 0.9em; margin-top: 4px; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
"""


# --------------------------------------------------------------------------- loading


# --------------------------------------------------------------------------- formatting


def _num(value: Any) -> float:
    """Convert a logged value to float; None, strings and other junk become NaN."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return math.nan


def _fmt(value: Any) -> str:
    """Format a scalar for a table cell (already HTML-escaped)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value == 0:
            return "0"
        if 1e-4 <= abs(value) < 1e6:
            return f"{value:.4g}"
        return f"{value:.3e}"
    return html.escape(str(value))


def _fmt_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "—"
    total = round(seconds)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{seconds:.1f} s ({h}:{m:02d}:{s:02d})"


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], num_cols: set[int]) -> str:
    """Build a table; cells in ``rows`` must already be HTML-safe."""
    out = ["<table>", "<tr>" + "".join(f"<th>{_esc(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for j, cell in enumerate(row):
            cls = ' class="num"' if j in num_cols else ""
            cells.append(f"<td{cls}>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _kv_table(items: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in items)
    return f'<table class="kv">{rows}</table>'


# --------------------------------------------------------------------------- figures


def figure_to_data_uri(fig: Figure, *, dpi: int = _FIG_DPI) -> str:
    """Render a matplotlib figure to a ``data:image/png;base64,...`` URI.

    The figure is not closed or modified; PNG metadata naming the software is dropped so the
    report contains no URLs.

    Args:
        fig: Any matplotlib figure (pyplot-managed or a bare ``Figure``).
        dpi: Resolution of the PNG.

    Returns:
        The PNG as a data URI, ready for an ``<img src=...>`` attribute.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _render_own(fig: Figure) -> str:
    """Render a figure made by the report, then release its contents."""
    try:
        return figure_to_data_uri(fig)
    finally:
        fig.clear()


def _series(rows: Sequence[Mapping[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of ``key``, with a NaN gap wherever the step goes back (rollback)."""
    steps: list[float] = []
    values: list[float] = []
    prev = -math.inf
    for row in rows:
        step = _num(row.get("step"))
        if not math.isfinite(step):
            continue
        if step <= prev and steps:
            steps.append(math.nan)
            values.append(math.nan)
        steps.append(step)
        values.append(_num(row.get(key)))
        prev = step
    return np.asarray(steps, dtype=float), np.asarray(values, dtype=float)


def _has_finite(values: np.ndarray) -> bool:
    return bool(np.isfinite(values).any())


def _plot_lines(
    ax: Any,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[tuple[str, str]],
    *,
    log: bool = False,
) -> bool:
    """Plot ``keys`` (key, label) of ``rows`` on ``ax``; return whether anything was drawn."""
    drawn = False
    positive = False
    for key, label in keys:
        x, y = _series(rows, key)
        if not _has_finite(y):
            continue
        ax.plot(x, y, label=label, linewidth=1.2)
        drawn = True
        positive = positive or bool((np.isfinite(y) & (y > 0)).any())
    if log and positive:
        ax.set_yscale("log")
    if drawn:
        ax.legend(loc="best", fontsize=8)
    else:
        ax.text(
            0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes, color="0.5"
        )
    ax.set_xlabel("step")
    ax.grid(True, alpha=0.3)
    return drawn


def _loss_figure(train: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]]) -> Figure:
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.add_subplot()
    _plot_lines(ax, train, [("loss_d", "loss D"), ("loss_g", "loss G")])
    # Non-finite losses: mark them along the bottom edge so they are not silently dropped.
    bad = [
        _num(r.get("step"))
        for r in train
        if not (math.isfinite(_num(r.get("loss_d"))) and math.isfinite(_num(r.get("loss_g"))))
        and ("loss_d" in r or "loss_g" in r)
    ]
    bad = [s for s in bad if math.isfinite(s)]
    if bad:
        ax.plot(
            bad,
            [0.02] * len(bad),
            "x",
            color="tab:red",
            transform=ax.get_xaxis_transform(),
            label="non-finite loss",
            clip_on=False,
        )
    seen: set[str] = set()
    for ev in events:
        step = _num(ev.get("step"))
        if not math.isfinite(step):
            continue
        kind = str(ev.get("event", "event"))
        label = f"watchdog: {kind}" if kind not in seen else None
        seen.add(kind)
        ax.axvline(
            step,
            color=_EVENT_COLORS.get(kind, "tab:brown"),
            linestyle=":",
            linewidth=1.4,
            label=label,
        )
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8)
    ax.set_ylabel("loss")
    ax.set_title("Losses")
    return fig


def _grad_figure(train: Sequence[Mapping[str, Any]]) -> Figure:
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax = fig.add_subplot()
    _plot_lines(ax, train, [("grad_norm_d", "‖∇D‖"), ("grad_norm_g", "‖∇G‖")], log=True)
    ax.set_ylabel("gradient norm")
    ax.set_title("Gradient norms")
    return fig


def _disc_figure(train: Sequence[Mapping[str, Any]]) -> Figure:
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    _plot_lines(ax1, train, [("d_real", "D(real)"), ("d_fake", "D(fake)")])
    ax1.set_title("Discriminator output (batch mean)")
    if _plot_lines(ax2, train, [("d_acc", "D accuracy")]):
        _, acc = _series(train, "d_acc")
        finite = acc[np.isfinite(acc)]
        if finite.size and finite.min() >= 0 and finite.max() <= 1:
            ax2.set_ylim(-0.03, 1.03)
    ax2.set_title("Discriminator accuracy")
    return fig


def _metric_value(entry: Any) -> tuple[float, float]:
    """(value, floor) of a metric entry that is either a dict or a bare number."""
    if isinstance(entry, Mapping):
        return _num(entry.get("value")), _num(entry.get("floor"))
    return _num(entry), math.nan


def _eval_names(evals: Sequence[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for row in evals:
        metrics = row.get("metrics")
        if isinstance(metrics, Mapping):
            names.extend(str(k) for k in metrics if str(k) not in names)
    return names


def _eval_figure(evals: Sequence[Mapping[str, Any]], names: Sequence[str]) -> Figure:
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig = Figure(figsize=(3.3 * ncols + 0.4, 2.6 * nrows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, name in zip(axes, names, strict=False):
        flat = []
        for row in evals:
            metrics = row.get("metrics")
            entry = metrics.get(name) if isinstance(metrics, Mapping) else None
            value, floor = _metric_value(entry)
            flat.append({"step": row.get("step"), "value": value, "floor": floor})
        x, v = _series(flat, "value")
        _, f = _series(flat, "floor")
        if _has_finite(v):
            ax.plot(x, v, marker="o", markersize=3, linewidth=1.2, label="value")
        if _has_finite(f):
            ax.plot(x, f, linestyle="--", color="0.35", linewidth=1.0, label="real-vs-real floor")
        if not (_has_finite(v) or _has_finite(f)):
            ax.text(
                0.5,
                0.5,
                "no finite values",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="0.5",
            )
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("step", fontsize=8)
        ax.grid(True, alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        axes[0].legend(handles, labels, fontsize=7, loc="best")
    return fig


def _img(uri: str, caption: str) -> str:
    return (
        f'<figure><img src="{uri}" alt="{_esc(caption)}">'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
    )


# --------------------------------------------------------------------------- sections


def _last_elapsed(rows: Sequence[Mapping[str, Any]]) -> float:
    for row in reversed(rows):
        value = _num(row.get("elapsed_s"))
        if math.isfinite(value):
            return value
    return math.nan


def _wall_time(log: RunLog) -> tuple[float, str]:
    """The whole job's compute time and its breakdown: the training loop (the last
    ``elapsed_s`` it logged; cumulative across resumes) plus every post-training stage's
    ``seconds`` (encoder adaptation, DRS, ...)."""
    training = max(
        (_last_elapsed(rows) for rows in (log.train, log.evals, log.events)),
        key=lambda v: v if math.isfinite(v) else -math.inf,
    )
    total = training if math.isfinite(training) else 0.0
    parts = [f"training {training:.1f} s"] if math.isfinite(training) else []
    for row in log.stages:
        kind = str(row.get("kind", "stage"))
        seconds = _num(row.get("seconds"))
        if math.isfinite(seconds):
            total += seconds
            parts.append(f"{_esc(kind)} {seconds:.1f} s")
        else:
            parts.append(f"{_esc(kind)} (not timed)")
    if not parts:
        return math.nan, ""
    return total, " + ".join(parts)


def _summary_section(doc: Mapping[str, Any], log: RunLog, run_dir: Path) -> str:
    cfg = _config_of(doc)
    data = doc.get("data") if isinstance(doc.get("data"), Mapping) else {}
    data_name = data.get("name", cfg.get("data"))
    data_desc = _esc(data_name) if data_name is not None else "—"
    extras = []
    if "n" in data:
        extras.append(f"n = {_fmt(data['n'])}")
    shape = data.get("shape")
    if isinstance(shape, list | tuple):
        extras.append("shape " + " × ".join(_fmt(s) for s in shape))
    if extras:
        data_desc += f' <span class="muted">({", ".join(extras)})</span>'
    seed = doc.get("seed", cfg.get("seed"))

    steps = [_num(r.get("step")) for r in (*log.train, *log.evals, *log.events)]
    steps = [s for s in steps if math.isfinite(s)]
    last_step = max(steps) if steps else math.nan
    target = cfg.get("steps")
    reached = "—" if not steps else _fmt(int(last_step))
    if isinstance(target, int | float) and steps:
        reached += f' <span class="muted">of {_fmt(target)} configured</span>'
    wall, parts = _wall_time(log)
    wall_text = _fmt_duration(wall)
    if parts:
        wall_text += (
            f' <span class="muted small">= {parts}; loading the data and fitting the encoder '
            "before training are not logged</span>"
        )

    items = [
        ("run folder", f"<code>{_esc(run_dir)}</code>"),
        ("domain", _fmt(cfg.get("domain"))),
        ("data", data_desc),
        ("seed", _fmt(seed)),
        ("data hash", f"<code>{_esc(doc['data_hash'])}</code>" if "data_hash" in doc else "—"),
        ("created", _fmt(doc.get("created"))),
        ("steps reached", reached),
        ("wall time", wall_text),
    ]
    versions = doc.get("versions")
    if isinstance(versions, Mapping) and versions:
        items.append(("versions", ", ".join(f"{_esc(k)} {_esc(v)}" for k, v in versions.items())))
    return "<h2>Run summary</h2>\n" + _kv_table(items)


def _notes_section(log: RunLog) -> str:
    notes = []
    if log.truncated_last:
        notes.append(
            f"The last line of <code>{run_folder.METRICS}</code> is truncated (the run was "
            "probably "
            "interrupted while writing); it was skipped."
        )
    if log.bad_lines:
        shown = ", ".join(str(n) for n in log.bad_lines[:10])
        more = f" and {len(log.bad_lines) - 10} more" if len(log.bad_lines) > 10 else ""
        notes.append(
            f"{len(log.bad_lines)} malformed line(s) in <code>{run_folder.METRICS}</code> were "
            f"skipped (line {shown}{more})."
        )
    if log.unknown_kinds:
        kinds = ", ".join(f"<code>{_esc(k)}</code> ×{n}" for k, n in log.unknown_kinds.items())
        notes.append(f"Rows of unknown kind were ignored: {kinds}.")
    bad = [
        r
        for r in log.train
        if any(k in r and not math.isfinite(_num(r[k])) for k in ("loss_d", "loss_g"))
    ]
    if bad:
        notes.append(
            f"{len(bad)} training row(s) have a non-finite or missing loss (first at step "
            f"{_fmt(bad[0].get('step'))}); they are marked × on the loss plot."
        )
    if not notes:
        return ""
    items = "".join(f"<li>{n}</li>" for n in notes)
    return f'<div class="notes"><strong>Notes on the log</strong><ul>{items}</ul></div>'


def _chosen_evaluation(
    evaluation: Mapping[str, Any] | None, log: RunLog
) -> tuple[Mapping[str, Any] | None, str, str]:
    """(evaluation, heading, where it comes from): the one given, else the last one logged."""
    if evaluation is not None:
        return evaluation, "Final evaluation", ""
    if log.evals:
        last = log.evals[-1]
        return (
            last,
            "Latest evaluation",
            f" Logged during training at step {_fmt(last.get('step'))}.",
        )
    return None, "Final evaluation", ""


def _metrics_of(evaluation: Mapping[str, Any] | None) -> Mapping[str, Any]:
    metrics = evaluation.get("metrics") if evaluation is not None else None
    return metrics if isinstance(metrics, Mapping) else {}


def _direction(entry: Any) -> str:
    """The entry's ``better`` in words: lower/higher is better, or closer to X."""
    better = entry.get("better") if isinstance(entry, Mapping) else None
    if better in ("lower", "higher"):
        return f"{better} is better"
    if isinstance(better, str) and better:
        return better
    return "—"


def _verdict_cell(entry: Any, v: str) -> str:
    if isinstance(entry, Mapping) and entry.get("by_construction"):
        return '<span class="v-info">holds by construction — not counted</span>'
    return f'<span class="v-{v}">{v}</span>'


def _verdict_summary(evaluation: Mapping[str, Any] | None, heading: str) -> str:
    """ "N of M targets met" over the evaluation's metrics, misses listed first."""
    metrics = _metrics_of(evaluation)
    if not metrics:
        return (
            '<div class="verdicts"><strong>No metrics evaluated</strong>: no target was '
            "judged.</div>"
        )
    judged = {name: verdict(entry) for name, entry in metrics.items()}
    misses = [(k, r) for k, (v, r) in judged.items() if v == "miss"]
    passes = [(k, r) for k, (v, r) in judged.items() if v == "pass"]
    others = [(k, r) for k, (v, r) in judged.items() if v not in ("pass", "miss")]
    counted = len(misses) + len(passes)
    cls = "has-miss" if misses else ("all-pass" if passes else "")
    items = [
        f'<li><span class="v-{v}">{v}</span> <strong>{_esc(k)}</strong>: {_esc(r)}</li>'
        for v, group in (("miss", misses), ("pass", passes))
        for k, r in group
    ]
    if others:
        names = ", ".join(f"{_esc(k)} ({_esc(r)})" for k, r in others)
        items.append(f'<li><span class="v-info">not counted</span>: {names}</li>')
    return (
        f'<div class="verdicts {cls}"><strong>{len(passes)} of {counted} targets met</strong>'
        f' <span class="muted small">({_esc(heading.lower())}; misses first)</span>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def _evaluation_section(evaluation: Mapping[str, Any] | None, heading: str, source: str) -> str:
    title = f"<h2>{_esc(heading)}</h2>"
    if evaluation is None:
        return title + '<p class="muted">No evaluation was given or logged.</p>'
    metrics = _metrics_of(evaluation)
    if not metrics:
        return title + '<p class="muted">The evaluation contains no metrics.</p>'

    entries = [e for e in metrics.values() if isinstance(e, Mapping)]
    has_ci = any(e.get("ci") is not None for e in entries)
    has_z = any(math.isfinite(z_score(e)) for e in entries)
    header = (
        ["verdict", "metric", "direction", "value"]
        + (["95% CI"] if has_ci else [])
        + ["real-vs-real floor", "value / floor"]
        + (["z vs exact"] if has_z else [])
        + ["why"]
    )
    rows = []
    for name, entry in metrics.items():
        value, floor = _metric_value(entry)
        raw_value = entry.get("value") if isinstance(entry, Mapping) else entry
        raw_floor = entry.get("floor") if isinstance(entry, Mapping) else None
        v, reason = verdict(entry)
        label = f"<strong>{_esc(name)}</strong>"
        if isinstance(entry, Mapping) and entry.get("description"):
            label += f'<br><span class="muted small">{_esc(entry["description"])}</span>'
        ratio = (
            _fmt(value / floor)
            if math.isfinite(floor) and floor != 0 and math.isfinite(value)
            else "—"
        )
        row = [_verdict_cell(entry, v), label, _esc(_direction(entry))]
        row.append(_fmt(raw_value if raw_value is not None else value))
        if has_ci:
            ci = entry.get("ci") if isinstance(entry, Mapping) else None
            if isinstance(ci, list | tuple) and len(ci) == 2:
                row.append(f"[{_fmt(ci[0])}, {_fmt(ci[1])}]")
            else:
                row.append("—")
        row += [_fmt(raw_floor), ratio]
        if has_z:
            z = z_score(entry)
            row.append(f"{z:+.2f}" if math.isfinite(z) else "—")
        by_construction = isinstance(entry, Mapping) and entry.get("by_construction")
        row.append("—" if by_construction else f'<span class="small">{_esc(reason)}</span>')
        rows.append(row)
    first_num = 3
    numeric = set(range(first_num, len(header) - 1))
    about = (
        f"<p>Sample size N = {_fmt(evaluation.get('n'))}, "
        f"seed {_fmt(evaluation.get('seed'))}.{source}</p>"
        f'<p class="muted small">{_FLOOR_SENTENCE}</p>'
    )
    legend = f'<p class="muted small">{_esc(_VERDICT_LEGEND)}</p>'
    return title + about + _table(header, rows, numeric) + legend


def _training_section(log: RunLog) -> str:
    parts = ["<h2>Training curves</h2>"]
    if not log.train:
        parts.append('<p class="muted">No training rows were logged.</p>')
        return "\n".join(parts)
    progress.stage("loss curves")
    parts.append(
        _img(
            _render_own(_loss_figure(log.train, log.events)),
            "Discriminator and generator losses; dotted lines are watchdog events.",
        )
    )
    progress.stage("gradient norms")
    parts.append(
        _img(_render_own(_grad_figure(log.train)), "Gradient norms of D and G (log scale).")
    )
    progress.stage("discriminator outputs")
    parts.append(
        _img(
            _render_own(_disc_figure(log.train)),
            "Mean D output on real and generated batches, and D accuracy.",
        )
    )
    return "\n".join(parts)


def _eval_curves_section(log: RunLog) -> str:
    names = _eval_names(log.evals)
    if not names:
        return ""
    progress.stage("evaluation curves")
    uri = _render_own(_eval_figure(log.evals, names))
    return "<h2>Evaluation during training</h2>\n" + _img(
        uri, "Evaluation metrics over training; dashed lines are the real-vs-real floors."
    )


def _watchdog_section(log: RunLog) -> str:
    parts = ["<h2>Watchdog events</h2>"]
    if not log.events:
        parts.append(f"<p>{_NO_EVENTS}</p>")
        return "\n".join(parts)
    rows = []
    for ev in log.events:
        kind = str(ev.get("event", "—"))
        lrs = []
        for key, label in (("lr_g", "G"), ("lr_d", "D")):
            if ev.get(key) is not None:
                lrs.append(f"{label}: {_fmt(ev[key])}")
        rows.append(
            [
                _fmt(ev.get("step")),
                f'<span class="ev-{_esc(kind)}">{_esc(kind)}</span>',
                _fmt(ev.get("reason")),
                _fmt(ev.get("to_step")),
                ", ".join(lrs) if lrs else "—",
            ]
        )
    parts.append(
        _table(
            ["step", "event", "reason", "rolled back to step", "new learning rates"], rows, {0, 3}
        )
    )
    return "\n".join(parts)


def _samples_section(figures: Mapping[str, Figure] | None) -> str:
    if not figures:
        return ""
    parts = ["<h2>Samples</h2>"]
    for title, fig in figures.items():
        progress.stage(f"figure: {title}")
        parts.append(f"<h3>{_esc(title)}</h3>")
        parts.append(_img(figure_to_data_uri(fig), str(title)))
    return "\n".join(parts)


def _config_section(doc: Mapping[str, Any]) -> str:
    cfg = doc.get("config", {})
    text = json.dumps(cfg, indent=2, sort_keys=False, default=str, ensure_ascii=False)
    return (
        "<h2>Configuration</h2>\n<details><summary>Full resolved configuration</summary>"
        f"<pre>{_esc(text)}</pre></details>"
    )


def _config_of(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    cfg = doc.get("config")
    return cfg if isinstance(cfg, Mapping) else {}


def _setting(cfg: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """(present, value) of one setting in a nested (config.json) or flat config."""
    if name in cfg and not isinstance(cfg[name], Mapping):
        return True, cfg[name]
    for section in SECTIONS:
        block = cfg.get(section)
        if isinstance(block, Mapping) and name in block:
            return True, block[name]
    return False, None


def _flag(name: str, value: Any) -> list[str]:
    """``scigan train`` flag(s) that set ``name`` to ``value`` exactly; [] when none can
    (a None, or a value of the wrong type: ``--config`` carries it)."""
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return [flag if value else "--no-" + name.replace("_", "-")]
    if isinstance(value, int | float | str):
        return [flag, repr(value) if isinstance(value, float) else str(value)]
    return []


def _same(a: Any, b: Any) -> bool:
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False


def _option_text(value: Any) -> str | None:
    """Text that ``--set KEY=TEXT`` reads back (YAML) as exactly ``value``, or None."""
    candidates = [value] if isinstance(value, str) else []
    # JSON values only (config.json holds them): json.dumps and safe_dump cannot fail
    candidates.append(json.dumps(value))
    candidates.append(yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n"))
    for text in candidates:
        text = text.strip()
        try:
            if _same(yaml.safe_load(text), value):
                return text
        except yaml.YAMLError:
            continue
    return None


def _reproduce(doc: Mapping[str, Any], run_dir: Path) -> tuple[str, list[str]]:
    """The command that retrains this run exactly, and notes on what it needs.

    ``--config RUN/config.json`` replays every resolved setting (the data options included);
    the flags repeat, for the reader, the data, the domain, the seed and every setting that
    differs from the built-in defaults (flags win over the file, with the same values).
    """
    cfg = _config_of(doc)
    config_path = str(run_dir / run_folder.CONFIG)
    notes = []
    data = cfg.get("data")
    if data == run_folder.IN_MEMORY:
        code = (
            "from scigan import Synthesizer\n"
            f"Synthesizer(config={config_path!r}).fit(data, out='NEW_RUN')"
            "  # data: the same in-memory data"
        )
        notes.append("This run was fitted on in-memory data: pass the same data to fit().")
        return code, notes
    args = ["scigan", "train"]
    for key in ("data", "domain"):
        if isinstance(cfg.get(key), str):
            args += [f"--{key}", cfg[key]]
    defaults = {name: default for name, _, default in field_help()}
    for name in ("seed", *(n for n in defaults if n not in ("domain", "data", "seed"))):
        present, value = _setting(cfg, name)
        if present and (name == "seed" or not _same(value, defaults[name])):
            args += _flag(name, value)
    options = cfg.get("options")
    if isinstance(options, Mapping):
        for key, value in options.items():
            text = _option_text(value)
            if text is None or "=" in str(key) or str(key) != str(key).strip() or not key:
                notes.append(f"Data option {key!r} is set by --config only.")
                continue
            args += ["--set", f"{key}={text}"]
    if cfg:
        args += ["--config", config_path]
        try:
            TrainConfig.from_dict(cfg, source=config_path)
        except ConfigError as exc:
            notes.append(f"This scigan version cannot replay the saved settings: {exc}")
    if isinstance(data, str) and not Path(data).is_absolute() and ("/" in data or "." in data):
        notes.append(f"The data path {data!r} is relative: run from the folder the run started in.")
    if cfg.get("device") not in (None, "cpu"):
        notes.append(
            f"Device '{cfg.get('device')}': bit-exact on the same device type; add --device cpu "
            "to compare with a CPU run."
        )
    versions = doc.get("versions")
    if isinstance(versions, Mapping) and versions:
        same = ", ".join(f"{k} {v}" for k, v in versions.items())
        notes.append(f"Bit-exact with the same versions ({same}).")
    return shlex.join(args), notes


def _reproduce_section(doc: Mapping[str, Any], run_dir: Path) -> str:
    command, notes = _reproduce(doc, run_dir)
    parts = [
        "<h2>Reproduce this run</h2>",
        f'<pre id="reproduce"><code>{_esc(command)}</code></pre>',
        '<p class="muted small"><code>--config</code> replays every resolved setting from the '
        "run's config.json (data options included); the flags show the data, the domain, the "
        "seed and every setting that differs from the built-in defaults. Add "
        "<code>--out NEW_FOLDER</code> to choose the new run's folder.</p>",
    ]
    started = doc.get("command")
    if isinstance(started, list) and started and Path(str(started[0])).name in _CLI_NAMES:
        parts.append(
            '<p class="muted small">The run was started as '
            f"<code>{_esc(shlex.join(['scigan', *(str(a) for a in started[1:])]))}</code>.</p>"
        )
    if notes:
        parts.append("<ul>" + "".join(f'<li class="small">{_esc(n)}</li>' for n in notes) + "</ul>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- public API


def render_report(
    run_dir: str | Path,
    *,
    evaluation: Mapping[str, Any] | None = None,
    figures: Mapping[str, Figure] | None = None,
) -> str:
    """Build the self-contained HTML report of a run folder.

    Args:
        run_dir: Folder written by ``scigan train`` (holds ``config.json`` and
            ``metrics.jsonl``).
        evaluation: Final evaluation, ``{"n": N, "seed": S, "metrics": {name: {"value": v,
            "floor": f, "better": "lower"|"higher"|"closer to …", ...}}}`` with the optional
            fields of :func:`scigan.metrics.floor.metric_entry` (``ci``, ``target``, ``exact``,
            ``z``, ``se``, ``by_construction``, ``description``). Without it the report shows
            the last evaluation logged in ``metrics.jsonl``, if any.
        figures: Domain figures (title → figure) shown in the "Samples" section, in order.
            They are rendered but not closed; the caller owns them.

    Returns:
        The complete HTML document as a string.

    Raises:
        CheckpointError: ``config.json`` or ``metrics.jsonl`` is missing or unreadable.
    """
    run_path = Path(run_dir)
    doc = run_folder.read_config(run_path)
    log = run_folder.read_metrics(run_path)
    cfg = _config_of(doc)
    title = "scigan run report — " + run_path.resolve().name
    subtitle_bits = [str(v) for v in (cfg.get("domain"), cfg.get("data")) if v is not None]
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    chosen, heading, source = _chosen_evaluation(evaluation, log)
    with progress.task("report"):
        progress.stage("tables")
        sections = [
            _verdict_summary(chosen, heading),
            _summary_section(doc, log, run_path),
            _notes_section(log),
            _evaluation_section(chosen, heading, source),
            _training_section(log),
            _eval_curves_section(log),
            _watchdog_section(log),
            _samples_section(figures),
            _config_section(doc),
            _reproduce_section(doc, run_path),
        ]
    body = "\n".join(s for s in sections if s)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>{_esc(title)}</h1>
<p class="muted">{_esc(" / ".join(subtitle_bits))}{" · " if subtitle_bits else ""}report \
generated {now} by scigan {_esc(__version__)}</p>
{body}
</main>
</body>
</html>
"""


def write_report(
    run_dir: str | Path,
    *,
    evaluation: Mapping[str, Any] | None = None,
    figures: Mapping[str, Figure] | None = None,
    out: str | Path | None = None,
) -> Path:
    """Write the HTML report of a run folder atomically and return its path.

    The document is written to a temporary file in the destination folder and moved into
    place with :func:`os.replace`, so a reader never sees a half-written report.

    Args:
        run_dir: Folder written by ``scigan train``.
        evaluation: Final evaluation; see :func:`render_report`.
        figures: Domain figures (title → figure) for the "Samples" section; not closed.
        out: Destination file (default ``run_dir/report.html``); an existing folder means
            ``out/report.html``.

    Returns:
        Path of the written report.

    Raises:
        CheckpointError: The run folder lacks ``config.json`` or ``metrics.jsonl``.
        OutputError: The report cannot be written.
    """
    run_path = Path(run_dir)
    target = run_path / REPORT_NAME if out is None else Path(out)
    if target.is_dir():
        target = target / REPORT_NAME
    text = render_report(run_path, evaluation=evaluation, figures=figures)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write the report ({exc.strerror or exc})") from exc
    atomic_write_text(target, text)
    return target
