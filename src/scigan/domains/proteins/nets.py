"""The fields domain's convolutional G and D, with a distance-map head on G.

:class:`MapGenerator` wraps :class:`~scigan.domains.fields.nets.ConvGenerator` (1 × Lp × Lp)
and makes every output a valid encoded map before D sees it: ``(y + yᵀ) / 2`` (symmetric), the
diagonal set to the encoded value of 0 Å, and the padding beyond the protein length set to 0.
D is the fields domain's :class:`~scigan.domains.fields.nets.ConvDiscriminator` unchanged.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from scigan.domains.fields.nets import ConvGenerator


class MapGenerator(nn.Module):
    """G(z, cond) → (B, 1, Lp, Lp) symmetric encoded distance maps with a fixed diagonal.

    Args:
        z_dim: latent size.
        length: protein length L (maps are L × L inside the Lp × Lp padded frame).
        padded: Lp.
        diagonal: encoded value of a zero distance.
        cond_dim, width, depth: as for :class:`ConvGenerator`.
    """

    def __init__(
        self,
        z_dim: int,
        length: int,
        padded: int,
        diagonal: float,
        *,
        cond_dim: int = 0,
        width: int = 32,
        depth: int = 1,
    ) -> None:
        super().__init__()
        self.body = ConvGenerator(
            z_dim, (1, padded, padded), cond_dim=cond_dim, width=width, depth=depth
        )
        valid = torch.zeros(padded, padded)
        valid[:length, :length] = 1.0
        eye = torch.eye(padded) * valid
        self.register_buffer("offdiag", valid - eye)
        self.register_buffer("diag", eye * float(diagonal))

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        y = self.body(z, cond)
        y = 0.5 * (y + y.transpose(-1, -2))
        return y * self.offdiag + self.diag
