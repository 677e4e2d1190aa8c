"""The combined demo table leads with each headline metric's verdict, misses counted first."""

from __future__ import annotations

import re

from scigan.demo import DemoResult, render_demo
from scigan.domains.base import DemoSpec


def _result(domain: str, headline: str, metric=None, skipped=None) -> DemoResult:
    spec = DemoSpec(science=domain.title(), data=f"{domain}-data", headline=headline)
    return DemoResult(domain, spec, metric=metric, n=100, seed=0, skipped=skipped)


AUC = {"value": 0.9, "floor": 0.5, "better": "closer to 0.5"}


def test_demo_table_leads_with_the_verdict_and_counts_only_judged_targets():
    results = [
        _result("a", "w1", {"value": 0.01, "floor": 0.01, "better": "lower"}),
        _result("b", "auc", {**AUC, "target": "<= 0.75"}),
        _result("c", "energy", None),  # headline missing from the evaluation: a miss
        _result("d", "score", {"value": 1.0, "floor": 1.0, "by_construction": True}),
        _result("e", "tstr", skipped="install scigan[chem]"),
    ]
    page = render_demo(results)
    header = re.findall(r"<th>([^<]*)</th>", page)
    assert header == ["verdict", "science", "domain / data", "headline metric", "direction",
                      "value", "floor (real vs real)", "N / seed", "time"]  # fmt: skip
    verdicts = re.findall(r"<tr><td class=v-(\w+) [^>]*>(\w+)</td><td>(\w+)</td>", page)
    assert [(v, s) for v, _, s in verdicts] == [
        ("pass", "A"), ("miss", "B"), ("miss", "C"), ("info", "D"), ("skipped", "E"),
    ]  # fmt: skip
    assert "<td>lower is better</td>" in page and "<td>closer to 0.5</td>" in page
    assert "1 of 3 headline targets met" in page
    summary = page[page.index("headline targets met") : page.index("<table>")]
    assert summary.index("b / auc") < summary.index("a / w1") < summary.index("e / tstr")
    assert "missing from the evaluation" in summary and "install scigan[chem]" in summary
