"""Progress bars: shown on a terminal when enabled, never when disabled or piped."""

from __future__ import annotations

import io
import sys

import numpy as np

from scigan import progress
from scigan.domains.fields.simulators import ising_swendsen_wang


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(monkeypatch, stream, on: bool) -> str:
    monkeypatch.setattr(sys, "stderr", stream)
    with progress.enabled(on):
        ising_swendsen_wang(8, 2.269, 6, np.random.default_rng(0), chains=4, burn=3, thin=1)
    return stream.getvalue()


def test_bar_shows_on_a_terminal_only_when_enabled(monkeypatch):
    assert "Swendsen-Wang" in _run(monkeypatch, _Tty(), True)
    assert _run(monkeypatch, _Tty(), False) == ""
    assert _run(monkeypatch, io.StringIO(), True) == ""  # piped / CI log: hidden
