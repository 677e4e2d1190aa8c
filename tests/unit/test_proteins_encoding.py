"""Distance-map encoder and generator head: exact round trip and valid maps by construction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scigan.domains.base import Dataset
from scigan.domains.proteins.encoding import BOND, DistanceMapEncoder, padded_size
from scigan.domains.proteins.geometry import distance_maps
from scigan.domains.proteins.nets import MapGenerator
from scigan.errors import DataError


def _helix(n: int, L: int, seed: int = 0) -> np.ndarray:
    """Ideal α-helices (rise 1.5 Å, 100°/residue, radius 2.3 Å) with small coordinate noise."""
    t = np.radians(100.0) * np.arange(L)
    x = np.stack([2.3 * np.cos(t), 2.3 * np.sin(t), 1.5 * np.arange(L)], axis=1)
    rng = np.random.default_rng(seed)
    return x[None] + rng.normal(0, 0.2, (n, L, 3))


@pytest.mark.parametrize("L", [20, 64])
def test_encode_decode_round_trip_is_exact(L):
    maps = distance_maps(_helix(8, L)).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    assert enc.padded_ == padded_size(L) and enc.padded_ % 16 == 0
    x = enc.encode(maps)
    assert x.shape == (8, 1, enc.padded_, enc.padded_)
    assert torch.all(x[:, :, L:, :] == 0) and torch.all(x[:, :, :, L:] == 0)
    # off-diagonal log-distances standardised: mean 0, std 1 on the training maps
    off = ~np.eye(L, dtype=bool)
    y = x.numpy()[:, 0, :L, :L][:, off]
    assert abs(y.mean()) < 1e-5 and abs(y.std() - 1) < 1e-4
    back = enc.decode(x)
    np.testing.assert_allclose(back, maps, atol=2e-4 * maps.max())
    # the encoded diagonal equals the encoder's value for 0 Å
    assert np.allclose(x.numpy()[:, 0, np.arange(L), np.arange(L)], enc.diagonal_value, atol=1e-5)
    # closed form: encoded bond of exactly 3.8 Å = (log 2 - mean) / std
    one = np.zeros((1, L, L), np.float32)
    one[0, 0, 1] = one[0, 1, 0] = BOND
    assert enc.encode(one)[0, 0, 0, 1].item() == pytest.approx(
        (np.log(2.0) - enc.mean_[0]) / enc.std_[0], rel=1e-5
    )


def test_state_round_trip_and_bad_maps():
    maps = distance_maps(_helix(4, 30)).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    other = DistanceMapEncoder()
    other.load_state_dict(enc.state_dict())
    assert torch.equal(other.encode(maps), enc.encode(maps))
    model = {"steric_min_sep": 4, "steric_weight": 3.0, "geometry_match": 7.0}
    fitted = DistanceMapEncoder().fit(Dataset("h", maps, info={"model": model}))
    other.load_state_dict(fitted.state_dict())
    assert (other.steric_min_sep_, other.steric_weight_, other.geometry_match_) == (4, 3.0, 7.0)
    old = {k: v for k, v in fitted.state_dict().items()
           if k not in ("steric_min_sep", "steric_weight", "geometry_match")}  # fmt: skip
    other.load_state_dict(old)  # a run saved before these options trained without them
    assert (other.steric_min_sep_, other.steric_weight_, other.geometry_match_) == (3, 1.0, 0.0)
    assert enc.steric_min_sep_ == 2  # new runs: every non-bonded pair
    with pytest.raises(DataError, match="do not match"):
        enc.encode(maps[:, :20, :20])
    with pytest.raises(DataError, match="non-negative"):
        enc.encode(-maps)
    with pytest.raises(DataError, match=r"\(N, L, L\)"):
        enc.encode(maps[:, :, :10])


def test_generator_head_gives_symmetric_hollow_maps_and_masks_padding():
    torch.manual_seed(0)
    G = MapGenerator(16, 50, padded_size(50), diagonal=-2.5, cond_dim=1, width=4)
    x = G(torch.randn(3, 16), torch.randn(3, 1))
    assert x.shape == (3, 1, 64, 64)
    assert torch.equal(x, x.transpose(-1, -2))
    assert torch.all(x[:, 0, torch.arange(50), torch.arange(50)] == -2.5)
    assert torch.all(x[:, :, 50:, :] == 0) and torch.all(x[:, :, :, 50:] == 0)
    maps = distance_maps(_helix(6, 50)).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    G = MapGenerator(16, 50, enc.padded_, enc.diagonal_value, width=4)
    d = enc.decode(G(torch.randn(5, 16)).detach())
    assert d.shape == (5, 50, 50)
    assert np.array_equal(d, np.swapaxes(d, 1, 2))
    assert np.all(np.diagonal(d, axis1=1, axis2=2) == 0) and np.all(d >= 0)


def test_fixed_bonds_decode_to_exactly_3_8_angstrom_and_band_critic_reads_diagonals():
    from scigan.domains.proteins.nets import BandCritic

    maps = distance_maps(_helix(6, 40)).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    G = MapGenerator(16, 40, enc.padded_, enc.diagonal_value, bond=enc.bond_value, width=4)
    d = enc.decode(G(torch.randn(4, 16)).detach())
    np.testing.assert_allclose(np.diagonal(d, offset=1, axis1=1, axis2=2), BOND, rtol=1e-5)
    x = enc.encode(maps)
    critic = BandCritic(40, k=3, width=4)
    bands = critic.bands(x)
    assert bands.shape == (6, 3, 40)
    for k in (1, 2, 3):  # row k-1 holds D(i, i+k), then zeros
        expect = np.diagonal(x.numpy()[:, 0, :40, :40], offset=k, axis1=1, axis2=2)
        np.testing.assert_array_equal(bands[:, k - 1, : 40 - k].numpy(), expect)
        assert torch.all(bands[:, k - 1, 40 - k :] == 0)
    assert critic(x).shape == (6,)


def test_chain_head_maps_are_exact_distance_maps_of_a_3_8_angstrom_chain():
    from scigan.domains.proteins.geometry import triangle_violation_rate
    from scigan.domains.proteins.nets import ChainGenerator

    maps = distance_maps(_helix(6, 30)).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    torch.manual_seed(0)
    G = ChainGenerator(8, 30, enc.padded_, enc.mean_[0], enc.std_[0], width=4)
    z = torch.randn(4, 8)
    with torch.no_grad():
        x = G.coordinates(z).double().numpy()
        d = enc.decode(G(z))
    np.testing.assert_allclose(np.linalg.norm(np.diff(x, axis=1), axis=2), BOND, rtol=1e-5)
    np.testing.assert_allclose(d, distance_maps(x), atol=1e-3)  # the map of that very chain
    assert max(triangle_violation_rate(m) for m in d) == 0.0


def test_place_chain_builds_the_ideal_helix_and_strand_from_angles_and_torsions():
    from scigan.domains.proteins.geometry import bond_lengths, virtual_angles, virtual_torsions
    from scigan.domains.proteins.nets import place_chain

    for angle, torsion in ((91.0, 50.0), (120.0, -170.0)):  # α-helix, β-strand (Levitt 1976)
        a = torch.full((2, 18), np.radians(angle), dtype=torch.float64)
        t = torch.full((2, 17), np.radians(torsion), dtype=torch.float64)
        x = place_chain(a, t).numpy()
        assert x.shape == (2, 20, 3)
        np.testing.assert_allclose(bond_lengths(x), BOND, atol=1e-9)
        np.testing.assert_allclose(virtual_angles(x), angle, atol=1e-6)
        np.testing.assert_allclose(virtual_torsions(x), torsion, atol=1e-6)


def test_per_bond_lengths_for_a_fixed_sequence_with_a_cis_peptide():
    from scigan.domains.proteins.nets import ChainGenerator

    maps = distance_maps(_helix(6, 12)).astype(np.float32)
    bonds = [BOND] * 11
    bonds[5] = 2.9  # a cis peptide
    data = Dataset("h", maps, info={"model": {"bonds": bonds, "head": "map"}})
    enc = DistanceMapEncoder().fit(data)
    G = MapGenerator(8, 12, enc.padded_, enc.diagonal_value, bond=enc.bond_value, width=4)
    d = enc.decode(G(torch.randn(2, 8)).detach())
    np.testing.assert_allclose(np.diagonal(d, offset=1, axis1=1, axis2=2), [bonds] * 2, rtol=1e-5)
    chain = ChainGenerator(8, 12, enc.padded_, enc.mean_[0], enc.std_[0], bonds=bonds, width=4)
    x = chain.coordinates(torch.randn(2, 8)).detach().double().numpy()
    np.testing.assert_allclose(np.linalg.norm(np.diff(x, axis=1), axis=2), [bonds] * 2, rtol=1e-5)


def _chains(n: int, L: int, seed: int = 0) -> np.ndarray:
    """Random 3.8 Å chains with mixed angles and torsions of both signs."""
    from scigan.domains.proteins.nets import place_chain

    g = torch.Generator().manual_seed(seed)
    a = torch.deg2rad(80 + 70 * torch.rand(n, L - 2, generator=g, dtype=torch.float64))
    t = torch.deg2rad(-180 + 360 * torch.rand(n, L - 3, generator=g, dtype=torch.float64))
    return place_chain(a, t).numpy()


def test_chain_geometry_from_distances_equals_angles_and_torsions_and_ignores_mirror():
    from scigan.domains.proteins.geometry import mirror, virtual_angles, virtual_torsions
    from scigan.domains.proteins.nets import chain_geometry

    x = _chains(5, 24)
    d = torch.tensor(distance_maps(x), dtype=torch.float64)
    f = chain_geometry(d * d).numpy()
    assert f.shape == (5, 3, 24)
    theta, tau = np.radians(virtual_angles(x)), np.radians(virtual_torsions(x))
    np.testing.assert_allclose(f[:, 0, :22], np.cos(theta), atol=1e-9)
    np.testing.assert_allclose(f[:, 1, :21], np.cos(tau), atol=1e-9)
    np.testing.assert_allclose(f[:, 2, :20], np.sin(tau[:, :-1]) * np.sin(tau[:, 1:]), atol=1e-9)
    assert np.all(f[:, 0, 22:] == 0) and np.all(f[:, 2, 20:] == 0)  # zero past the chain's end
    dm = torch.tensor(distance_maps(mirror(x)), dtype=torch.float64)
    np.testing.assert_allclose(chain_geometry(dm * dm).numpy(), f, atol=1e-9)
    # a chain whose torsions alternate in sign differs from its all-same-sign twin only in the
    # sign product (cos θ and cos τ agree), which the critic therefore reads
    from scigan.domains.proteins.nets import place_chain

    a = torch.full((1, 10), np.radians(91.0), dtype=torch.float64)
    same = place_chain(a, torch.full((1, 9), np.radians(50.0), dtype=torch.float64)).numpy()
    alt = place_chain(a, torch.tensor([[50.0, -50.0] * 4 + [50.0]]).deg2rad().double()).numpy()
    fs, fa = (chain_geometry(torch.tensor(distance_maps(c)) ** 2).numpy() for c in (same, alt))
    np.testing.assert_allclose(fs[:, :2], fa[:, :2], atol=1e-9)
    s50 = np.sin(np.radians(50.0)) ** 2
    np.testing.assert_allclose(fs[0, 2, :8], s50, atol=1e-9)
    np.testing.assert_allclose(fa[0, 2, :8], -s50, atol=1e-9)


def test_steric_penalty_is_zero_on_real_like_chains_and_the_closed_form_on_a_clash():
    from scigan.domains.proteins.nets import StericPenalty

    maps = distance_maps(_helix(6, 20)).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    pen = StericPenalty(20, enc.mean_[0], enc.std_[0], 4.0)
    assert pen(enc.encode(maps)).item() == 0.0  # ideal helix: i, i+2/i+3 at ~5.4/5 Å
    d = maps[:1].copy()
    d[0, 2, 9] = d[0, 9, 2] = 3.0  # one pair 7 apart at 3 Å, another 3 apart at 3.5 Å
    d[0, 4, 7] = d[0, 7, 4] = 3.5
    assert np.isclose(pen(enc.encode(d)).item(), (4.0 - 3.0) ** 2 + (4.0 - 3.5) ** 2, rtol=1e-4)
    d[0, 4, 6] = d[0, 6, 4] = 1.0  # a sharp virtual angle: Cα(i)–Cα(i+2) at 1 Å
    assert np.isclose(pen(enc.encode(d)).item(), 1.25 + (4.0 - 1.0) ** 2, rtol=1e-4)
    # runs saved before steric_min_sep left separation 2 to the chain head's angle bound
    old = StericPenalty(20, enc.mean_[0], enc.std_[0], 4.0, min_sep=3)
    assert np.isclose(old(enc.encode(d)).item(), 1.25, rtol=1e-4)
    assert pen(enc.encode(maps)).item() == old(enc.encode(maps)).item() == 0.0


def _ideal(angle: float, torsion: float, L: int, n: int = 1) -> np.ndarray:
    """n copies of the ideal chain with constant virtual angle and torsion (degrees)."""
    from scigan.domains.proteins.nets import place_chain

    a = torch.full((n, L - 2), np.radians(angle), dtype=torch.float64)
    t = torch.full((n, L - 3), np.radians(torsion), dtype=torch.float64)
    return place_chain(a, t).numpy()


def test_signed_windows_are_consecutive_angles_and_signed_torsions():
    from scigan.domains.proteins.geometry import mirror, virtual_angles, virtual_torsions
    from scigan.domains.proteins.nets import signed_windows

    x = _chains(3, 16)
    w = signed_windows(torch.tensor(x), 4).numpy().reshape(3, 16 - 2 - 4, 3, 4)
    theta, tau = np.radians(virtual_angles(x)), np.radians(virtual_torsions(x))
    for p in range(16 - 6):  # window p covers torsions p … p+3 and the angles at p+1 … p+4
        np.testing.assert_allclose(w[:, p, 0], np.cos(theta[:, p : p + 4]), atol=1e-9)
        np.testing.assert_allclose(w[:, p, 1], np.cos(tau[:, p : p + 4]), atol=1e-9)
        np.testing.assert_allclose(w[:, p, 2], np.sin(tau[:, p : p + 4]), atol=1e-9)
    wm = signed_windows(torch.tensor(mirror(x)), 4).numpy().reshape(w.shape)
    np.testing.assert_allclose(wm[:, :, :2], w[:, :, :2], atol=1e-9)  # a mirror flips only sin τ
    np.testing.assert_allclose(wm[:, :, 2], -w[:, :, 2], atol=1e-9)
    with pytest.raises(ValueError, match="L >= 7"):
        signed_windows(torch.tensor(x[:, :6]), 4)


def test_right_handed_coordinates_undo_a_mirror_exactly():
    from scigan.domains.proteins.geometry import (
        kabsch_rmsd,
        mirror,
        right_handed_coordinates,
        virtual_torsions,
    )

    helix = _ideal(91.0, 50.0, 24)
    for x in (helix, mirror(helix)):
        got = right_handed_coordinates(distance_maps(x))
        assert got.shape == (1, 24, 3)
        np.testing.assert_allclose(virtual_torsions(got), 50.0, atol=1e-6)
        assert kabsch_rmsd(got[0], helix[0]) < 1e-6  # the same chain, not its mirror


def test_sliced_wasserstein_of_a_translated_set_is_the_projected_shift_squared():
    from scigan.domains.proteins.nets import sliced_wasserstein

    g = torch.Generator().manual_seed(0)
    a = torch.randn(200, 5, generator=g, dtype=torch.float64)
    v = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0], dtype=torch.float64)
    u = torch.randn(5, 7, generator=g, dtype=torch.float64)
    u = u / u.norm(dim=0)
    b = a[torch.randperm(200, generator=g)] + v  # order does not matter: projections are sorted
    expected = ((v @ u) ** 2).mean()
    assert torch.isclose(sliced_wasserstein(a, b, u), expected, rtol=1e-10)
    assert sliced_wasserstein(a, a.flip(0), u).item() < 1e-24
    # a larger reference is read at a's quantile levels: a twice over has a's order statistics
    assert torch.isclose(sliced_wasserstein(a, torch.cat([b, b]), u), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="at least as large"):
        sliced_wasserstein(a, b[:10], u)


def test_geometry_matching_is_zero_on_the_training_motifs_and_the_closed_form_between_two():
    from scigan.domains.proteins.nets import ChainGenerator, GeneratorPrior

    L = 20
    helix, strand = _ideal(91.0, 50.0, L, 4), _ideal(120.0, -170.0, L, 4)
    maps = distance_maps(helix).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    G = ChainGenerator(8, L, enc.padded_, enc.mean_[0], enc.std_[0], width=4)
    prior = GeneratorPrior(L, enc.mean_[0], enc.std_[0], real_maps=enc.encode(maps),
                           generator=G, match_weight=2.0, n_directions=16)  # fmt: skip
    n = 4 * (L - 6)
    assert prior.real is not None and prior.real.shape == (n, 12)
    fake = enc.encode(maps)
    G.chain_ = torch.tensor(helix, dtype=torch.float32)  # as G's forward leaves it
    torch.manual_seed(0)
    assert prior(fake).item() < 1e-6  # every window of an ideal helix is the same
    # the mirror-image helix: only sin τ differs (+sin 50° → −sin 50°); its maps are the same
    # constant motifs f and r: SW² over the 12 axes and 16 random unit directions u is the mean
    # of ((f − r)·u)²; the directions are reproduced from the same seed
    feats = {}
    for name, (ang, tor) in {"helix": (91.0, 50.0), "strand": (120.0, -170.0),
                             "mirror": (91.0, -50.0)}.items():  # fmt: skip
        c, t = np.cos(np.radians(ang)), np.radians(tor)
        feats[name] = np.concatenate([[c] * 4, [np.cos(t)] * 4, [np.sin(t)] * 4])
    for name, chain in (("strand", strand), ("mirror", helix * [1, 1, -1])):
        G.chain_ = torch.tensor(chain, dtype=torch.float32)
        torch.manual_seed(1)
        got = prior(fake).item()
        torch.manual_seed(1)
        torch.randperm(n)
        torch.randint(n, (n,))
        rand = torch.randn(12, 16)
        u = torch.cat([torch.eye(12), rand / rand.norm(dim=0, keepdim=True)], dim=1)
        diff = torch.tensor(feats[name] - feats["helix"], dtype=torch.float32)
        assert np.isclose(got, 2.0 * ((diff @ u) ** 2).mean().item(), rtol=1e-3), name
    with pytest.raises(ValueError, match="chain head"):
        GeneratorPrior(L, enc.mean_[0], enc.std_[0], real_maps=fake, match_weight=1.0)
    with pytest.raises(ValueError, match="training maps"):
        GeneratorPrior(L, enc.mean_[0], enc.std_[0], generator=G, match_weight=1.0)
    G.chain_ = torch.tensor(helix[:2], dtype=torch.float32)
    with pytest.raises(RuntimeError, match="not drawn this batch"):
        prior(fake)


def test_shape_matching_is_the_closed_form_for_one_training_chain():
    from scigan.domains.proteins.nets import GeneratorPrior, chain_features

    L = 40
    helix, strand = _ideal(91.0, 50.0, L), _ideal(120.0, -170.0, L)
    maps = distance_maps(np.concatenate([helix, strand])).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("hs", maps))
    prior = GeneratorPrior(L, enc.mean_[0], enc.std_[0], real_maps=enc.encode(maps),
                           shape_weight=1.0, n_chains=64, n_directions=8)  # fmt: skip
    real = chain_features(torch.tensor(maps, dtype=torch.float64)).float()
    assert torch.allclose(prior.chain_mean, real.mean(0), atol=1e-5)
    z = (real - prior.chain_mean) / prior.chain_std
    np.testing.assert_allclose(prior.real_chains.numpy(), z.numpy(), atol=1e-4)
    # against a pool of helices, two strands: SW² = mean over u of ((z_strand − z_helix)·u)²
    # for the 9 feature axes and 8 random unit directions (reproduced from the same seed)
    prior.real_chains = z[:1].repeat(5, 1)
    torch.manual_seed(3)
    got = prior(enc.encode(maps[1:].repeat(2, 0))).item()
    torch.manual_seed(3)
    torch.randint(5, (64,))
    rand = torch.randn(9, 8)
    u = torch.cat([torch.eye(9), rand / rand.norm(dim=0, keepdim=True)], dim=1)
    assert np.isclose(got, (((z[1] - z[0]) @ u) ** 2).mean().item(), rtol=1e-3)


def test_generator_prior_weights_the_steric_term():
    from scigan.domains.proteins.nets import GeneratorPrior

    maps = distance_maps(_helix(6, 20)).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    d = maps[:1].copy()
    d[0, 2, 9] = d[0, 9, 2] = 3.0
    for weight in (1.0, 5.0):
        prior = GeneratorPrior(20, enc.mean_[0], enc.std_[0], steric=4.0, steric_weight=weight)
        assert np.isclose(prior(enc.encode(d)).item(), weight * 1.0, rtol=1e-4)


def test_chain_features_are_radius_of_gyration_and_per_band_compactness():
    from scigan.domains.proteins.geometry import radius_of_gyration
    from scigan.domains.proteins.nets import GLOBAL_BANDS, chain_features

    x = _chains(4, 40)
    d = distance_maps(x)
    f = chain_features(torch.tensor(d, dtype=torch.float64)).numpy()
    assert f.shape == (4, 1 + 2 * 4)  # 40 residues: the fourth band is 33 … 39
    np.testing.assert_allclose(np.exp(f[:, 0]), radius_of_gyration(x), rtol=1e-9)
    i, j = np.triu_indices(40, k=1)
    for b, (lo, hi) in enumerate(GLOBAL_BANDS):
        keep = (j - i >= lo) & (j - i <= hi)
        v = d[:, i[keep], j[keep]]
        np.testing.assert_allclose(f[:, 1 + 2 * b], np.log1p(v / BOND).mean(1), rtol=1e-9)
        np.testing.assert_allclose(f[:, 2 + 2 * b], (1 / (1 + np.exp((v - 8) / 0.5))).mean(1))
    assert chain_features(torch.tensor(d[:, :20, :20])).shape == (4, 1 + 2 * 3)  # no 33+ band


def _handedness_loop(x: np.ndarray) -> float:
    """The handedness rules written out per structure, with an explicit run scan (reference)."""
    from scigan.domains.proteins import geometry as g

    tau, ang = g.virtual_torsions(x), g.virtual_angles(x)
    window = (np.abs(tau) >= g.HELIX_TORSION[0]) & (np.abs(tau) <= g.HELIX_TORSION[1])
    ang_ok = (ang[:-1] >= g.HELIX_ANGLE[0]) & (ang[:-1] <= g.HELIX_ANGLE[1])
    ang_ok &= (ang[1:] >= g.HELIX_ANGLE[0]) & (ang[1:] <= g.HELIX_ANGLE[1])
    cand = window & ang_ok
    helical = np.zeros_like(cand)
    start = None
    for i, c in enumerate([*cand, False]):
        if c and start is None:
            start = i
        elif not c and start is not None:
            if i - start >= g.HELIX_MIN_RUN:
                helical[start:i] = True
            start = None
    beta = np.abs(tau) >= g.STRAND_MIN_TORSION
    for score in (np.sign(tau[helical]), np.sign((tau[beta] % 360.0) - 180.0),
                  np.sign(tau[window])):  # fmt: skip
        if len(score) and score.mean() != 0:
            return float(score.mean())
    return 0.0


def test_batched_handedness_equals_the_per_structure_rules():
    from scigan.domains.proteins.geometry import handedness, handedness_batch, mirror

    x = np.concatenate([_chains(40, 30, seed=3), _ideal(91.0, 50.0, 30, 2),
                        _ideal(120.0, -170.0, 30, 2)])  # fmt: skip
    for y in (x, mirror(x)):
        np.testing.assert_array_equal(handedness_batch(y), [_handedness_loop(c) for c in y])
        np.testing.assert_array_equal(handedness_batch(y), [handedness(c) for c in y])
    assert handedness_batch(_ideal(91.0, 50.0, 30, 1))[0] == 1.0
    assert handedness_batch(mirror(_ideal(91.0, 50.0, 30, 1)))[0] == -1.0


def test_bond_direction_head_draws_exact_bonds_and_leaves_its_chains_for_the_prior():
    from scigan.domains.proteins.nets import ChainGenerator

    maps = distance_maps(_helix(6, 12)).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    bonds = [BOND] * 11
    bonds[5] = 2.9  # a cis peptide
    G = ChainGenerator(8, 12, enc.padded_, enc.mean_[0], enc.std_[0], bonds=bonds, width=4,
                       angle_head="direction")  # fmt: skip
    y = G(torch.randn(3, 8))
    x = G.chain_.detach().double().numpy()
    np.testing.assert_allclose(np.linalg.norm(np.diff(x, axis=1), axis=2), [bonds] * 3, rtol=1e-5)
    np.testing.assert_allclose(enc.decode(y.detach()), distance_maps(x), atol=2e-3)
    with pytest.raises(ValueError, match="direction"):
        ChainGenerator(8, 12, enc.padded_, enc.mean_[0], enc.std_[0], angle_head="spiral")


def test_ensemble_template_is_the_medoid_frame_and_its_mean_rmsd():
    from scigan.domains.proteins.geometry import ensemble_template, kabsch_rmsd

    base = _helix(1, 16, seed=1)[0]
    rng = np.random.default_rng(2)
    # frames along a line of displacements: frame 2 (the middle) is the medoid
    shift = rng.normal(0, 1.0, (16, 3))
    frames = np.stack([base + k * 0.1 * shift for k in range(5)])  # helices stay helices
    rot = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    rot *= np.sign(np.linalg.det(rot))  # a proper rotation: RMSDs do not change
    frames[3] = frames[3] @ rot.T + 7.0
    t, spread = ensemble_template(distance_maps(frames), frames)
    np.testing.assert_array_equal(t, frames[2])
    rmsd = [kabsch_rmsd(frames[k], frames[2]) for k in (0, 1, 3, 4)]
    assert spread == pytest.approx(np.mean(rmsd), rel=1e-6)
    # from the maps alone: the same frame, recovered up to rigid motion
    t2, spread2 = ensemble_template(distance_maps(frames))
    assert kabsch_rmsd(t2, frames[2]) < 1e-6 and spread2 == pytest.approx(spread, rel=1e-6)


def test_template_head_draws_the_template_plus_scaled_displacements():
    from scigan.domains.proteins.nets import ChainGenerator

    frames = _helix(6, 12)
    maps = distance_maps(frames).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps, info={"model": {"head": "template"}}))
    template = np.asarray(enc.template_)
    assert template.shape == (12, 3) and enc.template_scale_ > 0
    G = ChainGenerator(8, 12, enc.padded_, enc.mean_[0], enc.std_[0], width=4,
                       angle_head="template", template=enc.template_, scale=2.5)  # fmt: skip
    z = torch.randn(3, 8)
    h = G.body(z)[:, :, :12].transpose(1, 2).detach().double().numpy()
    x = G.coordinates(z).detach().double().numpy()
    np.testing.assert_allclose(x, template - template.mean(0) + 2.5 * h, atol=1e-5)
    np.testing.assert_allclose(enc.decode(G(z).detach()), distance_maps(x), atol=2e-3)
    with pytest.raises(ValueError, match="template"):
        ChainGenerator(8, 12, enc.padded_, enc.mean_[0], enc.std_[0], angle_head="template")


def test_generator_prior_bond_term_is_the_closed_form_outside_the_tolerance():
    from scigan.domains.proteins.nets import GeneratorPrior

    x = _ideal(91.0, 50.0, 10)  # exact 3.8 Å bonds
    maps = distance_maps(x).astype(np.float32)
    enc = DistanceMapEncoder().fit(Dataset("h", maps))
    prior = GeneratorPrior(10, enc.mean_[0], enc.std_[0], bond_weight=3.0)
    assert prior(enc.encode(maps)).item() == pytest.approx(0.0, abs=1e-8)
    d = maps.copy()
    d[0, 4, 5] = d[0, 5, 4] = 4.2  # 0.4 Å long: 0.3 Å beyond the 0.1 Å tolerance
    d[0, 1, 2] = d[0, 2, 1] = 3.85  # within the tolerance: free
    assert prior(enc.encode(d)).item() == pytest.approx(3.0 * 0.3**2, rel=1e-3)
    cis = [BOND] * 9
    cis[4] = 4.2  # the same bond as a per-sequence target: no penalty
    prior = GeneratorPrior(10, enc.mean_[0], enc.std_[0], bond_weight=3.0, bonds=cis)
    assert prior(enc.encode(d)).item() == pytest.approx(0.0, abs=1e-6)
