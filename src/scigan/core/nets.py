"""Building blocks every domain uses: output spans, MLP G/D, residual blocks, conditioning.

Generators are called ``G(z, cond) -> x`` and discriminators ``D(x, cond) -> (B,)``; ``cond`` is
``None`` for unconditional models or a float tensor ``(B, C)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Activation = Literal["identity", "tanh", "sigmoid", "softplus", "softmax", "gumbel"]
ACTIVATIONS: tuple[str, ...] = ("identity", "tanh", "sigmoid", "softplus", "softmax", "gumbel")


@dataclass(frozen=True)
class OutputSpan:
    """One block of the generator's (flat) output: ``dim`` columns with one activation.

    The same contract serves continuous columns (tanh/identity), one-hot categories
    (softmax/gumbel), sequence positions and tokens (CTGAN's SpanInfo idea).
    """

    dim: int
    activation: Activation

    def __post_init__(self) -> None:
        if self.dim < 1 or self.activation not in ACTIVATIONS:
            raise ValueError(f"bad OutputSpan({self.dim}, {self.activation!r})")


def apply_spans(x: Tensor, spans: Sequence[OutputSpan], *, tau: float = 0.2) -> Tensor:
    """Apply each span's activation to its slice of ``x`` (B, sum(dims)) → same shape."""
    parts, start = [], 0
    for span in spans:
        h = x[:, start : start + span.dim]
        start += span.dim
        if span.activation == "tanh":
            h = torch.tanh(h)
        elif span.activation == "sigmoid":
            h = torch.sigmoid(h)
        elif span.activation == "softplus":
            h = F.softplus(h)
        elif span.activation == "softmax":
            h = torch.softmax(h, dim=1)
        elif span.activation == "gumbel":
            h = F.gumbel_softmax(h, tau=tau, hard=False, dim=1)
        parts.append(h)
    if start != x.shape[1]:
        raise ValueError(f"spans cover {start} columns but the output has {x.shape[1]}")
    return torch.cat(parts, dim=1)


def maybe_sn(layer: nn.Module, enabled: bool) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) when enabled."""
    return nn.utils.parametrizations.spectral_norm(layer) if enabled else layer


class ResidualMLPBlock(nn.Module):
    """x + W2 act(W1 act(x)) — pre-activation residual block for MLPs."""

    def __init__(self, width: int, *, sn: bool = False, norm: bool = False) -> None:
        super().__init__()
        self.fc1 = maybe_sn(nn.Linear(width, width), sn)
        self.fc2 = maybe_sn(nn.Linear(width, width), sn)
        self.norm1 = nn.LayerNorm(width) if norm else nn.Identity()
        self.norm2 = nn.LayerNorm(width) if norm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = self.fc1(F.leaky_relu(self.norm1(x), 0.2))
        h = self.fc2(F.leaky_relu(self.norm2(h), 0.2))
        return x + h


class MixtureLatent(nn.Module):
    """Gaussian z (B, Z) → [one-hot(argmax z[:, :K]), z[:, K:]] — a K-component mixture prior.

    The argmax of K i.i.d. Gaussians is uniform over K, so the engine's contract (z ~ N(0, I))
    is unchanged while G gets a discrete code it can map to disconnected modes without
    continuous "bridges" between them (Ben-Yosef & Weinshall 2018, Gaussian-mixture GANs).
    """

    def __init__(self, components: int) -> None:
        super().__init__()
        self.k = components

    def forward(self, z: Tensor) -> Tensor:
        if self.k == 0:
            return z
        code = F.one_hot(z[:, : self.k].argmax(dim=1), self.k).to(z.dtype)
        return torch.cat([code, z[:, self.k :]], dim=1)


class MLPGenerator(nn.Module):
    """z (B, Z) [+ cond (B, C) concatenated] → MLP → span activations → (B, sum(spans)).

    ``latent_modes`` K > 0 turns the first K latent dimensions into a uniform categorical
    code (:class:`MixtureLatent`); ``z_dim`` must then exceed K.
    """

    def __init__(
        self,
        z_dim: int,
        spans: Sequence[OutputSpan],
        *,
        cond_dim: int = 0,
        width: int = 256,
        depth: int = 3,
        latent_modes: int = 0,
    ) -> None:
        super().__init__()
        if latent_modes and z_dim <= latent_modes:
            raise ValueError(f"z_dim ({z_dim}) must exceed latent_modes ({latent_modes})")
        self.z_dim, self.cond_dim, self.spans = z_dim, cond_dim, tuple(spans)
        out_dim = sum(s.dim for s in spans)
        self.latent = MixtureLatent(latent_modes)
        self.inp = nn.Linear(z_dim + cond_dim, width)
        self.blocks = nn.Sequential(*[ResidualMLPBlock(width, norm=True) for _ in range(depth)])
        self.out = nn.Linear(width, out_dim)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        z = self.latent(z)
        h = z if cond is None else torch.cat([z, cond], dim=1)
        h = self.blocks(self.inp(h))
        return apply_spans(self.out(F.leaky_relu(h, 0.2)), self.spans)


class ProjectionHead(nn.Module):
    """Projection discriminator output (Miyato & Koyama 2018): ψ(h) + <embed(c), h>."""

    def __init__(self, width: int, cond_dim: int, *, sn: bool = False) -> None:
        super().__init__()
        self.linear = maybe_sn(nn.Linear(width, 1), sn)
        self.embed = maybe_sn(nn.Linear(cond_dim, width, bias=False), sn) if cond_dim else None

    def forward(self, h: Tensor, cond: Tensor | None) -> Tensor:
        out = self.linear(h).squeeze(1)  # (B,)
        if self.embed is not None:
            if cond is None:
                raise ValueError("this discriminator is conditional: pass a condition tensor")
            out = out + (self.embed(cond) * h).sum(1)
        return out


class MinibatchStd(nn.Module):
    """Append the mean feature standard deviation over groups of samples (Karras et al. 2018).

    (B, F) → (B, F + 1). Groups are consecutive samples, so a batch of real samples followed by
    fakes (one D pass) never mixes the two when the batch size is a multiple of ``group``. A
    collapsed generator produces tiny within-group spread, which D can then see directly.
    """

    def __init__(self, group: int = 4) -> None:
        super().__init__()
        self.group = group

    def forward(self, h: Tensor) -> Tensor:
        b = len(h)
        g = self.group if b % self.group == 0 else b
        y = h.reshape(b // g, g, -1)  # (B/G, G, F): groups of consecutive samples
        std = (y.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=1)  # (B/G,)
        return torch.cat([h, std.repeat_interleave(g).unsqueeze(1)], dim=1)


class MLPDiscriminator(nn.Module):
    """x (B, D) → residual MLP (no BatchNorm: safe under DDP and gradient penalties) → (B,).

    ``pac`` > 1 packs that many samples into one critic input (PacGAN, Lin et al. 2018), which
    penalises mode collapse; the batch size must then be a multiple of ``pac``.
    """

    def __init__(
        self,
        in_dim: int,
        *,
        cond_dim: int = 0,
        width: int = 256,
        depth: int = 3,
        sn: bool = False,
        pac: int = 1,
        minibatch_std: bool = False,
    ) -> None:
        super().__init__()
        self.pac = pac
        self.mbstd = MinibatchStd() if minibatch_std else None
        self.inp = maybe_sn(nn.Linear(in_dim * pac + int(minibatch_std), width), sn)
        self.blocks = nn.Sequential(*[ResidualMLPBlock(width, sn=sn) for _ in range(depth)])
        self.head = ProjectionHead(width, cond_dim * pac, sn=sn)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        x = x.flatten(1)
        if self.pac > 1:
            x = x.reshape(len(x) // self.pac, -1)
            cond = None if cond is None else cond.reshape(len(cond) // self.pac, -1)
        if self.mbstd is not None:
            x = self.mbstd(x)
        h = F.leaky_relu(self.blocks(self.inp(x)), 0.2)
        out = self.head(h, cond)
        return out.repeat_interleave(self.pac) if self.pac > 1 else out


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
