"""Command-line interface: a thin shell over :mod:`scigan.api`.

Subcommands: ``datasets``, ``train``, ``sample``, ``evaluate``, ``resume``, ``report``,
``demo``.
Every user error prints one line ``scigan: error: …`` on stderr and exits with code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from scigan import __version__
from scigan.config import TrainConfig, field_help
from scigan.errors import ConfigError, SciganError
from scigan.limits import cap_message

EXIT_USAGE = 2


# ---------------------------------------------------------------------------- flag types
# settings whose range depends on another setting: each flag is checked alone here, against
# the other setting widened (the whole resolved config is checked again before training)
_CROSS_FIELD = {"latent_modes": {"z_dim": 100_000}}


def _setting_type(name: str, default: Any):
    """argparse type that converts and range-checks one TrainConfig setting."""

    def convert(text: str) -> Any:
        try:
            cfg = TrainConfig().replace({**_CROSS_FIELD.get(name, {}), name: text}, source="flag")
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return _lookup(cfg, name)

    convert.__name__ = type(default).__name__ if default is not None else "value"
    return convert


def _lookup(cfg: TrainConfig, name: str) -> Any:
    from scigan.config import FIELD_SECTION

    section = FIELD_SECTION.get(name)
    return getattr(getattr(cfg, section), name) if section else getattr(cfg, name)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if not 1 <= value <= 100_000_000:
        raise argparse.ArgumentTypeError(f"must be in [1, 100000000], got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0 or value >= 2**63:
        raise argparse.ArgumentTypeError(f"must be in [0, 2^63), got {value}")
    return value


def _out_path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; name a folder, e.g. --out runs/my-run")
    return Path(text)


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return key.strip(), value.strip()


# ---------------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) instead of the usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # "scigan: error: ..." for subcommands too (their prog is "scigan train").
        self.exit(EXIT_USAGE, f"scigan: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="scigan",
        description="Train GANs on scientific data and judge them with each field's metrics. "
        "Every metric is reported beside its real-vs-real floor.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scigan {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    p = sub.add_parser("datasets", help="list registered datasets")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.add_argument(
        "--long", action="store_true", help="every field (size, source, licence), wrapped"
    )

    p = sub.add_parser(
        "train",
        help="train a GAN and write a run folder",
        description="Train a GAN. Settings resolve as: built-in defaults < the domain's "
        "defaults for the data < --config FILE.yaml < flags. --dry-run prints the result.",
    )
    p.add_argument("--data", help="registered dataset name (see `scigan datasets`) or a file")
    p.add_argument(
        "--domain",
        help="domain (inferred from a registered dataset name or the data file's type: "
        ".fasta → sequences, .smi/.sdf → molecules, .pdb → proteins, a CSV with text "
        "columns → tabular)",
    )
    p.add_argument("--config", type=Path, help="YAML/JSON file of settings (flat or nested)")
    p.add_argument("--out", type=_out_path, help="run folder (default: runs/NNNNN-DOMAIN-DATA)")
    p.add_argument(
        "--set",
        dest="options",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="domain/data option, e.g. --set n=5000 (repeatable)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    p.add_argument(
        "--force",
        action="store_true",
        help="write the run into a non-empty --out folder that holds no run",
    )
    p.add_argument(
        "--report", action="store_true", help="after training, evaluate and write RUN/report.html"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    settings = p.add_argument_group("settings (default shown; a domain may set its own)")
    for name, f, default in field_help():
        if name in ("domain", "data"):
            continue
        flag = "--" + name.replace("_", "-")
        text = f.metadata.get("help", "") + f" (default: {default})"
        if isinstance(default, bool):
            settings.add_argument(
                flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=text
            )
        else:
            metavar = {"seed": "S", "steps": "N"}.get(name, name.upper())
            settings.add_argument(
                flag,
                dest=name,
                type=_setting_type(name, default),
                default=None,
                metavar=metavar,
                help=text,
            )

    p = sub.add_parser("sample", help="write samples from a trained run")
    p.add_argument("run", type=Path, help="run folder")
    p.add_argument("-n", type=_positive_int, required=True, help="number of samples")
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help=(
            "output file; format by extension: .csv .smi .sdf (molecules, with properties) "
            ".fasta/.fa .npy .npz, .pdb (proteins: recovered Cα models in one file) or a new "
            "folder name (proteins: one PDB per sample)"
        ),
    )
    p.add_argument("--seed", type=_seed, default=0, help="sampling seed")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.add_argument(
        "--condition",
        action="append",
        type=_key_value,
        default=[],
        metavar="NAME=VALUE",
        help="condition for conditional models (repeatable)",
    )
    p.add_argument(
        "--checkpoint",
        choices=("latest", "best"),
        default="latest",
        help="which checkpoint to sample from",
    )

    p = sub.add_parser("evaluate", help="evaluate a run with its domain's metrics and floors")
    p.add_argument("run", type=Path, help="run folder")
    p.add_argument(
        "--data",
        help="reference data (default: the run's held-out test part — tabular, molecules, "
        "sequences; for a built-in simulator, a fresh test sample from it; else the training data)",
    )
    p.add_argument(
        "-n",
        type=_positive_int,
        default=None,
        help="samples per metric (default: the run's eval_n)",
    )
    p.add_argument("--seed", type=_seed, default=0, help="evaluation seed")
    p.add_argument(
        "--checkpoint",
        choices=("latest", "best"),
        default="latest",
        help="which checkpoint to evaluate",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"n", "seed", "metrics": {NAME: {"value", "floor"}}} as JSON',
    )

    p = sub.add_parser("resume", help="continue an interrupted or finished run exactly")
    p.add_argument("run", type=Path, help="run folder")
    p.add_argument(
        "--steps",
        type=_positive_int,
        default=None,
        help="total steps to reach (default: the run's configured steps)",
    )
    p.add_argument(
        "--data",
        default=None,
        help="the training data's new place, if the file moved (its hash must match the run's)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser(
        "demo",
        help="a short run per science (one default dataset per domain), one combined report",
        description="Train one small, exactly checkable job per domain that declares a demo "
        "(physics: Ising at T_c; chemistry: a reaction table; ...), each a few minutes at most "
        "on 2 CPU cores, then write OUT/report.html with every headline metric beside its "
        "real-vs-real floor and a full report per run in OUT/DOMAIN/.",
    )
    p.add_argument("--out", type=Path, default=Path("runs/demo"), help="new or empty folder")
    p.add_argument("--domains", nargs="+", default=None, help="only these domains")
    p.add_argument("--seed", type=_seed, default=0, help="seed of every run and evaluation")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("report", help="write RUN/report.html (curves, metrics, samples)")
    p.add_argument("run", type=Path, help="run folder")
    p.add_argument("-n", type=_positive_int, default=None, help="samples for the evaluation")
    p.add_argument("--seed", type=_seed, default=0, help="evaluation seed")
    return parser


# ---------------------------------------------------------------------------- commands
def cmd_datasets(args: argparse.Namespace) -> int:
    import scigan.domains  # noqa: F401
    from scigan.registry import DATASETS

    rows = [DATASETS.get(name) for name in DATASETS.names()]
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2))
        return 0
    if args.long:  # every field, wrapped, one block per dataset
        for r in rows:
            print(f"{r.name}  ({r.domain})")
            for label, text in (("size", r.size), ("source", r.source), ("licence", r.licence)):
                wrapped = textwrap.wrap(text, 100 - 11) or [""]
                print(f"  {label:<8} {wrapped[0]}")
                for line in wrapped[1:]:
                    print(" " * 11 + line)
        return 0
    # A table that fits 100 columns: the size cut to the space left (details with --long).
    width = 100
    name_w = max(len(r.name) for r in rows)
    dom_w = max(len(r.domain) for r in rows)
    size_w = width - name_w - dom_w - 4
    print(f"{'name':<{name_w}}  {'domain':<{dom_w}}  size (details: scigan datasets --long)")
    print(f"{'-' * name_w}  {'-' * dom_w}  {'-' * size_w}")
    for r in rows:
        size = r.size if len(r.size) <= size_w else r.size[: size_w - 1] + "…"
        print(f"{r.name:<{name_w}}  {r.domain:<{dom_w}}  {size}".rstrip())
    return 0


def _default_out(cfg: TrainConfig) -> Path:
    root = Path("runs")
    existing = (
        [int(p.name[:5]) for p in root.glob("[0-9][0-9][0-9][0-9][0-9]-*")]
        if (root.is_dir())
        else []
    )
    stem = Path(cfg.data).stem if cfg.data else "data"
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:40]
    return root / f"{max(existing, default=-1) + 1:05d}-{cfg.domain}-{stem}"


def cmd_train(args: argparse.Namespace) -> int:
    from scigan.api import Synthesizer

    hyper = {
        name: getattr(args, name)
        for name, _, _ in field_help()
        if name not in ("domain", "data") and getattr(args, name, None) is not None
    }
    if args.options:
        hyper["options"] = {k: yaml.safe_load(v) for k, v in args.options}
    synth = Synthesizer(domain=args.domain, config=args.config, **hyper)
    data = args.data
    cfg = synth.resolve_config(data)
    if args.dry_run:
        print(cfg.to_json())
        return 0
    from scigan.core import dist

    dist.init()
    out = args.out or _default_out(cfg)
    synth.fit(
        data if data is not None else cfg.data, out=out, progress=not args.quiet, force=args.force
    )
    if dist.is_main():
        last = synth.state_
        print(f"trained {last.step} steps in {last.elapsed_s:.1f} s; run folder: {out}")
        if args.report:
            print(f"wrote {synth.report()}")
        suffix = synth.domain_.sample_suffixes[0]
        print(
            f"next: scigan evaluate {out}   |   scigan sample {out} -n 1000 --out samples{suffix}"
            f"   |   scigan report {out}"
        )
    dist.barrier()  # no rank leaves the process group while rank 0 still writes
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from scigan.api import Synthesizer

    synth = Synthesizer.load(args.run, checkpoint=args.checkpoint)
    conditions = synth.parse_conditions(dict(args.condition), args.n) if args.condition else None
    synth.write_samples(
        args.out, args.n, seed=args.seed, conditions=conditions, overwrite=args.force
    )
    print(f"wrote {args.n} samples to {args.out}", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from scigan.api import Synthesizer
    from scigan.metrics.floor import verdict

    synth = Synthesizer.load(args.run, checkpoint=args.checkpoint)
    result = synth.evaluate(reference=args.data, n=args.n, seed=args.seed)
    if args.json:
        print(json.dumps(result, default=float))
        return 0
    print(
        f"N = {result['n']}, seed = {result['seed']}; floor = the same metric between two "
        "disjoint real samples of size N"
    )
    rows = [("verdict", "metric", "value", "floor", "better", "why")]
    for name, m in result["metrics"].items():
        mark, why = verdict(m)
        rows.append((mark, name, _fmt(m["value"]), _fmt(m["floor"]), str(m.get("better", "")), why))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def cmd_resume(args: argparse.Namespace) -> int:
    from scigan.api import Synthesizer
    from scigan.core import dist, run_folder

    dist.init()
    synth = Synthesizer.resume_run(args.run, args.steps, data=args.data, progress=not args.quiet)
    if dist.is_main():
        print(f"resumed to step {synth.state_.step}; run folder: {args.run}")
        if (Path(args.run) / run_folder.REPORT).exists():  # a stale report would mislead
            print(f"wrote {synth.report()}")
    dist.barrier()  # no rank leaves the process group while rank 0 still writes
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from scigan.api import Synthesizer

    path = Synthesizer.load(args.run).report(n=args.n, seed=args.seed)
    print(f"wrote {path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from scigan.demo import run_demo

    path = run_demo(args.out, domains=args.domains, seed=args.seed, progress=not args.quiet)
    print(f"wrote {path}")
    return 0


COMMANDS = {
    "demo": cmd_demo,
    "datasets": cmd_datasets,
    "train": cmd_train,
    "sample": cmd_sample,
    "evaluate": cmd_evaluate,
    "resume": cmd_resume,
    "report": cmd_report,
}


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr (``scigan: warning: ...``), without source lines."""
    print(f"scigan: warning: {category.__name__}: {cap_message(str(message))}", file=sys.stderr)


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scigan`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    from scigan import progress

    try:
        with warnings.catch_warnings(), progress.enabled(not getattr(args, "quiet", False)):
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
            return COMMANDS[args.command](args)
    except SciganError as exc:
        print(f"scigan: error: {cap_message(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("scigan: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        from scigan.core import dist

        dist.shutdown()


__all__ = ["build_parser", "main"]
