"""Fields ↔ tensors: the shared array encoder, with the transform each dataset asks for.

:class:`FieldEncoder` is :class:`scigan.domains.arrays.ArrayEncoder` (value transforms,
per-channel standardisation, condition scaling, observable standardisation) plus the fields'
own last step of sampling (``sweeps``); the fields datasets choose in ``info["model"]``
(``data.py``):

* ``ising2d``: ``spin`` (±1; tanh head, decoded by the sign), periodic axes, the Z₂ symmetry,
  D's ``ising`` observables; conditions ``T``; ``sweeps`` Metropolis sweeps after decoding.
* ``grf``: ``standard``; ``lognormal``: ``log1p`` (δ > −1 is exactly the Gaussian field); both
  periodic, with D's ``spectrum`` observables.
* ``calo``: ``energy`` (sparse, non-negative voxels spanning decades), periodic angle;
  conditions ``E`` log-transformed.
* ``cellgrowth``: ``anscombe`` (counts as 2√(x + 3/8), decoded by rounding), D's ``series``
  observables on the decoded counts.
* user arrays: ``--set transform=…`` (default ``standard``), ``periodic``, ``cond_names``,
  ``sweeps`` (spin lattices with one condition, the temperature).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from torch import Tensor

from scigan.domains.arrays import ArrayEncoder
from scigan.domains.base import Dataset
from scigan.domains.fields.matching import SCALE as MATCH_SCALE
from scigan.domains.fields.matching import STAT as MATCH_STAT
from scigan.domains.fields.simulators import metropolis_sweep
from scigan.errors import DataError


class FieldEncoder(ArrayEncoder):
    """:class:`~scigan.domains.arrays.ArrayEncoder` plus ``sweeps``: every decoded Ising
    lattice is evolved by that many checkerboard Metropolis sweeps at its own temperature
    (the first condition, in units of J/k_B) before it is returned. The sweeps leave the
    Boltzmann distribution invariant, so they can only move a generated sample towards it;
    with 0 (the default for user data) the samples are the generator's alone.

    It also records the observable matching's ``match_stat`` and ``match_scale``
    (:mod:`matching`) that the run trains with, so that a run resumes with the penalty it
    started with after a default changes (runs saved before session 17 matched ``moments``;
    their scale is not recorded and resumes at today's default), and ``match_obs``, the
    observables the penalty reads when they are not D's (calorimeter showers: ``projections``;
    runs saved before it resume with D's)."""

    def __init__(self) -> None:
        super().__init__()
        self.sweeps_: int = 0
        self.match_stat_: str = MATCH_STAT
        self.match_scale_: str = MATCH_SCALE
        self.match_obs_: str | None = None  # None: the observables D sees

    def fit(self, dataset: Dataset) -> FieldEncoder:
        super().fit(dataset)
        model = dataset.info.get("model", {})
        self.sweeps_ = int(model.get("sweeps", 0))
        self.match_stat_ = str(model.get("match_stat", MATCH_STAT))
        self.match_scale_ = str(model.get("match_scale", MATCH_SCALE))
        self.match_obs_ = model.get("match_obs")
        if self.match_obs_ in ("layers", "projections") and self.transform_ != "energy":
            raise DataError(
                f"match_obs={self.match_obs_} needs energies (transform=energy), got "
                f"transform={self.transform_}; or train with --set match_obs=none"
            )
        if self.sweeps_:
            self._check_sweeps()
        return self

    def _check_sweeps(self) -> None:
        shape = self.shape_ or []
        problem = None
        if self.transform_ != "spin":
            problem = f"spins (transform=spin), got transform={self.transform_}"
        elif len(shape) != 3 or shape[0] != 1 or shape[1] % 2 or shape[2] % 2:
            problem = f"one channel of even-sided lattices (1, L, L), got shape {shape}"
        elif self.periodic_ != [True, True]:
            problem = f"periodic lattices (periodic=true), got periodic={self.periodic_}"
        elif self.cond_dim != 1:
            problem = f"one condition, the temperature T; got {self.cond_dim} conditions"
        if problem:
            raise DataError(f"sweeps={self.sweeps_} needs {problem}; or train with --set sweeps=0")

    def finish(self, samples: Any, cond: Tensor | None, seed: int) -> Any:
        """``sweeps`` checkerboard Metropolis sweeps (J = 1) of each decoded lattice at its
        temperature, the random numbers fixed by ``seed``; unchanged when ``sweeps`` is 0."""
        if not self.sweeps_ or cond is None:
            return samples
        c = cond.detach().cpu().numpy().astype(np.float64)[:, 0]
        c = c * self.cond_std_[0] + self.cond_mean_[0]
        temps = np.round(np.exp(c) if self.cond_transform_ == "log" else c, 12)
        if (temps <= 0).any():
            raise DataError(f"sweeps need temperatures T > 0, got T = {temps.min():g}")
        spins = np.asarray(samples)[:, 0].astype(np.int8)
        rng = np.random.default_rng([seed, 0x5EEB5])
        for t in np.unique(temps):
            rows = np.flatnonzero(temps == t)
            s = spins[rows]
            for _ in range(self.sweeps_):
                metropolis_sweep(s, 1.0 / t, rng)
            spins[rows] = s
        return spins[:, None].astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "sweeps": self.sweeps_,
            "match_stat": self.match_stat_,
            "match_scale": self.match_scale_,
            "match_obs": self.match_obs_,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self.sweeps_ = int(state.get("sweeps", 0))  # runs saved before: no sweeps
        # runs saved before session 17 matched the moments
        self.match_stat_ = str(state.get("match_stat", "moments"))
        self.match_scale_ = str(state.get("match_scale", MATCH_SCALE))
        # runs saved before matched the observables D sees
        self.match_obs_ = state.get("match_obs")
