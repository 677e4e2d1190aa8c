"""The scikit-learn-style estimator: :class:`Synthesizer`.

``Synthesizer(domain=..., **hyperparameters).fit(data)`` trains a GAN; ``sample``,
``evaluate``, ``save`` and ``Synthesizer.load`` follow scikit-learn conventions: ``__init__``
stores its arguments verbatim, ``fit`` returns ``self``, learned state ends in ``_``.
A saved model is a run folder: ``config.json``, ``encoder.json``, ``checkpoints/``.
"""

from __future__ import annotations

import datetime as _dt
import platform
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

import scigan.domains  # noqa: F401  (registers domains and datasets)
from scigan import progress
from scigan._version import __version__
from scigan.config import TrainConfig, read_config_file
from scigan.core import dist, run_folder
from scigan.core.refine import (
    DensityRatio,
    draw_generator,
    fit_generator_ratio,
    rejection_sample,
)
from scigan.core.training_loop import Problem, TrainState, init_state, resume_state, train
from scigan.domains.base import (
    AbstractDomain,
    AbstractEncoder,
    Dataset,
    ExperimentDomain,
    hash_tensors,
)
from scigan.errors import CheckpointError, ConfigError, DataError, SciganError
from scigan.registry import DATASETS, DOMAINS

IN_MEMORY = "<in-memory>"
_COND_POOL = 10_000  # conditions kept in the checkpoint to sample from when none are given
_POOL = "extra.cond_pool"
_DRS = "extra.drs."  # the rejection-sampling classifier's tensors (core/refine.py)
_ADAPT = "extra.adapt."  # the encoder's adaptation to the trained generator (encoder.adapt)


def versions() -> dict[str, str]:
    return {
        "scigan": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _infer_domain(domain: str | None, data: Any, cfg_values: Mapping[str, Any]) -> str:
    if domain is not None:
        return domain
    if "domain" in cfg_values:
        return str(cfg_values["domain"])
    if isinstance(data, str) and data in DATASETS:
        return DATASETS.get(data).domain
    if isinstance(data, str) and not Path(data).exists() and "/" not in data and "." not in data:
        DATASETS.get(data)  # raises UnknownNameError listing the registered datasets
    raise ConfigError(
        "cannot tell the domain of this data; pass domain=... (CLI: --domain toy|fields|...)"
    )


class Synthesizer:
    """A GAN for one scientific domain.

    Args:
        domain: registered domain name (``scigan datasets`` lists them); inferred from a
            registered dataset name when omitted.
        config: a YAML/JSON config file or a mapping of settings (flat or nested).
        **hyperparameters: any :class:`~scigan.config.TrainConfig` field by its flat name,
            e.g. ``steps=2000, loss="hinge", lr_d=1e-4``; they override ``config``.

    Example:
        >>> gan = Synthesizer(domain="toy", steps=200).fit("ring8")
        >>> x = gan.sample(1000, seed=0)
    """

    def __init__(
        self,
        domain: str | None = None,
        *,
        config: str | Path | Mapping[str, Any] | None = None,
        **hyperparameters: Any,
    ) -> None:
        self.domain = domain
        self.config = config
        self.hyperparameters = hyperparameters

    def get_params(self) -> dict[str, Any]:
        return {"domain": self.domain, "config": self.config, **self.hyperparameters}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v is not None)
        return f"Synthesizer({args})"

    # ------------------------------------------------------------------ configuration
    def resolve_config(self, data: Any = None) -> TrainConfig:
        """The resolved :class:`TrainConfig`: defaults → domain defaults → config → kwargs."""
        file_values: Mapping[str, Any] = {}
        if isinstance(self.config, str | Path):
            file_values = read_config_file(self.config)
        elif isinstance(self.config, Mapping):
            file_values = self.config
        elif self.config is not None:
            raise ConfigError("config must be a file path or a mapping of settings")
        merged = {**file_values, **self.hyperparameters}
        data_name = data if isinstance(data, str) else None
        if isinstance(data, Path):
            data_name = str(data)
        if data_name is None and data is None:
            data_name = merged.get("data", TrainConfig().data)
        domain = _infer_domain(self.domain, data_name if data is None else data, merged)
        domain_obj = DOMAINS.get(domain)()
        registered = DATASETS.get(data_name).domain if data_name in DATASETS else domain
        if registered != domain and not Path(data_name).exists():
            raise ConfigError(
                f"'{data_name}' is a {registered} dataset, not {domain}; pass --domain "
                f"{registered} (domain={registered!r}) or leave the domain out"
            )
        base = TrainConfig(domain=domain)
        base = base.replace(domain_obj.default_config(data_name or IN_MEMORY), source="domain")
        # Defaults that depend on the data options (e.g. tabular experiment mode), still
        # overridden by the config file and keyword arguments below.
        options = merged.get("options") or {}
        if isinstance(options, Mapping):
            defaults = domain_obj.option_defaults(data_name or IN_MEMORY, options)
            base = base.replace(defaults, source="domain")
        cfg = base.replace(file_values, source=str(self.config) if file_values else "config")
        cfg = cfg.replace(self.hyperparameters, source="hyperparameters")
        updates: dict[str, Any] = {"domain": domain}
        if data is not None:
            updates["data"] = data_name if data_name is not None else IN_MEMORY
        return cfg.replace(updates)

    # ------------------------------------------------------------------ training
    def fit(
        self,
        data: Any = None,
        *,
        out: str | Path | None = None,
        progress: bool = False,
        **data_options: Any,
    ) -> Synthesizer:
        """Train on ``data`` (registered name, file path or in-memory data).

        Args:
            data: dataset; defaults to the config's ``data``.
            out: run folder for config.json, metrics.jsonl and checkpoints (None: in memory).
            progress: show a progress bar.
            **data_options: the domain's data options (the same as ``--set KEY=VALUE``), e.g.
                ``fit(df, conditions=["catalyst", "temperature"], outcomes=["yield"])``;
                they update the ``options`` given to the constructor.

        Returns:
            self
        """
        if data_options:
            options = {**dict(self.hyperparameters.get("options") or {}), **data_options}
            self.hyperparameters = {**self.hyperparameters, "options": options}
        cfg = self.resolve_config(data)
        dist.resolve_device(cfg.device)  # a bad --device fails before anything is written
        domain: AbstractDomain = DOMAINS.get(cfg.domain)()
        source = data if data is not None else cfg.data
        dataset = load_data(domain, source, cfg.options, cfg.seed)
        torch.manual_seed(cfg.seed)
        encoder = domain.make_encoder(cfg).fit(dataset)
        _check_drs(cfg, encoder)
        problem = _build_problem(cfg, domain, encoder, dataset)
        run_dir = None
        if out is not None:  # rank 0 creates the folder; other ranks only read it
            run_dir = run_folder.create(out) if dist.is_main() else Path(out)
            dist.barrier()
        self._set_fitted(cfg, domain, encoder, dataset, problem, run_dir)
        if run_dir is not None and dist.is_main():
            self._write_run_files(run_dir)
        self.state_ = train(cfg, problem, run_dir, progress=progress)
        self._post_train(problem, dataset)
        return self

    def resume(self, steps: int | None = None, *, progress: bool = False) -> Synthesizer:
        """Continue a saved run to ``steps`` (default: the configured total) exactly."""
        self._check_fitted()
        if self.run_dir_ is None:
            raise CheckpointError("resume needs a model loaded from a run folder")
        cfg = self.config_ if steps is None else self.config_.replace({"steps": steps})
        dist.resolve_device(cfg.device)
        if cfg.steps < self.state_.step:
            raise ConfigError(
                f"--steps {cfg.steps} is below the checkpoint's step {self.state_.step}; "
                "pass a larger number"
            )
        if self.config_.data == IN_MEMORY:
            raise DataError("this run was trained on in-memory data; resume it with the API")
        _check_drs(cfg, self.encoder_)
        dataset = load_data(self.domain_, self.config_.data, cfg.options, cfg.seed)
        problem = _build_problem(cfg, self.domain_, self.encoder_, dataset)
        saved_hash = self.run_info_["data_hash"]
        if problem.data_hash != saved_hash:
            raise DataError(
                f"{self.config_.data}: the data changed since this run started "
                f"({problem.data_hash[:19]} vs {saved_hash[:19]}); start a new run instead"
            )
        state = resume_state(cfg, problem, self.run_dir_)
        self._set_fitted(cfg, self.domain_, self.encoder_, dataset, problem, self.run_dir_)
        if dist.is_main():
            self._write_run_files(self.run_dir_)
        self.state_ = train(cfg, problem, self.run_dir_, state=state, progress=progress)
        self._post_train(problem, dataset)
        return self

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, *, seed: int | None = None, conditions: Any = None) -> Any:
        """Draw ``n`` samples from the EMA generator, in the domain's natural type.

        Args:
            n: number of samples.
            seed: fixes the samples; None draws fresh randomness.
            conditions: for conditional models, raw conditions (see the domain's README);
                None samples conditions from the training data.
        """
        self._check_fitted()
        if not isinstance(n, int | np.integer) or n < 1:
            raise ConfigError(f"n must be a positive integer, got {n!r}")
        n = int(n)
        seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)
        return generate(
            self.state_.ema.shadow,
            self.encoder_,
            self.config_.net.z_dim,
            n,
            seed,
            conditions,
            self.cond_pool_,
            refiner=self.refiner_,
        )

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self, reference: Any = None, n: int | None = None, *, seed: int = 0
    ) -> dict[str, Any]:
        """Domain metrics with their real-vs-real floors.

        Args:
            reference: reference data (name, path or in-memory); defaults to the training data.
            n: sample size (default: the config's ``eval_n``).
            seed: fixes the generated and reference samples.

        Returns:
            ``{"n": n, "seed": seed, "metrics": {name: {"value": v, "floor": f, ...}}}``
        """
        self._check_fitted()
        n = self.config_.eval_n if n is None else int(n)
        if n < 2:
            raise ConfigError(f"n must be at least 2, got {n}")
        ref = self._reference(reference)
        with progress.task("evaluate"):
            metrics = self.domain_.evaluate(
                lambda k, c, s: self.sample(k, seed=s, conditions=c), ref, n=n, seed=seed
            )
        return {"n": n, "seed": seed, "metrics": metrics}

    def predict(self, conditions: Any, **kwargs: Any) -> Any:
        """Predicted outcome distribution (mean, std, interval) for each row of ``conditions``.

        Available for conditional domains that model outcomes (tabular experiment mode:
        ``draws``, ``level``, ``seed``; see :func:`scigan.domains.tabular.experiments.predict`).
        """
        self._check_fitted()
        if not isinstance(self.domain_, ExperimentDomain):
            raise ConfigError(f"the {self.config_.domain} domain has no predict(); see its README")
        return self.domain_.predict(self, conditions, **kwargs)

    def suggest(self, k: int = 5, **kwargs: Any) -> Any:
        """The next ``k`` conditions to try (tabular experiment mode; see its README)."""
        self._check_fitted()
        if not isinstance(self.domain_, ExperimentDomain):
            raise ConfigError(f"the {self.config_.domain} domain has no suggest(); see its README")
        return self.domain_.suggest(self, k, **kwargs)

    def _reference(self, reference: Any) -> Dataset:
        if reference is None:
            if self.dataset_ is not None:
                return self.dataset_
            if self.config_.data == IN_MEMORY:
                raise DataError("this model was trained on in-memory data; pass reference=...")
            reference = self.config_.data
        if isinstance(reference, Dataset):
            return reference
        self.dataset_ = load_data(self.domain_, reference, self.config_.options, self.config_.seed)
        return self.dataset_

    def evaluate_with_figures(
        self, n: int | None = None, *, seed: int = 0
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The evaluation and the domain's report figures (samples vs reference, and figures
        that query the model, e.g. response surfaces)."""
        evaluation = self.evaluate(n=n, seed=seed)
        generated = self.sample(evaluation["n"], seed=seed)
        figures = self.domain_.figures(generated, self._reference(None))
        figures.update(self.domain_.model_figures(self))
        return evaluation, figures

    def report(self, n: int | None = None, *, seed: int = 0) -> Path:
        """Evaluate and write ``RUN/report.html``; returns its path."""
        from scigan.report import write_report

        self._check_fitted()
        if self.run_dir_ is None:
            raise CheckpointError("report needs a run folder: save(path) or fit(out=...) first")
        evaluation, figures = self.evaluate_with_figures(n, seed=seed)
        return write_report(self.run_dir_, evaluation=evaluation, figures=figures)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the model as a run folder (config.json, encoder.json, checkpoints/)."""
        self._check_fitted()
        path = Path(path)
        if self.run_dir_ is not None and path.resolve() == self.run_dir_.resolve():
            return path
        path = run_folder.create(path)
        self._write_run_files(path)
        self._save_latest(path, ["latest"])
        self.run_dir_ = path
        return path

    @classmethod
    def load(cls, path: str | Path, *, checkpoint: str = "latest") -> Synthesizer:
        """Load a run folder written by ``fit(out=...)``, ``save`` or ``scigan train``.

        Only JSON and safetensors are read: nothing is unpickled.
        """
        path = Path(path)
        if not path.is_dir():
            raise CheckpointError(
                f"{path}: run folder not found; pass the --out folder of a scigan train run"
            )
        info = run_folder.read_json(path / run_folder.CONFIG)
        if not isinstance(info, dict) or "config" not in info:
            raise CheckpointError(
                f"{path / 'config.json'}: not a scigan run config; pass the --out folder of a "
                "scigan train run"
            )
        where = path / "config.json"
        try:
            cfg = TrainConfig.from_dict(info["config"], source=str(where))
        except ConfigError as exc:
            text = str(exc)
            raise CheckpointError(
                text if text.startswith(str(where)) else f"{where}: {text}"
            ) from None
        if cfg.domain not in DOMAINS:
            raise CheckpointError(
                f"{where}: unknown domain '{cfg.domain}' (installed: "
                f"{', '.join(DOMAINS.names())}); install the scigan version that wrote this run"
            )
        domain: AbstractDomain = DOMAINS.get(cfg.domain)()
        encoder = domain.make_encoder(cfg)
        try:
            encoder.load_state_dict(run_folder.read_encoder(path))
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(
                f"{path / 'encoder.json'}: invalid encoder state ({exc}); the run folder is "
                "damaged — restore the file or retrain"
            ) from None
        tensors, saved = run_folder.load(path, checkpoint)
        self = cls(domain=cfg.domain, config=info["config"])
        G = domain.build_generator(cfg, encoder)
        D = domain.build_discriminator(cfg, encoder)
        extra = {k: v for k, v in tensors.items() if k.startswith("extra.")}
        problem = Problem(
            G,
            D,
            torch.zeros(1),
            None,
            cfg.net.z_dim,
            extra_tensors=extra,
            data_hash=str(info.get("data_hash", "")),
        )
        self._set_fitted(cfg, domain, encoder, None, problem, path)
        self.run_info_ = info
        with torch.random.fork_rng(devices=[]):
            self.state_ = init_state(cfg, problem)
            try:
                self.state_.restore(tensors, saved)
            except CheckpointError as exc:
                raise CheckpointError(f"{path / 'checkpoints'}: {exc}") from None
        return self

    # ------------------------------------------------------------------ internals
    def _save_latest(self, path: Path, tags: list[str]) -> None:
        tensors = self.state_.tensors()
        tensors.update(self.problem_extra_)
        run_folder.save(path, tags, self.state_.step, tensors, self.state_.json_state(tensors))

    def _post_train(self, problem: Problem, dataset: Dataset) -> None:
        """The stages after training, on the final EMA generator: the encoder's adaptation to it
        (:meth:`AbstractEncoder.adapt`, e.g. the latent GAN's decoder) and discriminator
        rejection sampling (``--drs``). Each logs a summary row to metrics.jsonl; their tensors
        go into the latest checkpoint (and every tag that points at the same file)."""
        rows = [r for r in (self._adapt_encoder(problem, dataset), self._fit_refiner(problem)) if r]
        if not rows or self.run_dir_ is None or not dist.is_main():
            return
        run_folder.MetricsLog(self.run_dir_).write(
            *({**row, "step": self.state_.step} for row in rows)
        )
        self._save_latest(self.run_dir_, run_folder.tags_sharing(self.run_dir_, "latest"))

    def _replace_extra(self, prefix: str, tensors: Mapping[str, torch.Tensor]) -> None:
        self.problem_extra_ = {
            **{k: v for k, v in self.problem_extra_.items() if not k.startswith(prefix)},
            **{prefix + k: v.detach().clone() for k, v in tensors.items()},
        }

    def _adapt_encoder(self, problem: Problem, dataset: Dataset) -> dict[str, Any] | None:
        G, z_dim = self.state_.ema.shadow, self.config_.net.z_dim

        def draw(rows: torch.Tensor, seed: int) -> torch.Tensor:
            cond = None if problem.cond is None else problem.cond[rows]
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                return draw_generator(G, z_dim, cond, len(rows))

        adapted = self.encoder_.adapt(dataset, draw, seed=self.config_.seed, steps=self.state_.step)
        if adapted is None:
            return None
        tensors, info = adapted
        self._replace_extra(_ADAPT, tensors)
        return {"kind": "adapt", **info}

    def _fit_refiner(self, problem: Problem) -> dict[str, Any] | None:
        """Discriminator rejection sampling (``--drs``): fit the density-ratio classifier of the
        final EMA generator against the training tensors; returns its summary row."""
        cfg = self.config_
        if not cfg.refine.drs:
            return None
        with progress.task("drs"):
            progress.stage("fit the rejection-sampling classifier")
            ratio, info = fit_generator_ratio(
                self.state_.ema.shadow, problem.data, problem.cond, cfg.net.z_dim,
                seed=cfg.seed, quantile=cfg.refine.drs_quantile,
            )  # fmt: skip
        self.refiner_, self.refiner_info_ = ratio, info
        self._replace_extra(_DRS, ratio.state_dict())
        return {"kind": "drs", **info}

    def _set_fitted(self, cfg, domain, encoder, dataset, problem, run_dir) -> None:
        self.config_: TrainConfig = cfg
        self.domain_: AbstractDomain = domain
        self.encoder_: AbstractEncoder = encoder
        self.dataset_: Dataset | None = dataset
        self.problem_extra_ = problem.extra_tensors
        self.cond_pool_ = problem.extra_tensors.get(_POOL)
        drs = {k[len(_DRS) :]: v for k, v in problem.extra_tensors.items() if k.startswith(_DRS)}
        self.refiner_: DensityRatio | None = DensityRatio.from_tensors(drs) if drs else None
        self.refiner_info_: dict[str, float] = {}  # the fit's summary (also in metrics.jsonl)
        adapt = {k: v for k, v in problem.extra_tensors.items() if k.startswith(_ADAPT)}
        encoder.load_adaptation({k[len(_ADAPT) :]: v for k, v in adapt.items()})
        self.run_dir_: Path | None = Path(run_dir) if run_dir is not None else None
        self.run_info_ = {
            "config": cfg.to_dict(),
            "versions": versions(),
            "seed": cfg.seed,
            "data_hash": problem.data_hash,
            "data": {"name": cfg.data, **(dataset.info if dataset is not None else {})},
            "created": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": sys.argv[:],
        }

    def _write_run_files(self, run_dir: Path) -> None:
        run_folder.write_encoder(run_dir, self.encoder_.state_dict())
        run_folder.write_config(run_dir, self.run_info_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "config_"):
            raise ConfigError("this Synthesizer is not fitted yet; call fit(data) first")

    state_: TrainState


def load_data(domain: AbstractDomain, source: Any, options: Any, seed: int) -> Dataset:
    """``domain.load`` with a safety net: an unreadable file (a folder, no permission, not
    UTF-8) that a domain's reader did not anticipate is still a one-line DataError."""
    try:
        return domain.load(source, options=options, seed=seed)
    except SciganError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(f"{source}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        what = "is a directory" if isinstance(exc, IsADirectoryError) else exc.strerror
        raise DataError(
            f"{exc.filename or source}: cannot read ({what}); pass a readable data file"
        ) from None


def _check_drs(cfg: TrainConfig, encoder: AbstractEncoder) -> None:
    """Rejection sampling needs continuous generator outputs: against one-hot data, G's soft
    categorical outputs are told apart by their softness alone, and the ratio is meaningless."""
    if not cfg.refine.drs:
        return
    soft = sorted({s.activation for s in encoder.output_spans()} & {"softmax", "gumbel"})
    if soft:
        raise ConfigError(
            f"--drs needs continuous generator outputs, but this {cfg.domain} model emits "
            f"{'/'.join(soft)} categories; train without --drs"
        )


def _build_problem(
    cfg: TrainConfig, domain: AbstractDomain, encoder: AbstractEncoder, dataset: Dataset
) -> Problem:
    """Encode the data and build fresh networks (seeded) for the engine."""
    data = encoder.encode(dataset.samples)
    cond = encoder.encode_conditions(dataset.conditions) if encoder.cond_dim else None
    if len(data) < 2:
        raise DataError(f"{dataset.name}: need at least 2 samples to train, got {len(data)}")
    torch.manual_seed(cfg.seed)
    G = domain.build_generator(cfg, encoder)
    D = domain.build_discriminator(cfg, encoder)
    extra: dict[str, torch.Tensor] = {}
    if cond is not None:
        pool = torch.Generator().manual_seed(cfg.seed)
        idx = torch.randperm(len(cond), generator=pool)[:_COND_POOL]
        extra[_POOL] = cond[idx].clone()

    selection = domain.selection_reference(dataset)

    def evaluate(G_ema: torch.nn.Module, n: int, seed: int) -> dict[str, Any]:
        def sample(k: int, conditions: Any, s: int) -> Any:
            return generate(
                G_ema, encoder, cfg.net.z_dim, k, s, conditions, extra.get(_POOL), shard=True
            )

        with progress.task("evaluate"):
            return domain.evaluate(sample, selection, n=n, seed=seed)

    best, lower = domain.best_metric
    problem = Problem(
        G=G,
        D=D,
        data=data,
        cond=cond,
        z_dim=cfg.net.z_dim,
        evaluate=evaluate,
        best_metric=cfg.best_metric or best,
        best_lower_is_better=lower,
        extra_tensors=extra,
        data_hash=hash_tensors(data, cond),
        g_penalty=domain.generator_penalty(cfg, encoder, data, G),
    )
    return problem


def generate(
    G: torch.nn.Module,
    encoder: AbstractEncoder,
    z_dim: int,
    n: int,
    seed: int,
    conditions: Any = None,
    cond_pool: torch.Tensor | None = None,
    *,
    shard: bool = False,
    refiner: DensityRatio | None = None,
) -> Any:
    """n samples from ``G`` decoded to the domain's type; RNG isolated and fixed by ``seed``.

    z and conditions are drawn on the CPU and moved to G's device, so the samples do not depend
    on where G lives. ``shard``: under torchrun every rank runs G on its share of each chunk and
    the shards are gathered — every rank returns the same samples as a single process would.
    ``refiner``: discriminator rejection sampling — each row is drawn again (with its own
    condition) until the density-ratio classifier accepts it (not with ``shard``).
    """
    progress.stage(f"sample {n}")
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        if encoder.cond_dim and conditions is None:
            c = cond_pool[torch.randint(len(cond_pool), (n,))]
        elif encoder.cond_dim:
            c = encoder.encode_conditions(conditions)
            if c is None or len(c) != n:
                raise DataError(f"conditions must describe {n} rows, got {len(c)}")
        else:
            if conditions is not None:
                raise DataError("this model is unconditional; do not pass conditions")
            c = None
        was_training = G.training
        G.eval()
        device = next(G.parameters()).device
        if refiner is not None and not shard:

            def draw(rows: torch.Tensor) -> torch.Tensor:
                z = torch.randn(len(rows), z_dim).to(device)
                return G(z, None if c is None else c[rows].to(device)).cpu()

            x, _ = rejection_sample(draw, refiner, n, condition=c)
            G.train(was_training)
            return encoder.decode(x)
        chunks = []
        with progress.bar(n, "sample", "sample", disable=True if n <= 4096 else None) as pbar:
            for start in range(0, n, 4096):
                z = torch.randn(min(4096, n - start), z_dim)
                cz = None if c is None else c[start : start + len(z)]
                a, b = dist.shard(len(z)) if shard else (0, len(z))
                keep = b - a  # an empty shard still runs G on one row to get the shape
                a, b = (a, b) if keep else (0, 1)
                part = G(z[a:b].to(device), None if cz is None else cz[a:b].to(device))[:keep]
                chunks.append(dist.gather_rows(part, len(z)) if shard else part)
                pbar.update(len(z))
        G.train(was_training)
        return encoder.decode(torch.cat(chunks).cpu())
