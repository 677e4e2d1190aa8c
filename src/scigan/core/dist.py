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


def shutdown() -> None:
    if tdist.is_available() and tdist.is_initialized():
        tdist.destroy_process_group()


def barrier() -> None:
    if world_size() > 1:
        tdist.barrier()


def all_reduce_mean(values: torch.Tensor) -> torch.Tensor:
    if world_size() > 1:
        values = values.clone()
        tdist.all_reduce(values)
        values /= world_size()
    return values


def wrap(module: torch.nn.Module) -> torch.nn.Module:
    """DDP wrapper at world size > 1 (each network separately), the module itself otherwise."""
    if world_size() == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(module)


def local_batch(global_batch: int, multiple: int = 1) -> int:
    """This rank's share of the global batch (the config states the global batch)."""
    from scigan.errors import ConfigError

    ws = world_size()
    if global_batch % (ws * multiple):
        raise ConfigError(
            f"batch_size {global_batch} must be divisible by world size {ws} x pac {multiple}; "
            "change --batch-size"
        )
    return global_batch // ws


def agree(reason: str | None) -> str | None:
    """All ranks take the same watchdog decision: a fault on any rank is a fault on all."""
    if world_size() == 1:
        return reason
    flag = torch.tensor([1.0 if reason else 0.0])
    tdist.all_reduce(flag, op=tdist.ReduceOp.MAX)
    if flag.item() > 0 and not reason:
        return "fault detected on another rank"
    return reason


def mean_dict(values: dict[str, float]) -> dict[str, float]:
    """Average logged scalars over ranks so every rank sees (and judges) the same numbers."""
    if world_size() == 1 or not values:
        return values
    keys = sorted(values)
    t = all_reduce_mean(torch.tensor([values[k] for k in keys], dtype=torch.float64))
    return dict(zip(keys, t.tolist(), strict=True))


def broadcast_object(obj):
    """Send a picklable object from rank 0 to all ranks (process-internal, never from files)."""
    if world_size() == 1:
        return obj
    box = [obj]
    tdist.broadcast_object_list(box, src=0)
    return box[0]
