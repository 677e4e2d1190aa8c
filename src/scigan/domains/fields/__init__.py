"""The ``fields`` domain: GAN surrogates for physics simulators, judged by the physics.

Datasets (generated in-process, seeded, cached): ``ising2d`` (conditional on T), ``grf``,
``lognormal``, ``calo`` (conditional on the incident energy E in GeV) and ``cellgrowth``;
plus user arrays (.npy / .npz / .h5) of shape (N, H, W), (N, C, H, W) or (N, C, L).
See ``README.md`` in this folder for the options, the metrics and their closed forms.

This module holds the domain class and its registration; the parts are ``data.py`` (datasets),
``encoding.py``, ``nets.py``, ``metrics.py`` (evaluation), ``figures.py``, ``simulators.py`` and
``exact.py`` (closed forms).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from scigan.config import TrainConfig
from scigan.core.checkpoint import atomic_write_bytes
from scigan.core.step import MAX_CONDITION_GROUPS
from scigan.domains.base import (
    AbstractDomain,
    AbstractEncoder,
    Dataset,
    DemoSpec,
    MetricResult,
    SampleFn,
    parse_named_conditions,
)
from scigan.domains.fields import data as fdata
from scigan.domains.fields import metrics as fmetrics
from scigan.domains.fields import nets as fnets
from scigan.domains.fields.encoding import FieldEncoder
from scigan.domains.fields.matching import (
    SCORE_WEIGHTS,
    observable_matching,
    observable_score,
    spectrum_filter_penalty,
)
from scigan.domains.fields.metrics import FIDELITY
from scigan.errors import DataError, MissingDependencyError
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

# Shipped defaults per dataset, sized for 2 CPU cores (benchmarks/fields.py measures them):
# ~0.3-1 s per step for 32² Ising at batch 64, so 2000 steps take 10-30 min depending on load.
_CONV_DEFAULTS: dict[str, Any] = {
    "z_dim": 64,
    "g_width": 32,
    "d_width": 32,
    "g_depth": 1,
    "d_depth": 1,
    "spectral_norm": True,
    "minibatch_std": True,  # the Ising T = 2 specific heat collapsed without it (1000 steps)
    "loss": "ns",
    "batch_size": 64,
    # lr 1e-4 and a short EMA: at 2e-4 (and EMA 0.999) 16² Ising runs oscillated between
    # good and collapsed states within a few hundred steps (measured, see RESULTS.md).
    "lr_g": 1e-4,
    "lr_d": 1e-4,
    "beta1": 0.5,
    "beta2": 0.99,
    "ema_decay": 0.99,
    "steps": 2000,
    "eval_every": 500,
    "ckpt_every": 500,
    "eval_n": 500,
}
DEFAULTS: dict[str, dict[str, Any]] = {
    # Ising: G's loss is the observable-matching penalty, which was still falling at step
    # 2,000. 4,000 steps with both rates halving every 1,000 (the decay the watchdog's
    # rollbacks had applied in the best runs), chosen on the validation sample, took the
    # largest test-sample |z| of ⟨e⟩ from 10.2 / 6.9 to 1.6 / 3.3 at seeds 0 / 1 (fields
    # README, "Ising: a longer, decaying schedule"); 24 min per run on one thread.
    "ising2d": {**_CONV_DEFAULTS, "steps": 4000, "lr_half_life": 1000},
    # 64² maps cost 4× a 32² lattice per sample: narrower nets and smaller batches.
    "grf": {**_CONV_DEFAULTS, "g_width": 16, "d_width": 16, "batch_size": 32},
    "lognormal": {**_CONV_DEFAULTS, "g_width": 16, "d_width": 16, "batch_size": 32},
    # The classifier test costs ~1 min at N = 2000: evaluate only at the end. G pays the
    # paired energy score of the shower's energy sums (matching.py), which is its signal
    # while D is saturated: D's accuracy sits at 1.0 for a few hundred steps and the
    # saturation rollbacks stopped seed 1 at step 750 (also with R1 γ = 1 or half D's rate);
    # without the check it trained through (fields README, "Calorimeter").
    "calo": {**_CONV_DEFAULTS, "eval_every": 0, "d_acc_limit": 1.0},
    # Telegraph series (measured in the fields README, "Telegraph series"): the variance and
    # the long lags converge slowly (twice the steps, an EMA over ~1000 steps), PacGAN pairs
    # against the under-dispersed tails, and both learning rates halve every 1500 steps (the
    # variance swung by ±4 between checkpoints at a constant rate; chosen on validation).
    "cellgrowth": {
        **_CONV_DEFAULTS,
        "steps": 4000,
        "ema_decay": 0.999,
        "pac": 2,
        "lr_half_life": 1500,
    },
}


class _Sum(nn.Module):
    """Two generator penalties added (the observable matching and the filter's)."""

    def __init__(self, a: Callable[..., Tensor], b: Callable[..., Tensor]) -> None:
        super().__init__()
        self.a, self.b = a, b

    def forward(self, fake: Tensor, fake_cond: Tensor | None) -> Tensor:
        return self.a(fake, fake_cond) + self.b(fake, fake_cond)


@DOMAINS.register("fields")
class FieldsDomain(AbstractDomain):
    """2-D fields (C, H, W) and 1-D series (C, L) with convolutional G and D."""

    name = "fields"
    sample_suffixes = (".npy", ".npz", ".h5", ".hdf5")
    best_metric = (FIDELITY, True)
    demo = DemoSpec(
        science="Physics",
        data="ising2d",
        headline="energy_T2.269",
        settings={"steps": 800, "eval_every": 0, "ckpt_every": 400, "eval_n": 500},
        options={"L": 16, "n": 1500, "temperatures": [2.269185]},
        what=(
            "2-D Ising model at the critical temperature on a 16×16 periodic lattice: the "
            "headline is the generated mean energy per spin, with Kaufman's exact finite-"
            "lattice value and z-scores in the full report."
        ),
    )

    def default_config(self, data: str) -> dict[str, Any]:
        return dict(DEFAULTS.get(data, _CONV_DEFAULTS))

    # ------------------------------------------------------------------ data
    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        if isinstance(source, str) and source in fdata.SPECS:
            return fdata.load_builtin(source, options, seed)
        return fdata.load_user(source, options)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        return FieldEncoder()

    # ------------------------------------------------------------------ networks
    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return fnets.build_generator(cfg, _field_encoder(encoder))

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return fnets.build_discriminator(cfg, _field_encoder(encoder))

    def batch_by_condition(self, cfg: TrainConfig) -> bool:
        """``--set cond_batches=true``: every batch holds one condition value (a few distinct
        values, e.g. Ising temperatures), as a single-value run's batches do."""
        return fdata.cond_batches(cfg.options.get("cond_batches"))

    def generator_penalty(
        self,
        cfg: TrainConfig,
        encoder: AbstractEncoder,
        data: Tensor | None = None,
        generator: nn.Module | None = None,
        cond: Tensor | None = None,
    ) -> Callable[[Tensor, Tensor | None], Tensor] | None:
        """Observable matching (:mod:`matching`): the generated moments of the physical
        observables per condition value against the training sample's; weight ``match``.
        With ``spectral_filter`` also the filter's penalty (:class:`SpectrumFilterPenalty`),
        weight ``filter_weight``."""
        penalty = self._matching_penalty(cfg, encoder, data, cond)
        enc = _field_encoder(encoder)
        filt = getattr(generator, "filter", None)
        if data is None or not enc.spectral_filter_ or filt is None:
            return penalty
        weight = fdata.filter_weight(cfg.options.get("filter_weight"))
        extra = spectrum_filter_penalty(weight, data, filt)
        if extra is None or penalty is None:
            return penalty if extra is None else extra
        if getattr(penalty, "paired", False):
            raise DataError("spectral_filter cannot be combined with a paired observable score")
        return _Sum(penalty, extra)

    def _matching_penalty(
        self,
        cfg: TrainConfig,
        encoder: AbstractEncoder,
        data: Tensor | None,
        cond: Tensor | None,
    ) -> Callable[..., Tensor] | None:
        enc = _field_encoder(encoder)
        if data is None:
            return None
        kind = enc.match_obs_ or enc.observables_
        if cond is not None and len(torch.unique(cond, dim=0)) > MAX_CONDITION_GROUPS:
            # a continuous condition (calorimeter E): the paired score at each real condition
            weight = fdata.match_weight(cfg.options.get("match"), kind, SCORE_WEIGHTS)
            circular = None
            if fdata.bool_option("match_circular", cfg.options.get("match_circular")):
                circular = [i + 1 for i, p in enumerate(enc.periodic_) if p]
            return observable_score(
                kind, weight, data, cond, enc.energy_decode, enc.axes_, circular
            )
        weight = fdata.match_weight(cfg.options.get("match"), kind)
        momentum = fdata.match_momentum(cfg.options.get("match_momentum"))
        # The run's own statistic and scale, recorded by the encoder when it was fitted; an
        # option in the run's config wins (a run saved before the encoder recorded them).
        if "match_stat" in cfg.options:
            enc.match_stat_ = fdata.match_stat(cfg.options["match_stat"])
        if "match_scale" in cfg.options:
            enc.match_scale_ = fdata.match_scale(cfg.options["match_scale"])
        stat, scale = enc.match_stat_, enc.match_scale_
        if momentum > 0 and stat == "quantiles":
            raise DataError(
                f"fields option match_momentum={momentum:g} averages the matched moments, and "
                "match_stat=quantiles (the default) matches none: add --set match_stat=both "
                "(or moments), or drop match_momentum"
            )
        return observable_matching(
            kind,
            weight,
            data,
            cond,
            enc.obs_mean_,
            enc.obs_std_,
            enc.obs_counts,
            momentum,
            scale,
            stat,
        )

    # ------------------------------------------------------------------ evaluation
    def selection_reference(self, dataset: Dataset) -> Dataset:
        """A built-in simulator's validation sample (an independent seed; see
        :func:`data.heldout`): checkpoints are chosen on it, never on the evaluation sample."""
        return fdata.heldout(dataset, "validation")

    def evaluation_reference(self, dataset: Dataset) -> Dataset:
        """A built-in simulator's test sample, independent of the training and validation ones."""
        return fdata.heldout(dataset, "test")

    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        return fmetrics.evaluate(sample, reference, n=n, seed=seed)

    # ------------------------------------------------------------------ output
    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        """``.npy`` (the fields), ``.npz`` or HDF5 (``x`` and, for conditional samples, their
        conditions ``cond``, shape (N, C)) — the layout :func:`data.load_user` reads back."""
        x = np.asarray(samples, dtype=np.float32)
        arrays = {"x": x}
        if conditions is not None:
            arrays["cond"] = np.asarray(conditions, dtype=np.float64).reshape(len(x), -1)
        buf = io.BytesIO()
        if path.suffix in (".h5", ".hdf5"):
            try:
                import h5py
            except ImportError:
                raise MissingDependencyError(
                    f"{path}: writing HDF5 needs h5py; install it with pip install "
                    "'scigan[fields]' or write .npz"
                ) from None
            with h5py.File(buf, "w") as f:
                for key, value in arrays.items():
                    f.create_dataset(key, data=value)
        elif path.suffix == ".npz":
            np.savez(buf, **arrays)
        else:
            np.save(buf, x, allow_pickle=False)
        atomic_write_bytes(path, buf.getvalue())

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        enc = _field_encoder(encoder)
        raw = parse_named_conditions(enc.cond_names_, values, n, "fields")
        enc.check_conditions(raw[:1], "--condition")  # T=0 is refused here, not extrapolated
        return raw

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from scigan.domains.fields.figures import make_figures

        return make_figures(np.asarray(generated), reference)


def _field_encoder(encoder: AbstractEncoder) -> FieldEncoder:
    if not isinstance(encoder, FieldEncoder):
        raise TypeError(f"the fields domain needs a FieldEncoder, got {type(encoder).__name__}")
    return encoder


# ----------------------------------------------------------------------------- registration

for _spec in fdata.SPECS.values():
    _sizes = {
        "ising2d": "3 T × 3,000 × 32² (options n, L, temperatures)",
        "grf": "5,000 × 64² (options n, size, index)",
        "lognormal": "5,000 × 64² (options n, size, index, sigma)",
        "calo": "5,000 × 45×16×9 (options n, e_min, e_max)",
        "cellgrowth": "5,000 × 1 × 64 (options n, length, dt, rates)",
    }
    register_dataset(
        DatasetInfo(
            _spec.name,
            "fields",
            _sizes[_spec.name],
            "generated in-process (cached)",
            "n/a (synthetic)",
            _spec.description,
        )
    )
