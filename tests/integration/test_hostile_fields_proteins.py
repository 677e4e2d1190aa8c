"""Hostile input to the fields and proteins domains (issue 29): checked before it is read.

Every refusal ends in exit 2 with one line naming the file, the problem and the fix — never a
traceback, a hang or a huge allocation — and leaves nothing written. Conditions: a value
outside its physical domain is refused; one outside the training range is sampled with an
:class:`~scigan.domains.arrays.ExtrapolationWarning` that says by how much.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

from scigan import Synthesizer
from scigan.cli import main
from scigan.domains.base import ExtrapolationWarning
from scigan.domains.fields import FieldsDomain
from scigan.domains.fields.encoding import FieldEncoder
from scigan.domains.proteins import ProteinsDomain
from scigan.domains.proteins import data as pdata
from scigan.domains.proteins.data import PROGRESS_DOMAIN, ProteinDataset
from scigan.domains.proteins.encoding import DistanceMapEncoder
from scigan.errors import DataError
from scigan.limits import MEMORY_ENV

TINY = {
    "z_dim": 8,
    "g_width": 8,
    "d_width": 8,
    "batch_size": 16,
    "steps": 2,
    "log_every": 2,
    "eval_every": 0,
    "ckpt_every": 2,
    "eval_n": 16,
}
ISING = {"L": 8, "n": 40, "temperatures": [2.0, 2.5], "burn": 5, "thin": 2, "cache": False}
HUGE = (10**11, 64, 64)  # 2.9 PiB of float64 declared in a 128-byte header


def _npy_header(shape, descr="<f4") -> bytes:
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": tuple(shape)}
    )
    return buf.getvalue()


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _refused(capsys, argv, *fragments: str) -> str:
    """``scigan argv`` exits 2 with one ``scigan: error:`` line holding every fragment."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scigan: error:"), err
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def _scigan(*args: str, cwd, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scigan", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )


@pytest.fixture(scope="module")
def ising_run(tmp_path_factory):
    """An Ising run trained on T ∈ {2.0, 2.5} (2 steps)."""
    run = tmp_path_factory.mktemp("ising") / "run"
    Synthesizer(domain="fields", options=ISING, **TINY).fit("ising2d", out=run)
    return run


# ------------------------------------------------------------------ fields: array files


def test_npy_declaring_a_huge_shape_is_refused_before_allocation(tmp_path, capsys):
    bad = tmp_path / "huge.npy"
    bad.write_bytes(_npy_header(HUGE))
    out = tmp_path / "run"
    argv = ["train", "--domain", "fields", "--data", str(bad), "--out", str(out)]
    _refused(capsys, argv, str(bad), "(100000000000, 64, 64)", MEMORY_ENV)
    assert not out.exists()


def test_npz_member_declaring_a_huge_shape_is_refused(tmp_path, capsys):
    x = np.zeros((8, 4, 4), dtype=np.float32)
    for member in ("x", "cond"):
        bad = tmp_path / f"huge_{member}.npz"
        with zipfile.ZipFile(bad, "w") as zf:
            zf.writestr("x.npy", _npy_header(HUGE) if member == "x" else _npy_bytes(x))
            if member == "cond":
                zf.writestr("cond.npy", _npy_header((10**12, 4), "<f8"))
        argv = ["train", "--domain", "fields", "--data", str(bad), "--out", str(tmp_path / "r")]
        _refused(capsys, argv, str(bad), f"'{member}'", MEMORY_ENV)
    assert not (tmp_path / "r").exists()


def test_hdf5_dataset_declaring_a_huge_shape_is_refused(tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    bad = tmp_path / "huge.h5"
    with h5py.File(bad, "w") as f:  # chunked and never written: a few KiB on disk
        f.create_dataset("x", shape=HUGE, dtype="f4", chunks=(1, 64, 64))
    argv = ["train", "--domain", "fields", "--data", str(bad), "--out", str(tmp_path / "r")]
    _refused(capsys, argv, str(bad), "'x'", MEMORY_ENV)


def test_truncated_npy_is_refused_as_truncated(tmp_path, capsys):
    bad = tmp_path / "cut.npy"
    bad.write_bytes(_npy_header((100, 8, 8)) + b"\0" * 64)
    argv = ["train", "--domain", "fields", "--data", str(bad), "--out", str(tmp_path / "r")]
    _refused(capsys, argv, str(bad), "truncated")


def test_fifo_as_fields_data_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "fields.npy"
    os.mkfifo(fifo)
    proc = _scigan("train", "--domain", "fields", "--data", str(fifo), "--out", "r", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(fifo) in lines[0] and "not a regular file" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fields.npy"]


# ------------------------------------------------------------------ fields: conditions


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("0", "T must be > 0 (a temperature in units of J/k_B)"),
        ("-1", "T must be > 0 (a temperature in units of J/k_B)"),
        ("nan", "must be finite"),
        ("inf", "must be finite"),
    ],
)
def test_non_physical_temperature_is_refused(ising_run, tmp_path, capsys, value, fragment):
    out = tmp_path / "s.npz"
    argv = ["sample", str(ising_run), "-n", "4", "--out", str(out), "--condition", f"T={value}"]
    _refused(capsys, argv, "T=", fragment)
    assert not out.exists()


def test_temperature_outside_the_training_range_warns_and_samples(ising_run, tmp_path):
    out = tmp_path / "hot.npz"
    proc = _scigan(
        "sample", str(ising_run), "-n", "8", "--out", str(out), "--condition", "T=1000",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "T=1000 is outside the training range [2, 2.5] by 997.5" in proc.stderr
    assert "Traceback" not in proc.stderr
    with np.load(out) as z:
        assert z["x"].shape == (8, 1, 8, 8) and np.isfinite(z["x"]).all()
        assert z["cond"].shape == (8, 1) and (z["cond"] == 1000.0).all()


def test_api_conditions_are_checked_and_warn_outside_the_range(ising_run):
    gan = Synthesizer.load(ising_run)
    assert gan.encoder_.cond_min_ == [2.0] and gan.encoder_.cond_max_ == [2.5]  # saved
    with pytest.warns(
        ExtrapolationWarning,
        match=r"T=3 is outside .* by 0\.5 \(above its maximum.* 2 of 4 rows outside\)",
    ):
        x = gan.sample(4, seed=0, conditions=np.array([[2.0], [3.0], [3.0], [2.5]]))
    assert np.isfinite(x).all()
    gan.sample(4, seed=0, conditions=np.full((4, 1), 2.269))  # inside: no warning
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(DataError, match=r"is not physical: T must be > 0|non-finite"):
            gan.sample(4, seed=0, conditions=np.full((4, 1), bad))


def test_encoder_saved_before_ranges_loads_without_a_range_check(ising_run):
    gan = Synthesizer.load(ising_run)
    state = gan.encoder_.state_dict()
    for key in ("cond_min", "cond_max", "cond_domains"):
        del state[key]
    enc = FieldEncoder()
    enc.load_state_dict(state)
    enc.encode_conditions(np.full((2, 1), 1000.0))  # no range known: no warning
    with pytest.raises(DataError, match="T must be > 0"):  # a temperature by its name
        enc.encode_conditions(np.zeros((2, 1)))


def test_conditional_samples_carry_their_conditions(ising_run, tmp_path, capsys):
    for name in ("c.npz", "c.h5"):
        out = tmp_path / name
        argv = ["sample", str(ising_run), "-n", "4", "--out", str(out), "--condition", "T=2.2"]
        assert main(argv) == 0, capsys.readouterr().err
        x, cond = _read_samples(out)
        assert x.shape == (4, 1, 8, 8) and cond.shape == (4, 1) and (cond == 2.2).all()
        back = FieldsDomain().load(str(out), options={"cond_names": ["T"]}, seed=0)
        assert back.samples.shape == (4, 1, 8, 8) and (back.conditions == 2.2).all()


def test_samples_drawn_at_training_conditions_carry_them(ising_run, tmp_path):
    out = tmp_path / "pool.npz"
    assert main(["sample", str(ising_run), "-n", "4", "--out", str(out)]) == 0
    _, cond = _read_samples(out)
    assert cond is not None and set(cond[:, 0]) <= {2.0, 2.5}


def _read_samples(path):
    if path.suffix == ".npz":
        with np.load(path) as z:
            return z["x"], (z["cond"] if "cond" in z.files else None)
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "r") as f:
        return f["x"][()], (f["cond"][()] if "cond" in f else None)


def test_calo_energy_must_be_positive_and_its_range_is_the_simulators():
    d = FieldsDomain()
    ds = d.load("calo", options={"n": 30, "cache": False}, seed=0)
    enc = FieldEncoder().fit(ds)
    assert (enc.cond_min_, enc.cond_max_) == ([1.0], [100.0])  # e_min, e_max, not the draw
    for bad in ("0", "-5"):
        with pytest.raises(DataError, match=r"E must be > 0 \(the incident energy in GeV\)"):
            d.parse_conditions(enc, {"E": bad}, 3)
    enc.encode_conditions(np.array([[1.0], [100.0]]))  # the ends of the range: no warning
    with pytest.warns(ExtrapolationWarning, match=r"E=500 .* \[1, 100\] by 400"):
        enc.encode_conditions(np.array([[500.0]]))


def test_a_user_condition_named_T_that_holds_zero_is_not_a_temperature():
    rng = np.random.default_rng(0)
    t = np.repeat(np.arange(4.0), 2)  # a time axis from 0
    ds = FieldsDomain().load((rng.normal(size=(8, 1, 4, 4)), t), options={"cond_names": ["T"]},
                             seed=0)  # fmt: skip
    enc = FieldEncoder().fit(ds)
    assert enc.cond_domains_ == [["real", ""]]
    enc.encode_conditions(np.zeros((2, 1)))


# ------------------------------------------------------------------ proteins


def test_proteins_npy_coordinates_declaring_a_huge_shape_are_refused(tmp_path, capsys):
    bad = tmp_path / "coords.npy"
    bad.write_bytes(_npy_header((10**9, 214, 3)))
    argv = ["train", "--domain", "proteins", "--data", str(bad), "--out", str(tmp_path / "r")]
    _refused(capsys, argv, str(bad), MEMORY_ENV)
    ok = tmp_path / "few.npy"  # few frames of a long chain: the maps are what does not fit
    np.save(ok, np.zeros((50, 30_000, 3), dtype=np.float32))
    with pytest.raises(DataError, match=r"distance maps of 30000 Cα.*SCIGAN_MAX_MEMORY_GB"):
        pdata.load(str(ok), {}, 0)
    z = tmp_path / "maps.npz"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("maps.npy", _npy_header(HUGE))
    with pytest.raises(DataError, match=r"'maps'.*SCIGAN_MAX_MEMORY_GB"):
        pdata.load(str(z), {}, 0)


def test_structure_text_over_the_memory_limit_is_refused(tmp_path, monkeypatch):
    pdb = tmp_path / "big.pdb"
    pdb.write_text("REMARK padding\n" * 1000)
    bomb = tmp_path / "bomb.pdb.gz"
    bomb.write_bytes(gzip.compress(b" " * 2_000_000))
    monkeypatch.setenv(MEMORY_ENV, str(32 / 2**20))  # 32 KiB: text up to 8 KiB
    for path, what in ((pdb, "14.6 KiB"), (bomb, "(decompressed)")):
        with pytest.raises(DataError) as exc:
            pdata.load(str(path), {}, 0)
        msg = str(exc.value)
        assert str(path) in msg and what in msg and MEMORY_ENV in msg, msg


def test_dcd_whose_frames_do_not_fit_is_refused_before_reading(tmp_path, monkeypatch):
    from scigan.domains.proteins.io import read_dcd

    natom = 1000
    header = np.array([84], "<i4").tobytes() + b"CORD" + np.zeros(20, "<i4").tobytes()
    header += np.array([84, 4], "<i4").tobytes() + b"\0" * 4 + np.array([4], "<i4").tobytes()
    header += np.array([4, natom, 4], "<i4").tobytes()
    frame = np.concatenate([[4 * natom], np.zeros(natom), [4 * natom]]).astype("<i4").tobytes()
    dcd = tmp_path / "t.dcd"
    dcd.write_bytes(header + frame * 3 * 20)  # 20 frames of 1000 atoms
    assert read_dcd(dcd).shape == (20, natom, 3)
    monkeypatch.setenv(MEMORY_ENV, str(100_000 / 2**30))  # 100 kB: 20 × 1000 × 12 B do not fit
    with pytest.raises(DataError, match=r"t\.dcd.*\(20, 1000, 3\).*SCIGAN_MAX_MEMORY_GB"):
        read_dcd(dcd)
    bad = tmp_path / "title.dcd"
    bad.write_bytes(header[:92] + np.array([2**30], "<i4").tobytes() + b"\0" * 40)
    with pytest.raises(DataError, match="title record"):
        read_dcd(bad)


def test_fifo_as_proteins_data_is_refused_without_opening_it(tmp_path):
    for name in ("s.pdb", "m.npy"):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        # were the FIFO opened, this would unblock the reader (EOF) instead of hanging the test
        timer = threading.Timer(20, _unblock, (fifo,))
        timer.daemon = True
        timer.start()
        try:
            with pytest.raises(DataError, match="not a regular file"):
                pdata.load(str(fifo), {}, 0)
        finally:
            timer.cancel()


def _unblock(fifo) -> None:
    with contextlib.suppress(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def _progress_encoder() -> DistanceMapEncoder:
    t = np.radians(100.0) * np.arange(16)
    helix = np.stack([2.3 * np.cos(t), 2.3 * np.sin(t), 1.5 * np.arange(16)], axis=1)
    coords = helix[None] + np.random.default_rng(0).normal(0, 0.05, (12, 16, 3))
    maps = np.linalg.norm(coords[:, :, None] - coords[:, None], axis=-1)
    progress = np.linspace(0.2, 0.7, 12)[:, None]
    model = {"cond_names": ["progress"], "cond_domains": {"progress": PROGRESS_DOMAIN}}
    ds = ProteinDataset("adk-like", maps, progress, {"model": model})
    return DistanceMapEncoder().fit(ds)


def test_protein_progress_is_a_fraction_and_warns_outside_the_training_range():
    enc = _progress_encoder()
    d = ProteinsDomain()
    for bad in ("-0.1", "1.5", "nan"):
        with pytest.raises(DataError, match="progress"):
            d.parse_conditions(enc, {"progress": bad}, 2)
    raw = d.parse_conditions(enc, {"progress": "0.9"}, 2)
    with pytest.warns(ExtrapolationWarning, match=r"progress=0\.9 .* \[0\.2, 0\.7\] by 0\.2"):
        enc.encode_conditions(raw)
    state = enc.state_dict()
    again = DistanceMapEncoder()
    again.load_state_dict(state)
    assert again.cond_domains_ == [list(PROGRESS_DOMAIN)]
    with pytest.warns(ExtrapolationWarning):
        again.encode_conditions(raw)
