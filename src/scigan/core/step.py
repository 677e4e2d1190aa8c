"""One training step: the discriminator phase and the generator phase.

Each phase draws its batches, computes its loss through the objects it was given (the loss, the
regularisers, the domain's generator penalty), backpropagates, asks the watchdog, and steps its
optimiser only when the watchdog finds nothing wrong. A phase reports a *fault* instead of
stepping; the loop then rolls back.

Randomness comes from torch's global CPU generator in a fixed order — per D step: batch
indices (with batches by condition, first the one row that picks the batch's condition), z,
then whatever the regularisers draw (e.g. the gradient penalty's ε); per G step: condition
indices, z — so a run, its resumption and its GPU twin consume the same stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from scigan.core import dist
from scigan.core.losses import AbstractGANLoss, Regulariser
from scigan.core.monitor import Watchdog
from scigan.errors import ConfigError

#: More distinct condition values than this make a continuous condition: nothing is done per
#: value (batches by condition are refused; the fields moment matching is off).
MAX_CONDITION_GROUPS = 32


def grad_norm(module: nn.Module) -> float:
    """Global L2 norm of the module's gradients (one fused kernel per dtype)."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))))


class Batches:
    """Training batches of ``size`` rows: real rows with their conditions, and latent codes.

    Indices and z are drawn on the CPU generator and then moved to ``device``; on a GPU the
    (small) training tensors are moved there once and indexed in place.

    ``by_condition``: every batch holds rows of one condition value (a row is drawn uniformly,
    then the whole batch from the rows that share its condition), so a critic, its minibatch
    statistics and a penalty per condition see a full batch of each value instead of a third
    of one; each value still comes up in proportion to its rows. For a few distinct values
    (:data:`MAX_CONDITION_GROUPS`); a continuous condition is refused.
    """

    def __init__(
        self,
        data: Tensor,
        cond: Tensor | None,
        z_dim: int,
        size: int,
        device: torch.device,
        *,
        by_condition: bool = False,
    ) -> None:
        if device.type != "cpu":
            data = data.to(device)
            cond = None if cond is None else cond.to(device)
        self.data, self.cond, self.z_dim, self.size, self.device = data, cond, z_dim, size, device
        self.members: list[Tensor] | None = None
        if by_condition and cond is not None:
            _, group = torch.unique(cond.cpu(), dim=0, return_inverse=True)
            n_groups = int(group.max()) + 1
            if n_groups > MAX_CONDITION_GROUPS:
                raise ConfigError(
                    f"batches by condition need at most {MAX_CONDITION_GROUPS} distinct "
                    f"condition values; the data has {n_groups} (a continuous condition): "
                    "train without cond_batches"
                )
            self.group = group
            self.members = [torch.nonzero(group == g).flatten() for g in range(n_groups)]

    def _indices(self) -> Tensor:
        if self.members is None:
            return torch.randint(len(self.data), (self.size,)).to(self.device)
        rows = self.members[int(self.group[torch.randint(len(self.data), (1,))])]
        return rows[torch.randint(len(rows), (self.size,))].to(self.device)

    def real(self) -> tuple[Tensor, Tensor | None]:
        """Real rows ``(B, ...)`` and their conditions ``(B, C)`` (or None)."""
        idx = self._indices()
        return self.data[idx], None if self.cond is None else self.cond[idx]

    def conditions(self) -> Tensor | None:
        """Conditions of real rows ``(B, C)`` for the generator (None when unconditional)."""
        idx = self._indices()
        return None if self.cond is None else self.cond[idx]

    def z(self) -> Tensor:
        """Latent codes ``(B, z_dim)`` ~ N(0, I)."""
        return torch.randn(self.size, self.z_dim).to(self.device)


@dataclass
class Phase:
    """What a phase reports: a fault (None when healthy) or its loss, gradient norm and the
    loss's statistics (from its last step)."""

    fault: str | None
    loss: float = float("nan")
    grad_norm: float = float("nan")
    stats: dict[str, float] = field(default_factory=dict)


@dataclass
class GANStep:
    """The two phases of a training step for one pair of networks and one objective.

    Under torchrun G and D get separate DDP wrappers (``G_par``/``D_par``; at world size 1 the
    networks themselves): D's loss goes through ``D_par`` and G's forward through ``G_par``,
    while the regularisers and G's loss use the bare D (one DDP forward per backward; D is
    frozen in the G phase).
    """

    G: nn.Module
    D: nn.Module
    loss: AbstractGANLoss
    regularisers: Sequence[Regulariser]
    g_penalty: Callable[[Tensor, Tensor | None], Tensor] | None
    batches: Batches

    def __post_init__(self) -> None:
        self.G_par = dist.wrap(self.G, self.batches.device)
        self.D_par = dist.wrap(self.D, self.batches.device)

    def discriminator(self, opt: torch.optim.Optimizer, watchdog: Watchdog, n_critic: int) -> Phase:
        """``n_critic`` D steps, each on a fresh real batch and fresh fakes."""
        self.D.requires_grad_(True)
        for _ in range(n_critic):
            real, c = self.batches.real()
            z = self.batches.z()
            with torch.no_grad():
                fake = self.G(z, c)
            loss, stats = self.loss.d_loss(self.D_par, real, fake, c)
            for reg in self.regularisers:
                loss = loss + reg(self.D, real, fake, c)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm, value = grad_norm(self.D), loss.item()
            fault = dist.agree(watchdog.check_step({"loss_d": value}, {"grad_norm_d": norm}))
            if fault:
                return Phase(fault)
            opt.step()
        return Phase(None, value, norm, stats)

    def generator(self, opt: torch.optim.Optimizer, watchdog: Watchdog) -> Phase:
        """One G step; the domain's generator penalty, if any, is added and logged.

        A *paired* penalty (``g_penalty.paired`` true; e.g. the tabular energy score) is
        called as ``g_penalty(fake, c, real=rows, fake2=second)``: ``rows`` are the real rows
        the conditions ``c`` were drawn from (the same index draw as ``conditions()``, so the
        random stream up to z is unchanged) and ``second`` a second generated row per
        condition, from a second z drawn after the first; both halves come from one forward
        (one DDP forward per backward), and the adversarial loss reads the first half only.
        """
        self.D.requires_grad_(False)
        extra: dict[str, Tensor] = {}
        if getattr(self.g_penalty, "paired", False):
            real, c = self.batches.real()
            z = torch.cat([self.batches.z(), self.batches.z()])
            fake, fake2 = self.G_par(z, None if c is None else torch.cat([c, c])).chunk(2)
            extra = {"real": real, "fake2": fake2}
        else:
            c = self.batches.conditions()
            fake = self.G_par(self.batches.z(), c)
        loss = self.loss.g_loss(self.D, fake, c)
        stats: dict[str, float] = {}
        if self.g_penalty is not None:
            penalty = self.g_penalty(fake, c, **extra)
            loss = loss + penalty
            stats["g_penalty"] = penalty.item()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm, value = grad_norm(self.G), loss.item()
        fault = dist.agree(watchdog.check_step({"loss_g": value}, {"grad_norm_g": norm}))
        if fault:
            return Phase(fault)
        opt.step()
        return Phase(None, value, norm, stats)
