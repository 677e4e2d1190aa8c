"""Conditional tabular generator and PacGAN critic (after Xu et al. 2019, CTGAN §4.3–4.4).

Both networks read the condition vector laid out by
:class:`~scigan.domains.tabular.encoding.TabularEncoder`: ``cond = [features (F) | pass-through
(P)]``. The generator output is ``[pass-through copy (P) | generated columns]``; the critic
ignores the pass-through part of ``x`` (it sees the conditions through the features).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scigan.config import TrainConfig
from scigan.core.nets import OutputSpan, ResidualMLPBlock, apply_spans, maybe_sn
from scigan.domains.tabular.encoding import TabularEncoder
from scigan.errors import DataError


class SpanHeads(nn.Module):
    """:func:`~scigan.core.nets.apply_spans` for many spans at once: the same activations,
    with every Gumbel-softmax span of one width computed as one batched call.

    A 64-column table has ~130 spans; one call each made the span heads about a third of a
    training step on one thread (issue 26). The Gumbel noise is drawn per group, so the random
    numbers differ from the per-span loop; the distribution is the same.
    """

    def __init__(self, spans: Sequence[OutputSpan], *, tau: float = 0.2) -> None:
        super().__init__()
        self.tau = tau
        ident: list[int] = []
        groups: dict[int, list[int]] = {}
        self.others: list[tuple[int, OutputSpan]] = []  # softmax, tanh, ...: one call each
        pos = 0
        for span in spans:
            cols = list(range(pos, pos + span.dim))
            if span.activation == "identity":
                ident += cols
            elif span.activation == "gumbel":
                groups.setdefault(span.dim, []).extend(cols)
            else:
                self.others.append((pos, span))
            pos += span.dim
        self.width = pos
        self.widths = sorted(groups)
        order = ident + [c for k in self.widths for c in groups[k]]
        order += [c for p, s in self.others for c in range(p, p + s.dim)]
        self.register_buffer("ident", torch.tensor(ident, dtype=torch.long), persistent=False)
        for k in self.widths:
            idx = torch.tensor(groups[k], dtype=torch.long)
            self.register_buffer(f"group_{k}", idx, persistent=False)
        inverse = torch.argsort(torch.tensor(order, dtype=torch.long))
        self.register_buffer("inverse", inverse, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[1] != self.width:
            raise ValueError(f"spans cover {self.width} columns but the output has {x.shape[1]}")
        b = len(x)
        parts = [x[:, self.ident]]
        for k in self.widths:
            h = x[:, getattr(self, f"group_{k}")].reshape(b, -1, k)
            parts.append(F.gumbel_softmax(h, tau=self.tau, hard=False, dim=2).reshape(b, -1))
        for p, span in self.others:
            parts.append(apply_spans(x[:, p : p + span.dim], [span]))
        return torch.cat(parts, dim=1)[:, self.inverse]


class TabularGenerator(nn.Module):
    """``G(z (B, Z), cond (B, F + P)) -> (B, P + sum(spans))``.

    A residual MLP (LayerNorm blocks) on ``[z, features]`` with the encoder's span heads (linear
    for α, Gumbel-softmax with τ = 0.2 for modes and categories, softmax for sum-to-one groups).
    ``override`` blocks ``(cond start, output start, width)`` replace a generated one-hot by the
    condition's one-hot wherever the condition names a level (table-mode exact conditioning).
    """

    def __init__(
        self,
        z_dim: int,
        spans: Sequence[OutputSpan],
        *,
        feature_dim: int = 0,
        passthrough_dim: int = 0,
        override: Sequence[tuple[int, int, int]] = (),
        width: int = 256,
        depth: int = 2,
    ) -> None:
        super().__init__()
        self.z_dim, self.feature_dim, self.passthrough_dim = z_dim, feature_dim, passthrough_dim
        self.spans, self.override = tuple(spans), tuple(tuple(b) for b in override)
        self.inp = nn.Linear(z_dim + feature_dim, width)
        self.blocks = nn.Sequential(*[ResidualMLPBlock(width, norm=True) for _ in range(depth)])
        self.out = nn.Linear(width, sum(s.dim for s in spans))
        self.heads = SpanHeads(spans)

    def forward(self, z: Tensor, cond: Tensor | None = None) -> Tensor:
        if cond is None:
            if self.feature_dim + self.passthrough_dim:
                raise ValueError("this generator is conditional: pass a condition tensor")
            feats, passthrough = z[:, :0], z[:, :0]
        else:
            feats, passthrough = cond[:, : self.feature_dim], cond[:, self.feature_dim :]
        h = self.blocks(self.inp(torch.cat([z, feats], dim=1)))
        y = self.heads(self.out(F.leaky_relu(h, 0.2)))  # (B, sum(spans))
        if self.override:
            parts, pos = [], 0
            for c0, o0, width in self.override:
                given = feats[:, c0 : c0 + width]  # (B, K) one-hot or zeros
                named = given.sum(dim=1, keepdim=True).clamp(max=1.0)  # (B, 1)
                parts += [y[:, pos:o0], named * given + (1 - named) * y[:, o0 : o0 + width]]
                pos = o0 + width
            parts.append(y[:, pos:])
            y = torch.cat(parts, dim=1)
        return torch.cat([passthrough, y], dim=1)


class PacCritic(nn.Module):
    """``D(x (B, P + G), cond (B, F + P)) -> (B,)``: CTGAN's PacGAN critic.

    ``pac`` consecutive samples ``[x_gen, features]`` are concatenated into one input
    (Lin et al. 2018); hidden layers are Linear → LeakyReLU(0.2) → Dropout(0.5) as in CTGAN.
    No BatchNorm (gradient penalty, DDP). Every sample of a pack gets the pack's score.

    ``projection`` (unpacked critics with condition features only) adds ``<W c, φ(x, c)>`` to
    the score, φ the last hidden layer (the projection discriminator of Miyato & Koyama 2018):
    the condition then scales every hidden feature's vote instead of entering only through the
    first layer, which on a wide row is one input in hundreds.
    """

    def __init__(
        self,
        gen_dim: int,
        *,
        feature_dim: int = 0,
        passthrough_dim: int = 0,
        width: int = 256,
        depth: int = 2,
        pac: int = 10,
        dropout: float = 0.5,
        sn: bool = False,
        projection: bool = False,
    ) -> None:
        super().__init__()
        self.feature_dim, self.passthrough_dim, self.pac = feature_dim, passthrough_dim, pac
        layers: list[nn.Module] = []
        dim = (gen_dim + feature_dim) * pac
        for _ in range(depth):
            layers += [maybe_sn(nn.Linear(dim, width), sn), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            dim = width
        layers.append(maybe_sn(nn.Linear(dim, 1), sn))
        self.net = nn.Sequential(*layers)
        if projection and (pac != 1 or not feature_dim):
            raise ValueError("the projection term needs pac=1 and condition features")
        self.proj = nn.Linear(feature_dim, dim, bias=False) if projection else None

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        h = x[:, self.passthrough_dim :]
        if self.feature_dim:
            h = torch.cat([h, cond[:, : self.feature_dim]], dim=1)
        if len(h) % self.pac:
            raise ValueError(f"batch size {len(h)} is not a multiple of pac={self.pac}")
        if self.proj is not None:  # pac 1: one score per sample
            feat = self.net[:-1](h)  # (B, width): the last hidden layer
            vote = (self.proj(cond[:, : self.feature_dim]) * feat).sum(1)
            return self.net[-1](feat).squeeze(1) + vote
        out = self.net(h.reshape(len(h) // self.pac, -1)).squeeze(1)  # (B / pac,)
        return out.repeat_interleave(self.pac)


def build_generator(cfg: TrainConfig, encoder: TabularEncoder) -> TabularGenerator:
    """The generator for a fitted encoder's layout (spans, condition features, pass-through)."""
    return TabularGenerator(
        cfg.net.z_dim,
        encoder.generated_spans(),
        feature_dim=encoder.feature_dim,
        passthrough_dim=encoder.passthrough_dim,
        override=encoder.override_blocks(),
        width=cfg.net.g_width,
        depth=cfg.net.g_depth,
    )


def build_discriminator(cfg: TrainConfig, encoder: TabularEncoder) -> PacCritic:
    """The PacGAN critic over a fitted encoder's generated columns and condition features.

    A wide table (more than :data:`~scigan.domains.tabular.schema.WIDE_COLUMNS` modelled
    columns; ``encoder.wide_``) gets a critic without dropout and, unpacked, with the
    projection term (issue 26, README "Wide numeric tables": digits TSTR/TRTR 0.85 → 0.94,
    seed 0).
    """
    wide = encoder.wide_  # len(schema.columns) > WIDE_COLUMNS, as saved with the run
    projection = cfg.options.get("projection", "auto")
    if projection not in ("auto", True, False):
        raise DataError(f"projection={projection!r} must be auto, true or false")
    if projection == "auto":
        projection = wide
    if projection and (cfg.net.pac != 1 or encoder.feature_dim == 0):
        if cfg.options.get("projection") is True:
            raise DataError(
                "projection=true needs an unpacked critic (pac 1) and conditions or a table "
                "mode target: set pac=1, or leave projection at auto"
            )
        projection = False
    return PacCritic(
        sum(s.dim for s in encoder.generated_spans()),
        feature_dim=encoder.feature_dim,
        passthrough_dim=encoder.passthrough_dim,
        width=cfg.net.d_width,
        depth=cfg.net.d_depth,
        pac=cfg.net.pac,
        sn=cfg.net.spectral_norm,
        dropout=0.0 if wide else 0.5,
        projection=projection,
    )
