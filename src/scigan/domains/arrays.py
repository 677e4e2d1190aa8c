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

Conditions are optionally log-transformed (incident energy) and standardised per column. The
standardisation of D's observable features (``info["model"]["observables"]``, see
:func:`scigan.core.nets.observables`) is fitted here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from scigan.core.nets import OutputSpan, observables
from scigan.domains.base import AbstractEncoder, Dataset, as_float_tensor, check_finite
from scigan.errors import DataError


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
        self.symmetric_: bool = False
        self.cond_names_: list[str] = []
        self.cond_transform_: str = "identity"
        self.cond_mean_: list[float] = []
        self.cond_std_: list[float] = []
        self.cond_values_: list[list[float]] = []
        self.observables_: str = "none"
        self.obs_mean_: list[float] = []
        self.obs_std_: list[float] = []

    # ------------------------------------------------------------------ fitting
    def fit(self, dataset: Dataset) -> ArrayEncoder:
        x = np.asarray(dataset.samples, dtype=np.float64)
        model = dataset.info.get("model", {})
        self.shape_ = list(x.shape[1:])
        self.transform_ = model.get("transform", "standard")
        self.periodic_ = list(model.get("periodic", [False] * (x.ndim - 2)))
        self.symmetric_ = bool(model.get("symmetric", False))
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
        self._fit_observables(dataset, model.get("observables", "none"))
        return self

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

    def _fit_observables(self, dataset: Dataset, kind: str) -> None:
        """Standardisation of D's observable features on the encoded training data.

        The scale is the pooled *within-condition* standard deviation (per T for Ising), the
        spread that D must resolve; the mean is the overall mean.
        """
        self.observables_ = kind
        if kind == "none":
            return
        if self.shape_ is None or len(self.shape_) != 3 or self.shape_[0] != 1:
            raise DataError(
                f"observables={kind} needs single-channel 2-D fields, got {self.shape_}"
            )
        x = self.encode(dataset.samples)
        with torch.no_grad():
            feats = torch.cat([observables(b, kind) for b in torch.split(x, 1024)]).double().numpy()
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

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if self.transform_ == "log1p":
            return np.log1p(x)
        if self.transform_ == "energy":
            return np.log1p(np.maximum(x, 0.0) / self.scale_)
        if self.transform_ == "counts":
            return np.log1p(np.maximum(x, 0.0))
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
        return as_float_tensor((self._forward(x) - mean) / std)

    def decode(self, x: Tensor) -> np.ndarray:
        y = x.detach().double().numpy()
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
        c = (self._cond_forward(c) - np.asarray(self.cond_mean_)) / np.asarray(self.cond_std_)
        return torch.from_numpy(c.astype(np.float32))

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
            "observables": self.observables_,
            "obs_mean": self.obs_mean_,
            "obs_std": self.obs_std_,
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
        self.observables_ = str(state.get("observables", "none"))
        self.obs_mean_ = [float(v) for v in state.get("obs_mean", [])]
        self.obs_std_ = [float(v) for v in state.get("obs_std", [])]
