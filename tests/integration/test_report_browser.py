"""The HTML report opened in a real browser (headless Chromium): it renders, with embedded
figures and no console errors. Slow (Chromium start-up, a tiny training run): run with -m slow."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "check_report_browser.sh"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="headless Chromium not installed (Debian: apt-get install -y chromium)",
    ),
]


def _check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """A real report.html from a tiny toy run, checked once by the script."""
    out = tmp_path_factory.mktemp("browser")
    result = _check("", str(out))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "renders" in result.stdout
    return out


def test_real_report_renders_in_chromium(rendered):
    assert (rendered / "run" / "report.html").is_file()
    png = (rendered / "screenshot.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    dom = (rendered / "dom.html").read_text()
    assert dom.count("<img") >= 3 and 'src="data:image/png;base64,' in dom


def test_broken_report_is_caught(rendered, tmp_path):
    """The checks can fail: a JS error, an external image and a blank page are reported."""
    html = (rendered / "run" / "report.html").read_text()
    broken = tmp_path / "broken.html"
    broken.write_text(
        html.replace(
            "</body>",
            '<img src="http://example.invalid/x.png"><script>throw new Error("boom")</script>'
            "</body>",
        )
    )
    result = _check(str(broken), str(tmp_path / "out1"))
    assert result.returncode == 1
    assert "Uncaught Error: boom" in result.stderr
    assert "http://example.invalid/x.png" in result.stderr

    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    result = _check(str(blank), str(tmp_path / "out2"))
    assert result.returncode == 1
    assert "looks blank" in result.stderr and "no <img>" in result.stderr
