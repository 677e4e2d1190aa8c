"""Training state: everything that changes while training, and how it is saved and restored.

A :class:`TrainState` holds the networks, the generator's EMA copy, both Adam optimisers, a
stateful generator penalty's buffers (e.g. a moving average of generated moments), the
watchdog, the step, the learning rates and the running log window. :meth:`TrainState.snapshot`
and :meth:`TrainState.restore` (de)serialise all of it, torch's global RNG included, so a run
resumed from a checkpoint continues bit-identically (``tests/integration/test_train_resume.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from scigan.core.checkpoint import flatten_state, unflatten_state
from scigan.core.ema import EMA
from scigan.core.monitor import Watchdog
from scigan.errors import CheckpointError


@dataclass
class TrainState:
    """Everything that changes during training; (de)serialised for checkpoints."""

    G: nn.Module
    D: nn.Module
    ema: EMA
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    watchdog: Watchdog
    step: int = 0
    lr_g: float = 0.0
    lr_d: float = 0.0
    rollbacks: int = 0
    best_value: float | None = None
    best_step: int | None = None
    elapsed_s: float = 0.0
    window: dict[str, float] = field(default_factory=dict)  # sums since the last log row
    penalty: nn.Module | None = None  # a stateful generator penalty (its buffers are state)

    def _modules(self) -> list[tuple[str, nn.Module]]:
        out = [("G", self.G), ("D", self.D), ("G_ema", self.ema.shadow)]
        if self.penalty is not None and self.penalty.state_dict():
            out.append(("penalty", self.penalty))
        return out

    def tensors(self) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        for prefix, module in self._modules():
            for k, v in module.state_dict().items():
                out[f"{prefix}.{k}"] = v.detach().cpu().clone()
        out["rng.torch"] = torch.get_rng_state()
        return out

    def json_state(self, tensors: dict[str, Tensor]) -> dict[str, Any]:
        return {
            "step": self.step,
            "lr_g": self.lr_g,
            "lr_d": self.lr_d,
            "rollbacks": self.rollbacks,
            "best_value": self.best_value,
            "best_step": self.best_step,
            "elapsed_s": self.elapsed_s,
            "window": dict(self.window),
            "watchdog": self.watchdog.state_dict(),
            "opt_g": flatten_state("opt_g", self.opt_g.state_dict(), tensors),
            "opt_d": flatten_state("opt_d", self.opt_d.state_dict(), tensors),
        }

    def snapshot(self) -> tuple[dict[str, Tensor], dict[str, Any]]:
        tensors = self.tensors()
        return tensors, self.json_state(tensors)

    def restore(self, tensors: dict[str, Tensor], state: dict[str, Any]) -> None:
        """Load weights, optimiser moments, the penalty's state, RNG, step and watchdog state."""
        for prefix, module in self._modules():
            sd = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
            if prefix == "penalty" and not sd:
                continue  # saved before the penalty kept state: it starts afresh
            try:
                module.load_state_dict(sd)
            except RuntimeError as exc:
                first = str(exc).strip().splitlines()[0]
                raise CheckpointError(
                    f"checkpoint weights for {prefix} do not match the network ({first}); "
                    "the run's config or scigan version differs from the one that saved it — "
                    "restore its config.json or retrain"
                ) from None
        self.opt_g.load_state_dict(unflatten_state(state["opt_g"], tensors, int_keys=True))
        self.opt_d.load_state_dict(unflatten_state(state["opt_d"], tensors, int_keys=True))
        torch.set_rng_state(tensors["rng.torch"])
        self.step = int(state["step"])
        self.lr_g, self.lr_d = float(state["lr_g"]), float(state["lr_d"])
        self.rollbacks = int(state["rollbacks"])
        self.best_value = state["best_value"]
        self.best_step = state["best_step"]
        self.elapsed_s = float(state["elapsed_s"])
        self.window = {k: float(v) for k, v in state["window"].items()}
        self.watchdog.load_state_dict(state["watchdog"])
        set_learning_rates(self, self.lr_g, self.lr_d)

    def accumulate(self, values: dict[str, float]) -> None:
        """Add one step's scalars to the log window."""
        for k, v in values.items():
            self.window[k] = self.window.get(k, 0.0) + v
        self.window["count"] = self.window.get("count", 0.0) + 1

    def drain_window(self) -> dict[str, float]:
        """The window's means over the steps since the last log row; empties the window."""
        count = self.window.pop("count")
        means = {k: v / count for k, v in self.window.items()}
        self.window = {}
        return means


def set_learning_rates(state: TrainState, lr_g: float, lr_d: float, half_life: int = 0) -> None:
    """Set the base rates (lowered by rollbacks) and apply the step-based decay to Adam.

    The decay halves both rates every ``half_life`` steps; ``half_life`` 0 means no decay.
    """
    state.lr_g, state.lr_d = lr_g, lr_d
    scale = 0.5 ** (state.step / half_life) if half_life else 1.0
    for group in state.opt_g.param_groups:
        group["lr"] = lr_g * scale
    for group in state.opt_d.param_groups:
        group["lr"] = lr_d * scale


def to_device(state: TrainState, device: torch.device) -> None:
    """Move the networks, the EMA copy and the optimiser moments to ``device`` (in place)."""
    for module in (state.G, state.D, state.ema.shadow, state.penalty):
        if module is not None:
            module.to(device)
    for opt in (state.opt_g, state.opt_d):
        for per_param in opt.state.values():
            for key, value in per_param.items():
                if isinstance(value, Tensor) and key != "step":  # Adam keeps step on the CPU
                    per_param[key] = value.to(device)
