"""Typed, frozen configuration: the one place where defaults live.

The CLI flags (``--kebab-case``), the API keyword arguments and ``--config FILE.yaml`` all map
onto :class:`TrainConfig`. Every field name is unique across sections, so a flat mapping
``{"lr_g": 1e-4, "loss": "hinge"}`` and the nested form ``{"optim": {"lr_g": 1e-4}}`` are both
accepted. Resolution order (later wins): these defaults → the domain's defaults for its data →
the YAML file → flags / keyword arguments.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scigan.errors import ConfigError
from scigan.limits import check_readable_file, file_limit

LOSS_NAMES = ("ns", "hinge", "wgan-gp")


def _help(text: str) -> dict[str, str]:
    return {"help": text}


def _check(ok: bool, name: str, value: Any, rule: str) -> None:
    if not ok:
        flag = "--" + name.replace("_", "-")
        raise ConfigError(f"invalid value {value!r} for {name} ({flag}): must be {rule}")


@dataclass(frozen=True)
class NetConfig:
    """Network sizes; each domain maps width/depth onto its own architecture."""

    z_dim: int = field(default=64, metadata=_help("latent (noise) dimension of the generator"))
    g_width: int = field(default=256, metadata=_help("generator width (units or base channels)"))
    d_width: int = field(default=256, metadata=_help("discriminator width"))
    g_depth: int = field(default=3, metadata=_help("generator depth (hidden layers / blocks)"))
    d_depth: int = field(default=3, metadata=_help("discriminator depth"))
    spectral_norm: bool = field(
        default=False, metadata=_help("spectral normalisation on discriminator layers")
    )
    minibatch_std: bool = field(
        default=False, metadata=_help("minibatch standard-deviation feature in D (anti-collapse)")
    )
    latent_modes: int = field(
        default=0,
        metadata=_help(
            "mixture latent: the first K of z_dim dims become a uniform categorical code "
            "(0 = plain Gaussian z); helps data with disconnected modes"
        ),
    )
    pac: int = field(
        default=1, metadata=_help("PacGAN packing: samples per discriminator input (1 = off)")
    )

    def __post_init__(self) -> None:
        for name in ("z_dim", "g_width", "d_width", "g_depth", "d_depth", "pac"):
            v = getattr(self, name)
            _check(isinstance(v, int) and 1 <= v <= 100_000, name, v, "an integer in [1, 100000]")
        _check(
            isinstance(self.latent_modes, int) and 0 <= self.latent_modes < self.z_dim,
            "latent_modes",
            self.latent_modes,
            f"an integer in [0, z_dim={self.z_dim})",
        )


@dataclass(frozen=True)
class OptimConfig:
    """Adam with GAN betas, batch size, critic steps and generator EMA."""

    lr_g: float = field(default=2e-4, metadata=_help("generator learning rate (Adam)"))
    lr_d: float = field(default=2e-4, metadata=_help("discriminator learning rate (Adam)"))
    beta1: float = field(default=0.5, metadata=_help("Adam beta1 (GAN default 0.5)"))
    beta2: float = field(default=0.999, metadata=_help("Adam beta2"))
    batch_size: int = field(default=256, metadata=_help("batch size per step (global)"))
    n_critic: int = field(default=1, metadata=_help("discriminator steps per generator step"))
    ema_decay: float = field(
        default=0.999, metadata=_help("generator EMA decay; samples come from the EMA weights")
    )
    lr_half_life: int = field(
        default=0,
        metadata=_help(
            "halve both learning rates every N steps (0 = constant); a function of the step "
            "only, so resuming to any --steps stays exact"
        ),
    )

    def __post_init__(self) -> None:
        for name in ("lr_g", "lr_d"):
            v = getattr(self, name)
            _check(isinstance(v, float | int) and 0 < v <= 1, name, v, "a number in (0, 1]")
        for name in ("beta1", "beta2", "ema_decay"):
            v = getattr(self, name)
            _check(isinstance(v, float | int) and 0 <= v < 1, name, v, "a number in [0, 1)")
        _check(
            isinstance(self.batch_size, int) and 2 <= self.batch_size <= 1_000_000,
            "batch_size",
            self.batch_size,
            "an integer in [2, 1000000]",
        )
        _check(
            isinstance(self.lr_half_life, int) and self.lr_half_life >= 0,
            "lr_half_life",
            self.lr_half_life,
            "an integer >= 0",
        )
        _check(
            isinstance(self.n_critic, int) and 1 <= self.n_critic <= 100,
            "n_critic",
            self.n_critic,
            "an integer in [1, 100]",
        )


@dataclass(frozen=True)
class LossConfig:
    """Adversarial objective and regularisers."""

    loss: str = field(default="ns", metadata=_help("GAN loss: ns (non-saturating), hinge, wgan-gp"))
    gp_weight: float | None = field(
        default=None,
        metadata=_help("gradient-penalty weight (default: 10 for wgan-gp, 0 otherwise)"),
    )
    r1_gamma: float = field(default=0.0, metadata=_help("R1 penalty gamma on real data (0 = off)"))

    def __post_init__(self) -> None:
        _check(self.loss in LOSS_NAMES, "loss", self.loss, f"one of {', '.join(LOSS_NAMES)}")
        if self.gp_weight is not None:
            _check(0 <= self.gp_weight <= 1e4, "gp_weight", self.gp_weight, "in [0, 10000]")
        _check(0 <= self.r1_gamma <= 1e4, "r1_gamma", self.r1_gamma, "in [0, 10000]")

    @property
    def resolved_gp_weight(self) -> float:
        if self.gp_weight is not None:
            return float(self.gp_weight)
        return 10.0 if self.loss == "wgan-gp" else 0.0


@dataclass(frozen=True)
class WatchdogConfig:
    """Divergence and mode-collapse detection with rollback (see ``core/monitor.py``)."""

    watchdog: bool = field(default=True, metadata=_help("enable the divergence/collapse watchdog"))
    max_rollbacks: int = field(
        default=3, metadata=_help("stop with an error after this many rollbacks")
    )
    rollback_lr_factor: float = field(
        default=0.5, metadata=_help("multiply both learning rates by this on each rollback")
    )
    explode_factor: float = field(
        default=1000.0,
        metadata=_help("a gradient norm this many times its running average counts as exploding"),
    )
    collapse_ratio: float = field(
        default=0.1,
        metadata=_help("sample diversity below this fraction of the real data's is collapse"),
    )
    d_acc_limit: float = field(
        default=0.995, metadata=_help("discriminator accuracy above this is saturated")
    )
    collapse_patience: int = field(
        default=5, metadata=_help("consecutive logged checks before collapse triggers rollback")
    )
    collapse_warmup: int = field(
        default=500, metadata=_help("no collapse checks before this step (divergence always)")
    )

    def __post_init__(self) -> None:
        _check(0 <= self.max_rollbacks <= 100, "max_rollbacks", self.max_rollbacks, "in [0, 100]")
        _check(
            0 < self.rollback_lr_factor <= 1,
            "rollback_lr_factor",
            self.rollback_lr_factor,
            "in (0, 1]",
        )
        _check(self.explode_factor > 1, "explode_factor", self.explode_factor, "> 1")
        _check(0 <= self.collapse_ratio < 1, "collapse_ratio", self.collapse_ratio, "in [0, 1)")
        _check(0.5 < self.d_acc_limit <= 1, "d_acc_limit", self.d_acc_limit, "in (0.5, 1]")
        _check(
            1 <= self.collapse_patience <= 1000,
            "collapse_patience",
            self.collapse_patience,
            "in [1, 1000]",
        )
        _check(self.collapse_warmup >= 0, "collapse_warmup", self.collapse_warmup, ">= 0")


@dataclass(frozen=True)
class RefineConfig:
    """Sampling corrections fitted after training (every domain; see ``core/refine.py``)."""

    drs: bool = field(
        default=False,
        metadata=_help(
            "discriminator rejection sampling: after training, fit a classifier of real vs "
            "generated tensors and accept G's draws by its density ratio (Azadi et al. 2019)"
        ),
    )
    drs_quantile: float = field(
        default=0.95,
        metadata=_help(
            "DRS: draws whose ratio is above this quantile of G's own are always accepted "
            "(higher: closer to the data, more draws per sample)"
        ),
    )

    def __post_init__(self) -> None:
        _check(0.5 <= self.drs_quantile <= 1, "drs_quantile", self.drs_quantile, "in [0.5, 1]")


SECTIONS: dict[str, type] = {
    "net": NetConfig,
    "optim": OptimConfig,
    "objective": LossConfig,
    "monitor": WatchdogConfig,
    "refine": RefineConfig,
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run. Frozen; build a new one with :meth:`replace`."""

    domain: str = field(default="toy", metadata=_help("domain: toy, fields, tabular, ..."))
    data: str = field(default="ring8", metadata=_help("registered dataset name or a file path"))
    seed: int = field(default=0, metadata=_help("seed for data split, init, batches, sampling"))
    steps: int = field(default=3000, metadata=_help("total generator steps to train to"))
    log_every: int = field(default=50, metadata=_help("log losses to metrics.jsonl every N steps"))
    eval_every: int = field(
        default=1000, metadata=_help("evaluate domain metrics every N steps (0 = only at end)")
    )
    ckpt_every: int = field(default=500, metadata=_help("save the latest checkpoint every N steps"))
    eval_n: int = field(default=2000, metadata=_help("samples per evaluation during training"))
    best_metric: str | None = field(
        default=None, metadata=_help("metric that picks the best checkpoint (domain default)")
    )
    threads: int = field(default=0, metadata=_help("torch CPU threads (0 = torch's default)"))
    device: str = field(
        default="auto",
        metadata=_help(
            "where G and D train: auto (the GPU of this process when CUDA is available, else "
            "cpu), cpu, cuda or cuda:N; bit-exact resume is guaranteed on cpu"
        ),
    )
    options: dict[str, Any] = field(
        default_factory=dict,
        metadata=_help("domain/data options, e.g. --set n=5000 (see the domain's README)"),
    )
    net: NetConfig = field(default_factory=NetConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    objective: LossConfig = field(default_factory=LossConfig)
    monitor: WatchdogConfig = field(default_factory=WatchdogConfig)
    refine: RefineConfig = field(default_factory=RefineConfig)

    def __post_init__(self) -> None:
        _check(isinstance(self.seed, int) and 0 <= self.seed < 2**63, "seed", self.seed, ">= 0")
        _check(
            isinstance(self.steps, int) and 0 <= self.steps <= 10**9,
            "steps",
            self.steps,
            "an integer in [0, 1e9]",
        )
        for name in ("log_every", "ckpt_every", "eval_n"):
            v = getattr(self, name)
            _check(isinstance(v, int) and 1 <= v <= 10**9, name, v, "an integer >= 1")
        _check(
            isinstance(self.eval_every, int) and self.eval_every >= 0,
            "eval_every",
            self.eval_every,
            "an integer >= 0",
        )
        _check(0 <= self.threads <= 1024, "threads", self.threads, "in [0, 1024]")
        _check(
            isinstance(self.device, str)
            and re.fullmatch(r"auto|cpu|cuda(:\d+)?", self.device) is not None,
            "device",
            self.device,
            "auto, cpu, cuda or cuda:N",
        )
        _check(
            self.optim.batch_size % self.net.pac == 0,
            "batch_size",
            self.optim.batch_size,
            f"a multiple of pac={self.net.pac}",
        )
        _check(isinstance(self.options, dict), "options", self.options, "a mapping")

    # ------------------------------------------------------------------ conversion
    def to_dict(self) -> dict[str, Any]:
        """Nested plain-Python dict (JSON/YAML serialisable)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, source: str = "config") -> TrainConfig:
        """Build from a flat or nested mapping; unknown keys raise :class:`ConfigError`."""
        return cls().replace(values, source=source)

    def replace(self, values: Mapping[str, Any], *, source: str = "config") -> TrainConfig:
        """A copy with ``values`` (flat or nested) applied on top."""
        top = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        sections = {name: dataclasses.asdict(top[name]) for name in SECTIONS}
        for key, value in _flatten(values, source):
            if key in SECTIONS:
                raise ConfigError(f"{source}: '{key}' is a section and needs a mapping of fields")
            if key == "options":
                top["options"] = {**top["options"], **dict(value)}
                continue
            if key in top:
                top[key] = value
                continue
            section = FIELD_SECTION.get(key)
            if section is None:
                raise ConfigError(_unknown_key_message(key, source))
            sections[section][key] = value
        for name, section_cls in SECTIONS.items():
            top[name] = _construct(section_cls, sections[name])
        return _construct(TrainConfig, top)

    @classmethod
    def from_file(cls, path: str | Path) -> dict[str, Any]:
        """Read a YAML/JSON config file into a raw mapping (validated when applied)."""
        return read_config_file(path)


def _construct(cls: type, values: dict[str, Any]) -> Any:
    hints = {f.name: f for f in dataclasses.fields(cls)}
    coerced = {}
    for name, value in values.items():
        coerced[name] = _coerce(name, value, hints[name])
    try:
        return cls(**coerced)
    except TypeError as exc:  # pragma: no cover - guarded by _coerce
        raise ConfigError(str(exc)) from None


def _coerce(name: str, value: Any, f: dataclasses.Field) -> Any:
    """Convert YAML/CLI scalars to the field's type (ints stay ints, 1 → 1.0 for floats)."""
    default = f.default if f.default is not dataclasses.MISSING else None
    typ = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    if value is None:
        return None if "None" in typ else value
    if dataclasses.is_dataclass(value) or isinstance(value, dict):
        return value
    flag = "--" + name.replace("_", "-")
    try:
        if typ.startswith("bool") or isinstance(default, bool):
            if isinstance(value, str):
                low = value.lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off"):
                    return False
                raise ValueError
            if isinstance(value, bool | int):
                return bool(value)
            raise ValueError
        if typ.startswith("int") or (isinstance(default, int) and not isinstance(default, bool)):
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if typ.startswith("float"):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if typ.startswith("str"):
            if not isinstance(value, str):
                raise ValueError
            return value
    except (ValueError, OverflowError):
        raise ConfigError(
            f"invalid value {value!r} for {name} ({flag}): expected {typ.split(' ')[0]}"
        ) from None
    return value


def _flatten(values: Mapping[str, Any], source: str) -> list[tuple[str, Any]]:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{source}: expected a mapping of settings, got {type(values).__name__}")
    items: list[tuple[str, Any]] = []
    for key, value in values.items():
        key = str(key).replace("-", "_")
        if key in SECTIONS and isinstance(value, Mapping):
            for sub, subvalue in value.items():
                sub = str(sub).replace("-", "_")
                if FIELD_SECTION.get(sub) != key:
                    raise ConfigError(_unknown_key_message(f"{key}.{sub}", source))
                items.append((sub, subvalue))
        elif key == "options" and not isinstance(value, Mapping):
            raise ConfigError(f"{source}: 'options' must be a mapping of domain options")
        else:
            items.append((key, value))
    return items


FIELD_SECTION: dict[str, str] = {
    f.name: section for section, cls in SECTIONS.items() for f in dataclasses.fields(cls)
}


def all_field_names() -> list[str]:
    top = [f.name for f in dataclasses.fields(TrainConfig) if f.name not in SECTIONS]
    return top + list(FIELD_SECTION)


def _unknown_key_message(key: str, source: str) -> str:
    close = difflib.get_close_matches(key.split(".")[-1], all_field_names(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else "; see `scigan train --help`"
    return f"{source}: unknown setting '{key}'{hint}"


def field_help() -> list[tuple[str, dataclasses.Field, Any]]:
    """(flat name, field, default) for every setting the CLI exposes as a flag."""
    out = []
    for f in dataclasses.fields(TrainConfig):
        if f.name in SECTIONS or f.name == "options":
            continue
        out.append((f.name, f, getattr(TrainConfig(), f.name)))
    for section, cls in SECTIONS.items():
        inst = getattr(TrainConfig(), section)
        for f in dataclasses.fields(cls):
            out.append((f.name, f, getattr(inst, f.name)))
    return out


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON config file; a run folder's config.json is accepted too."""
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{p}: is a directory; pass a YAML/JSON config file")
    if not p.exists():
        raise ConfigError(f"{p}: config file not found; check the path")
    check_readable_file(p, ConfigError, limit=min(file_limit(), _MAX_CONFIG_BYTES))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        _refuse_aliases(text, p)
        values = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{p}:{where} invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if values is None:
        raise ConfigError(f"{p}: config file is empty; add settings such as 'steps: 1000'")
    if isinstance(values, dict) and "config" in values and "versions" in values:
        values = values["config"]  # a run folder's config.json
    if not isinstance(values, dict):
        raise ConfigError(f"{p}: expected a mapping of settings (key: value), got a list or scalar")
    try:  # validate early with the file named
        TrainConfig().replace(values, source=str(p))
    except ConfigError as exc:
        raise ConfigError(str(exc) if str(exc).startswith(str(p)) else f"{p}: {exc}") from None
    return values


_MAX_CONFIG_BYTES = 16 << 20  # a config is a few hundred bytes; a run's config.json a few kB


def _refuse_aliases(text: str, path: Path) -> None:
    """YAML anchors/aliases let 1 KB expand to gigabytes (a "billion laughs"); a settings file
    never needs them, so they are refused before anything is built."""
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            raise ConfigError(
                f"{path}: line {mark.line + 1}, column {mark.column + 1}: YAML aliases "
                f"(*{event.anchor}) are not allowed in config files; write the value out"
            )
