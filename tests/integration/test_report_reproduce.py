"""The report's "Reproduce this run" command retrains the run exactly."""

from __future__ import annotations

import html
import json
import re
import shlex

import torch
from small_toy import NETWORK

from scigan.cli import main
from scigan.core import run_folder
from scigan.report import write_report


def _command(run) -> list[str]:
    text = write_report(run).read_text(encoding="utf-8")
    found = re.search(r'<pre id="reproduce"><code>(.*?)</code></pre>', text, flags=re.S)
    assert found is not None
    return shlex.split(html.unescape(found.group(1)))


def test_reproduce_command_retrains_the_run_exactly(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    # --pac 1 is the built-in default but not the toy domain's (2): only --config keeps it.
    flags = ["--steps", "6", "--seed", "3", "--loss", "hinge", "--lr-d", "0.0005", "--pac", "1",
             "--no-minibatch-std", "--eval-every", "0", "--eval-n", "64", "--ckpt-every", "3",
             "--set", "n=500", *NETWORK]  # fmt: skip
    assert main(["train", "--data", "ring8", "--out", str(first), "--quiet", *flags]) == 0
    args = _command(first)
    assert args[:2] == ["scigan", "train"]
    for shown in (["--seed", "3"], ["--loss", "hinge"], ["--lr-d", "0.0005"], ["--set", "n=500"],
                  ["--config", str(first / "config.json")]):  # fmt: skip
        assert " ".join(shown) in " ".join(args), args
    assert main([*args[1:], "--out", str(second), "--quiet"]) == 0

    config = [json.loads((run / "config.json").read_text()) for run in (first, second)]
    assert config[0]["config"] == config[1]["config"]
    assert config[0]["config"]["net"]["pac"] == 1
    assert config[0]["data_hash"] == config[1]["data_hash"]
    (a, state_a), (b, state_b) = (run_folder.load(run, "latest") for run in (first, second))
    assert state_a["step"] == state_b["step"] == 6
    assert sorted(a) == sorted(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key
