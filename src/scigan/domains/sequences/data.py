"""Sequence datasets: shipped (ecoli, amp), synthetic with exact answers (motif, orf, markov)
and user files (FASTA, gzipped FASTA, CSV/TSV with a sequence column, plain text one a line).

Every loader returns a :class:`~scigan.domains.base.Dataset` whose ``samples`` is a list of
upper-case strings and whose ``info`` holds the alphabet, the maximum length and how the data
were made (enough to rebuild the exact answer for the synthetic sets).
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from scigan.core.checkpoint import atomic_write_bytes
from scigan.domains.base import Dataset
from scigan.domains.sequences import motifs as mt
from scigan.domains.sequences.data_files import ecoli_fasta, find_wheel
from scigan.domains.sequences.encoding import (
    DNA,
    PROTEIN,
    check_symbols,
    guess_alphabet,
    resolve_alphabet,
)
from scigan.domains.sequences.markov import MarkovChain, random_table
from scigan.errors import DataError, MissingDependencyError
from scigan.limits import MEMORY_ENV, check_allocation, check_readable_file, memory_limit

MODLAMP_WHEEL = "modlamp-4.3.3-py3-none-any.whl"
STOPS = frozenset({"TAA", "TAG", "TGA"})
SENSE = tuple(
    a + b + c for a in DNA for b in DNA for c in DNA if a + b + c not in STOPS
)  # 61 sense codons
# read by the domain, not the loaders: the model choice, the direct GAN's heads and the latent
# GAN's autoencoder, decoding and adaptation
MODEL_OPTIONS = frozenset(
    {"model", "output", "d_pool", "dilation", "ae_minutes", "ae_hidden", "ae_latent", "ae_beta",
     "ae_steps", "ae_patience", "ae_ngram", "ae_kernel", "ae_enc_conv", "ae_zpos",
     "temperature", "adapt_steps", "novel"}
)  # fmt: skip
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".faa", ".ffn", ".frn", ".seq")
# The longest record user data may hold when max_len is 0 (the longest record): every row is
# padded to it, and the generator's first layer grows with it, so one stray 1 Mb contig would
# make every row 1 Mb long. Genomes are cut into windows (--set window=N) instead.
MAX_LEN_DEFAULT = 10_000
ONE_HOT_BYTES = 4  # float32 per (sequence, symbol, position) of the one-hot encoding


@dataclass(frozen=True)
class Spec:
    name: str
    description: str
    loader: Callable[[Mapping[str, Any], int], Dataset]
    defaults: dict[str, Any]


def _opt(options: Mapping[str, Any], defaults: Mapping[str, Any], name: str) -> Any:
    """Option ``name`` coerced to its default's type (``--set`` values arrive as strings)."""
    default = defaults[name]
    value = options.get(name, default)
    try:
        if isinstance(default, bool):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except (TypeError, ValueError):
        raise DataError(f"--set {name}={value!r}: expected {type(default).__name__}") from None
    return str(value)


def _check_options(name: str, options: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed - MODEL_OPTIONS - SPLIT_OPTIONS)
    if unknown:
        raise DataError(
            f"{name}: unknown option(s) {', '.join(unknown)}; choose from "
            f"{', '.join(sorted(allowed | SPLIT_OPTIONS))}"
        )


# ----------------------------------------------------------------------------- ecoli

ECOLI_DEFAULTS: dict[str, Any] = {"length": 100, "stride": 0, "n": 0}


def load_ecoli(options: Mapping[str, Any], seed: int) -> Dataset:
    """Non-overlapping (``stride`` = 0 → ``length``) windows of the E. coli 536 genome, no N."""
    _check_options("ecoli", options, set(ECOLI_DEFAULTS))
    length = _opt(options, ECOLI_DEFAULTS, "length")
    stride = _opt(options, ECOLI_DEFAULTS, "stride") or length
    n = _opt(options, ECOLI_DEFAULTS, "n")
    if length < 4 or stride < 1:
        raise DataError("ecoli: need length >= 4 and stride >= 1")
    path = ecoli_fasta()
    records = read_fasta(path)
    genome = "".join(s for _, s in records)
    windows = [genome[i : i + length] for i in range(0, len(genome) - length + 1, stride)]
    windows = [w for w in windows if set(w) <= set(DNA)]
    if n:
        keep = np.sort(np.random.default_rng(seed).permutation(len(windows))[:n])
        windows = [windows[i] for i in keep]
    info = {
        "kind": "ecoli",
        "alphabet": DNA,
        "max_len": length,
        "source": str(path),
        "genome_bp": len(genome),
        "windows": len(windows),
        "coding": True,
    }
    return Dataset("ecoli", windows, None, info)


# ----------------------------------------------------------------------------- amp

AMP_DEFAULTS: dict[str, Any] = {"subset": "amp", "max_len": 50, "min_len": 5, "condition": ""}


def modlamp_table(member: str = "AMPvsUniProt.csv") -> list[tuple[str, int]]:
    """(sequence, label) rows of a modlamp data CSV (label 1 = AMP, 0 = the other half)."""
    path = find_wheel(MODLAMP_WHEEL)
    with zipfile.ZipFile(path) as z:
        text = z.read(f"modlamp/data/{member}").decode("utf-8")
    rows = []
    for line in text.splitlines()[1:]:  # first line: "N, n_classes, name0, name1"
        if not line.strip():
            continue
        seq, _, label = line.partition(",")
        rows.append((seq.strip().upper(), int(label)))
    return rows


def amp_records(max_len: int = 50, min_len: int = 5) -> tuple[list[str], np.ndarray, dict]:
    """Deduplicated, length-filtered modlamp AMP (1) and UniProt (0) peptides.

    Duplicates are removed before anything else (1.5 % of the AMPs repeat); a sequence listed
    under both labels is dropped; sequences with non-standard residues (X, B, Z, …) are dropped
    and counted.
    """
    rows = modlamp_table()
    labels: dict[str, set[int]] = {}
    for s, y in rows:
        labels.setdefault(s, set()).add(y)
    stats = {"rows": len(rows), "unique": len(labels)}
    seqs, ys = [], []
    conflicting = nonstandard = 0
    for s, ls in labels.items():
        if len(ls) > 1:
            conflicting += 1
            continue
        if not set(s) <= set(PROTEIN):
            nonstandard += 1
            continue
        if min_len <= len(s) <= max_len:
            seqs.append(s)
            ys.append(next(iter(ls)))
    stats.update(conflicting=conflicting, nonstandard=nonstandard, kept=len(seqs))
    return seqs, np.asarray(ys), stats


def load_amp(options: Mapping[str, Any], seed: int) -> Dataset:
    """modlamp AMPvsUniProt peptides; ``subset`` amp / nonamp / all; ``condition=label``."""
    _check_options("amp", options, set(AMP_DEFAULTS))
    subset = _opt(options, AMP_DEFAULTS, "subset")
    max_len, min_len = (
        _opt(options, AMP_DEFAULTS, "max_len"),
        _opt(options, AMP_DEFAULTS, "min_len"),
    )
    condition = _opt(options, AMP_DEFAULTS, "condition")
    if subset not in ("amp", "nonamp", "all"):
        raise DataError(f"amp: subset={subset!r}; choose amp, nonamp or all")
    if condition not in ("", "label"):
        raise DataError(f"amp: condition={condition!r}; the only condition is 'label'")
    seqs, ys, stats = amp_records(max_len, min_len)
    keep = {"amp": ys == 1, "nonamp": ys == 0, "all": np.ones(len(ys), bool)}[subset]
    seqs = [s for s, k in zip(seqs, keep, strict=True) if k]
    ys = ys[keep]
    conds = None
    if condition == "label":
        conds = np.where(ys == 1, "amp", "nonamp")
    info = {
        "kind": "amp",
        "alphabet": PROTEIN,
        "max_len": max_len,
        "variable": True,
        "subset": subset,
        "condition": condition or None,
        "source": f"{MODLAMP_WHEEL}:modlamp/data/AMPvsUniProt.csv",
        **stats,
    }
    return Dataset("amp", seqs, conds, info)


# ----------------------------------------------------------------------------- motif

MOTIF_DEFAULTS: dict[str, Any] = {
    "n": 10_000,
    "length": 100,
    "motifs": "MA0139.1",  # CTCF (19 bp); comma-separate several
    "rate": 0.5,  # fraction of sequences with a planted site (each motif)
    "pos_min": 20,
    "pos_max": 60,  # planted start drawn uniformly from [pos_min, pos_max]
    "gc": 0.5,
    "threshold": 0.8,  # relative PWM score that counts as a hit
}


def load_motif(options: Mapping[str, Any], seed: int) -> Dataset:
    """i.i.d. background DNA with JASPAR sites (sampled from the count matrix) planted."""
    _check_options("motif", options, set(MOTIF_DEFAULTS))
    o = {k: _opt(options, MOTIF_DEFAULTS, k) for k in MOTIF_DEFAULTS}
    ids = [m.strip() for m in o["motifs"].split(",") if m.strip()]
    motifs = [mt.load_motif(m) for m in ids]
    if not 0 <= o["rate"] <= 1 or not 0 < o["gc"] < 1:
        raise DataError("motif: need 0 <= rate <= 1 and 0 < gc < 1")
    width = max(m.width for m in motifs)
    if not 0 <= o["pos_min"] <= o["pos_max"] <= o["length"] - width:
        raise DataError(
            f"motif: need 0 <= pos_min <= pos_max <= length - width ({o['length'] - width})"
        )
    seqs, planted, _starts = planted_motif_sequences(
        motifs, o["n"], o["length"], o["rate"], (o["pos_min"], o["pos_max"]), o["gc"], seed
    )
    info = {
        "kind": "motif",
        "alphabet": DNA,
        "max_len": o["length"],
        "motifs": [m.matrix_id for m in motifs],
        "motif_names": [m.name for m in motifs],
        "rate": o["rate"],
        "pos_range": [o["pos_min"], o["pos_max"]],
        "threshold": o["threshold"],
        "gc": o["gc"],
        "planted_fraction": planted.mean(axis=0).tolist(),
    }
    return Dataset("motif", seqs, None, info)


def planted_motif_sequences(
    motifs: list[mt.Motif],
    n: int,
    length: int,
    rate: float,
    pos_range: tuple[int, int],
    gc: float,
    seed: int,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Background DNA with sites planted; returns (sequences, planted (n, M), starts (n, M)).

    Several motifs are planted independently (later ones may overwrite earlier ones).
    """
    bases, planted, starts = _planted_motif_ids(motifs, n, length, rate, pos_range, gc, seed)
    text = np.frombuffer(DNA.encode("ascii"), dtype=np.uint8)[bases]
    return [r.tobytes().decode("ascii") for r in text], planted, starts


def _planted_motif_ids(
    motifs: list[mt.Motif],
    n: int,
    length: int,
    rate: float,
    pos_range: tuple[int, int],
    gc: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`planted_motif_sequences` as base indices (n, length) in A, C, G, T order."""
    rng = np.random.default_rng(seed)
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])  # A C G T
    bases = rng.choice(4, size=(n, length), p=p)
    planted = rng.random((n, len(motifs))) < rate
    starts = np.full((n, len(motifs)), -1)
    for j, motif in enumerate(motifs):
        idx = np.flatnonzero(planted[:, j])
        sites = mt.sample_site_ids(motif, len(idx), rng)
        pos = rng.integers(pos_range[0], pos_range[1] + 1, size=len(idx))
        starts[idx, j] = pos
        bases[idx[:, None], pos[:, None] + np.arange(motif.width)] = sites
    return bases, planted, starts


# The simulator's own hit fraction (the truth a generator should reproduce), estimated once per
# dataset setting on this many freshly simulated sequences (binomial SE ≤ 0.0016).
TRUTH_N = 200_000
TRUTH_SEED = 0x7A5F0


def motif_truth(info: Mapping[str, Any], n: int = TRUTH_N) -> list[tuple[float, float]]:
    """(hit fraction, its binomial SE) per motif of the simulator that made a ``motif``
    dataset, on ``n`` new sequences at a fixed seed: what a perfect generator reads.

    This is not the planted rate: a planted site drawn from the count matrix sometimes scores
    below the threshold (CTCF at 0.8: 0.7 %), and background DNA sometimes holds a window that
    reaches it (CTCF in 100 bp at GC 0.5: 4 %); at the defaults the truth is 0.517, not 0.5."""
    return _motif_truth(
        tuple(info["motifs"]), int(info["max_len"]), float(info["rate"]),
        tuple(int(v) for v in info["pos_range"]), float(info["gc"]), float(info["threshold"]), n,
    )  # fmt: skip


@functools.lru_cache(maxsize=8)
def _motif_truth(
    ids: tuple[str, ...],
    length: int,
    rate: float,
    pos_range: tuple[int, int],
    gc: float,
    threshold: float,
    n: int,
) -> list[tuple[float, float]]:
    motifs = [mt.load_motif(m) for m in ids]
    hits = np.zeros(len(motifs))
    for done in range(0, n, TRUTH_CHUNK):
        m = min(TRUTH_CHUNK, n - done)
        bases, _, _ = _planted_motif_ids(motifs, m, length, rate, pos_range, gc, TRUTH_SEED + done)
        onehot = np.eye(4, dtype=np.float32)[bases].transpose(0, 2, 1)  # (m, 4, length)
        for j, motif in enumerate(motifs):
            hits[j] += (mt.scan(onehot, motif)[0] >= threshold).sum()
    return [(float(v), float(np.sqrt(v * (1 - v) / n))) for v in hits / n]


TRUTH_CHUNK = 20_000  # sequences simulated and scanned at a time


# ----------------------------------------------------------------------------- orf

ORF_DEFAULTS: dict[str, Any] = {"n": 10_000, "min_codons": 33, "max_codons": 33}


def load_orf(options: Mapping[str, Any], seed: int) -> Dataset:
    """Coding ORFs: ATG, uniform sense codons, one stop; ``min/max_codons`` count all three."""
    _check_options("orf", options, set(ORF_DEFAULTS))
    o = {k: _opt(options, ORF_DEFAULTS, k) for k in ORF_DEFAULTS}
    if not 2 <= o["min_codons"] <= o["max_codons"]:
        raise DataError("orf: need 2 <= min_codons <= max_codons")
    seqs = random_orfs(o["n"], o["min_codons"], o["max_codons"], seed)
    info = {
        "kind": "orf",
        "alphabet": DNA,
        "max_len": 3 * o["max_codons"],
        "variable": o["min_codons"] != o["max_codons"],
        "coding": True,
        **o,
    }
    return Dataset("orf", seqs, None, info)


def random_orfs(n: int, min_codons: int, max_codons: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    codons = rng.integers(min_codons, max_codons + 1, size=n)
    stops = sorted(STOPS)
    out = []
    for k in codons:
        body = rng.integers(0, len(SENSE), size=k - 2)
        out.append("ATG" + "".join(SENSE[i] for i in body) + stops[rng.integers(3)])
    return out


def is_orf(seq: str) -> bool:
    """ATG start, length a multiple of 3, a stop codon last and none before it (in frame)."""
    if len(seq) < 6 or len(seq) % 3 or not seq.startswith("ATG"):
        return False
    codons = [seq[i : i + 3] for i in range(0, len(seq), 3)]
    return codons[-1] in STOPS and not any(c in STOPS for c in codons[:-1])


# ----------------------------------------------------------------------------- markov

MARKOV_DEFAULTS: dict[str, Any] = {
    "n": 10_000,
    "length": 100,
    "order": 3,
    "concentration": 0.3,  # Dirichlet concentration of the transition rows (low = peaked)
    "chain_seed": 0,  # the chain itself; the training seed draws the samples
}


def markov_chain(info: Mapping[str, Any]) -> MarkovChain:
    """The exact chain a ``markov`` dataset was drawn from (rebuilt from its info)."""
    table = random_table(
        4,
        int(info["order"]),
        concentration=float(info["concentration"]),
        seed=int(info["chain_seed"]),
    )
    return MarkovChain.from_table(DNA, table, int(info["length"]))


def load_markov(options: Mapping[str, Any], seed: int) -> Dataset:
    _check_options("markov", options, set(MARKOV_DEFAULTS))
    o = {k: _opt(options, MARKOV_DEFAULTS, k) for k in MARKOV_DEFAULTS}
    if not 0 <= o["order"] <= 8:
        raise DataError("markov: order must be in [0, 8]")
    info = {"kind": "markov", "alphabet": DNA, "max_len": o["length"], **o}
    chain = markov_chain(info)
    info["entropy_rate_nats"] = chain.entropy_rate()
    return Dataset("markov", chain.sample(o["n"], seed=seed), None, info)


SPECS: dict[str, Spec] = {
    "ecoli": Spec(
        "ecoli",
        "100-bp windows of the E. coli 536 genome (Debian bowtie-examples)",
        load_ecoli,
        ECOLI_DEFAULTS,
    ),
    "amp": Spec(
        "amp",
        "antimicrobial peptides ≤ 50 aa (modlamp AMPvsUniProt, deduplicated)",
        load_amp,
        AMP_DEFAULTS,
    ),
    "motif": Spec(
        "motif",
        "JASPAR motifs planted in background DNA at a known rate and window",
        load_motif,
        MOTIF_DEFAULTS,
    ),
    "orf": Spec("orf", "coding ORFs: ATG, sense codons, stop", load_orf, ORF_DEFAULTS),
    "markov": Spec(
        "markov", "order-k Markov chain DNA with exact likelihood", load_markov, MARKOV_DEFAULTS
    ),
}


def load_builtin(name: str, options: Mapping[str, Any], seed: int) -> Dataset:
    return SPECS[name].loader(options, seed)


# ----------------------------------------------------------------------------- train / val / test

# Every dataset the domain loads is split, seeded, into train / validation / test parts by
# *distinct sequence*: all copies of a sequence (with their conditions) go to the same part, so
# an exact duplicate never sits on both sides. Each held-out part gets round(fraction × distinct)
# distinct sequences, at least SPLIT_MIN_PART; with fewer than SPLIT_MIN_DISTINCT distinct
# sequences nothing is held out (the references are then the training data; info says so).
SPLIT_DEFAULTS: dict[str, Any] = {"val_fraction": 0.1, "test_fraction": 0.1}
SPLIT_OPTIONS = frozenset(SPLIT_DEFAULTS)
SPLIT_FRACTION_RANGE = (0.02, 0.3)
SPLIT_MIN_PART = 5
SPLIT_MIN_DISTINCT = 20
SPLIT_STREAM = 0x5EB5  # the split's random stream: seed → (seed, SPLIT_STREAM), not the loader's
LABEL_LEVELS = 10  # conditions with at most this many distinct values are labels (as encoding)
TRAIN, VALIDATION, TEST = "train", "validation", "test"


@dataclass
class SequenceDataset(Dataset):
    """A sequence dataset with its held-out parts, or a reference view of one part.

    Attributes:
        samples: the training part (the model trains on these rows only); in a view returned
            by :func:`reference_view`, the held-out part it names.
        conditions: the rows' conditions (same order), or None.
        val, val_conditions: the validation part: checkpoints (``best``) and early stopping.
        test, test_conditions: the test part: the reported numbers after training.
        part: ``"train"``, or ``"validation"`` / ``"test"`` in a reference view.
        train: in a view, the training part (memorisation metrics compare against it).
    """

    val: list[str] = field(default_factory=list)
    val_conditions: Any = None
    test: list[str] = field(default_factory=list)
    test_conditions: Any = None
    part: str = TRAIN
    train: list[str] | None = None

    def records(self) -> tuple[list[str], Any]:
        """All the user's rows (train, then validation, then test) and their conditions."""
        seqs = [*self.samples, *self.val, *self.test]
        if self.conditions is None:
            return seqs, None
        parts = [self.conditions, self.val_conditions, self.test_conditions]
        return seqs, np.concatenate([np.asarray(c) for c in parts if c is not None])


def split_sizes(distinct: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """(validation, test) sizes in distinct sequences; (0, 0): too few to hold any out."""
    if distinct < SPLIT_MIN_DISTINCT:
        return 0, 0
    return (
        max(round(val_fraction * distinct), SPLIT_MIN_PART),
        max(round(test_fraction * distinct), SPLIT_MIN_PART),
    )


def _pinned(order: list[str], rows: Mapping[str, list[int]], cond: Any) -> set[str]:
    """Distinct sequences that stay in training so the model knows every condition it will be
    asked for: for labels (at most LABEL_LEVELS values, or text), the first sequence in the
    shuffled order carrying each label; for a numeric condition, the first carrying its
    minimum and its maximum (the training range is the data's range)."""
    if cond is None:
        return set()
    c = np.asarray(cond)
    numeric = c.dtype.kind in "fiu" and len(np.unique(c)) > LABEL_LEVELS
    wanted = {float(c.min()), float(c.max())} if numeric else {str(v) for v in c}
    out: set[str] = set()
    for s in order:
        for i in rows[s]:
            key = float(c[i]) if numeric else str(c[i])
            if key in wanted:
                wanted.discard(key)
                out.add(s)
        if not wanted:
            break
    return out


def split_dataset(ds: Dataset, seed: int, options: Mapping[str, Any]) -> SequenceDataset:
    """The seeded train / validation / test split of ``ds`` (see SPLIT_DEFAULTS above).

    Distinct sequences are shuffled by ``numpy.random.default_rng((seed, SPLIT_STREAM))``;
    sequences pinned to training (:func:`_pinned`) are skipped, the next ``n_test`` distinct
    sequences form the test part and the ``n_val`` after them the validation part, everything
    else trains. Every copy of a sequence goes with it; rows keep their file order within a
    part. Sizes (rows and distinct sequences) are recorded in ``info``.
    """
    o = {k: _opt(options, SPLIT_DEFAULTS, k) for k in SPLIT_DEFAULTS}
    lo, hi = SPLIT_FRACTION_RANGE
    for k, v in o.items():
        if not lo <= v <= hi:
            raise DataError(f"--set {k}={v}: must be in [{lo}, {hi}]")
    seqs = list(ds.samples)
    cond = None if ds.conditions is None else np.asarray(ds.conditions)
    rows: dict[str, list[int]] = {}
    for i, s in enumerate(seqs):
        rows.setdefault(s, []).append(i)
    distinct = list(rows)
    perm = np.random.default_rng((seed, SPLIT_STREAM)).permutation(len(distinct))
    order = [distinct[i] for i in perm]
    pinned = _pinned(order, rows, cond)
    free = [s for s in order if s not in pinned]
    n_val, n_test = split_sizes(len(distinct), o["val_fraction"], o["test_fraction"])
    if n_val + n_test > len(free) or len(distinct) - n_val - n_test < SPLIT_MIN_PART:
        n_val = n_test = 0
    test_set, val_set = set(free[:n_test]), set(free[n_test : n_test + n_val])
    part = {s: TEST if s in test_set else VALIDATION if s in val_set else TRAIN for s in distinct}
    idx = {p: [i for i, s in enumerate(seqs) if part[s] == p] for p in (TRAIN, VALIDATION, TEST)}

    def pick(p: str) -> tuple[list[str], Any]:
        return [seqs[i] for i in idx[p]], None if cond is None else cond[idx[p]]

    (train, c_train), (val, c_val), (test, c_test) = pick(TRAIN), pick(VALIDATION), pick(TEST)
    info = dict(ds.info)
    if n_val:
        rule = (
            f"seeded split by distinct sequence: {o['val_fraction']:.0%} validation, "
            f"{o['test_fraction']:.0%} test (at least {SPLIT_MIN_PART} each), rest training"
        )
    else:
        rule = (
            f"none: {len(distinct)} distinct sequences (< {SPLIT_MIN_DISTINCT}, or too few "
            "not needed in training for their conditions); checkpoints and metrics use the "
            "training data"
        )
    info.update(
        split=rule,
        split_seed=seed,
        n_train=len(train),
        n_val=len(val),
        n_test=len(test),
        distinct_train=len(distinct) - n_val - n_test,
        distinct_val=n_val,
        distinct_test=n_test,
    )
    return SequenceDataset(
        ds.name, train, c_train, info, val=val, val_conditions=c_val, test=test,
        test_conditions=c_test,
    )  # fmt: skip


def reference_view(ds: Dataset, part: str) -> Dataset:
    """The ``validation`` or ``test`` part of a split dataset as a reference: its samples and
    conditions are that part's, ``train`` the training part. Without a held-out part (too
    little data, or not a :class:`SequenceDataset`): ``ds`` itself, the training data."""
    if not isinstance(ds, SequenceDataset) or ds.part != TRAIN:
        return ds
    if part == VALIDATION:
        held, cond = ds.val, ds.val_conditions
    else:
        held, cond = ds.test, ds.test_conditions
    if not held:
        return ds
    return replace(
        ds,
        samples=list(held),
        conditions=cond,
        info={**ds.info, "reference": f"{part} part ({len(held):,} sequences)"},
        val=[],
        val_conditions=None,
        test=[],
        test_conditions=None,
        part=part,
        train=list(ds.samples),
    )


# ----------------------------------------------------------------------------- user data

USER_DEFAULTS: dict[str, Any] = {
    "alphabet": "auto",
    "invalid": "error",  # or "drop": skip records with symbols outside the alphabet
    "column": "",  # CSV: the sequence column (default: 'sequence'/'seq' or the first column)
    "id_column": "",
    "condition": "",  # CSV: a label or numeric column to condition on
    "max_len": 0,  # 0: the longest record (at most MAX_LEN_DEFAULT); longer ones are an error
    "window": 0,  # > 0: cut every record into windows of this length (a genome, long contigs)
    "stride": 0,  # between window starts; 0: the window length (non-overlapping)
    "uppercase": True,
}


def read_fasta(path: Path) -> list[tuple[str, str]]:
    """(id, sequence) records of a FASTA file, plain or gzipped; sequences upper-cased."""
    text = _read_text(path, newline=None, what="check it is FASTA and save it as UTF-8")
    records: list[tuple[str, str]] = []
    seq_id, parts = None, []
    for lineno, line in enumerate(io.StringIO(text), 1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            if seq_id is not None:
                records.append((seq_id, "".join(parts)))
            seq_id, parts = (line[1:].split() or [f"record{len(records) + 1}"])[0], []
        elif seq_id is None:
            raise DataError(
                f"{path}: line {lineno} holds sequence before any '>' header; "
                "is this FASTA? (use .txt for one sequence a line)"
            )
        else:
            parts.append(line.replace(" ", "").upper())
    if seq_id is not None:
        records.append((seq_id, "".join(parts)))
    if not records:
        raise DataError(
            f"{path}: no FASTA records ('>' headers) found; check the file, or use .txt for one "
            "sequence a line"
        )
    return records


def _read_text(path: Path, *, newline: str | None = "", what: str = "save it as UTF-8") -> str:
    """The whole file (gzip or plain) as UTF-8 text, or a one-line DataError.

    Checked before it is opened: a regular file (a FIFO would block the reader forever) no
    larger than the memory limit; a gzip file is decompressed only that far, so a small
    gzip bomb cannot fill memory either."""
    check_readable_file(path, DataError, memory=True)
    limit = memory_limit()
    gz = _is_gzip(path)
    opener = gzip.open if gz else open
    try:
        with opener(path, "rt", encoding="utf-8", newline=newline) as fh:
            text = fh.read(limit + 1) if gz else fh.read()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}); {what}") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc}); check the file") from None
    if len(text) > limit:
        raise DataError(
            f"{path}: decompresses to more than the {limit / (1 << 20):,.0f} MiB memory limit; "
            f"raise it with {MEMORY_ENV}=<GB> if the file is genuine"
        )
    return text


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _read_csv(path: Path, o: Mapping[str, Any]) -> tuple[list[str], list[str], Any, str]:
    text = _read_text(path)
    delim = "\t" if ".tsv" in path.name or ("\t" in text.split("\n", 1)[0]) else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delim)
    try:
        rows = list(reader)
    except csv.Error as exc:
        # line_num counts the lines read before the failing one
        where = f"{path}: line {reader.line_num + 1}"
        if "field limit" not in str(exc):
            raise DataError(f"{where}: {exc}; check the CSV") from None
        raise DataError(
            f"{where} holds a field over {csv.field_size_limit():,} characters, far longer "
            f"than max_len (default {MAX_LEN_DEFAULT:,}); remove it, or pass long sequences "
            "as FASTA and cut them into windows with --set window=N"
        ) from None
    if not rows:
        raise DataError(f"{path}: no rows under the header line; add one sequence per row")
    header = list(rows[0].keys())
    col = o["column"] or next(
        (h for h in header if h.strip().lower() in ("sequence", "seq", "sequences")), header[0]
    )
    if col not in header:
        raise DataError(f"{path}: no column {col!r}; columns are {', '.join(header)}")
    id_col = o["id_column"]
    if id_col and id_col not in header:
        raise DataError(f"{path}: no id column {id_col!r}; columns are {', '.join(header)}")
    seqs = [(r[col] or "").strip() for r in rows]
    ids = [r[id_col] if id_col else f"row {i + 2}" for i, r in enumerate(rows)]
    cond = None
    if o["condition"]:
        if o["condition"] not in header:
            raise DataError(
                f"{path}: no condition column {o['condition']!r}; columns are {', '.join(header)}"
            )
        raw = [r[o["condition"]] for r in rows]
        try:
            cond = np.asarray([float(v) for v in raw])
        except ValueError:
            cond = np.asarray(raw, dtype=object)
    return seqs, ids, cond, col


def load_user(source: Any, options: Mapping[str, Any]) -> Dataset:
    """A FASTA / CSV / text file, or an in-memory list of strings."""
    _check_options("user data", options, set(USER_DEFAULTS))
    o = {k: _opt(options, USER_DEFAULTS, k) for k in USER_DEFAULTS}
    cond = None
    if isinstance(source, list | tuple | Iterator):
        name = "<in-memory>"
        ids, seqs = in_memory_records(source)
    elif isinstance(source, str | Path):
        path = Path(source)
        if not path.exists() or path.is_dir():  # a FIFO or device: refused by _read_text
            raise DataError(
                f"{path}: file not found (and not a registered dataset: ecoli, amp, motif, orf, "
                "markov); check the path"
            )
        name = str(path)
        stem = path.name.lower().removesuffix(".gz")
        if stem.endswith((".csv", ".tsv")):
            seqs, ids, cond, _ = _read_csv(path, o)
        elif stem.endswith(".txt"):
            lines = [ln.strip() for ln in _read_text(path).splitlines()]
            seqs = [ln for ln in lines if ln]
            ids = [f"line {i + 1}" for i, ln in enumerate(lines) if ln]
        elif stem.endswith(FASTA_SUFFIXES):
            records = read_fasta(path)
            ids, seqs = [r[0] for r in records], [r[1] for r in records]
        else:
            raise DataError(
                f"{path}: unknown sequence file type; use FASTA (.fa/.fasta/.fna/.faa, optionally "
                ".gz), .csv/.tsv with a sequence column, or .txt (one sequence a line)"
            )
    else:
        raise DataError(
            f"cannot read sequences from {type(source).__name__}; pass a FASTA/CSV path, a "
            "registered name, or a list of strings or Biopython SeqRecords"
        )
    if o["invalid"] not in ("error", "drop"):
        raise DataError(f"--set invalid={o['invalid']!r}: choose error or drop")
    drop = o["invalid"] == "drop"
    if o["uppercase"]:
        seqs = [s.upper() for s in seqs]
    if o["window"]:
        seqs, ids, cond = _windows(seqs, ids, cond, o["window"], o["stride"], name)
    if cond is not None and cond.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(cond))
        if len(bad):
            i = int(bad[0])
            raise DataError(
                f"{name}: record {ids[i][:80]!r} has condition {o['condition']}={cond[i]}, not "
                "a finite number; fix or remove the row"
            )
    max_len = o["max_len"]
    limit = max_len or MAX_LEN_DEFAULT
    if not drop:  # before anything scans the sequences: a 1 Mb record is refused at once
        _refuse_long(seqs, ids, name, limit, explicit=bool(max_len))
    alphabet_name = guess_alphabet(seqs) if o["alphabet"] == "auto" else o["alphabet"]
    alphabet = resolve_alphabet(alphabet_name)
    keep = check_symbols(seqs, alphabet, ids, name, drop=drop)
    keep = [i for i in keep if len(seqs[i]) <= limit]
    dropped = len(seqs) - len(keep)
    seqs = [seqs[i] for i in keep]
    if cond is not None:
        cond = cond[keep]
    if len(seqs) < 2:
        raise DataError(f"{name}: need at least 2 valid sequences, found {len(seqs)}")
    lengths = [len(s) for s in seqs]
    length = max_len or max(lengths)
    symbols = len(alphabet) + (min(lengths) != length)  # + the end token for variable lengths
    check_allocation(
        (len(seqs), symbols, length),
        ONE_HOT_BYTES,
        f"{name}: the one-hot encoding (sequences, symbols, length)",
        DataError,
    )
    info = {
        "kind": "user",
        "alphabet": alphabet,
        "max_len": length,
        "records": len(seqs),
        "dropped": dropped,
        "condition": o["condition"] or None,
        "coding": False,
    }
    return Dataset(name, seqs, cond, info)


def _biopython_seq_types() -> tuple[type, type]:
    """(``Bio.Seq.Seq``, ``Bio.SeqRecord.SeqRecord``), or a MissingDependencyError."""
    try:
        from Bio.Seq import Seq
        from Bio.SeqRecord import SeqRecord
    except ImportError:
        raise MissingDependencyError(
            "Biopython SeqRecords need Biopython: pip install 'scigan[bio]'"
        ) from None
    return Seq, SeqRecord


def in_memory_records(source: Iterable[Any]) -> tuple[list[str], list[str]]:
    """(ids, sequences) of plain strings, Biopython ``Seq``s or ``SeqRecord``s (a list, a
    tuple or an iterator such as ``Bio.SeqIO.parse(...)``, mixed if need be).

    A SeqRecord keeps its id (error messages name it); strings and Seqs are ``#i``."""
    items = list(source)
    ids, seqs = [f"#{i}" for i in range(len(items))], [""] * len(items)
    for i, item in enumerate(items):
        if isinstance(item, str):
            seqs[i] = item
            continue
        Seq, SeqRecord = _biopython_seq_types()
        from Bio.Seq import UndefinedSequenceError

        if isinstance(item, SeqRecord):
            if item.id and item.id != "<unknown id>":
                ids[i] = item.id
            item = item.seq
        if not isinstance(item, Seq):
            raise DataError(
                f"in-memory sequences: item {ids[i][:80]!r} is a {type(item).__name__}; pass "
                "strings, Bio.Seq.Seq or Bio.SeqRecord.SeqRecord objects"
            )
        try:
            seqs[i] = str(item)
        except UndefinedSequenceError as exc:  # Seq(None, length): length known, letters not
            raise DataError(f"in-memory sequences: item {ids[i][:80]!r}: {exc}") from None
    return ids, seqs


def as_seqrecords(samples: Iterable[str], prefix: str = "gen", conditions: Any = None) -> list:
    """Generated sequences as Biopython ``SeqRecord``s with ids ``{prefix}_{i}`` (the ids
    ``scigan sample --out x.fasta`` writes); a condition per sample goes in the description.

    Example::

        from Bio import SeqIO
        from scigan.domains.sequences import as_seqrecords

        records = as_seqrecords(model.sample(100, seed=0))
        SeqIO.write(records, "generated.fasta", "fasta")
    """
    Seq, SeqRecord = _biopython_seq_types()
    seqs = list(samples)
    conds = [None] * len(seqs) if conditions is None else list(np.asarray(conditions))
    if len(conds) != len(seqs):
        raise DataError(f"{len(conds)} conditions for {len(seqs)} sequences")
    return [
        SeqRecord(
            Seq(s),
            id=f"{prefix}_{i}",
            name=f"{prefix}_{i}",
            description="" if c is None else f"condition={c}",
        )
        for i, (s, c) in enumerate(zip(seqs, conds, strict=True))
    ]


def _refuse_long(seqs: list[str], ids: list[str], name: str, limit: int, *, explicit: bool) -> None:
    """A DataError naming the first record longer than ``limit``, its length and the fixes."""
    i = next((i for i, s in enumerate(seqs) if len(s) > limit), None)
    if i is None:
        return
    what = f"> max_len {limit:,}" if explicit else f"over the default limit of {limit:,} (max_len)"
    raise DataError(
        f"{name}: record {ids[i][:80]!r} has length {len(seqs[i]):,} {what}; raise it with "
        "--set max_len=N, cut records into windows with --set window=N, or skip long records "
        "with --set invalid=drop"
    )


def _windows(
    seqs: list[str], ids: list[str], cond: Any, window: int, stride: int, name: str
) -> tuple[list[str], list[str], Any]:
    """Every record cut into windows of ``window`` symbols every ``stride`` (0: ``window``);
    a record's tail shorter than a window is dropped, as for ``ecoli``. Ids become
    ``id:start-end`` (1-based, inclusive); windows inherit their record's condition."""
    stride = stride or window
    if window < 1 or stride < 1:
        raise DataError(f"--set window={window} stride={stride}: both must be >= 1")
    starts = [range(0, len(s) - window + 1, stride) for s in seqs]
    total = sum(len(r) for r in starts)
    check_allocation(
        (total, window), 1, f"{name}: windows (count, window) of the records", DataError
    )
    if not total:
        raise DataError(f"{name}: no record is {window:,} symbols long; lower --set window=N")
    out, out_ids, rows = [], [], []
    for r, (s, seq_id, rs) in enumerate(zip(seqs, ids, starts, strict=True)):
        for a in rs:
            out.append(s[a : a + window])
            out_ids.append(f"{seq_id}:{a + 1}-{a + window}")
        rows.extend([r] * len(rs))
    return out, out_ids, (None if cond is None else np.asarray(cond)[rows])


def write_sequences(samples: Any, conditions: Any, path: Path) -> None:
    """FASTA (``.fasta``/``.fa``: ``>gen_i`` records), CSV (``id,sequence[,condition]``) or
    text (one sequence a line), by the suffix of ``path``; written atomically."""
    seqs = list(samples)
    suffix = path.suffix.lower()
    if suffix in (".fasta", ".fa"):
        text = "".join(f">gen_{i}\n{s}\n" for i, s in enumerate(seqs))
    elif suffix == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["id", "sequence"] + (["condition"] if conditions is not None else []))
        conds = [None] * len(seqs) if conditions is None else list(np.asarray(conditions))
        for i, (s, c) in enumerate(zip(seqs, conds, strict=True)):
            w.writerow([f"gen_{i}", s] + ([c] if conditions is not None else []))
        text = buf.getvalue()
    else:
        text = "".join(s + "\n" for s in seqs)
    atomic_write_bytes(path, text.encode("utf-8"))
