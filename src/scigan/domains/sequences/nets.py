"""1-D residual generator and critic on one-hot sequences.

The WGAN-GP language model of Gulrajani et al. (2017, §5; code ``gan_language.py``) as used by
FBGAN (Gupta & Zou 2019): G maps z through a linear layer to a (C, L) feature map, applies
residual blocks ``h + 0.3 · conv(relu(conv(relu(h))))`` at full length, and a 1×1 convolution
to V logits per position; D mirrors it (1×1 conv in, residual blocks, linear out). No
BatchNorm anywhere (gradient penalty, DDP). The per-position softmax / Gumbel-softmax comes from
the encoder's :class:`~scigan.core.nets.OutputSpan` list (L identical spans of width V), applied
in one vectorised call on the (B·L, V) view. With Gumbel-softmax the forward pass emits the hard
one-hot sample and gradients flow through the soft relaxation (straight-through, Jang et al.
2017), so D only ever sees one-hot sequences and G's per-position output is a distribution.

``pooled`` adds position-averaged critic features to the flattened ones, so the critic sees
pooled (k-mer-like) statistics directly as well as position-specific ones.

Conditioning: G concatenates the condition to z and adds a per-channel bias from it; D uses a
projection head (Miyato & Koyama 2018) on its flattened features.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scigan.config import TrainConfig
from scigan.core.nets import OutputSpan, ProjectionHead, apply_spans, maybe_sn
from scigan.domains.latent import code_critic, code_generator
from scigan.domains.sequences.encoding import LatentSequenceEncoder, SequenceEncoder
from scigan.errors import DataError
from scigan.limits import check_allocation

_RES_SCALE = 0.3  # Gulrajani et al.'s residual branch scale


class ResBlock1d(nn.Module):
    """h + 0.3 · conv(relu(conv(relu(h)))), length-preserving; the second convolution may be
    dilated (a wider receptive field at the same cost)."""

    def __init__(self, width: int, kernel: int = 5, *, sn: bool = False, dilation: int = 1) -> None:
        super().__init__()
        pad = kernel // 2
        self.c1 = maybe_sn(nn.Conv1d(width, width, kernel, padding=pad), sn)
        self.c2 = maybe_sn(
            nn.Conv1d(width, width, kernel, padding=pad * dilation, dilation=dilation), sn
        )

    def forward(self, h: Tensor) -> Tensor:
        return h + _RES_SCALE * self.c2(F.relu(self.c1(F.relu(h))))


class SeqGenerator(nn.Module):
    """z (B, Z) [+ cond (B, C)] → (B, V, L) per-position distributions over the vocabulary."""

    def __init__(
        self,
        z_dim: int,
        spans: Sequence[OutputSpan],
        *,
        cond_dim: int = 0,
        width: int = 64,
        depth: int = 3,
        kernel: int = 5,
        tau: float = 0.5,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        if len({(s.dim, s.activation) for s in spans}) != 1:
            raise ValueError("sequence generators need L identical per-position spans")
        self.z_dim, self.cond_dim = z_dim, cond_dim
        self.span, self.length, self.vocab = spans[0], len(spans), spans[0].dim
        self.width, self.tau = width, tau
        self.inp = nn.Linear(z_dim + cond_dim, width * self.length)
        self.cond_bias = nn.Linear(cond_dim, width) if cond_dim else None
        self.blocks = nn.Sequential(
            *[ResBlock1d(width, kernel, dilation=dilation) for _ in range(depth)]
        )
        self.out = nn.Conv1d(width, self.vocab, 1)

    def logits(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        h = z if cond is None else torch.cat([z, cond], dim=1)
        h = self.inp(h).view(len(z), self.width, self.length)  # (B, C, L)
        if self.cond_bias is not None and cond is not None:
            h = h + self.cond_bias(cond).unsqueeze(2)
        return self.out(F.relu(self.blocks(h)))  # (B, V, L)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        logits = self.logits(z, cond)
        flat = logits.transpose(1, 2).reshape(-1, self.vocab)  # (B·L, V): one span per row
        probs = apply_spans(flat, [self.span], tau=self.tau)
        if self.span.activation == "gumbel":  # straight-through: D sees one-hot samples
            hard = F.one_hot(probs.argmax(dim=1), self.vocab).to(probs.dtype)
            probs = hard + (probs - probs.detach())  # exactly one-hot values
        return probs.view(len(z), self.length, self.vocab).transpose(1, 2)  # (B, V, L)


class SeqDiscriminator(nn.Module):
    """x (B, V, L) [+ cond] → critic score (B,). ``pac`` samples share one critic input."""

    def __init__(
        self,
        vocab: int,
        length: int,
        *,
        cond_dim: int = 0,
        width: int = 64,
        depth: int = 3,
        kernel: int = 5,
        sn: bool = False,
        pac: int = 1,
        pooled: bool = False,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        self.pac, self.pooled = pac, pooled
        self.inp = maybe_sn(nn.Conv1d(vocab * pac, width, 1), sn)
        self.blocks = nn.Sequential(
            *[ResBlock1d(width, kernel, sn=sn, dilation=dilation) for _ in range(depth)]
        )
        self.head = ProjectionHead(width * length + 2 * width * pooled, cond_dim * pac, sn=sn)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        if self.pac > 1:  # (B, V, L) → (B/pac, pac·V, L)
            x = x.reshape(len(x) // self.pac, -1, x.shape[2])
            cond = None if cond is None else cond.reshape(len(cond) // self.pac, -1)
        h = self.blocks(self.inp(x))  # (B', C, L)
        feats = h.flatten(1)  # (B', C·L): position-specific
        if self.pooled:  # + (B', 2C) position-pooled: k-mer frequencies and "motif anywhere"
            feats = torch.cat([feats, h.mean(dim=2), h.amax(dim=2)], dim=1)
        out = self.head(feats, cond)
        return out.repeat_interleave(self.pac) if self.pac > 1 else out


# ----------------------------------------------------------------------------- from the config
def build_generator(cfg: TrainConfig, enc: SequenceEncoder) -> nn.Module:
    """The generator for ``cfg`` (``--set dilation=N``) and the fitted encoder's layout; the
    latent GAN's is the engine's residual MLP on autoencoder codes (as in the molecules domain)."""
    if isinstance(enc, LatentSequenceEncoder):
        return code_generator(cfg, enc)
    # The first layer maps z to a (width, L) map: its weight grows with L (8 GB at L = 10**6),
    # held four times in training (weights, gradients, two Adam moments), float32.
    check_allocation(
        (cfg.net.g_width * enc.max_len_, cfg.net.z_dim + enc.cond_dim),
        4 * 4,
        f"sequences generator: first layer for length {enc.max_len_:,} (lower --g-width, "
        "--set max_len=N or --set window=N)",
        DataError,
    )
    return SeqGenerator(
        cfg.net.z_dim,
        enc.output_spans(),
        cond_dim=enc.cond_dim,
        width=cfg.net.g_width,
        depth=cfg.net.g_depth,
        dilation=_int_option(cfg, "dilation", 1),
    )


def build_discriminator(cfg: TrainConfig, enc: SequenceEncoder) -> nn.Module:
    """The critic for ``cfg`` (``--set d_pool=true``, ``--set dilation=N``); the latent GAN's is
    the engine's residual MLP on codes."""
    if isinstance(enc, LatentSequenceEncoder):
        return code_critic(cfg, enc)
    return SeqDiscriminator(
        len(enc.vocab),
        enc.max_len_,
        cond_dim=enc.cond_dim,
        width=cfg.net.d_width,
        depth=cfg.net.d_depth,
        sn=cfg.net.spectral_norm,
        pac=cfg.net.pac,
        pooled=str(cfg.options.get("d_pool", "false")).lower() in ("1", "true", "yes"),
        dilation=_int_option(cfg, "dilation", 1),
    )


def _int_option(cfg: TrainConfig, name: str, default: int) -> int:
    try:
        value = int(cfg.options.get(name, default))
    except (TypeError, ValueError):
        raise DataError(f"--set {name}={cfg.options[name]!r}: expected an integer") from None
    if value < 1:
        raise DataError(f"--set {name}={value}: must be >= 1")
    return value
