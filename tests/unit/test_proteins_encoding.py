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
    assert pen(enc.encode(maps)).item() == 0.0  # ideal helix: i, i+3 at ~5 Å, nothing closer
    d = maps[:1].copy()
    d[0, 2, 9] = d[0, 9, 2] = 3.0  # one pair 7 apart at 3 Å, another 3 apart at 3.5 Å
    d[0, 4, 7] = d[0, 7, 4] = 3.5
    assert np.isclose(pen(enc.encode(d)).item(), (4.0 - 3.0) ** 2 + (4.0 - 3.5) ** 2, rtol=1e-4)
    d[0, 4, 6] = d[0, 6, 4] = 1.0  # separation 2 is the angle's business, not the penalty's
    assert np.isclose(pen(enc.encode(d)).item(), 1.25, rtol=1e-4)
