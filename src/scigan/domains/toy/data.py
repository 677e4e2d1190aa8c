"""Toy 2-D Gaussian mixtures — the engine's test bench (Metz et al. 2017; Lin et al. 2018).

``ring8``: 8 Gaussians evenly spaced on a circle of radius 2, σ = 0.02.
``grid25``: a 5×5 grid of Gaussians at {-4, -2, 0, 2, 4}², σ = 0.05.
Both are exact: the mode centres and σ are known, so coverage and quality are measured
against the true distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mixture:
    """Equal-weight isotropic Gaussian mixture in 2-D."""

    centres: np.ndarray  # (K, 2)
    sigma: float

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 2) float64 samples with equal mode weights."""
        k = rng.integers(len(self.centres), size=n)
        return self.centres[k] + self.sigma * rng.standard_normal((n, 2))


def ring8() -> Mixture:
    angles = 2 * np.pi * np.arange(8) / 8
    return Mixture(2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.02)


def grid25() -> Mixture:
    g = np.arange(-4.0, 4.1, 2.0)
    return Mixture(np.array([(x, y) for x in g for y in g]), 0.05)


MIXTURES = {"ring8": ring8, "grid25": grid25}
