"""Report figures: a grid of generated molecules (RDKit drawings) and property histograms.

Drawn on bare :class:`matplotlib.figure.Figure` objects (no pyplot state).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from scigan.domains.molecules import chem
from scigan.domains.molecules import metrics as M
from scigan.domains.molecules.data import MoleculeDataset

_REAL, _GEN = "tab:blue", "tab:orange"


def molecule_figures(generated: Any, reference: MoleculeDataset) -> dict[str, Figure]:
    gen = M.Molecules.from_smiles([str(s) for s in generated])
    figs: dict[str, Figure] = {}
    if gen.mols:
        figs["Generated molecules (first 24 valid; red title = structural alert)"] = molecule_grid(
            gen.mols[:24]
        )
        # a random subset: MOSES' test file is not in random order
        rng = np.random.default_rng(0)
        k = min(len(reference.test), max(len(gen.smiles), 1000))
        real = M.Molecules.from_smiles(
            [reference.test[i] for i in rng.choice(len(reference.test), k, False)]
        )
        figs["Properties: test set vs generated"] = property_histograms(real.mols, gen.mols)
    return figs


def molecule_grid(mols: list[Any], per_row: int = 6) -> Figure:
    """RDKit drawings of ``mols``; molecules with a PAINS/BRENK/NIH alert get a red label."""
    chem.require_rdkit()
    from matplotlib.image import imread
    from rdkit.Chem import Draw

    rows = int(np.ceil(len(mols) / per_row))
    fig = Figure(figsize=(2.2 * per_row, 2.3 * rows), layout="constrained")
    axes = fig.subplots(rows, per_row, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, mol in zip(axes.flat, mols, strict=False):
        png = Draw.MolToImage(mol, size=(260, 260))
        buf = io.BytesIO()
        png.save(buf, format="PNG")
        buf.seek(0)
        ax.imshow(imread(buf))
        alerts = M.alert_names(mol)
        label = f"QED {chem.qed(mol):.2f}" + (f" · {len(alerts)} alert(s)" if alerts else "")
        ax.set_title(label, fontsize=8, color="tab:red" if alerts else "black")
    return fig


def property_histograms(real: list[Any], gen: list[Any]) -> Figure:
    pr, pg = chem.properties(real), chem.properties(gen)
    fig = Figure(figsize=(12, 2.8), layout="constrained")
    axes = fig.subplots(1, len(pr))
    for ax, name in zip(axes, pr, strict=True):
        both = np.concatenate([pr[name], pg[name]])
        bins = np.linspace(*np.percentile(both, [0.5, 99.5]), 40)
        ax.hist(pr[name], bins=bins, density=True, alpha=0.5, color=_REAL, label="test")
        ax.hist(pg[name], bins=bins, density=True, alpha=0.5, color=_GEN, label="generated")
        ax.set_xlabel(name)
    axes[0].legend(fontsize=8)
    return fig
