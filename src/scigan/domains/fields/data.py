"""Field datasets: the built-in simulators (seeded, cached as .npz) and user arrays.

Every built-in dataset is a pure function of its options and a seed. Generated arrays are
cached under ``$SCIGAN_CACHE`` (default ``~/.cache/scigan``) as ``fields/<name>-<key>.npz``,
where the key hashes the dataset name, every generation parameter, the seed and
:data:`GENERATOR_VERSION`; files are written atomically, so an interrupted run never leaves a
half-written cache entry.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scigan.core.checkpoint import atomic_write_npz
from scigan.core.nets import OBSERVABLES, UPSAMPLE
from scigan.domains.arrays import check_array_path, check_h5_dataset, check_npy_file, check_npz_file
from scigan.domains.base import Dataset, check_finite
from scigan.domains.fields import simulators as sim
from scigan.errors import DataError, MissingDependencyError

GENERATOR_VERSION = 1  # bump when a simulator changes: old cache entries are then ignored
ISING_TEMPERATURES = (2.0, 2.269185, 2.5)
TELEGRAPH_DEFAULTS = {"k_on": 0.5, "k_off": 1.0, "k_m": 30.0, "gamma": 1.0}
MODEL_OPTIONS = (
    "periodic",
    "symmetric",
    "transform",
    "layout",
    "cond_names",
    "data_seed",
    "cache",
    "observables",
    "match",
    "match_momentum",
    "match_scale",
    "match_stat",
    "match_obs",
    "match_circular",
    "axes",
    "roll",
    "cut",
    "total",
    "sweeps",
    "upsample",
    "film",
    "equivariant",
    "full_depth",
    "split",
    "split_d",
    "spectral_noise",
    "spectral_filter",
    "filter_weight",
    "obs_cond",
    "cond_batches",
)

#: Model options that are true/false and go to the encoder as given.
BOOL_MODEL_OPTIONS = (
    "roll",
    "cut",
    "total",
    "film",
    "equivariant",
    "spectral_noise",
    "spectral_filter",
    "split",
    "split_d",
    "obs_cond",
)


# ----------------------------------------------------------------------------- options


def match_weight(value: Any, kind: str, defaults: Mapping[str, float] | None = None) -> float:
    """The observable-matching weight: ``value`` (the ``match`` option) checked, or the
    default for the observables ``kind`` in ``defaults`` (:data:`matching.WEIGHTS`)."""
    from scigan.domains.fields.matching import WEIGHTS

    if value is None:
        return (WEIGHTS if defaults is None else defaults).get(kind, 0.0)
    return _float("match", value, 0.0, 1e4)


def filter_weight(value: Any) -> float:
    """The weight of the spectral filter's penalty (``filter_weight`` option, checked);
    default :data:`matching.FILTER_WEIGHT`."""
    from scigan.domains.fields.matching import FILTER_WEIGHT

    if value is None:
        return FILTER_WEIGHT
    return _float("filter_weight", value, 0.0, 1e4)


def bool_option(name: str, value: Any) -> bool:
    """A true/false option (checked); default off."""
    return False if value is None else _bool(name, value)


def cond_batches(value: Any) -> bool:
    """The ``cond_batches`` option (checked); default off."""
    return bool_option("cond_batches", value)


def match_momentum(value: Any) -> float:
    """The moving average of the matched moments (``match_momentum`` option, checked): 0 for
    the split-half estimate, β in (0, 0.9999] for an average over ~1 / (1 − β) batches;
    default :data:`matching.MOMENTUM`."""
    from scigan.domains.fields.matching import MOMENTUM

    if value is None:
        return MOMENTUM
    return _float("match_momentum", value, 0.0, 0.9999)


def match_scale(value: Any) -> str:
    """How the matched observables are standardised (``match_scale`` option, checked):
    ``group`` (default since 2026-12-07: each condition value's own mean and spread) or
    ``pooled`` (D's pooled within-condition spread, the earlier default)."""
    from scigan.domains.fields.matching import SCALE, SCALES

    if value is None:
        return SCALE
    if value not in SCALES:
        raise DataError(f"fields option match_scale={value!r} must be one of {', '.join(SCALES)}")
    return str(value)


def match_stat(value: Any) -> str:
    """What of the observables' distribution is matched (``match_stat`` option, checked):
    ``quantiles`` (default: every rank of each observable's distribution), ``moments`` (E[φ]
    and E[φ²], the default before session 17), ``both``, or ``means`` (E[φ] alone; see
    :mod:`matching`)."""
    from scigan.domains.fields.matching import STAT, STATS

    if value is None:
        return STAT
    if value not in STATS:
        raise DataError(f"fields option match_stat={value!r} must be one of {', '.join(STATS)}")
    return str(value)


def _int(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise DataError(f"fields option {name}={value!r} must be an integer in [{lo}, {hi}]")
    return int(value)


def _float(name: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise DataError(f"fields option {name}={value!r} must be a number in [{lo}, {hi}]")
    return float(value)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise DataError(f"fields option {name}={value!r} must be true or false")
    return value


def _temperatures(value: Any) -> tuple[float, ...]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [value]
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(t, int | float) and not isinstance(t, bool) for t in value)
        or not all(0.1 <= t <= 100 for t in value)
    ):
        raise DataError(
            f"fields option temperatures={value!r} must be a list of numbers in [0.1, 100], "
            "e.g. --set temperatures=[2.0,2.5]"
        )
    temps = tuple(sorted({float(t) for t in value}))
    return temps


@dataclass(frozen=True)
class Spec:
    """A built-in dataset: its option defaults, validators and generator."""

    name: str
    defaults: dict[str, Any]
    check: Callable[[dict[str, Any]], dict[str, Any]]
    generate: Callable[[dict[str, Any], np.random.Generator], tuple[np.ndarray, np.ndarray | None]]
    model: Callable[[dict[str, Any]], dict[str, Any]]
    description: str


def _check_ising(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "L": _int("L", o["L"], 4, 256),
        "n": _int("n", o["n"], 4, 1_000_000),
        "temperatures": list(_temperatures(o["temperatures"])),
        "burn": _int("burn", o["burn"], 0, 100_000),
        "thin": _int("thin", o["thin"], 1, 100_000),
    }


def _gen_ising(o: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    xs, cs = [], []
    for T in o["temperatures"]:
        s = sim.ising_swendsen_wang(o["L"], T, o["n"], rng, burn=o["burn"], thin=o["thin"])
        xs.append(s[:, None].astype(np.float32))
        cs.append(np.full((len(s), 1), T, dtype=np.float64))
    return np.concatenate(xs), np.concatenate(cs)


def _check_grf(o: dict[str, Any]) -> dict[str, Any]:
    out = {
        "size": _int("size", o["size"], 8, 1024),
        "n": _int("n", o["n"], 4, 1_000_000),
        "index": _float("index", o["index"], 0.0, 6.0),
    }
    if "sigma" in o:
        out["sigma"] = _float("sigma", o["sigma"], 0.01, 3.0)
    return out


def _gen_grf(o: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, None]:
    x = sim.gaussian_random_field(o["size"], o["n"], o["index"], rng)
    return x[:, None], None


def _gen_lognormal(o: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, None]:
    x = sim.lognormal_field(o["size"], o["n"], o["index"], o["sigma"], rng)
    return x[:, None], None


def _check_calo(o: dict[str, Any]) -> dict[str, Any]:
    e_min = _float("e_min", o["e_min"], 0.1, 1000.0)
    e_max = _float("e_max", o["e_max"], 0.1, 1000.0)
    if e_max < e_min:
        raise DataError(f"fields options e_min={e_min} > e_max={e_max}; swap them")
    return {"n": _int("n", o["n"], 4, 1_000_000), "e_min": e_min, "e_max": e_max}


def _gen_calo(o: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    e = np.exp(rng.uniform(math.log(o["e_min"]), math.log(o["e_max"]), o["n"]))
    x, _ = sim.toy_calorimeter(e, rng)
    return x, e[:, None]


def _check_cell(o: dict[str, Any]) -> dict[str, Any]:
    out = {
        "n": _int("n", o["n"], 4, 1_000_000),
        "length": _int("length", o["length"], 8, 4096),
        "dt": _float("dt", o["dt"], 1e-3, 100.0),
    }
    for k in TELEGRAPH_DEFAULTS:
        out[k] = _float(k, o[k], 1e-3, 1e3)
    return out


def _gen_cell(o: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, None]:
    rates = (o["k_on"], o["k_off"], o["k_m"], o["gamma"])
    x = sim.telegraph_gillespie(o["n"], o["length"], o["dt"], rates, rng)
    return x[:, None], None


SPECS: dict[str, Spec] = {
    "ising2d": Spec(
        "ising2d",
        {"L": 32, "n": 3000, "temperatures": list(ISING_TEMPERATURES), "burn": 50, "thin": 10},
        _check_ising,
        _gen_ising,
        lambda o: {
            "transform": "spin",
            "periodic": [True, True],
            "symmetric": True,
            "observables": "ising",
            "cond_names": ["T"],
            "cond_transform": "identity",
            "cond_domains": {"T": ["positive", "a temperature in units of J/k_B"]},
        },
        "2-D Ising spins on a periodic L×L lattice at each T (Swendsen–Wang); condition T",
    ),
    "grf": Spec(
        "grf",
        {"size": 64, "n": 5000, "index": 2.0},
        _check_grf,
        _gen_grf,
        lambda o: {"transform": "standard", "periodic": [True, True], "observables": "spectrum"},
        "periodic Gaussian random fields, P(k) ∝ k^-index, unit variance",
    ),
    "lognormal": Spec(
        "lognormal",
        {"size": 64, "n": 5000, "index": 2.0, "sigma": 1.0},
        _check_grf,
        _gen_lognormal,
        lambda o: {"transform": "log1p", "periodic": [True, True], "observables": "spectrum"},
        "log-normal fields δ = exp(σg − σ²/2) − 1 of the grf fields g",
    ),
    "calo": Spec(
        "calo",
        {"n": 5000, "e_min": 1.0, "e_max": 100.0},
        _check_calo,
        _gen_calo,
        lambda o: {
            "transform": "energy",
            "periodic": [True, False],
            "cond_names": ["E"],
            "cond_transform": "log",
            "cond_domains": {"E": ["positive", "the incident energy in GeV"]},
            "cond_ranges": {"E": [o["e_min"], o["e_max"]]},  # the simulator's range
            # G's paired score on the energy per layer, angle and radius and the total
            # deposit (matching.py)
            "match_obs": "projections",
            # the networks draw radial channels over a (layer, angle) plane: convolutions
            # run along the shower's depth (fields README, "Calorimeter")
            "axes": [2, 0, 1],
        },
        "toy EM calorimeter showers, CaloChallenge ds2 geometry 45×16×9; condition E (GeV)",
    ),
    "cellgrowth": Spec(
        "cellgrowth",
        {"n": 5000, "length": 64, "dt": 0.25, **TELEGRAPH_DEFAULTS},
        _check_cell,
        _gen_cell,
        # Anscombe counts (Poisson noise of unit variance at every level), D's series
        # observables on the decoded counts, linear up-sampling in G (nearest left spectral
        # artefacts; fields README, "Telegraph series")
        lambda o: {
            "transform": "anscombe",
            "periodic": [False],
            "observables": "series",
            "upsample": "linear",
        },
        "telegraph-model mRNA counts (Gillespie) on a time grid, (N, 1, length)",
    ),
}


# ----------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """``$SCIGAN_CACHE/fields`` or ``~/.cache/scigan/fields``."""
    root = os.environ.get("SCIGAN_CACHE") or str(Path.home() / ".cache" / "scigan")
    return Path(root).expanduser() / "fields"


def cache_key(name: str, params: Mapping[str, Any], seed: int) -> str:
    blob = json.dumps(
        {"name": name, "params": params, "seed": seed, "version": GENERATOR_VERSION},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _cached(
    spec: Spec, params: dict[str, Any], seed: int, use_cache: bool
) -> tuple[np.ndarray, np.ndarray | None, float]:
    """(x, cond, seconds the simulator took — 0 when read from the cache)."""
    path = cache_dir() / f"{spec.name}-{cache_key(spec.name, params, seed)}.npz"
    if use_cache and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                cond = z["cond"] if "cond" in z.files else None
                return z["x"], cond, float(z["seconds"])
        except (OSError, ValueError, KeyError):
            pass  # a corrupt entry is regenerated and overwritten
    t0 = time.perf_counter()
    x, cond = spec.generate(params, np.random.default_rng(seed))
    seconds = time.perf_counter() - t0
    if use_cache:
        arrays = {"x": x, "seconds": np.float64(seconds)}
        if cond is not None:
            arrays["cond"] = cond
        atomic_write_npz(path, **arrays)
    return x, cond, seconds


def load_builtin(name: str, options: Mapping[str, Any], seed: int) -> Dataset:
    """Generate (or read from the cache) the registered dataset ``name``."""
    spec = SPECS[name]
    allowed = set(spec.defaults) | set(MODEL_OPTIONS)
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise DataError(
            f"unknown option(s) {unknown} for {name}; it takes "
            f"{', '.join(sorted(allowed - {'layout', 'transform', 'cond_names'}))}"
        )
    try:
        params = spec.check(
            {**spec.defaults, **{k: v for k, v in options.items() if k in spec.defaults}}
        )
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    data_seed = _int("data_seed", options.get("data_seed", seed), 0, 2**63 - 1)
    use_cache = _bool("cache", options.get("cache", True))
    # the model options are checked before the simulator runs: a bad one fails in milliseconds
    model = _model_options(spec.model(params), options)
    x, cond, seconds = _cached(spec, params, data_seed, use_cache)
    info = {
        "kind": name,
        "n": len(x),
        "shape": list(x.shape),
        "params": params,
        "data_seed": data_seed,
        "simulator_s": seconds,
        "model": model,
        "cache": use_cache,
    }
    return Dataset(name, x, cond, info)


#: Held-out simulator samples: the seed stream each role draws from (independent of the
#: training sample's, see :func:`heldout_seed`) and the validation sample's size cap per
#: condition value (its evaluations choose the ``best`` checkpoint; at the default ``eval_n``
#: of 500 they need 2 × 500: generated statistics against one half, the floor from the other).
HELDOUT_ROLES = {"validation": 1, "test": 2}
VALIDATION_N = 1000
_HELDOUT: dict[str, tuple[np.ndarray, np.ndarray | None, float]] = {}


def heldout_seed(data_seed: int, role: str) -> int:
    """The simulator seed of the ``role`` sample: a SeedSequence child of the training
    sample's seed, so the three samples are independent draws."""
    state = np.random.SeedSequence([int(data_seed), HELDOUT_ROLES[role]]).generate_state(2)
    return int(state[0]) << 31 | int(state[1]) >> 1  # < 2**63


def heldout(dataset: Dataset, role: str) -> Dataset:
    """A fresh simulator sample for ``role`` ("validation": choosing checkpoints; "test": the
    reported evaluation), from the same simulator and parameters as the training sample
    ``dataset`` but an independent seed: the model never trained on it, and the sample that
    chooses checkpoints is never the one that scores the result. The validation sample holds at
    most :data:`VALIDATION_N` samples per condition value, the test sample as many as the
    training sample. User arrays (no simulator) are returned unchanged."""
    info = dataset.info
    spec = SPECS.get(info.get("kind", ""))
    if spec is None or "data_seed" not in info:
        return dataset
    params = dict(info["params"])
    if role == "validation":
        params["n"] = min(params["n"], VALIDATION_N)
    seed = heldout_seed(info["data_seed"], role)
    key = json.dumps([spec.name, params, seed], sort_keys=True)
    if key not in _HELDOUT:  # kept in memory: a run without the disk cache simulates it once
        if len(_HELDOUT) >= 4:
            _HELDOUT.pop(next(iter(_HELDOUT)))
        _HELDOUT[key] = _cached(spec, params, seed, bool(info.get("cache", True)))
    x, cond, seconds = _HELDOUT[key]
    return Dataset(
        f"{dataset.name} ({role} sample)",
        x,
        cond,
        {
            **info,
            "n": len(x),
            "shape": list(x.shape),
            "params": params,
            "data_seed": seed,
            "simulator_s": seconds,
            "role": role,
        },
    )


def _model_options(model: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    model = dict(model)
    if "periodic" in options:
        p = options["periodic"]
        if isinstance(p, bool):
            model["periodic"] = [p] * len(model.get("periodic", [p, p]))
        elif isinstance(p, list) and all(isinstance(v, bool) for v in p):
            model["periodic"] = list(p)
        else:
            raise DataError(f"fields option periodic={p!r} must be true/false or a list of them")
    if "symmetric" in options:
        model["symmetric"] = _bool("symmetric", options["symmetric"])
    if "transform" in options:
        t = options["transform"]
        if t not in TRANSFORMS:
            raise DataError(f"fields option transform={t!r} must be one of {', '.join(TRANSFORMS)}")
        model["transform"] = t
    for name in BOOL_MODEL_OPTIONS:
        if name in options:
            model[name] = _bool(name, options[name])
    if "filter_weight" in options:
        filter_weight(options["filter_weight"])  # checked here; read by the penalty
    if "full_depth" in options:
        model["full_depth"] = _int("full_depth", options["full_depth"], 0, 8)
    if "sweeps" in options:
        model["sweeps"] = _int("sweeps", options["sweeps"], 0, 100_000)
    if "match_stat" in options:
        model["match_stat"] = match_stat(options["match_stat"])
    if "match_scale" in options:
        model["match_scale"] = match_scale(options["match_scale"])
    if "axes" in options:
        axes = options["axes"]
        model["axes"] = None if axes in (None, False, "none") else axes
    if "match_obs" in options:
        model["match_obs"] = _observable_kind("match_obs", options["match_obs"], OBSERVABLES)
    if "upsample" in options:
        if options["upsample"] not in UPSAMPLE:
            raise DataError(
                f"fields option upsample={options['upsample']!r} must be one of "
                f"{', '.join(UPSAMPLE)}"
            )
        model["upsample"] = options["upsample"]
    if "observables" in options:
        shown = tuple(k for k in OBSERVABLES if k != "projections")
        model["observables"] = _observable_kind(
            "observables",
            options["observables"],
            shown,
            " (projections: a match_obs kind, scored for G, not shown to D)",
        )
    return model


def _observable_kind(name: str, value: Any, allowed: tuple[str, ...], note: str = "") -> str:
    """An observables option (``false``/``null`` = ``none``), checked against ``allowed``."""
    kind = {False: "none", None: "none"}.get(value, value)
    if kind not in allowed:
        raise DataError(f"fields option {name}={kind!r} must be one of {', '.join(allowed)}{note}")
    return kind


# ----------------------------------------------------------------------------- user arrays

TRANSFORMS = ("standard", "log1p", "energy", "counts", "anscombe", "spin")


_NO_MEMORY = "{path}: not enough free memory to read it; free memory or pass smaller data"


def _read_array_file(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """(x, cond) from a .npy, .npz or HDF5 file. Checked before anything is read: a regular
    file only (a FIFO or device is never opened), and the shapes the file declares against the
    memory limit (:mod:`scigan.domains.arrays`)."""
    if path.is_dir():
        raise DataError(f"{path}: is a directory; pass a .npy, .npz or .h5 array file")
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path or use a registered dataset")
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".npz", ".h5", ".hdf5"):
        raise DataError(f"{path}: unsupported file type '{path.suffix}'; use .npy, .npz or .h5")
    if suffix in (".h5", ".hdf5"):
        return _read_h5(path)
    try:
        if suffix == ".npy":
            check_npy_file(path)
            return np.load(path, allow_pickle=False), None
        check_npz_file(path, ("x", "cond"))
        with np.load(path, allow_pickle=False) as z:
            if "x" not in z.files:
                raise DataError(
                    f"{path}: no array named 'x' (found {', '.join(z.files) or 'none'}); "
                    "save with np.savez(path, x=fields, cond=conditions)"
                )
            return z["x"], (z["cond"] if "cond" in z.files else None)
    except DataError:
        raise
    except MemoryError:
        raise DataError(_NO_MEMORY.format(path=path)) from None
    except EOFError:
        raise DataError(f"{path}: the file is empty; save the fields with np.save") from None
    except (ValueError, OSError) as exc:
        if "pickle" in str(exc):  # object arrays, or not a numpy file at all
            raise DataError(
                f"{path}: not a numeric numpy file (it holds pickled objects or is not .npy/.npz); "
                "scigan never unpickles data — save it with np.save or np.savez(path, x=fields)"
            ) from None
        raise DataError(
            f"{path}: not a readable numpy file ({exc}); save it with np.save or np.savez"
        ) from None


def _read_h5(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    check_array_path(path)
    try:
        import h5py
    except ImportError:
        raise MissingDependencyError(
            f"{path}: reading HDF5 needs h5py; install it with pip install 'scigan[fields]'"
        ) from None
    try:
        with h5py.File(path, "r") as f:
            if "x" not in f:
                raise DataError(f"{path}: no dataset named 'x' (found {', '.join(f)})")
            arrays = []
            for key in ("x", "cond"):
                if key not in f:
                    arrays.append(None)
                    continue
                ds = f[key]
                if not isinstance(ds, h5py.Dataset):
                    raise DataError(f"{path}: '{key}' is an HDF5 group; save it as a dataset")
                check_h5_dataset(ds, f"{path} (dataset '{key}')")
                arrays.append(ds[()])
            return arrays[0], arrays[1]
    except DataError:
        raise
    except MemoryError:
        raise DataError(_NO_MEMORY.format(path=path)) from None
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: not a readable HDF5 file ({exc})") from None


def load_user(source: Any, options: Mapping[str, Any]) -> Dataset:
    """User fields: (N, H, W), (N, C, H, W) or, with ``layout=series``, (N, C, L) arrays."""
    allowed = set(MODEL_OPTIONS) | {"n"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise DataError(
            f"unknown option(s) {unknown} for user fields; they take "
            "layout, transform, periodic, cond_names, n"
        )
    if isinstance(source, str | Path):
        name = str(source)
        x, cond = _read_array_file(Path(source))
    elif isinstance(source, tuple) and len(source) == 2:
        name, (x, cond) = "<in-memory>", source
    else:
        name, x, cond = "<in-memory>", source, None
    try:
        x = np.asarray(x)
    except ValueError:
        raise DataError(
            f"{name}: ragged fields (samples of different shapes); give one array of shape "
            "(N, H, W) or (N, C, H, W)"
        ) from None
    if x.dtype.kind not in "fiub":
        raise DataError(f"{name}: expected a numeric array, got dtype {x.dtype}")
    layout = options.get("layout", "image")
    if layout not in ("image", "series"):
        raise DataError(f"fields option layout={layout!r} must be 'image' or 'series'")
    if layout == "image" and x.ndim == 3:
        x = x[:, None]
    expected = "(N, H, W) or (N, C, H, W)" if layout == "image" else "(N, C, L)"
    ndim = 4 if layout == "image" else 3
    if x.ndim != ndim or x.shape[0] < 4 or min(x.shape[1:]) < 1:
        raise DataError(
            f"{name}: expected an array of shape {expected} with N >= 4, got {x.shape}"
            + ("; for 1-D series pass --set layout=series" if x.ndim == 3 else "")
        )
    if "n" in options:
        n = _int("n", options["n"], 4, len(x))
        x = x[:n]
        cond = None if cond is None else np.asarray(cond)[:n]
    x = x.astype(np.float32)
    check_finite(x, name)
    cond_names: list[str] = []
    if cond is not None:
        cond = np.asarray(cond, dtype=np.float64)
        if cond.ndim == 1:
            cond = cond[:, None]
        if cond.ndim != 2 or len(cond) != len(x):
            raise DataError(
                f"{name}: 'cond' must have shape (N,) or (N, C) with N = {len(x)}, got {cond.shape}"
            )
        check_finite(cond, f"{name} (cond)")
        cond_names = options.get("cond_names", [f"c{i}" for i in range(cond.shape[1])])
        if not (
            isinstance(cond_names, list)
            and len(cond_names) == cond.shape[1]
            and all(isinstance(c, str) for c in cond_names)
        ):
            raise DataError(
                f"fields option cond_names={cond_names!r} must list {cond.shape[1]} names"
            )
    spatial = x.ndim - 2
    model = _model_options(
        {
            "transform": "standard",
            "periodic": [False] * spatial,
            "cond_names": cond_names,
            "cond_transform": "identity",
        },
        options,
    )
    if model["transform"] == "spin" and not np.isin(x, (-1.0, 1.0)).all():
        raise DataError(f"{name}: transform=spin needs values in {{-1, +1}} only")
    if model["transform"] in ("energy", "counts") and (x < 0).any():
        pos = tuple(int(i) for i in np.argwhere(x < 0)[0])
        raise DataError(
            f"{name}: transform={model['transform']} needs non-negative values, got {x[pos]} "
            f"at index {pos}; use transform=standard"
        )
    if model["transform"] == "log1p" and (x <= -1).any():
        raise DataError(f"{name}: transform=log1p needs values > -1; use transform=standard")
    if len(model["periodic"]) != spatial:
        raise DataError(
            f"fields option periodic={model['periodic']} needs {spatial} entries (one per axis)"
        )
    info = {"kind": "user", "n": len(x), "shape": list(x.shape), "model": model}
    return Dataset(name, x, cond, info)
