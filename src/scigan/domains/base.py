"""The domain interface: what a scientific domain supplies to the domain-blind engine.

A domain turns its natural data (arrays, tables, sequences, molecules) into tensors and back
(:class:`AbstractEncoder`), builds a generator/discriminator pair whose heads follow the
encoder's :class:`~scigan.core.nets.OutputSpan` layout, and judges samples with its field's
metrics — each reported with the same statistic between two disjoint real samples (the floor).
"""

from __future__ import annotations

import abc
import hashlib
import math
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from scigan.config import TrainConfig
from scigan.core.nets import OutputSpan
from scigan.errors import CheckpointError, DataError


@dataclass(frozen=True)
class DemoSpec:
    """One domain's demo job.

    Attributes:
        science: heading shown in the combined report (e.g. "Physics").
        data: registered dataset name.
        headline: metric key shown in the summary table.
        settings: TrainConfig fields by flat name (steps, sizes, ...).
        options: the dataset's data options.
        what: one sentence saying what the headline number means.
    """

    science: str
    data: str
    headline: str
    settings: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    what: str = ""


# sample_fn(n, conditions, seed) -> samples in the domain's natural type
SampleFn = Callable[[int, Any, int], Any]
MetricResult = dict[str, dict[str, Any]]


@dataclass
class Dataset:
    """Data in the domain's natural type.

    Attributes:
        name: registered name, file path, or ``"<in-memory>"``.
        samples: e.g. an ``(N, ...)`` float array, a DataFrame, or a list of strings.
        conditions: per-sample raw conditions (same length) or None.
        info: small JSON-able description (shape, columns, source) for config.json.
    """

    name: str
    samples: Any
    conditions: Any = None
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.samples)


class AbstractEncoder(abc.ABC):
    """Fits on a dataset; maps samples ↔ tensors; declares the generator's output layout."""

    @abc.abstractmethod
    def fit(self, dataset: Dataset) -> AbstractEncoder:
        """Learn the transformation from training data; returns self."""

    @abc.abstractmethod
    def encode(self, samples: Any) -> Tensor:
        """Samples → float32 tensor ``(N, ...)`` in the generator's output space."""

    @abc.abstractmethod
    def decode(self, x: Tensor) -> Any:
        """Generator output ``(N, ...)`` → samples in the domain's natural type."""

    @abc.abstractmethod
    def output_spans(self) -> list[OutputSpan]:
        """The generator's output blocks (flat layout)."""

    @property
    def cond_dim(self) -> int:
        """Width of the encoded condition vector (0 = unconditional)."""
        return 0

    def encode_conditions(self, conditions: Any) -> Tensor | None:
        """Raw conditions (N rows) → ``(N, cond_dim)`` tensor; None when unconditional."""
        if conditions is not None:
            raise DataError("this model is unconditional; do not pass conditions")
        return None

    def decode_conditions(self, cond: Tensor) -> Any:
        """Encoded conditions ``(N, cond_dim)`` → raw conditions (the form
        :meth:`encode_conditions` takes), or None when the encoding cannot be inverted
        (the default). Lets samples drawn at training conditions be written with them."""
        return None

    def adapt(
        self, dataset: Dataset, draw: Any, *, seed: int, steps: int
    ) -> tuple[dict[str, Tensor], dict[str, float]] | None:
        """Optional stage after training: fit the decoding to the trained generator.

        ``steps``: the generator steps trained. ``draw(rows, seed)`` returns the EMA
        generator's tensors for training rows ``rows`` (with their conditions). Returns the
        tensors to keep in the checkpoint (see :meth:`load_adaptation`) and a summary for
        metrics.jsonl, or None (the default: the encoder has nothing to adapt)."""
        return None

    def temperature_grid(self) -> tuple[float, ...]:
        """Optional: sampling temperatures to choose among after training (and after
        :meth:`adapt`), on the validation part by the domain's selection metric (the one that
        picks ``best``); the first wins ties. Empty (the default): nothing to choose."""
        return ()

    def set_temperature(self, temperature: float) -> None:
        """Sample at ``temperature`` from now on (one of :meth:`temperature_grid`); kept in
        the encoder's state."""
        raise NotImplementedError(f"{type(self).__name__} has no sampling temperature")

    def finish(self, samples: Any, cond: Tensor | None, seed: int) -> Any:
        """Optional last step of sampling, after :meth:`decode`: the domain's own dynamics
        applied to the decoded samples (``cond``: their encoded conditions, or None), e.g.
        Metropolis sweeps of Ising lattices at each sample's temperature. Deterministic
        given ``seed``. The default returns ``samples`` unchanged."""
        return samples

    def load_adaptation(self, tensors: Mapping[str, Tensor]) -> None:
        """Use the tensors :meth:`adapt` returned; an empty mapping = the unadapted decoding."""
        if tensors:
            raise CheckpointError(
                f"this checkpoint adapts a {type(self).__name__}, which has no adaptation; "
                "load it with the scigan version that wrote it"
            )

    @abc.abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """JSON-able learned state (saved as encoder.json; never pickled)."""

    @abc.abstractmethod
    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore from :meth:`state_dict` output."""


class ExtrapolationWarning(UserWarning):
    """A requested condition lies outside the range the model was trained on."""


def _g(x: float) -> str:
    return f"{float(x):.6g}"


def warn_extrapolation(
    name: str,
    values: np.ndarray,
    lo: float,
    hi: float,
    *,
    consequence: str,
    gap: np.ndarray | None = None,
    fmt: Callable[[float], str] = _g,
    fmt_gap: Callable[[float], str] | None = None,
    stacklevel: int = 4,
) -> None:
    """An :class:`ExtrapolationWarning` when any of ``values`` (one condition, one per row)
    lies outside the training range ``[lo, hi]``, naming the farthest value, by how much and
    on which side. ``gap``: the distance outside per row when the caller measures it itself
    (e.g. only on the sides without a declared bound); ``stacklevel`` 4 points at the caller
    of the encoder method that called the encoder's own check."""
    v = np.asarray(values, dtype=np.float64)
    if gap is None:
        gap = np.maximum(np.maximum(lo - v, v - hi), 0.0)
    outside = int((gap > 0).sum())
    if not outside:
        return
    i = int(np.argmax(gap))
    side = "above its maximum" if v[i] > hi else "below its minimum"
    scale = f"; {gap[i] / (hi - lo):.3g}× the range's width" if hi > lo else ""
    rows = f"; {outside} of {len(v)} rows outside" if len(v) > 1 else ""
    warnings.warn(
        f"{name}={fmt(v[i])} is outside the training range [{fmt(lo)}, {fmt(hi)}] by "
        f"{(fmt_gap or fmt)(gap[i])} ({side}{scale}{rows}); the generator extrapolates "
        f"there — {consequence}",
        ExtrapolationWarning,
        stacklevel=stacklevel,
    )


class AbstractDomain(abc.ABC):
    """A scientific domain. Subclasses are final and registered in ``scigan.registry.DOMAINS``.

    Attributes:
        name: the registered domain name.
        sample_suffixes: file extensions :meth:`write_samples` supports.
        best_metric: (metric name, lower-is-better) that selects the best checkpoint.
        demo: the short job ``scigan demo`` runs for this domain (None: not in the demo).
    """

    name: ClassVar[str]
    sample_suffixes: ClassVar[tuple[str, ...]]
    best_metric: ClassVar[tuple[str, bool]]
    demo: ClassVar[DemoSpec | None] = None
    writes_folders: ClassVar[bool] = False  # `sample --out DIR/` writes one file per sample

    def default_config(self, data: str) -> dict[str, Any]:
        """Flat config overrides suited to this domain / dataset (applied before user values)."""
        return {}

    def option_defaults(
        self, data: str, options: Mapping[str, Any], source: Any = None
    ) -> dict[str, Any]:
        """Flat config overrides that depend on the data options (e.g. tabular experiment
        mode); applied after :meth:`default_config`, before the user's config and flags.
        ``data``: the dataset's name or path (``<in-memory>`` for objects); ``source``: what
        the user passed (e.g. a DataFrame), for defaults that depend on in-memory data."""
        return {}

    @abc.abstractmethod
    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        """Load a registered dataset name, a file path, or in-memory data; validate it."""

    @abc.abstractmethod
    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        """A fresh (unfitted) encoder."""

    def restore_encoder(self, cfg: TrainConfig, state: Mapping[str, Any]) -> AbstractEncoder:
        """The encoder a saved run used, from its config and ``encoder.json`` state. Override
        when the state, not the config, says which encoder class it is (a default that changed
        between versions)."""
        encoder = self.make_encoder(cfg)
        encoder.load_state_dict(state)
        return encoder

    @abc.abstractmethod
    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        """``G(z, cond) -> (B, ...)`` following ``encoder.output_spans()``."""

    @abc.abstractmethod
    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        """``D(x, cond) -> (B,)``; no BatchNorm (DDP and gradient penalties)."""

    def batch_by_condition(self, cfg: TrainConfig) -> bool:
        """Whether each training batch holds rows of one condition value (default: no)."""
        return False

    def generator_penalty(
        self,
        cfg: TrainConfig,
        encoder: AbstractEncoder,
        data: Tensor | None = None,
        generator: nn.Module | None = None,
        cond: Tensor | None = None,
    ) -> Callable[[Tensor, Tensor | None], Tensor] | None:
        """A prior added to G's loss, ``(fake, cond) -> scalar``, or None (the default).

        ``data`` is the encoded training set (the tensor the critic's real batches come from)
        and ``cond`` its encoded conditions (None when unconditional);
        ``generator`` the G being trained (a penalty may read what its last forward left, e.g.
        the proteins chain head's 3-D chains). Only for constraints every real sample satisfies
        (the proteins domain's steric term: no two Cα atoms closer than real chains ever are) or
        statistics of the training data itself (its geometry matching; the fields domain's
        observable moments per condition), or a proper scoring rule against the real rows the
        conditions came from (a penalty with ``paired = True``, called ``(fake, cond, real=...,
        fake2=...)``: the tabular energy score); the critic still judges everything else.
        """
        return None

    def selection_reference(self, dataset: Dataset) -> Dataset:
        """The reference for evaluations *during* training (they pick the best checkpoint).

        Default: ``dataset`` itself. A domain whose dataset carries its held-out test split
        returns a view built from the training data alone, so that choosing a checkpoint never
        looks at the test data; evaluations after training still use the test split.
        """
        return dataset

    def evaluation_reference(self, dataset: Dataset) -> Dataset:
        """The reference for evaluations *after* training when the caller names none
        (``Synthesizer.evaluate()``, the report, ``scigan evaluate RUN``).

        Default: ``dataset`` itself (a domain whose dataset carries its held-out test split
        evaluates against that split inside ``evaluate``). A domain whose data comes from a
        simulator returns a fresh sample the model never trained or was selected on.
        """
        return dataset

    @abc.abstractmethod
    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        """Domain metrics ``{name: {"value": v, "floor": f, ...}}`` for ``n`` samples.

        ``floor`` is the same metric between two disjoint real samples of size ``n``.
        """

    @abc.abstractmethod
    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        """Write samples to ``path`` in the format its suffix names (atomically)."""

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        """``{"T": "2.269"}`` from the CLI → raw conditions for ``n`` samples."""
        raise DataError(f"the {self.name} domain has no conditions; remove --condition")

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        """Domain figures for the report: title → matplotlib Figure."""
        return {}

    def model_figures(self, model: Any) -> dict[str, Any]:
        """Report figures that query the fitted model (a ``Synthesizer``), e.g. response
        surfaces: title → matplotlib Figure. Default: none."""
        return {}


class ExperimentDomain(AbstractDomain):
    """A domain whose conditional model stands in for an experiment: it predicts outcomes for
    given conditions and plans the next experiments (tabular experiment mode)."""

    @abc.abstractmethod
    def predict(self, model: Any, conditions: Any, **kwargs: Any) -> Any:
        """Predicted outcome distribution (mean, std, interval) per row of ``conditions``."""

    @abc.abstractmethod
    def suggest(self, model: Any, k: int, **kwargs: Any) -> Any:
        """The next ``k`` conditions to try, ranked by expected improvement."""


def hash_tensors(*tensors: Tensor | None) -> str:
    """SHA-256 of the exact bytes the engine trains on (identifies the data in config.json)."""
    h = hashlib.sha256()
    for t in tensors:
        if t is None:
            h.update(b"none")
            continue
        arr = t.detach().cpu().contiguous().numpy()
        h.update(str(arr.shape).encode() + str(arr.dtype).encode())
        h.update(arr.tobytes())
    return "sha256:" + h.hexdigest()


def without_extrapolation_warnings(sample: SampleFn) -> SampleFn:
    """``sample`` without :class:`ExtrapolationWarning`: evaluation asks for the reference's
    conditions (a held-out trajectory, a fresh simulator draw, hold-out rows), which may lie
    a little outside the training range, and measuring the model there is the point."""

    def quiet(n: int, conditions: Any, seed: int) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            return sample(n, conditions, seed)

    return quiet


def check_finite(array: np.ndarray, where: str) -> None:
    """Raise a DataError naming the first non-finite entry."""
    bad = ~np.isfinite(array)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f"row {pos[0] + 1}, column {pos[1] + 1}" if array.ndim == 2 else f"index {pos}"
        raise DataError(f"{where}: non-finite value {array[pos]} at {at}; remove or impute NaN/inf")


def parse_named_conditions(
    names: list[str], values: Mapping[str, str], n: int, domain: str
) -> np.ndarray:
    """``--condition NAME=VALUE`` pairs → an (n, len(names)) array; each name exactly once."""
    if not names:
        raise DataError(f"this {domain} model is unconditional; remove --condition")
    unknown = sorted(set(values) - set(names))
    missing = [c for c in names if c not in values]
    if unknown or missing:
        raise DataError(
            f"--condition needs exactly {', '.join(f'{c}=VALUE' for c in names)}"
            + (f"; unknown {unknown}" if unknown else "")
            + (f"; missing {missing}" if missing else "")
        )
    row = []
    for c in names:
        try:
            v = float(values[c])
        except ValueError:
            raise DataError(f"--condition {c}={values[c]!r}: expected a number") from None
        if not math.isfinite(v):
            raise DataError(f"--condition {c}={values[c]!r}: must be finite")
        row.append(v)
    return np.tile(np.asarray(row, dtype=np.float64), (n, 1))


def as_float_tensor(array: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


def cache_dir(name: str) -> Path:
    """``$SCIGAN_CACHE/name`` or ``~/.cache/scigan/name``, created: derived data a domain
    computes once (trained autoencoders, reference statistics); never committed."""
    env = os.environ.get("SCIGAN_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "scigan"
    out = root / name
    out.mkdir(parents=True, exist_ok=True)
    return out
