"""The training watchdog: divergence and mode-collapse detection.

Checks made by the training loop:

* every step — a non-finite loss or gradient norm, or a gradient norm ``explode_factor`` times
  above its running geometric average, is *divergence*;
* every logged step (after ``collapse_warmup``) — sample diversity (mean pairwise distance of a
  fixed batch of generated samples) below ``collapse_ratio`` × the real data's, or discriminator
  accuracy above ``d_acc_limit``, for ``collapse_patience`` consecutive checks, is *collapse*.

On either, the loop rolls back to the last good checkpoint and lowers the learning rates
(``Rollback`` in ``training_loop.py``), with a :class:`WatchdogWarning`. The watchdog only judges;
its state is saved in checkpoints so a resumed run judges exactly like an uninterrupted one.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from scigan.config import WatchdogConfig

_WARMUP_OBSERVATIONS = 50  # gradient-norm observations before "exploding" can trigger
_AVG_RATE = 0.02  # update rate of the running log-gradient-norm average
_PROBE_BATCH = 256  # samples in the fixed diversity probe


class WatchdogWarning(UserWarning):
    """Emitted when the watchdog rolls training back."""


def mean_pairwise_distance(x: Tensor) -> float:
    """Mean Euclidean distance between distinct rows of ``x`` (B, ...) — a diversity measure."""
    flat = x.detach().flatten(1).double()
    d = torch.cdist(flat, flat)
    n = len(flat)
    return float(d.sum() / max(n * (n - 1), 1))


class DiversityProbe:
    """A fixed batch of latent codes (and conditions) whose samples' diversity, relative to that
    of a fixed batch of real rows, is the collapse signal.

    Drawn once from its own generator (seeded with ``seed``), so it consumes nothing from
    training's random stream.
    """

    def __init__(
        self, data: Tensor, cond: Tensor | None, z_dim: int, seed: int, device: torch.device
    ) -> None:
        rng = torch.Generator().manual_seed(seed)
        idx = torch.randint(len(data), (_PROBE_BATCH,), generator=rng).to(device)
        self.z = torch.randn(_PROBE_BATCH, z_dim, generator=rng).to(device)  # (B, z_dim)
        self.cond = None if cond is None else cond[idx]
        self.real_diversity = mean_pairwise_distance(data[idx])

    def ratio(self, G: nn.Module, *, fork: bool = False) -> float:
        """Diversity of ``G``'s samples of the probe (in eval mode) over the real rows'.

        A generator that draws noise inside its forward (per-pixel noise maps, Gumbel
        relaxations) draws it from torch's training stream; ``fork`` draws it from a fork of
        that stream instead, leaving training's random numbers untouched.
        """
        G.eval()
        with torch.random.fork_rng(devices=[], enabled=fork), torch.no_grad():
            diversity = mean_pairwise_distance(G(self.z, self.cond))
        G.train()
        return diversity / max(self.real_diversity, 1e-12)


class Watchdog:
    """Stateful detector; ``None`` means healthy, a string is the reason for a rollback."""

    def __init__(self, cfg: WatchdogConfig) -> None:
        self.cfg = cfg
        self.log_norm_avg: dict[str, float] = {}
        self.observations = 0
        self.collapse_streak = 0
        self.saturation_streak = 0

    def check_step(self, losses: dict[str, float], grad_norms: dict[str, float]) -> str | None:
        for name, value in {**losses, **grad_norms}.items():
            if not math.isfinite(value):
                return f"non-finite {name} ({value})"
        if not self.cfg.watchdog:
            return None
        self.observations += 1
        reason = None
        for name, value in grad_norms.items():
            log_v = math.log(max(value, 1e-30))
            avg = self.log_norm_avg.get(name)
            if avg is None:
                self.log_norm_avg[name] = log_v
                continue
            if self.observations > _WARMUP_OBSERVATIONS and log_v > avg + math.log(
                self.cfg.explode_factor
            ):
                reason = (
                    f"exploding {name}: {value:.3g} is more than {self.cfg.explode_factor:g}x "
                    f"its running average {math.exp(avg):.3g}"
                )
                continue
            self.log_norm_avg[name] = avg + _AVG_RATE * (log_v - avg)
        return reason

    def check_collapse(self, step: int, diversity_ratio: float, d_acc: float) -> str | None:
        if not self.cfg.watchdog or step < self.cfg.collapse_warmup:
            return None
        if not math.isfinite(diversity_ratio):
            return f"non-finite sample diversity ({diversity_ratio})"
        self.collapse_streak = (
            self.collapse_streak + 1 if (diversity_ratio < self.cfg.collapse_ratio) else 0
        )
        self.saturation_streak = self.saturation_streak + 1 if (d_acc > self.cfg.d_acc_limit) else 0
        patience = self.cfg.collapse_patience
        if self.collapse_streak >= patience:
            return (
                f"mode collapse: sample diversity {diversity_ratio:.3f} of the real data's "
                f"(< {self.cfg.collapse_ratio}) for {patience} checks"
            )
        if self.saturation_streak >= patience:
            return (
                f"discriminator saturated: accuracy {d_acc:.4f} > {self.cfg.d_acc_limit} "
                f"for {patience} checks (generator gets no signal)"
            )
        return None

    def reset_streaks(self) -> None:
        self.collapse_streak = 0
        self.saturation_streak = 0

    def state_dict(self) -> dict:
        return {
            "log_norm_avg": dict(self.log_norm_avg),
            "observations": self.observations,
            "collapse_streak": self.collapse_streak,
            "saturation_streak": self.saturation_streak,
        }

    def load_state_dict(self, state: dict) -> None:
        self.log_norm_avg = {k: float(v) for k, v in state["log_norm_avg"].items()}
        self.observations = int(state["observations"])
        self.collapse_streak = int(state["collapse_streak"])
        self.saturation_streak = int(state["saturation_streak"])
