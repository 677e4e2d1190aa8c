"""Protein data layer: windows, grouping, the chain split, Kabsch RMSD, user folders and —
when the archives are downloaded — the built-in chain collection and the AdK frames."""

from __future__ import annotations

import shutil
import tarfile
import time
import zlib

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from test_proteins_io import DATA, PSF, needs_data, write_dcd  # tests/unit is on sys.path

from scigan.domains.proteins import collection as pdata
from scigan.domains.proteins.io import Chain, read_structure
from scigan.errors import DataError


def _chain(name: str, seq: str, *, source: str = "s", chain_id: str = "A", ss=None) -> Chain:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    ca = np.cumsum(rng.normal(0, 2.2, size=(len(seq), 3)), axis=0)
    three = {v: k for k, v in pdata.AMINO_ACIDS.items()}
    return Chain(
        name, ca, [three[s] for s in seq], list(range(1, len(seq) + 1)), ss, source,
        chain_id=chain_id,
    )  # fmt: skip


def _random_seq(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), size=n))


# ----------------------------------------------------------------------------- windows


def test_windows_are_slices_with_ss_codes():
    rng = np.random.default_rng(0)
    a = _chain("a", _random_seq(rng, 70), ss="H" * 10 + "G" * 5 + "E" * 5 + "B" + "-T S" * 12 + "?")
    b = _chain("b", _random_seq(rng, 66))  # no ss
    c = _chain("c", _random_seq(rng, 10), ss="-" * 10)  # shorter than a window
    w = pdata.windows([a, b, c], size=64, stride=1)
    assert w.coords.shape == (7 + 3, 64, 3) and w.coords.dtype == np.float32
    assert w.chain_idx.tolist() == [0] * 7 + [1] * 3
    np.testing.assert_array_equal(w.coords[3], a.ca[3:67].astype(np.float32))
    np.testing.assert_array_equal(w.coords[9], b.ca[2:66].astype(np.float32))
    assert w.ss is not None and w.ss.dtype == np.uint8
    codes = pdata.ss_codes(a.ss)
    # 3 states: H/G/I helix (1), E/B strand (2), the rest coil (0); '?' unknown
    assert codes[:21].tolist() == [1] * 15 + [2] * 6 and set(codes[21:69].tolist()) == {0}
    assert codes[69] == pdata.SS_UNKNOWN
    np.testing.assert_array_equal(w.ss[6], codes[6:70])
    assert (w.ss[7:] == pdata.SS_UNKNOWN).all()
    strided = pdata.windows([a, b], size=64, stride=3)
    assert strided.chain_idx.tolist() == [0, 0, 0, 1]
    np.testing.assert_array_equal(strided.coords[2], w.coords[6])
    assert pdata.windows([b], size=64).ss is None
    assert pdata.windows([c], size=64).coords.shape == (0, 64, 3)


# ----------------------------------------------------------------------------- grouping


def test_groups_duplicates_and_split():
    rng = np.random.default_rng(1)
    seqs = [_random_seq(rng, 80) for _ in range(12)]
    chains = [_chain(f"p{k}", s, source=f"f{k}") for k, s in enumerate(seqs)]
    # NMR-like models: same file and chain id, same sequence
    chains += [_chain(f"p0:model {m}", seqs[0], source="f0") for m in (2, 3)]
    # the same protein in another entry with one point mutation far from a 30-mer
    chains.append(_chain("q1", seqs[1][:60] + "W" + seqs[1][61:], source="g"))
    # a piece of chain 2 (shares ≥ 30 residues) and a chain sharing only 29
    chains.append(_chain("q2", seqs[2][10:75], source="h"))
    chains.append(_chain("q3", seqs[3][:29] + _random_seq(rng, 51), source="i"))
    # an exact copy (rotated, translated) of chain 4 from another file: dropped
    rot = Rotation.random(random_state=3).as_matrix()
    copy = _chain("copy4", seqs[4], source="j")
    copy.ca = chains[4].ca @ rot.T + 5.0
    kept = pdata.drop_duplicates([*chains, copy])
    assert [c.name for c in kept] == [c.name for c in chains]
    pdata.assign_groups(chains)
    group = {c.name: c.group for c in chains}
    assert group["p0:model 2"] == group["p0:model 3"] == group["p0"] == "p0"
    assert group["q1"] == "p1" and group["q2"] == "p2" and group["q3"] == "q3"
    assert len(set(group.values())) == 13
    for seed in range(5):
        train, test = pdata.split_by_chain(chains, test_fraction=0.25, seed=seed)
        assert sorted([*train, *test]) == list(range(len(chains)))
        assert not {chains[i].group for i in train} & {chains[i].group for i in test}
        frac = sum(len(chains[i]) for i in test) / sum(len(c) for c in chains)
        assert 0.25 <= frac < 0.25 + 240 / sum(len(c) for c in chains)  # ≤ one group over
    again = pdata.split_by_chain(chains, test_fraction=0.25, seed=4)
    np.testing.assert_array_equal(again[1], test)
    with pytest.raises(DataError, match=r"test_fraction=1\.5"):
        pdata.split_by_chain(chains, test_fraction=1.5)


# ----------------------------------------------------------------------------- Kabsch


def test_kabsch_rmsd_matches_scipy_and_invariances():
    rng = np.random.default_rng(2)
    ref = rng.normal(0, 8, size=(50, 3))
    frames = []
    for k in range(6):
        rot = Rotation.random(random_state=k).as_matrix()
        frames.append((ref + rng.normal(0, 0.1 * k, size=ref.shape)) @ rot.T + rng.normal(0, 30, 3))
    frames = np.array(frames)
    ours = pdata.kabsch_rmsd(frames, ref)
    for f, value in zip(frames, ours, strict=True):
        # scipy: rotation minimising Σ‖a − R b‖² of centred sets; rssd = √ of that minimum
        _, rssd = Rotation.align_vectors(ref - ref.mean(0), f - f.mean(0))
        assert value == pytest.approx(rssd / np.sqrt(len(ref)), abs=1e-9)
    assert ours[0] == pytest.approx(0.0, abs=1e-6)
    assert float(pdata.kabsch_rmsd(frames[3], ref)) == pytest.approx(ours[3])
    # a mirror image is not superposable: RMSD stays large
    assert pdata.kabsch_rmsd(ref * [1, 1, -1], ref) > 1.0


# ----------------------------------------------------------------------------- user files


def test_load_user_folder(tmp_path):
    shutil.copy(DATA / "tiny.pdb", tmp_path / "tiny.pdb")
    shutil.copy(DATA / "tiny.cif", tmp_path / "other.cif")
    (tmp_path / "notes.txt").write_text("ignored\n")
    chains = pdata.load_user_folder(tmp_path)
    assert len(chains) == 8 and {c.source for c in chains} == {"tiny.pdb", "other.cif"}
    # models of one chain and the same protein in two files: one group
    assert len({c.group for c in chains if c.chain_id == "A"}) == 1
    assert pdata.load_user_folder(tmp_path / "tiny.pdb")[0].name == "tiny:A:model 1"
    # a DCD with its PSF: one chain per segment and frame
    xyz = np.random.default_rng(0).normal(0, 5, size=(3, 4, 3)).astype(np.float32)
    write_dcd(tmp_path / "traj.dcd", xyz)
    with pytest.raises(DataError, match=r"traj\.dcd: a DCD holds only coordinates; put its "):
        pdata.load_user_folder(tmp_path)
    (tmp_path / "traj.psf").write_text(PSF)
    chains = pdata.load_user_folder(tmp_path)
    dcd = [c for c in chains if c.source == "traj.dcd"]
    assert [c.name for c in dcd] == [f"traj:PRO:frame {k}" for k in range(3)]
    np.testing.assert_array_equal(dcd[2].ca, xyz[2, [1, 2]])
    assert dcd[0].sequence == "MH" and len({c.group for c in dcd}) == 1
    write_dcd(tmp_path / "traj.dcd", xyz[:, :3])
    with pytest.raises(DataError, match=r"traj\.dcd: 3 atoms per frame but traj\.psf has 4"):
        pdata.load_user_folder(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"empty: no protein structure files"):
        pdata.load_user_folder(empty)
    with pytest.raises(DataError, match=r"nothing: no such file or folder"):
        pdata.load_user_folder(tmp_path / "nothing")


def test_missing_download_names_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIGAN_DATA", str(tmp_path))
    assert pdata.raw_dir() == tmp_path / "proteins" / "raw"
    with pytest.raises(DataError, match=r"bash scripts/fetch_protein_data\.sh"):
        pdata.fragment_chains()


# ----------------------------------------------------------------------------- built-in data


@pytest.fixture(scope="module")
def collection() -> list[Chain]:
    return pdata.fragment_chains()


@needs_data
def test_collection_counts_and_geometry(collection):
    chains = collection
    # pinned archives → exact numbers (see the module docstring / report)
    assert len(chains) == 306  # 191 segments + 115 further models of 2K39
    assert len({c.group for c in chains}) == 135
    assert min(len(c) for c in chains) >= 64
    w = pdata.windows(chains)
    assert w.coords.shape == (18704, 64, 3)
    bonds = np.linalg.norm(np.diff(w.coords, axis=1), axis=-1)  # consecutive Cα, Å
    assert np.mean(np.abs(bonds - 3.8) < 0.2) >= 0.99
    assert bonds.max() <= 4.2 and bonds.min() > 2.7  # cis peptides: 2.9 Å
    # every chain is one unbroken segment and sources carry the licence
    assert all(("LGPL" in c.source) != ("Expat" in c.source) for c in chains)


@needs_data
def test_collection_secondary_structure_is_geometric(collection):
    with_ss = [c for c in collection if c.ss is not None]
    assert len(with_ss) == 51  # the 50 DSSP files; one is cut into two long segments
    assert all(c.source.split(" ")[0].removesuffix(".pdb.gz") in pdata.DSSP_IDS for c in with_ss)

    # DSSP letters must sit on the right residues: Cα(i)–Cα(i+3) is ≈ 5 Å in an α-helix
    # and ≈ 10 Å in a β-strand. Agreement (helix < 6 Å, strand > 9 Å) is highest with the
    # letters where they are, not shifted by one or two residues.
    def agreement(shift: int) -> tuple[float, dict[str, list[float]]]:
        d3: dict[str, list[float]] = {"H": [], "E": []}
        hits = 0
        for c in with_ss:
            n = len(c)
            d = np.linalg.norm(c.ca[3:] - c.ca[:-3], axis=1)
            for k in range(max(0, -shift), min(n - 3, n - 3 - shift)):
                s = c.ss[k + shift : k + shift + 4]
                if s in ("HHHH", "EEEE"):
                    d3[s[0]].append(d[k])
                    hits += d[k] < 6.0 if s[0] == "H" else d[k] > 9.0
        return hits / (len(d3["H"]) + len(d3["E"])), d3

    best, d3 = agreement(0)
    assert best > 0.97 and all(agreement(s)[0] < best for s in (-2, -1, 1, 2))
    assert 5.0 < np.median(d3["H"]) < 5.6 and 9.5 < np.median(d3["E"]) < 10.8
    assert len(d3["H"]) > 500 and len(d3["E"]) > 500


@needs_data
def test_collection_split_keeps_groups_apart(collection):
    train, test = pdata.split_by_chain(collection, test_fraction=0.2, seed=0)
    assert len(train) + len(test) == len(collection) and len(test) > 0
    assert not {collection[i].group for i in train} & {collection[i].group for i in test}
    # the 2K39 NMR models, 1UBI and the other ubiquitin are one group
    ubq = {c.group for c in collection if c.source.startswith(("pdb2k39", "pdb1ubi", "align"))}
    assert len(ubq) == 1


@needs_data
def test_collection_cache_loads_fast(collection):
    start = time.perf_counter()
    again = pdata.fragment_chains()
    assert time.perf_counter() - start < 1.0
    assert [c.name for c in again] == [c.name for c in collection]
    for a, b in zip(again[::25], collection[::25], strict=True):
        np.testing.assert_array_equal(a.ca, b.ca)
        assert (a.resnames, a.resnums, a.icodes, a.ss, a.group, a.source) == (
            b.resnames, b.resnums, b.icodes, b.ss, b.group, b.source,
        )  # fmt: skip


@needs_data
def test_adk_frames():
    f = pdata.adk_frames()
    assert f["coords"].shape == (300, 214, 3) and f["coords"].dtype == np.float32
    assert np.bincount(f["traj"]).tolist() == [98, 102, 100]
    assert f["closed"].shape == f["open"].shape == (214, 3)
    # the end states themselves: progress exactly 0 and 1 (RMSD 0 to themselves)
    for state, target in (("closed", 0.0), ("open", 1.0)):
        d_c = pdata.kabsch_rmsd(f[state], f["closed"])
        d_o = pdata.kabsch_rmsd(f[state], f["open"])
        assert d_c / (d_c + d_o) == pytest.approx(target, abs=1e-6)
    # 1AKE vs 4AKE Cα RMSD ≈ 7 Å (lid and NMP domains closing)
    assert 6.0 < pdata.kabsch_rmsd(f["closed"], f["open"]) < 8.0
    bonds = np.linalg.norm(np.diff(f["coords"], axis=1), axis=-1)  # MD at 300 K: ±0.1 Å
    assert np.mean(np.abs(bonds - 3.8) < 0.3) >= 0.99 and 2.7 < bonds.min() < bonds.max() < 4.2
    p = f["progress"]
    assert ((p > 0) & (p < 1)).all()
    for k in range(3):  # each trajectory runs closed → open
        pk = p[f["traj"] == k]
        assert pk[0] < 0.1 and pk[-1] > 0.9 and np.corrcoef(np.arange(len(pk)), pk)[0, 1] > 0.9
    closed = read_structure(pdata.mda_dir() / pdata.ADK_CLOSED)[0]
    assert f["sequence"] == closed.sequence and len(closed) == 214


def test_extraction_is_atomic_and_reused(tmp_path, monkeypatch):
    # a fake sdist with one member: extracted once into raw_dir()/folder, then reused
    src = tmp_path / "src"
    (src / "pkg/data").mkdir(parents=True)
    (src / "pkg/data/a.txt").write_text("x")
    archive = tmp_path / "fake.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "pkg", arcname="pkg")
    monkeypatch.setenv("SCIGAN_DATA", str(tmp_path / "cache"))
    out = pdata._extract("fake", archive, "pkg/data/", ["a.txt"])
    assert out == tmp_path / "cache/proteins/raw/fake" and (out / "a.txt").read_text() == "x"
    assert [p.name for p in out.parent.iterdir()] == ["fake"]  # no temporary folder left
    archive.unlink()
    assert pdata._extract("fake", archive, "pkg/data/", ["a.txt"]) == out
    with pytest.raises(DataError, match=r"member\(s\) pkg/data/b.txt missing"):
        with tarfile.open(tmp_path / "f2.tar.gz", "w:gz") as tar:
            tar.add(src / "pkg", arcname="pkg")
        pdata._extract("fake2", tmp_path / "f2.tar.gz", "pkg/data/", ["b.txt"])
    assert not (tmp_path / "cache/proteins/raw/fake2").exists()
