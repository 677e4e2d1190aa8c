"""Toy report figure: real and generated points side by side, mode centres marked."""

from __future__ import annotations

from typing import Any

import numpy as np

from scigan.domains.base import Dataset
from scigan.domains.toy.data import MIXTURES


def point_figures(generated: Any, reference: Dataset) -> dict[str, Any]:
    """``{"Samples: real vs generated": Figure}``: the first two coordinates, as many real
    points as generated ones; a registered mixture's mode centres as red crosses."""
    from matplotlib.figure import Figure

    x = np.asarray(generated)
    real = np.asarray(reference.samples)[: len(x)]
    fig = Figure(figsize=(8, 4))
    for ax, pts, title in zip(fig.subplots(1, 2), (real, x), ("real", "generated"), strict=True):
        ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.4)
        mixture = MIXTURES.get(reference.name)
        if mixture is not None:
            c = mixture().centres
            ax.scatter(c[:, 0], c[:, 1], marker="x", c="red", s=30, label="mode centres")
            ax.legend(loc="upper right", fontsize=8)
        ax.set_title(f"{title} (N={len(pts)})")
        ax.set_aspect("equal")
    return {"Samples: real vs generated": fig}
