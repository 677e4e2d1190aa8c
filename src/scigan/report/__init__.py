"""Self-contained HTML reports for training run folders.

``write_report(run_dir)`` reads ``config.json`` and ``metrics.jsonl`` from a run folder made by
``scigan train`` and writes ``report.html``: one file with every figure embedded as a base64 PNG
and no external CSS, JavaScript or fonts, so it can be mailed or archived as is. It leads with
the verdict of every metric against its target or floor and ends with the command that
reproduces the run exactly.
"""

from __future__ import annotations

from scigan.report.html import figure_to_data_uri, render_report, write_report

__all__ = ["figure_to_data_uri", "render_report", "write_report"]
