"""Resource limits checked *before* anything is read or allocated.

A hostile or broken input (a 192-byte ``.npy`` that declares 10**11 rows, a FIFO or
``/dev/zero`` where a JSON file should be, a YAML alias bomb) must end in a one-line error that
names the file, the limit and how to raise it — never a hang, a MemoryError or a 350 MB
message. Two environment variables raise the limits:

- ``SCIGAN_MAX_MEMORY_GB``: the most one array or table may take (default: half of this
  machine's available memory, read from /proc/meminfo or sysconf).
- ``SCIGAN_MAX_FILE_MB``: the largest JSON/YAML run or config file read (default 256 MB).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from scigan.errors import SciganError

MEMORY_ENV = "SCIGAN_MAX_MEMORY_GB"
FILE_ENV = "SCIGAN_MAX_FILE_MB"
MAX_MESSAGE = 600  # characters of an error message shown on the command line


def _env_float(name: str) -> float | None:
    text = os.environ.get(name)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or physical memory if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def memory_limit() -> int:
    """The most bytes one array/table may take."""
    gb = _env_float(MEMORY_ENV)
    return int(gb * (1 << 30)) if gb is not None else available_memory() // 2


def file_limit() -> int:
    mb = _env_float(FILE_ENV)
    return int((mb if mb is not None else 256.0) * (1 << 20))


def check_allocation(
    shape: Sequence[int], itemsize: int, where: str, error: type[SciganError]
) -> None:
    """Refuse an array of ``shape`` × ``itemsize`` bytes larger than :func:`memory_limit`."""
    total = itemsize
    for s in shape:
        if s < 0:
            raise error(f"{where}: negative dimension in shape {tuple(shape)}; the file is corrupt")
        total *= int(s)
    limit = memory_limit()
    if total > limit:
        why = f"{MEMORY_ENV}" if _env_float(MEMORY_ENV) else "half the available memory"
        raise error(
            f"{where}: shape {tuple(int(s) for s in shape)} needs {_human(total)}, over the "
            f"{_human(limit)} limit ({why}); pass smaller data or raise "
            f"the limit with {MEMORY_ENV}=<GB>"
        )


def check_readable_file(
    path: Path, error: type[SciganError], *, limit: int | None = None, memory: bool = False
) -> int:
    """``path`` must be a regular file (not a FIFO, device or folder) no larger than ``limit``
    bytes (default :func:`file_limit`, or :func:`memory_limit` when ``memory``: a file read
    whole into memory); returns its size. Checked before it is opened, so a FIFO cannot hang
    the reader and /dev/zero cannot fill memory."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise error(f"{path}: not found; check the path") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror}); check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{path}: is a directory; pass a file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{path}: not a regular file (a pipe or device); pass a plain file")
    if limit is None:
        limit = memory_limit() if memory else file_limit()
    if st.st_size > limit:
        env = f"{MEMORY_ENV}=<GB>" if memory else f"{FILE_ENV}=<MB>"
        raise error(
            f"{path}: {_human(st.st_size)}, over the {_human(limit)} limit for this file; "
            f"raise it with {env} if the file is genuine"
        )
    return st.st_size


def cap_message(text: str, limit: int = MAX_MESSAGE) -> str:
    """One line of at most ``limit`` characters (newlines folded, the middle elided)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    keep = (limit - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
