"""The training loop: one readable function, :func:`train`.

Domain-blind: it sees a :class:`Problem` (networks, encoded data tensors, an evaluation
callback) and a :class:`~scigan.config.TrainConfig`. Behaviour changes by what is passed in
(the loss object, regularisers, the problem), not by flags inside the loop.

Determinism: all training randomness (batch indices, z, gradient-penalty ε, Gumbel noise,
dropout) comes from torch's global CPU generator, seeded from ``cfg.seed`` and saved in every
checkpoint, and evaluation runs inside ``torch.random.fork_rng`` so it never perturbs training.
Training N steps straight or N/2 + resume gives bit-identical weights on CPU.

Devices: ``cfg.device`` (``auto`` = this process's GPU when CUDA is available) holds G, D, the
EMA copy and the optimiser moments; batch indices and z are still drawn on the CPU generator and
moved, so a GPU run consumes the same random stream. Checkpoints always hold CPU tensors.
"""

from __future__ import annotations

import math
import signal
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from scigan.config import TrainConfig
from scigan.core import dist, run_folder
from scigan.core.checkpoint import (
    flatten_state,
    unflatten_state,
)
from scigan.core.ema import EMA
from scigan.core.losses import GradientPenalty, R1Penalty, make_loss
from scigan.core.monitor import Watchdog, mean_pairwise_distance
from scigan.errors import CheckpointError, TrainingDivergedError

EvalFn = Callable[[nn.Module, int, int], dict[str, dict[str, float]]]
_DIVERSITY_BATCH = 256


class WatchdogWarning(UserWarning):
    """Emitted when the watchdog rolls training back."""


@dataclass
class Problem:
    """What the engine needs from a domain.

    Attributes:
        G: generator, ``G(z (B, z_dim), cond (B, C) | None) -> (B, ...)`` encoded samples.
        D: discriminator, ``D(x (B, ...), cond | None) -> (B,)``; no BatchNorm.
        data: encoded real samples ``(N, ...)``.
        cond: encoded conditions ``(N, C)`` or None for unconditional models.
        z_dim: latent dimension.
        evaluate: ``(G_ema, n, seed) -> {metric: {"value": v, "floor": f}}`` or None.
        best_metric: metric name that selects the best checkpoint, and whether lower is better.
        extra_tensors: saved with every checkpoint (e.g. encoder arrays).
        data_hash: identifies the exact training tensors (written to config.json).
        g_penalty: ``(fake (B, ...), cond | None) -> scalar`` added to G's loss (a domain prior
            that real data satisfies, e.g. no steric clash), logged as ``g_penalty``; or None.
    """

    G: nn.Module
    D: nn.Module
    data: Tensor
    cond: Tensor | None
    z_dim: int
    evaluate: EvalFn | None = None
    best_metric: str | None = None
    best_lower_is_better: bool = True
    extra_tensors: dict[str, Tensor] = field(default_factory=dict)
    data_hash: str = ""
    g_penalty: Callable[[Tensor, Tensor | None], Tensor] | None = None


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
    window: dict[str, float] = field(default_factory=dict)

    def tensors(self) -> dict[str, Tensor]:
        out: dict[str, Tensor] = {}
        for prefix, module in (("G", self.G), ("D", self.D), ("G_ema", self.ema.shadow)):
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
        """Load weights, optimiser moments, RNG, step and watchdog state."""
        for prefix, module in (("G", self.G), ("D", self.D), ("G_ema", self.ema.shadow)):
            sd = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
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


def _save_on_signal(
    state: TrainState,
    problem: Problem,
    run_dir: Path | None,
    t_start: float,
    log: run_folder.MetricsLog,
) -> None:
    """Checkpoint the current step boundary before stopping on SIGINT/SIGTERM."""
    state.elapsed_s = time.perf_counter() - t_start
    log.write(
        {
            "kind": "watchdog",
            "event": "interrupted",
            "step": state.step,
            "reason": "stopped by a signal; resume with `scigan resume`",
            "elapsed_s": state.elapsed_s,
        }
    )
    if run_dir is not None:
        tensors = state.tensors()
        tensors.update(problem.extra_tensors)
        run_folder.save(run_dir, ["latest"], state.step, tensors, state.json_state(tensors))


def set_learning_rates(state: TrainState, lr_g: float, lr_d: float, half_life: int = 0) -> None:
    """Set the base rates (lowered by rollbacks) and apply the step-based decay to Adam."""
    state.lr_g, state.lr_d = lr_g, lr_d
    scale = 0.5 ** (state.step / half_life) if half_life else 1.0
    for group in state.opt_g.param_groups:
        group["lr"] = lr_g * scale
    for group in state.opt_d.param_groups:
        group["lr"] = lr_d * scale


def init_state(cfg: TrainConfig, problem: Problem) -> TrainState:
    """Fresh optimisers (Adam with GAN betas), EMA and watchdog for ``problem``'s networks."""
    betas = (cfg.optim.beta1, cfg.optim.beta2)
    opt_g = torch.optim.Adam(problem.G.parameters(), lr=cfg.optim.lr_g, betas=betas)
    opt_d = torch.optim.Adam(problem.D.parameters(), lr=cfg.optim.lr_d, betas=betas)
    return TrainState(
        G=problem.G,
        D=problem.D,
        ema=EMA(problem.G, cfg.optim.ema_decay),
        opt_g=opt_g,
        opt_d=opt_d,
        watchdog=Watchdog(cfg.monitor),
        lr_g=cfg.optim.lr_g,
        lr_d=cfg.optim.lr_d,
    )


def resume_state(cfg: TrainConfig, problem: Problem, run_dir: Path) -> TrainState:
    """State of the latest checkpoint in ``run_dir`` for ``problem``'s networks."""
    state = init_state(cfg, problem)
    tensors, saved = run_folder.load(run_dir, "latest")
    state.restore(tensors, saved)
    return state


def to_device(state: TrainState, device: torch.device) -> None:
    """Move the networks, the EMA copy and the optimiser moments to ``device`` (in place)."""
    for module in (state.G, state.D, state.ema.shadow):
        module.to(device)
    for opt in (state.opt_g, state.opt_d):
        for per_param in opt.state.values():
            for key, value in per_param.items():
                if isinstance(value, Tensor) and key != "step":  # Adam keeps step on the CPU
                    per_param[key] = value.to(device)


def grad_norm(module: nn.Module) -> float:
    """Global L2 norm of the module's gradients (one fused kernel per dtype)."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))))


class _StopOnSignal:
    """SIGINT/SIGTERM set a flag the loop checks between steps, so the run stops on a step
    boundary with a checkpoint (a second Ctrl-C interrupts at once)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def train(
    cfg: TrainConfig,
    problem: Problem,
    run_dir: str | Path | None = None,
    *,
    state: TrainState | None = None,
    progress: bool = True,
) -> TrainState:
    """Train ``problem`` to ``cfg.steps`` generator steps; returns the final state.

    Args:
        cfg: the resolved configuration.
        problem: networks, data and evaluation callback from a domain.
        run_dir: folder for ``metrics.jsonl`` and ``checkpoints/`` (None: train in memory).
        state: a state to continue from (``resume_state``); None starts fresh.
        progress: show a progress bar.
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    run_dir = Path(run_dir) if run_dir is not None else None
    writes = run_dir is not None and dist.is_main()
    resuming = state is not None
    if state is None:
        torch.manual_seed(cfg.seed)
        state = init_state(cfg, problem)
    log = run_folder.MetricsLog(run_dir if writes else None, state.step if resuming else None)
    save_dir = run_dir if writes else None

    loss = make_loss(cfg.objective.loss)
    regularisers = []
    if cfg.objective.resolved_gp_weight > 0:
        regularisers.append(GradientPenalty(cfg.objective.resolved_gp_weight))
    if cfg.objective.r1_gamma > 0:
        regularisers.append(R1Penalty(cfg.objective.r1_gamma))

    device = dist.resolve_device(cfg.device)
    to_device(state, device)
    G, D, data, cond = state.G, state.D, problem.data, problem.cond
    n, batch = len(data), cfg.optim.batch_size
    if device.type != "cpu":  # small enough to live on the GPU: index it there
        data = data.to(device)
        cond = None if cond is None else cond.to(device)
    # Data parallel under torchrun: G and D in separate DDP wrappers; each rank draws its own
    # share of the global batch from its own RNG stream. At world size 1 nothing changes.
    world = dist.world_size()
    G_par, D_par = dist.wrap(G, device), dist.wrap(D, device)
    if world > 1:
        batch = dist.local_batch(batch, cfg.net.pac)
        torch.manual_seed(cfg.seed + 104_729 * (dist.rank() + 1) + state.step)
    half_life = cfg.optim.lr_half_life
    set_learning_rates(state, state.lr_g, state.lr_d, half_life)
    # A fixed probe batch (its own generator: consumes nothing from training's RNG).
    probe_rng = torch.Generator().manual_seed(cfg.seed + 1)
    probe_idx = torch.randint(n, (_DIVERSITY_BATCH,), generator=probe_rng).to(device)
    probe_z = torch.randn(_DIVERSITY_BATCH, problem.z_dim, generator=probe_rng).to(device)
    probe_c = None if cond is None else cond[probe_idx]
    real_diversity = mean_pairwise_distance(data[probe_idx])

    last_good = state.snapshot()
    t_start = time.perf_counter() - state.elapsed_s
    bar = tqdm(
        total=cfg.steps,
        initial=state.step,
        disable=not (progress and dist.is_main()),
        desc="train",
        unit="step",
        dynamic_ncols=True,
    )

    def rollback(reason: str) -> None:
        nonlocal last_good
        state.rollbacks += 1
        event = {"kind": "watchdog", "step": state.step, "reason": reason}
        if not cfg.monitor.watchdog or state.rollbacks > cfg.monitor.max_rollbacks:
            log.write({**event, "event": "stop", "elapsed_s": time.perf_counter() - t_start})
            bar.close()
            raise TrainingDivergedError(
                f"training stopped at step {state.step}: {reason}; "
                + (
                    f"{state.rollbacks - 1} rollbacks with lower learning rates did not help — "
                    "try --loss wgan-gp, --spectral-norm, a smaller --lr-d or check the data "
                    "for NaN/inf"
                    if cfg.monitor.watchdog
                    else "the watchdog is off (--no-watchdog), so training cannot roll back"
                )
            )
        lr_g = state.lr_g * cfg.monitor.rollback_lr_factor
        lr_d = state.lr_d * cfg.monitor.rollback_lr_factor
        rollbacks = state.rollbacks
        state.restore(*last_good)
        state.rollbacks = rollbacks
        set_learning_rates(state, lr_g, lr_d, half_life)
        state.watchdog.reset_streaks()
        state.window = {}
        # Fresh batches after a rollback, still a deterministic function of the seed.
        torch.manual_seed(cfg.seed + 7919 * rollbacks)
        msg = (
            f"watchdog: {reason}; rolled back to step {state.step}, learning rates now "
            f"G {lr_g:.3g} / D {lr_d:.3g} (rollback {rollbacks}/{cfg.monitor.max_rollbacks})"
        )
        warnings.warn(msg, WatchdogWarning, stacklevel=3)
        log.write(
            {
                **event,
                "event": "rollback",
                "to_step": state.step,
                "lr_g": lr_g,
                "lr_d": lr_d,
                "elapsed_s": time.perf_counter() - t_start,
            }
        )
        bar.n = state.step
        bar.refresh()

    with _StopOnSignal() as stop:
        while state.step < cfg.steps:
            # ---- discriminator phase: n_critic steps on fresh real batches -------------------
            D.requires_grad_(True)
            for _ in range(cfg.optim.n_critic):
                idx = torch.randint(n, (batch,)).to(device)
                real = data[idx]
                c = None if cond is None else cond[idx]
                z = torch.randn(batch, problem.z_dim).to(device)
                with torch.no_grad():
                    fake = G(z, c)
                d_loss, d_stats = loss.d_loss(D_par, real, fake, c)
                for reg in regularisers:  # through the bare D: one DDP forward per backward
                    d_loss = d_loss + reg(D, real, fake, c)
                state.opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                gn_d = grad_norm(D)
                reason = state.watchdog.check_step({"loss_d": d_loss.item()}, {"grad_norm_d": gn_d})
                reason = dist.agree(reason)
                if reason:
                    break
                state.opt_d.step()
            if reason:
                rollback(reason)
                continue

            # ---- generator phase ------------------------------------------------------------
            D.requires_grad_(False)
            idx = torch.randint(n, (batch,)).to(device)
            c = None if cond is None else cond[idx]
            z = torch.randn(batch, problem.z_dim).to(device)
            fake = G_par(z, c)
            g_loss = loss.g_loss(D, fake, c)  # bare D: its parameters are frozen here
            g_stats: dict[str, float] = {}
            if problem.g_penalty is not None:
                penalty = problem.g_penalty(fake, c)
                g_loss = g_loss + penalty
                g_stats["g_penalty"] = penalty.item()
            state.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            gn_g = grad_norm(G)
            reason = state.watchdog.check_step({"loss_g": g_loss.item()}, {"grad_norm_g": gn_g})
            reason = dist.agree(reason)
            if reason:
                rollback(reason)
                continue
            state.opt_g.step()
            state.ema.update(G, state.step)
            state.step += 1
            bar.update(1)
            if half_life:
                set_learning_rates(state, state.lr_g, state.lr_d, half_life)

            values = {
                "loss_d": d_loss.item(),
                "loss_g": g_loss.item(),
                "grad_norm_d": gn_d,
                "grad_norm_g": gn_g,
                **d_stats,
                **g_stats,
            }
            for k, v in values.items():
                state.window[k] = state.window.get(k, 0.0) + v
            state.window["count"] = state.window.get("count", 0.0) + 1

            # ---- logging and the collapse check -----------------------------------------------
            if state.step % cfg.log_every == 0 or state.step == cfg.steps:
                count = state.window.pop("count")
                row = dist.mean_dict({k: v / count for k, v in state.window.items()})
                state.window = {}
                G.eval()
                with torch.no_grad():
                    diversity = mean_pairwise_distance(G(probe_z, probe_c)) / max(
                        real_diversity, 1e-12
                    )
                G.train()
                state.elapsed_s = time.perf_counter() - t_start
                log.write(
                    {
                        "kind": "train",
                        "step": state.step,
                        **row,
                        "diversity": diversity,
                        "lr_g": state.lr_g,
                        "lr_d": state.lr_d,
                        "elapsed_s": state.elapsed_s,
                    }
                )
                bar.set_postfix(d=f"{row['loss_d']:.3f}", g=f"{row['loss_g']:.3f}", refresh=False)
                reason = state.watchdog.check_collapse(state.step, diversity, row["d_acc"])
                if reason:
                    rollback(reason)
                    continue

            # ---- evaluation, best checkpoint, latest checkpoint -------------------------------
            tags = []
            final = state.step == cfg.steps
            due_eval = cfg.eval_every and state.step % cfg.eval_every == 0
            # Under torchrun every rank evaluates: each generates its shard of the samples,
            # the shards are gathered, and all ranks score the same set (rank 0 logs it).
            if problem.evaluate is not None and (due_eval or final):
                with torch.random.fork_rng(devices=[]):
                    result = problem.evaluate(state.ema.shadow, cfg.eval_n, cfg.seed)
                state.elapsed_s = time.perf_counter() - t_start
                log.write(
                    {
                        "kind": "eval",
                        "step": state.step,
                        "n": cfg.eval_n,
                        "seed": cfg.seed,
                        "metrics": result,
                        "elapsed_s": state.elapsed_s,
                    }
                )
                if problem.best_metric and problem.best_metric in result:
                    value = float(result[problem.best_metric]["value"])
                    better = state.best_value is None or (
                        value < state.best_value
                        if problem.best_lower_is_better
                        else value > state.best_value
                    )
                    if math.isfinite(value) and better:
                        state.best_value, state.best_step = value, state.step
                        tags.append("best")
            if state.step % cfg.ckpt_every == 0 or final:
                tags.append("latest")
                last_good = state.snapshot()
            if tags and save_dir is not None:
                state.elapsed_s = time.perf_counter() - t_start
                tensors = state.tensors()
                tensors.update(problem.extra_tensors)
                run_folder.save(save_dir, tags, state.step, tensors, state.json_state(tensors))
            signalled = "signal" if stop.signum is not None else None
            if (dist.agree(signalled) if world > 1 else signalled) is not None:
                _save_on_signal(state, problem, save_dir, t_start, log)
                bar.close()
                raise KeyboardInterrupt

    state.elapsed_s = time.perf_counter() - t_start
    bar.close()
    to_device(state, torch.device("cpu"))  # the fitted model samples on the CPU everywhere
    return state
