"""Arrays ↔ tensors for the shared convolutional nets: value transforms and condition scaling.

:class:`ArrayEncoder` serves every domain whose samples are arrays (N, C, H, W) or (N, C, L)
that :class:`~scigan.core.nets.ConvGenerator` draws and
:class:`~scigan.core.nets.ConvDiscriminator` judges: the ``fields`` domain's encoder is this one;
the ``proteins`` domain's distance-map encoder builds on it. Not a domain: a shared module below
them (domains never import each other).

Transforms (chosen per dataset in ``info["model"]["transform"]``):

* ``spin``     ±1 spins; the generator ends in tanh and :meth:`ArrayEncoder.decode` takes the sign.
* ``standard`` (x − mean_c) / std_c per channel; identity head.
* ``log1p``    log(1 + x) for log-normal overdensities δ > −1 (exactly the Gaussian field),
               then standardised; decode expm1.
* ``energy``   log(1 + x / s) for non-negative, sparse energies spanning decades (s = a tenth of
               the 1st percentile of the non-zero values); decoded values below half that
               percentile are set to zero, which restores the sparsity.
* ``counts``   log(1 + x) for molecule counts; decode rounds to non-negative integers.

``total`` (``info["model"]["total"]``, energies with one log-transformed condition, the incident
energy): the generator builds its output from a generated deposited fraction r = Σ x / E_inc
and the voxels' shares of it (:class:`~scigan.core.nets.ConvGenerator`'s ``total`` head); the
encoder fits the mean and spread of log r on the training data (:attr:`ArrayEncoder.total_head`).

Conditions are optionally log-transformed (incident energy) and standardised per column. The
standardisation of D's observable features (``info["model"]["observables"]``, see
:func:`scigan.core.nets.observables`) is fitted here too.

Requested conditions are checked against what the encoder learnt (saved in ``encoder.json``):
a value outside its physical domain (``info["model"]["cond_domains"]``: ``positive`` — a
temperature, an energy — or ``fraction``; any condition named ``T``/``temperature`` is
positive) is refused with a :class:`~scigan.errors.DataError`, and one outside the training
range (the observed one, widened to ``info["model"]["cond_ranges"]`` where a simulator drew
from a declared range) warns with :class:`ExtrapolationWarning`, naming the value, the range
and the distance. Encoders saved before these existed load without them: no range check, and
the domains by name.

Array files (``.npy``, ``.npz``, HDF5) are checked before they are read
(:func:`check_npy_file`, :func:`check_npz_file`, :func:`check_h5_dataset`): a regular file
only, and the shape its header declares against :func:`scigan.limits.memory_limit`, so a
192-byte file declaring 10**11 rows is refused in milliseconds, not allocated.
"""

from __future__ import annotations

import math
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.lib import format as npy_format
from torch import Tensor

from scigan.core.nets import (
    ANSCOMBE_ZERO,
    SERIES_OBSERVABLES,
    OutputSpan,
    anscombe_counts,
    observables,
)
from scigan.domains.base import (
    AbstractEncoder,
    Dataset,
    as_float_tensor,
    check_finite,
    warn_extrapolation,
)
from scigan.errors import DataError
from scigan.limits import check_allocation, check_readable_file

HELD_BYTES = 8  # bytes per value as scigan holds user arrays (float64 while fitting)


# ---------------------------------------------------------------------------- condition domains
# The physical domain of a condition: "real" (any finite value), "positive" (> 0) or
# "fraction" (in [0, 1]), with what the condition is, for the message.
COND_DOMAINS = ("real", "positive", "fraction")


def default_cond_domain(name: str, cond_transform: str) -> tuple[str, str]:
    """The domain of a condition nobody declared: a temperature (named ``T`` or
    ``temperature``) or a log-transformed condition is positive; anything else is real."""
    if name == "T" or name.lower() == "temperature":
        return "positive", "a temperature"
    if cond_transform == "log":
        return "positive", "it is log-transformed"
    return "real", ""


def _outside_domain(kind: str, v: np.ndarray) -> np.ndarray:
    if kind == "positive":
        return ~(v > 0)
    if kind == "fraction":
        return ~((v >= 0) & (v <= 1))
    return np.zeros(v.shape, dtype=bool)


def _domain_rule(name: str, kind: str, meaning: str) -> str:
    rule = {"positive": "> 0", "fraction": "in [0, 1]"}[kind]
    return f"{name} must be {rule}" + (f" ({meaning})" if meaning else "")


def _num(v: float) -> str:
    return f"{float(v):.6g}"


# ---------------------------------------------------------------------------- array files
def check_array_path(path: Path) -> int:
    """``path`` must be a regular file (a FIFO would hang the reader, a device fill memory);
    its size in bytes. Its size is not capped here: the shape its header declares is."""
    return check_readable_file(path, DataError, limit=sys.maxsize)


def _read_header(fh: Any) -> tuple[tuple[int, ...], np.dtype] | None:
    """(shape, dtype) of the ``.npy`` stream at ``fh``; None when it does not parse (left to
    ``np.load``, which reports it without allocating)."""
    try:
        version = npy_format.read_magic(fh)
        read = (
            npy_format.read_array_header_1_0
            if version == (1, 0)
            else npy_format.read_array_header_2_0  # 3.0 differs only in the header's encoding
        )
        shape, _fortran, dtype = read(fh)
    except (ValueError, EOFError, OSError, SyntaxError, TypeError):
        return None
    return tuple(int(s) for s in shape), dtype


def _check_declared(
    where: str, shape: tuple[int, ...], dtype: np.dtype, held: int, stored: int
) -> None:
    """The declared array against the memory limit (as held, ``held`` bytes a value) and
    against the ``stored`` bytes the file holds after the header."""
    if dtype.hasobject:
        return  # refused by np.load(allow_pickle=False) with the pickle message
    check_allocation(shape, max(dtype.itemsize, held), where, DataError)
    need = dtype.itemsize * math.prod(shape)
    if need > stored:
        raise DataError(
            f"{where}: not a readable array (the header declares shape {shape}, {need} bytes, "
            f"but the file holds {stored}); the file is truncated — save it again with np.save"
        )


def check_npy_file(path: Path, *, held: int = HELD_BYTES) -> tuple[int, ...] | None:
    """Before ``np.load``: a regular file whose header's shape fits in memory (as held,
    ``held`` bytes a value) and in the file. Returns the declared shape (None: unparsable)."""
    size = check_array_path(path)
    try:
        with path.open("rb") as fh:
            header = _read_header(fh)
            offset = fh.tell()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror}); check the path") from None
    if header is None:
        return None
    _check_declared(str(path), *header, held, size - offset)
    return header[0]


def check_npz_file(
    path: Path, members: Sequence[str], *, held: int = HELD_BYTES
) -> dict[str, tuple[int, ...]]:
    """Before ``np.load``: a regular file, and each of ``members`` present in the archive
    declares a shape that fits in memory and in its zip entry. Returns {member: shape}; an
    archive or member that does not parse is left to ``np.load``."""
    check_array_path(path)
    declared: dict[str, tuple[tuple[int, ...], np.dtype, int]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            entries = {i.filename: i for i in zf.infolist()}
            for name in members:
                info = entries.get(f"{name}.npy")
                if info is None:
                    continue
                with zf.open(info) as fh:
                    header = _read_header(fh)
                    offset = fh.tell()
                if header is not None:
                    declared[name] = (*header, info.file_size - offset)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        pass  # not a zip archive, or a damaged one: np.load says so
    for name, (shape, dtype, stored) in declared.items():
        _check_declared(f"{path} (array '{name}')", shape, dtype, held, stored)
    return {name: d[0] for name, d in declared.items()}


def check_h5_dataset(dataset: Any, where: str, *, held: int = HELD_BYTES) -> None:
    """An h5py dataset's declared shape against the memory limit, before ``dataset[()]``."""
    shape = tuple(int(s) for s in (dataset.shape or ()))
    check_allocation(shape, max(int(dataset.dtype.itemsize), held), where, DataError)


class ArrayEncoder(AbstractEncoder):
    """Encodes (N, C, H, W) or (N, C, L) arrays; the generator outputs exactly that shape."""

    def __init__(self) -> None:
        self.shape_: list[int] | None = None
        self.transform_: str = "standard"
        self.mean_: list[float] = []
        self.std_: list[float] = []
        self.scale_: float = 1.0
        self.threshold_: float = 0.0
        self.periodic_: list[bool] = []
        self.axes_: list[int] | None = None  # the networks' order of the data's axes
        self.roll_: bool = False  # G's output at a random rotation on its periodic axes
        self.cut_: bool = False  # G's output through the decoding's sparsity cut
        self.symmetric_: bool = False
        self.cond_names_: list[str] = []
        self.cond_transform_: str = "identity"
        self.cond_mean_: list[float] = []
        self.cond_std_: list[float] = []
        self.cond_values_: list[list[float]] = []
        self.cond_min_: list[float] = []  # raw training range per condition ([]: not saved)
        self.cond_max_: list[float] = []
        self.cond_domains_: list[list[str]] = []  # per condition [kind, meaning]
        self.observables_: str = "none"
        self.obs_mean_: list[float] = []
        self.obs_std_: list[float] = []
        self.total_: bool = False
        self.upsample_: str = "nearest"  # the generator's up-sampling (core.nets.UPSAMPLE)
        self.film_: bool = False  # G's blocks scale their features by the condition (FiLM)
        self.equivariant_: bool = False  # G without preferred positions (core.nets)
        self.full_depth_: int = 0  # G's residual blocks at full resolution
        self.split_: bool = False  # one generator per condition value
        self.split_d_: bool = False  # one discriminator per condition value
        self.spectral_noise_: bool = False  # G adds white noise through a learned filter
        self.spectral_filter_: bool = False  # G's output through a learned radial filter
        self.obs_cond_: bool = False  # D's observable MLP also reads the condition
        self.logr_mean_: float = 0.0
        self.logr_std_: float = 1.0

    # ------------------------------------------------------------------ fitting
    def fit(self, dataset: Dataset) -> ArrayEncoder:
        x = np.asarray(dataset.samples, dtype=np.float64)
        model = dataset.info.get("model", {})
        self.shape_ = list(x.shape[1:])
        self.transform_ = model.get("transform", "standard")
        self.periodic_ = list(model.get("periodic", [False] * (x.ndim - 2)))
        self.axes_ = self._check_axes(model.get("axes"), x.ndim - 1)
        self.roll_ = bool(model.get("roll", False))
        self.cut_ = bool(model.get("cut", False))
        if self.cut_ and self.transform_ != "energy":
            raise DataError(
                f"cut=true needs energies (transform=energy), got transform={self.transform_}"
            )
        self.symmetric_ = bool(model.get("symmetric", False))
        self.upsample_ = str(model.get("upsample", "nearest"))
        self.film_ = bool(model.get("film", False))
        self.equivariant_ = bool(model.get("equivariant", False))
        self.full_depth_ = int(model.get("full_depth", 0))
        self.split_ = bool(model.get("split", False))
        self.split_d_ = bool(model.get("split_d", False))
        self.spectral_noise_ = bool(model.get("spectral_noise", False))
        self.spectral_filter_ = bool(model.get("spectral_filter", False))
        self.obs_cond_ = bool(model.get("obs_cond", False))
        if self.transform_ == "energy":
            pos = x[x > 0]
            p1 = float(np.percentile(pos, 1)) if pos.size else 1.0
            self.scale_, self.threshold_ = 0.1 * p1, 0.5 * p1
        y = self._forward(x)
        axes = (0, *range(2, x.ndim))
        if self.transform_ == "standard":
            self.mean_ = y.mean(axis=axes).tolist()
            self.std_ = [float(s) or 1.0 for s in y.std(axis=axes)]
        elif self.transform_ == "spin":
            self.mean_, self.std_ = [0.0], [1.0]
        else:
            self.mean_, self.std_ = [float(y.mean())], [float(y.std()) or 1.0]
        self._fit_conditions(dataset, model)
        self._fit_total(dataset, x, bool(model.get("total", False)))
        self._fit_observables(dataset, model.get("observables", "none"))
        return self

    def _fit_total(self, dataset: Dataset, x: np.ndarray, total: bool) -> None:
        """Mean and spread of log(Σ x / E_inc) for the generator's ``total`` head."""
        self.total_ = total
        if not total:
            return
        if self.transform_ != "energy" or self.cond_dim != 1 or self.cond_transform_ != "log":
            raise DataError(
                f"total=true needs energies (transform=energy) and one log-transformed "
                f"condition, the incident energy; got transform={self.transform_}, "
                f"{self.cond_dim} condition(s) with cond_transform={self.cond_transform_}"
            )
        e_inc = np.asarray(dataset.conditions, dtype=np.float64).reshape(len(x))
        deposit = x.reshape(len(x), -1).sum(axis=1)
        if not (deposit > 0).all():
            row = int(np.flatnonzero(~(deposit > 0))[0])
            raise DataError(
                f"total=true: sample {row} deposits no energy; drop empty samples or train "
                f"with --set total=false"
            )
        logr = np.log(deposit / e_inc)
        self.logr_mean_, self.logr_std_ = float(logr.mean()), float(logr.std()) or 1.0

    @property
    def total_head(self) -> list[float] | None:
        """(mean, std, scale, cond_mean, cond_std, logr_mean, logr_std, cut) for the
        generator's condition-aware energy head, or None when ``total`` is off; ``cut`` is
        the decoding's sparsity threshold as log(1 + threshold / scale)."""
        if not self.total_:
            return None
        return [
            self.mean_[0],
            self.std_[0],
            self.scale_,
            self.cond_mean_[0],
            self.cond_std_[0],
            self.logr_mean_,
            self.logr_std_,
            math.log1p(self.threshold_ / self.scale_),
        ]

    def _fit_conditions(self, dataset: Dataset, model: Mapping[str, Any]) -> None:
        """Names, transform and standardisation of the raw conditions (None: unconditional)."""
        if dataset.conditions is None:
            return
        raw = np.asarray(dataset.conditions, dtype=np.float64).reshape(len(dataset), -1)
        width = raw.shape[1]
        self.cond_names_ = list(model.get("cond_names") or [f"c{i}" for i in range(width)])
        self.cond_transform_ = model.get("cond_transform", "identity")
        c = self._cond_forward(raw)
        self.cond_mean_ = c.mean(axis=0).tolist()
        self.cond_std_ = [float(s) or 1.0 for s in c.std(axis=0)]
        uniq = np.unique(raw, axis=0)
        self.cond_values_ = uniq.tolist() if len(uniq) <= 64 else []
        # the training range: the observed one, widened to the range a simulator drew from
        # (calo: E log-uniform in [e_min, e_max]) where the dataset declares it
        ranges = model.get("cond_ranges") or {}
        lo, hi = raw.min(axis=0), raw.max(axis=0)
        for j, name in enumerate(self.cond_names_):
            if name in ranges:
                lo[j], hi[j] = min(lo[j], ranges[name][0]), max(hi[j], ranges[name][1])
        self.cond_min_, self.cond_max_ = lo.tolist(), hi.tolist()
        self.cond_domains_ = self._fit_domains(raw, model.get("cond_domains") or {})

    def _fit_domains(self, raw: np.ndarray, declared: Mapping[str, Any]) -> list[list[str]]:
        """Each condition's physical domain: declared by the dataset (its training values must
        lie inside), else :func:`default_cond_domain` — dropped to real when the training
        values fall outside it (a ``T`` that is a time, say)."""
        unknown = sorted(set(declared) - set(self.cond_names_))
        if unknown:
            raise DataError(f"cond_domains name unknown conditions {unknown}")
        out = []
        for j, name in enumerate(self.cond_names_):
            if name in declared:
                kind, meaning = declared[name]
                if kind not in COND_DOMAINS:
                    raise DataError(f"cond_domains: {name}={kind!r}; use one of {COND_DOMAINS}")
                bad = np.flatnonzero(_outside_domain(kind, raw[:, j]))
                if len(bad):
                    raise DataError(
                        f"training condition {name}={_num(raw[bad[0], j])} at row {bad[0]} is "
                        f"not physical: {_domain_rule(name, kind, meaning)}; fix the data"
                    )
            else:
                kind, meaning = default_cond_domain(name, self.cond_transform_)
                if _outside_domain(kind, raw[:, j]).any():
                    kind, meaning = "real", ""
            out.append([str(kind), str(meaning)])
        return out

    def _fit_observables(self, dataset: Dataset, kind: str) -> None:
        """Standardisation of D's observable features on the encoded training data.

        The scale is the pooled *within-condition* standard deviation (per T for Ising), the
        spread that D must resolve; the mean is the overall mean.
        """
        self.observables_ = kind
        if kind == "none":
            return
        if kind == "layers":
            if self.transform_ != "energy" or self.shape_ is None or len(self.shape_) < 2:
                raise DataError(
                    f"observables=layers needs energies (transform=energy) with a channel per "
                    f"layer, got transform={self.transform_} and shape {self.shape_}"
                )
            if self.axes_ is not None:
                raise DataError(
                    f"observables=layers reads the networks' channels as layers, and "
                    f"axes={self.axes_} moves the layers off the channels: add --set axes=none"
                )
        elif kind in SERIES_OBSERVABLES:
            if self.shape_ is None or len(self.shape_) != 2 or self.shape_[0] != 1:
                raise DataError(
                    f"observables=series needs single-channel series (1, L), got {self.shape_}"
                )
        elif self.shape_ is None or len(self.shape_) != 3 or self.shape_[0] != 1:
            raise DataError(
                f"observables={kind} needs single-channel 2-D fields, got {self.shape_}"
            )
        x = self.encode(dataset.samples)
        energy, counts = self.obs_energy, self.obs_counts
        with torch.no_grad():
            feats = (
                torch.cat(
                    [observables(self._physical(b, energy, counts), kind) for b in x.split(1024)]
                )
                .double()
                .numpy()
            )
        groups = np.zeros(len(feats), dtype=np.int64)
        if dataset.conditions is not None:
            raw = np.asarray(dataset.conditions, dtype=np.float64).reshape(len(feats), -1)
            _, groups = np.unique(raw, axis=0, return_inverse=True)
            groups = groups.reshape(-1)
            if groups.max() + 1 > len(feats) // 4:  # continuous conditions: no pooling
                groups = np.zeros(len(feats), dtype=np.int64)
        resid = feats.copy()
        for g in np.unique(groups):
            resid[groups == g] -= feats[groups == g].mean(axis=0)
        self.obs_mean_ = feats.mean(axis=0).tolist()
        self.obs_std_ = [float(s) if s > 1e-6 else 1.0 for s in resid.std(axis=0)]

    @property
    def obs_energy(self) -> list[float] | None:
        """(mean, std, scale) that turn D's encoded input back into energies for the
        ``layers`` observables (:class:`~scigan.core.nets.ObservableFeatures`), else None."""
        if self.observables_ != "layers" or self.energy_decode is None:
            return None
        return self.energy_decode[:3]

    @property
    def energy_decode(self) -> list[float] | None:
        """(mean, std, scale, threshold) of the ``energy`` transform, from which
        :func:`scigan.domains.fields.matching.physical_energies` decodes encoded voxels as
        :meth:`decode` does; None for other transforms."""
        if self.transform_ != "energy":
            return None
        return [self.mean_[0], self.std_[0], self.scale_, self.threshold_]

    @property
    def sparse_cut(self) -> list[float] | None:
        """(level, zero) of G's straight-through sparsity cut in the encoded space (``cut``):
        encoded values below ``level`` decode below the threshold, that is to 0; ``zero`` is
        the encoding of an empty voxel. None when ``cut`` is off."""
        if not self.cut_:
            return None
        mean, std = self.mean_[0], self.std_[0]
        return [
            (math.log1p(self.threshold_ / self.scale_) - mean) / std,
            (0.0 - mean) / std,
        ]

    @property
    def obs_counts(self) -> list[float] | None:
        """(mean, std) that turn D's encoded input back into counts for the ``series``
        observables of Anscombe-transformed counts (:func:`scigan.core.nets.anscombe_counts`),
        else None: the observables are then computed on the encoded values."""
        if self.observables_ not in SERIES_OBSERVABLES or self.transform_ != "anscombe":
            return None
        return [self.mean_[0], self.std_[0]]

    @staticmethod
    def _physical(
        x: Tensor, energy: list[float] | None, counts: list[float] | None = None
    ) -> Tensor:
        if counts is not None:
            return anscombe_counts(x, *counts)
        if energy is None:
            return x
        mean, std, scale = energy
        return scale * torch.expm1(torch.relu(x * std + mean))

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if self.transform_ == "log1p":
            return np.log1p(x)
        if self.transform_ == "energy":
            return np.log1p(np.maximum(x, 0.0) / self.scale_)
        if self.transform_ == "counts":
            return np.log1p(np.maximum(x, 0.0))
        if self.transform_ == "anscombe":
            return 2.0 * np.sqrt(np.maximum(x, 0.0) + 0.375)
        return x

    def _cond_forward(self, c: np.ndarray) -> np.ndarray:
        if c.ndim == 1:
            c = c[:, None]
        if self.cond_transform_ == "log":
            if (c <= 0).any():
                raise DataError("conditions must be positive (they are log-transformed)")
            return np.log(c)
        return c

    # ------------------------------------------------------------------ encode / decode
    def _stats(self, ndim: int) -> tuple[np.ndarray, np.ndarray]:
        shape = (1, -1) + (1,) * (ndim - 2)
        return (
            np.asarray(self.mean_).reshape(shape),
            np.asarray(self.std_).reshape(shape),
        )

    def encode(self, samples: Any) -> Tensor:
        x = np.asarray(samples, dtype=np.float64)
        if list(x.shape[1:]) != self.shape_:
            raise DataError(f"fields of shape {list(x.shape[1:])} do not match {self.shape_}")
        mean, std = self._stats(x.ndim)
        t = as_float_tensor((self._forward(x) - mean) / std)
        return t if self.axes_ is None else t.permute(0, *(a + 1 for a in self.axes_))

    @staticmethod
    def _check_axes(axes: Any, ndim: int) -> list[int] | None:
        if axes is None:
            return None
        ok = isinstance(axes, list | tuple) and all(type(a) is int for a in axes)
        if not ok or sorted(axes) != list(range(ndim)):
            raise DataError(
                f"axes={axes!r} must order the {ndim} axes of a sample (0 = channels), e.g. "
                f"{list(range(ndim))[::-1]}"
            )
        return [int(a) for a in axes]

    @property
    def net_shape(self) -> list[int]:
        """The shape (C, …) the networks draw and judge: the data's, its axes reordered by
        ``axes`` (the calorimeter's (layer, angle, radius) is drawn as radial channels over a
        (layer, angle) plane, so that convolutions run along the shower's depth)."""
        assert self.shape_ is not None
        return self.shape_ if self.axes_ is None else [self.shape_[a] for a in self.axes_]

    @property
    def net_periodic(self) -> list[bool]:
        """Periodic flags of the networks' spatial axes (the data's channel axis is not)."""
        if self.axes_ is None:
            return self.periodic_
        flags = [False, *self.periodic_]
        return [flags[a] for a in self.axes_[1:]]

    def to_data_layout(self, x: Tensor) -> Tensor:
        """Encoded tensors in the networks' layout (B, *net_shape) → the data's axis order."""
        if self.axes_ is None:
            return x
        return x.permute(0, *(int(i) + 1 for i in np.argsort(self.axes_)))

    def decode(self, x: Tensor) -> np.ndarray:
        y = self.to_data_layout(x.detach()).double().numpy()
        if self.transform_ == "spin":
            return np.where(y >= 0, 1.0, -1.0).astype(np.float32)
        mean, std = self._stats(y.ndim)
        y = y * std + mean
        if self.transform_ == "log1p":
            return np.expm1(y).astype(np.float32)
        if self.transform_ == "energy":
            e = self.scale_ * np.expm1(np.maximum(y, 0.0))
            return np.where(e < self.threshold_, 0.0, e).astype(np.float32)
        if self.transform_ == "counts":
            return np.rint(np.maximum(np.expm1(y), 0.0)).astype(np.float32)
        if self.transform_ == "anscombe":
            u = np.maximum(y, ANSCOMBE_ZERO)  # below the image of 0: zero counts
            return np.rint(np.maximum(u * u / 4.0 - 0.375, 0.0)).astype(np.float32)
        return y.astype(np.float32)

    def output_spans(self) -> list[OutputSpan]:
        return [
            OutputSpan(
                int(np.prod(self.shape_)), "tanh" if self.transform_ == "spin" else "identity"
            )
        ]

    # ------------------------------------------------------------------ conditions
    @property
    def cond_dim(self) -> int:
        return len(self.cond_mean_)

    def encode_conditions(self, conditions: Any) -> Tensor | None:
        if conditions is None:
            return None
        if not self.cond_dim:
            raise DataError("this model is unconditional; do not pass conditions")
        c = np.asarray(conditions, dtype=np.float64)
        if c.ndim == 1:
            c = c[:, None]
        if c.ndim != 2 or c.shape[1] != self.cond_dim:
            raise DataError(
                f"conditions must have shape (N, {self.cond_dim}) for "
                f"{', '.join(self.cond_names_)}, got {c.shape}"
            )
        check_finite(c, "conditions")
        self.check_conditions(c, "conditions")
        self._warn_extrapolation(c)
        c = (self._cond_forward(c) - np.asarray(self.cond_mean_)) / np.asarray(self.cond_std_)
        return torch.from_numpy(c.astype(np.float32))

    def decode_conditions(self, cond: Tensor) -> np.ndarray:
        """The inverse of :meth:`encode_conditions`; snapped to the training conditions when
        there are few of them (Ising temperatures), so a written ``cond`` is exact."""
        c = cond.detach().cpu().numpy().astype(np.float64)
        c = c * np.asarray(self.cond_std_) + np.asarray(self.cond_mean_)
        if self.cond_transform_ == "log":
            c = np.exp(c)
        if self.cond_values_:
            values = np.asarray(self.cond_values_, dtype=np.float64)
            nearest = np.abs(c[:, None, :] - values[None, :, :]).sum(-1).argmin(1)
            c = values[nearest]
        return c

    def _domains(self) -> list[list[str]]:
        if len(self.cond_domains_) == len(self.cond_names_):
            return self.cond_domains_
        # a run saved before domains were recorded: the rule by name and transform
        return [list(default_cond_domain(c, self.cond_transform_)) for c in self.cond_names_]

    def check_conditions(self, conditions: np.ndarray, where: str) -> None:
        """Refuse raw (N, C) conditions outside a condition's physical domain (a DataError
        naming the condition, the value and the rule); ``where`` starts the message."""
        c = np.asarray(conditions, dtype=np.float64).reshape(len(conditions), -1)
        for j, (kind, meaning) in enumerate(self._domains()):
            if j >= c.shape[1]:
                break
            bad = np.flatnonzero(_outside_domain(kind, c[:, j]))
            if len(bad):
                name = self.cond_names_[j]
                raise DataError(
                    f"{where}: {name}={_num(c[bad[0], j])} is not physical: "
                    f"{_domain_rule(name, kind, meaning)}"
                )

    def _warn_extrapolation(self, c: np.ndarray) -> None:
        """An :class:`ExtrapolationWarning` per condition with values outside the training
        range, naming the farthest value and by how much it lies outside."""
        if len(self.cond_min_) != self.cond_dim or len(self.cond_max_) != self.cond_dim:
            return  # a run saved before the range was recorded
        for j, name in enumerate(self.cond_names_):
            warn_extrapolation(
                name,
                c[:, j],
                self.cond_min_[j],
                self.cond_max_[j],
                consequence="samples there are not checked against physics",
            )

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        return {
            "shape": self.shape_,
            "transform": self.transform_,
            "mean": self.mean_,
            "std": self.std_,
            "scale": self.scale_,
            "threshold": self.threshold_,
            "periodic": self.periodic_,
            "symmetric": self.symmetric_,
            "cond_names": self.cond_names_,
            "cond_transform": self.cond_transform_,
            "cond_mean": self.cond_mean_,
            "cond_std": self.cond_std_,
            "cond_values": self.cond_values_,
            "cond_min": self.cond_min_,
            "cond_max": self.cond_max_,
            "cond_domains": self.cond_domains_,
            "observables": self.observables_,
            "obs_mean": self.obs_mean_,
            "obs_std": self.obs_std_,
            "total": self.total_,
            "upsample": self.upsample_,
            "film": self.film_,
            "equivariant": self.equivariant_,
            "full_depth": self.full_depth_,
            "split": self.split_,
            "split_d": self.split_d_,
            "spectral_noise": self.spectral_noise_,
            "spectral_filter": self.spectral_filter_,
            "obs_cond": self.obs_cond_,
            "axes": self.axes_,
            "roll": self.roll_,
            "cut": self.cut_,
            "logr_mean": self.logr_mean_,
            "logr_std": self.logr_std_,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.shape_ = [int(s) for s in state["shape"]]
        self.transform_ = str(state["transform"])
        self.mean_ = [float(v) for v in state["mean"]]
        self.std_ = [float(v) for v in state["std"]]
        self.scale_ = float(state["scale"])
        self.threshold_ = float(state["threshold"])
        self.periodic_ = [bool(v) for v in state["periodic"]]
        self.symmetric_ = bool(state["symmetric"])
        self.cond_names_ = [str(v) for v in state["cond_names"]]
        self.cond_transform_ = str(state["cond_transform"])
        self.cond_mean_ = [float(v) for v in state["cond_mean"]]
        self.cond_std_ = [float(v) for v in state["cond_std"]]
        self.cond_values_ = [[float(v) for v in row] for row in state["cond_values"]]
        # runs saved before these were recorded: no range check, domains by name
        self.cond_min_ = [float(v) for v in state.get("cond_min", [])]
        self.cond_max_ = [float(v) for v in state.get("cond_max", [])]
        self.cond_domains_ = [[str(k), str(m)] for k, m in state.get("cond_domains", [])]
        self.observables_ = str(state.get("observables", "none"))
        self.obs_mean_ = [float(v) for v in state.get("obs_mean", [])]
        self.obs_std_ = [float(v) for v in state.get("obs_std", [])]
        self.total_ = bool(state.get("total", False))  # runs saved before: no total head
        self.upsample_ = str(state.get("upsample", "nearest"))  # runs saved before: nearest
        self.film_ = bool(state.get("film", False))  # runs saved before: additive bias only
        self.equivariant_ = bool(state.get("equivariant", False))  # runs saved before: off
        self.full_depth_ = int(state.get("full_depth", 0))  # runs saved before: none
        self.split_ = bool(state.get("split", False))  # runs saved before: one generator
        self.split_d_ = bool(state.get("split_d", False))  # runs saved before: one critic
        self.spectral_noise_ = bool(state.get("spectral_noise", False))  # runs before: off
        self.spectral_filter_ = bool(state.get("spectral_filter", False))  # runs before: off
        self.obs_cond_ = bool(state.get("obs_cond", False))  # runs saved before: off
        axes = state.get("axes")  # runs saved before: the data's own order
        self.axes_ = None if axes is None else [int(a) for a in axes]
        self.roll_ = bool(state.get("roll", False))  # runs saved before: off
        self.cut_ = bool(state.get("cut", False))  # runs saved before: off
        self.logr_mean_ = float(state.get("logr_mean", 0.0))
        self.logr_std_ = float(state.get("logr_std", 1.0))
