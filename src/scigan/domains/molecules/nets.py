"""Networks of the molecule models.

The latent GAN uses the engine's residual MLPs (:class:`~scigan.core.nets.MLPGenerator`,
:class:`~scigan.core.nets.MLPDiscriminator`) on autoencoder codes. The direct SELFIES GAN uses an
MLP generator whose head is one Gumbel-softmax span per token position, and the 1-D
convolutional critic below, which reads the (soft) one-hot sequence like a text CNN
(Kim 2014; as in ORGAN's discriminator, Guimaraes et al. 2017).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scigan.config import TrainConfig
from scigan.core.nets import ProjectionHead, maybe_sn
from scigan.domains.base import AbstractEncoder
from scigan.domains.latent import code_critic, code_generator
from scigan.domains.molecules.encoding import TokenEncoder


class TokenCritic(nn.Module):
    """x (B, L·V) soft one-hot → conv1d stack → global max + mean pooling → (B,).

    No BatchNorm (gradient penalty, DDP). Kernel widths 3 and 5 see bonds, branches and short
    ring closures; dilation widens the receptive field across the sequence.
    """

    def __init__(
        self,
        length: int,
        vocab: int,
        *,
        cond_dim: int = 0,
        width: int = 128,
        depth: int = 3,
        sn: bool = False,
    ) -> None:
        super().__init__()
        self.length, self.vocab = length, vocab
        self.inp = maybe_sn(nn.Conv1d(vocab, width, 1), sn)
        self.convs = nn.ModuleList(
            maybe_sn(nn.Conv1d(width, width, 5 if i % 2 else 3, padding="same", dilation=1 + i),
                     sn)
            for i in range(depth)
        )  # fmt: skip
        self.head = ProjectionHead(2 * width, cond_dim, sn=sn)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        return self.head(self.features(x), cond)

    def features(self, x: Tensor) -> Tensor:
        """Pooled critic features (B, 2W) — used by the semi-supervised activity head."""
        h = self.inp(x.view(len(x), self.length, self.vocab).transpose(1, 2))
        for conv in self.convs:
            h = h + conv(F.leaky_relu(h, 0.2))
        h = F.leaky_relu(h, 0.2)
        return torch.cat([h.amax(dim=2), h.mean(dim=2)], dim=1)


# ---------------------------------------------------------------------------- from the config
def build_generator(cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
    """The engine's residual MLP generator (both models; the SELFIES one ends in token spans)."""
    return code_generator(cfg, encoder)


def build_discriminator(cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
    """The 1-D convolutional :class:`TokenCritic` on SELFIES tokens, the residual MLP on codes."""
    if isinstance(encoder, TokenEncoder):
        return TokenCritic(
            encoder.length_,
            encoder.tokenizer_.size,
            cond_dim=encoder.cond_dim,
            width=min(cfg.net.d_width, 256),
            depth=cfg.net.d_depth,
            sn=cfg.net.spectral_norm,
        )
    return code_critic(cfg, encoder)
