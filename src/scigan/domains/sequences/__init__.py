"""The ``sequences`` domain: DNA, RNA and protein/peptide GANs judged by biology's statistics.

Datasets: ``ecoli`` (E. coli 536 genome windows), ``amp`` (modlamp antimicrobial peptides),
synthetic sets with exact answers ``motif`` (planted JASPAR sites), ``orf`` (coding ORFs) and
``markov`` (order-k chain with exact likelihood), and user FASTA / CSV / text files.
This file holds the domain class and its registration; ``data.py`` loads and writes,
``encoding.py`` encodes (autoencoder codes for the shipped latent GAN, one-hot for
``--set model=direct``), ``nets.py`` builds the networks, ``metrics.py`` evaluates,
``figures.py`` draws. Every loaded dataset is split by distinct sequence into seeded train /
validation / test parts: the model trains on the first, checkpoints are chosen on the second and
the reported numbers come from the third. See ``README.md`` in this folder for options, metrics,
the split rule and the feedback (FBGAN) loop.
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
from scigan.domains.sequences import data as sdata
from scigan.domains.sequences import encoding, nets
from scigan.domains.sequences import metrics as sm
from scigan.domains.sequences.data import as_seqrecords
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

__all__ = ["DEFAULTS", "DIRECT_DEFAULTS", "LATENT_DEFAULTS", "SequencesDomain", "as_seqrecords"]

# Shipped defaults, sized for 2 CPU cores (benchmarks/sequences.py measures them).
# The latent GAN (default; issue 25): a sequence autoencoder (causal CNN decoder,
# encoding.AE_DEFAULTS: 4,000 steps, weights chosen on the validation part), then LatentGAN's
# WGAN-GP schedule on its codes with residual MLPs (as in the molecules domain), then the decoder
# adapted to the GAN's codes. Steps: 2,000 (the training-time metrics were flat from 1,000 to
# 4,000 steps on ecoli and orf; the decoder sets the quality).
LATENT_DEFAULTS: dict[str, Any] = {
    **WGAN_ON_CODES,
    "ema_decay": 0.999,
    "steps": 2000,
    "eval_every": 1000,
    "ckpt_every": 1000,
    "eval_n": 1000,
    "watchdog": False,
}
# The direct GAN (--set model=direct, the default before issue 25): one-hot sequences, a 1-D
# residual generator with one Gumbel-softmax span per position and a 1-D residual critic
# (Gulrajani et al. 2017, FBGAN; the feedback loop trains it).
_DIRECT: dict[str, Any] = {
    "z_dim": 64,
    "g_width": 32,
    "d_width": 32,
    "g_depth": 2,
    "d_depth": 2,
    "loss": "wgan-gp",
    "n_critic": 2,  # Gulrajani et al. used 10 on a GPU; 2 keeps a step ≈ 0.1-0.2 s on 2 cores
    "batch_size": 64,
    "lr_g": 3e-4,  # 1e-4 and 3e-4 reached similar ecoli 6-mer JSD per step; 3e-4 got there sooner
    "lr_d": 3e-4,
    "beta1": 0.5,
    "beta2": 0.9,
    "ema_decay": 0.99,
    "steps": 3000,
    "eval_every": 500,
    "ckpt_every": 500,
    "eval_n": 1000,
    "watchdog": False,  # WGAN critic "accuracy" saturates by design; GP keeps training stable
}
DIRECT_DEFAULTS: dict[str, dict[str, Any]] = {
    "ecoli": {**_DIRECT},
    "motif": {**_DIRECT},
    "orf": {**_DIRECT, "steps": 5000},  # validity 0.52 at 3000 steps, 0.60 at 5000 (10 min)
    "markov": {**_DIRECT, "steps": 2000},
    "amp": {**_DIRECT, "steps": 4000},  # L = 50: ~0.13 s a step
}
# The shipped defaults per dataset (the latent GAN's are the same for every set).
DEFAULTS: dict[str, dict[str, Any]] = {name: dict(LATENT_DEFAULTS) for name in DIRECT_DEFAULTS}


@DOMAINS.register("sequences")
class SequencesDomain(AbstractDomain):
    """Fixed- or variable-length sequences over a finite alphabet, one-hot (V, L)."""

    name = "sequences"
    sample_suffixes = (".fasta", ".fa", ".csv", ".txt")
    best_metric = (sm.FIDELITY, True)
    demo = DemoSpec(
        science="Biology",
        data="orf",
        headline="orf_validity",
        settings={"steps": 800, "eval_every": 0, "ckpt_every": 400, "eval_n": 1000},
        # the shipped latent GAN with a quarter of its autoencoder steps: ORF validity 0.983 in
        # 419 s beside another 2-core job (1.000 in 182 s before the n-gram prior, with one other
        # 1-thread job; the direct GAN's 800 steps: 103 s, 0.252; RESULTS.md)
        options={"n": 3000, "ae_steps": 1000},
        what=(
            "Protein-coding DNA (ATG, 31 sense codons, a stop): the headline is the fraction of "
            "generated 99-bp sequences that are valid open reading frames (1.0 for real ones); "
            "the full report adds k-mer spectra, codon periodicity and a CNN two-sample AUC."
        ),
    )

    def default_config(self, data: str) -> dict[str, Any]:
        return dict(DEFAULTS.get(data, LATENT_DEFAULTS))

    def option_defaults(
        self, data: str, options: Mapping[str, Any], source: Any = None
    ) -> dict[str, Any]:
        """The direct GAN's own defaults under ``--set model=direct``."""
        if encoding.model_option(options) == "direct":
            return dict(DIRECT_DEFAULTS.get(data, _DIRECT))
        return {}

    # ------------------------------------------------------------------ data
    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        """The records, split by distinct sequence into train / validation / test parts
        (seeded by ``seed``; :func:`data.split_dataset`): the model trains on the train part."""
        if isinstance(source, str) and source in sdata.SPECS:
            ds = sdata.load_builtin(source, options, seed)
        else:
            ds = sdata.load_user(source, options)
        return sdata.split_dataset(ds, seed, options)

    def selection_reference(self, dataset: Dataset) -> Dataset:
        """Training-time evaluations (the ``best`` checkpoint, early stopping) score against
        the validation part, never the test part or the training rows themselves."""
        return sdata.reference_view(dataset, sdata.VALIDATION)

    def evaluation_reference(self, dataset: Dataset) -> Dataset:
        """Evaluations after training (``evaluate()``, the report) score against the test
        part; memorisation metrics compare with the training part."""
        return sdata.reference_view(dataset, sdata.TEST)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        # the latent GAN's autoencoder keeps the weights that do best on the validation part
        return encoding.make_encoder(cfg, held_out=_validation_sequences)

    def restore_encoder(self, cfg: TrainConfig, state: Mapping[str, Any]) -> AbstractEncoder:
        return encoding.restore_encoder(cfg, state)

    # ------------------------------------------------------------------ networks
    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return nets.build_generator(cfg, encoding.as_sequence_encoder(encoder))

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return nets.build_discriminator(cfg, encoding.as_sequence_encoder(encoder))

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        # the reference's conditions (--data of evaluate) may lie outside the training range
        return sm.evaluate(without_extrapolation_warnings(sample), reference, n=n, seed=seed)

    # ------------------------------------------------------------------ output
    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        sdata.write_sequences(samples, conditions, path)

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        return encoding.parse_conditions(encoding.as_sequence_encoder(encoder), values, n)

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from scigan.domains.sequences.figures import make_figures

        return make_figures(list(generated), reference)


def _validation_sequences(dataset: Dataset) -> list[str]:
    """The validation part of a split dataset; none for unsplit (tiny or foreign) data."""
    view = sdata.reference_view(dataset, sdata.VALIDATION)
    return [] if view is dataset else list(view.samples)


# ----------------------------------------------------------------------------- registration

_INFO = {
    "ecoli": (
        "49,389 × 100 bp (options length, stride, n)",
        "Debian bowtie-examples: NCBI NC_008253.1",
        "public domain (NCBI)",
    ),
    "amp": (
        "2,271 AMPs ≤ 50 aa + 2,080 non-AMPs (options subset, max_len, condition)",
        "modlamp 4.3.3 wheel data",
        "BSD-3-Clause",
    ),
    "motif": (
        "10,000 × 100 bp (options motifs, rate, pos_min, pos_max, gc, n)",
        "generated; JASPAR 2024 matrices from the pyjaspar 4.0.0 wheel",
        "JASPAR data CC BY 4.0",
    ),
    "orf": ("10,000 × 99 bp (options n, min_codons, max_codons)", "generated", "n/a (synthetic)"),
    "markov": (
        "10,000 × 100 bp (options order, concentration, chain_seed, n)",
        "generated",
        "n/a (synthetic)",
    ),
}
for _name, _spec in sdata.SPECS.items():
    _size, _src, _lic = _INFO[_name]
    register_dataset(DatasetInfo(_name, "sequences", _size, _src, _lic, _spec.description))
