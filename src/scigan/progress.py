"""Progress bars for long steps (data generation, sampling, evaluation), shown only where a person
looks.

The CLI switches them on unless ``--quiet``; the API leaves them off unless
:func:`enable` is called (training has its own ``progress=`` argument). Even when enabled, tqdm
hides them when stderr is not a terminal (CI logs, pipes), so non-interactive runs stay clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tqdm.auto import tqdm

_enabled = False
_tasks: list[tqdm] = []  # open multi-stage bars, innermost last


def enable(on: bool = True) -> None:
    """Show progress bars on long steps from now on (``False`` hides them)."""
    global _enabled
    _enabled = bool(on)


@contextmanager
def enabled(on: bool) -> Iterator[None]:
    """Temporarily show (or hide) progress bars."""
    global _enabled
    before, _enabled = _enabled, bool(on)
    try:
        yield
    finally:
        _enabled = before


def bar(total: int, desc: str, unit: str = "it", *, disable: bool | None = None) -> tqdm:
    """A tqdm bar: off unless enabled or when ``disable`` is True; hidden on a non-terminal."""
    off = True if (disable or not _enabled) else None  # None: tqdm hides it on non-TTY stderr
    return tqdm(total=total, desc=desc, unit=unit, disable=off, dynamic_ncols=True, leave=False)


@contextmanager
def task(desc: str) -> Iterator[tqdm]:
    """A bar for a step made of stages of unknown number (e.g. an evaluation's metrics).

    Code inside calls :func:`stage` as it starts each stage; the bar counts them and shows the
    current one. Nested tasks advance the innermost.
    """
    with bar(0, desc, "stage") as b:
        b.total = None
        _tasks.append(b)
        try:
            yield b
        finally:
            _tasks.pop()


def stage(label: str) -> None:
    """Mark the start of a stage of the innermost open :func:`task` (no-op outside one)."""
    if _tasks:
        b = _tasks[-1]
        b.update(1)
        b.set_postfix_str(label, refresh=True)
