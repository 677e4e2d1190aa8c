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


def test_evaluation_shows_a_stage_bar_on_a_terminal(monkeypatch):
    from scigan import Synthesizer

    gan = Synthesizer(domain="toy", steps=2, eval_every=0, batch_size=32, z_dim=4, g_width=8,
                      d_width=8, options={"n": 200})  # fmt: skip
    gan.fit("ring8")
    stream = _Tty()
    monkeypatch.setattr(sys, "stderr", stream)
    with progress.enabled(True):
        gan.evaluate(n=50)
    text = stream.getvalue()
    assert "evaluate" in text and "sample 50" in text
    stream = _Tty()
    monkeypatch.setattr(sys, "stderr", stream)
    gan.evaluate(n=50)  # the API default: off
    assert stream.getvalue() == ""


def test_stage_outside_a_task_is_a_no_op():
    progress.stage("nothing open")  # must not raise
