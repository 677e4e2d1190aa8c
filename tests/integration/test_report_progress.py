"""`scigan report` shows progress through the evaluation and the figure rendering."""

from __future__ import annotations

from contextlib import contextmanager

from small_toy import small_flags

from scigan import progress
from scigan.cli import main


def test_report_command_shows_progress_while_evaluating_and_drawing(tmp_path, monkeypatch):
    run = tmp_path / "run"
    assert main(["train", "--data", "ring8", "--steps", "4", "--out", str(run),
                 "--eval-n", "64", *small_flags(ckpt_every=4)]) == 0  # fmt: skip
    seen: list[tuple[str, bool]] = []  # (task or stage, progress enabled then)
    task, stage = progress.task, progress.stage

    @contextmanager
    def recording_task(desc):
        seen.append((f"task {desc}", progress._enabled))
        with task(desc) as bar:
            yield bar

    def recording_stage(label):
        seen.append((label, progress._enabled))
        stage(label)

    monkeypatch.setattr(progress, "task", recording_task)
    monkeypatch.setattr(progress, "stage", recording_stage)
    assert main(["report", str(run), "-n", "64"]) == 0
    names = [name for name, _ in seen]
    assert names[0] == "task evaluate"
    assert names.index("task report") > 0
    assert {"loss curves", "evaluation curves"} <= set(names)
    assert any(name.startswith("figure: ") for name in names)
    assert all(enabled for _, enabled in seen)  # `scigan report` has no --quiet: bars on
