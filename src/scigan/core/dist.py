"""torchrun helpers. At world size 1 (no torchrun) every function is a no-op."""

from __future__ import annotations

import os

import torch
import torch.distributed as tdist


def world_size() -> int:
    return tdist.get_world_size() if tdist.is_available() and tdist.is_initialized() else 1


def rank() -> int:
    return tdist.get_rank() if tdist.is_available() and tdist.is_initialized() else 0


def is_main() -> bool:
    return rank() == 0


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1


def init() -> None:
    """Join the process group torchrun set up (gloo on CPU, NCCL on GPU)."""
    if launched_by_torchrun() and not tdist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        tdist.init_process_group(backend=backend)
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))


def barrier() -> None:
    if world_size() > 1:
        tdist.barrier()


def all_reduce_mean(values: torch.Tensor) -> torch.Tensor:
    if world_size() > 1:
        values = values.clone()
        tdist.all_reduce(values)
        values /= world_size()
    return values


def broadcast_object(obj):
    """Send a picklable object from rank 0 to all ranks (process-internal, never from files)."""
    if world_size() == 1:
        return obj
    box = [obj]
    tdist.broadcast_object_list(box, src=0)
    return box[0]
