"""Helpers the hostile-input tests share: run the CLI in-process, check a one-line error,
snapshot a folder to prove nothing was written."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from scigan.cli import main

MAX_LINE = 600  # scigan.limits.MAX_MESSAGE: the longest error message the CLI prints


def cli(capsys, *args: object) -> tuple[int, list[str]]:
    """``scigan ARGS`` in this process: (exit code, stderr lines)."""
    capsys.readouterr()
    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    return rc, capsys.readouterr().err.splitlines()


def one_error(rc: int, lines: list[str], *needles: str) -> str:
    """Exit code 2 and exactly one stderr line, ``scigan: error: ...``, holding ``needles``."""
    assert rc == 2, lines
    assert len(lines) == 1 and lines[0].startswith("scigan: error: "), lines
    assert len(lines[0]) <= MAX_LINE + len("scigan: error: "), lines[0][:200]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with a hash of its bytes (folders, pipes and links by kind)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        elif not p.is_file():
            out[rel] = "special"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
