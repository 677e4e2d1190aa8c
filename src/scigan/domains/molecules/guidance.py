"""Property-guided generation helpers: target attainment and best-of-k reward guidance.

Conditional generation (``conditions=[QED, ...]`` + ``--condition QED=0.9``) steers the
generator itself. :func:`best_of_k` steers any trained model towards a user-supplied scoring
function (a Python callable on SMILES, e.g. a docking proxy or a QSAR model) by drawing ``k``
candidates per requested molecule and keeping the best-scoring unique valid ones — simple reward
guidance at sampling time whose cost is k× sampling. :func:`attainment` measures how often
generated molecules reach a target (window or value), to compare guided with unguided models
beside validity, uniqueness and novelty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from scigan.domains.molecules import chem
from scigan.errors import DataError

Target = float | tuple[float, float]


def attainment(smiles: Sequence[str], targets: Mapping[str, Target]) -> dict[str, float]:
    """Per property: mean |value − target| (or distance to the window) and the hit fraction.

    A window ``(lo, hi)`` is hit when lo ≤ value ≤ hi (error = distance to the window); a single
    value reports the mean absolute error only. ``all windows hit`` counts molecules inside every
    window. Hit fractions are over all samples (an invalid molecule is a miss); errors are
    averaged over the valid ones.
    """
    with chem.quiet_rdkit():
        mols = [chem.get_mol(s) for s in smiles]
    valid = [m for m in mols if m is not None]
    if not smiles:
        raise DataError("no molecules to score")
    out: dict[str, float] = {"valid": len(valid) / len(smiles)}
    all_hit = np.ones(len(valid), dtype=bool)
    for name, target in targets.items():
        prop = chem.property_name(name)
        values = np.array([chem.PROPERTIES[prop](m) for m in valid])
        if isinstance(target, tuple):
            lo, hi = target
            err = np.maximum(lo - values, 0) + np.maximum(values - hi, 0)
            hit = err == 0
            all_hit &= hit
            out[f"{prop} in [{lo}, {hi}]"] = float(hit.sum() / len(smiles))
        else:
            err = np.abs(values - float(target))
        out[f"{prop} mean error"] = float(err.mean()) if len(err) else float("nan")
    if any(isinstance(t, tuple) for t in targets.values()):
        out["all windows hit"] = float(all_hit.sum() / len(smiles))
    return out


def best_of_k(
    sample: Callable[[int, int], list[str]],
    score: Callable[[str], float],
    n: int,
    *,
    k: int = 10,
    seed: int = 0,
) -> list[str]:
    """The ``n`` highest-scoring unique valid molecules among ``n·k`` samples.

    Args:
        sample: ``sample(count, seed) -> SMILES``, e.g. ``lambda c, s: gan.sample(c, seed=s)``.
        score: higher is better; called on canonical SMILES of valid molecules only.
        n: molecules to return (fewer if not enough unique valid candidates).
        k: oversampling factor (cost: n·k samples and scores).
    """
    if n < 1 or k < 1:
        raise DataError(f"n ({n}) and k ({k}) must be positive")
    with chem.quiet_rdkit():
        canon = {c for c in chem.canonical_many(sample(n * k, seed)) if c is not None}
    ranked = sorted(canon, key=lambda s: (-float(score(s)), s))
    return ranked[:n]
