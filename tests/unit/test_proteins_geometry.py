"""Cα geometry against exact constructions: ideal helix and strand, hand rotations, circles."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from scigan.domains.proteins import geometry as pg
from scigan.errors import DataError

RISE, TURN, RADIUS = 1.5, math.radians(100.0), 2.3  # α-helix: Å, rad per residue, Å


def ideal_helix(L: int) -> np.ndarray:
    """Right-handed α-helix: counter-clockwise turn with positive rise."""
    t = TURN * np.arange(L)
    return np.stack([RADIUS * np.cos(t), RADIUS * np.sin(t), RISE * np.arange(L)], axis=1)


def zigzag_strand(L: int) -> np.ndarray:
    """Planar β-strand-like zigzag: 3.3 Å per residue along x, ±0.95 Å in y (bond 3.81 Å)."""
    k = np.arange(L)
    return np.stack([3.3 * k, 0.95 * (-1.0) ** k, np.zeros(L)], axis=1)


def helix_torsion_closed_form() -> float:
    """Dihedral of four consecutive points of a helix (radius r, rise h, turn θ per point).

    Bond vectors b_k = (c·u_k, h) with chord c = 2r sin(θ/2) and u_k unit vectors θ apart, so
    n_k = b_k × b_{k+1} has |n|² = 4c²h² sin²(θ/2) + c⁴ sin²θ and n₁·n₂ = 4c²h² sin²(θ/2) cos θ
    + c⁴ sin²θ; the sign is + for a right-handed helix.
    """
    c = 2 * RADIUS * math.sin(TURN / 2)
    s2 = math.sin(TURN / 2) ** 2
    num = 4 * RISE**2 * s2 * math.cos(TURN) + c**2 * math.sin(TURN) ** 2
    den = 4 * RISE**2 * s2 + c**2 * math.sin(TURN) ** 2
    return math.degrees(math.acos(num / den))


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues' rotation matrix."""
    k = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + math.sin(angle) * K + (1 - math.cos(angle)) * K @ K


def noisy(D: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    e = np.triu(np.random.default_rng(seed).normal(0.0, sigma, D.shape), 1)
    return D + e + e.T


def test_ideal_helix_closed_forms():
    X = ideal_helix(20)
    chord2 = 2 * RADIUS**2 * (1 - math.cos(TURN))
    assert np.allclose(pg.bond_lengths(X), math.sqrt(chord2 + RISE**2))  # 3.830 Å
    assert pg.bond_lengths(X)[0] == pytest.approx(3.8, abs=0.05)
    # angle at the middle point: cos = −b₀·b₁/|b|² = −(c² cos θ + h²)/(c² + h²)
    cos_a = -(chord2 * math.cos(TURN) + RISE**2) / (chord2 + RISE**2)
    assert np.allclose(pg.virtual_angles(X), math.degrees(math.acos(cos_a)))
    tau = helix_torsion_closed_form()
    assert tau == pytest.approx(50.0, abs=0.5)
    assert np.allclose(pg.virtual_torsions(X), tau, atol=1e-9)
    assert np.allclose(pg.virtual_torsions(pg.mirror(X)), -tau, atol=1e-9)


def test_strand_torsions_are_180():
    X = zigzag_strand(12)
    assert np.allclose(np.abs(pg.virtual_torsions(X)), 180.0, atol=1e-9)
    assert np.allclose(pg.virtual_angles(X), 2 * math.degrees(math.atan2(3.3, 1.9)))


def test_build_chain_inverts_angles_and_torsions():
    rng = np.random.default_rng(3)
    ang, tor = rng.uniform(80, 140, 30), rng.uniform(-179, 179, 29)
    X = pg.build_chain(ang, tor)
    assert np.allclose(pg.virtual_angles(X), ang)
    assert np.allclose(pg.virtual_torsions(X), tor)
    assert np.allclose(pg.bond_lengths(X), pg.BOND)


def test_distance_maps_batched_and_exact():
    X = ideal_helix(10)
    D = pg.distance_maps(X)
    assert D.shape == (10, 10) and np.allclose(D, D.T) and np.all(np.diag(D) == 0)
    assert D[0, 3] == pytest.approx(np.linalg.norm(X[3] - X[0]))
    batch = pg.distance_maps(np.stack([X, 2 * X]), chunk=50)  # forces one map per chunk
    assert batch.shape == (2, 10, 10) and np.allclose(batch[1], 2 * D)


@pytest.mark.parametrize("make", [ideal_helix, zigzag_strand])
def test_mds_recovers_up_to_rigid_motion_and_mirror(make):
    X = make(30)
    R = rotation([1.0, 2.0, -0.5], 0.7)
    Y, w = pg.classical_mds(pg.distance_maps(X @ R.T + 5.0))
    assert np.all(np.diff(w) <= 1e-9)  # descending
    assert pg.kabsch_rmsd(Y, X, allow_mirror=True) < 1e-6
    q = pg.embed_quality(pg.distance_maps(X))
    assert q["top3_fraction"] == pytest.approx(1.0, abs=1e-9)
    assert q["negative_fraction"] == pytest.approx(0.0, abs=1e-9)


def test_embed_quality_drops_for_noise_and_non_metric_maps():
    D = pg.distance_maps(ideal_helix(40))
    q = pg.embed_quality(np.stack([D, noisy(D, 1.0, 0)]))
    assert q["top3_fraction"][1] < 0.9 and q["negative_fraction"][1] > 0.05
    # random symmetric "map" with no geometry at all
    r = np.random.default_rng(0).uniform(1, 20, (40, 40))
    assert pg.embed_quality(pg.symmetrize(r))["top3_fraction"] < 0.5


def test_resolve_mirror_picks_right_handed_helix():
    X = ideal_helix(24)
    assert pg.handedness(X) == 1.0 and pg.handedness(pg.mirror(X)) == -1.0
    R = rotation([0.3, -1.0, 0.2], 2.0)
    M = pg.mirror(X) @ R.T  # mirror image in some orientation
    fixed = pg.resolve_mirror(M)
    assert pg.kabsch_rmsd(fixed, X) < 1e-9
    assert pg.kabsch_rmsd(M, X) > 1.0  # the mirror is not superposable without reflection
    assert np.array_equal(pg.resolve_mirror(X), X)
    # no helix and no 30-80° torsions: undecided, left as it is
    S = zigzag_strand(12)
    assert pg.handedness(S) == 0.0 and np.array_equal(pg.resolve_mirror(S), S)


def test_handedness_falls_back_to_strand_twist():
    # right-twisted strand: torsions −170° (≡ 190°), no helix
    X = pg.build_chain(np.full(14, 120.0), np.full(13, -170.0))
    assert pg.handedness(X) == 1.0 and pg.handedness(pg.mirror(X)) == -1.0
    assert pg.kabsch_rmsd(pg.resolve_mirror(pg.mirror(X)), X) < 1e-9


def test_handedness_falls_back_to_torsion_windows():
    # alternating angles break the helix angle test; torsions of +60° still count
    ang = np.tile([120.0, 135.0], 10)
    X = pg.build_chain(ang, np.full(19, 60.0))
    assert pg.handedness(X) == 1.0 and pg.handedness(pg.mirror(X)) == -1.0


def test_recover_noisy_helices():
    # σ = 0.3 Å Gaussian noise on every map entry
    for L in (24, 64):
        truth = ideal_helix(L)
        D = pg.distance_maps(truth)
        for seed in range(3):
            X = pg.recover(noisy(D, 0.3, seed), seed=seed)
            assert np.all(np.abs(pg.bond_lengths(X) - pg.BOND) <= pg.BOND_TOL)
            assert pg.clash_rate(X) == 0.0
            assert pg.kabsch_rmsd(X, truth) < 1.0  # proper rotation: mirror resolved


def test_recover_noisy_helix_loop_strand():
    # Strands are the soft part: bending a nearly straight zigzag by δ changes its distances
    # only by O(δ²), so σ = 0.3 Å noise leaves them ~1 Å uncertain (pure strands: 1.1-1.5 Å).
    truth = pg.build_chain(
        np.r_[np.full(16, 91.0), [100, 110, 95, 120, 105, 115], np.full(24, 120.0)],
        np.r_[np.full(16, 50.0), [-60, 170, 100, -120, 60], np.full(24, -170.0)],
    )
    D = pg.distance_maps(truth)
    rmsd, rmsd_mds = [], []
    for seed in range(4):
        Dn = noisy(D, 0.3, seed)
        X = pg.recover(Dn, seed=seed)
        assert np.all(np.abs(pg.bond_lengths(X) - pg.BOND) <= pg.BOND_TOL)
        assert pg.clash_rate(X) == 0.0
        rmsd.append(pg.kabsch_rmsd(X, truth))
        rmsd_mds.append(pg.kabsch_rmsd(pg.recover(Dn, steps=0), truth))
    assert np.mean(rmsd) < 1.0 and np.mean(rmsd) < 0.7 * np.mean(rmsd_mds)


def test_recover_exact_map_and_batch_split_independence():
    truth = ideal_helix(20)
    D = pg.distance_maps(truth)
    X = pg.recover(D, steps=0)
    assert pg.kabsch_rmsd(X, truth) < 0.05  # MDS + 0.01 Å jitter
    maps = np.stack([D, noisy(D, 0.3, 1), noisy(D, 0.3, 2)])
    whole = pg.recover_batch(maps, steps=30)
    split = pg.recover_batch(maps, steps=30, chunk=400)  # one map per chunk
    assert np.allclose(whole, split, atol=1e-4)


def test_recover_keeps_known_cis_bonds():
    bonds = np.full(29, 3.8)
    bonds[10] = 2.9  # cis peptide
    truth = pg.build_chain(np.full(28, 91.0), np.full(27, 50.0), bond=bonds)
    targets = pg.native_bond_targets(truth)
    assert np.array_equal(targets, bonds)
    D = pg.distance_maps(truth)
    noisy_map = noisy(D, 0.2, 0)
    with_cis = pg.bond_lengths(pg.recover(noisy_map, bond=targets))
    trans_only = pg.bond_lengths(pg.recover(noisy_map))
    assert abs(with_cis[10] - 2.9) < 0.2 and abs(trans_only[10] - 2.9) > abs(with_cis[10] - 2.9)
    assert pg.recover_batch(np.zeros((0, 30, 30))).shape == (0, 30, 3)


def test_kabsch_against_hand_rotation():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(15, 3)) * 5
    R = rotation([0.0, 0.0, 1.0], math.pi / 2)
    assert np.allclose(R @ [1, 0, 0], [0, 1, 0])
    b = a @ R.T + [1.0, -2.0, 3.0]
    assert pg.kabsch_rmsd(a, b) < 1e-9
    assert np.allclose(pg.kabsch_align(a, b), b)
    # shifting one atom by 1 Å along x: RMSD ≤ 1/√15 (optimal superposition can only help)
    c = b.copy()
    c[0, 0] += 1.0
    assert 0 < pg.kabsch_rmsd(a, c) <= 1 / math.sqrt(15) + 1e-12
    m = pg.mirror(a)
    assert pg.kabsch_rmsd(m, a, allow_mirror=True) < 1e-9 < pg.kabsch_rmsd(m, a)


def test_pairwise_rmsd_matches_kabsch():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(4, 20, 3)) * 4
    B = np.concatenate([A[:2] @ rotation([1, 1, 0], 1.0).T, rng.normal(size=(3, 20, 3)) * 4])
    P = pg.pairwise_rmsd(A, B, chunk=100)
    ref = np.array([[pg.kabsch_rmsd(a, b) for b in B] for a in A])
    assert np.allclose(P, ref, atol=1e-6)
    assert P[0, 0] < 1e-5 and P[1, 1] < 1e-5
    Pm = pg.pairwise_rmsd(pg.mirror(A), A, allow_mirror=True)
    assert np.all(np.diag(Pm) < 1e-5)
    with pytest.raises(DataError):
        pg.pairwise_rmsd(A, B[:, :10])


def test_radius_of_gyration_of_circle_and_contacts():
    t = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    circle = np.stack([7 * np.cos(t), 7 * np.sin(t), np.full(12, 3.0)], axis=1)
    assert pg.radius_of_gyration(circle) == pytest.approx(7.0)
    assert np.allclose(pg.radius_of_gyration(np.stack([circle, 2 * circle])), [7.0, 14.0])
    C = pg.contact_map(pg.distance_maps(circle), cutoff=4.0)
    chord = 2 * 7 * math.sin(math.pi / 12)  # 3.62 Å between neighbours
    assert chord < 4.0 and C[0, 1] and C[0, 11] and not C[0, 2]


def test_triangle_violation_rate():
    D = pg.distance_maps(ideal_helix(30))
    assert pg.triangle_violation_rate(D) == 0.0
    bad = D.copy()
    bad[0, 29] = bad[29, 0] = D[0, 29] + 20.0  # longer than any two-step path via k
    # (0, 29) is in 28 of the C(30, 3) = 4060 triples, and each violates by construction
    expected = 28 / 4060
    assert pg.triangle_violation_rate(bad) == pytest.approx(expected)
    rates = pg.triangle_violation_rate(np.stack([D, bad]))
    assert rates.shape == (2,) and rates[1] == pytest.approx(expected)
    # sampled estimate when C(L, 3) exceeds max_exact (seeded, unbiased)
    est = pg.triangle_violation_rate(bad, max_exact=100, n_sample=200_000, seed=0)
    assert est == pytest.approx(expected, abs=4 * math.sqrt(expected / 200_000))


def test_clash_rate_on_hand_built_coordinates():
    X = np.array([[0, 0, 0], [3.8, 0, 0], [3.8, 3.8, 0], [1.0, 2.0, 0], [10, 10, 10]], float)
    # non-bonded pairs (|i−j| ≥ 2): 6; (0, 3) at √5 = 2.24 Å clashes, (1, 3) at √11.84 = 3.44 Å
    # is next, the rest are > 5 Å
    assert pg.clash_rate(X) == pytest.approx(1 / 6)
    assert pg.clash_rate(X, cutoff=3.5) == pytest.approx(2 / 6)
    assert pg.clash_rate(X, min_sep=3) == pytest.approx(1 / 3)
    assert np.allclose(pg.clash_rate(np.stack([X, 10 * X])), [1 / 6, 0.0])


def _read_ca(text: str) -> tuple[np.ndarray, list[str], list[int]]:
    xyz, names, models = [], [], []
    for line in text.splitlines():
        if line.startswith("MODEL"):
            models.append(int(line[10:14]))
        if line.startswith("ATOM"):
            assert line[12:16] == " CA " and line[76:78] == " C" and len(line) == 80
            xyz.append([float(line[30:38]), float(line[38:46]), float(line[46:54])])
            names.append(line[17:20])
    return np.array(xyz), names, models


def test_write_pdb_round_trip(tmp_path):
    X = ideal_helix(12) * 7.3 - 40.0
    path = tmp_path / "ca.pdb"
    pg.write_pdb(path, X, resnames="ACDEFGHIKLMN", remarks=["generated by scigan"])
    text = path.read_text()
    got, names, _ = _read_ca(text)
    assert np.abs(got - X).max() <= 5e-4 + 1e-12
    assert names[:3] == ["ALA", "CYS", "ASP"]
    lines = text.splitlines()
    assert lines[0].startswith("REMARK 999 generated by scigan")
    assert lines[-2].startswith("TER") and lines[-1] == "END"
    assert [int(ln[22:26]) for ln in lines if ln.startswith("ATOM")] == list(range(1, 13))
    # Biopython's parser (a reference reader) agrees
    from Bio.PDB import PDBParser

    s = PDBParser(QUIET=True).get_structure("x", str(path))
    bio = np.array([a.coord for a in s.get_atoms()], dtype=float)
    assert np.abs(bio - X).max() < 1e-3


def test_write_pdb_models_and_errors(tmp_path):
    models = [ideal_helix(8), ideal_helix(8) + 1.0, zigzag_strand(8)]
    buf = io.StringIO()
    pg.write_pdb_models(buf, models)
    xyz, names, numbers = _read_ca(buf.getvalue())
    assert numbers == [1, 2, 3] and names == ["UNK"] * 24
    assert np.abs(xyz - np.concatenate(models)).max() <= 5e-4 + 1e-12
    assert buf.getvalue().count("ENDMDL") == 3 and buf.getvalue().endswith("END\n")
    one = io.StringIO()
    pg.write_pdb(one, models[0], model=7)
    assert one.getvalue().startswith("MODEL        7")
    with pytest.raises(DataError, match="residue names"):
        pg.write_pdb(tmp_path / "x.pdb", models[0], resnames="AC")
    with pytest.raises(DataError, match="coordinates"):
        pg.write_pdb(tmp_path / "x.pdb", models[0] * 1e4)
    with pytest.raises(DataError, match="shape"):
        pg.distance_maps(np.zeros((5, 2)))
