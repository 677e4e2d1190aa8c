"""Ising surrogate speed, measured honestly (issue 24).

(a) Effective independent samples per second at the critical temperature T_c for L = 32, 64,
    128: a checkerboard Metropolis chain and a Wolff single-cluster chain
    (``scigan.domains.fields.simulators``; numpy and plain Python, no compiled kernels) against
    the default fields Ising generator. For each chain: wall time per measurement (Metropolis:
    one sweep; Wolff: one cluster update, also per sweep-equivalent = L² flipped spins), the
    integrated autocorrelation time τ_int of |m| and of e (Sokal's automatic windowing,
    c = 5), and effective samples per second = 1 / (2 τ_int × seconds per measurement) for
    the worse of the two. Chains start from a Wolff-equilibrated lattice (equilibration is not
    timed: these are steady-state rates). Metropolis is also timed on a batch of independent
    chains updated together (same τ_int per chain), the fair counterpart of a batched GAN.
    The GAN: ms per sample of ``generate`` (z → decoded ±1 spins) at batch 256 for the shipped
    default nets (TrainConfig + the fields domain's ``ising2d`` defaults), built for each L
    (32 is the shipped size; plan_stages gives 64 and 128 the same layout with one more stage
    or a larger base); every GAN sample is independent by construction (τ_int = ½).
    Equal quality does NOT hold: the shipped GAN misses the T_c energy by several standard
    errors (benchmarks/RESULTS.md, fields), and at 64 and 128 it is untrained; its rate is a
    speed ceiling, not samples of the chains' quality.
(b) Conv step rate: D+G steps/s of the default Ising nets (L = 32, batch 64, ns loss) in
    scigan's ``train()`` vs a minimal raw-PyTorch loop on the same nets and batch (the
    pattern of ``benchmarks/engine.py`` part a, with the condition T fed to G and D); target
    ratio ≤ 2. Above 2 (or with ``--profile``), torch.profiler's top 5 ops of each loop.

Usage:
    python benchmarks/ising_speed.py                                  # both parts
    python benchmarks/ising_speed.py --part a --sizes 32 64 --seconds 20 --threads 1
    python benchmarks/ising_speed.py --part b --steps 40 --repeats 3
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from typing import Any

import numpy as np
import torch

import scigan
from engine import minimal_gan_loop  # benchmarks/ (the script's folder is on sys.path)
from scigan.config import TrainConfig
from scigan.core.training_loop import train
from scigan.domains.fields import data as fdata
from scigan.domains.fields import metrics as fm
from scigan.domains.fields import simulators as sim
from scigan.domains.fields.exact import T_CRITICAL
from scigan.problem import build_problem
from scigan.registry import DOMAINS
from scigan.sampling import generate

BETA_C = 1.0 / T_CRITICAL
EQUILIBRATE_SWEEPS = 100  # Wolff sweep-equivalents before any chain is measured


# ----------------------------------------------------------------------------- (a) chains


def _observables(spins: np.ndarray) -> tuple[float, float]:
    """(|m|, e) per spin of one (L, L) int8 lattice."""
    s = spins.astype(np.int32)
    bonds = int((s * np.roll(s, 1, axis=0)).sum() + (s * np.roll(s, 1, axis=1)).sum())
    return abs(int(s.sum())) / s.size, -bonds / s.size


def equilibrated(L: int, rng: np.random.Generator) -> np.ndarray:
    """A lattice at T_c: random start, then Wolff updates flipping 100 × L² spins in all."""
    spins = np.where(rng.random((L, L)) < 0.5, 1, -1).astype(np.int8)
    flipped = 0
    while flipped < EQUILIBRATE_SWEEPS * L * L:
        flipped += sim.wolff_update(spins, BETA_C, rng)
    return spins


def run_chain(kind: str, L: int, seconds: float, seed: int) -> dict[str, Any]:
    """Measure |m| and e after every step of one chain for ``seconds`` of wall time."""
    rng = np.random.default_rng(seed)
    spins = equilibrated(L, rng)
    absm, energy, sizes = [], [], []
    t0 = time.perf_counter()
    while True:
        if kind == "metropolis":
            sim.metropolis_sweep(spins, BETA_C, rng)
        else:
            sizes.append(sim.wolff_update(spins, BETA_C, rng))
        a, e = _observables(spins)
        absm.append(a)
        energy.append(e)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            break
    n = len(absm)
    tau_m, win_m = sim.integrated_autocorr_time(np.array(absm))
    tau_e, win_e = sim.integrated_autocorr_time(np.array(energy))
    # Sweeps per measurement: 1 for Metropolis; ⟨cluster size⟩ / L² for Wolff.
    sweeps = 1.0 if kind == "metropolis" else float(np.mean(sizes)) / (L * L)
    tau = max(tau_m, tau_e)
    return {
        "kind": kind,
        "L": L,
        "n": n,
        "s_per_meas": elapsed / n,
        "s_per_sweep": elapsed / n / sweeps,
        "sweeps_per_meas": sweeps,
        "tau_m": tau_m,
        "tau_e": tau_e,
        "windows": (win_m, win_e),
        "n_over_tau": n / tau,
        "eff_per_s": 1.0 / (2.0 * tau * elapsed / n),
        "mean_abs_m": float(np.mean(absm)),
        "mean_e": float(np.mean(energy)),
    }


def time_metropolis_batch(L: int, chains: int, seconds: float, seed: int) -> float:
    """Seconds per sweep (with the measurement) of ``chains`` lattices updated together."""
    rng = np.random.default_rng(seed)
    spins = np.where(rng.random((chains, L, L)) < 0.5, 1, -1).astype(np.int8)
    sim.metropolis_sweep(spins, BETA_C, rng)  # warm-up
    sweeps, t0 = 0, time.perf_counter()
    while True:
        sim.metropolis_sweep(spins, BETA_C, rng)
        fm.ising_observables(spins)
        sweeps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return elapsed / sweeps


# ----------------------------------------------------------------------------- (a) GAN


def ising_config() -> TrainConfig:
    """TrainConfig's defaults overlaid with the fields domain's ``ising2d`` defaults."""
    return scigan.Synthesizer(domain="fields").resolve_config("ising2d")


def ising_setup(cfg: TrainConfig, L: int, n_per_t: int, burn: int):
    """(domain, encoder, dataset) for the default Ising networks on an L×L lattice, fitted on a
    small Swendsen–Wang set (n_per_t lattices per training temperature, ``burn`` sweeps; the
    values do not change the timing)."""
    domain = DOMAINS.get("fields")()
    options = {"L": L, "n": n_per_t, "burn": burn, "thin": 1, "cache": False}
    dataset = fdata.load_builtin("ising2d", options, seed=cfg.seed)
    encoder = domain.make_encoder(cfg).fit(dataset)
    return domain, encoder, dataset


def gan_ms_per_sample(L: int, batch: int, min_time: float) -> dict[str, Any]:
    cfg = ising_config()
    domain, encoder, dataset = ising_setup(cfg, L, n_per_t=8, burn=5)
    G = build_problem(cfg, domain, encoder, dataset).G.eval()
    cond = np.full((batch, 1), T_CRITICAL)
    ms = fm.ms_per_sample(
        lambda b: generate(G, encoder, cfg.net.z_dim, b, 0, cond[:b]), batch, min_time=min_time
    )
    params = sum(p.numel() for p in G.parameters())
    return {"kind": "gan", "L": L, "ms": ms, "eff_per_s": 1000.0 / ms, "params": params}


def part_a(sizes: list[int], seconds: float, chains: int, batch: int, seed: int) -> None:
    print(
        f"\n(a) T_c = {T_CRITICAL:.6f}: {seconds:g} s per chain and size, Metropolis batch "
        f"{chains} chains, GAN batch {batch}, {torch.get_num_threads()} thread(s)"
    )
    print(
        "| L | sampler | time per measurement | s per sweep(-equiv.) | τ_int \\|m\\| | τ_int e "
        "| N / τ | eff. samples/s | GAN ÷ sampler |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    notes = []
    for L in sizes:
        rows = [run_chain(k, L, seconds, seed + L) for k in ("metropolis", "wolff")]
        metro = rows[0]
        s_batch = time_metropolis_batch(L, chains, min(5.0, seconds / 4), seed)
        batched = 1.0 / (2.0 * max(metro["tau_m"], metro["tau_e"]) * s_batch / chains)
        gan = gan_ms_per_sample(L, batch, min_time=min(5.0, seconds / 4))
        g = gan["eff_per_s"]
        for r in rows:
            unit = "sweep" if r["kind"] == "metropolis" else "cluster"
            tau_unit = "" if r["kind"] == "metropolis" else f" ({r['sweeps_per_meas']:.3g} sw)"
            flag = "" if r["n_over_tau"] >= 100 else " (rough)"
            print(
                f"| {L} | {r['kind']} (1 chain) | {1e3 * r['s_per_meas']:.3g} ms / {unit}"
                f"{tau_unit} | {1e3 * r['s_per_sweep']:.3g} ms | {r['tau_m']:.3g} | "
                f"{r['tau_e']:.3g} | {r['n_over_tau']:.3g}{flag} | {r['eff_per_s']:.3g} | "
                f"{g / r['eff_per_s']:.3g}× |",
                flush=True,
            )
            tau_sw = (r["tau_m"] * r["sweeps_per_meas"], r["tau_e"] * r["sweeps_per_meas"])
            notes.append(
                f"L={L} {r['kind']}: N={r['n']} measurements, windows M={r['windows']}, "
                f"τ_int in sweeps |m| {tau_sw[0]:.3g} / e {tau_sw[1]:.3g}, "
                f"⟨|m|⟩={r['mean_abs_m']:.4f}, ⟨e⟩={r['mean_e']:.4f}"
            )
        print(
            f"| {L} | metropolis ({chains} chains batched) | {1e3 * s_batch:.3g} ms / sweep of "
            f"{chains} | {1e3 * s_batch / chains:.3g} ms per chain | (as 1 chain) | (as 1 chain) "
            f"| — | {batched:.3g} | {g / batched:.3g}× |"
        )
        print(
            f"| {L} | GAN (batch {batch}{', shipped size' if L == 32 else ''}) | "
            f"{gan['ms']:.3g} ms / sample | — | ½ | ½ | — | {g:.3g} | 1× |",
            flush=True,
        )
        notes.append(
            f"L={L} GAN: {gan['params']:,} generator parameters (freshly initialised: the "
            "time does not depend on the weights)"
        )
    print("\n" + "\n".join(notes))


# ----------------------------------------------------------------------------- (b) steps


def minimal_loop(cfg: TrainConfig, steps: int, setup: tuple) -> float:
    """The plainest correct conditional GAN loop (benchmarks/engine.py's, ns loss, Adam) on
    fresh default Ising nets: returns steps/s."""
    return minimal_gan_loop(cfg, build_problem(cfg, *setup), steps)


def scigan_loop(cfg: TrainConfig, steps: int, setup: tuple) -> float:
    """scigan's train() (EMA, watchdog, logging, in-memory checkpoints) on fresh default Ising
    nets: returns steps/s."""
    cfg = cfg.replace({"steps": steps, "eval_every": 0})
    p = build_problem(cfg, *setup)
    p.evaluate = None
    t0 = time.perf_counter()
    train(cfg, p, None, progress=False)
    return steps / (time.perf_counter() - t0)


def top_ops(fn, steps: int) -> str:
    """torch.profiler's top 5 ops by self CPU time over ``steps`` steps of ``fn``."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn(steps)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=5)


def part_b(steps: int, repeats: int, profile: bool) -> None:
    cfg = ising_config().replace({"threads": torch.get_num_threads()})
    print(
        f"\n(b) conv step rate: default Ising nets (L = 32, z {cfg.net.z_dim}, width "
        f"{cfg.net.g_width}/{cfg.net.d_width}, spectral norm {cfg.net.spectral_norm}, "
        f"minibatch-std {cfg.net.minibatch_std}), batch {cfg.optim.batch_size}, "
        f"{cfg.objective.loss} loss, {steps} steps x {repeats} repeats (alternating), "
        f"{torch.get_num_threads()} thread(s)"
    )
    setup = ising_setup(cfg, 32, n_per_t=256, burn=20)
    minimal_loop(cfg, 3, setup), scigan_loop(cfg, 3, setup)  # warm-up
    mins, ours = [], []
    for _ in range(repeats):
        mins.append(minimal_loop(cfg, steps, setup))
        ours.append(scigan_loop(cfg, steps, setup))
    m, s = statistics.median(mins), statistics.median(ours)
    ratio = statistics.median(a / b for a, b in zip(mins, ours, strict=True))
    print("| loop | D+G steps/s (median) | min | max |")
    print("|---|---|---|---|")
    print(f"| minimal PyTorch | {m:.3g} | {min(mins):.3g} | {max(mins):.3g} |")
    print(f"| scigan train() | {s:.3g} | {min(ours):.3g} | {max(ours):.3g} |")
    print(f"ratio minimal/scigan (pairwise median): {ratio:.3f} (target <= 2)")
    if ratio > 2 or profile:
        n = max(3, steps // 4)
        print(f"\ntop 5 ops by self CPU time, {n} steps of the minimal loop:")
        print(top_ops(lambda k: minimal_loop(cfg, k, setup), n))
        print(f"top 5 ops by self CPU time, {n} steps of scigan train():")
        print(top_ops(lambda k: scigan_loop(cfg, k, setup), n))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--part", choices=("a", "b", "all"), default="all")
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128], help="lattice sides L")
    ap.add_argument("--seconds", type=float, default=30.0, help="wall time per chain and size")
    ap.add_argument("--chains", type=int, default=64, help="Metropolis chains in the batch row")
    ap.add_argument("--batch", type=int, default=256, help="GAN generation batch")
    ap.add_argument("--steps", type=int, default=40, help="steps per timing run in (b)")
    ap.add_argument("--repeats", type=int, default=3, help="timing repeats in (b)")
    ap.add_argument("--profile", action="store_true", help="profile (b) even at ratio <= 2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if any(L % 2 or L < 8 for L in args.sizes):
        ap.error("--sizes must be even and >= 8 (checkerboard Metropolis)")
    torch.set_num_threads(args.threads)
    print(
        f"scigan {scigan.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
        f"python {platform.python_version()}, {platform.machine()}, threads {args.threads}"
    )
    if args.part in ("a", "all"):
        part_a(args.sizes, args.seconds, args.chains, args.batch, args.seed)
    if args.part in ("b", "all"):
        part_b(args.steps, args.repeats, args.profile)


if __name__ == "__main__":
    main()
