"""RDKit and selfies access for the molecules domain: parsing, canonical SMILES, properties.

Every RDKit call of the domain goes through here, so the "install scigan[chem]" error, the
silenced RDKit logger and the MOSES definitions (``get_mol``: parse + sanitise, empty = invalid)
live in one place.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from scigan.errors import MissingDependencyError

FP_BITS = 1024  # MOSES: Morgan radius 2, 1024 bits
FP_RADIUS = 2


def require_rdkit() -> Any:
    """The ``rdkit.Chem`` module, or a MissingDependencyError naming the extra."""
    try:
        from rdkit import Chem, RDLogger
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "the molecules domain needs RDKit: pip install 'scigan[chem]'"
        ) from None
    RDLogger.DisableLog("rdApp.*")  # invalid SMILES are counted, not printed
    return Chem


def require_selfies() -> Any:
    try:
        import selfies
    except ImportError:  # pragma: no cover
        raise MissingDependencyError(
            "SELFIES encoding needs selfies: pip install 'scigan[chem]'"
        ) from None
    return selfies


@contextlib.contextmanager
def quiet_rdkit() -> Iterator[None]:
    """Silence RDKit's C++ logger (it writes to stderr, not Python warnings)."""
    require_rdkit()
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    yield


def get_mol(smiles: str) -> Any:
    """MOSES ``get_mol``: an RDKit molecule, or None for empty / unparsable / unsanitisable."""
    Chem = require_rdkit()
    if not isinstance(smiles, str) or len(smiles) == 0:
        return None
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    try:
        Chem.SanitizeMol(mol)
    except ValueError:
        return None
    return mol


def canonical(smiles: str) -> str | None:
    """Canonical SMILES with the installed RDKit, or None when invalid."""
    mol = get_mol(smiles)
    if mol is None:
        return None
    return require_rdkit().MolToSmiles(mol)


def canonical_many(smiles: Iterable[str]) -> list[str | None]:
    return [canonical(s) for s in smiles]


def to_smiles(mol: Any) -> str:
    return require_rdkit().MolToSmiles(mol)


@functools.cache
def _morgan() -> Any:
    require_rdkit()
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)


def fingerprints(mols: Iterable[Any]) -> np.ndarray:
    """Morgan (r=2, 1024 bits) fingerprints ``(N, 1024)`` uint8 — MOSES' ``fingerprints``.

    The generator API gives the same bits as ``GetMorganFingerprintAsBitVect(mol, 2, 1024)``.
    """
    gen = _morgan()
    rows = [gen.GetFingerprintAsNumPy(m).astype(np.uint8) for m in mols]
    if not rows:
        return np.zeros((0, FP_BITS), dtype=np.uint8)
    return np.stack(rows)


# ---------------------------------------------------------------------------- properties
@functools.cache
def _sascorer() -> Any:
    require_rdkit()
    from rdkit.Contrib.SA_Score import sascorer  # ships inside the RDKit wheel

    return sascorer


def logp(mol: Any) -> float:
    """Crippen logP (Wildman & Crippen 1999)."""
    from rdkit.Chem import Crippen

    return float(Crippen.MolLogP(mol))


def sa(mol: Any) -> float:
    """Synthetic accessibility 1 (easy) … 10 (hard) (Ertl & Schuffenhauer 2009)."""
    return float(_sascorer().calculateScore(mol))


def qed(mol: Any) -> float:
    """Quantitative estimate of drug-likeness 0 … 1 (Bickerton et al. 2012)."""
    from rdkit.Chem.QED import qed as _qed

    return float(_qed(mol))


def weight(mol: Any) -> float:
    """Average molecular weight (Da)."""
    from rdkit.Chem import Descriptors

    return float(Descriptors.MolWt(mol))


PROPERTIES = {"logP": logp, "SA": sa, "QED": qed, "weight": weight}
# Lower-case aliases accepted in options and --condition.
PROPERTY_ALIASES = {"logp": "logP", "sa": "SA", "qed": "QED", "weight": "weight", "mw": "weight"}


def property_name(name: str) -> str:
    from scigan.errors import DataError

    key = PROPERTY_ALIASES.get(str(name).lower())
    if key is None:
        raise DataError(f"unknown molecular property '{name}'; choose from {', '.join(PROPERTIES)}")
    return key


def properties(mols: list[Any], names: Iterable[str] = tuple(PROPERTIES)) -> dict[str, np.ndarray]:
    """``{name: (N,) float64}`` for the named properties of each molecule."""
    return {n: np.array([PROPERTIES[n](m) for m in mols], dtype=np.float64) for n in names}
