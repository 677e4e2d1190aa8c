"""Toy data: 2-D Gaussian mixtures (Metz et al. 2017; Lin et al. 2018) and user point clouds.

``ring8``: 8 Gaussians evenly spaced on a circle of radius 2, σ = 0.02.
``grid25``: a 5×5 grid of Gaussians at {-4, -2, 0, 2, 4}², σ = 0.05.
Both are exact: the mode centres and σ are known, so coverage and quality are measured
against the true distribution.

Any ``(N, D)`` float array is accepted too: in memory, a ``.npy`` file or a numeric ``.csv``
(:func:`load_points`); samples are written back as ``.npy`` or ``.csv`` (:func:`write_points`).
"""

from __future__ import annotations

import io
import math
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from scigan.core.checkpoint import atomic_write_bytes, atomic_write_text
from scigan.domains.base import Dataset, check_finite
from scigan.errors import DataError
from scigan.limits import check_allocation, check_readable_file

DEFAULT_N = 20_000


@dataclass(frozen=True)
class Mixture:
    """Equal-weight isotropic Gaussian mixture in 2-D."""

    centres: np.ndarray  # (K, 2)
    sigma: float

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 2) float64 samples with equal mode weights."""
        k = rng.integers(len(self.centres), size=n)
        return self.centres[k] + self.sigma * rng.standard_normal((n, 2))


def ring8() -> Mixture:
    angles = 2 * np.pi * np.arange(8) / 8
    return Mixture(2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.02)


def grid25() -> Mixture:
    g = np.arange(-4.0, 4.1, 2.0)
    return Mixture(np.array([(x, y) for x in g for y in g]), 0.05)


MIXTURES = {"ring8": ring8, "grid25": grid25}


def load_points(source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
    """A registered mixture (``n`` points drawn with ``seed``), a points file or an array.

    Args:
        source: ``ring8``/``grid25``, a ``.npy``/``.csv`` path, or an ``(N, D)`` array.
        options: data options; only ``n`` (registered mixtures, default 20,000).
        seed: seed of the mixture draw.

    Raises:
        DataError: unknown options, unreadable files, non-numeric, ragged, non-finite or
            constant points.
    """
    unknown = set(options) - {"n"}
    if unknown:
        raise DataError(f"unknown toy option(s) {sorted(unknown)}; the toy domain takes n")
    if isinstance(source, str) and source in MIXTURES:
        n = options.get("n", DEFAULT_N)
        if not isinstance(n, int) or not 100 <= n <= 10_000_000:
            raise DataError(f"toy option n={n!r} must be an integer in [100, 10000000]")
        x = MIXTURES[source]().sample(n, np.random.default_rng(seed))
        return Dataset(source, x, info={"n": n, "shape": list(x.shape)})
    if isinstance(source, str | Path):
        name, x = str(source), _read_points(Path(source))
    else:
        name = "<in-memory>"
        try:
            x = np.asarray(source)
        except ValueError:
            raise DataError(
                f"{name}: ragged points (rows of different lengths); give every point the "
                "same length, as an (N, D) array"
            ) from None
    if x.dtype.kind not in "fiu":
        raise DataError(f"{name}: expected numeric points, got dtype {x.dtype}")
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise DataError(
            f"{name}: expected an (N, D) array with N >= 2, got shape {x.shape}"
            + (f"; write {_CSV_HINT}" if name.endswith((".csv", ".txt")) else "")
        )
    x = x.astype(np.float64)
    check_finite(x, name)
    if (x == x[0]).all():
        raise DataError(
            f"{name}: all {len(x)} points are identical (every column is constant); "
            "there is no distribution to learn — check the file"
        )
    return Dataset(name, x, info={"n": len(x), "shape": list(x.shape)})


def _read_points(path: Path) -> np.ndarray:
    if path.is_dir():
        raise DataError(f"{path}: is a directory; pass a .npy or .csv file of points")
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path or use a registered dataset")
    # A FIFO or device must not hang or fill memory: only a regular file is opened, and what
    # it would take in memory is checked against the limit before it is read.
    size = check_readable_file(path, DataError, limit=sys.maxsize)
    if path.suffix == ".npy":
        _check_npy_header(path, size)
        try:
            x = np.load(path, allow_pickle=False)
        except EOFError:
            raise DataError(
                f"{path}: the file is empty; save an (N, D) array with np.save"
            ) from None
        except (ValueError, OSError) as exc:
            if "pickle" in str(exc):  # object arrays, or not a .npy file at all
                raise DataError(
                    f"{path}: not a numeric .npy array (it holds pickled objects or is not .npy); "
                    "scigan never unpickles data — save it with "
                    "np.save(path, x, allow_pickle=False)"
                ) from None
            raise DataError(
                f"{path}: not a readable .npy array ({_short(exc)}); save an (N, D) array with "
                "np.save"
            ) from None
    elif path.suffix in (".csv", ".txt"):
        # Every number takes at least two bytes ("1,") and 8 in memory: at most 4× the file.
        check_allocation(
            (max(size // 2, 1),),
            8,
            f"{path} (a {size}-byte CSV of up to {size // 2} numbers)",
            DataError,
        )
        try:
            with warnings.catch_warnings():  # "input contained no data": reported below
                warnings.simplefilter("ignore", UserWarning)
                x = np.loadtxt(path, delimiter=",", ndmin=2, encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None
        except ValueError as exc:
            raise DataError(_csv_problem(path) or f"{path}: {_short(exc)}; {_CSV_HINT}") from None
        if x.size == 0:
            raise DataError(f"{path}: the file is empty; write {_CSV_HINT}")
    else:
        raise DataError(f"{path}: unsupported file type '{path.suffix}'; use .npy or .csv")
    return x


def _check_npy_header(path: Path, size: int) -> None:
    """Refuse a ``.npy`` whose header declares more than memory allows (a 128-byte file can
    declare 10**11 rows) or more bytes than the file holds, before anything is allocated.

    Headers that do not parse are left to ``np.load``, which reports them without allocating.
    """
    try:
        with path.open("rb") as fh:
            version = npy_format.read_magic(fh)
            read_header = (
                npy_format.read_array_header_1_0
                if version == (1, 0)
                else npy_format.read_array_header_2_0  # 3.0 differs only in the header text
            )
            shape, _fortran, dtype = read_header(fh)
            offset = fh.tell()
    except (ValueError, EOFError, OSError, SyntaxError, TypeError):
        return
    if dtype.hasobject:
        return  # refused by np.load(allow_pickle=False) with the pickle message
    check_allocation(shape, dtype.itemsize, str(path), DataError)
    need = dtype.itemsize * math.prod(int(s) for s in shape)
    if offset + need > size:
        raise DataError(
            f"{path}: not a readable .npy array (the header declares shape "
            f"{tuple(int(s) for s in shape)}, {need} bytes, but the file holds {size - offset}); "
            "the file is truncated — save it again with np.save"
        )


_CSV_HINT = "one point per line as comma-separated numbers, without a header"


def _short(value: object, limit: int = 60) -> str:
    """One line of at most ``limit`` characters (error messages never quote a whole input)."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _csv_problem(path: Path) -> str | None:
    """The first line/column of a points CSV that is not a number, or a ragged line."""
    width, first = None, 0
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            cells = line.rstrip("\r\n").split(",")
            for col, cell in enumerate(cells, 1):
                try:
                    float(cell)
                except ValueError:
                    sep = next((s for s in (";", "\t", "|", " ") if s in cell.strip()), None)
                    if sep is not None:
                        hint = f"values look separated by {sep!r}; separate them with a comma"
                    elif first == 0:
                        hint = "remove the header line; write " + _CSV_HINT
                    else:
                        hint = "write " + _CSV_HINT
                    return (
                        f"{path}: line {lineno}, column {col}: {_short(cell, 40)!r} is not a "
                        f"number; {hint}"
                    )
            if width is None:
                width, first = len(cells), lineno
            elif len(cells) != width:
                return (
                    f"{path}: line {lineno} has {len(cells)} values but line {first} has {width}; "
                    "every line needs the same number of comma-separated values"
                )
    return None


def write_points(samples: Any, path: Path) -> None:
    """``.npy`` (float32) or ``.csv`` (header ``x0,x1,...``, 6 significant digits), atomically."""
    x = np.asarray(samples, dtype=np.float64)
    if path.suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, x.astype(np.float32), allow_pickle=False)
        atomic_write_bytes(path, buf.getvalue())
    else:
        header = ",".join(f"x{i}" for i in range(x.shape[1]))
        rows = "\n".join(",".join(f"{v:.6g}" for v in row) for row in x)
        atomic_write_text(path, header + "\n" + rows + "\n")
