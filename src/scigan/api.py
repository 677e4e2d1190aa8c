"""The scikit-learn-style estimator: :class:`Synthesizer`.

``Synthesizer(domain=..., **hyperparameters).fit(data)`` trains a GAN; ``sample``,
``evaluate``, ``save`` and ``Synthesizer.load`` follow scikit-learn conventions: ``__init__``
stores its arguments verbatim, ``fit`` returns ``self``, learned state ends in ``_``.
A saved model is a run folder: ``config.json``, ``encoder.json``, ``checkpoints/``.
"""

from __future__ import annotations

import datetime as _dt
import math
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from scigan import progress
from scigan.config import TrainConfig
from scigan.core import dist, run_folder
from scigan.core.losses import make_loss, make_regularisers
from scigan.core.refine import DensityRatio, draw_generator, fit_generator_ratio
from scigan.core.training_loop import Problem, TrainState, init_state, resume_state, train
from scigan.domains.base import AbstractDomain, AbstractEncoder, Dataset, ExperimentDomain
from scigan.errors import CheckpointError, ConfigError, DataError, OutputError
from scigan.problem import (
    ADAPT,
    DRS,
    IN_MEMORY,
    POOL,
    build_problem,
    check_drs,
    load_data,
    resolve_config,
    versions,
)
from scigan.registry import DATASETS, DOMAINS
from scigan.sampling import generate


def _seed(seed: int | None) -> int:
    """``seed``, or fresh randomness when None."""
    return int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)


def _check_same_data(source: str, data_hash: str, saved_hash: str) -> None:
    if saved_hash and data_hash != saved_hash:
        raise DataError(
            f"{source}: the data changed since this run started "
            f"({data_hash[:19]} vs {saved_hash[:19]}); pass the original data or start a new run"
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

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments (scikit-learn convention; ``sklearn.base.clone`` works).
        ``deep`` is accepted for scikit-learn; no parameter is itself an estimator."""
        return {"domain": self.domain, "config": self.config, **self.hyperparameters}

    def set_params(self, **params: Any) -> Synthesizer:
        """Set constructor arguments (scikit-learn convention); returns self."""
        for key, value in params.items():
            if key in ("domain", "config"):
                setattr(self, key, value)
            else:
                self.hyperparameters = {**self.hyperparameters, key: value}
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v is not None)
        return f"Synthesizer({args})"

    # ------------------------------------------------------------------ configuration
    def resolve_config(self, data: Any = None) -> TrainConfig:
        """The resolved :class:`TrainConfig`: defaults → domain defaults → config → kwargs."""
        return resolve_config(self.domain, self.config, self.hyperparameters, data)

    # ------------------------------------------------------------------ training
    def fit(
        self,
        data: Any = None,
        *,
        out: str | Path | None = None,
        progress: bool = False,
        force: bool = False,
        **data_options: Any,
    ) -> Synthesizer:
        """Train on ``data`` (registered name, file path or in-memory data).

        Args:
            data: dataset; defaults to the config's ``data``.
            out: run folder for config.json, metrics.jsonl and checkpoints (None: in memory).
                A folder that holds a run is refused (resume it); a non-empty folder that
                holds no run is refused unless ``force``.
            progress: show a progress bar.
            force: write the run into a non-empty folder that is not a run.
            **data_options: the domain's data options (the same as ``--set KEY=VALUE``), e.g.
                ``fit(df, conditions=["catalyst", "temperature"], outcomes=["yield"])``;
                they update the ``options`` given to the constructor.

        Returns:
            self
        """
        if data_options:
            options = {**dict(self.hyperparameters.get("options") or {}), **data_options}
            self.hyperparameters = {**self.hyperparameters, "options": options}
        return self._fit(data, out, progress=progress, force=force)

    def _fit(
        self,
        data: Any,
        out: str | Path | None,
        *,
        progress: bool,
        force: bool = False,
        restart_hash: str | None = None,
    ) -> Synthesizer:
        """fit(); ``restart_hash``: start again in the existing run folder ``out`` (a run killed
        before its first checkpoint: what it wrote is cleared once the lock is held), on data
        that must hash to the recorded value."""
        t_start = time.perf_counter()
        cfg = self.resolve_config(data)
        dist.resolve_device(cfg.device)  # a bad --device fails before anything is written
        domain: AbstractDomain = DOMAINS.get(cfg.domain)()
        source = data if data is not None else cfg.data
        dataset = load_data(domain, source, cfg.options, cfg.seed)
        if cfg.threads:  # before the encoder: an autoencoder trained on 2 threads sums in
            torch.set_num_threads(cfg.threads)  # another order than on 1 (other weights)
        torch.manual_seed(cfg.seed)
        encoder = domain.make_encoder(cfg).fit(dataset)
        check_drs(cfg, encoder)
        problem = build_problem(cfg, domain, encoder, dataset)
        if restart_hash:
            _check_same_data(str(source), problem.data_hash, restart_hash)
        run_dir = None
        if out is not None:  # rank 0 creates the folder; other ranks only read it
            fresh = restart_hash is None and dist.is_main()
            run_dir = run_folder.create(out, force=force) if fresh else Path(out)
            dist.barrier()
        with run_folder.lock(run_dir if dist.is_main() else None):
            if restart_hash is not None and dist.is_main():
                run_folder.clear_for_restart(run_dir)  # under the same lock as the new run
            self._set_fitted(cfg, domain, encoder, dataset, problem, run_dir)
            if run_dir is not None and dist.is_main():
                self._write_run_files(run_dir)
                self._log_setup(run_dir, 0, t_start)
            self.state_ = train(cfg, problem, run_dir, progress=progress)
            self._post_train(problem, dataset)
        return self

    @classmethod
    def resume_run(
        cls,
        path: str | Path,
        steps: int | None = None,
        *,
        data: str | Path | None = None,
        progress: bool = False,
    ) -> Synthesizer:
        """Continue the run in folder ``path`` exactly (``scigan resume``).

        A run killed before its first checkpoint (config.json but no checkpoint) starts again
        at step 0 with its saved config — training is deterministic, so the result is the
        run that would have been. ``data``: where the training data is now, if it moved (its
        hash must match the one the run recorded)."""
        path = Path(path)
        if run_folder.has_checkpoint(path) or not (path / run_folder.CONFIG).is_file():
            return cls.load(path).resume(steps, data=data, progress=progress)
        info = run_folder.read_config(path)
        where = path / run_folder.CONFIG
        try:
            cfg = TrainConfig.from_dict(info.get("config"), source=str(where))
        except (ConfigError, TypeError, AttributeError) as exc:
            raise CheckpointError(f"{where}: not a scigan run config ({exc})") from None
        if cfg.data == IN_MEMORY:
            raise DataError(f"{path}: this run was trained on in-memory data; fit it again")
        if steps is not None:
            cfg = cfg.replace({"steps": steps})
        source = str(Path(data).resolve()) if data is not None else cfg.data
        self = cls(domain=cfg.domain, config=cfg.replace({"data": source}).to_dict())
        saved_hash = str(info.get("data_hash", ""))
        return self._fit(source, path, progress=progress, restart_hash=saved_hash)

    def resume(
        self,
        steps: int | None = None,
        *,
        data: str | Path | None = None,
        progress: bool = False,
    ) -> Synthesizer:
        """Continue a saved run to ``steps`` (default: the configured total) exactly.

        ``data``: where the training data is now, if the file moved since the run started
        (its hash must match the one the run recorded)."""
        self._check_fitted()
        t_start = time.perf_counter()
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
        check_drs(cfg, self.encoder_)
        source = self.config_.data if data is None else str(data)
        if data is None and not Path(source).exists() and source not in DATASETS:
            raise DataError(
                f"{source}: training data file not found (moved or deleted?); pass its new "
                "place with --data PATH (API: resume(data=...))"
            )
        if data is not None and Path(source).exists():
            source = str(Path(source).resolve())
        dataset = load_data(self.domain_, source, cfg.options, cfg.seed)
        problem = build_problem(cfg, self.domain_, self.encoder_, dataset)
        _check_same_data(source, problem.data_hash, self.run_info_["data_hash"])
        if source != self.config_.data:
            cfg = cfg.replace({"data": source})
        with run_folder.lock(self.run_dir_ if dist.is_main() else None):
            state = resume_state(cfg, problem, self.run_dir_)
            self._set_fitted(cfg, self.domain_, self.encoder_, dataset, problem, self.run_dir_)
            if dist.is_main():
                self._write_run_files(self.run_dir_)
                self._log_setup(self.run_dir_, state.step, t_start)
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
        seed = _seed(seed)
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

    def parse_conditions(self, values: Mapping[str, str], n: int) -> Any:
        """``{"T": "2.269"}`` (the CLI's ``--condition T=2.269``) → conditions for ``n``
        samples, in the form :meth:`sample` takes."""
        self._check_fitted()
        return self.domain_.parse_conditions(self.encoder_, dict(values), n)

    def write_samples(
        self,
        path: str | Path,
        n: int,
        *,
        seed: int | None = None,
        conditions: Any = None,
        overwrite: bool = False,
    ) -> Path:
        """Draw ``n`` samples and write them to ``path`` in the format its suffix names (the
        domain's ``sample_suffixes``; a folder for domains that write one file per sample).
        Conditional samples carry their conditions where the format allows. The file is
        written atomically: nothing half-written is left on failure. An existing file is
        never replaced unless ``overwrite``."""
        self._check_fitted()
        path = Path(path)
        domain = self.domain_
        folder = domain.writes_folders and path.suffix == ""
        if path.suffix not in domain.sample_suffixes and not folder:
            raise OutputError(
                f"{path}: unsupported sample format '{path.suffix or '(none)'}' for the "
                f"{domain.name} domain; use one of {', '.join(domain.sample_suffixes)}"
            )
        if path.is_dir() and not folder:
            raise OutputError(f"{path}: is a directory; give a file name such as samples.csv")
        if not path.parent.exists():
            raise OutputError(f"{path.parent}: folder does not exist; create it first")
        if path.exists() and not overwrite and not (folder and not any(path.iterdir())):
            what = "folder is not empty" if folder else "already exists"
            raise OutputError(
                f"{path}: {what}; choose a new name or overwrite it with --force "
                "(API: overwrite=True)"
            )
        if conditions is None and self.encoder_.cond_dim and self.cond_pool_ is not None:
            # Drawn at training conditions: draw them here, so the file carries them.
            rows = torch.randint(
                len(self.cond_pool_), (n,), generator=torch.Generator().manual_seed(_seed(seed))
            )
            conditions = self.encoder_.decode_conditions(self.cond_pool_[rows])
        samples = self.sample(n, seed=seed, conditions=conditions)
        domain.write_samples(samples, conditions, path)
        return path

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self, reference: Any = None, n: int | None = None, *, seed: int = 0
    ) -> dict[str, Any]:
        """Domain metrics with their real-vs-real floors.

        Args:
            reference: reference data (name, path or in-memory); defaults to the domain's
                evaluation reference (the held-out test part, or a fresh simulator sample).
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
            if self.dataset_ is None:
                if self.config_.data == IN_MEMORY:
                    raise DataError("this model was trained on in-memory data; pass reference=...")
                self.dataset_ = load_data(
                    self.domain_, self.config_.data, self.config_.options, self.config_.seed
                )
            return self.domain_.evaluation_reference(self.dataset_)
        if isinstance(reference, Dataset):
            return reference
        return load_data(self.domain_, reference, self.config_.options, self.config_.seed)

    def evaluate_with_figures(
        self, n: int | None = None, *, seed: int = 0
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The evaluation and the domain's report figures (samples vs reference, and figures
        that query the model, e.g. response surfaces)."""
        evaluation = self.evaluate(n=n, seed=seed)
        with progress.task("figures"):
            generated = self.sample(evaluation["n"], seed=seed)
            progress.stage("draw the domain's figures")
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
        with run_folder.lock(path):
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
        try:
            encoder = domain.restore_encoder(cfg, run_folder.read_encoder(path))
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
            loss=make_loss(cfg.objective.loss),
            regularisers=make_regularisers(cfg.objective),
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
        stages = (
            self._adapt_encoder(problem, dataset),
            self._choose_temperature(problem, dataset),
            self._fit_refiner(problem),
        )
        rows = [r for r in stages if r]
        if not rows or self.run_dir_ is None or not dist.is_main():
            return
        run_folder.MetricsLog(self.run_dir_).write(
            *({**row, "step": self.state_.step} for row in rows)
        )
        if stages[1]:  # the chosen temperature is part of the encoder's state
            run_folder.write_encoder(self.run_dir_, self.encoder_.state_dict())
        self._save_latest(self.run_dir_, run_folder.tags_sharing(self.run_dir_, "latest"))

    def _choose_temperature(self, problem: Problem, dataset: Dataset) -> dict[str, Any] | None:
        """The encoder's sampling temperature chosen among :meth:`temperature_grid` by the
        selection metric (``best``'s) on the validation part, ``eval_n`` samples at the run's
        seed each; none without a grid, a selection metric or a validation part."""
        grid = self.encoder_.temperature_grid()
        name, lower = problem.best_metric, problem.best_lower_is_better
        if not grid or not name or self.domain_.selection_reference(dataset) is dataset:
            return None
        n = self.config_.eval_n or 1000
        scores: dict[float, float] = {}
        t0 = time.perf_counter()
        with progress.task("temperature"):
            for t in grid:
                progress.stage(f"score temperature {t:g} on the validation part")
                self.encoder_.set_temperature(t)
                with torch.random.fork_rng(devices=[]):
                    result = problem.evaluate(self.state_.ema.shadow, n, self.config_.seed)
                if name not in result or not math.isfinite(float(result[name]["value"])):
                    self.encoder_.set_temperature(grid[0])
                    return None
                scores[t] = float(result[name]["value"])
        pick = grid[0]
        for t in grid[1:]:  # strictly better only: ties keep the earlier temperature
            if (scores[t] < scores[pick]) if lower else (scores[t] > scores[pick]):
                pick = t
        self.encoder_.set_temperature(pick)
        return {"kind": "temperature", "metric": name, "n": n, "seed": self.config_.seed,
                "scores": {f"{t:g}": v for t, v in scores.items()}, "chosen": pick,
                "seconds": time.perf_counter() - t0}  # fmt: skip

    @staticmethod
    def _log_setup(run_dir: Path, step: int, t_start: float) -> None:
        """The set-up before training (loading and encoding the data, fitting the encoder —
        minutes for the molecules autoencoder) as a stage row, so the run's wall time is the
        whole job's."""
        seconds = time.perf_counter() - t_start
        run_folder.MetricsLog(run_dir).write({"kind": "setup", "step": step, "seconds": seconds})

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
        self._replace_extra(ADAPT, tensors)
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
        self._replace_extra(DRS, ratio.state_dict())
        return {"kind": "drs", **info}

    def _set_fitted(self, cfg, domain, encoder, dataset, problem, run_dir) -> None:
        self.config_: TrainConfig = cfg
        self.domain_: AbstractDomain = domain
        self.encoder_: AbstractEncoder = encoder
        self.dataset_: Dataset | None = dataset
        self.problem_extra_ = problem.extra_tensors
        self.cond_pool_ = problem.extra_tensors.get(POOL)
        drs = {k[len(DRS) :]: v for k, v in problem.extra_tensors.items() if k.startswith(DRS)}
        self.refiner_: DensityRatio | None = DensityRatio.from_tensors(drs) if drs else None
        self.refiner_info_: dict[str, float] = {}  # the fit's summary (also in metrics.jsonl)
        adapt = {k: v for k, v in problem.extra_tensors.items() if k.startswith(ADAPT)}
        encoder.load_adaptation({k[len(ADAPT) :]: v for k, v in adapt.items()})
        self.run_dir_: Path | None = Path(run_dir) if run_dir is not None else None
        self.run_info_ = {
            "config": cfg.to_dict(),
            "versions": versions(),
            "seed": cfg.seed,
            "data_hash": problem.data_hash,
            "data": {"name": cfg.data, **(dataset.info if dataset is not None else {})},
            "created": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": sys.argv[:],
            "world_size": dist.world_size(),  # torchrun processes (1: a plain process)
            "device": str(dist.resolve_device(cfg.device)),
        }

    def _write_run_files(self, run_dir: Path) -> None:
        run_folder.write_encoder(run_dir, self.encoder_.state_dict())
        run_folder.write_config(run_dir, self.run_info_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "config_"):
            raise ConfigError("this Synthesizer is not fitted yet; call fit(data) first")

    state_: TrainState
