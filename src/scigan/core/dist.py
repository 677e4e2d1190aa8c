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


def resolve_device(name: str = "auto") -> torch.device:
    """The torch device for ``--device`` (``auto``: this process's GPU when CUDA is available).

    Under torchrun each process takes the GPU of its ``LOCAL_RANK``.
    """
    from scigan.errors import ConfigError

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ConfigError(
            f"--device {name}: this torch ({torch.__version__}) sees no CUDA GPU; "
            "use --device cpu (or auto)"
        )
    device = torch.device(name)
    if device.index is None:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    if device.index >= torch.cuda.device_count():
        raise ConfigError(
            f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) visible; "
            "pick cuda:0 .. cuda:{torch.cuda.device_count() - 1}"
        )
    return device


def comm_device() -> torch.device:
    """Where collective tensors live: the current GPU under NCCL, the CPU under gloo."""
    if tdist.is_available() and tdist.is_initialized() and tdist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def shutdown() -> None:
    if tdist.is_available() and tdist.is_initialized():
        tdist.destroy_process_group()


def barrier() -> None:
    if world_size() > 1:
        tdist.barrier()


def all_reduce_mean(values: torch.Tensor) -> torch.Tensor:
    if world_size() > 1:
        device = values.device
        values = values.to(comm_device()).clone()
        tdist.all_reduce(values)
        values = (values / world_size()).to(device)
    return values


def wrap(module: torch.nn.Module, device: torch.device | None = None) -> torch.nn.Module:
    """DDP wrapper at world size > 1 (each network separately), the module itself otherwise."""
    if world_size() == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    if device is not None and device.type == "cuda":
        return DistributedDataParallel(module, device_ids=[device.index])
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
    flag = torch.tensor([1.0 if reason else 0.0], device=comm_device())
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


def gather_rows(part: torch.Tensor, total: int) -> torch.Tensor:
    """Concatenate every rank's rows in rank order (rank r holds :func:`shard` r of ``total``)."""
    if world_size() == 1:
        return part
    device = part.device
    width = -(-total // world_size())
    padded = part.new_zeros((width, *part.shape[1:])).to(comm_device())
    padded[: len(part)] = part.to(comm_device())
    out = [torch.empty_like(padded) for _ in range(world_size())]
    tdist.all_gather(out, padded)
    rows = [out[r][: len(range(*shard(total, r)))] for r in range(world_size())]
    return torch.cat(rows).to(device)


def shard(total: int, r: int | None = None) -> tuple[int, int]:
    """Row range ``(start, stop)`` of rank ``r`` (default: this rank) when ``total`` rows are
    split into contiguous, nearly equal shards."""
    r = rank() if r is None else r
    width = -(-total // world_size())
    return min(total, r * width), min(total, (r + 1) * width)


def broadcast_object(obj):
    """Send a picklable object from rank 0 to all ranks (process-internal, never from files)."""
    if world_size() == 1:
        return obj
    box = [obj]
    tdist.broadcast_object_list(box, src=0)
    return box[0]
