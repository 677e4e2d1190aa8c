"""`scigan demo`: one short run per domain and a combined report with floors."""

from __future__ import annotations

import re

import pytest

from scigan.cli import main
from scigan.demo import DemoSpec
from scigan.domains.fields import FieldsDomain
from scigan.domains.tabular import TabularDomain

TINY_ISING = DemoSpec(
    science="Physics",
    data="ising2d",
    headline="energy_T2.269",
    settings={
        "steps": 6,
        "eval_every": 0,
        "ckpt_every": 6,
        "eval_n": 40,
        "batch_size": 8,
        "g_width": 8,
        "d_width": 8,
    },
    options={"L": 8, "n": 100, "temperatures": [2.269185], "burn": 5, "thin": 1},
    what="tiny Ising",
)
MISSING = DemoSpec(science="Chemistry", data="suzuki_case_1", headline="tstr",
                   options={"conditions": ["no_such_column"]})  # fmt: skip


def test_demo_writes_a_combined_report_with_floors_and_skips_honestly(tmp_path, monkeypatch):
    monkeypatch.setattr(FieldsDomain, "demo", TINY_ISING)
    monkeypatch.setattr(TabularDomain, "demo", MISSING)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet", "--domains", "fields", "tabular"]) == 0
    page = (out / "report.html").read_text()
    assert (out / "fields" / "report.html").is_file()
    # The row leads with the verdict; the metric's direction stands before its value.
    row = re.search(
        r"<tr><td class=v-(pass|miss) [^>]*>(pass|miss)</td><td>Physics</td>"
        r"<td>fields / ising2d</td><td>energy_T2\.269</td><td>closer to exact</td>"
        r"<td>([-0-9.e]+)</td><td>([-0-9.e]+)</td>",
        page,
    )
    assert row is not None, page[:2000]
    assert row.group(1) == row.group(2)
    value, floor = float(row.group(3)), float(row.group(4))
    assert -2.0 <= value <= 2.0 and -2.0 <= floor <= 0.0  # energies per spin
    assert "skipped: " in page and "no_such_column" in page  # reason shown, not a pass
    assert re.search(r"<td class=v-skipped [^>]*>skipped</td><td>Chemistry</td>", page)
    met = re.search(r"(\d) of (\d) headline targets met", page)
    assert met is not None and met.group(2) == "1"  # the skipped run is not counted
    assert "data:image/png;base64," in page
    # A second demo into the same folder is refused with exit code 2 and changes nothing.
    before = sorted(p.name for p in out.iterdir())
    assert main(["demo", "--out", str(out), "--quiet", "--domains", "fields"]) == 2
    assert sorted(p.name for p in out.iterdir()) == before


def test_demo_rejects_a_domain_without_demo(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "d"), "--domains", "toy"]) == 2
    assert "has no demo" in capsys.readouterr().err


@pytest.mark.parametrize("domain", ["fields", "tabular", "sequences", "molecules"])
def test_shipped_demos_name_registered_data(domain):
    from scigan.registry import DATASETS, DOMAINS

    spec = DOMAINS.get(domain).demo
    assert spec is not None and spec.data in DATASETS
