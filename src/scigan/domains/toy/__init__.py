"""The ``toy`` domain: 2-D Gaussian mixtures with exact mode metrics; the engine's test bench.

Also accepts any ``(N, D)`` float array (in memory, ``.npy`` or a numeric ``.csv``); mode
metrics need known modes, so user point clouds are judged with MMD and Fréchet distance only.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from scigan.config import TrainConfig
from scigan.core.checkpoint import atomic_write_bytes, atomic_write_text
from scigan.core.nets import MLPDiscriminator, MLPGenerator
from scigan.domains.base import (
    AbstractDomain,
    AbstractEncoder,
    Dataset,
    MetricResult,
    SampleFn,
    check_finite,
)
from scigan.domains.toy.data import MIXTURES
from scigan.domains.toy.encoding import PointEncoder
from scigan.domains.toy.metrics import mode_statistics
from scigan.errors import DataError
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

DEFAULT_N = 20_000
_REFERENCE_SEED_OFFSET = 1_000_003  # fresh reference draws never coincide with training data


def _read_points(path: Path) -> np.ndarray:
    if path.is_dir():
        raise DataError(f"{path}: is a directory; pass a .npy or .csv file of points")
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path or use a registered dataset")
    if path.suffix == ".npy":
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


def _mmd(a: np.ndarray, b: np.ndarray) -> float:
    from scigan.metrics import mmd2_unbiased

    return mmd2_unbiased(a, b)


def _frechet(a: np.ndarray, b: np.ndarray) -> float:
    from scigan.metrics import frechet_distance_features

    return frechet_distance_features(a, b)


@DOMAINS.register("toy")
class ToyDomain(AbstractDomain):
    """2-D mixtures (``ring8``, ``grid25``) and generic point clouds."""

    name = "toy"
    sample_suffixes = (".csv", ".npy")
    best_metric = ("mode_kl", True)

    def default_config(self, data: str) -> dict[str, Any]:
        # From a sweep recorded in benchmarks/RESULTS.md: plain ns collapsed to 2-3 of 8 ring
        # modes; PacGAN-2 packing plus a minibatch-std feature covered all of them, and
        # high-quality samples kept rising with steps (0.79 at 3k, 0.92 at 9k on ring8).
        return {
            "z_dim": 16,
            "g_width": 128,
            "d_width": 128,
            "g_depth": 2,
            "d_depth": 2,
            "batch_size": 256,
            "lr_g": 1e-3,
            "lr_d": 1e-3,
            "beta1": 0.5,
            "beta2": 0.99,
            "ema_decay": 0.995,
            "pac": 2,
            "minibatch_std": True,
            "steps": 9000,
            "eval_every": 3000,
            "ckpt_every": 1000,
        }

    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
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

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        return PointEncoder()

    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return MLPGenerator(
            cfg.net.z_dim,
            encoder.output_spans(),
            width=cfg.net.g_width,
            depth=cfg.net.g_depth,
            latent_modes=cfg.net.latent_modes,
        )

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        dim = sum(s.dim for s in encoder.output_spans())
        return MLPDiscriminator(
            dim,
            width=cfg.net.d_width,
            depth=cfg.net.d_depth,
            sn=cfg.net.spectral_norm,
            pac=cfg.net.pac,
            minibatch_std=cfg.net.minibatch_std,
        )

    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        from scigan.metrics import with_floor

        generated = np.asarray(sample(n, None, seed))
        out: MetricResult = {}
        mixture = MIXTURES.get(reference.name)
        if mixture is not None:
            # Exact reference: fresh draws from the true mixture, never the training points.
            rng = np.random.default_rng(seed + _REFERENCE_SEED_OFFSET)
            real = mixture().sample(2 * n, rng)
            ref_a, ref_b = real[:n], real[n:]
            stats, floor = mode_statistics(generated, mixture()), mode_statistics(ref_b, mixture())
            better = {
                "modes_covered": "higher",
                "high_quality_fraction": "higher",
                "mode_kl": "lower",
            }
            for key, value in stats.items():
                out[key] = {
                    "value": value,
                    "floor": floor[key],
                    "n": n,
                    "seed": seed,
                    "better": better[key],
                }
            out["mmd"] = {
                "value": _mmd(generated, ref_a),
                "floor": _mmd(ref_b, ref_a),
                "n": n,
                "seed": seed,
                "better": "lower",
            }
            return out
        x = np.asarray(reference.samples)
        for key, fn in (("mmd", _mmd), ("frechet", _frechet)):
            out[key] = {
                **with_floor(fn, generated, x, n=min(n, len(x) // 2), seed=seed),
                "better": "lower",
            }
        return out

    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        x = np.asarray(samples, dtype=np.float64)
        if path.suffix == ".npy":
            import io

            buf = io.BytesIO()
            np.save(buf, x.astype(np.float32), allow_pickle=False)
            atomic_write_bytes(path, buf.getvalue())
        else:
            header = ",".join(f"x{i}" for i in range(x.shape[1]))
            rows = "\n".join(",".join(f"{v:.6g}" for v in row) for row in x)
            atomic_write_text(path, header + "\n" + rows + "\n")

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from matplotlib.figure import Figure

        x = np.asarray(generated)
        real = np.asarray(reference.samples)[: len(x)]
        fig = Figure(figsize=(8, 4))
        for ax, pts, title in zip(
            fig.subplots(1, 2), (real, x), ("real", "generated"), strict=True
        ):
            ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.4)
            mixture = MIXTURES.get(reference.name)
            if mixture is not None:
                c = mixture().centres
                ax.scatter(c[:, 0], c[:, 1], marker="x", c="red", s=30, label="mode centres")
                ax.legend(loc="upper right", fontsize=8)
            ax.set_title(f"{title} (N={len(pts)})")
            ax.set_aspect("equal")
        return {"Samples: real vs generated": fig}


register_dataset(
    DatasetInfo(
        "ring8",
        "toy",
        "20,000 × 2 (option n)",
        "generated in-process",
        "n/a (synthetic)",
        "8 Gaussians on a circle of radius 2, σ 0.02",
    )
)
register_dataset(
    DatasetInfo(
        "grid25",
        "toy",
        "20,000 × 2 (option n)",
        "generated in-process",
        "n/a (synthetic)",
        "5×5 grid of Gaussians, spacing 2, σ 0.05",
    )
)
