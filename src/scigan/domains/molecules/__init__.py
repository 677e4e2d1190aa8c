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
large sample of real training molecules (MOSES' "Train" row). See README.md in this folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from torch import nn

from scigan.config import TrainConfig
from scigan.core.checkpoint import atomic_write_text
from scigan.core.nets import MLPDiscriminator, MLPGenerator
from scigan.domains.base import (
    AbstractDomain,
    AbstractEncoder,
    Dataset,
    DemoSpec,
    MetricResult,
    SampleFn,
)
from scigan.domains.molecules import chem
from scigan.domains.molecules import metrics as M
from scigan.domains.molecules.data import (
    MoleculeDataset,
    moses_smiles,
    moses_train_canonical,
    qm9_frame,
    read_smiles_file,
    validate_smiles,
)
from scigan.domains.molecules.encoding import (
    ACTIVE_VARIANCE,
    ADAPT_STEPS,
    ADAPT_TEMPERATURE,
    AUTO,
    RETRIES,
    TEMPERATURE,
    LatentEncoder,
    TokenEncoder,
    molecule_properties,
)
from scigan.domains.molecules.nets import TokenCritic
from scigan.errors import DataError
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

MODELS = ("latent-gan", "selfies-gan")
OPTIONS = (
    "model",
    "alphabet",
    "n_train",
    "conditions",
    "smiles_column",
    "invalid",
    "test_fraction",
    "max_len",
    "ae_steps",
    "ae_minutes",
    "ae_hidden",
    "ae_latent",
    "ae_decoder",
    "ae_beta",
    "temperature",
    "retries",
    "active_variance",
    "adapt_steps",
    "adapt_temperature",
)
_DEFAULT_N_TRAIN = {"latent-gan": 250_000, "selfies-gan": 30_000}  # memory: (N, L·V) one-hot


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise DataError(f"unknown molecules option(s) {unknown}; options: {', '.join(OPTIONS)}")
    opts = dict(options)
    model = opts.get("model", "latent-gan")
    if model not in MODELS:
        raise DataError(f"model={model!r} must be one of {', '.join(MODELS)}")
    opts["model"] = model
    conds = opts.get("conditions") or []
    if isinstance(conds, str):
        conds = [c for c in conds.strip("[]").split(",") if c.strip()]
    opts["conditions"] = [str(c).strip() for c in conds]
    return opts


def _number(value: Any, name: str, lo: float, hi: float, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not lo <= x <= hi:
        raise DataError(f"{name}={value!r} must be a number in [{lo}, {hi}] ({what})")
    return x


def _subset(smiles: list[str], n: int, seed: int) -> tuple[list[str], list[str]]:
    """(training subset of n, the rest) — a seeded permutation."""
    order = np.random.default_rng([seed, 31]).permutation(len(smiles))
    return [smiles[i] for i in order[:n]], [smiles[i] for i in order[n:]]


def load_molecules(source: Any, *, options: Mapping[str, Any], seed: int) -> MoleculeDataset:
    """Read MOSES / QM9 / a user file / a list of SMILES into a :class:`MoleculeDataset`."""
    opts = _options(options)
    n_train = int(opts.get("n_train", _DEFAULT_N_TRAIN[opts["model"]]))
    if n_train < 10:
        raise DataError(f"n_train={n_train} must be at least 10")
    info: dict[str, Any] = {"model": opts["model"]}
    table: pd.DataFrame | None = None  # the file's other columns, aligned with `smiles`
    smiles: list[str] = []
    if isinstance(source, str) and source == "moses":
        train_all = moses_smiles("train")
        train, pool = _subset(train_all, n_train, seed)
        test, test_sf = moses_smiles("test"), moses_smiles("test_scaffolds")
        ds = MoleculeDataset(
            "moses", train, None, info, test=test, test_sf=test_sf, pool=pool, moses=True
        )
        info.update(n_source=len(train_all), reference="MOSES test / test_scaffolds (stored)")
    else:
        if isinstance(source, str) and source == "qm9":
            frame = qm9_frame()
            smiles, keep = validate_smiles(
                frame["smiles"].tolist(), list(range(2, len(frame) + 2)), where="qm9",
                invalid="skip",
            )  # fmt: skip
            table = frame.drop(columns=["smiles"]).iloc[keep].reset_index(drop=True)
            name = "qm9"
        elif isinstance(source, str | Path):
            smiles, table = read_smiles_file(
                source, smiles_column=opts.get("smiles_column"),
                invalid=opts.get("invalid", "error"),
            )  # fmt: skip
            name = str(source)
        elif isinstance(source, list | tuple | pd.Series):
            items = [str(s) for s in source]
            smiles, _ = validate_smiles(
                items, list(range(1, len(items) + 1)), where="<in-memory>",
                invalid=opts.get("invalid", "error"),
            )  # fmt: skip
            name = "<in-memory>"
        else:
            raise DataError(
                "molecules data must be 'moses', 'qm9', a .smi/.txt/.csv/.sdf file or a list of "
                f"SMILES, got {type(source).__name__}"
            )
        if len(smiles) < 20:
            raise DataError(f"{name}: {len(smiles)} valid molecules; need at least 20 to train")
        frac = float(opts.get("test_fraction", 0.1))
        if not 0.02 <= frac <= 0.5:
            raise DataError(f"test_fraction={frac} must be in [0.02, 0.5]")
        rest, test = _subset(smiles, round(len(smiles) * (1 - frac)), seed)
        train, pool = rest[:n_train], rest
        ds = MoleculeDataset(name, train, None, info, test=test, pool=pool)
        info.update(n_source=len(smiles), reference=f"seeded {frac:.0%} test split")
    info.update(n_train=len(ds.samples), n_test=len(ds.test))
    if opts["conditions"]:
        ds.conditions = _condition_frame(ds.samples, opts["conditions"], table, smiles)
        info["conditions"] = list(ds.conditions.columns)
    return ds


def _condition_frame(
    samples: list[str], names: list[str], table: pd.DataFrame | None, smiles: list[str]
) -> pd.DataFrame:
    """Condition values: numeric columns of the data file (QM9 ``gap``, a user's ``pIC50``) or
    RDKit properties (``QED``, ``logP``, ``SA``, ``weight``) computed from the molecules."""
    columns = list(table.columns) if table is not None else []
    pos = {s: i for i, s in enumerate(smiles)}
    resolved = [n if n in columns else chem.property_name(n) for n in names]
    computed = [n for n, r in zip(names, resolved, strict=True) if n not in columns]
    props = (
        molecule_properties(samples, [chem.property_name(n) for n in computed])
        if computed
        else None
    )
    out = {}
    for name, key in zip(names, resolved, strict=True):
        if name in columns:
            col = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=np.float64)
            out[key] = col[[pos[s] for s in samples]]
            if not np.isfinite(out[key]).all():
                raise DataError(
                    f"condition column '{name}' has empty or non-numeric values; fill them or "
                    "choose another column"
                )
        else:
            out[key] = props[key].to_numpy()
    return pd.DataFrame(out)


def novelty_set(ds: MoleculeDataset) -> set[str]:
    if ds.novelty_train is None:
        if ds.moses:
            ds.novelty_train = moses_train_canonical()
        else:
            ds.novelty_train = set(ds.pool) | set(ds.samples)
    return ds.novelty_train


_REFERENCES: dict[str, dict[str, M.ReferenceStats]] = {}
_FLOORS: dict[tuple, dict[str, float]] = {}


def references(ds: MoleculeDataset) -> dict[str, M.ReferenceStats]:
    """``{"Test": stats, "TestSF": stats}`` (MOSES, stored) or ``{"Test": ...}`` (computed)."""
    if ds.moses:
        return {"Test": M.moses_reference("test"), "TestSF": M.moses_reference("test_scaffolds")}
    import hashlib

    key = hashlib.sha256("\n".join(ds.test).encode()).hexdigest()[:16]
    if key not in _REFERENCES:
        stats = M.ReferenceStats.load(f"ref-{key}")
        if stats is None:
            stats = M.ReferenceStats.from_molecules(M.Molecules.from_smiles(ds.test))
            stats.save(f"ref-{key}")
        _REFERENCES[key] = {"Test": stats}
    return _REFERENCES[key]


def evaluate_molecules(
    sample: SampleFn, reference: MoleculeDataset, *, n: int, seed: int
) -> MetricResult:
    """MOSES metrics of n generated molecules; floor = n real training molecules (MOSES 'Train')."""
    if not isinstance(reference, MoleculeDataset):
        raise DataError("molecule evaluation needs a reference loaded by the molecules domain")
    refs = references(reference)
    train = novelty_set(reference)
    ks = [k for k in (1000, 10000) if k <= n] or [n]
    generated = sample(n, None, seed)
    value = M.moses_metrics(generated, refs, train=train, ks=ks)
    fkey = (reference.name, len(reference.pool), n, seed)
    if fkey not in _FLOORS:
        rng = np.random.default_rng([seed, 41])
        pool = reference.pool if len(reference.pool) >= n else reference.samples
        real = [pool[i] for i in rng.choice(len(pool), min(n, len(pool)), replace=False)]
        _FLOORS[fkey] = M.moses_metrics(real, refs, train=train, ks=ks)
    floor = _FLOORS[fkey]
    return {
        name: {
            "value": float(v),
            "floor": float(floor.get(name, float("nan"))),
            "n": int(n),
            "seed": int(seed),
            "better": "lower" if M.lower_is_better(name) else "higher",
        }
        for name, v in value.items()
    }


@DOMAINS.register("molecules")
class MoleculesDomain(AbstractDomain):
    """Molecule generation; see the module docstring and README.md."""

    name = "molecules"
    sample_suffixes = (".smi", ".txt", ".csv")
    best_metric = ("FCD/Test", True)
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
        # LatentGAN's critic schedule (WGAN-GP, 5 critic steps, Adam 0.5/0.9) with residual MLPs
        # sized for 2 CPU cores (width 512 × 3 blocks: 0.29 s per critic step at batch 256 on
        # one thread; width 256 × 2: 0.06 s); the autoencoder has its own budget (ae_* options).
        return {
            "loss": "wgan-gp",
            "n_critic": 5,
            "batch_size": 128,
            "lr_g": 2e-4,
            "lr_d": 2e-4,
            "beta1": 0.5,
            "beta2": 0.9,
            "z_dim": 64,
            "g_width": 256,
            "d_width": 256,
            "g_depth": 2,
            "d_depth": 2,
            "steps": 20000,
            "eval_every": 0,
            "eval_n": 2000,
            "ckpt_every": 2000,
            "log_every": 100,
            "ema_decay": 0.999,
            "threads": 1,
        }

    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        return load_molecules(source, options=options, seed=seed)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        opts = _options(cfg.options)
        # latent GAN: SMILES (a GRU decodes its ring-closure digits and aromatic atoms far
        # better than SELFIES' ring-size tokens: FCD/Test of decoded test codes 1.37 vs 3.56 at
        # the same 20 minutes, benchmarks/RESULTS.md); the direct GAN: SELFIES (always valid)
        alphabet = opts.get("alphabet", "smiles" if opts["model"] == "latent-gan" else "selfies")
        max_len = int(opts.get("max_len", 0))
        if opts["model"] == "selfies-gan":
            return TokenEncoder(alphabet, max_len)
        ae = {
            k[3:]: opts[k]
            for k in ("ae_steps", "ae_hidden", "ae_latent", "ae_decoder")
            if k in opts
        }
        if "ae_beta" in opts:
            ae["beta"] = _number(opts["ae_beta"], "ae_beta", 0, 10, (
                "the KL weight of the variational autoencoder; 0 = the deterministic one, "
                "default 0.5"))  # fmt: skip
        if "ae_minutes" in opts:
            ae["max_minutes"] = float(opts["ae_minutes"])
        temperature = _number(opts.get("temperature", TEMPERATURE), "temperature", 0, 5, (
            f"the decoder's sampling temperature; 0 = greedy decoding, default {TEMPERATURE}"
        ))  # fmt: skip
        retries = _number(opts.get("retries", RETRIES), "retries", 0, 100, (
            "how often an invalid decode is drawn again from its code; 0 = never"))  # fmt: skip
        if retries != int(retries):
            raise DataError(f"retries={opts['retries']!r} must be a whole number in [0, 100]")
        active = _number(opts.get("active_variance", ACTIVE_VARIANCE), "active_variance", 0, 10, (
            "code dimensions whose posterior mean varies less than this over the training "
            f"molecules are held at their mean; 0 = the GAN models all, default {ACTIVE_VARIANCE}"
        ))  # fmt: skip
        # default (auto): a quarter of the GAN's final steps, at most ADAPT_STEPS (demo: 800 → 200)
        adapt = opts.get("adapt_steps", "auto")
        if adapt != "auto":
            adapt = _number(adapt, "adapt_steps", 0, 1_000_000, (
                "steps that fit a copy of the decoder to the trained GAN's codes; 0 = never, "
                f"default auto = min({ADAPT_STEPS}, GAN steps / 4)"))  # fmt: skip
            if adapt != int(adapt):
                raise DataError(f"adapt_steps={opts['adapt_steps']!r} must be a whole number")
        adapt_t = _number(opts.get("adapt_temperature", ADAPT_TEMPERATURE), "adapt_temperature",
                          0, 5, "the adapted decoder's sampling temperature, default "
                          f"{ADAPT_TEMPERATURE}")  # fmt: skip
        return LatentEncoder(
            alphabet, max_len, ae=ae, seed=cfg.seed, temperature=temperature,
            retries=int(retries), active_variance=active,
            adapt_steps=AUTO if adapt == "auto" else int(adapt),
            adapt_temperature=adapt_t,
        )  # fmt: skip

    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        return MLPGenerator(
            cfg.net.z_dim,
            encoder.output_spans(),
            cond_dim=encoder.cond_dim,
            width=cfg.net.g_width,
            depth=cfg.net.g_depth,
            latent_modes=cfg.net.latent_modes,
        )

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        if isinstance(encoder, TokenEncoder):
            return TokenCritic(
                encoder.length_,
                encoder.tokenizer_.size,
                cond_dim=encoder.cond_dim,
                width=min(cfg.net.d_width, 256),
                depth=cfg.net.d_depth,
                sn=cfg.net.spectral_norm,
            )
        return MLPDiscriminator(
            sum(s.dim for s in encoder.output_spans()),
            cond_dim=encoder.cond_dim,
            width=cfg.net.d_width,
            depth=cfg.net.d_depth,
            sn=cfg.net.spectral_norm,
            pac=cfg.net.pac,
            minibatch_std=cfg.net.minibatch_std,
        )

    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        return evaluate_molecules(sample, reference, n=n, seed=seed)

    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
        smiles = [str(s) for s in samples]
        path = Path(path)
        if path.suffix == ".csv":
            df = pd.DataFrame({"smiles": smiles})
            if isinstance(conditions, pd.DataFrame):
                for c in conditions.columns:
                    df[f"target_{c}"] = conditions[c].to_numpy()
            atomic_write_text(path, df.to_csv(index=False))
        else:
            atomic_write_text(path, "".join(s + "\n" for s in smiles))

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        names = encoder.condition_names
        if not names:
            raise DataError("this model has no property conditions; train with conditions=[...]")
        row = dict(zip(names, encoder.conditions_.mean_, strict=True))
        for key, text in values.items():
            name = key if key in names else chem.property_name(key)
            if name not in names:
                raise DataError(f"unknown condition '{key}'; this model is conditioned on {names}")
            try:
                row[name] = float(text)
            except ValueError:
                raise DataError(f"condition {key}={text!r} must be a number") from None
        return pd.DataFrame({k: [v] * n for k, v in row.items()})

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from scigan.domains.molecules.figures import molecule_figures

        return molecule_figures(generated, reference)


# ---------------------------------------------------------------------------- datasets
register_dataset(
    DatasetInfo(
        "moses", "molecules", "1,584,663 train / 176,074 test SMILES",
        "molsets==0.3.1 wheel (ZINC Clean Leads; Polykovskiy et al. 2020)", "MIT",
        "MOSES benchmark; metrics against the stored test / scaffold-test statistics",
    )
)  # fmt: skip
register_dataset(
    DatasetInfo(
        "qm9", "molecules", "130,831 SMILES + DFT properties",
        "qm9pack==1.0.3 wheel (Ramakrishnan et al. 2014)", "MIT",
        "small organic molecules (≤ 9 heavy atoms); seeded 10% test split",
    )
)  # fmt: skip

__all__ = ["MoleculesDomain", "evaluate_molecules", "load_molecules"]
