"""The training loop: one readable function, :func:`train`.

Domain-blind: it sees a :class:`Problem` (networks, encoded data tensors, the objective, an
evaluation callback) and a :class:`~scigan.config.TrainConfig`. Behaviour changes by what is
passed in — the loss object, the regularisers, the generator penalty, the evaluation — never by
which loss the config names; what one step computes lives in :mod:`scigan.core.step`, the state
and its checkpoints in :mod:`scigan.core.state`, the collapse checks in :mod:`scigan.core.monitor`.

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
from scigan.core.ema import EMA
from scigan.core.losses import AbstractGANLoss, Regulariser
from scigan.core.monitor import DiversityProbe, Watchdog, WatchdogWarning
from scigan.core.state import TrainState, set_learning_rates, to_device
from scigan.core.step import Batches, GANStep
from scigan.errors import TrainingDivergedError

EvalFn = Callable[[nn.Module, int, int], dict[str, dict[str, float]]]


@dataclass
class Problem:
    """What the engine needs from a domain.

    Attributes:
        G: generator, ``G(z (B, z_dim), cond (B, C) | None) -> (B, ...)`` encoded samples.
        D: discriminator, ``D(x (B, ...), cond | None) -> (B,)``; no BatchNorm.
        data: encoded real samples ``(N, ...)``.
        cond: encoded conditions ``(N, C)`` or None for unconditional models.
        z_dim: latent dimension.
        loss: the adversarial objective (:func:`scigan.core.losses.make_loss`).
        regularisers: added to D's loss each D step, in order
            (:func:`scigan.core.losses.make_regularisers`).
        evaluate: ``(G_ema, n, seed) -> {metric: {"value": v, "floor": f}}`` or None.
        best_metric: metric name that selects the best checkpoint, and whether lower is better.
        extra_tensors: saved with every checkpoint (e.g. encoder arrays).
        data_hash: identifies the exact training tensors (written to config.json).
        g_penalty: ``(fake (B, ...), cond | None) -> scalar`` added to G's loss (a domain prior
            that real data satisfies, e.g. no steric clash), logged as ``g_penalty``; or None.
            One with ``paired = True`` is called ``(fake, cond, real=rows, fake2=second)``
            with the real rows of the batch's conditions and a second generated row per
            condition (``GANStep.generator``; the tabular energy score).
        batch_by_condition: every batch holds rows of one condition value
            (:class:`~scigan.core.step.Batches`).
    """

    G: nn.Module
    D: nn.Module
    data: Tensor
    cond: Tensor | None
    z_dim: int
    loss: AbstractGANLoss
    regularisers: list[Regulariser]
    evaluate: EvalFn | None = None
    best_metric: str | None = None
    best_metric_chosen: bool = False  # named by the user (--best-metric): warn if never scored
    best_lower_is_better: bool = True
    extra_tensors: dict[str, Tensor] = field(default_factory=dict)
    data_hash: str = ""
    g_penalty: Callable[[Tensor, Tensor | None], Tensor] | None = None
    batch_by_condition: bool = False


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
        penalty=problem.g_penalty if isinstance(problem.g_penalty, nn.Module) else None,
    )


def resume_state(cfg: TrainConfig, problem: Problem, run_dir: Path) -> TrainState:
    """State of the latest checkpoint in ``run_dir`` for ``problem``'s networks."""
    state = init_state(cfg, problem)
    tensors, saved = run_folder.load(run_dir, "latest")
    state.restore(tensors, saved)
    return state


def train(
    cfg: TrainConfig,
    problem: Problem,
    run_dir: str | Path | None = None,
    *,
    state: TrainState | None = None,
    progress: bool = True,
) -> TrainState:
    """Train ``problem`` to ``cfg.steps`` generator steps; returns the final state.

    Each step: ``n_critic`` D steps, one G step, the EMA update and the learning-rate decay
    (``lr_half_life``; 0 = none). Every ``log_every`` steps a training row and the collapse
    check; every ``eval_every`` steps (and at the end) ``problem.evaluate`` on the EMA generator
    and the best checkpoint; every ``ckpt_every`` steps the latest checkpoint, which is also
    where a watchdog fault rolls back to (``cfg.monitor``). SIGINT/SIGTERM stop on a step
    boundary with a checkpoint. Under torchrun each rank trains on its share of the batch and
    only rank 0 writes; at world size 1 nothing changes.

    Args:
        cfg: the resolved configuration.
        problem: networks, data, objective and evaluation callback from a domain.
        run_dir: folder for ``metrics.jsonl`` and ``checkpoints/`` (None: train in memory).
        state: a state to continue from (``resume_state``); None starts fresh.
        progress: show a progress bar.
    """
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(run_dir) if run_dir is not None and dist.is_main() else None  # rank 0 writes
    log = run_folder.MetricsLog(out, None if state is None else state.step)
    if state is None:
        torch.manual_seed(cfg.seed)
        state = init_state(cfg, problem)
    device = dist.resolve_device(cfg.device)
    to_device(state, device)
    batch = cfg.optim.batch_size
    if dist.world_size() > 1:  # each rank draws its share of the batch from its own stream
        batch = dist.local_batch(batch, cfg.net.pac)
        torch.manual_seed(cfg.seed + 104_729 * (dist.rank() + 1) + state.step)
    batches = Batches(
        problem.data,
        problem.cond,
        problem.z_dim,
        batch,
        device,
        by_condition=problem.batch_by_condition,
    )
    G, D = state.G, state.D
    gan = GANStep(G, D, problem.loss, problem.regularisers, problem.g_penalty, batches)
    set_learning_rates(state, state.lr_g, state.lr_d, cfg.optim.lr_half_life)
    probe = DiversityProbe(batches.data, batches.cond, problem.z_dim, cfg.seed + 1, device)
    clock = _Clock(state.elapsed_s)
    bar = tqdm(
        total=cfg.steps,
        initial=state.step,
        disable=not (progress and dist.is_main()),
        desc="train",
        unit="step",
        dynamic_ncols=True,
    )
    rollback = Rollback(cfg, state, log, clock, bar)

    with _StopOnSignal() as stop:
        while state.step < cfg.steps:
            # ---- one step: n_critic D steps, one G step, the EMA; a fault rolls back ----------
            d = gan.discriminator(state.opt_d, state.watchdog, cfg.optim.n_critic)
            if d.fault:
                rollback(state, d.fault)
                continue
            g = gan.generator(state.opt_g, state.watchdog)
            if g.fault:
                rollback(state, g.fault)
                continue
            state.ema.update(G, state.step)
            state.step += 1
            bar.update(1)
            set_learning_rates(state, state.lr_g, state.lr_d, cfg.optim.lr_half_life)
            state.accumulate(
                {
                    "loss_d": d.loss,
                    "loss_g": g.loss,
                    "grad_norm_d": d.grad_norm,
                    "grad_norm_g": g.grad_norm,
                    **d.stats,
                    **g.stats,
                }
            )
            final = state.step == cfg.steps

            # ---- logging and the collapse check -----------------------------------------------
            if state.step % cfg.log_every == 0 or final:
                # the regular rows draw from the training stream (as every recorded run did);
                # a final row off the log grid forks it, so that a run stopped there and
                # resumed continues as if it had never stopped
                off_grid = state.step % cfg.log_every != 0
                fault = _log_row(state, probe, log, clock, bar, fork=off_grid)
                if fault:
                    rollback(state, fault)
                    continue

            # ---- evaluation, best checkpoint, latest checkpoint -------------------------------
            tags = []
            due_eval = problem.evaluate is not None and (
                final or (cfg.eval_every and state.step % cfg.eval_every == 0)
            )
            if due_eval and _evaluate(cfg, problem, state, log, clock):
                tags.append("best")
            if state.step % cfg.ckpt_every == 0 or final:
                tags.append("latest")
                rollback.remember(state)
            if tags and out is not None:
                _save(out, tags, state, problem, clock)
            if stop.requested():
                _save_on_signal(state, problem, out, log, clock)
                bar.close()
                raise KeyboardInterrupt

    state.elapsed_s = clock()
    bar.close()
    to_device(state, torch.device("cpu"))  # the fitted model samples on the CPU everywhere
    return state


class _Clock:
    """Seconds of training, counting those before a resume."""

    def __init__(self, already: float) -> None:
        self._t0 = time.perf_counter() - already

    def __call__(self) -> float:
        return time.perf_counter() - self._t0


class Rollback:
    """The watchdog's remedy: back to the last good state with lower learning rates, or stop.

    The last good state is the starting one, then each ``latest`` checkpoint's. After
    ``cfg.monitor.max_rollbacks`` rollbacks, or at once with the watchdog off (a non-finite
    loss is still refused), training stops with :class:`~scigan.errors.TrainingDivergedError`.
    """

    def __init__(
        self,
        cfg: TrainConfig,
        state: TrainState,
        log: run_folder.MetricsLog,
        clock: _Clock,
        bar: tqdm,
    ) -> None:
        self.cfg, self.log, self.clock, self.bar = cfg, log, clock, bar
        self.last_good = state.snapshot()

    def remember(self, state: TrainState) -> None:
        self.last_good = state.snapshot()

    def __call__(self, state: TrainState, reason: str) -> None:
        monitor = self.cfg.monitor
        state.rollbacks += 1
        event = {"kind": "watchdog", "step": state.step, "reason": reason}
        if not monitor.watchdog or state.rollbacks > monitor.max_rollbacks:
            self.log.write({**event, "event": "stop", "elapsed_s": self.clock()})
            self.bar.close()
            raise TrainingDivergedError(
                f"training stopped at step {state.step}: {reason}; "
                + (
                    f"{state.rollbacks - 1} rollbacks with lower learning rates did not help — "
                    "try --loss wgan-gp, --spectral-norm, a smaller --lr-d or check the data "
                    "for NaN/inf"
                    if monitor.watchdog
                    else "the watchdog is off (--no-watchdog), so training cannot roll back"
                )
            )
        lr_g = state.lr_g * monitor.rollback_lr_factor
        lr_d = state.lr_d * monitor.rollback_lr_factor
        rollbacks = state.rollbacks
        state.restore(*self.last_good)
        state.rollbacks = rollbacks
        set_learning_rates(state, lr_g, lr_d, self.cfg.optim.lr_half_life)
        state.watchdog.reset_streaks()
        state.window = {}
        # Fresh batches after a rollback, still a deterministic function of the seed.
        torch.manual_seed(self.cfg.seed + 7919 * rollbacks)
        msg = (
            f"watchdog: {reason}; rolled back to step {state.step}, learning rates now "
            f"G {lr_g:.3g} / D {lr_d:.3g} (rollback {rollbacks}/{monitor.max_rollbacks})"
        )
        warnings.warn(msg, WatchdogWarning, stacklevel=3)
        self.log.write(
            {
                **event,
                "event": "rollback",
                "to_step": state.step,
                "lr_g": lr_g,
                "lr_d": lr_d,
                "elapsed_s": self.clock(),
            }
        )
        self.bar.n = state.step
        self.bar.refresh()


def _log_row(
    state: TrainState,
    probe: DiversityProbe,
    log: run_folder.MetricsLog,
    clock: _Clock,
    bar: tqdm,
    *,
    fork: bool = False,
) -> str | None:
    """Log the window's means (over steps and ranks) with the sample diversity; returns the
    watchdog's collapse verdict. ``fork``: the probe leaves training's random stream alone."""
    row = dist.mean_dict(state.drain_window())
    diversity = probe.ratio(state.G, fork=fork)
    state.elapsed_s = clock()
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
    return state.watchdog.check_collapse(state.step, diversity, row["d_acc"])


def _evaluate(
    cfg: TrainConfig,
    problem: Problem,
    state: TrainState,
    log: run_folder.MetricsLog,
    clock: _Clock,
) -> bool:
    """Score the EMA generator and log it; True when ``problem.best_metric`` is the best yet.

    Under torchrun every rank evaluates: each generates its shard of the samples, the shards
    are gathered, and all ranks score the same set (rank 0 logs it).
    """
    with torch.random.fork_rng(devices=[]):
        result = problem.evaluate(state.ema.shadow, cfg.eval_n, cfg.seed)
    state.elapsed_s = clock()
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
    if not problem.best_metric:
        return False
    if problem.best_metric not in result:
        if not problem.best_metric_chosen:  # the domain's default, absent for this data
            return False
        warnings.warn(
            f"best metric '{problem.best_metric}' is not among the metrics evaluated during "
            f"training ({', '.join(sorted(result))}); no best checkpoint is kept — pass "
            "--best-metric with one of them",
            stacklevel=2,
        )
        return False
    value = float(result[problem.best_metric]["value"])
    better = state.best_value is None or (
        value < state.best_value if problem.best_lower_is_better else value > state.best_value
    )
    if not (math.isfinite(value) and better):
        return False
    state.best_value, state.best_step = value, state.step
    return True


def _save(out: Path, tags: list[str], state: TrainState, problem: Problem, clock: _Clock) -> None:
    """Checkpoint the state (with the problem's extra tensors) under ``tags``."""
    state.elapsed_s = clock()
    tensors = state.tensors()
    tensors.update(problem.extra_tensors)
    run_folder.save(out, tags, state.step, tensors, state.json_state(tensors))


def _save_on_signal(
    state: TrainState,
    problem: Problem,
    out: Path | None,
    log: run_folder.MetricsLog,
    clock: _Clock,
) -> None:
    """Checkpoint the current step boundary before stopping on SIGINT/SIGTERM."""
    state.elapsed_s = clock()
    log.write(
        {
            "kind": "watchdog",
            "event": "interrupted",
            "step": state.step,
            "reason": "stopped by a signal; resume with `scigan resume`",
            "elapsed_s": state.elapsed_s,
        }
    )
    if out is not None:
        _save(out, ["latest"], state, problem, clock)


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

    def requested(self) -> bool:
        """Whether a signal arrived, on any rank (all ranks stop on the same step)."""
        return dist.agree("signal" if self.signum is not None else None) is not None

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
