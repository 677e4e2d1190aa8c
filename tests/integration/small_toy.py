"""The small toy-network CLI flags shared by the integration tests (fast on 2 CPU cores)."""

from __future__ import annotations

NETWORK = ["--z-dim", "8", "--g-width", "32", "--d-width", "32", "--g-depth", "1",
           "--d-depth", "1", "--batch-size", "64"]  # fmt: skip


def small_flags(*, eval_every: int = 0, ckpt_every: int | None = None) -> list[str]:
    """Small networks on 2000 ring8 points, quiet; evaluation/checkpoint cadence as given."""
    flags = [*NETWORK, "--eval-every", str(eval_every)]
    if ckpt_every is not None:
        flags += ["--ckpt-every", str(ckpt_every)]
    return [*flags, "--set", "n=2000", "--quiet"]
