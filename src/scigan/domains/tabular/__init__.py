"""The ``tabular`` domain: experiment tables and general tables (CTGAN-style conditional GAN).

Two modes, chosen by the data options (``--set KEY=VALUE`` / ``options={...}``):

- **table mode** (default): every column is generated; the condition vector names one
  categorical level (CTGAN training-by-sampling), so ``--condition col=level`` is exact;
- **experiment mode** (``conditions=[...]``, optional ``outcomes=[...]``): learns
  p(outcomes | conditions); requested conditions are copied into every generated row.

A seeded hold-out (``holdout``, default 25 %) is never trained on; :meth:`TabularDomain.evaluate`
measures against it, with the same statistic for an equally large real training subset as the
floor. Evaluations during training (which pick the ``best`` checkpoint) use a validation split of
the training rows instead (:meth:`TabularDomain.selection_reference`): the test hold-out is read
once, for the reported number. Loading lives in ``data.py``, evaluation in ``metrics.py``; see
``README.md`` in this folder for options, metrics, data and the files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from torch import Tensor, nn

from scigan.config import TrainConfig
from scigan.domains.base import (
    AbstractEncoder,
    Dataset,
    DemoSpec,
    ExperimentDomain,
    MetricResult,
    SampleFn,
)
from scigan.domains.tabular import design, experiments, nets
from scigan.domains.tabular import figures as tabular_figures
from scigan.domains.tabular.data import (
    SHIPPED,
    TabularDataset,
    load_table,
    table_width,
    validation_view,
    write_table,
)
from scigan.domains.tabular.encoding import TabularEncoder
from scigan.domains.tabular.metrics import DETECTION_AUC, evaluate_table
from scigan.domains.tabular.schema import WIDE_COLUMNS
from scigan.domains.tabular.scoring import ENERGY, EnergyPenalty, energy_weight
from scigan.errors import DataError
from scigan.registry import DOMAINS, DatasetInfo, register_dataset


@DOMAINS.register("tabular")
class TabularDomain(ExperimentDomain):
    """Experiment and general tables; see the module docstring."""

    name = "tabular"
    sample_suffixes = (".csv",)
    best_metric = (DETECTION_AUC, True)

    demo = DemoSpec(
        science="Chemistry: virtual experiments",
        data="suzuki_case_1",
        headline="tstr",
        what=(
            "Suzuki–Miyaura reaction table (catalyst, residence time, temperature, loading → "
            "yield): the headline is R² of a gradient-boosting model trained on generated "
            "experiments and scored on held-out real ones (TSTR); the floor is the same model "
            "trained on as many real experiments (TRTR)."
        ),
    )

    def default_config(self, data: str) -> dict[str, Any]:
        # CTGAN's objective (WGAN-GP, Adam betas 0.5/0.9, one critic step) with sizes measured
        # in benchmarks/tabular.py (RESULTS.md): width 128 and lr 1e-3 fit in ~20-40 s on one
        # thread of a shared 2-core machine. Experiment tables (conditions → outcomes) use an
        # unpacked critic, which judges each (conditions, outcome) pair on its own: pac 10
        # lowered hold-out TSTR R² on every experiment set tried (e.g. HPLC 0.07 vs 0.45).
        # A user table given conditions=[...] gets the same through option_defaults().
        experiment = bool(SHIPPED[data].options.get("conditions")) if data in SHIPPED else False
        return {
            "loss": "wgan-gp",
            "pac": 1 if experiment else 10,
            "batch_size": 250 if experiment else 500,
            "n_critic": 1,
            "lr_g": 1e-3,
            "lr_d": 1e-3,
            "beta1": 0.5,
            "beta2": 0.9,
            "z_dim": 64,
            "g_width": 128,
            "d_width": 128,
            "g_depth": 2,
            "d_depth": 2,
            "steps": 1500,
            "eval_every": 0,
            "eval_n": 1000,
            "ckpt_every": 500,
            "log_every": 100,
            "ema_decay": 0.99,
            "threads": 1,
        }

    def option_defaults(
        self, data: str, options: Mapping[str, Any], source: Any = None
    ) -> dict[str, Any]:
        """Experiment mode (``conditions`` given) uses the unpacked critic and batch 250; so
        does a wide table (more than :data:`WIDE_COLUMNS` modelled columns, counted in the
        file's header, or the columns of a DataFrame / mapping ``source``): pac 10 packs 10
        encoded rows into the critic's first layer, and on digits (65 columns, ~400 encoded
        features a row) it collapsed (TSTR 0.07 vs 0.83 at pac 1; README "Wide numeric
        tables"), while batch 250 keeps the fit near 2 minutes.

        The energy score's weight is written into the run's options (``energy``, unless the
        user set it), so ``config.json`` names the weight a run trained with even if the
        default changes."""
        out: dict[str, Any] = {}
        if "energy" not in options:
            out["options"] = {"energy": ENERGY}
        if options.get("conditions"):
            return {**out, "pac": 1, "batch_size": 250}
        if data not in SHIPPED:
            width = table_width(source if isinstance(source, pd.DataFrame | Mapping) else data)
            drop = options.get("drop")
            dropped = len(drop) if isinstance(drop, list | tuple) else 0
            if width is not None and width - dropped > WIDE_COLUMNS:
                return {**out, "pac": 1, "batch_size": 250}
        return out

    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        return load_table(source, options=options, seed=seed)

    def selection_reference(self, dataset: Dataset) -> Dataset:
        """Training-time evaluations (the ``best`` checkpoint) score against a validation split
        of the training rows, never the test hold-out: :func:`data.validation_view`."""
        if not isinstance(dataset, TabularDataset):
            return dataset
        return validation_view(dataset)

    def generator_penalty(
        self,
        cfg: TrainConfig,
        encoder: AbstractEncoder,
        data: Tensor | None = None,
        generator: nn.Module | None = None,
        cond: Tensor | None = None,
    ) -> EnergyPenalty | None:
        """``energy`` = λ > 0: λ × the energy score of generated against real rows at the same
        condition (:mod:`scoring`; a strictly proper scoring rule); 0: none."""
        weight = energy_weight(cfg.options.get("energy", ENERGY))
        if not weight or not isinstance(encoder, TabularEncoder):
            return None
        return EnergyPenalty(encoder, weight)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        max_modes = cfg.options.get("max_modes", 10)
        if not isinstance(max_modes, int) or not 1 <= max_modes <= 50:
            raise DataError(f"max_modes={max_modes!r} must be an integer in [1, 50]")
        return TabularEncoder(max_modes=max_modes, seed=cfg.seed)

    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return nets.build_generator(cfg, encoder)

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return nets.build_discriminator(cfg, encoder)

    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        from threadpoolctl import threadpool_limits

        # One BLAS/OpenMP thread: these tables are small, and on a shared 2-core machine the
        # multi-threaded scikit-learn models spin-wait tens of times slower (measured).
        with threadpool_limits(limits=1):
            return evaluate_table(sample, reference, n=n, seed=seed)

    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        write_table(samples, path)

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        return design.parse_conditions(encoder, values, n)

    def predict(self, model: Any, conditions: Any, **kwargs: Any) -> pd.DataFrame:
        """See :func:`scigan.domains.tabular.experiments.predict`."""
        return experiments.predict(model, conditions, **kwargs)

    def suggest(self, model: Any, k: int, **kwargs: Any) -> pd.DataFrame:
        """See :func:`scigan.domains.tabular.experiments.suggest`."""
        return experiments.suggest(model, k, **kwargs)

    def model_figures(self, model: Any) -> dict[str, Any]:
        """Experiment mode: the predicted response surface against the measured points."""
        return tabular_figures.model_figures(model)

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        return tabular_figures.table_figures(generated, reference)


# ---------------------------------------------------------------------------- datasets
for _name, _shipped in SHIPPED.items():
    register_dataset(
        DatasetInfo(
            _name, "tabular", _shipped.size, _shipped.source, _shipped.licence, _shipped.description
        )
    )

__all__ = ["WIDE_COLUMNS", "TabularDomain"]
