"""Fields ↔ tensors: the shared array encoder, with the transform each dataset asks for.

:class:`FieldEncoder` is :class:`scigan.domains.arrays.ArrayEncoder` (value transforms,
per-channel standardisation, condition scaling, observable standardisation); the fields
datasets choose in ``info["model"]`` (``data.py``):

* ``ising2d``: ``spin`` (±1; tanh head, decoded by the sign), periodic axes, the Z₂ symmetry,
  D's ``ising`` observables; conditions ``T``.
* ``grf``: ``standard``; ``lognormal``: ``log1p`` (δ > −1 is exactly the Gaussian field); both
  periodic, with D's ``spectrum`` observables.
* ``calo``: ``energy`` (sparse, non-negative voxels spanning decades), periodic angle;
  conditions ``E`` log-transformed.
* ``cellgrowth``: ``counts`` (non-negative integers).
* user arrays: ``--set transform=…`` (default ``standard``), ``periodic``, ``cond_names``.
"""

from __future__ import annotations

from scigan.domains.arrays import ArrayEncoder


class FieldEncoder(ArrayEncoder):
    """The fields domain's encoder: :class:`~scigan.domains.arrays.ArrayEncoder` as it is."""
