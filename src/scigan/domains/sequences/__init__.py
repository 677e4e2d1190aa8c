"""The ``sequences`` domain: DNA, RNA and protein/peptide GANs judged by biology's statistics.

Datasets: ``ecoli`` (E. coli 536 genome windows), ``amp`` (modlamp antimicrobial peptides),
synthetic sets with exact answers ``motif`` (planted JASPAR sites), ``orf`` (coding ORFs) and
``markov`` (order-k chain with exact likelihood), and user FASTA / CSV / text files.
See ``README.md`` in this folder for options, metrics and the feedback (FBGAN) loop.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from scigan.config import TrainConfig
from scigan.core.checkpoint import atomic_write_bytes
from scigan.domains.base import (
    AbstractDomain,
    AbstractEncoder,
    Dataset,
    DemoSpec,
    MetricResult,
    SampleFn,
)
from scigan.domains.sequences import data as sdata
from scigan.domains.sequences import metrics as sm
from scigan.domains.sequences.encoding import SequenceEncoder, one_hot
from scigan.domains.sequences.nets import SeqDiscriminator, SeqGenerator
from scigan.errors import DataError
from scigan.registry import DOMAINS, DatasetInfo, register_dataset

FIDELITY = "fidelity"  # mean k-mer JSD over k = 1…K: selects the best checkpoint
IDENTITY_N = 200  # sequences aligned for novelty (alignment is the slow part)
CLASSIFIER_N = 2000
DIVERSITY_PAIRS = 300

# Shipped defaults, sized for 2 CPU cores (benchmarks/sequences.py measures them).
_DEFAULTS: dict[str, Any] = {
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
DEFAULTS: dict[str, dict[str, Any]] = {
    "ecoli": {**_DEFAULTS},
    "motif": {**_DEFAULTS},
    "orf": {**_DEFAULTS, "steps": 5000},  # validity 0.52 at 3000 steps, 0.60 at 5000 (10 min)
    "markov": {**_DEFAULTS, "steps": 2000},
    "amp": {**_DEFAULTS, "steps": 4000},  # L = 50: ~0.13 s a step
}


def _entry(value: float, floor: float, n: int, seed: int, better: str, **extra: Any) -> dict:
    return {
        "value": float(value),
        "floor": float(floor),
        "n": n,
        "seed": seed,
        "better": better,
        **extra,
    }


@DOMAINS.register("sequences")
class SequencesDomain(AbstractDomain):
    """Fixed- or variable-length sequences over a finite alphabet, one-hot (V, L)."""

    name = "sequences"
    sample_suffixes = (".fasta", ".fa", ".csv", ".txt")
    best_metric = (FIDELITY, True)
    demo = DemoSpec(
        science="Biology",
        data="orf",
        headline="orf_validity",
        settings={"steps": 800, "eval_every": 0, "ckpt_every": 400, "eval_n": 1000},
        options={"n": 3000},
        what=(
            "Protein-coding DNA (ATG, 31 sense codons, a stop): the headline is the fraction of "
            "generated 99-bp sequences that are valid open reading frames (1.0 for real ones); "
            "the full report adds k-mer spectra, codon periodicity and a CNN two-sample AUC."
        ),
    )

    def default_config(self, data: str) -> dict[str, Any]:
        return dict(DEFAULTS.get(data, _DEFAULTS))

    # ------------------------------------------------------------------ data
    def load(self, source: Any, *, options: Mapping[str, Any], seed: int) -> Dataset:
        if isinstance(source, str) and source in sdata.SPECS:
            return sdata.load_builtin(source, options, seed)
        return sdata.load_user(source, options)

    def make_encoder(self, cfg: TrainConfig) -> AbstractEncoder:
        output = str(cfg.options.get("output", "gumbel"))
        if output not in ("softmax", "gumbel"):
            raise DataError(f"--set output={output!r}: choose softmax or gumbel")
        return SequenceEncoder(output)

    # ------------------------------------------------------------------ networks
    def build_generator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        enc = _seq_encoder(encoder)
        return SeqGenerator(
            cfg.net.z_dim,
            enc.output_spans(),
            cond_dim=enc.cond_dim,
            width=cfg.net.g_width,
            depth=cfg.net.g_depth,
            dilation=_int_option(cfg, "dilation", 1),
        )

    def build_discriminator(self, cfg: TrainConfig, encoder: AbstractEncoder) -> nn.Module:
        enc = _seq_encoder(encoder)
        return SeqDiscriminator(
            len(enc.vocab),
            enc.max_len_,
            cond_dim=enc.cond_dim,
            width=cfg.net.d_width,
            depth=cfg.net.d_depth,
            sn=cfg.net.spectral_norm,
            pac=cfg.net.pac,
            pooled=str(cfg.options.get("d_pool", "false")).lower() in ("1", "true", "yes"),
            dilation=_int_option(cfg, "dilation", 1),
        )

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, sample: SampleFn, reference: Dataset, *, n: int, seed: int) -> MetricResult:
        ref = list(reference.samples)
        if len(ref) < 4:
            raise DataError(f"{reference.name}: need at least 4 reference sequences to evaluate")
        m = min(n, len(ref) // 2)
        perm = np.random.default_rng(seed).permutation(len(ref))
        ia, ib = perm[:m], perm[m : 2 * m]
        cond = None
        if reference.conditions is not None:
            cond = np.asarray(reference.conditions)[ia]
        gen = list(sample(m, cond, seed))
        a, b = [ref[i] for i in ia], [ref[i] for i in ib]
        rest = [ref[i] for i in np.setdiff1d(np.arange(len(ref)), ib)]  # training set minus b
        return evaluate_sets(gen, a, b, ref, rest, reference.info, seed)

    # ------------------------------------------------------------------ output
    def write_samples(self, samples: Any, conditions: Any, path: Path) -> None:
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

    def parse_conditions(self, encoder: AbstractEncoder, values: Mapping[str, str], n: int) -> Any:
        enc = _seq_encoder(encoder)
        if enc.cond_kind_ is None:
            raise DataError("this sequence model is unconditional; remove --condition")
        name = enc.cond_name_ or "label"
        if set(values) != {name}:
            raise DataError(f"--condition needs exactly {name}=VALUE")
        value = values[name]
        if enc.cond_kind_ == "number":
            try:
                return np.full(n, float(value))
            except ValueError:
                raise DataError(f"--condition {name}={value!r}: expected a number") from None
        return np.array([value] * n, dtype=object)

    def figures(self, generated: Any, reference: Dataset) -> dict[str, Any]:
        from scigan.domains.sequences.figures import make_figures

        return make_figures(list(generated), reference)


def _int_option(cfg: TrainConfig, name: str, default: int) -> int:
    try:
        value = int(cfg.options.get(name, default))
    except (TypeError, ValueError):
        raise DataError(f"--set {name}={cfg.options[name]!r}: expected an integer") from None
    if value < 1:
        raise DataError(f"--set {name}={value}: must be >= 1")
    return value


def _seq_encoder(encoder: AbstractEncoder) -> SequenceEncoder:
    if not isinstance(encoder, SequenceEncoder):
        raise TypeError(
            f"the sequences domain needs a SequenceEncoder, got {type(encoder).__name__}"
        )
    return encoder


def max_k(alphabet: str) -> int:
    """k-mer orders reported: 1…6 for nucleotides, 1…3 for proteins and larger alphabets."""
    return 6 if len(alphabet) <= 4 else 3


def evaluate_sets(
    gen: list[str],
    a: list[str],
    b: list[str],
    train: list[str],
    rest: list[str],
    info: Mapping[str, Any],
    seed: int,
) -> MetricResult:
    """Every applicable metric of ``gen`` against real sample ``a``, floor from real ``b``.

    ``train`` is the whole training set (novelty of ``gen``); ``rest`` is the training set
    without ``b`` (novelty floor: a real sequence's identity to the *other* training data).
    """
    n = len(gen)
    alphabet = str(info["alphabet"])
    kind = info.get("kind", "user")
    out: MetricResult = {}
    lens_train = [len(s) for s in train]
    lo, hi = min(lens_train), max(lens_train)
    out["validity"] = _entry(
        sm.validity(gen, alphabet, lo, hi),
        sm.validity(b, alphabet, lo, hi),
        n,
        seed,
        "higher",
        description=f"alphabet {alphabet} and length in [{lo}, {hi}]",
    )
    out["unique_fraction"] = _entry(
        sm.unique_fraction(gen), sm.unique_fraction(b), n, seed, "higher"
    )
    out["diversity"] = _entry(
        sm.mean_pairwise_distance(gen, pairs=DIVERSITY_PAIRS, seed=seed),
        sm.mean_pairwise_distance(b, pairs=DIVERSITY_PAIRS, seed=seed),
        n,
        seed,
        "closer to floor",
        description="mean normalised edit distance of random pairs",
    )
    train_set = set(train)
    rest_set = set(rest)
    out["exact_copy_fraction"] = _entry(
        np.mean([s in train_set for s in gen]),
        np.mean([s in rest_set for s in b]),
        n,
        seed,
        "lower",
        description="generated sequences found verbatim in the training set",
    )
    k_id = min(IDENTITY_N, n)
    ident_g = sm.nearest_identity(gen[:k_id], train, alphabet)
    ident_b = sm.nearest_identity(b[:k_id], rest, alphabet)
    out["nn_identity"] = _entry(
        ident_g.mean(),
        ident_b.mean(),
        k_id,
        seed,
        "closer to floor",
        frac_above_0_9=float((ident_g >= 0.9).mean()),
        frac_above_0_9_floor=float((ident_b >= 0.9).mean()),
        description="mean identity to the nearest training sequence (global alignment"
        + (", BLOSUM62)" if len(alphabet) > 4 else ")"),
    )
    if lo != hi:
        out["length_w1"] = _entry(
            sm.w1(sm.lengths(gen), sm.lengths(a)),
            sm.w1(sm.lengths(b), sm.lengths(a)),
            n,
            seed,
            "lower",
        )
    jsd_g, jsd_b = [], []
    for k in range(1, max_k(alphabet) + 1):
        ca = sm.kmer_counts(a, alphabet, k)
        g, f = (
            sm.jsd(sm.kmer_counts(gen, alphabet, k), ca),
            sm.jsd(sm.kmer_counts(b, alphabet, k), ca),
        )
        jsd_g.append(g)
        jsd_b.append(f)
        out[f"kmer_jsd_{k}"] = _entry(
            g, f, n, seed, "lower", description=f"{k}-mer spectrum JSD (bits)"
        )
    out[FIDELITY] = _entry(
        np.mean(jsd_g),
        np.mean(jsd_b),
        n,
        seed,
        "lower",
        description=f"mean k-mer JSD over k = 1…{max_k(alphabet)}",
    )
    if set(alphabet) <= set("ACGTU") and ("G" in alphabet and "C" in alphabet):
        gg, ga, gb = sm.gc_content(gen), sm.gc_content(a), sm.gc_content(b)
        out["gc_w1"] = _entry(
            sm.w1(gg, ga),
            sm.w1(gb, ga),
            n,
            seed,
            "lower",
            gc_mean=float(gg.mean()),
            gc_mean_reference=float(ga.mean()),
        )
        pa = sm.period3_excess(a)
        out["period3_dev"] = _entry(
            abs(sm.period3_excess(gen) - pa),
            abs(sm.period3_excess(b) - pa),
            n,
            seed,
            "lower",
            reference=pa,
            description="|Δ codon periodicity| (P(same base at lag 3) excess)",
        )
    if kind == "orf" or (info.get("coding") and kind != "ecoli"):
        out["orf_validity"] = _entry(
            sm.orf_validity(gen), sm.orf_validity(b), n, seed, "higher", target=">= 0.9"
        )
    if set(alphabet) == set(sm.PROTEIN):
        for name, fn in sm.PEPTIDE_PROPERTIES.items():
            pg, pa_, pb = fn(gen), fn(a), fn(b)
            out[f"{name}_w1"] = _entry(
                sm.w1(pg, pa_),
                sm.w1(pb, pa_),
                n,
                seed,
                "lower",
                mean=float(pg.mean()),
                mean_reference=float(pa_.mean()),
            )
    if kind == "motif":
        out.update(_motif_metrics(gen, a, b, info, n, seed))
    if kind == "markov":
        from scigan.domains.sequences.data import markov_chain

        chain = markov_chain(info)
        L = float(info["length"])
        lg, la, lb = (chain.log_likelihood(s) / L for s in (gen, a, b))
        out["markov_loglik"] = _entry(
            lg.mean(),
            lb.mean(),
            n,
            seed,
            "closer to floor",
            reference=float(la.mean()),
            exact_expected=-float(info["entropy_rate_nats"]),
            description="mean exact log-likelihood per symbol (nats) under the true chain",
        )
    kc = min(CLASSIFIER_N, n)
    out["classifier_auc"] = _entry(
        sm.cnn_classifier_auc(a[:kc], gen[:kc], alphabet, seed=seed),
        sm.cnn_classifier_auc(a[:kc], b[:kc], alphabet, seed=seed),
        kc,
        seed,
        "closer to 0.5",
        description="fresh 1-D CNN, real vs generated, held-out half ROC-AUC",
    )
    return out


def _motif_metrics(
    gen: list[str], a: list[str], b: list[str], info: Mapping[str, Any], n: int, seed: int
) -> MetricResult:
    from scigan.domains.sequences import motifs as mt

    out: MetricResult = {}
    L = int(info["max_len"])
    thr = float(info["threshold"])
    for j, mid in enumerate(info["motifs"]):
        motif = mt.load_motif(mid)
        res = {
            k: mt.scan(one_hot(v, "ACGT", L), motif) for k, v in (("g", gen), ("a", a), ("b", b))
        }
        hit = {k: r[0] >= thr for k, r in res.items()}
        rate = float(info["rate"])
        tag = "" if len(info["motifs"]) == 1 else f"_{mid}"
        out[f"motif_hit_fraction{tag}"] = _entry(
            hit["g"].mean(),
            hit["b"].mean(),
            n,
            seed,
            "closer to planted rate",
            planted_rate=rate,
            planted_fraction=info["planted_fraction"][j],
            reference=float(hit["a"].mean()),
            description=f"{mid} ({info['motif_names'][j]}) relative PWM score >= {thr}",
        )
        out[f"motif_hit_error{tag}"] = _entry(
            abs(hit["g"].mean() - rate),
            abs(hit["b"].mean() - rate),
            n,
            seed,
            "lower",
            target="<= 0.02",
            description="|hit fraction − planted rate|",
        )
        pos = {k: r[1][hit[k]].astype(float) for k, r in res.items()}
        out[f"motif_position_w1{tag}"] = _entry(
            sm.w1(pos["g"], pos["a"]),
            sm.w1(pos["b"], pos["a"]),
            n,
            seed,
            "lower",
            planted_window=info["pos_range"],
            description="W1 of hit start positions (bp)",
        )
    return out


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
