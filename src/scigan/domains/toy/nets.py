"""Toy networks: the shared MLP generator and discriminator of :mod:`scigan.core.nets`.

The discriminator packs ``pac`` samples per decision (PacGAN, Lin et al. 2018) and may add a
minibatch-standard-deviation feature (Karras et al. 2018): together they keep every mode of the
toy mixtures covered (see the defaults in ``ToyDomain.default_config``).
"""

from __future__ import annotations

from torch import nn

from scigan.config import TrainConfig
from scigan.core.nets import MLPDiscriminator, MLPGenerator
from scigan.domains.base import AbstractEncoder


def build_generator(cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
    """``G(z) -> (B, D)`` with the encoder's output spans."""
    return MLPGenerator(
        cfg.net.z_dim,
        encoder.output_spans(),
        width=cfg.net.g_width,
        depth=cfg.net.g_depth,
        latent_modes=cfg.net.latent_modes,
    )


def build_discriminator(cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
    """``D(x) -> (B,)`` over the encoder's ``D`` output columns."""
    dim = sum(s.dim for s in encoder.output_spans())
    return MLPDiscriminator(
        dim,
        width=cfg.net.d_width,
        depth=cfg.net.d_depth,
        sn=cfg.net.spectral_norm,
        pac=cfg.net.pac,
        minibatch_std=cfg.net.minibatch_std,
    )
