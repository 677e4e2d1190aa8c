"""Generated molecules out to the next tool: SMILES, CSV and SD files, and RDKit ``Mol`` objects.

:func:`as_mols` turns SMILES into RDKit molecules that carry what a medicinal chemist filters
on, as RDKit properties (``mol.GetProp(name)``; typed values with ``GetDoubleProp`` /
``GetBoolProp``):

- ``_Name`` (the record title): ``gen_<i>``, ``i`` = the molecule's index in the sample, so a
  record can be traced back to it;
- ``SMILES``: canonical SMILES;
- ``QED`` (Bickerton et al. 2012), ``logP`` (Crippen), ``SA`` (synthetic accessibility,
  Ertl & Schuffenhauer 2009; 1 easy … 10 hard), ``MW`` (average molecular weight, Da) — the
  functions of :mod:`chem` that the metrics and property conditions use;
- ``passes_filters``: MOSES' ``Filters`` rule for this molecule (:func:`metrics.passes_filters`);
- ``filter_sets``: the rules of that filter it fails, ``; ``-joined, in the order ``MCF``,
  ``PAINS`` (a SMARTS alert of that set matches), ``charge`` (a charged atom), ``ring>=8``,
  ``atoms`` (an element outside C N S O F Cl Br H), ``smiles`` (the non-isomeric SMILES does
  not parse again); empty when it passes;
- ``filter_alerts``: the names of the MCF and PAINS alerts that match (``MCF4``,
  ``anil_di_alk_A(478)``), ``; ``-joined;
- ``target_<name>``: a conditional sample's condition values (the targets it was drawn at).

Every molecule gets 2-D coordinates (RDKit's depictor), so it draws and writes as a mol block.

:func:`write_molecules` writes ``.smi``/``.txt`` (one SMILES a line, invalid ones included),
``.csv`` (``smiles`` + ``target_<name>``) or ``.sdf`` (one record per *valid* molecule, with
the properties above). Invalid samples have no structure to write: they are left out of the SD
file, and a :class:`SkippedMoleculesWarning` says how many (the record titles show which).
Every file is written atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scigan import progress
from scigan.core.checkpoint import atomic_write_text
from scigan.domains.molecules import chem
from scigan.domains.molecules import metrics as M
from scigan.errors import DataError

# The SD / Mol property names, in the order written.
SMILES, QED, LOGP, SA, MW = "SMILES", "QED", "logP", "SA", "MW"
PASSES_FILTERS, FILTER_SETS, FILTER_ALERTS = "passes_filters", "filter_sets", "filter_alerts"
TARGET = "target_"  # + condition name: the condition a sample was drawn at (CSV and SD files)
_ALLOWED = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})  # MOSES' filter: these elements


class SkippedMoleculesWarning(UserWarning):
    """Invalid generated SMILES were left out of an SD file (they have no structure to write)."""


# ---------------------------------------------------------------------------- filter alerts
def filter_failures(mol: Any) -> tuple[list[str], list[str]]:
    """(rules of MOSES' filter that ``mol`` fails, names of the MCF/PAINS alerts it matches).

    The rules are those of :func:`metrics.passes_filters`, each checked on its own (that
    function stops at the first): both lists are empty exactly when it returns True."""
    Chem = chem.require_rdkit()
    from rdkit import DataStructs

    sets: list[str] = []
    h_mol = Chem.AddHs(mol)  # the alerts' SMARTS spell hydrogens out, as in passes_filters
    fp = Chem.PatternFingerprint(h_mol)
    alerts = [
        (group, name)
        for group, name, query, screen in M.filter_alerts()
        if DataStructs.AllProbeBitsMatch(screen, fp) and h_mol.HasSubstructMatch(query)
    ]
    sets += [g for g in ("MCF", "PAINS") if any(a[0] == g for a in alerts)]
    if any(a.GetFormalCharge() != 0 for a in mol.GetAtoms()):
        sets.append("charge")
    if any(len(r) >= 8 for r in mol.GetRingInfo().AtomRings()):
        sets.append("ring>=8")
    if any(a.GetSymbol() not in _ALLOWED for a in mol.GetAtoms()):
        sets.append("atoms")
    flat = Chem.MolToSmiles(mol, isomericSmiles=False)
    if not flat or Chem.MolFromSmiles(flat) is None:
        sets.append("smiles")
    return sets, [name for _, name in alerts]


# ---------------------------------------------------------------------------- Mol objects
def _condition_table(conditions: Any, n: int) -> pd.DataFrame | None:
    if conditions is None:
        return None
    table = conditions if isinstance(conditions, pd.DataFrame) else pd.DataFrame(conditions)
    if len(table) != n:
        raise DataError(f"{len(table)} condition rows for {n} molecules")
    return table.reset_index(drop=True)


def _set_number(mol: Any, name: str, value: Any) -> None:
    """A number as the shortest text that reads back to the same float (``repr``): the SD file
    shows ``2.5026``, not ``2.5026000000000002``, and ``GetDoubleProp`` returns the value."""
    mol.SetProp(name, repr(float(value)))


def as_mols(
    smiles: Iterable[str],
    conditions: pd.DataFrame | Mapping[str, Any] | None = None,
    *,
    drop_invalid: bool = False,
    prefix: str = "gen",
) -> list[Any]:
    """Generated SMILES as RDKit ``Mol`` objects with 2-D coordinates and properties.

    Args:
        smiles: the samples (``Synthesizer.sample``'s output).
        conditions: the conditions they were drawn at (a DataFrame or a mapping of columns,
            one row per molecule), written as ``target_<name>`` properties.
        drop_invalid: leave invalid SMILES out; by default each becomes None, so the list
            lines up with ``smiles`` (as RDKit's ``SDMolSupplier`` yields None for an
            unreadable record).
        prefix: record titles are ``{prefix}_{i}`` (``i`` = the index in ``smiles``).

    Returns:
        one ``Mol`` (or None) per SMILES; the properties are listed in this module's docstring.

    Example::

        from scigan.domains.molecules import as_mols

        mols = as_mols(gan.sample(100, seed=0), drop_invalid=True)
        clean = [m for m in mols if m.GetBoolProp("passes_filters")]
    """
    Chem = chem.require_rdkit()
    from rdkit.Chem import rdDepictor

    items = [str(s) for s in smiles]
    table = _condition_table(conditions, len(items))
    out: list[Any] = []
    with chem.quiet_rdkit(), progress.bar(len(items), "molecules", "mol") as bar:
        for i, s in enumerate(items):
            bar.update(1)
            mol = chem.get_mol(s)
            if mol is None:
                if not drop_invalid:
                    out.append(None)
                continue
            rdDepictor.Compute2DCoords(mol)
            mol.SetProp("_Name", f"{prefix}_{i}")
            mol.SetProp(SMILES, Chem.MolToSmiles(mol))
            _set_number(mol, QED, chem.qed(mol))
            _set_number(mol, LOGP, chem.logp(mol))
            _set_number(mol, SA, chem.sa(mol))
            _set_number(mol, MW, chem.weight(mol))
            passes = M.passes_filters(mol)
            sets, alerts = ([], []) if passes else filter_failures(mol)
            mol.SetBoolProp(PASSES_FILTERS, passes)
            mol.SetProp(FILTER_SETS, "; ".join(sets))
            mol.SetProp(FILTER_ALERTS, "; ".join(alerts))
            if table is not None:
                for name in table.columns:
                    _set_number(mol, f"{TARGET}{name}", table[name].iloc[i])
            out.append(mol)
    return out


# ---------------------------------------------------------------------------- files
def write_sdf(samples: Iterable[str], conditions: Any, path: str | Path) -> int:
    """An SD file of the valid molecules among ``samples`` (see the module docstring);
    returns the number of records. Invalid ones are counted in a SkippedMoleculesWarning."""
    Chem = chem.require_rdkit()
    path = Path(path)
    smiles = [str(s) for s in samples]
    mols = as_mols(smiles, conditions)
    text = io.StringIO()
    writer = Chem.SDWriter(text)
    for mol in mols:
        if mol is not None:
            writer.write(mol)
    writer.close()
    atomic_write_text(path, text.getvalue())
    bad = [i for i, m in enumerate(mols) if m is None]
    if bad:
        shown = ", ".join(f"gen_{i}: {smiles[i][:60]!r}" for i in bad[:3])
        warnings.warn(
            f"{path}: {len(bad)} of {len(smiles)} generated SMILES are invalid (RDKit cannot "
            f"parse them; {shown}{', …' if len(bad) > 3 else ''}) and are not in the SD file; "
            "write .smi or .csv to keep them",
            SkippedMoleculesWarning,
            stacklevel=2,
        )
    return len(smiles) - len(bad)


def write_molecules(samples: Any, conditions: Any, path: str | Path) -> None:
    """``.sdf``: :func:`write_sdf`; ``.csv``: ``smiles`` + ``target_<condition>`` columns;
    otherwise SMILES one a line. Every sample is written except invalid ones in an SD file."""
    smiles = [str(s) for s in samples]
    path = Path(path)
    if path.suffix == ".sdf":
        write_sdf(smiles, conditions, path)
    elif path.suffix == ".csv":
        df = pd.DataFrame({"smiles": smiles})
        if isinstance(conditions, pd.DataFrame):
            for c in conditions.columns:
                df[f"{TARGET}{c}"] = np.asarray(conditions[c])
        atomic_write_text(path, df.to_csv(index=False))
    else:
        atomic_write_text(path, "".join(s + "\n" for s in smiles))
