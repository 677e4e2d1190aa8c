"""Protein metrics: closed forms, real-vs-itself zeros, real ≈ floor, corrupted ≫ floor."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from scigan.domains.proteins import figures as pf
from scigan.domains.proteins import geometry as pg
from scigan.domains.proteins import metrics as pm
from scigan.errors import DataError

L = 40  # fragment length in these tests (64 in the domain; shorter keeps them fast)


def fragment(rng: np.random.Generator, n_res: int = L) -> np.ndarray:
    """Helix / strand / loop mixture with ideal 3.8 Å bonds and no pair closer than 4 Å."""
    while True:
        ang: list[float] = []
        tor: list[float] = []
        while len(ang) < n_res - 2:
            kind, m = rng.choice(3, p=[0.4, 0.3, 0.3]), int(rng.integers(4, 12))
            if kind == 0:  # α-helix: angle ≈ 91°, torsion ≈ 50°
                ang += list(rng.normal(91, 2, m))
                tor += list(rng.normal(50, 5, m))
            elif kind == 1:  # β-strand: angle ≈ 120°, torsion ≈ −170°
                ang += list(rng.normal(120, 4, m))
                tor += list(rng.normal(-170, 10, m))
            else:
                ang += list(rng.uniform(85, 130, m))
                tor += list(rng.uniform(-180, 180, m))
        x = pg.build_chain(np.array(ang[: n_res - 2]), np.array(tor[: n_res - 3]))
        if pg.clash_rate(x, cutoff=4.0) == 0:
            return x


def fragments(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([fragment(rng) for _ in range(n)])


@pytest.fixture(scope="module")
def real_feats():
    maps = pg.distance_maps(fragments(90, 0))
    return {k: pm.fragment_features(maps[i::3], seed=0) for i, k in enumerate("gab")}


def test_small_closed_forms():
    assert pm.js_divergence([0.5, 0.5, 0], [0.5, 0.5, 0]) == 0.0
    assert pm.js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)
    assert pm.w1(np.arange(10.0), np.arange(10.0) + 2.5) == pytest.approx(2.5)
    helix = np.stack([2.3 * np.cos(np.radians(100) * np.arange(20)),
                      2.3 * np.sin(np.radians(100) * np.arange(20)),
                      1.5 * np.arange(20)], axis=1)  # fmt: skip
    assert pm.helix_fraction(pg.virtual_torsions(helix)) == 1.0
    assert pm.strand_fraction(pg.virtual_torsions(helix)) == 0.0
    strand = pg.build_chain(np.full(18, 120.0), np.full(17, -170.0))
    assert pm.strand_fraction(pg.virtual_torsions(strand)) == 1.0
    assert pm.strand_fraction([175.0, -145.0, 150.0, -130.0]) == 0.5  # window −200 … −140°


def test_bond_statistics_on_constructed_maps():
    D = pg.distance_maps(fragments(4, 5))
    idx = np.arange(L - 1)
    wide = D.copy()
    wide[:, idx, idx + 1] = wide[:, idx + 1, idx] = 4.0  # every map bond 0.2 Å long
    f = pm.fragment_features(wide, recover_steps=0)
    s = pm._absolute(f)
    assert s["bond_map_mae"] == pytest.approx(0.2) and s["bond_map_valid"] == 1.0
    wide[:, idx, idx + 1] = wide[:, idx + 1, idx] = 4.2
    s = pm._absolute(pm.fragment_features(wide, recover_steps=0))
    assert s["bond_map_mae"] == pytest.approx(0.4) and s["bond_map_valid"] == 0.0


def test_real_sample_against_itself_is_zero(real_feats):
    a = real_feats["a"]
    out = pm.score_fragments(a, a, a, seed=0)
    for key in ("distance_w1", "distance_w1_all", "contact_density_maxdev", "contact_map_mae",
                "rg_w1", "angle_js", "torsion_js"):  # fmt: skip
        assert out[key]["value"] == 0.0 and out[key]["floor"] == 0.0, key
    for key in ("rg_mean", "helix_fraction", "strand_fraction"):
        assert out[key]["abs_dev"] == 0.0
    for entry in out.values():
        assert entry["value"] == entry["floor"] and entry["n"] == 30 and entry["seed"] == 0


def test_real_maps_score_like_the_floor(real_feats):
    out = pm.score_fragments(real_feats["g"], real_feats["a"], real_feats["b"], seed=0)
    # exact real maps: every structural check is perfect, for the sample and the floor alike
    perfect = {"bond_map_mae": 0.0, "bond_mae": 0.0, "triangle_violation": 0.0,
               "clash_any": 0.0, "valid_backbone": 1.0, "embeddable": 1.0}  # fmt: skip
    for key, best in perfect.items():
        assert out[key]["value"] == pytest.approx(best, abs=1e-3), key
        assert out[key]["floor"] == pytest.approx(best, abs=1e-3), key
    # distribution distances: a third real sample is as far from A as B is (same N = 30)
    for key in ("distance_w1", "contact_density_maxdev", "contact_map_mae", "angle_js",
                "torsion_js", "rg_w1"):  # fmt: skip
        v, f = out[key]["value"], out[key]["floor"]
        assert v < 3 * f and f < 3 * v, (key, v, f)
    for key in ("helix_fraction", "strand_fraction"):
        assert out[key]["abs_dev"] < 0.1 and out[key]["abs_dev_floor"] < 0.1


def test_corrupted_maps_score_far_from_the_floor(real_feats):
    a, b = real_feats["a"], real_feats["b"]
    maps = a.maps.copy()
    noise = np.triu(np.random.default_rng(1).normal(0, 1.5, maps.shape), 1)
    noisy = pm.fragment_features(maps + noise + np.swapaxes(noise, 1, 2), seed=0)
    out = pm.score_fragments(noisy, a, b, seed=0)
    assert out["triangle_violation"]["value"] > 0.05 > out["triangle_violation"]["floor"]
    assert out["bond_map_valid"]["value"] < 0.3 < out["bond_map_valid"]["floor"]
    assert out["embeddable"]["value"] < 0.5 and out["embeddable"]["floor"] == 1.0
    assert out["angle_js"]["value"] > 5 * out["angle_js"]["floor"]
    # all-helix "generator": the torsion statistics notice
    helix = pg.build_chain(np.full(L - 2, 91.0), np.full(L - 3, 50.0))
    hx = pm.fragment_features(np.repeat(pg.distance_maps(helix)[None], 30, 0))
    out = pm.score_fragments(hx, a, b, seed=0)
    assert out["helix_fraction"]["value"] == pytest.approx(1.0)
    assert out["helix_fraction"]["abs_dev"] > 5 * out["helix_fraction"]["abs_dev_floor"]
    assert out["torsion_js"]["value"] > 10 * out["torsion_js"]["floor"]
    assert out["valid_backbone"]["value"] == 1.0  # a valid backbone, just the wrong one


def test_fragment_metrics_end_to_end_and_errors():
    maps = pg.distance_maps(fragments(12, 3))
    out, feats = pm.recover_and_score(maps[:4], maps[4:8], maps[8:], seed=2, recover_steps=20)
    assert out == pm.fragment_metrics(maps[:4], maps[4:8], maps[8:], seed=2, recover_steps=20)
    assert feats["gen"].coords.shape == (4, L, 3)
    assert all({"value", "floor", "n", "seed", "better"} <= set(e) for e in out.values())
    assert out["valid_backbone"]["target"] == 0.95
    with pytest.raises(DataError, match="one length"):
        pm.fragment_metrics(maps[:4, :30, :30], maps[4:8], maps[8:], seed=0, recover_steps=0)
    with pytest.raises(DataError, match="NaN"):
        pm.fragment_metrics(maps[:4] * np.nan, maps[4:8], maps[8:], seed=0)


def test_paired_rmsd_and_noise_baseline():
    X = fragments(6, 7)
    ref = [pg.kabsch_rmsd(a, b) for a, b in zip(X, X[::-1], strict=True)]
    assert np.allclose(pm.paired_rmsd(X, X[::-1]), ref, atol=1e-6)
    for target in (0.5, 2.0):
        Y = pm.noise_baseline(X, target, n=10, seed=1)  # n > N: drawn with replacement
        assert Y.shape == (10, L, 3)
        # every output is a perturbed copy of some input at exactly the target RMSD
        best = pg.pairwise_rmsd(Y, X).min(1)
        assert np.allclose(best, target, atol=1e-5)
    same = pm.noise_baseline(X, 0.0, seed=0)  # a permutation of the inputs, unchanged
    assert np.array_equal(same[np.argsort(same[:, 5, 0])], X[np.argsort(X[:, 5, 0])])
    M = pm.noise_baseline(pg.distance_maps(X), 1.0, seed=0)  # maps in, maps out
    assert M.shape == (6, L, L)
    rec = pg.classical_mds(M)[0]
    assert np.allclose(pg.pairwise_rmsd(rec, X, allow_mirror=True).min(1), 1.0, atol=1e-4)
    with pytest.raises(DataError):
        pm.noise_baseline(X, -1.0)


CIS_AT = 5  # bond 5 → 6 is a cis peptide (2.9 Å) in every hinge frame, as Phe86–Pro87 in AdK


def _hinge_frames(progress: np.ndarray, rng: np.random.Generator, n_res: int = 30) -> np.ndarray:
    """Helix-hinge-helix chains whose 3 hinge torsions open from 50° (closed) to 190° (open);
    no pair comes closer than 5 Å on the way, RMSD closed → open ≈ 7 Å."""
    ang = np.full(n_res - 2, 91.0)
    frames = []
    for p in progress:
        tor = np.full(n_res - 3, 50.0) + rng.normal(0, 3, n_res - 3)
        tor[12:15] = 50.0 + p * 140.0 + rng.normal(0, 3, 3)
        bonds = np.full(n_res - 1, 3.8)
        bonds[CIS_AT] = 2.9
        frames.append(pg.build_chain(ang, tor, bond=bonds))
    return np.stack(frames)


def test_ensemble_metrics_real_vs_shuffled_vs_copies():
    rng = np.random.default_rng(0)
    closed, open_ = _hinge_frames([0.0], rng)[0], _hinge_frames([1.0], rng)[0]
    p_train, p_test, p_gen = rng.uniform(0, 1, 60), rng.uniform(0, 1, 40), rng.uniform(0, 1, 20)
    train, test = _hinge_frames(p_train, rng), _hinge_frames(p_test, rng)
    gen = _hinge_frames(p_gen, rng)
    args = (closed, open_, train, test, p_test)
    good = pm.ensemble_metrics(gen, p_gen, *args, seed=0)
    assert good["rmsd_closed_curve_mad"]["value"] < 3 * good["rmsd_closed_curve_mad"]["floor"] + 0.3
    # the cis bond is the closed state's too, so it is valid (a 3.8 Å-only rule would give 0)
    assert good["valid_backbone"]["value"] == 1.0 == good["valid_backbone"]["floor"]
    assert good["valid_backbone"]["cis_bonds"] == [CIS_AT]
    assert good["nn_train_rmsd"]["value"] == pytest.approx(good["nn_train_rmsd"]["floor"], rel=0.5)
    # right frames, wrong conditions: the progress curves notice
    bad = pm.ensemble_metrics(gen, 1.0 - p_gen, *args, seed=0)
    for key in ("rmsd_closed_curve_mad", "rmsd_open_curve_mad"):
        assert bad[key]["value"] > 5 * max(good[key]["value"], bad[key]["floor"]), key
        assert len(bad[key]["curve"]) == 5 and sum(bad[key]["counts"]) == 20
    # memorised training frames: nearest-train RMSD 0, everything is a copy
    copies = pm.ensemble_metrics(train[:20], p_train[:20], *args, seed=0)
    assert copies["nn_train_rmsd"]["value"] < 1e-4 < copies["nn_train_rmsd"]["floor"]
    assert copies["copy_rate"]["value"] == 1.0 and copies["copy_rate"]["floor"] < 0.3
    with pytest.raises(DataError, match="progress"):
        pm.ensemble_metrics(gen, p_gen[:5], *args, seed=0)


def test_figures_build():
    X = fragments(4, 11)
    D = pg.distance_maps(X)
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 6)
    frames = _hinge_frames(p, rng)
    figs = [
        pf.map_grid(D, D[::-1], k=3),
        pf.backbone_projections(X, X[::-1], k=4),
        pf.angle_histograms(X, X[::-1]),
        pf.ensemble_figure(frames, p, frames[::-1], p[::-1], frames[0], frames[-1]),
    ]
    for fig, n_axes in zip(figs, (7, 8, 2, 3), strict=True):
        assert len(fig.axes) == n_axes
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=50)
        assert buf.getvalue()[:4] == b"\x89PNG"
    assert not math.isnan(float(np.nanmax(D)))


@pytest.fixture(scope="module")
def real_windows():
    from scigan.domains.proteins import collection as data

    try:
        chains = data.fragment_chains()
    except DataError as err:  # archives not fetched: the install step downloads them
        pytest.skip(f"built-in protein fragments not available: {err}")
    w = data.windows(chains, 64, stride=16)
    idx = np.random.default_rng(0).permutation(len(w.coords))[:120]
    return w.coords[idx].astype(np.float64)


def test_real_windows_recover_and_score_like_the_floor(real_windows):
    X = real_windows
    D = pg.distance_maps(X)
    out, feats = pm.recover_and_score(D[:40], D[40:80], D[80:], seed=0)
    # exact real maps: MDS + refinement gives the structure back, right-handed
    rmsd = pm.paired_rmsd(feats["gen"].coords, X[:40])
    assert np.median(rmsd) < 0.05 and (rmsd < 0.5).mean() >= 0.98
    for key in ("triangle_violation", "clash_any"):
        assert out[key]["value"] == 0.0 == out[key]["floor"]
    # valid iff the true window is: ~8 % of real 64-residue windows hold a cis peptide (2.9 Å)
    truth_valid = [(np.abs(pg.bond_lengths(x) - 3.8) <= 0.3).all(1) for x in (X[:40], X[80:])]
    assert out["valid_backbone"]["value"] == pytest.approx(np.mean(truth_valid[0]))
    assert out["valid_backbone"]["floor"] == pytest.approx(np.mean(truth_valid[1]))
    for key in ("distance_w1", "contact_map_mae", "angle_js", "torsion_js", "rg_w1"):
        v, f = out[key]["value"], out[key]["floor"]
        assert v < 3 * f + 1e-3 and f < 3 * v + 1e-3, (key, v, f)
    # the noise baseline at 1 Å coordinate RMSD breaks the chain, as it should
    noisy = pm.noise_baseline(X[:40], 1.0, seed=0)
    base = pm.fragment_metrics(pg.distance_maps(noisy), D[40:80], D[80:], seed=0)
    assert base["valid_backbone"]["value"] < 0.2 < base["valid_backbone"]["floor"]
    assert base["angle_js"]["value"] > 10 * base["angle_js"]["floor"]
