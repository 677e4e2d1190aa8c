"""The fields domain's networks: the shared convolutional G and D, set up from the encoder.

The networks themselves live in :mod:`scigan.core.nets` (:class:`~scigan.core.nets.ConvGenerator`,
:class:`~scigan.core.nets.ConvDiscriminator`; the proteins domain uses them too). What is
particular to fields is read off the fitted :class:`~scigan.domains.fields.encoding.FieldEncoder`:
circular padding on periodic axes, the ``spin`` head (±1 by a straight-through sign) and the
exact Z₂ spin-flip symmetry for Ising lattices, and D's physical observables (``ising``: energy
and magnetisation per spin; ``spectrum``: the radial log power spectrum).
"""

from __future__ import annotations

import numpy as np
from torch import Tensor, nn

from scigan.config import TrainConfig
from scigan.core.nets import ConvDiscriminator, ConvGenerator, SplitByCondition
from scigan.core.step import MAX_CONDITION_GROUPS
from scigan.domains.fields.encoding import FieldEncoder
from scigan.errors import ConfigError


def build_generator(cfg: TrainConfig, enc: FieldEncoder) -> nn.Module:
    """G(z, cond) → (B, *enc.shape_) for the fitted encoder ``enc`` (with ``split``: one
    unconditional generator per training condition value, :class:`SplitByCondition`)."""
    split = enc.split_ and enc.cond_dim > 0

    def one(cond_dim: int) -> nn.Module:
        return ConvGenerator(
            cfg.net.z_dim,
            enc.net_shape,
            cond_dim=cond_dim,
            width=cfg.net.g_width,
            depth=cfg.net.g_depth,
            periodic=enc.net_periodic,
            head="spin" if enc.transform_ == "spin" else "identity",
            symmetric=enc.symmetric_,
            total=enc.total_head,
            upsample=enc.upsample_,
            film=enc.film_ and not split,
            equivariant=enc.equivariant_,
            roll=enc.roll_,
            cut=enc.sparse_cut,
            full_depth=enc.full_depth_,
            spectral_noise=enc.spectral_noise_,
            spectral_filter=enc.spectral_filter_,
        )

    if not split:
        return one(enc.cond_dim)
    return SplitByCondition([one(0) for _ in enc.cond_values_], _split_values(enc, "split"))


def _split_values(enc: FieldEncoder, option: str) -> Tensor:
    """The encoded training condition values that ``split``/``split_d`` route by."""
    if not enc.cond_values_ or len(enc.cond_values_) > MAX_CONDITION_GROUPS:
        raise ConfigError(
            f"{option}=true needs at most {MAX_CONDITION_GROUPS} distinct condition values; "
            f"the training data has more (a continuous condition): train without {option}"
        )
    values = enc.encode_conditions(np.asarray(enc.cond_values_, dtype=np.float64))
    assert values is not None
    return values


def build_discriminator(cfg: TrainConfig, enc: FieldEncoder) -> nn.Module:
    """D(x, cond) → (B,) logits for the fitted encoder ``enc``, reading its observables (with
    ``split_d``: one unconditional critic per training condition value)."""
    split = enc.split_d_ and enc.cond_dim > 0

    def one(cond_dim: int) -> nn.Module:
        return ConvDiscriminator(
            enc.net_shape,
            cond_dim=cond_dim,
            width=cfg.net.d_width,
            depth=cfg.net.d_depth,
            periodic=enc.net_periodic,
            sn=cfg.net.spectral_norm,
            minibatch_std=cfg.net.minibatch_std,
            pac=cfg.net.pac,
            observables=enc.observables_,
            obs_mean=enc.obs_mean_,
            obs_std=enc.obs_std_,
            obs_energy=enc.obs_energy,
            obs_counts=enc.obs_counts,
            obs_cond=enc.obs_cond_ and not split,
        )

    if not split:
        return one(enc.cond_dim)
    if cfg.net.pac != 1:
        raise ConfigError("split_d=true judges one sample at a time: train with pac 1")
    return SplitByCondition([one(0) for _ in enc.cond_values_], _split_values(enc, "split_d"))
