"""The ``molecules`` domain: SMILES/SELFIES generation judged with the MOSES metric suite.

Two models behind one interface (``--set model=...``):

- ``latent-gan`` (default; LatentGAN, Prykhodko et al. 2019): a SMILES autoencoder trained once
  and cached, plus a WGAN-GP on its codes; samples are decoded to SMILES (an invalid decoding is
  drawn again from the same code, ``retries`` times at most);
- ``selfies-gan``: a direct GAN on SELFIES tokens with one Gumbel-softmax span per position and a
  1-D convolutional critic (every SELFIES string decodes to a valid molecule).

Property-guided generation: ``--set conditions=[QED,logP]`` trains a conditional model (the
condition is fed to G and a projection critic); ``scigan sample --condition QED=0.9``.
Evaluation: the MOSES metrics (``metrics.py``) with the floor = the same metrics of an equally
large sample of real training molecules (MOSES' "Train" row). Evaluations during training
(which choose the ``best`` checkpoint) score against a validation split of the training side
(FCD/Val, :meth:`MoleculesDomain.selection_reference`), never against the test split. See
README.md in this folder.

Output a chemist takes to the next tool: ``scigan sample --out x.sdf`` (mol blocks with QED,
logP, SA, MW and MOSES' filter alerts as SD properties) and :func:`as_mols` (RDKit ``Mol``
objects with the same properties); training and reference data may be RDKit ``Mol`` objects or
an ``SDMolSupplier``.

This file holds the domain class and its registration; ``data.py`` loads, ``export.py``
writes (SMILES, CSV, SD files, ``as_mols``), ``encoding.py`` turns molecules into GAN tensors,
``nets.py`` builds the networks, ``metrics.py`` evaluates, ``figures.py`` draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import nn

from scigan.config import TrainConfig
from scigan.domains.base import (
    AbstractDomain,
    AbstractEncoder,
    Dataset,
    DemoSpec,
    MetricResult,
    SampleFn,
    without_extrapolation_warnings,
)
from scigan.domains.latent import WGAN_ON_CODES
from scigan.domains.molecules import nets
from scigan.domains.molecules.data import MoleculeDataset, load_molecules, validation_view
from scigan.domains.molecules.encoding import make_encoder, parse_conditions
from scigan.domains.molecules.export import as_mols, write_molecules
from scigan.domains.molecules.metrics import evaluate_molecules
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

# LatentGAN's schedule on codes (latent.WGAN_ON_CODES) and this domain's budget.
DEFAULTS: dict[str, Any] = {
    **WGAN_ON_CODES,
    "steps": 20000,
    "eval_every": 0,
    "eval_n": 2000,
    "ckpt_every": 2000,
    "log_every": 100,
    "ema_decay": 0.999,
    "threads": 1,
}


@DOMAINS.register("molecules")
class MoleculesDomain(AbstractDomain):
    """Molecule generation; see the module docstring and README.md."""

    name = "molecules"
    sample_suffixes = (".smi", ".txt", ".csv", ".sdf")
    best_metric = ("FCD/Val", True)  # during training: the validation split, never the test
    demo = DemoSpec(
        science="Chemistry: molecules",
        data="moses",
        headline="FCD/Test",
        settings={"steps": 800, "eval_every": 0, "ckpt_every": 400, "eval_n": 1000},
        options={"n_train": 20000, "ae_minutes": 3.0},
        what=(
            "MOSES drug-like molecules through a latent GAN (SMILES autoencoder + WGAN-GP on its "
            "codes), trained for a few minutes: the headline is the Fréchet ChemNet "
            "Distance to the MOSES test set at N = 1000 (biased upward at small N; the floor is "
            "real training molecules at the same N); validity, uniqueness, novelty, diversity "
            "and property histograms are in the full report."
        ),
    )

    def default_config(self, data: str) -> dict[str, Any]:
        return dict(DEFAULTS)

    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        return load_molecules(source, options=options, seed=seed)

    def selection_reference(self, dataset: Dataset) -> Dataset:
        """Training-time evaluations (the ``best`` checkpoint) score against the validation
        split of the training side, named ``Val`` (FCD/Val): :func:`data.validation_view`."""
        if not isinstance(dataset, MoleculeDataset):
            return dataset
        return validation_view(dataset)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        return make_encoder(cfg)

    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return nets.build_generator(cfg, encoder)

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return nets.build_discriminator(cfg, encoder)

    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        # reference conditions may lie a little outside the training range: measuring there
        # is the point of the evaluation, not an extrapolation to warn about
        quiet = without_extrapolation_warnings(sample)
        return evaluate_molecules(quiet, reference, n=n, seed=seed)

    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        write_molecules(samples, conditions, path)

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        return parse_conditions(encoder, values, n)

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from scigan.domains.molecules.figures import molecule_figures

        return molecule_figures(generated, reference)


# ---------------------------------------------------------------------------- datasets
register_dataset(
    DatasetInfo(
        "moses", "molecules", "1,584,663 train / 176,074 test SMILES",
        "molsets==0.3.1 wheel (ZINC Clean Leads; Polykovskiy et al. 2020)", "MIT",
        "MOSES benchmark; metrics against the stored test / scaffold-test statistics; "
        "checkpoints chosen on a validation split of train (FCD/Val)",
    )
)  # fmt: skip
register_dataset(
    DatasetInfo(
        "qm9", "molecules", "130,831 SMILES + DFT properties",
        "qm9pack==1.0.3 wheel (Ramakrishnan et al. 2014)", "MIT",
        "small organic molecules (≤ 9 heavy atoms); seeded 10% test split",
    )
)  # fmt: skip

__all__ = ["MoleculesDomain", "as_mols", "evaluate_molecules", "load_molecules"]
