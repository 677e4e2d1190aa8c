"""Toy mode metrics against exact values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scigan.domains.toy.data import grid25, ring8
from scigan.domains.toy.metrics import mode_statistics


@pytest.mark.parametrize("mixture", [ring8(), grid25()])
def test_true_samples(mixture):
    x = mixture.sample(200_000, np.random.default_rng(0))
    stats = mode_statistics(x, mixture)
    k = len(mixture.centres)
    assert stats["modes_covered"] == k
    # P(|N(0, σ² I₂)| ≤ 3σ) = 1 − exp(−9/2) for a 2-D isotropic Gaussian.
    assert stats["high_quality_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.002)
    assert stats["mode_kl"] < 1e-3


def test_single_mode_collapse():
    m = ring8()
    x = m.centres[[3]] + 0.001 * np.random.default_rng(1).standard_normal((500, 2))
    stats = mode_statistics(x, m)
    assert stats["modes_covered"] == 1
    assert stats["high_quality_fraction"] == 1.0
    assert stats["mode_kl"] == pytest.approx(math.log(8))


def test_off_mode_samples_and_threshold():
    m = grid25()
    far = np.full((100, 2), 1.0)  # between modes
    stats = mode_statistics(far, m)
    assert stats["high_quality_fraction"] == 0 and stats["modes_covered"] == 0
    # 1 % rule: a mode with 1 of 200 samples (0.5 %) is not covered.
    x = np.vstack([np.repeat(m.centres[:1], 199, 0), m.centres[1:2]])
    assert mode_statistics(x, m)["modes_covered"] == 1


def test_geometry():
    assert np.allclose(np.linalg.norm(ring8().centres, axis=1), 2.0)
    assert len(grid25().centres) == 25 and grid25().sigma == 0.05
