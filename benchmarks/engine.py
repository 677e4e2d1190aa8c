"""Engine benchmark.

(a) Steps/s of scigan's training loop vs a minimal hand-written PyTorch loop on the same
    networks, batch and loss (target: scigan overhead ≤ 10 %).
(b) ring8 and grid25 with the ns, hinge and wgan-gp losses over 5 seeds at the toy domain's
    default settings: modes covered, high-quality fraction, mode KL and seconds per run
    (target: ring8 8/8 and grid25 25/25 with ≥ 90 % high-quality samples in every seed with the
    default loss, each run ≤ 60 s on 2 cores).

Usage:
    python benchmarks/engine.py                 # both parts
    python benchmarks/engine.py --part a        # only the loop overhead
    python benchmarks/engine.py --part b --seeds 0 1 2 3 4 --losses ns hinge wgan-gp
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import warnings

import torch
import torch.nn.functional as F

import scigan
from scigan.config import TrainConfig
from scigan.core.training_loop import train
from scigan.problem import build_problem
from scigan.registry import DOMAINS


def _problem(cfg: TrainConfig):
    domain = DOMAINS.get("toy")()
    dataset = domain.load(cfg.data, options=cfg.options, seed=cfg.seed)
    encoder = domain.make_encoder(cfg).fit(dataset)
    return build_problem(cfg, domain, encoder, dataset)


def minimal_loop(cfg: TrainConfig, steps: int) -> float:
    """The plainest correct GAN loop (ns loss, Adam) on the toy nets: returns steps/s."""
    return minimal_gan_loop(cfg, _problem(cfg), steps)


def minimal_gan_loop(cfg: TrainConfig, p, steps: int) -> float:
    """The plainest correct GAN loop (ns loss, Adam) on ``p``'s fresh networks, conditional
    when ``p.cond`` is set (real rows keep their condition; G's step draws its own): steps/s.
    Shared with benchmarks/ising_speed.py."""
    G, D, data, cond = p.G, p.D, p.data, p.cond
    betas = (cfg.optim.beta1, cfg.optim.beta2)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=betas)
    b, z_dim = cfg.optim.batch_size, cfg.net.z_dim
    torch.manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(len(data), (b,))
        real, c = data[idx], None if cond is None else cond[idx]
        with torch.no_grad():
            fake = G(torch.randn(b, z_dim), c)
        logits = D(torch.cat([real, fake]), None if c is None else torch.cat([c, c]))
        d_loss = F.softplus(-logits[:b]).mean() + F.softplus(logits[b:]).mean()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        c = None if cond is None else cond[torch.randint(len(cond), (b,))]
        g_loss = F.softplus(-D(G(torch.randn(b, z_dim), c), c)).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    return steps / (time.perf_counter() - t0)


def scigan_loop(cfg: TrainConfig, steps: int) -> float:
    """scigan's train() (EMA, watchdog, logging, in-memory checkpoints): returns steps/s."""
    cfg = cfg.replace({"steps": steps, "eval_every": 0})
    p = _problem(cfg)
    p.evaluate = None
    t0 = time.perf_counter()
    train(cfg, p, None, progress=False)
    return steps / (time.perf_counter() - t0)


def part_a(steps: int, repeats: int) -> None:
    cfg = scigan.Synthesizer(domain="toy").resolve_config("ring8")
    print(
        f"\n(a) loop overhead: toy default networks, batch {cfg.optim.batch_size}, ns loss, "
        f"{steps} steps x {repeats} repeats (alternating), {torch.get_num_threads()} threads"
    )
    minimal_loop(cfg, 50), scigan_loop(cfg, 50)  # warm-up
    mins, ours = [], []
    for _ in range(repeats):
        mins.append(minimal_loop(cfg, steps))
        ours.append(scigan_loop(cfg, steps))
    m, s = statistics.median(mins), statistics.median(ours)
    ratios = [a / b for a, b in zip(mins, ours, strict=True)]
    print("| loop | steps/s (median) | min | max |")
    print("|---|---|---|---|")
    print(f"| minimal PyTorch | {m:.1f} | {min(mins):.1f} | {max(mins):.1f} |")
    print(f"| scigan train() | {s:.1f} | {min(ours):.1f} | {max(ours):.1f} |")
    r = statistics.median(ratios)
    print(
        f"ratio minimal/scigan (pairwise median): {r:.3f} -> scigan overhead {100 * (r - 1):.1f} %"
        f" (target <= 10 %)"
    )


def part_b(seeds: list[int], losses: list[str], datasets: list[str]) -> None:
    print("\n(b) toy mixtures at the toy domain's defaults (per loss), 5000 evaluation samples")
    print("| data | loss | seed | modes | high-quality | mode KL | seconds | target met |")
    print("|---|---|---|---|---|---|---|---|")
    summary = []
    for loss in losses:  # the default loss first: it carries the target
        for data in datasets:
            k = 8 if data == "ring8" else 25
            met_all = True
            for seed in seeds:
                t0 = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    gan = scigan.Synthesizer(domain="toy", loss=loss, seed=seed, eval_every=0).fit(
                        data
                    )
                seconds = time.perf_counter() - t0
                m = gan.evaluate(n=5000, seed=seed)["metrics"]
                modes, hq = m["modes_covered"]["value"], m["high_quality_fraction"]["value"]
                ok = modes == k and hq >= 0.9 and seconds <= 60
                met_all &= ok
                rollbacks = sum("watchdog" in str(w.message) for w in caught)
                note = f" ({rollbacks} rollbacks)" if rollbacks else ""
                print(
                    f"| {data} | {loss} | {seed} | {modes}/{k} | {hq:.3f} | "
                    f"{m['mode_kl']['value']:.3f} | {seconds:.1f} | {'yes' if ok else 'no'}"
                    f"{note} |",
                    flush=True,
                )
            summary.append((data, loss, met_all))
    floor = gan.evaluate(n=5000, seed=0)["metrics"]
    print(
        f"\nreal-vs-real floor at N=5000 (last dataset): modes "
        f"{floor['modes_covered']['floor']}, high-quality "
        f"{floor['high_quality_fraction']['floor']:.3f}, mode KL {floor['mode_kl']['floor']:.4f}"
    )
    for data, loss, ok in summary:
        print(f"{data} / {loss}: target met in every seed: {'yes' if ok else 'NO'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=("a", "b", "all"), default="all")
    ap.add_argument("--steps", type=int, default=1000, help="steps per timing run in (a)")
    ap.add_argument("--repeats", type=int, default=5, help="timing repeats in (a)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--losses", nargs="+", default=["ns", "hinge", "wgan-gp"])
    ap.add_argument("--datasets", nargs="+", default=["ring8", "grid25"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"scigan {scigan.__version__}, torch {torch.__version__}, python "
        f"{platform.python_version()}, {platform.machine()}, threads {args.threads}"
    )
    if args.part in ("a", "all"):
        part_a(args.steps, args.repeats)
    if args.part in ("b", "all"):
        part_b(args.seeds, args.losses, args.datasets)


if __name__ == "__main__":
    main()
