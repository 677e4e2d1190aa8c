"""The proteins domain's datasets: options → :class:`ProteinDataset` of Cα distance maps.

``protein_fragments`` (64-residue windows of the built-in chains, split into train/test by
chain), ``adk_ensemble`` (AdK frames conditioned on the closed → open progress, one trajectory
held out) and user data (a folder of structure files cut into windows, or an array of maps or
Cα coordinates, split at random). The structures come from ``collection.py``; the model options
stored with each dataset (``info["model"]``) configure the encoder and the networks.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from scigan.domains.arrays import check_npy_file, check_npz_file
from scigan.domains.base import Dataset
from scigan.domains.proteins import collection
from scigan.domains.proteins import geometry as geo
from scigan.domains.proteins.encoding import STERIC
from scigan.errors import DataError
from scigan.limits import check_allocation

WINDOW = 64  # residues per window (option ``window``; the built-in fragments use 64)
SS_NAMES = ["helix", "strand"]  # condition names of conditions=ss
# Their physical domains (a value outside is refused; see scigan.domains.arrays).
SS_DOMAINS = {
    "helix": ["fraction", "the fraction of the window's virtual torsions that are helical"],
    "strand": ["fraction", "the fraction of the window's virtual torsions that are strand-like"],
}
PROGRESS_DOMAIN = ["fraction", "d_closed / (d_closed + d_open), 0 closed to 1 open"]
MODEL_OPTIONS = (
    "head",
    "fix_bonds",
    "band_critic",
    "steric",
    "steric_weight",
    "steric_min_sep",
    "bond_weight",
    "geometry_critic",
    "geometry_match",
    "shape_match",
)
DATA_OPTIONS = {
    "protein_fragments": ("n", "stride", "test_fraction", "conditions", *MODEL_OPTIONS),
    "adk_ensemble": ("test_traj", *MODEL_OPTIONS),
    "user": ("n", "window", "stride", "test_fraction", "conditions", *MODEL_OPTIONS),
}


@dataclass
class ProteinDataset(Dataset):
    """A :class:`Dataset` of training maps that also carries the held-out real data.

    Attributes:
        test_maps: maps of the held-out chains / trajectory (never trained on).
        test_conditions: their raw conditions (or None).
        coords: Cα coordinates of the training maps (N, L, 3), when known.
        test_coords: those of the test maps.
        extra: dataset-specific arrays (AdK end states).
    """

    test_maps: np.ndarray | None = None
    test_conditions: np.ndarray | None = None
    coords: np.ndarray | None = None
    test_coords: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load(source: Any, options: Mapping[str, Any], seed: int) -> Dataset:
    """A built-in dataset by name, or user structures / arrays (see :func:`load_user`)."""
    if isinstance(source, str) and source in DATA_OPTIONS and source != "user":
        _check_options(source, options)
        if source == "protein_fragments":
            return load_fragments(options, seed)
        return load_adk(options, seed)
    _check_options("user", options)
    return load_user(source, options, seed)


def _int_option(options: Mapping[str, Any], key: str, default: int, low: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise DataError(f"proteins option {key}={value!r}: must be an integer >= {low}")
    return int(value)


def _fraction_option(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise DataError(f"proteins option {key}={value!r}: must be a number in (0, 1)")
    return float(value)


# Model-option defaults. Fragments (and user windows): G draws bond directions (head=bonds),
# with the steric prior at weight 10 on every non-bonded pair (i, i+2 included) and the
# geometry prior (geometry_match 1500, shape_match 5) — see the proteins README and
# benchmarks/RESULTS.md "Proteins" for the trials behind them.
# AdK: the template head (G draws displacements from the training frames' medoid) with the
# bond-length term and a steric prior at 3.6 Å (the closest non-bonded pair in any AdK frame is
# 3.65 Å). Drawn from angles (the chain head), 214-residue chains never found the fold in the
# 400-step budget (19–20 Å from every real frame); from the template they are ~1 Å away.
FRAGMENT_MODEL: dict[str, Any] = {
    "head": "bonds",
    "steric": STERIC,
    "steric_weight": 10.0,
    "geometry_match": 1500.0,
    "shape_match": 5.0,
    "bond_weight": 0.0,
}
ADK_MODEL: dict[str, Any] = {
    "head": "template",
    "steric": 3.6,
    "steric_weight": 1.0,
    "geometry_match": 0.0,
    "shape_match": 0.0,
    "bond_weight": 10.0,
}


def _model_options(
    options: Mapping[str, Any],
    defaults: Mapping[str, Any] = FRAGMENT_MODEL,
    *,
    ensemble: bool = False,
) -> dict[str, Any]:
    """Model options stored with the data description (``defaults``: :data:`FRAGMENT_MODEL`
    or :data:`ADK_MODEL`).

    ``head``: ``bonds`` (G draws the 3.8 Å bond directions of a chain and D sees its map),
    ``chain`` (G draws its virtual angles and torsions), ``map`` (G draws the map itself) or,
    for the frames of one protein (``ensemble``), ``template`` (G draws displacements from the
    ensemble's medoid frame);
    ``fix_bonds``: map head pins D(i, i+1) to 3.8 Å (default true); ``band_critic``: K
    off-diagonals the 1-D critic reads (default 4, 0 = off); ``steric``: G's loss adds
    Σ max(0, s − d)² over Cα pairs at least ``steric_min_sep`` (default 2) residues apart
    closer than s Å (4.0, the closest real non-bonded pairs come, or 0 = off);
    ``steric_weight``: its weight; ``geometry_critic``: the band critic
    also reads cos θ, cos τ and consecutive-torsion sign products computed from the map
    (default true); ``geometry_match``: weight of G's signed local-geometry matching term
    (sliced Wasserstein distance of 4-residue motifs to the training chains'; chain heads
    only; 0 = off); ``shape_match``: weight of its chain-shape term (the same distance for
    radius of gyration and per-band compactness; 0 = off); ``bond_weight``: weight of
    Σ max(0, |d(i, i+1) − bond| − 0.1 Å)² in G's loss (the template head's bonds are free).
    """
    fix = options.get("fix_bonds", True)
    if not isinstance(fix, bool):
        raise DataError(f"proteins option fix_bonds={fix!r}: must be true or false")
    k = _int_option(options, "band_critic", 4, 0)
    if k > 16:
        raise DataError(f"proteins option band_critic={k}: choose 0 (off) to 16 off-diagonals")
    head = options.get("head", defaults["head"])
    if head not in ("map", "chain", "bonds", "template"):
        raise DataError(
            f"proteins option head={head!r}: use 'map' (G draws the map), 'chain' (G draws "
            "virtual angles and torsions of a 3.8 Å-bond chain whose distance map D judges), "
            "'bonds' (G draws the 3.8 Å bond directions) or, for frames of one protein, "
            "'template' (G draws displacements from the medoid frame)"
        )
    if head == "template" and not ensemble:
        raise DataError(
            "proteins option head=template: needs frames of one protein (adk_ensemble or an "
            "array of one protein's maps/coordinates); windows of many chains have no common "
            "template — use head=bonds"
        )
    steric_default = defaults["steric"]
    steric = options.get("steric", steric_default)
    if isinstance(steric, bool) or not isinstance(steric, int | float) or not 0 <= steric <= 8:
        raise DataError(
            f"proteins option steric={steric!r}: use a distance in Å from 0 (off) to 8 "
            f"(default {steric_default})"
        )
    min_sep = _int_option(options, "steric_min_sep", 2, 2)
    if min_sep > 8:
        raise DataError(
            f"proteins option steric_min_sep={min_sep}: use 2 (every non-bonded pair, the "
            "default) to 8 residues apart"
        )
    geometry = options.get("geometry_critic", True)
    if not isinstance(geometry, bool):
        raise DataError(f"proteins option geometry_critic={geometry!r}: must be true or false")
    weights = {}
    for key in ("steric_weight", "geometry_match", "shape_match", "bond_weight"):
        default = defaults[key]
        w = options.get(key, default)
        if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= 1e5:
            raise DataError(
                f"proteins option {key}={w!r}: use a weight from 0 (off) to 100000 "
                f"(default {default})"
            )
        weights[key] = float(w)
    if head == "map" and weights["geometry_match"]:  # it reads the chains G draws: none here
        if "geometry_match" in options:
            raise DataError(
                "proteins option geometry_match: needs head=bonds or head=chain (it reads the "
                "chains G draws); set geometry_match=0 with head=map"
            )
        weights["geometry_match"] = 0.0
    return {
        "head": head,
        "fix_bonds": fix,
        "band_critic": k,
        "steric": float(steric),
        "steric_min_sep": min_sep,
        "geometry_critic": geometry,
        **weights,
    }


def ss_content(coords: np.ndarray) -> np.ndarray:
    """Per-window (helix, strand) fractions from Cα geometry alone (N, 2).

    A virtual torsion counts as helical when τ ∈ [30°, 80°] and both flanking virtual angles are
    in [80°, 105°]; as strand-like when |τ| ≥ 150° and both angles ≥ 105° (Levitt 1976's Cα
    signatures). Works for every chain, with or without a DSSP file.
    """
    tau = geo.virtual_torsions(coords)  # (N, L-3)
    ang = geo.virtual_angles(coords)  # (N, L-2)
    a1, a2 = ang[:, :-1], ang[:, 1:]
    helix = (tau >= 30) & (tau <= 80) & (a1 >= 80) & (a1 <= 105) & (a2 >= 80) & (a2 <= 105)
    strand = (np.abs(tau) >= 150) & (a1 >= 105) & (a2 >= 105)
    return np.stack([helix.mean(axis=1), strand.mean(axis=1)], axis=1)


def _conditions(kind: str, coords: np.ndarray) -> np.ndarray | None:
    if kind in (None, "none"):
        return None
    if kind == "ss":
        return ss_content(coords)
    raise DataError(f"proteins option conditions={kind!r}: use 'ss' (helix/strand content) or none")


def _subsample(n_total: int, n: int | None, seed: int) -> np.ndarray:
    if n is None or n >= n_total:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(seed).choice(n_total, n, replace=False))


def _windows_dataset(
    name: str, kind: str, chains: list, options: Mapping[str, Any], seed: int, info: dict
) -> Dataset:
    size = _int_option(options, "window", WINDOW, 8)
    stride = _int_option(options, "stride", 1, 1)
    frac = _fraction_option(options, "test_fraction", 0.2)
    n = options.get("n")
    n = None if n is None else _int_option(options, "n", 0, 2)
    chains = collection.segments(chains, min_length=size)
    if len(chains) < 2:
        raise DataError(
            f"{name}: need at least 2 unbroken chains of ≥ {size} residues to split train/test "
            f"by chain, found {len(chains)}; add structures or lower --set window"
        )
    train_ids, test_ids = collection.split_by_chain(chains, test_fraction=frac, seed=seed)
    n_windows = sum((len(c) - size) // stride + 1 for c in chains if len(c) >= size)
    hint = f"{name}: {n_windows} windows of {size} residues (fewer with --set stride=K)"
    check_allocation((n_windows, size, 3), 8, hint, DataError)  # their Cα coordinates
    w = collection.windows(chains, size=size, stride=stride)
    train = np.flatnonzero(np.isin(w.chain_idx, train_ids))
    test = np.flatnonzero(np.isin(w.chain_idx, test_ids))
    if len(train) < 2 or len(test) < 2:
        raise DataError(
            f"{name}: the chain split left {len(train)} train / {len(test)} test windows; "
            "add chains or change --set test_fraction"
        )
    train = train[_subsample(len(train), n, seed)]
    maps = (len(train) + len(test), size, size)  # float32 maps, computed in float64
    check_allocation(maps, 8, f"{name}: the distance maps of {maps[0]} windows", DataError)
    cond_kind = options.get("conditions", "none")
    coords_tr, coords_te = w.coords[train], w.coords[test]
    cond_tr = _conditions(cond_kind, coords_tr)
    cond_te = _conditions(cond_kind, coords_te)
    model = {"cond_names": SS_NAMES, "cond_domains": SS_DOMAINS} if cond_tr is not None else {}
    model |= _model_options(options)
    info = {
        **info,
        "kind": kind,
        "window": size,
        "stride": stride,
        "chains": len(chains),
        "train_chains": len(train_ids),
        "test_chains": len(test_ids),
        "train_windows": len(train),
        "test_windows": len(test),
        "conditions": cond_kind,
        "model": model,
    }
    return ProteinDataset(
        name,
        geo.distance_maps(coords_tr).astype(np.float32),
        cond_tr,
        info,
        test_maps=geo.distance_maps(coords_te).astype(np.float32),
        test_conditions=cond_te,
        coords=coords_tr,
        test_coords=coords_te,
    )


def load_fragments(options: Mapping[str, Any], seed: int) -> Dataset:
    """``protein_fragments``: 64-residue windows, train/test split by chain group."""
    chains = collection.fragment_chains()
    return _windows_dataset(
        "protein_fragments",
        "protein_fragments",
        chains,
        options,
        seed,
        {"source": collection.ATTRIBUTION},
    )


def load_adk(options: Mapping[str, Any], seed: int) -> Dataset:
    """``adk_ensemble``: AdK frames conditioned on progress; one trajectory held out."""
    f = collection.adk_frames()
    names = list(f["traj_names"])
    test_traj = _int_option(options, "test_traj", len(names) - 1, 0)
    if test_traj >= len(names):
        raise DataError(f"adk_ensemble option test_traj={test_traj}: choose 0..{len(names) - 1}")
    traj = np.asarray(f["traj"])
    train, test = np.flatnonzero(traj != test_traj), np.flatnonzero(traj == test_traj)
    coords = np.asarray(f["coords"])
    progress_ = np.asarray(f["progress"], dtype=np.float64)[:, None]
    info = {
        "kind": "adk_ensemble",
        "source": collection.ATTRIBUTION,
        "frames": len(coords),
        "train_frames": len(train),
        "test_frames": len(test),
        "test_trajectory": names[test_traj],
        "residues": int(coords.shape[1]),
        # the fixed sequence's bonds: 3.8 Å except the cis Phe86-Pro87 peptide (2.9 Å)
        "model": {
            "cond_names": ["progress"],
            "cond_domains": {"progress": PROGRESS_DOMAIN},
            "bonds": geo.native_bond_targets(np.asarray(f["closed"])).tolist(),
            **_model_options(options, ADK_MODEL, ensemble=True),
        },
    }
    return ProteinDataset(
        "adk_ensemble",
        geo.distance_maps(coords[train]).astype(np.float32),
        progress_[train],
        info,
        test_maps=geo.distance_maps(coords[test]).astype(np.float32),
        test_conditions=progress_[test],
        coords=coords[train],
        test_coords=coords[test],
        extra={"closed": np.asarray(f["closed"]), "open": np.asarray(f["open"])},
    )


def load_user(source: Any, options: Mapping[str, Any], seed: int) -> Dataset:
    """A folder/file of structures (cut into windows) or an array of maps / coordinates."""
    if isinstance(source, str | Path):
        path = Path(source).expanduser()
        name = str(source)
        if path.suffix in (".npy", ".npz"):
            return _array_dataset(name, _read_array(path), options, seed)
        chains = collection.load_user_folder(path)
        return _windows_dataset(name, "user", chains, options, seed, {"source": name})
    return _array_dataset("<in-memory>", np.asarray(source), options, seed)


ARRAY_KEYS = ("maps", "coords", "x")  # the .npz arrays read, in order of preference


def _read_array(path: Path) -> np.ndarray:
    """Maps or coordinates from an .npy/.npz file, checked before reading: a regular file only
    (a FIFO is never opened) and the shape its header declares against the memory limit."""
    if path.is_dir():
        raise DataError(f"{path}: is a directory; give an .npy/.npz of maps or coordinates")
    if not path.exists():
        raise DataError(f"{path}: no such file; give an .npy/.npz of maps or coordinates")
    if path.suffix == ".npy":
        check_npy_file(path)
    else:
        check_npz_file(path, (*ARRAY_KEYS, *_npz_names(path)[:1]))
    try:
        loaded = np.load(path, allow_pickle=False)
    except MemoryError:
        raise DataError(f"{path}: not enough free memory to read it; free memory") from None
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable numpy file ({exc}); save with np.save") from None
    if isinstance(loaded, np.ndarray):
        return loaded
    with loaded:
        keys = list(loaded.keys())
        key = next((k for k in ARRAY_KEYS if k in keys), keys[0] if keys else None)
        if key is None:
            raise DataError(f"{path}: the .npz holds no arrays; save one with np.savez(maps=...)")
        try:
            return loaded[key]
        except MemoryError:
            raise DataError(f"{path}: not enough free memory to read it; free memory") from None
        except ValueError as exc:
            msg = f"{path}: array '{key}' unreadable ({exc}); save with np.savez"
            raise DataError(msg) from None


def _npz_names(path: Path) -> list[str]:
    """The arrays of an .npz archive in file order ([] when it is not one)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return [n.removesuffix(".npy") for n in zf.namelist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return []


def _array_dataset(name: str, x: np.ndarray, options: Mapping[str, Any], seed: int) -> Dataset:
    if x.dtype.kind not in "fiu":
        raise DataError(f"{name}: expected a numeric array, got dtype {x.dtype}")
    x = np.asarray(x, dtype=np.float64)
    if not np.isfinite(x).all():
        pos = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise DataError(f"{name}: non-finite value at index {pos}; remove or fix that sample")
    coords = None
    if x.ndim == 3 and x.shape[2] == 3 and x.shape[1] != 3:
        L = x.shape[1]
        check_allocation((len(x), L, L), 8, f"{name} (the distance maps of {L} Cα)", DataError)
        coords, maps = x, geo.distance_maps(x)
    elif x.ndim == 3 and x.shape[1] == x.shape[2]:
        maps = x
        if (maps < 0).any() or not np.allclose(maps, np.swapaxes(maps, 1, 2), atol=1e-3):
            raise DataError(f"{name}: distance maps must be symmetric and non-negative (Å)")
    else:
        raise DataError(
            f"{name}: shape {x.shape}; give distance maps (N, L, L) or Cα coordinates (N, L, 3)"
        )
    if len(maps) < 4:
        raise DataError(f"{name}: need at least 4 structures, got {len(maps)}")
    frac = _fraction_option(options, "test_fraction", 0.2)
    perm = np.random.default_rng(seed).permutation(len(maps))
    k = max(2, round(frac * len(maps)))
    test, train = np.sort(perm[:k]), np.sort(perm[k:])
    info = {"kind": "user", "source": name, "train": len(train), "test": len(test),
            "split": "random (an array has no chain labels)",
            "model": _model_options(options, ensemble=True)}  # fmt: skip
    return ProteinDataset(
        name,
        maps[train].astype(np.float32),
        None,
        info,
        test_maps=maps[test].astype(np.float32),
        coords=None if coords is None else coords[train],
        test_coords=None if coords is None else coords[test],
    )


def _check_options(kind: str, options: Mapping[str, Any]) -> None:
    unknown = sorted(set(options) - set(DATA_OPTIONS[kind]))
    if unknown:
        raise DataError(
            f"unknown option(s) {unknown} for {kind} protein data; it takes "
            f"{', '.join(DATA_OPTIONS[kind])} (see `scigan datasets` and the proteins README)"
        )


# ------------------------------------------------------------------------ splits for evaluation


def selection_reference(dataset: Dataset) -> Dataset:
    """Training-time evaluations score against half of the *training* windows (frames),
    with the other half as the real floor, never against the test chains (trajectory).

    The training arrays are ordered by chain (AdK: by trajectory), so the halves are mostly
    chain-disjoint; the AdK end states and bonds (``extra``) stay.
    """
    if not isinstance(dataset, ProteinDataset) or dataset.test_maps is None:
        return dataset  # a plain Dataset: evaluate already splits the training maps
    half = len(dataset.samples) // 2

    def split(a: Any) -> tuple[Any, Any]:
        return (None, None) if a is None else (np.asarray(a)[:half], np.asarray(a)[half:])

    maps, cond = split(dataset.samples), split(dataset.conditions)
    coords = split(dataset.coords)
    return replace(
        dataset,
        samples=maps[1],
        conditions=cond[1],
        test_maps=maps[0],
        test_conditions=cond[0],
        coords=coords[1],
        test_coords=coords[0],
    )


def reals(reference: Dataset) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """(held-out maps, training maps, held-out conditions, training conditions)."""
    train = np.asarray(reference.samples)
    cond = None if reference.conditions is None else np.asarray(reference.conditions)
    if not isinstance(reference, ProteinDataset) or reference.test_maps is None:
        half = len(train) // 2  # a plain Dataset: split it in two
        if cond is None:
            return train[:half], train[half:], None, None
        return train[:half], train[half:], cond[:half], cond[half:]
    return np.asarray(reference.test_maps), train, reference.test_conditions, cond
