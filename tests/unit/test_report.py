"""Tests of the self-contained HTML run report."""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from scigan.errors import CheckpointError
from scigan.report import figure_to_data_uri, render_report, write_report

IMG = '<img src="data:image/png;base64,'


def _config() -> dict:
    return {
        "config": {
            "domain": "toy",
            "data": "ring8",
            "seed": 7,
            "steps": 1000,
            "loss": {"name": "ns", "r1": 0.1},
            "optim": {"lr_g": 2e-4, "lr_d": 2e-4, "betas": [0.5, 0.999]},
            "net": {"hidden": 128, "note": "<script>alert(1)</script>"},
        },
        "versions": {"scigan": "0.1.0", "torch": "2.13.0", "numpy": "2.4.6", "python": "3.11.7"},
        "seed": 7,
        "data_hash": "sha256:abc123def456",
        "data": {"name": "ring8", "n": 20000, "shape": [20000, 2]},
        "created": "2026-11-24T19:00:00Z",
    }


def _train_row(step: int, loss_d: float | None = 0.7) -> str:
    row = {
        "kind": "train",
        "step": step,
        "loss_d": loss_d,
        "loss_g": 1.0 + step / 1000,
        "grad_norm_d": 0.5 + step / 500,
        "grad_norm_g": 2.0,
        "d_real": 0.6,
        "d_fake": 0.4,
        "d_acc": 0.55,
        "lr_g": 2e-4,
        "lr_d": 2e-4,
        "elapsed_s": step / 10,
    }
    return json.dumps(row)


def _make_run(root: Path, *, watchdog: bool = True) -> Path:
    run = root / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(_config()), encoding="utf-8")
    lines = [_train_row(s) for s in range(0, 600, 100)]
    lines.append(_train_row(600, loss_d=None).replace('"loss_d": null', '"loss_d": NaN'))
    for step in (200, 500):
        lines.append(
            json.dumps(
                {
                    "kind": "eval",
                    "step": step,
                    "n": 2000,
                    "seed": 0,
                    "metrics": {
                        "modes_covered": {"value": 7 + step // 500, "floor": 8},
                        "high_quality_fraction": {"value": 0.9, "floor": 0.99},
                        "mmd_rbf": {"value": 0.02, "floor": 0.0035},
                    },
                    "elapsed_s": step / 10,
                }
            )
        )
    if watchdog:
        lines.append(
            json.dumps(
                {
                    "kind": "watchdog",
                    "step": 600,
                    "event": "rollback",
                    "reason": "non-finite loss_d",
                    "to_step": 500,
                    "lr_g": 1e-4,
                    "lr_d": 1e-4,
                    "elapsed_s": 61.0,
                }
            )
        )
    lines.append(json.dumps({"kind": "future_kind", "step": 600, "x": 1}))
    lines += [_train_row(s) for s in (500, 600, 700)]  # resumed after the rollback
    text = "\n".join(lines) + '\n{"kind": "train", "step": 800, "loss_d": 0.6'  # truncated
    (run / "metrics.jsonl").write_text(text, encoding="utf-8")
    return run


EVALUATION = {
    "n": 5000,
    "seed": 123,
    "metrics": {
        "modes_covered": {"value": 8, "floor": 8, "better": "higher"},
        "high_quality_fraction": {"value": 0.97, "floor": 0.995, "ci": [0.96, 0.98]},
        "energy_distance": {
            "value": 0.0123,
            "floor": 0.0041,
            "better": "lower",
            "description": "Energy distance between generated and real points",
        },
        "zero_floor_metric": {"value": 0.5, "floor": 0.0},
    },
}


def _custom_figure() -> Figure:
    fig = Figure(figsize=(3, 3))
    ax = fig.add_subplot()
    ax.scatter([0, 1, 2], [1, 0, 1])
    return fig


def test_write_report_full(tmp_path: Path) -> None:
    run = _make_run(tmp_path)
    path = write_report(
        run, evaluation=EVALUATION, figures={"Samples vs real data": _custom_figure()}
    )
    assert path == run / "report.html"
    assert path.is_file()
    text = path.read_text(encoding="utf-8")

    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")
    assert text.count(IMG) >= 5
    # Self-contained: no external resources of any kind.
    assert not re.search(r"https?://", text)
    assert not re.search(r"<(script|link)\b", text, flags=re.IGNORECASE)

    # Final evaluation table: names, values, floors, ratio, N/seed, CI, floor sentence.
    for name in EVALUATION["metrics"]:
        assert name in text
    for floor in ("0.995", "0.0041"):
        assert floor in text
    assert "0.9749" in text  # ratio 0.97 / 0.995
    assert "N = 5000" in text and "seed 123" in text
    assert "[0.96, 0.98]" in text
    assert "two disjoint real samples of the same size" in text
    assert "lower is better" in text

    # Run summary and reproduction command.
    assert "sha256:abc123def456" in text
    assert "2026-11-24T19:00:00Z" in text
    assert "torch 2.13.0" in text
    assert "scigan train --data ring8 --domain toy --seed 7 --steps 1000" in text
    assert "70.0 s" in text  # wall time = elapsed_s of the last complete train row

    # Watchdog table, notes on the log, config block, samples section.
    assert "non-finite loss_d" in text
    assert "rollback" in text
    assert "truncated" in text
    assert "future_kind" in text
    assert "<details>" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert" not in text
    assert "Samples vs real data" in text
    assert "No watchdog events" not in text

    # Atomic write leaves nothing behind.
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "metrics.jsonl", "report.html"]


def test_report_without_events_or_evaluation(tmp_path: Path) -> None:
    run = _make_run(tmp_path, watchdog=False)
    out = tmp_path / "elsewhere" / "r.html"
    path = write_report(run, out=out)
    assert path == out
    text = out.read_text(encoding="utf-8")
    assert "No watchdog events (no divergence or collapse detected)" in text
    # Falls back to the last evaluation logged during training.
    assert "Latest evaluation" in text and "modes_covered" in text
    assert "0.0035" in text
    assert not (run / "report.html").exists()
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]


def test_render_report_minimal_log(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"config": {"seed": 1}}), encoding="utf-8")
    (run / "metrics.jsonl").write_text("", encoding="utf-8")
    text = render_report(run)
    assert text.startswith("<!DOCTYPE html>")
    assert "No training rows were logged" in text
    assert "scigan train --seed 1" in text
    assert IMG not in text


def test_missing_files_raise_checkpoint_error(tmp_path: Path) -> None:
    run = _make_run(tmp_path)
    (run / "config.json").unlink()
    with pytest.raises(CheckpointError, match=r"config\.json.*scigan train"):
        write_report(run)
    assert not (run / "report.html").exists()

    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps(_config()), encoding="utf-8")
    with pytest.raises(CheckpointError, match=r"metrics\.jsonl"):
        write_report(other)


def test_figure_to_data_uri() -> None:
    uri = figure_to_data_uri(_custom_figure())
    assert uri.startswith("data:image/png;base64,")
    assert len(uri) > 200


def _cells(text: str, name: str) -> list[str]:
    """The cells of the final-evaluation row of metric ``name``, tags stripped."""
    row = re.search(rf"<tr><td>(?:(?!</tr>).)*<strong>{name}</strong>.*?</tr>", text, re.S)
    assert row is not None, name
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))]


def test_every_metric_shows_direction_verdict_and_z(tmp_path: Path) -> None:
    metrics = {
        "energy": {
            "value": -1.40,
            "floor": -1.41,
            "better": "closer to exact",
            "exact": -1.45,
            "z": 2.5,
            "z_floor": 0.4,
        },
        "w1": {"value": 0.011, "floor": 0.01, "better": "lower"},
        "validity": {"value": 0.2, "floor": 0.99, "better": "higher"},
        "nan_metric": {"value": math.nan, "floor": 1.0, "better": "lower"},
        "identity": {"value": 1.0, "floor": 1.0, "better": "higher", "by_construction": True},
        "plain": {"value": 3.0},
    }
    text = render_report(_make_run(tmp_path), evaluation={"n": 10, "seed": 0, "metrics": metrics})
    assert _cells(text, "energy")[:3] == ["miss", "energy", "closer to exact"]
    assert "+2.50" in _cells(text, "energy")  # the z column
    assert _cells(text, "w1")[:3] == ["pass", "w1", "lower is better"]
    assert _cells(text, "validity")[:3] == ["miss", "validity", "higher is better"]
    assert _cells(text, "nan_metric")[0] == "miss"
    assert _cells(text, "identity")[0] == "holds by construction — not counted"
    assert _cells(text, "plain")[0] == "info"
    assert "z vs exact" in text and "Verdict, first rule that applies" in text

    # The summary at the top counts pass/miss only and lists the misses first.
    summary = text[text.index('<div class="verdicts') : text.index("<h2>Run summary")]
    assert "1 of 4 targets met" in summary
    order = [summary.index(f"<strong>{m}</strong>") for m in ("energy", "validity", "w1")]
    assert order == sorted(order)
    assert summary.index("nan_metric") < summary.index("<strong>w1</strong>")
    assert "not counted" in summary and "identity" in summary and "plain" in summary


def test_wall_time_covers_post_training_stages(tmp_path: Path) -> None:
    run = _make_run(tmp_path)
    with (run / "metrics.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("\n" + json.dumps({"kind": "adapt", "step": 700, "seconds": 12.5}) + "\n")
        fh.write(json.dumps({"kind": "drs", "step": 700, "seconds": 2.5}) + "\n")
        fh.write(json.dumps({"kind": "drs", "step": 700}) + "\n")
    text = render_report(run)
    assert "85.0 s (0:01:25)" in text  # 70 s training + 12.5 s adaptation + 2.5 s DRS
    assert "training 70.0 s + adapt 12.5 s + drs 2.5 s + drs (not timed)" in text


def test_report_shows_progress_while_rendering(tmp_path: Path, monkeypatch) -> None:
    from scigan import progress

    stages: list[str] = []
    monkeypatch.setattr(progress, "stage", stages.append)
    render_report(_make_run(tmp_path), figures={"Samples vs real data": _custom_figure()})
    assert stages == ["tables", "loss curves", "gradient norms", "discriminator outputs",
                      "evaluation curves", "figure: Samples vs real data"]  # fmt: skip


def test_reproduce_flags_read_back_as_the_saved_settings(tmp_path: Path) -> None:
    """Every flag and --set in the command parses back to the saved value (YAML pitfalls such
    as 1e-05, 'yes' and lists included); --config names the run's config.json."""
    import shlex

    import yaml

    from scigan.cli import build_parser
    from scigan.config import TrainConfig

    options = {"n": 500, "eps": 1e-05, "flag": "yes", "temps": [2.269185, 3.0], "name": "a b"}
    cfg = TrainConfig(domain="toy", data="ring8", seed=4, steps=12, options=options)
    cfg = cfg.replace({"lr_d": 1e-05, "spectral_norm": True, "loss": "hinge"})
    run = tmp_path / "run"
    run.mkdir()
    argv = ["/venv/bin/scigan", "train", "--steps", "12"]
    doc = {"config": cfg.to_dict(), "versions": {"scigan": "0"}, "seed": 4, "command": argv}
    (run / "config.json").write_text(json.dumps(doc), encoding="utf-8")
    (run / "metrics.jsonl").write_text("", encoding="utf-8")
    text = render_report(run)
    command = re.search(r'<pre id="reproduce"><code>(.*?)</code></pre>', text, re.S).group(1)
    argv = shlex.split(html.unescape(command))
    assert argv[:2] == ["scigan", "train"]
    args = build_parser().parse_args(argv[1:])
    assert args.config == run / "config.json"
    assert (args.data, args.domain, args.seed, args.steps) == ("ring8", "toy", 4, 12)
    assert (args.lr_d, args.spectral_norm, args.loss) == (1e-05, True, "hinge")
    assert {k: yaml.safe_load(v) for k, v in args.options} == options
    assert "started as <code>scigan train --steps 12</code>" in text


def test_reproduce_in_memory_run_names_the_api(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    doc = {"config": {"domain": "toy", "data": "<in-memory>", "seed": 0}}
    (run / "config.json").write_text(json.dumps(doc), encoding="utf-8")
    (run / "metrics.jsonl").write_text("", encoding="utf-8")
    text = html.unescape(render_report(run))
    assert "Synthesizer(config=" in text and "in-memory data" in text
