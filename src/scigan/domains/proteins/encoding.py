"""Cα distance maps ↔ tensors.

A map ``D`` (L × L, Å) is encoded as ``y = (log(1 + D / 3.8 Å) − mean) / std`` on a single
channel: the log spends the network's resolution on short distances (bonds, helix and strand
contacts) where the geometry is strict, and leaves long distances coarse. Maps are zero-padded to
a multiple of 16 (214-residue adenylate kinase → 224) so the convolutional stages halve cleanly;
the generator's head masks the padding, symmetrises its output and pins the diagonal, and
:meth:`DistanceMapEncoder.decode` crops, inverts the transform, symmetrises again (float
rounding), clamps at 0 and zeroes the diagonal — every decoded map is a symmetric, non-negative,
hollow matrix by construction. Conditions (progress coordinate, secondary-structure content) are
standardised by the shared :class:`~scigan.domains.arrays.ArrayEncoder` this encoder builds on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from torch import Tensor

from scigan.core.nets import OutputSpan
from scigan.domains.arrays import ArrayEncoder
from scigan.domains.base import Dataset, as_float_tensor, check_finite
from scigan.domains.proteins import geometry
from scigan.errors import DataError

BOND = 3.8  # Å, the Cα–Cα virtual bond length (trans peptide)
PAD_MULTIPLE = 16
# Å: real Cα pairs three or more residues apart are never closer (0.01st percentile of the
# protein_fragments training windows: 3.9-4.1 Å at every separation; minimum 3.6 Å)
STERIC = 4.0


def padded_size(length: int) -> int:
    """Smallest multiple of 16 ≥ ``length`` (64 → 64, 214 → 224)."""
    return -(-length // PAD_MULTIPLE) * PAD_MULTIPLE


class DistanceMapEncoder(ArrayEncoder):
    """Encodes (N, L, L) distance maps in Å as (N, 1, Lp, Lp) standardised log-distances."""

    def __init__(self) -> None:
        super().__init__()
        self.length_: int = 0
        self.padded_: int = 0
        self.fix_bonds_: bool = True
        self.band_critic_: int = 4
        self.head_: str = "chain"
        self.bonds_: list[float] = []  # per-bond lengths (Å) of a fixed sequence; [] = 3.8
        self.angle_head_: str = "cosine"  # chain head's map from G's output to θ
        self.geometry_critic_: bool = True  # band critic also reads cos θ, cos τ, sign products
        self.steric_: float = STERIC  # Å: G's loss penalises non-local Cα pairs closer; 0 = off
        self.steric_weight_: float = 1.0  # the steric term's weight in G's loss
        self.steric_min_sep_: int = 2  # the steric term covers pairs at least this far apart
        self.geometry_match_: float = 0.0  # G's local-geometry matching weight
        self.shape_match_: float = 0.0  # G's chain-shape matching weight
        self.bond_weight_: float = 0.0  # G's bond-length term (the template head's bonds)
        self.template_: list[list[float]] = []  # template head: (L, 3) Å medoid frame
        self.template_scale_: float = 1.0  # template head: Å per unit of G's output

    def fit(self, dataset: Dataset) -> DistanceMapEncoder:
        d = self._check(dataset.samples, fitted=False)
        self.length_ = d.shape[1]
        self.padded_ = padded_size(self.length_)
        self.shape_ = [1, self.padded_, self.padded_]
        self.transform_ = "log1p"
        self.periodic_ = [False, False]
        off = ~np.eye(self.length_, dtype=bool)
        y = np.log1p(d[:, off] / BOND)
        self.mean_, self.std_ = [float(y.mean())], [float(y.std()) or 1.0]
        model = dataset.info.get("model", {})
        self.fix_bonds_ = bool(model.get("fix_bonds", True))
        self.band_critic_ = int(model.get("band_critic", 4))
        self.head_ = str(model.get("head", "chain"))
        self.bonds_ = [float(b) for b in model.get("bonds", [])]
        self.steric_ = float(model.get("steric", STERIC))
        self.steric_weight_ = float(model.get("steric_weight", 1.0))
        self.steric_min_sep_ = int(model.get("steric_min_sep", 2))
        self.geometry_match_ = float(model.get("geometry_match", 0.0))
        self.shape_match_ = float(model.get("shape_match", 0.0))
        self.geometry_critic_ = bool(model.get("geometry_critic", True))
        self.bond_weight_ = float(model.get("bond_weight", 0.0))
        if self.head_ == "template":  # the ensemble's medoid frame and spread around it
            t, spread = geometry.ensemble_template(d, getattr(dataset, "coords", None))
            self.template_ = np.round(t, 4).tolist()
            self.template_scale_ = round(max(spread, 0.1), 4)
        if self.bonds_ and len(self.bonds_) != self.length_ - 1:
            raise DataError(f"model bonds: {len(self.bonds_)} lengths for L = {self.length_}")
        self._fit_conditions(dataset, model)
        return self

    @property
    def bond_value(self) -> float | list[float]:
        """Encoded value of the 3.8 Å virtual bond (or of each per-bond length)."""
        if self.bonds_:
            b = np.asarray(self.bonds_)
            return ((np.log1p(b / BOND) - self.mean_[0]) / self.std_[0]).tolist()
        return (float(np.log(2.0)) - self.mean_[0]) / self.std_[0]

    @property
    def diagonal_value(self) -> float:
        """The encoded value of a zero distance (the diagonal)."""
        return (0.0 - self.mean_[0]) / self.std_[0]

    def _check(self, samples: Any, *, fitted: bool = True) -> np.ndarray:
        d = np.asarray(samples, dtype=np.float64)
        if d.ndim != 3 or d.shape[1] != d.shape[2]:
            raise DataError(f"distance maps must have shape (N, L, L), got {d.shape}")
        if fitted and d.shape[1] != self.length_:
            raise DataError(f"maps of length {d.shape[1]} do not match the model's {self.length_}")
        check_finite(d.reshape(len(d), -1), "distance maps")
        if (d < 0).any():
            raise DataError("distance maps must be non-negative (Å)")
        return d

    def encode(self, samples: Any) -> Tensor:
        d = self._check(samples)
        y = (np.log1p(d / BOND) - self.mean_[0]) / self.std_[0]
        out = np.zeros((len(d), 1, self.padded_, self.padded_), dtype=np.float32)
        out[:, 0, : self.length_, : self.length_] = y
        return as_float_tensor(out)

    def decode(self, x: Tensor) -> np.ndarray:
        y = x.detach().double().numpy()[:, 0, : self.length_, : self.length_]
        y = 0.5 * (y + np.swapaxes(y, 1, 2))
        d = BOND * np.expm1(y * self.std_[0] + self.mean_[0])
        d = np.maximum(d, 0.0)
        d[:, np.arange(self.length_), np.arange(self.length_)] = 0.0
        return d.astype(np.float32)

    def output_spans(self) -> list[OutputSpan]:
        return [OutputSpan(self.padded_ * self.padded_, "identity")]

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "length": self.length_,
            "padded": self.padded_,
            "fix_bonds": self.fix_bonds_,
            "band_critic": self.band_critic_,
            "head": self.head_,
            "bonds": self.bonds_,
            "steric": self.steric_,
            "steric_weight": self.steric_weight_,
            "steric_min_sep": self.steric_min_sep_,
            "geometry_match": self.geometry_match_,
            "shape_match": self.shape_match_,
            "geometry_critic": self.geometry_critic_,
            "angle_head": self.angle_head_,
            "bond_weight": self.bond_weight_,
            "template": self.template_,
            "template_scale": self.template_scale_,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self.length_ = int(state["length"])
        self.padded_ = int(state["padded"])
        self.fix_bonds_ = bool(state["fix_bonds"])
        self.band_critic_ = int(state["band_critic"])
        # runs saved before these options existed drew maps with a uniform 3.8 Å bond
        self.head_ = str(state.get("head", "map"))
        self.bonds_ = [float(b) for b in state.get("bonds", [])]
        self.steric_ = float(state.get("steric", 0.0))  # older runs trained without these
        self.steric_weight_ = float(state.get("steric_weight", 1.0))
        # runs saved before it penalised pairs ≥ 3 apart only (i, i+2 left to the chain head)
        self.steric_min_sep_ = int(state.get("steric_min_sep", 3))
        self.geometry_match_ = float(state.get("geometry_match", 0.0))
        self.shape_match_ = float(state.get("shape_match", 0.0))
        self.geometry_critic_ = bool(state.get("geometry_critic", False))
        self.angle_head_ = str(state.get("angle_head", "sigmoid"))
        self.bond_weight_ = float(state.get("bond_weight", 0.0))
        self.template_ = [[float(v) for v in row] for row in state.get("template", [])]
        self.template_scale_ = float(state.get("template_scale", 1.0))
