"""Alphabets and the one-hot sequence encoder.

A sequence of length ℓ ≤ L becomes a ``(V, L)`` one-hot matrix (channels first, for 1-D
convolutions). Variable-length data get one extra channel, the end/padding token ``$``: every
position after the sequence is ``$``, and decoding stops at the first ``$`` a generator emits.
The generator's output layout is declared as L identical spans ``OutputSpan(V, softmax)``
(one categorical per position); the generator applies them in one vectorised call.

A numeric condition keeps its training range (``cond_min``/``cond_max`` in ``encoder.json``):
a requested value outside it warns with :class:`~scigan.domains.arrays.ExtrapolationWarning`
naming the value, the range and the distance; a non-finite value is refused. Encoders saved
before the range was recorded load without it (no range check).
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from scigan.config import TrainConfig
from scigan.core.nets import OutputSpan
from scigan.domains.base import AbstractEncoder, Dataset, cache_dir, warn_extrapolation
from scigan.domains.latent import AUTO, LatentCodes
from scigan.errors import DataError
from scigan.limits import check_allocation

DNA = "ACGT"
RNA = "ACGU"
PROTEIN = "ACDEFGHIKLMNPQRSTVWY"
ALPHABETS: dict[str, str] = {"dna": DNA, "rna": RNA, "protein": PROTEIN}
END = "$"  # end / padding token (never a residue)
ONE_HOT_BYTES = 4  # float32


def resolve_alphabet(name: str) -> str:
    """``dna``/``rna``/``protein`` or a literal string of distinct symbols (custom alphabet)."""
    letters = ALPHABETS.get(name.lower(), name)
    if len(set(letters)) != len(letters) or len(letters) < 2 or END in letters:
        raise DataError(
            f"alphabet {name!r}: use dna, rna, protein or a string of at least 2 distinct "
            f"symbols without '{END}'"
        )
    return letters


def guess_alphabet(seqs: Sequence[str]) -> str:
    """The smallest built-in alphabet that holds every symbol (DNA before RNA before protein)."""
    used = set().union(*map(set, seqs)) if seqs else set()
    for name in ("dna", "rna", "protein"):
        if used <= set(ALPHABETS[name]):
            return name
    return "protein"  # the validator then names the first symbol outside it


def check_symbols(
    seqs: Sequence[str], alphabet: str, ids: Sequence[str], source: str, *, drop: bool = False
) -> list[int]:
    """Indices of valid records; a DataError names the first bad record unless ``drop``."""
    allowed = set(alphabet)
    keep = []
    for i, s in enumerate(seqs):
        if not s:
            if drop:
                continue
            raise DataError(
                f"{source}: record {ids[i]!r} is empty; remove it or pass --set invalid=drop"
            )
        bad = next((j for j, ch in enumerate(s) if ch not in allowed), None)
        if bad is None:
            keep.append(i)
        elif not drop:
            raise DataError(
                f"{source}: record {ids[i]!r} has invalid character {s[bad]!r} at position "
                f"{bad + 1} (alphabet {alphabet}); fix the record, choose --set alphabet=..., "
                "or pass --set invalid=drop to skip such records"
            )
    return keep


class SequenceEncoder(AbstractEncoder):
    """Sequences (list of str) ↔ one-hot ``(N, V, L)``; optional label/number condition.

    Learned state: ``alphabet_`` (residue symbols), ``max_len_``, ``pad_`` (an end channel is
    present), ``cond_kind_`` (None, "label" or "number"), ``cond_levels_`` or
    ``cond_mean_``/``cond_std_`` and ``cond_name_``; ``cond_min_``/``cond_max_``: the
    training range of a numeric condition (None for a label, or an encoder saved before
    ranges were recorded).
    """

    def __init__(self, activation: str = "softmax") -> None:
        self.activation = activation

    # ------------------------------------------------------------------ fitting
    def fit(self, dataset: Dataset) -> SequenceEncoder:
        seqs = list(dataset.samples)
        if not seqs:
            raise DataError(f"{dataset.name}: no sequences to train on")
        self.alphabet_ = str(dataset.info["alphabet"])
        lengths = [len(s) for s in seqs]
        self.max_len_ = int(dataset.info.get("max_len") or max(lengths))
        self.pad_ = bool(min(lengths) != self.max_len_ or dataset.info.get("variable"))
        self.cond_name_ = dataset.info.get("condition")
        self.cond_kind_: str | None = None
        self.cond_min_: float | None = None
        self.cond_max_: float | None = None
        if dataset.conditions is not None:
            c = np.asarray(dataset.conditions)
            if c.dtype.kind in "fiu" and len(np.unique(c)) > 10:
                self.cond_kind_ = "number"
                v = c.astype(float)
                self._check_finite(v, f"{dataset.name}: condition", "record")
                self.cond_mean_ = float(v.mean())
                self.cond_std_ = float(v.std() or 1.0)
                self.cond_min_, self.cond_max_ = float(v.min()), float(v.max())
            else:
                self.cond_kind_ = "label"
                self.cond_levels_ = sorted({str(v) for v in c})
        return self

    @property
    def vocab(self) -> str:
        return self.alphabet_ + (END if self.pad_ else "")

    @property
    def cond_dim(self) -> int:
        if self.cond_kind_ == "label":
            return len(self.cond_levels_)
        return 1 if self.cond_kind_ == "number" else 0

    # ------------------------------------------------------------------ tensors
    def encode(self, samples: Any) -> Tensor:
        seqs = list(samples)
        vocab = self.vocab
        check_allocation(
            (len(seqs), len(vocab), self.max_len_),
            ONE_HOT_BYTES,
            "sequences: the one-hot encoding (sequences, symbols, length)",
            DataError,
        )
        lookup = np.full(256, -1, dtype=np.int64)
        for i, ch in enumerate(vocab):
            lookup[ord(ch)] = i
        idx = np.full((len(seqs), self.max_len_), len(vocab) - 1 if self.pad_ else -1)
        for r, s in enumerate(seqs):
            if len(s) > self.max_len_:
                raise DataError(
                    f"sequence {r} has length {len(s)} > max_len {self.max_len_}; "
                    "raise --set max_len=... or filter the data"
                )
            codes = lookup[np.frombuffer(s.encode("latin-1"), dtype=np.uint8)]
            if (codes < 0).any() or (not self.pad_ and len(s) != self.max_len_):
                raise DataError(f"sequence {r} ({s[:20]!r}…) does not fit this model's alphabet")
            idx[r, : len(s)] = codes
        onehot = np.zeros((len(seqs), len(vocab), self.max_len_), dtype=np.float32)
        onehot[np.arange(len(seqs))[:, None], idx, np.arange(self.max_len_)[None, :]] = 1.0
        return torch.from_numpy(onehot)

    def decode(self, x: Tensor) -> list[str]:
        """(N, V, L) scores → strings: argmax per position, cut at the first end token."""
        idx = x.detach().argmax(dim=1).cpu().numpy()  # (N, L)
        return decode_indices(idx, self.vocab, self.pad_)

    def output_spans(self) -> list[OutputSpan]:
        return [OutputSpan(len(self.vocab), self.activation)] * self.max_len_

    def encode_conditions(self, conditions: Any) -> Tensor | None:
        if self.cond_kind_ is None:
            return super().encode_conditions(conditions)
        c = np.asarray(conditions).reshape(-1)
        if self.cond_kind_ == "number":
            try:
                raw = c.astype(np.float64)
            except (TypeError, ValueError):
                raise DataError(f"condition {self.cond_name_}: expected numbers") from None
            self._check_finite(raw, "condition", "row")
            self._warn_extrapolation(raw)
            v = (raw - self.cond_mean_) / self.cond_std_
            return torch.from_numpy(v.astype(np.float32)[:, None])
        levels = {lv: i for i, lv in enumerate(self.cond_levels_)}
        out = np.zeros((len(c), len(levels)), dtype=np.float32)
        for r, v in enumerate(c):
            if str(v) not in levels:
                raise DataError(
                    f"condition {self.cond_name_}={v!r} (row {r}) was not in the training data; "
                    f"choose one of {', '.join(self.cond_levels_)}"
                )
            out[r, levels[str(v)]] = 1.0
        return torch.from_numpy(out)

    def _check_finite(self, v: np.ndarray, where: str, unit: str) -> None:
        """A DataError naming the first NaN/inf value of the numeric condition."""
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            i = int(bad[0])
            raise DataError(
                f"{where} {self.cond_name_}={v[i]} ({unit} {i + 1}) is not a finite number; "
                "pass a finite value"
            )

    def _warn_extrapolation(self, v: np.ndarray) -> None:
        """An :class:`ExtrapolationWarning` when values lie outside the training range, naming
        the farthest one and by how much it lies outside."""
        if self.cond_min_ is None or self.cond_max_ is None:
            return  # an encoder saved before the range was recorded
        warn_extrapolation(
            self.cond_name_,
            v,
            self.cond_min_,
            self.cond_max_,
            consequence="treat these sequences as a guess",
        )

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "activation": self.activation,
            "alphabet": self.alphabet_,
            "max_len": self.max_len_,
            "pad": self.pad_,
            "cond_name": self.cond_name_,
            "cond_kind": self.cond_kind_,
        }
        if self.cond_kind_ == "label":
            state["cond_levels"] = self.cond_levels_
        elif self.cond_kind_ == "number":
            state["cond_mean"], state["cond_std"] = self.cond_mean_, self.cond_std_
            state["cond_min"], state["cond_max"] = self.cond_min_, self.cond_max_
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.activation = str(state["activation"])
        self.alphabet_ = str(state["alphabet"])
        self.max_len_ = int(state["max_len"])
        self.pad_ = bool(state["pad"])
        self.cond_name_ = state["cond_name"]
        self.cond_kind_ = state["cond_kind"]
        lo, hi = state.get("cond_min"), state.get("cond_max")  # absent in older files
        self.cond_min_ = None if lo is None else float(lo)
        self.cond_max_ = None if hi is None else float(hi)
        if self.cond_kind_ == "label":
            self.cond_levels_ = list(state["cond_levels"])
        elif self.cond_kind_ == "number":
            self.cond_mean_, self.cond_std_ = float(state["cond_mean"]), float(state["cond_std"])


# ------------------------------------------------------------------------------ latent GAN
MODELS = ("latent-gan", "direct")
DEFAULT_MODEL = "latent-gan"  # issue 25; `--set model=direct` trains the one-hot GAN
# The sequences autoencoder (model latent-gan): a causal dilated CNN decoder (scigan.domains.latent)
# — per training step at L = 101, batch 64, one thread: 0.23 s vs 0.9 s for the GRU at batch
# 256 / hidden 256, which after 5 minutes had learned almost nothing (136 nats per window, uniform
# 139). The GAN models the standardised codes.
# Budget: steps, not minutes, so that a run does not depend on the machine's load (an 8-minute
# budget gave 886–4,411 steps on the 100-bp sets, depending on what else ran). 4,000 steps of 64
# take about 8 minutes at L = 101 on one idle thread (3,883 steps in 8.1 min measured), ~3 at
# L = 51. The weights kept are those with the lowest loss on the validation part, checked every
# 200 steps; training stops after 5 checks without a new lowest (what ends it on small sets:
# amp's 1,817 peptides were reconstructed 98 % exactly after ~10,700 steps, and 9–13 % of the
# GAN's samples were training peptides). `ae_minutes` adds a wall-time cap (none by default).
AE_DEFAULTS: dict[str, Any] = {
    "decoder": "cnn",
    "hidden": 96,
    "latent": 64,
    "embed": 32,
    "batch": 64,
    "steps": 4000,
    "beta": 0.5,
    "eval_every": 200,
    "patience": 5,
}
# The n-gram prior under the decoder (latent.AEConfig.ngram_max; `ae_ngram`): order ≤ 5 for
# nucleotide alphabets (≤ 5 letters), none for peptides. On ecoli it brought the samples' 6-mer
# JSD below the order-5 chain's (1.02–1.04× the floor, from 1.09–1.16×). On amp (seed 0, scored
# on the validation part with benchmarks/sequences_validation.py) an order-3 prior moved the
# properties toward the chains' (pI W1 1.25× the floor vs 0.72× without, charge 0.75× vs 0.50×,
# classifier AUC 0.566 vs 0.520): a chain of 20 letters counted on ~2,000 peptides spreads the
# per-peptide composition that charge and pI depend on.
NGRAM_NUCLEOTIDES = 5
NUCLEOTIDE_LETTERS = 5


def default_ngram(alphabet: str) -> int:
    """The n-gram prior's highest order for an alphabet when ``ae_ngram`` is not set."""
    return NGRAM_NUCLEOTIDES if len(alphabet) <= NUCLEOTIDE_LETTERS else 0


# training sequences (and GAN codes) per decoder-adaptation step; see LatentSequenceEncoder
ADAPT_BATCH = 64
# tokens drawn from the decoder's own p(x | z) (temperature 1: the model's distribution)
TEMPERATURE = 1.0
# ... unless the validation part prefers a sharper draw: after training (and the decoder's
# adaptation) the sampling temperature is chosen among these by the domain's selection metric
# (mean k-mer JSD, the one that picks `best`) on the validation part; ties keep 1.0. `--set
# temperature=T` fixes T instead. Why: the free-running decoder at 1.0 drops long exact
# patterns (motif, seed 0: 0.475 planted-site hits when reconstructing validation sequences
# from their codes, 0.547 in the sequences themselves; 0.53 at 0.9).
TEMPERATURES = (1.0, 0.95, 0.9)
# A generated sequence found verbatim in the training part is drawn again from the same code
# (fresh token draws; the condition and the code stay) up to this many times; one still a copy
# after that is kept (and counted by the copy metric). Why: on amp (1,817 peptides in dense
# families such as the temporins) 10–15 of 8,000 samples were training peptides at every
# sampling temperature, with the adapted decoder and with the autoencoder's own (seed 0,
# 2026-12-07), although the samples' mean identity to their nearest training peptide (0.43) is
# far below that of held-out real ones (0.73). A peptide designer wants new sequences; the copy
# fraction of the output is then 0 by construction, so the benchmark reports the rate before
# the redraws (``copies_before_redraw_``) as the model's own.
NOVEL_REDRAWS = 8


def sequence_digests(seqs: Sequence[str]) -> np.ndarray:
    """The 64-bit digest (BLAKE2b) of each sequence, in order: the training part's, sorted and
    unique, is a compact membership test that travels in ``encoder.json`` (a new sequence
    collides with one of N training digests with probability ~N / 2^64)."""
    out = [
        int.from_bytes(hashlib.blake2b(str(s).encode("utf-8"), digest_size=8).digest(), "little")
        for s in seqs
    ]
    return np.array(out, dtype=np.uint64)


class LatentSequenceEncoder(LatentCodes, SequenceEncoder):
    """Sequences ↔ codes of a sequence autoencoder (the latent GAN, as in the molecules
    domain): token ids 0 = padding, 1 = ``<bos>``, 2 = ``<eos>``, 3… = the alphabet; a
    sequence is read up to its ``<eos>``. Conditions as :class:`SequenceEncoder`."""

    # The decoder adaptation at the molecules' 256 pairs per step cost 4.2 s a step at L = 101
    # (one thread on the shared 2-core machine; 1.0 s at 64): 500 steps = 35 min, past the
    # issue's 20-minute budget per set. 64 pairs per step: ~8 min.
    adapt_batch = ADAPT_BATCH

    def __init__(
        self,
        *,
        ae: Mapping[str, Any] | None = None,
        seed: int = 0,
        log: Any = None,
        temperature: float = TEMPERATURE,
        adapt_steps: int = AUTO,
        adapt_temperature: float = TEMPERATURE,
        held_out: Callable[[Dataset], Sequence[str]] | None = None,
        novel: bool = True,
    ) -> None:
        SequenceEncoder.__init__(self, "identity")
        # redraw generated copies of training sequences (NOVEL_REDRAWS); the digests of the
        # training part are set by fit (None: runs saved before, or nothing to compare with)
        self.novel = novel
        self.train_digests_: np.ndarray | None = None
        self.decoded_ = 0  # sequences decoded by this object, and how many of them were
        self.copies_before_redraw_ = 0  # training copies before the redraws
        # dataset → its validation sequences, which choose the autoencoder's weights (the
        # domain passes data.reference_view's; None or [] = keep the last weights)
        self.held_out = held_out
        self._init_latent({**AE_DEFAULTS, **(ae or {})}, seed, log, temperature, 0.0,
                          adapt_steps, adapt_temperature)  # fmt: skip

    def fit(self, dataset: Dataset) -> LatentSequenceEncoder:
        """Fit the alphabet and conditions, then train (or load) the autoencoder on the train
        part, its weights chosen on the validation part (none without one)."""
        SequenceEncoder.fit(self, dataset)
        self.train_digests_ = np.unique(sequence_digests(dataset.samples))
        self.ae = {"ngram_max": default_ngram(self.alphabet_), **self.ae}
        vocab = 3 + len(self.alphabet_)
        length = self.max_len_ + 1
        self._check_memory(len(dataset.samples), length)
        ids = self.ids(dataset.samples)
        part = self.held_out(dataset) if self.held_out is not None else []
        held = [str(s) for s in part if len(s) <= self.max_len_]
        val = self.ids(held) if held else None
        self._fit_autoencoder(ids, vocab, length, cache_dir("sequences"), "sequences", val)
        return self

    def _check_memory(self, rows: int, length: int) -> None:
        """The token ids (rows, L) and the autoencoder's first layer (L·embed → 2·hidden; with
        gradients and Adam's two moments, float32) must fit the memory limit."""
        check_allocation((rows, length), 8, "sequences: the token ids (sequences, length)",
                         DataError)  # fmt: skip
        ae = {**AE_DEFAULTS, **self.ae}
        check_allocation(
            (length * int(ae["embed"]), 2 * int(ae["hidden"])),
            4 * 4,
            f"sequences autoencoder: first layer for length {length - 1:,} (lower "
            "--set ae_hidden=N, --set max_len=N or --set window=N)",
            DataError,
        )

    def ids(self, samples: Any) -> np.ndarray:
        """Sequences → token ids ``(N, max_len + 1)``: residues, ``<eos>``, padding."""
        seqs = [str(s) for s in samples]
        idx = symbol_indices(seqs, self.alphabet_)  # -1 outside the alphabet / past the end
        out = np.zeros((len(seqs), self.max_len_ + 1), dtype=np.int64)
        for r, s in enumerate(seqs):
            n = len(s)
            if n > self.max_len_ or (idx[r, :n] < 0).any():
                raise DataError(
                    f"sequence {r} ({s[:20]!r}…) does not fit this model (alphabet "
                    f"{self.alphabet_}, at most {self.max_len_} symbols)"
                )
            out[r, :n] = idx[r, :n] + 3
            out[r, n] = 2
        return out

    def decode(self, x: Tensor) -> list[str]:
        """The GAN's tensors → sequences; fixed-length data (no end channel) are drawn with the
        special tokens banned, exactly ``max_len`` residues, like the training data."""
        model, temperature = self._decoding(adapted=True)
        length, banned = None, None
        if not self.pad_:
            length = self.max_len_
            banned = torch.arange(3 + len(self.alphabet_)) < 3
        codes = self.to_codes(x)

        def draw(c: Tensor) -> list[str]:
            ids = self._generate_ids(model, c, temperature, length=length, banned=banned)
            return self._strings(ids)

        out = draw(codes)
        self.decoded_ += len(out)
        if not (self.novel and self.train_digests_ is not None and len(out)):
            return out
        copies = np.isin(sequence_digests(out), self.train_digests_)
        self.copies_before_redraw_ += int(copies.sum())
        for _ in range(NOVEL_REDRAWS if temperature > 0 else 0):  # greedy: the same again
            rows = np.flatnonzero(copies)
            if not len(rows):
                break
            again = draw(codes[torch.from_numpy(rows)])
            for r, seq in zip(rows, again, strict=True):
                out[r] = seq
            copies[rows] = np.isin(sequence_digests(again), self.train_digests_)
        return out

    def _strings(self, ids: Tensor) -> list[str]:
        """Token ids (N, L) → sequences, each read up to its first special token."""
        table = np.frombuffer(("\0\0\0" + self.alphabet_).encode("latin-1"), dtype=np.uint8)
        out = []
        for row in ids.numpy():
            stop = np.flatnonzero(row < 3)  # <eos> (or a stray padding/<bos>) ends it
            end = min(int(stop[0]) if len(stop) else len(row), self.max_len_)
            out.append(table[row[:end]].tobytes().decode("latin-1"))
        return out

    def state_dict(self) -> dict[str, Any]:
        digests = self.train_digests_
        return {
            **SequenceEncoder.state_dict(self),
            "kind": "latent",
            **self._latent_state(),
            "novel": self.novel,
            # little-endian uint64, base64: 8 bytes a training sequence
            "train_digests": None
            if digests is None
            else base64.b64encode(digests.astype("<u8").tobytes()).decode(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        SequenceEncoder.load_state_dict(self, state)
        self._load_latent(state, default_temperature=TEMPERATURE)
        # runs saved before the redraws: no digests, so nothing is redrawn (as they sampled)
        self.novel = bool(state.get("novel", False))
        blob = state.get("train_digests")
        self.train_digests_ = (
            None if blob is None else np.frombuffer(base64.b64decode(blob), dtype="<u8").copy()
        )


def model_option(options: Mapping[str, Any]) -> str:
    """``--set model=latent-gan|direct`` (default latent-gan)."""
    model = str(options.get("model", DEFAULT_MODEL))
    if model not in MODELS:
        raise DataError(f"--set model={model!r}: choose one of {', '.join(MODELS)}")
    return model


def make_encoder(
    cfg: TrainConfig, held_out: Callable[[Dataset], Sequence[str]] | None = None
) -> SequenceEncoder:
    """An unfitted encoder: the latent GAN's (default; ``ae_steps``, ``ae_minutes``,
    ``ae_patience``, ``ae_ngram``, ``ae_kernel``, ``ae_hidden``, ``ae_latent``, ``ae_beta``,
    ``temperature``, ``adapt_steps``, ``novel``) or, with ``--set model=direct``, the one-hot
    encoder whose generator head is ``--set output=softmax|gumbel`` (default)."""
    opts = cfg.options
    if model_option(opts) == "latent-gan":
        ae: dict[str, Any] = {}
        for key, kind in (("ae_minutes", float), ("ae_hidden", int), ("ae_latent", int),
                          ("ae_beta", float), ("ae_steps", int),
                          ("ae_patience", int), ("ae_ngram", int), ("ae_kernel", int),
                          ("ae_enc_conv", int), ("ae_zpos", int)):  # fmt: skip
            if key in opts:
                name = {"ae_minutes": "max_minutes", "ae_ngram": "ngram_max"}.get(key, key[3:])
                ae[name] = _option(opts[key], key, kind)
        adapt = opts.get("adapt_steps", "auto")
        novel = opts.get("novel", True)
        if not isinstance(novel, bool):
            raise DataError(f"--set novel={novel!r}: expected true or false")
        # one temperature for whichever decoder reads the codes: the autoencoder's own (during
        # training, or with adapt_steps=0) and the copy adapted to the GAN (what sample() uses)
        temperature = _option(opts.get("temperature", TEMPERATURE), "temperature", float)
        enc = LatentSequenceEncoder(
            ae=ae,
            seed=cfg.seed,
            temperature=temperature,
            adapt_steps=AUTO if adapt == "auto" else _option(adapt, "adapt_steps", int),
            adapt_temperature=temperature,
            held_out=held_out,
            novel=novel,
        )
        if "temperature" not in opts:  # chosen on the validation part after training
            enc.temperatures = TEMPERATURES
        return enc
    output = str(opts.get("output", "gumbel"))
    if output not in ("softmax", "gumbel"):
        raise DataError(f"--set output={output!r}: choose softmax or gumbel")
    return SequenceEncoder(output)


def _option(value: Any, name: str, kind: type) -> Any:
    """A non-negative number option, or a one-line DataError naming it."""
    try:
        x = kind(value)
    except (TypeError, ValueError):
        x = -1
    if not (x >= 0 and math.isfinite(x)):
        raise DataError(f"--set {name}={value!r}: expected a non-negative {kind.__name__}")
    return x


def restore_encoder(cfg: TrainConfig, state: Mapping[str, Any]) -> SequenceEncoder:
    """A saved run's encoder: ``kind: latent`` in its state = the latent GAN's; runs saved
    before the latent GAN (no kind) used the one-hot encoder."""
    if state.get("kind") == "latent":
        encoder: SequenceEncoder = LatentSequenceEncoder(seed=cfg.seed)
    else:
        encoder = SequenceEncoder(str(state.get("activation", "gumbel")))
    encoder.load_state_dict(state)
    return encoder


def as_sequence_encoder(encoder: AbstractEncoder) -> SequenceEncoder:
    """``encoder``, checked to be this domain's (a TypeError otherwise)."""
    if not isinstance(encoder, SequenceEncoder):
        raise TypeError(
            f"the sequences domain needs a SequenceEncoder, got {type(encoder).__name__}"
        )
    return encoder


def parse_conditions(enc: SequenceEncoder, values: Mapping[str, str], n: int) -> np.ndarray:
    """``--condition NAME=VALUE`` → ``n`` copies of the value, a number or a label."""
    if enc.cond_kind_ is None:
        raise DataError("this sequence model is unconditional; remove --condition")
    name = enc.cond_name_ or "label"
    if set(values) != {name}:
        raise DataError(f"--condition needs exactly {name}=VALUE")
    value = values[name]
    if enc.cond_kind_ == "number":
        try:
            number = float(value)
        except ValueError:
            raise DataError(f"--condition {name}={value!r}: expected a number") from None
        if not math.isfinite(number):
            raise DataError(f"--condition {name}={value}: not a finite number; pass one")
        return np.full(n, number)
    return np.array([value] * n, dtype=object)


def decode_indices(idx: np.ndarray, vocab: str, pad: bool) -> list[str]:
    """(N, L) symbol indices → strings, stopping at the first end token when ``pad``."""
    table = np.frombuffer(vocab.encode("latin-1"), dtype=np.uint8)
    rows = table[idx]  # (N, L) bytes
    out = []
    for row in rows:
        s = row.tobytes().decode("latin-1")
        out.append(s.split(END, 1)[0] if pad else s)
    return out


def symbol_indices(seqs: Sequence[str], alphabet: str) -> np.ndarray:
    """(N, max_len) int64 index of each symbol in ``alphabet``; -1 for symbols outside it and
    after each sequence's end (characters beyond latin-1 count as outside)."""
    lookup = np.full(256, -1, dtype=np.int64)
    for i, ch in enumerate(alphabet):
        lookup[ord(ch)] = i
    length = max((len(s) for s in seqs), default=0)
    out = np.full((len(seqs), length), -1, dtype=np.int64)
    for r, s in enumerate(seqs):
        out[r, : len(s)] = lookup[np.frombuffer(s.encode("latin-1", "replace"), dtype=np.uint8)]
    return out


def one_hot(seqs: Sequence[str], alphabet: str, length: int) -> np.ndarray:
    """(N, |alphabet|, length) float32 one-hot, zero beyond each sequence's end (for CNNs)."""
    lookup = np.full(256, -1, dtype=np.int64)
    for i, ch in enumerate(alphabet):
        lookup[ord(ch)] = i
    out = np.zeros((len(seqs), len(alphabet), length), dtype=np.float32)
    for r, s in enumerate(seqs):
        codes = lookup[np.frombuffer(s[:length].encode("latin-1"), dtype=np.uint8)]
        pos = np.flatnonzero(codes >= 0)
        out[r, codes[pos], pos] = 1.0
    return out
