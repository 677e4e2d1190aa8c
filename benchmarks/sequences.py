"""Sequences benchmark: the GAN at shipped defaults beside order-2 and order-5 Markov chains.

For each dataset the domain's seeded train / validation / test split (by distinct sequence) is
made once; the GAN trains with the domain's shipped defaults on the train part (checkpoints
chosen on the validation part), and two Markov chains (k = 2 and k = 5, interpolated smoothing)
are fitted to the same train part. All three are judged by the same ``SequencesDomain.evaluate``
call on the same held-out test sequences (same N and seed; memorisation against the same train
part), so every metric — including the CNN classifier AUC — shows its floor and the three models
side by side. Then the feedback (FBGAN) loop runs on the train part of the non-AMP peptides with
the built-in AMP proxy oracle, and its final generator is scored on their test part. Writes a
markdown report (``--out``) and prints it.

    python benchmarks/sequences.py --threads 1 --out /tmp/results_sequences.md  # -> RESULTS.md
    python benchmarks/sequences.py --datasets orf motif --no-feedback --steps 200   # quick look
    python benchmarks/sequences.py --datasets ecoli --no-feedback --seed 1   # shipped default
    python benchmarks/sequences.py --model direct --datasets ecoli --no-feedback  # the old GAN

Targets (issue 6): ecoli 6-mer JSD ≤ 2× floor; motif hit fraction within 0.02 of the
simulator's true hit fraction (planted sites that reach the threshold plus chance hits); orf
validity ≥ 0.9; amp property W1 ≤ 2× floor; feedback raises the oracle-positive fraction by
≥ 20 points with unique fraction ≥ 0.9.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from scigan.api import Synthesizer
from scigan.domains.sequences import SequencesDomain
from scigan.domains.sequences.encoding import DEFAULT_MODEL, MODELS
from scigan.domains.sequences.markov import MarkovChain

DATASETS = ("ecoli", "motif", "orf", "amp", "markov")
PROPS = ("charge_w1", "hydrophobicity_w1", "hydrophobic_moment_w1", "isoelectric_point_w1")
FEEDBACK_METRICS = ("fidelity", "unique_fraction", "exact_copy_fraction", "nearest_identity",
                    "classifier_auc", *PROPS)  # fmt: skip


# hit fractions are counts / N: an error of exactly 0.02 (e.g. 480 / 1,000 against 0.5) is
# within 0.02, although 0.5 − 0.48 is 0.020000000000000018 in floating point
TOL = 1e-9


def _target(
    data: str,
    m: dict[str, Any],
    k5: dict[str, Any] | None = None,
    redraws: dict[str, int] | None = None,
) -> tuple[str, bool | None]:
    """(description, met) of issue 25's target for this dataset, judged on the GAN's metrics
    ``m`` (and, for ecoli, against the order-5 chain's metrics ``k5``). ``redraws``: the
    training copies among the evaluation's draws before the encoder drew them again; with
    redraws the output's copy fraction is 0 by construction, so the target is judged on these."""
    if data == "ecoli":
        v, f = m["kmer_jsd_6"]["value"], m["kmer_jsd_6"]["floor"]
        desc, met = f"6-mer JSD {v:.5f} ≤ 2 × floor {f:.5f} (ratio {v / f:.2f})", v <= 2 * f
        if k5 is not None:
            j5 = k5["kmer_jsd_6"]["value"]
            a, a5 = m["classifier_auc"]["value"], k5["classifier_auc"]["value"]
            desc += f", ≤ Markov-5's {j5:.5f}, classifier AUC {a:.3f} < Markov-5's {a5:.3f}"
            met = met and v <= j5 and a < a5
        return desc, met
    if data == "motif":
        v = m["motif_hit_error"]["value"]
        e = m["motif_hit_fraction"]
        frac, n = e["value"], e.get("counted", e["n"])  # runs before the draws counted N
        se = float(np.sqrt(frac * (1 - frac) / n))  # the estimate's own noise at this N
        if "true_rate" in e:
            what = f"true {e['true_rate']:.3f}"
            planted = e.get("planted_rate", 0.5)
            why = f"; the true rate is the simulator's hit fraction, not the planted {planted:g}"
        else:  # runs scored before the truth was estimated: against the planted rate
            what, why = f"planted {e.get('planted_rate', 0.5):g}", ""
        desc = (
            f"|hit fraction {frac:.3f} − {what}| = {v:.3f} ≤ 0.02 (binomial SE over {n} "
            f"generated sequences: {se:.3f}{why})"
        )
        return desc, v <= 0.02 + TOL
    if data == "orf":
        v = m["orf_validity"]["value"]
        return f"ORF validity {v:.3f} ≥ 0.9", v >= 0.9
    if data == "amp":
        ratios = {p: m[p]["value"] / m[p]["floor"] for p in PROPS}
        worst = max(ratios.values())
        c = m["exact_copy_fraction"]
        copies = c["value"]
        every = (f"; over all {c['counted_all_draws']} draws {c['copies_all_draws']}"
                 if "copies_all_draws" in c else "")  # fmt: skip
        if redraws is not None:  # 0 by construction after the redraws: judge the model's rate
            every += (f"; by construction after redraws — before them {redraws['copies_before']} "
                      f"of {redraws['decoded']} decoded")  # fmt: skip
            copies = redraws["copies_before"] / max(redraws["decoded"], 1)
        return "property W1 / floor: " + ", ".join(
            f"{p.removesuffix('_w1')} {r:.2f}" for p, r in ratios.items()
        ) + f" (all ≤ 2); exact copies {copies:.4f} (0){every}", worst <= 2 and copies == 0
    if data == "markov":
        v, f = m["markov_loglik"]["value"], m["markov_loglik"]["floor"]
        return f"log-lik/symbol {v:.4f} vs real {f:.4f} (no numeric target)", None
    return "", None


def run_dataset(data: str, args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {"threads": args.threads, "seed": args.seed}
    if args.steps:
        overrides["steps"] = args.steps
    options = dict(args.set)
    if args.model != DEFAULT_MODEL:  # the shipped default is measured as shipped (no option)
        options["model"] = args.model
    if options:
        overrides["options"] = options
    domain = SequencesDomain()
    t0 = time.perf_counter()
    out = None if args.run_dir is None else args.run_dir / f"{data}-{args.model}-seed{args.seed}"
    gan = Synthesizer(domain="sequences", **overrides).fit(data, out=out, force=True)
    fit_s = time.perf_counter() - t0
    dataset = gan.dataset_  # the split the GAN trained on: samples = the train part
    test = domain.evaluation_reference(dataset)  # what gan.evaluate() scores against
    results: dict[str, Any] = {"data": data, "fit_s": {"gan": fit_s}, "metrics": {}}
    results["split"] = {k: dataset.info.get(k) for k in ("n_train", "n_val", "n_test", "split")}
    t0 = time.perf_counter()
    enc = gan.encoder_
    redraws = getattr(enc, "novel", False) and getattr(enc, "train_digests_", None) is not None
    if redraws:  # count the evaluation's own draws only
        enc.decoded_ = enc.copies_before_redraw_ = 0
    results["metrics"]["gan"] = gan.evaluate(n=args.eval_n, seed=args.seed)["metrics"]
    results["eval_s"] = time.perf_counter() - t0
    if redraws:  # the copy metric is 0 by construction: the model's own rate is this
        results["redraws"] = {"decoded": enc.decoded_, "copies_before": enc.copies_before_redraw_}
    for k in (2, 5):
        t0 = time.perf_counter()
        chain = MarkovChain(dataset.info["alphabet"], k).fit(list(dataset.samples))
        results["fit_s"][f"markov{k}"] = time.perf_counter() - t0
        results["metrics"][f"markov{k}"] = domain.evaluate(
            lambda n, c, s, ch=chain: ch.sample(n, seed=s), test, n=args.eval_n, seed=args.seed
        )
    results["steps"] = gan.config_.steps
    results["model"] = args.model
    ae = getattr(enc, "ae_info_", None)  # the latent GAN's autoencoder
    if ae:
        keys = ("steps", "best_step", "loss", "val_loss", "seconds", "reconstruction",
                "val_reconstruction", "cached", "ngram", "ngram_nats")  # fmt: skip
        results["autoencoder"] = {k: ae.get(k) for k in keys}
    # the sampling temperature (chosen on the validation part by default)
    if getattr(enc, "decoder_", None) is not None:
        results["temperature"] = {"chosen": enc.adapt_temperature}
        if gan.run_dir_ is not None:  # the validation scores behind the choice
            log = (gan.run_dir_ / "metrics.jsonl").read_text().splitlines()
            rows = [r for r in map(json.loads, log) if r.get("kind") == "temperature"]
            if rows:
                results["temperature"]["scores"] = rows[-1]["scores"]
    results["config"] = gan.config_.to_dict()  # the resolved config the GAN trained with
    return results


def run_feedback(args: argparse.Namespace) -> dict[str, Any]:
    from scigan.domains.sequences.feedback import (
        CachedScorer,
        evaluate_final,
        feedback_train,
        independent_amp_oracles,
    )

    t0 = time.perf_counter()
    # The loop is driven by one oracle and its gain scored by another (a different model
    # family trained on the other half of the labelled peptides): a gain measured by the
    # oracle the loop optimises is not evidence.
    oracle, judge = independent_amp_oracles(seed=args.seed)
    scorer = CachedScorer(oracle, budget=args.fb_budget)
    # the same split as a GAN run on these data: the loop trains on the train part only
    dataset = SequencesDomain().load("amp", options={"subset": "nonamp"}, seed=args.seed)
    # FBGAN trains the direct (one-hot) GAN: its defaults, not the shipped latent GAN's
    cfg = Synthesizer(
        domain="sequences", threads=args.threads, seed=args.seed, options={"model": "direct"}
    ).resolve_config("amp")
    res = feedback_train(
        cfg,
        dataset,
        scorer,
        pretrain_steps=args.fb_pretrain,
        rounds=args.fb_rounds,
        steps_per_round=args.fb_steps,
        n_generate=args.fb_generate,
        replace_max=args.fb_replace,
        judge=judge,
        judge_name="random forest on the other half of the AMP/UniProt peptides",
    )
    h = res.history
    gain = res.gain  # the judge's positive fraction, last round minus first
    final = evaluate_final(
        res, dataset, z_dim=cfg.net.z_dim, n=args.eval_n, seed=args.seed
    )  # the held-out test part of the non-AMP peptides: how far the loop moved from them
    return {
        "oracle_test_auc": oracle.test_auc_,
        "judge_test_auc": judge.test_auc_,
        "scored_by": res.scored_by,
        "driver_gain": res.driver_gain,
        "history": h,
        "gain": gain,
        "met": gain >= 0.2 and h[-1]["unique_fraction"] >= 0.9,
        "seconds": time.perf_counter() - t0,
        "budget": args.fb_budget,
        "data_size": len(dataset),
        "n_test": len(dataset.test),
        "final_metrics": final,
    }


def _fmt(v: float) -> str:
    if isinstance(v, float) and (np.isnan(v) or np.isinf(v)):
        return str(v)
    return f"{v:.4g}"


def _ae_line(r: dict[str, Any]) -> list[str]:
    """The latent GAN's autoencoder (its minutes are part of the GAN's), or nothing."""
    ae = r.get("autoencoder")
    if not ae:
        return []
    where = f"loaded from the cache ({ae['cached']})" if ae.get("cached") else "trained in this run"
    held = ""
    if ae.get("best_step") is not None:
        held = (
            f" Weights of step {ae['best_step']} (lowest validation loss, "
            f"{ae['val_loss']:.1f} nats); exact greedy reconstruction of validation sequences "
            f"{ae['val_reconstruction']:.3f}."
        )
    return [
        f"Model {r['model']}: autoencoder {where}, {ae['steps']} steps, "
        f"{(ae['seconds'] or 0) / 60:.1f} min, final loss {ae['loss']:.1f} nats per sequence, "
        f"exact greedy reconstruction {ae['reconstruction']:.3f} (training sequences).{held}",
        "",
    ]


def markdown(results: list[dict[str, Any]], fb: dict[str, Any] | None, args, started: str) -> str:
    lines = [
        "## Sequences (issue 6)",
        "",
        f"Command: `python benchmarks/sequences.py --model {args.model} --threads {args.threads} "
        f"--seed {args.seed} --eval-n {args.eval_n}"
        + (f" --steps {args.steps}" if args.steps else "")
        + "".join(f" --set {k}={v}" for k, v in args.set)
        + "`  ",
        f"Date: {started} (UTC); machine: {platform.machine()} {os.cpu_count()} cores shared with "
        f"other jobs, torch {torch.__version__}, {args.threads} thread(s); seed {args.seed}; "
        f"N = {args.eval_n} (at most the test part's size) generated vs N held-out test "
        "sequences per metric; floor = the same metric for N training sequences against the same "
        "test sequences (memorisation: the test sequences against the train part). Split: seeded "
        "by distinct sequence, 80/10/10 train/validation/test; checkpoints chosen on validation.",
        "",
    ]
    for r in results:
        m = r["metrics"]
        desc, met = _target(r["data"], m["gan"], m.get("markov5"), r.get("redraws"))
        status = {True: "**met**", False: "**missed**", None: "n/a"}[met]
        lines += [
            f"### {r['data']} — GAN {r['steps']} steps in {r['fit_s']['gan'] / 60:.1f} min "
            f"(Markov fits {r['fit_s']['markov2']:.1f} s / {r['fit_s']['markov5']:.1f} s)",
            "",
            *_ae_line(r),
            f"Split: {r['split']['n_train']:,} train / {r['split']['n_val']:,} validation / "
            f"{r['split']['n_test']:,} test sequences (GAN and both chains train on the first, "
            f"are scored on the last); N = {m['gan']['fidelity']['n']:,} per metric.",
            "",
            f"Target: {desc} → {status}",
            "",
            "| metric | floor (train vs test) | GAN | Markov k=2 | Markov k=5 | better |",
            "|---|---|---|---|---|---|",
        ]
        for name, e in m["gan"].items():
            row = [name, _fmt(e["floor"]), _fmt(e["value"])]
            row += [
                _fmt(m[b][name]["value"]) if name in m[b] else "—" for b in ("markov2", "markov5")
            ]
            lines.append("| " + " | ".join(row) + f" | {e.get('better', '')} |")
        lines.append("")
    if fb is not None:
        h = fb["history"]
        lines += [
            f"### Feedback GAN (FBGAN) on amp subset=nonamp ({fb['data_size']} training "
            f"peptides; {fb['n_test']} held out for the test part), "
            f"{fb['seconds'] / 60:.1f} min",
            "",
            f"Driving oracle: built-in AMP-vs-UniProt **proxy** (logistic regression on one half "
            f"of the labelled peptides; held-out AUC {fb['oracle_test_auc']:.3f}); budget "
            f"{fb['budget']} distinct sequences; positive = P(AMP) ≥ 0.5. The gain is scored by "
            f"an independent judge ({fb['scored_by']}; held-out AUC {fb['judge_test_auc']:.3f}), "
            f"never by the driving oracle (its own gain, +{fb['driver_gain'] * 100:.1f} points, "
            "is what the loop optimises and is not evidence).",
            "",
            f"Target: judge-positive fraction +{fb['gain'] * 100:.1f} points (≥ 20) with unique "
            f"fraction {h[-1]['unique_fraction']:.3f} (≥ 0.9) → "
            + ("**met**" if fb["met"] else "**missed**"),
            "",
            "| round | step | positive fraction | mean score | unique | diversity | novel | "
            "fed-back rows | replaced | oracle calls |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in h:
            lines.append(
                f"| {row['round']} | {row['step']} | {row['positive_fraction']:.3f} | "
                f"{row['mean_score']:.3f} | {row['unique_fraction']:.3f} | "
                f"{row['diversity']:.3f} | {row['novel_fraction']:.3f} | "
                f"{row['train_positive_fraction']:.3f} | {row['replaced']} | "
                f"{row['oracle_calls']} |"
            )
        fm = fb["final_metrics"]
        lines += [
            "",
            f"Final generator against the {fb['n_test']} held-out non-AMP test peptides "
            "(memorisation against the training part):",
            "",
            "| metric | floor (train vs test) | final generator | better |",
            "|---|---|---|---|",
        ]
        for name in FEEDBACK_METRICS:
            if name in fm:
                e = fm[name]
                lines.append(
                    f"| {name} | {_fmt(e['floor'])} | {_fmt(e['value'])} | {e.get('better', '')} |"
                )
        lines.append("")
    return "\n".join(lines)


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not (sep and key):
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return key, value


# the rows of the summary table per dataset: the target's metrics first, then the rest
SUMMARY_METRICS = {
    "ecoli": ("kmer_jsd_6", "classifier_auc", "gc_w1"),
    "motif": ("motif_hit_fraction", "motif_hit_error", "kmer_jsd_6", "classifier_auc"),
    "orf": ("orf_validity", "classifier_auc", "kmer_jsd_6"),
    "amp": (*PROPS, "classifier_auc", "validity"),
    "markov": ("markov_loglik", "classifier_auc"),
}
MEMORY = ("exact_copy_fraction", "nearest_identity")


def summarize(paths: list[Path]) -> str:
    """One table of every run in the JSON files of ``--json`` (any mix of sets and seeds),
    with each target's verdict, and the feedback runs' gains by the independent judge."""
    runs, fbs = [], []
    for path in paths:
        raw = json.loads(path.read_text())
        for r in raw.get("results") or []:
            runs.append(r)
        if raw.get("feedback"):
            fbs.append((path, raw["feedback"]))
    runs.sort(key=lambda r: (r["data"], r["metrics"]["gan"]["classifier_auc"]["seed"]))
    lines = [
        "| set | seed | metric | floor | GAN | Markov-2 | Markov-5 "
        "| fit min (AE: steps, kept, order k) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for r in runs:
        m, data = r["metrics"], r["data"]
        seed = m["gan"]["classifier_auc"]["seed"]
        ae = r.get("autoencoder") or {}
        fit = f"{r['fit_s']['gan'] / 60:.1f}"
        if ae:
            k = ae.get("ngram")
            t = (r.get("temperature") or {}).get("chosen")
            fit += (f" (AE {(ae['seconds'] or 0) / 60:.1f}: {ae['steps']}, {ae.get('best_step')}"
                    + (f", k = {k}" if k is not None else "")
                    + (f", T = {t:g}" if t is not None else "") + ")")  # fmt: skip
        for i, name in enumerate((*SUMMARY_METRICS.get(data, ()), *MEMORY)):
            if name not in m["gan"]:
                continue
            e = m["gan"][name]
            value = _fmt(e["value"])
            if name == "kmer_jsd_6" or name in PROPS:
                value += f" ({e['value'] / e['floor']:.2f}×)"
            redraws = r.get("redraws")
            if name == "exact_copy_fraction" and redraws:  # 0 by construction after them
                value += f" ({redraws['copies_before']} of {redraws['decoded']} before redraws)"
            row = [
                data if i == 0 else "",
                str(seed) if i == 0 else "",
                name,
                _fmt(e["floor"]),
                value,
            ]
            row += [_fmt(m[b][name]["value"]) if name in m.get(b, {}) else "—"
                    for b in ("markov2", "markov5")]  # fmt: skip
            row.append(fit if i == 0 else "")
            lines.append("| " + " | ".join(row) + " |")
        desc, met = _target(data, m["gan"], m.get("markov5"), r.get("redraws"))
        verdicts.append(f"- {data}, seed {seed}: {desc} → "
                        + {True: "**met**", False: "**missed**", None: "n/a"}[met])  # fmt: skip
    lines += ["", *verdicts]
    for path, fb in fbs:
        lines.append(
            f"- feedback ({path.name}): judge-positive fraction {fb['gain'] * 100:+.1f} points "
            f"(≥ 20; {fb['scored_by']}, held-out AUC {fb['judge_test_auc']:.3f}); the driving "
            f"oracle's own gain {fb['driver_gain'] * 100:+.1f} points (not counted); "
            f"{fb['seconds'] / 60:.1f} min → " + ("**met**" if fb["met"] else "**missed**")
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--summarize",
        nargs="+",
        type=Path,
        default=None,
        metavar="JSON",
        help="print one table of the runs in these --json files (no training) and exit",
    )
    p.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=DATASETS)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-n", type=int, default=2000)
    p.add_argument("--steps", type=int, default=0, help="override the shipped steps (0 = keep)")
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        choices=MODELS,
        help="the GAN: latent-gan (autoencoder codes, the shipped default) or direct (one-hot)",
    )
    p.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="write each GAN's run folder (metrics.jsonl, checkpoints) under this folder",
    )
    p.add_argument(
        "--set",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="a data/model option for every GAN, as scigan train --set (repeatable), e.g. "
        "--set temperature=0.9 with --model latent-gan; not applied to the feedback loop",
    )
    p.add_argument("--no-feedback", action="store_true")
    p.add_argument("--fb-pretrain", type=int, default=1000)
    p.add_argument("--fb-rounds", type=int, default=15)
    p.add_argument("--fb-steps", type=int, default=150)
    p.add_argument("--fb-generate", type=int, default=500)
    p.add_argument("--fb-replace", type=int, default=200)
    p.add_argument("--fb-budget", type=int, default=20_000)
    p.add_argument("--out", type=Path, default=None, help="markdown report")
    p.add_argument("--json", type=Path, default=None, help="raw results (JSON)")
    args = p.parse_args()
    if args.summarize:
        print(summarize(args.summarize))
        return
    torch.set_num_threads(args.threads)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    results, fb = [], None
    for data in args.datasets:
        t0 = time.perf_counter()
        results.append(run_dataset(data, args))
        print(f"[{data}] done in {(time.perf_counter() - t0) / 60:.1f} min", flush=True)
        text = markdown(results, fb, args, started)
        if args.out:
            args.out.write_text(text + "\n")
    if not args.no_feedback:
        fb = run_feedback(args)
        print(f"[feedback] done in {fb['seconds'] / 60:.1f} min", flush=True)
    text = markdown(results, fb, args, started)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "feedback": fb}, default=float))


if __name__ == "__main__":
    main()
