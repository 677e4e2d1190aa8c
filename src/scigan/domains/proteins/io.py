"""Readers for protein files: PDB, mmCIF, CHARMM/NAMD PSF and DCD, DSSP secondary structure.

Small readers of only what the proteins domain needs, with no dependency beyond numpy:

* PDB (wwPDB 3.3 fixed columns) and mmCIF (the ``_atom_site`` loop, columns found by name),
  plain, ``.gz`` or ``.bz2``: the Cα trace of every chain of every model, one Cα per residue.
* PSF (CHARMM/NAMD topology, standard or EXT): segid, resid, resname and name of each atom.
* DCD (CHARMM/NAMD trajectory, either byte order, with or without the unit-cell block):
  coordinates ``(F, N, 3)`` float32 in Å.
* DSSP: the classic ``mkdssp`` table, or a one-line string of secondary-structure letters (one
  per residue, as in MDAnalysisTests' ``data/dssp`` folder).

Every problem with a file is a one-line :class:`~scigan.errors.DataError` that names the file,
the line where there is one, and the fix.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import re
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from scigan.errors import DataError
from scigan.limits import MEMORY_ENV, check_allocation, check_readable_file, memory_limit

# The 20 standard amino acids and their one-letter codes.
AMINO_ACIDS = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E",
    "GLY": "G", "HIS": "H", "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F",
    "PRO": "P", "SER": "S", "THR": "T", "TRP": "W", "TYR": "Y", "VAL": "V",
}  # fmt: skip
# Residue names that are a standard amino acid under another name: selenomethionine and the
# protonation-state names of CHARMM (HSD/HSE/HSP) and AMBER (HID/HIE/HIP, CYX, ASH, GLH, LYN).
ALIASES = {
    "MSE": "MET", "HSD": "HIS", "HSE": "HIS", "HSP": "HIS", "HID": "HIS", "HIE": "HIS",
    "HIP": "HIS", "CYX": "CYS", "CYM": "CYS", "ASH": "ASP", "GLH": "GLU", "LYN": "LYS",
}  # fmt: skip
STRUCTURE_SUFFIXES = (".pdb", ".ent", ".cif", ".mmcif")
_COMPRESSED = (".gz", ".bz2")


@dataclass
class Chain:
    """The Cα trace of one protein chain (one model of it, or one unbroken segment).

    Attributes:
        name: ``stem:chain`` (``stem:chain:model N`` for one model of a multi-model file;
            ``…/first-last`` residue numbers for a segment cut by :func:`split_at_breaks`).
        ca: ``(L, 3)`` float64 Cα coordinates in Å.
        resnames: three-letter residue names (aliases such as MSE or HSD mapped to the
            standard name).
        resnums: residue sequence numbers (``auth_seq_id`` in mmCIF).
        ss: secondary structure, one DSSP letter per residue (``?`` where unknown), or None.
        source: where the chain came from (file name, licence tag for shipped data).
        icodes: insertion codes, ``""`` for none (None: all empty).
        chain_id: the chain identifier in the file (segid when the chain column is blank).
        group: chains of one protein (NMR models, identical sequences) share a group, so a
            train/test split can keep them together; ``""`` until a collection assigns it.
    """

    name: str
    ca: np.ndarray
    resnames: list[str]
    resnums: list[int]
    ss: str | None = None
    source: str = ""
    icodes: list[str] | None = None
    chain_id: str = ""
    group: str = ""

    def __post_init__(self) -> None:
        self.ca = np.asarray(self.ca, dtype=np.float64).reshape(-1, 3)
        n = len(self.ca)
        if len(self.resnames) != n or len(self.resnums) != n:
            raise ValueError(f"{self.name}: {n} Cα but {len(self.resnames)} residue names")
        if self.icodes is None:
            self.icodes = [""] * n
        if self.ss is not None and len(self.ss) != n:
            raise ValueError(f"{self.name}: {n} residues but {len(self.ss)} ss letters")

    def __len__(self) -> int:
        return len(self.ca)

    @property
    def sequence(self) -> str:
        """One-letter amino-acid sequence."""
        return "".join(AMINO_ACIDS[r] for r in self.resnames)

    def residue_keys(self) -> list[tuple[str, int, str]]:
        """``(chain_id, resnum, icode)`` of every residue (the keys of :func:`read_dssp`)."""
        return [(self.chain_id, n, c) for n, c in zip(self.resnums, self.icodes, strict=True)]

    def segment(self, start: int, stop: int, name: str | None = None) -> Chain:
        """Residues ``start:stop`` as a new chain (same source, group and chain id)."""
        return replace(
            self,
            name=name or self.name,
            ca=self.ca[start:stop].copy(),
            resnames=self.resnames[start:stop],
            resnums=self.resnums[start:stop],
            icodes=self.icodes[start:stop],
            ss=None if self.ss is None else self.ss[start:stop],
        )


def standard_residue(name: str) -> str | None:
    """The standard three-letter name of a residue name, or None for anything else."""
    name = name.upper()
    if name in AMINO_ACIDS:
        return name
    return ALIASES.get(name)


# ----------------------------------------------------------------------------- text files


# Bytes in memory per byte of a text file once read, decoded and split into lines (the bytes,
# the str, and a str object of ~50 bytes overhead per 80-column line).
TEXT_BYTES_PER_BYTE = 4


def _text_cap(path: Path) -> int:
    """The most bytes of text ``path`` may hold (decompressed): what fits in the memory limit
    at :data:`TEXT_BYTES_PER_BYTE`."""
    return memory_limit() // TEXT_BYTES_PER_BYTE


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _too_large(path: Path, size: str) -> DataError:
    return DataError(
        f"{path}: {size} of text needs about {TEXT_BYTES_PER_BYTE}× that in memory once "
        f"parsed, over the {_bytes(memory_limit())} limit (half the available memory); "
        f"pass a smaller file or raise the limit with {MEMORY_ENV}=<GB>"
    )


def _open_bytes(path: Path) -> bytes:
    """The file's bytes (decompressed). A regular file only (a FIFO would hang the reader, a
    device fill memory), and at most :func:`_text_cap` bytes: a compressed file is read only
    that far, so a decompression bomb stops there."""
    size = check_readable_file(path, DataError, limit=sys.maxsize)
    cap = _text_cap(path)
    try:
        if path.suffix in _COMPRESSED:
            opener = gzip.open if path.suffix == ".gz" else bz2.open
            with opener(path, "rb") as f:
                data = f.read(cap + 1)
            if len(data) > cap:
                raise _too_large(path, f"more than {_bytes(cap)} (decompressed)")
            return data
        if size > cap:
            raise _too_large(path, _bytes(size))
        return path.read_bytes()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read the file ({e}); check the path and format") from None


def _read_lines(path: Path) -> list[str]:
    raw = _open_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(
            f"{path}:{line}: byte 0x{raw[e.start]:02x} is not UTF-8 text; save the file as "
            "plain ASCII/UTF-8 (a binary file cannot be read as PDB/mmCIF/PSF)"
        ) from None
    return text.splitlines()


def _stem(path: Path) -> str:
    name = path.name
    for suffix in _COMPRESSED:
        name = name.removesuffix(suffix)
    return name.rsplit(".", 1)[0] if "." in name else name


def _format(path: Path, lines: Sequence[str]) -> str:
    name = path.name.lower()
    for suffix in _COMPRESSED:
        name = name.removesuffix(suffix)
    if name.endswith((".cif", ".mmcif")):
        return "cif"
    if name.endswith((".pdb", ".ent")):
        return "pdb"
    for line in lines[:200]:  # unknown suffix: sniff
        if line.startswith("data_"):
            return "cif"
        if line.startswith(("ATOM  ", "HETATM", "HEADER", "MODEL ")):
            return "pdb"
    raise DataError(
        f"{path}: not a PDB or mmCIF file (no ATOM/HETATM records or data_ block); "
        "use .pdb/.ent or .cif files"
    )


# ----------------------------------------------------------------------------- structures


@dataclass
class _Residue:
    resnum: int
    icode: str
    resname: str
    xyz: tuple[float, float, float]
    occupancy: float


@dataclass
class _Collector:
    """Cα residues per (model, chain) in file order; one Cα per residue (best altloc)."""

    models: dict[int, dict[str, list[_Residue]]] = field(default_factory=dict)

    def add(self, model: int, chain: str, res: _Residue) -> None:
        residues = self.models.setdefault(model, {}).setdefault(chain, [])
        last = residues[-1] if residues else None
        if last is not None and (last.resnum, last.icode) == (res.resnum, res.icode):
            # alternate location (or a repeated Cα) of the same residue: keep the highest
            # occupancy, the first one on ties
            if res.occupancy > last.occupancy:
                residues[-1] = res
            return
        residues.append(res)


def _hybrid36(text: str) -> int:
    """A PDB residue number: plain integer, or hybrid-36 for numbers above 9999."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        if len(text) == 4 and text[0].isupper():
            return int(text, 36) - 10 * 36**3 + 10000
        if len(text) == 4 and text[0].islower():
            return int(text, 36) + 16 * 36**3 + 10000
        raise


def _read_pdb(path: Path, lines: Sequence[str]) -> _Collector:
    out = _Collector()
    model = 1
    for i, line in enumerate(lines, 1):
        record = line[:6]
        if record == "MODEL ":
            try:
                model = int(line[6:].split()[0])
            except (IndexError, ValueError):
                raise DataError(
                    f"{path}:{i}: MODEL record without a model number; write 'MODEL     N'"
                ) from None
            continue
        if record not in ("ATOM  ", "HETATM") or line[12:16].strip() != "CA":
            continue
        resname = standard_residue(line[17:20].strip())
        if resname is None:  # water, ligands, calcium ions (also named CA), nucleotides
            continue
        if len(line.rstrip()) < 54:
            raise DataError(
                f"{path}:{i}: {record.strip()} line ends before column 54 (x, y, z go in "
                "columns 31-54); complete or remove the line"
            )
        try:
            xyz = (float(line[30:38]), float(line[38:46]), float(line[46:54]))
        except ValueError:
            raise DataError(
                f"{path}:{i}: malformed coordinates {line[30:54]!r}; x, y, z must be numbers "
                "in columns 31-38, 39-46 and 47-54"
            ) from None
        try:
            resnum = _hybrid36(line[22:26])
            occ = float(line[54:60]) if line[54:60].strip() else 1.0
        except ValueError:
            raise DataError(
                f"{path}:{i}: malformed residue number {line[22:26]!r} or occupancy "
                f"{line[54:60]!r}; they go in columns 23-26 and 55-60"
            ) from None
        chain = line[21].strip() or line[72:76].strip() or "_"  # CHARMM files: segid
        out.add(model, chain, _Residue(resnum, line[26:27].strip(), resname, xyz, occ))
    return out


_CIF_TOKEN = re.compile(r"""'(.*?)'(?=\s|$)|"(.*?)"(?=\s|$)|(\S+)""")
# _atom_site columns we read, each with the names to try in order (author numbering first,
# as in PDB files)
_CIF_COLUMNS = {
    "atom": ("auth_atom_id", "label_atom_id"),
    "resname": ("auth_comp_id", "label_comp_id"),
    "chain": ("auth_asym_id", "label_asym_id"),
    "resnum": ("auth_seq_id", "label_seq_id"),
    "x": ("Cartn_x",),
    "y": ("Cartn_y",),
    "z": ("Cartn_z",),
    "alt": ("label_alt_id",),
    "icode": ("pdbx_PDB_ins_code",),
    "occupancy": ("occupancy",),
    "model": ("pdbx_PDB_model_num",),
}
_CIF_REQUIRED = ("atom", "resname", "chain", "resnum", "x", "y", "z")


def _cif_tokens(line: str) -> list[str]:
    if "'" not in line and '"' not in line:
        return line.split()
    return [m.group(1) or m.group(2) or m.group(3) or "" for m in _CIF_TOKEN.finditer(line)]


def _read_cif(path: Path, lines: Sequence[str]) -> _Collector:
    out = _Collector()
    n = len(lines)
    i = 0
    while i < n:  # find "loop_" followed by _atom_site. tags
        if lines[i].strip() == "loop_" and i + 1 < n and lines[i + 1].startswith("_atom_site."):
            break
        i += 1
    else:
        raise DataError(
            f"{path}: no _atom_site loop (atomic coordinates) in this mmCIF file; "
            "download the full-model mmCIF, not a header-only file"
        )
    tags: list[str] = []
    i += 1
    while i < n and lines[i].startswith("_atom_site."):
        tags.append(lines[i].split()[0][len("_atom_site.") :])
        i += 1
    col: dict[str, int] = {}
    for key, names in _CIF_COLUMNS.items():
        for name in names:
            if name in tags:
                col[key] = tags.index(name)
                break
    missing = [_CIF_COLUMNS[k][0] for k in _CIF_REQUIRED if k not in col]
    if missing:
        raise DataError(
            f"{path}: _atom_site loop lacks column(s) {', '.join(missing)}; "
            "the reader needs atom/residue names, chain, residue number and Cartn_x/y/z"
        )
    ncol = len(tags)
    pending: list[str] = []
    row_line = i + 1
    while i < n:
        line = lines[i]
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith(("_", "loop_", "data_")):
            break
        if line.startswith(";"):  # multi-line text value: never in atom rows, skip it
            while i < n and not lines[i].startswith(";"):
                i += 1
            i += 1
            pending.append("?")
            continue
        if not pending:
            row_line = i
        pending.extend(_cif_tokens(line))
        if len(pending) < ncol:
            continue
        if len(pending) > ncol:
            raise DataError(
                f"{path}:{row_line}: _atom_site row has {len(pending)} values for {ncol} "
                "columns; fix the row (quote values that contain spaces)"
            )
        row, pending = pending, []
        if row[col["atom"]] != "CA":
            continue
        resname = standard_residue(row[col["resname"]])
        if resname is None:
            continue
        try:
            xyz = (float(row[col["x"]]), float(row[col["y"]]), float(row[col["z"]]))
            resnum = int(row[col["resnum"]])
            occ = _cif_float(row, col.get("occupancy"), 1.0)
            model = int(_cif_value(row, col.get("model"), "1"))
        except ValueError:
            raise DataError(
                f"{path}:{row_line}: malformed _atom_site row (coordinates, residue number, "
                "occupancy or model number is not a number); fix the row"
            ) from None
        icode = _cif_value(row, col.get("icode"), "")
        out.add(model, row[col["chain"]], _Residue(resnum, icode, resname, xyz, occ))
    if pending:
        raise DataError(
            f"{path}:{row_line}: last _atom_site row has {len(pending)} of {ncol} values; "
            "the file is truncated"
        )
    return out


def _cif_value(row: list[str], index: int | None, default: str) -> str:
    if index is None or row[index] in (".", "?"):
        return default
    return row[index]


def _cif_float(row: list[str], index: int | None, default: float) -> float:
    value = _cif_value(row, index, "")
    return float(value) if value else default


def read_structure(path: str | Path, *, model: int | None = None) -> list[Chain]:
    """Cα traces of all protein chains in a PDB or mmCIF file (plain, ``.gz`` or ``.bz2``).

    Only standard amino acids count (MSE read as MET, CHARMM/AMBER histidine names as HIS);
    water, ligands and nucleotides are skipped. Of alternate locations the highest occupancy
    is kept (the first on ties). Residues with insertion codes are separate residues.

    Args:
        path: the file; the format comes from the suffix (.pdb/.ent or .cif/.mmcif),
            else from the content.
        model: model number to read (MODEL serial / ``pdbx_PDB_model_num``); None reads
            every model. Chains of a file with several models are named
            ``stem:chain:model N``, else ``stem:chain``.

    Returns:
        One :class:`Chain` per (model, chain) in file order, with ``source`` the file name.

    Raises:
        DataError: unreadable or malformed file, or no Cα atom of a standard residue.
    """
    path = Path(path)
    lines = _read_lines(path)
    kind = _format(path, lines)
    found = (_read_cif if kind == "cif" else _read_pdb)(path, lines)
    if not found.models:
        raise DataError(
            f"{path}: no Cα atom of a standard amino acid (ATOM/HETATM named CA); "
            "is this a protein structure? Give a PDB/mmCIF file with Cα (CA) atoms"
        )
    several = len(found.models) > 1
    if model is not None:
        if model not in found.models:
            raise DataError(
                f"{path}: no model {model}; the file has model(s) "
                f"{', '.join(map(str, sorted(found.models)))}"
            )
        found.models = {model: found.models[model]}
    stem = _stem(path)
    chains = []
    for m, per_chain in found.models.items():
        for chain_id, residues in per_chain.items():
            name = f"{stem}:{chain_id}" + (f":model {m}" if several else "")
            chains.append(
                Chain(
                    name=name,
                    ca=np.array([r.xyz for r in residues], dtype=np.float64),
                    resnames=[r.resname for r in residues],
                    resnums=[r.resnum for r in residues],
                    icodes=[r.icode for r in residues],
                    source=path.name,
                    chain_id=chain_id,
                )
            )
    return chains


def split_at_breaks(chain: Chain, max_gap: float = 4.2) -> list[Chain]:
    """Cut a chain where it is not one continuous backbone.

    A break is a Cα–Cα distance above ``max_gap`` Å (trans and cis peptides give 3.8 and
    2.9 Å) or a residue-number step other than +1 (or 0 with a new insertion code). Windows
    taken from the segments never span a missing stretch.

    Returns:
        The segments in order; the chain itself when there is no break, else segments named
        ``name/first-last`` by residue number.
    """
    n = len(chain)
    if n < 2:
        return [chain] if n else []
    dist = np.linalg.norm(np.diff(chain.ca, axis=0), axis=1)
    step = np.diff(np.asarray(chain.resnums))
    new_icode = np.array([a != b for a, b in zip(chain.icodes[:-1], chain.icodes[1:], strict=True)])
    ok = (dist <= max_gap) & ((step == 1) | ((step == 0) & new_icode))
    cuts = [0, *(np.flatnonzero(~ok) + 1).tolist(), n]
    if len(cuts) == 2:
        return [chain]
    out = []
    for a, b in itertools.pairwise(cuts):
        first = f"{chain.resnums[a]}{chain.icodes[a]}"
        last = f"{chain.resnums[b - 1]}{chain.icodes[b - 1]}"
        out.append(chain.segment(a, b, f"{chain.name}/{first}-{last}"))
    return out


# ----------------------------------------------------------------------------- PSF


@dataclass(frozen=True)
class PsfAtoms:
    """Atoms of a PSF topology, in file order (the order of DCD coordinates)."""

    segid: list[str]
    resid: np.ndarray  # (N,) int
    resname: list[str]
    name: list[str]

    def __len__(self) -> int:
        return len(self.name)

    def ca_indices(self) -> np.ndarray:
        """Indices of the Cα atoms of standard amino-acid residues, in file order."""
        return np.array(
            [
                i
                for i, (a, r) in enumerate(zip(self.name, self.resname, strict=True))
                if a == "CA" and standard_residue(r) is not None
            ],
            dtype=np.int64,
        )


_RESID = re.compile(r"^(-?\d+)[A-Za-z]?$")


def read_psf(path: str | Path) -> PsfAtoms:
    """The ``!NATOM`` section of a CHARMM/NAMD/X-PLOR PSF file (standard or EXT format).

    Raises:
        DataError: not a PSF, no ``!NATOM`` section, or a malformed or missing atom line.
    """
    path = Path(path)
    lines = _read_lines(path)
    if not lines or not lines[0].startswith("PSF"):
        raise DataError(f"{path}:1: a PSF file starts with 'PSF'; is this a CHARMM/NAMD PSF?")
    ext = "EXT" in lines[0].split()
    start = next((i for i, ln in enumerate(lines) if "!NATOM" in ln), None)
    if start is None:
        raise DataError(f"{path}: no '!NATOM' section; the PSF is incomplete")
    try:
        n = int(lines[start].split()[0])
    except ValueError:
        raise DataError(f"{path}:{start + 1}: atom count before !NATOM is not a number") from None
    # fixed columns when a field is blank (e.g. no segid): standard I8/A4, EXT I10/A8
    w = 8 if ext else 4
    spans = [(9 + 2 * ext + k * (w + 1), 9 + 2 * ext + k * (w + 1) + w) for k in range(4)]
    segid, resid, resname, name = [], [], [], []
    for k in range(n):
        i = start + 1 + k
        if i >= len(lines):
            raise DataError(f"{path}: !NATOM says {n} atoms but the file ends after {k}")
        line = lines[i]
        tok = line.split()
        fields = tok[1:5] if len(tok) >= 9 else [line[a:b].strip() for a, b in spans]
        m = _RESID.match(fields[1]) if len(fields) == 4 else None
        if m is None or not fields[3]:
            raise DataError(
                f"{path}:{i + 1}: malformed atom line (need id, segid, resid, resname, name, "
                "type, charge, mass); fix the PSF"
            )
        segid.append(fields[0])
        resid.append(int(m.group(1)))
        resname.append(fields[2])
        name.append(fields[3])
    return PsfAtoms(segid, np.array(resid, dtype=np.int64), resname, name)


# ----------------------------------------------------------------------------- DCD


def read_dcd(path: str | Path) -> np.ndarray:
    """Coordinates of a CHARMM/NAMD DCD trajectory: ``(F, N, 3)`` float32 in Å.

    Reads either byte order (from the first record marker), CHARMM files with or without
    the per-frame unit-cell block, and X-PLOR files. Files with fixed atoms or a 4th
    dimension are refused. The frame count comes from the file size (NAMD leaves the header
    count at 0 while running).

    Raises:
        DataError: not a DCD file, unsupported variant, or a truncated frame.
    """
    path = Path(path)
    size = check_readable_file(path, DataError, limit=sys.maxsize)
    # The header first: the atom count and the file size give the frames, and what they take
    # in memory is checked before the whole file is read.
    try:
        with path.open("rb") as fh:
            buf = fh.read(96)
            if size < 100 or buf[4:8] != b"CORD":
                raise DataError(
                    f"{path}: not a CHARMM/NAMD DCD file (no 'CORD' header); check the file"
                )
            end = "<" if struct.unpack("<i", buf[:4])[0] == 84 else ">"
            if struct.unpack(f"{end}i", buf[:4])[0] != 84:
                raise DataError(
                    f"{path}: DCD header record is not 84 bytes (64-bit markers?); unsupported"
                )
            (title,) = struct.unpack(f"{end}i", buf[92:96])
            if not 0 <= title <= size - 112:
                raise DataError(
                    f"{path}: malformed DCD title record; the file is damaged or truncated"
                )
            buf += fh.read(title + 16)  # the title, its end marker, the atom-count record
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e}); check the path") from None
    icntrl = struct.unpack(f"{end}20i", buf[8:88])
    charmm = icntrl[19] != 0
    has_cell = charmm and icntrl[10] != 0
    if charmm and icntrl[11] != 0:
        raise DataError(f"{path}: 4-D DCD trajectories are not supported; write 3-D coordinates")
    if icntrl[8] != 0:
        raise DataError(
            f"{path}: DCD with {icntrl[8]} fixed atoms is not supported; write all atoms "
            "every frame (e.g. CHARMM without CONS FIX, or catdcd)"
        )
    pos = 96 + title + 4  # after the header record, its markers and the title record
    natom_marker, natom = struct.unpack(f"{end}2i", buf[pos : pos + 8])
    if natom_marker != 4 or natom <= 0:
        raise DataError(f"{path}: malformed DCD atom-count record; the file is damaged")
    pos += 12
    cell_words = 14 if has_cell else 0  # marker, 6 float64, marker
    frame_words = cell_words + 3 * (natom + 2)
    # the file's bytes, then the frames' float32 coordinates twice (stacked, then copied)
    check_allocation(
        (max(size - pos, 0) // (4 * frame_words), natom, 3),
        12,
        f"{path} (a DCD of {natom} atoms a frame; read as 3 float32 copies)",
        DataError,
    )
    try:
        buf = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e}); check the path") from None
    rest = len(buf) - pos
    n_frames, extra = divmod(rest, 4 * frame_words)
    if extra:
        raise DataError(
            f"{path}: {extra} bytes after the last of {n_frames} complete frames of {natom} "
            "atoms; the trajectory is truncated (re-write it or cut the partial frame)"
        )
    words = np.frombuffer(buf, dtype=f"{end}i4", offset=pos).reshape(n_frames, frame_words)
    marks = [cell_words + k * (natom + 2) for k in range(3)]
    if has_cell and not (words[:, [0, 13]] == 48).all():
        raise DataError(f"{path}: malformed DCD unit-cell record; the file is damaged")
    for m in marks:
        if not ((words[:, m] == 4 * natom) & (words[:, m + natom + 1] == 4 * natom)).all():
            raise DataError(f"{path}: malformed DCD coordinate record; the file is damaged")
    floats = words.view(f"{end}f4")
    xyz = np.stack([floats[:, m + 1 : m + 1 + natom] for m in marks], axis=-1)
    return xyz.astype(np.float32)


# ----------------------------------------------------------------------------- DSSP

DSSP_LETTERS = frozenset("HBEGIPTS-? ")


def read_dssp(path: str | Path, chain: Chain | None = None) -> dict[tuple[str, int, str], str]:
    """Secondary structure per residue from a DSSP file.

    Two layouts: the classic ``mkdssp`` table (columns from the ``  #  RESIDUE`` header;
    chain breaks ``!`` skipped; blank structure read as ``-``), or a one-line string with one
    letter per residue. The string has no residue numbers, so it needs ``chain``: the
    letters go to its residues in order and their counts must agree.

    Returns:
        ``{(chain_id, resnum, icode): letter}``.

    Raises:
        DataError: unreadable file, unknown layout, or a string whose length differs from
            the chain's.
    """
    path = Path(path)
    lines = _read_lines(path)
    header = next((i for i, ln in enumerate(lines) if ln.startswith("  #  RESIDUE")), None)
    if header is not None:
        table: dict[tuple[str, int, str], str] = {}
        for i, line in enumerate(lines[header + 1 :], header + 2):
            if len(line) > 13 and line[13] == "!":
                continue
            try:
                key = (line[11].strip(), int(line[5:10]), line[10].strip())
            except (IndexError, ValueError):
                raise DataError(
                    f"{path}:{i}: malformed DSSP residue line; residue number in columns 6-10"
                ) from None
            table[key] = (line[16].strip() or "-") if len(line) > 16 else "-"
        return table
    words = next((ln.split() for ln in lines if ln.strip()), [])
    letters = words[0] if words else ""
    if not letters or not set(letters) <= DSSP_LETTERS:
        raise DataError(
            f"{path}:1: neither a DSSP table ('  #  RESIDUE' header) nor a string of DSSP "
            "letters (H B E G I P T S -)"
        )
    if chain is None:
        raise DataError(
            f"{path}: a one-line secondary-structure string has no residue numbers; "
            "pass the chain it describes"
        )
    if len(letters) != len(chain):
        raise DataError(
            f"{path}: {len(letters)} secondary-structure letters for {len(chain)} residues "
            f"of {chain.name}; the string belongs to another structure"
        )
    return dict(zip(chain.residue_keys(), letters, strict=True))


def attach_ss(chain: Chain, table: dict[tuple[str, int, str], str]) -> Chain:
    """The chain with ``ss`` set from a :func:`read_dssp` table (``?`` for missing residues)."""
    ss = "".join(table.get(key, "?") for key in chain.residue_keys())
    return replace(chain, ss=ss)
