"""Points ↔ tensors: per-column standardisation (the generator works in unit scale)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from torch import Tensor

from scigan.core.nets import OutputSpan
from scigan.domains.base import AbstractEncoder, Dataset, as_float_tensor


class PointEncoder(AbstractEncoder):
    """x → (x − mean) / scale with one global scale (keeps the geometry isotropic)."""

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: float | None = None

    def fit(self, dataset: Dataset) -> PointEncoder:
        x = np.asarray(dataset.samples, dtype=np.float64)
        self.mean_ = x.mean(axis=0)
        self.scale_ = float(x.std(axis=0).max()) or 1.0
        return self

    def encode(self, samples: Any) -> Tensor:
        return as_float_tensor((np.asarray(samples, dtype=np.float64) - self.mean_) / self.scale_)

    def decode(self, x: Tensor) -> np.ndarray:
        return x.detach().double().numpy() * self.scale_ + self.mean_

    def output_spans(self) -> list[OutputSpan]:
        return [OutputSpan(len(self.mean_), "identity")]

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean_.tolist(), "scale": self.scale_}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.mean_ = np.asarray(state["mean"], dtype=np.float64)
        self.scale_ = float(state["scale"])
