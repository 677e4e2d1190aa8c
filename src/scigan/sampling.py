"""Sampling: draw from a trained generator and decode to the domain's natural type."""

from __future__ import annotations

from typing import Any

import torch

from scigan import progress
from scigan.core import dist
from scigan.core.refine import DensityRatio, rejection_sample
from scigan.domains.base import AbstractEncoder
from scigan.errors import DataError


def generate(
    G: torch.nn.Module,
    encoder: AbstractEncoder,
    z_dim: int,
    n: int,
    seed: int,
    conditions: Any = None,
    cond_pool: torch.Tensor | None = None,
    *,
    shard: bool = False,
    refiner: DensityRatio | None = None,
) -> Any:
    """n samples from ``G`` decoded to the domain's type; RNG isolated and fixed by ``seed``.

    z and conditions are drawn on the CPU and moved to G's device, so the samples do not depend
    on where G lives. ``shard``: under torchrun every rank runs G on its share of each chunk and
    the shards are gathered — every rank returns the same samples as a single process would.
    ``refiner``: discriminator rejection sampling — each row is drawn again (with its own
    condition) until the density-ratio classifier accepts it (not with ``shard``).
    """
    progress.stage(f"sample {n}")
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        if encoder.cond_dim and conditions is None:
            c = cond_pool[torch.randint(len(cond_pool), (n,))]
        elif encoder.cond_dim:
            c = encoder.encode_conditions(conditions)
            if c is None or len(c) != n:
                raise DataError(f"conditions must describe {n} rows, got {len(c)}")
        else:
            if conditions is not None:
                raise DataError("this model is unconditional; do not pass conditions")
            c = None
        was_training = G.training
        G.eval()
        device = next(G.parameters()).device
        if refiner is not None and not shard:

            def draw(rows: torch.Tensor) -> torch.Tensor:
                z = torch.randn(len(rows), z_dim).to(device)
                return G(z, None if c is None else c[rows].to(device)).cpu()

            x, _ = rejection_sample(draw, refiner, n, condition=c)
            G.train(was_training)
            return encoder.finish(encoder.decode(x), c, seed)
        chunks = []
        with progress.bar(n, "sample", "sample", disable=True if n <= 4096 else None) as pbar:
            for start in range(0, n, 4096):
                z = torch.randn(min(4096, n - start), z_dim)
                cz = None if c is None else c[start : start + len(z)]
                a, b = dist.shard(len(z)) if shard else (0, len(z))
                keep = b - a  # an empty shard still runs G on one row to get the shape
                a, b = (a, b) if keep else (0, 1)
                part = G(z[a:b].to(device), None if cz is None else cz[a:b].to(device))[:keep]
                chunks.append(dist.gather_rows(part, len(z)) if shard else part)
                pbar.update(len(z))
        G.train(was_training)
        return encoder.finish(encoder.decode(torch.cat(chunks).cpu()), c, seed)
