"""Adversarial objectives and regularisers.

A loss object owns "what a D step and a G step compute" from discriminator logits; the
regularisers (gradient penalty, R1) are separate small callables the training loop adds to D's
loss. ``D(x, cond) -> (B,)`` returns one logit/critic value per sample. :func:`make_loss` and
:func:`make_regularisers` build them from the configuration; the caller hands them to the loop
in its :class:`~scigan.core.training_loop.Problem`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scigan.config import LossConfig
from scigan.errors import UnknownNameError

# ``(D, real (B, ...), fake (B, ...), cond (B, C) | None) -> scalar`` added to D's loss.
Regulariser = Callable[[nn.Module, Tensor, Tensor, Tensor | None], Tensor]


class AbstractGANLoss(abc.ABC):
    """Maps discriminator outputs to the D and G objectives (both minimised)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def d_objective(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """Discriminator loss from D(real) and D(fake), each (B,)."""

    @abc.abstractmethod
    def g_objective(self, fake_logits: Tensor) -> Tensor:
        """Generator loss from D(G(z)), (B,)."""

    def decision_threshold(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """Logit above which D calls a sample real (0 for probabilistic/margin losses)."""
        return real_logits.new_zeros(())

    def d_loss(
        self, D: nn.Module, real: Tensor, fake: Tensor, cond: Tensor | None = None
    ) -> tuple[Tensor, dict[str, float]]:
        """One forward of D on real and fake (concatenated, one pass) → loss and stats."""
        logits = D(torch.cat([real, fake]), None if cond is None else torch.cat([cond, cond]))
        real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
        loss = self.d_objective(real_logits, fake_logits)
        with torch.no_grad():
            t = self.decision_threshold(real_logits, fake_logits)
            acc = 0.5 * ((real_logits > t).float().mean() + (fake_logits <= t).float().mean())
            stats = {
                "d_real": float(real_logits.mean()),
                "d_fake": float(fake_logits.mean()),
                "d_acc": float(acc),
            }
        return loss, stats

    def g_loss(self, D: nn.Module, fake: Tensor, cond: Tensor | None = None) -> Tensor:
        return self.g_objective(D(fake, cond))


class NonSaturatingLoss(AbstractGANLoss):
    """Goodfellow et al. 2014, the -log D(G(z)) generator variant.

    D: E[-log σ(D(x))] + E[-log(1 - σ(D(G(z))))] = E[softplus(-D(x))] + E[softplus(D(G(z)))]
    G: E[-log σ(D(G(z)))] = E[softplus(-D(G(z)))]
    """

    name = "ns"

    def d_objective(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()

    def g_objective(self, fake_logits: Tensor) -> Tensor:
        return F.softplus(-fake_logits).mean()


class HingeLoss(AbstractGANLoss):
    """Lim & Ye 2017; Miyato et al. 2018.

    D: E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]
    G: -E[D(G(z))]
    """

    name = "hinge"

    def d_objective(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()

    def g_objective(self, fake_logits: Tensor) -> Tensor:
        return -fake_logits.mean()


class WassersteinLoss(AbstractGANLoss):
    """Arjovsky et al. 2017 critic objective; used with the gradient penalty (Gulrajani 2017).

    D: E[D(G(z))] - E[D(x)]
    G: -E[D(G(z))]
    """

    name = "wgan-gp"

    def d_objective(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        return fake_logits.mean() - real_logits.mean()

    def g_objective(self, fake_logits: Tensor) -> Tensor:
        return -fake_logits.mean()

    def decision_threshold(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        # A critic value has no absolute scale: split at the midpoint of the two means.
        return 0.5 * (real_logits.mean() + fake_logits.mean())


LOSSES: dict[str, type[AbstractGANLoss]] = {
    cls.name: cls for cls in (NonSaturatingLoss, HingeLoss, WassersteinLoss)
}


def make_loss(name: str) -> AbstractGANLoss:
    try:
        return LOSSES[name]()
    except KeyError:
        raise UnknownNameError(
            f"unknown loss '{name}'; choose one of: {', '.join(LOSSES)}"
        ) from None


def _input_grad_sq_norm(D: nn.Module, x: Tensor, cond: Tensor | None) -> Tensor:
    """||∇_x D(x)||² per sample, (B,), with a graph so the penalty can be backpropagated."""
    x = x.detach().requires_grad_(True)
    out = D(x, cond)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1)


class GradientPenalty:
    """Gulrajani et al. 2017, eq. 3: λ E[(||∇D(x̂)||₂ - 1)²], x̂ = εx + (1-ε)G(z), ε ~ U(0,1)."""

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def __call__(self, D: nn.Module, real: Tensor, fake: Tensor, cond: Tensor | None) -> Tensor:
        # Drawn from the CPU generator on every device: the same ε stream on CPU and GPU.
        eps = torch.rand((len(real),) + (1,) * (real.dim() - 1), dtype=real.dtype)
        eps = eps.to(real.device)
        x_hat = eps * real.detach() + (1 - eps) * fake.detach()
        norm = (_input_grad_sq_norm(D, x_hat, cond) + 1e-12).sqrt()
        return self.weight * (norm - 1.0).pow(2).mean()


class R1Penalty:
    """Mescheder et al. 2018, eq. 9: (γ/2) E_x[||∇D(x)||²] on real data."""

    def __init__(self, gamma: float) -> None:
        self.gamma = gamma

    def __call__(self, D: nn.Module, real: Tensor, fake: Tensor, cond: Tensor | None) -> Tensor:
        return 0.5 * self.gamma * _input_grad_sq_norm(D, real, cond).mean()


def make_regularisers(cfg: LossConfig) -> list[Regulariser]:
    """The regularisers ``cfg`` switches on (weight > 0): gradient penalty, then R1."""
    regularisers: list[Regulariser] = []
    if cfg.resolved_gp_weight > 0:
        regularisers.append(GradientPenalty(cfg.resolved_gp_weight))
    if cfg.r1_gamma > 0:
        regularisers.append(R1Penalty(cfg.r1_gamma))
    return regularisers
