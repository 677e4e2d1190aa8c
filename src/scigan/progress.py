"""Progress bars for long steps (data generation, sampling), shown only where a person looks.

The CLI switches them on unless ``--quiet``; the API leaves them off unless
:func:`enable` is called (training has its own ``progress=`` argument). Even when enabled, tqdm
hides them when stderr is not a terminal (CI logs, pipes), so non-interactive runs stay clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tqdm.auto import tqdm

_enabled = False


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
