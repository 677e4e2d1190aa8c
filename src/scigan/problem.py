"""Problem assembly: resolve the settings, load and encode the data, build the networks.

What the estimator (:mod:`scigan.api`) hands the engine (:func:`scigan.core.training_loop.train`)
is a :class:`~scigan.core.training_loop.Problem`; this module makes one from a config and a
domain, and holds the names of the extra tensors a checkpoint may carry.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

import scigan.domains  # noqa: F401  (registers domains and datasets)
from scigan import progress
from scigan._version import __version__
from scigan.config import TrainConfig, read_config_file
from scigan.core import run_folder
from scigan.core.losses import make_loss, make_regularisers
from scigan.core.training_loop import Problem
from scigan.domains.base import AbstractDomain, AbstractEncoder, Dataset, hash_tensors
from scigan.errors import ConfigError, DataError, SciganError
from scigan.limits import check_readable_file
from scigan.registry import DATASETS, DOMAINS
from scigan.sampling import generate

IN_MEMORY = run_folder.IN_MEMORY
COND_POOL_SIZE = 10_000  # conditions kept in the checkpoint to sample from when none are given
POOL = "extra.cond_pool"
DRS = "extra.drs."  # the rejection-sampling classifier's tensors (core/refine.py)
ADAPT = "extra.adapt."  # the encoder's adaptation to the trained generator (encoder.adapt)


def versions() -> dict[str, str]:
    return {
        "scigan": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def infer_domain(domain: str | None, data: Any, cfg_values: Mapping[str, Any]) -> str:
    if domain is not None:
        return domain
    if "domain" in cfg_values:
        return str(cfg_values["domain"])
    if isinstance(data, str) and data in DATASETS:
        return DATASETS.get(data).domain
    if isinstance(data, str) and not Path(data).exists() and "/" not in data and "." not in data:
        DATASETS.get(data)  # raises UnknownNameError listing the registered datasets
    if isinstance(data, str | Path) and Path(data).exists():
        return _domain_of_file(Path(data))
    raise ConfigError(
        "cannot tell the domain of this data; pass domain=... (CLI: --domain toy|fields|...)"
    )


# File suffix → domain, where the suffix alone says it.
_SUFFIX_DOMAIN = {
    ".fasta": "sequences", ".fa": "sequences", ".fna": "sequences", ".faa": "sequences",
    ".smi": "molecules", ".sdf": "molecules",
    ".pdb": "proteins", ".cif": "proteins", ".mmcif": "proteins", ".dcd": "proteins",
    ".parquet": "tabular",
}  # fmt: skip
_SNIFF_BYTES = 65_536  # read at most this much of a file to tell its domain


def _domain_of_file(path: Path) -> str:
    """The domain a data file belongs to, from its suffix and (for CSV/TSV) its columns: a
    table with a text column is an experiment table (tabular); an all-numeric one could be a
    table or a point cloud, so the error names both."""
    suffix = path.suffix.lower()
    if suffix in _SUFFIX_DOMAIN:
        return _SUFFIX_DOMAIN[suffix]
    if suffix in (".csv", ".tsv", ".txt"):
        check_readable_file(path, DataError, limit=sys.maxsize)  # never open a FIFO or device
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
        lines = [ln for ln in head.decode("utf-8", errors="replace").splitlines() if ln.strip()]
        if len(head) == _SNIFF_BYTES:
            lines = lines[:-1]  # possibly cut mid-line
        sep = "\t" if suffix == ".tsv" or (lines and "\t" in lines[0]) else ","
        cells = [c.strip().strip('"') for ln in lines[1:50] for c in ln.split(sep)]
        if any(c and not _is_number(c) for c in cells):
            return "tabular"
        raise ConfigError(
            f"{path}: an all-numeric table; pass --domain tabular (an experiment table: rows of "
            "conditions and outcomes) or --domain toy (a point cloud)"
        )
    raise ConfigError(
        f"{path}: cannot tell the domain from a '{suffix or '(no suffix)'}' file; pass --domain "
        "fields (arrays of physical fields), toy (a point cloud) or another of "
        f"{', '.join(DOMAINS.names())}"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def resolve_config(
    domain: str | None,
    config: str | Path | Mapping[str, Any] | None,
    hyperparameters: Mapping[str, Any],
    data: Any = None,
) -> TrainConfig:
    """Settings resolved as: built-in defaults < the domain's defaults for the data (and its
    data options) < ``config`` (file or mapping) < ``hyperparameters``."""
    file_values: Mapping[str, Any] = {}
    if isinstance(config, str | Path):
        file_values = read_config_file(config)
    elif isinstance(config, Mapping):
        file_values = config
    elif config is not None:
        raise ConfigError("config must be a file path or a mapping of settings")
    merged = {**file_values, **hyperparameters}
    data_name = data if isinstance(data, str) else None
    if isinstance(data, Path):
        data_name = str(data)
    if data_name is None and data is None:
        data_name = merged.get("data", TrainConfig().data)
    domain = infer_domain(domain, data_name if data is None else data, merged)
    domain_obj = DOMAINS.get(domain)()
    registered = DATASETS.get(data_name).domain if data_name in DATASETS else domain
    if registered != domain and not Path(data_name).exists():
        raise ConfigError(
            f"'{data_name}' is a {registered} dataset, not {domain}; pass --domain "
            f"{registered} (domain={registered!r}) or leave the domain out"
        )
    base = TrainConfig(domain=domain)
    base = base.replace(domain_obj.default_config(data_name or IN_MEMORY), source="domain")
    # Defaults that depend on the data options (e.g. tabular experiment mode), still
    # overridden by the config file and keyword arguments below.
    options = merged.get("options") or {}
    if isinstance(options, Mapping):
        defaults = domain_obj.option_defaults(data_name or IN_MEMORY, options, source=data)
        base = base.replace(defaults, source="domain")
    cfg = base.replace(file_values, source=str(config) if file_values else "config")
    cfg = cfg.replace(hyperparameters, source="hyperparameters")
    updates: dict[str, Any] = {"domain": domain}
    if data is not None:
        updates["data"] = data_name if data_name is not None else IN_MEMORY
    name = str(updates.get("data", cfg.data))
    if name not in DATASETS and name != IN_MEMORY and Path(name).exists():
        # Absolute, so `scigan resume` works from any directory (resume --data if it moves).
        updates["data"] = str(Path(name).resolve())
    return cfg.replace(updates)


def load_data(domain: AbstractDomain, source: Any, options: Any, seed: int) -> Dataset:
    """``domain.load`` with a safety net: an unreadable file (a folder, no permission, not
    UTF-8) that a domain's reader did not anticipate is still a one-line DataError."""
    try:
        return domain.load(source, options=options, seed=seed)
    except SciganError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(f"{source}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        what = "is a directory" if isinstance(exc, IsADirectoryError) else exc.strerror
        raise DataError(
            f"{exc.filename or source}: cannot read ({what}); pass a readable data file"
        ) from None


def check_drs(cfg: TrainConfig, encoder: AbstractEncoder) -> None:
    """Rejection sampling needs continuous generator outputs: against one-hot data, G's soft
    categorical outputs are told apart by their softness alone, and the ratio is meaningless."""
    if not cfg.refine.drs:
        return
    soft = sorted({s.activation for s in encoder.output_spans()} & {"softmax", "gumbel"})
    if soft:
        raise ConfigError(
            f"--drs needs continuous generator outputs, but this {cfg.domain} model emits "
            f"{'/'.join(soft)} categories; train without --drs"
        )


def build_problem(
    cfg: TrainConfig, domain: AbstractDomain, encoder: AbstractEncoder, dataset: Dataset
) -> Problem:
    """Encode the data and build fresh networks (seeded) for the engine."""
    data = encoder.encode(dataset.samples)
    cond = encoder.encode_conditions(dataset.conditions) if encoder.cond_dim else None
    if len(data) < 2:
        raise DataError(f"{dataset.name}: need at least 2 samples to train, got {len(data)}")
    torch.manual_seed(cfg.seed)
    G = domain.build_generator(cfg, encoder)
    D = domain.build_discriminator(cfg, encoder)
    extra: dict[str, torch.Tensor] = {}
    if cond is not None:
        pool = torch.Generator().manual_seed(cfg.seed)
        idx = torch.randperm(len(cond), generator=pool)[:COND_POOL_SIZE]
        extra[POOL] = cond[idx].clone()

    selection = domain.selection_reference(dataset)

    def evaluate(G_ema: torch.nn.Module, n: int, seed: int) -> dict[str, Any]:
        def sample(k: int, conditions: Any, s: int) -> Any:
            return generate(
                G_ema, encoder, cfg.net.z_dim, k, s, conditions, extra.get(POOL), shard=True
            )

        with progress.task("evaluate"):
            return domain.evaluate(sample, selection, n=n, seed=seed)

    best, lower = domain.best_metric
    problem = Problem(
        G=G,
        D=D,
        data=data,
        cond=cond,
        z_dim=cfg.net.z_dim,
        loss=make_loss(cfg.objective.loss),
        regularisers=make_regularisers(cfg.objective),
        evaluate=evaluate,
        best_metric=cfg.best_metric or best,
        best_metric_chosen=bool(cfg.best_metric),
        best_lower_is_better=lower,
        extra_tensors=extra,
        data_hash=hash_tensors(data, cond),
        g_penalty=domain.generator_penalty(cfg, encoder, data, G, cond=cond),
        batch_by_condition=cond is not None and domain.batch_by_condition(cfg),
    )
    return problem
