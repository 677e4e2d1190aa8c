"""Activity and property prediction from labelled molecules, with and without GAN pre-training.

Predictors on the same labelled split (names as in the results tables):

- ``rf-morgan``: a random forest on Morgan fingerprints (r = 2, 1024 bits) — the standard QSAR
  baseline (MoleculeACE's strongest classical model family);
- ``rf-latent``: the same forest on the codes of the latent GAN's autoencoder, which was trained
  without labels on the GAN's molecules (MOSES);
- ``rf-critic`` and ``linear-critic``: the penultimate features of the trained latent GAN's
  critic (on those codes) with the forest, or with a linear head (ridge / logistic regression,
  regularisation chosen by 5-fold cross-validation on the labelled subset) — the issue's
  "semi-supervised discriminator": an extra head on the critic's features, trained on labels
  while the critic itself was trained only on unlabelled molecules.

With few labels an unsupervised representation can help; whether it does is measured, not
assumed. Regression (MoleculeACE ``y`` = −log10 K[nM]; pK = y + 9) is scored by RMSE and R²,
plus ROC-AUC of the prediction for "active" = K ≤ ``threshold_nm`` (default 100 nM). Binary
labels — B3DB blood–brain-barrier permeability (``load_labelled("B3DB")``), or a user's toxicity
CSV with a 0/1 column — are scored by ROC-AUC. ``fractions`` subsamples the training labels
(e.g. 10 %) once per seed; ``seeds`` repeats subsample and forest; ``bootstrap`` adds a
percentile 95 % CI over test-set resamples; ``permuted_floor`` adds the chance floor measured
with the same forest on permuted training labels.

No measured toxicity set ships offline (Tox21, ClinTox, AMES, hERG need downloads): toxicity here
means RDKit's structural alerts (``metrics.alert_flags``), user-supplied labelled CSVs, and B3DB as
the shipped safety-relevant (CNS exposure) property with real labels.

Command line (prints the comparison; ``--predict`` scores new molecules)::

    python -m scigan.domains.molecules.activity B3DB --seeds 0 1 2
    python -m scigan.domains.molecules.activity tox.csv --label-column toxic --predict gen.smi

A trained latent GAN is passed in (a domain does not import the API that loads it):
``activity_benchmark(source, model)`` with a fitted ``scigan.Synthesizer``,
``main(argv, load_model=scigan.Synthesizer.load)`` for ``--model RUN``, or
``python benchmarks/activity.py --model RUN`` (all sets, seeds and bootstrap CIs).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from scigan.domains.base import AbstractEncoder
from scigan.domains.molecules import chem
from scigan.domains.molecules.data import activity_frame, b3db_frame, validate_smiles
from scigan.errors import ConfigError, DataError

PREDICTORS = ("rf-morgan", "rf-latent", "rf-critic", "linear-critic")
FLOOR = "rf-morgan, permuted labels"


@dataclass
class LabelledSet:
    """A labelled molecule set with its train/test split (canonical SMILES)."""

    name: str
    train_smiles: list[str]
    train_y: np.ndarray
    test_smiles: list[str]
    test_y: np.ndarray
    binary: bool
    note: str = ""


def _split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random 80/20 split (CSV files and B3DB, which ship without a split)."""
    order = np.random.default_rng([seed, 53]).permutation(n)
    cut = int(0.8 * n)
    return order[:cut], order[cut:]


def load_labelled(
    source: str | Path, *, label_column: str | None = None, seed: int = 0
) -> LabelledSet:
    """``"B3DB"``, a MoleculeACE target (``"CHEMBL204_Ki"``; its own split) or a CSV/TSV.

    B3DB and CSVs are split 80/20 (seeded). In a CSV, a label column with only 0/1 values is a
    classification task; invalid SMILES are an error naming the line. B3DB's 2 unparsable
    SMILES (of 7,807) are skipped and counted in ``note``.
    """
    if isinstance(source, str) and source.upper() == "B3DB":
        df = b3db_frame()
        smiles, keep = validate_smiles(
            df["smiles"].tolist(), list(range(2, len(df) + 2)), where="B3DB", invalid="skip"
        )
        y = df["bbb"].to_numpy(float)[keep]
        tr, te = _split(len(smiles), seed)
        note = (f"B3DB classification, BBB+ = 1; {len(df) - len(smiles)} invalid SMILES skipped; "
                f"random 80/20 split, seed {seed}")  # fmt: skip
        return LabelledSet("B3DB", [smiles[i] for i in tr], y[tr], [smiles[i] for i in te],
                           y[te], True, note)  # fmt: skip
    if isinstance(source, str) and source.upper().startswith("CHEMBL") and "." not in source:
        df = activity_frame(source)
        tr, te = df[df["split"] == "train"], df[df["split"] == "test"]
        return LabelledSet(source, tr["smiles"].tolist(), tr["y"].to_numpy(float),
                           te["smiles"].tolist(), te["y"].to_numpy(float), False,
                           "MoleculeACE split")  # fmt: skip
    path = Path(source)
    if not path.exists():
        raise DataError(
            f"{path}: not found; pass B3DB, a MoleculeACE target (CHEMBL204_Ki) or a CSV file"
        )
    df = pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",")
    smiles_col = next((c for c in df.columns if str(c).lower() in ("smiles", "smi")), None)
    if smiles_col is None:
        raise DataError(f"{path}: no 'smiles' column among {list(df.columns)}")
    if label_column is None or label_column not in df.columns:
        raise DataError(f"{path}: name the label column (one of {list(df.columns)})")
    y = pd.to_numeric(df[label_column], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~np.isfinite(y))
    if len(bad):
        raise DataError(
            f"{path}: line {bad[0] + 2}: label {df[label_column].iloc[bad[0]]!r} is not a number"
        )
    smiles, keep = validate_smiles(
        df[smiles_col].astype(str).tolist(), list(range(2, len(df) + 2)), where=str(path)
    )
    y = y[keep]
    tr, te = _split(len(smiles), seed)
    binary = set(np.unique(y)) <= {0.0, 1.0}
    return LabelledSet(path.name, [smiles[i] for i in tr], y[tr], [smiles[i] for i in te],
                       y[te], binary, f"random 80/20 split, seed {seed}")  # fmt: skip


# ---------------------------------------------------------------------------- features
def morgan_features(smiles: Sequence[str]) -> np.ndarray:
    """Morgan fingerprints (r = 2, 1024 bits) as float32 ``(N, 1024)``."""
    with chem.quiet_rdkit():
        mols = [chem.get_mol(s) for s in smiles]
    if any(m is None for m in mols):
        raise DataError("invalid SMILES in a labelled set")
    return chem.fingerprints(mols).astype(np.float32)


def latent_features(encoder: Any, smiles: Sequence[str]) -> np.ndarray:
    """Autoencoder codes ``(N, Z)``; see :func:`token_coverage` for what the encoder loses."""
    with torch.no_grad():
        return encoder.encode(list(smiles)).numpy()


def token_coverage(encoder: Any, smiles: Sequence[str]) -> dict[str, float]:
    """Fractions of molecules the encoder truncates (too long) or reads with unknown tokens."""
    tok = encoder.tokenizer_
    known = set(tok.vocab_)
    symbols = [tok.split(s) for s in smiles]
    return {
        "truncated": float(np.mean([len(s) >= encoder.length_ for s in symbols])),
        "unknown_tokens": float(np.mean([any(t not in known for t in s) for s in symbols])),
    }


def critic_features(model: Any, smiles: Sequence[str], batch: int = 1024) -> np.ndarray:
    """Penultimate activations of a latent GAN's trained critic on the molecules' codes.

    ``(N, width)``: ``leaky_relu(blocks(inp(code)))`` of the residual MLP critic, i.e. the input
    of its output (projection) head — the features an extra class head would read.

    Args:
        model: a fitted latent-GAN model (``model="latent-gan"``): a :class:`~scigan.Synthesizer`
            or anything with its ``encoder_`` and ``state_.D``.
    """
    from scigan.core.nets import MLPDiscriminator

    D = model.state_.D
    if not isinstance(D, MLPDiscriminator) or D.pac != 1 or D.mbstd is not None:
        raise ConfigError(
            "critic features need a latent-gan run with the default critic (pac=1, no "
            "minibatch_std); train one with `scigan train --data moses`"
        )
    codes = model.encoder_.encode(list(smiles))
    was_training = D.training
    D.eval()
    try:
        with torch.no_grad():
            parts = [
                torch.nn.functional.leaky_relu(D.blocks(D.inp(codes[i : i + batch])), 0.2)
                for i in range(0, len(codes), batch)
            ]
    finally:
        D.train(was_training)
    return torch.cat(parts).numpy() if parts else np.zeros((0, D.inp.out_features), np.float32)


def predictor_features(
    data: LabelledSet, model: Any = None, names: Sequence[str] = PREDICTORS
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{predictor: (train_X, test_X)}`` for the named predictors ``model`` allows.

    Args:
        model: a fitted latent-GAN model such as a :class:`~scigan.Synthesizer` (all
            predictors), only its encoder (an :class:`AbstractEncoder`: ``rf-morgan``,
            ``rf-latent``) or None (``rf-morgan``).
    """
    fitted = model is not None and not isinstance(model, AbstractEncoder)  # encoder + critic
    encoder = model.encoder_ if fitted else model
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in names:
        if name == "rf-morgan":
            out[name] = (morgan_features(data.train_smiles), morgan_features(data.test_smiles))
        elif name == "rf-latent" and encoder is not None:
            out[name] = (latent_features(encoder, data.train_smiles),
                         latent_features(encoder, data.test_smiles))  # fmt: skip
        elif name in ("rf-critic", "linear-critic") and fitted:
            if "rf-critic" in out or "linear-critic" in out:
                out[name] = next(v for k, v in out.items() if k.endswith("-critic"))
            else:
                out[name] = (critic_features(model, data.train_smiles),
                             critic_features(model, data.test_smiles))  # fmt: skip
        elif name not in PREDICTORS:
            raise ConfigError(f"unknown predictor '{name}'; choose from {', '.join(PREDICTORS)}")
    return out


# ---------------------------------------------------------------------------- models, scores
def _model(name: str, binary: bool, seed: int, n_estimators: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name.startswith("linear-"):  # L2 strength by 5-fold CV on the labelled subset
        if binary:
            grid = {"C": np.logspace(-3, 2, 11)}
            head = GridSearchCV(LogisticRegression(max_iter=5000), grid, cv=5,
                                scoring="neg_log_loss")  # fmt: skip
        else:
            head = RidgeCV(alphas=np.logspace(-2, 4, 13))
        return make_pipeline(StandardScaler(), head)
    cls = RandomForestClassifier if binary else RandomForestRegressor
    return cls(n_estimators=n_estimators, random_state=seed, n_jobs=1)


def _scores(y: np.ndarray, pred: np.ndarray, binary: bool, threshold: float) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    if binary:
        return {"roc_auc": float(roc_auc_score(y, pred))}
    active = y >= threshold
    auc = float(roc_auc_score(active, pred)) if 0 < active.sum() < len(y) else float("nan")
    ss_res, ss_tot = float(((y - pred) ** 2).sum()), float(((y - y.mean()) ** 2).sum())
    return {"rmse": float(np.sqrt(ss_res / len(y))), "r2": 1.0 - ss_res / ss_tot, "roc_auc": auc}


def _bootstrap(
    y: np.ndarray, pred: np.ndarray, binary: bool, threshold: float, n: int, seed: int
) -> dict[str, float]:
    """Percentile 95 % CI of each score over ``n`` resamples of the test set."""
    rng = np.random.default_rng([seed, 67])
    draws: dict[str, list[float]] = {}
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        yb = y[idx]
        if binary and yb.min() == yb.max():
            continue
        for k, v in _scores(yb, pred[idx], binary, threshold).items():
            draws.setdefault(k, []).append(v)
    out = {}
    for k, v in draws.items():
        lo, hi = np.nanpercentile(v, [2.5, 97.5])
        out[f"{k}_lo"], out[f"{k}_hi"] = float(lo), float(hi)
    return out


def compare_predictors(
    data: LabelledSet,
    features: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    fractions: Sequence[float] = (1.0, 0.1),
    seed: int = 0,
    seeds: Sequence[int] | None = None,
    threshold_nm: float = 100.0,
    n_estimators: int = 300,
    bootstrap: int = 0,
    permuted_floor: bool = False,
) -> pd.DataFrame:
    """Fit each feature set × label fraction × seed → a tidy table, one row per fit.

    Args:
        features: ``{name: (train_X, test_X)}``; names starting with ``linear-`` get the linear
            head, the others the random forest.
        seeds: label-subsample and forest seeds (default: ``(seed,)``).
        bootstrap: test-set resamples for 95 % CIs (columns ``<score>_lo``/``_hi``); 0 = none.
        permuted_floor: add ``rf-morgan, permuted labels`` (needs ``rf-morgan``): the same
            forest trained on shuffled labels — the measured chance level and its spread.
    """
    from threadpoolctl import threadpool_limits

    threshold = -np.log10(threshold_nm)  # y = −log10 K[nM]
    items = list(features.items())
    if permuted_floor:
        items.append((FLOOR, features["rf-morgan"]))
    rows = []
    for frac in fractions:
        n = max(10, round(frac * len(data.train_y)))
        for s in (seed,) if seeds is None else seeds:
            idx = np.sort(np.random.default_rng([s, 59]).choice(len(data.train_y), n, False))
            for name, (xtr, xte) in items:
                y = data.train_y[idx]
                if name == FLOOR:
                    y = np.random.default_rng([s, 61]).permutation(y)
                model = _model(name, data.binary, s, n_estimators)
                with threadpool_limits(limits=1):
                    model.fit(xtr[idx], y)
                    pred = model.predict_proba(xte)[:, 1] if data.binary else model.predict(xte)
                row = {"set": data.name, "features": name, "labels": frac, "seed": s,
                       "n_train": n, "n_test": len(data.test_y),
                       **_scores(data.test_y, pred, data.binary, threshold)}  # fmt: skip
                if bootstrap:
                    row |= _bootstrap(data.test_y, pred, data.binary, threshold, bootstrap, s)
                rows.append(row)
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over seeds per predictor × label fraction (+ seed-0 CIs)."""
    scores = [c for c in ("rmse", "r2", "roc_auc") if c in results]
    rows = []
    for (name, frac), g in results.groupby(["features", "labels"], sort=False):
        row = {"set": g["set"].iloc[0], "features": name, "labels": frac,
               "n_train": int(g["n_train"].iloc[0]), "n_test": int(g["n_test"].iloc[0]),
               "seeds": len(g)}  # fmt: skip
        first = g.sort_values("seed").iloc[0]
        for c in scores:
            row[c] = float(g[c].mean())
            row[f"{c}_sd"] = float(g[c].std(ddof=1)) if len(g) > 1 else float("nan")
            for b in ("lo", "hi"):
                if f"{c}_{b}" in g:
                    row[f"{c}_{b}"] = float(first[f"{c}_{b}"])
        rows.append(row)
    return pd.DataFrame(rows)


def activity_benchmark(
    source: str | Path, model: Any = None, *, fractions: Sequence[float] = (1.0, 0.1),
    seed: int = 0, seeds: Sequence[int] | None = None, label_column: str | None = None,
    predictors: Sequence[str] = PREDICTORS, bootstrap: int = 0, permuted_floor: bool = False,
    n_estimators: int = 300,
) -> pd.DataFrame:  # fmt: skip
    """Every predictor ``model`` allows on a labelled set; one row per fit (see ``summarise``).

    Args:
        source: ``"B3DB"``, a MoleculeACE target or a labelled CSV (``label_column``).
        model: a fitted latent-GAN model such as a :class:`~scigan.Synthesizer` (codes and
            critic features), its ``encoder_`` (codes only) or None (Morgan fingerprints only).
    """
    data = load_labelled(source, label_column=label_column, seed=seed)
    feats = predictor_features(data, model, predictors)
    return compare_predictors(data, feats, fractions=fractions, seed=seed, seeds=seeds,
                              bootstrap=bootstrap, permuted_floor=permuted_floor,
                              n_estimators=n_estimators)  # fmt: skip


# ---------------------------------------------------------------------------- screening
class PropertyPredictor:
    """A random forest on Morgan fingerprints fitted to a labelled set, to screen molecules.

    ``PropertyPredictor().fit("B3DB").predict(smiles)`` gives the probability of BBB+ for each
    molecule (regression sets: the predicted value). Train and test labels are both used.
    """

    def __init__(self, *, n_estimators: int = 300, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.seed = seed

    def fit(self, source: str | Path | LabelledSet, *, label_column: str | None = None
            ) -> PropertyPredictor:  # fmt: skip
        data = source if isinstance(source, LabelledSet) else load_labelled(
            source, label_column=label_column, seed=self.seed)  # fmt: skip
        x = morgan_features(data.train_smiles + data.test_smiles)
        y = np.concatenate([data.train_y, data.test_y])
        self.binary_ = data.binary
        self.name_ = data.name
        self.model_ = _model("rf-morgan", data.binary, self.seed, self.n_estimators)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            self.model_.fit(x, y)
        return self

    def predict(self, smiles: Sequence[str]) -> np.ndarray:
        """``(N,)`` float64: P(label = 1) or the predicted value; NaN for invalid SMILES."""
        with chem.quiet_rdkit():
            mols = [chem.get_mol(s) for s in smiles]
        ok = np.array([m is not None for m in mols], dtype=bool)
        out = np.full(len(mols), np.nan)
        if ok.any():
            x = chem.fingerprints([m for m in mols if m is not None]).astype(np.float32)
            m = self.model_
            out[ok] = m.predict_proba(x)[:, 1] if self.binary_ else m.predict(x)
        return out


# ---------------------------------------------------------------------------- command line
def format_summary(summary: pd.DataFrame) -> str:
    """A markdown table: mean ± sd over seeds [seed-0 bootstrap 95 % CI]."""
    scores = [c for c in ("rmse", "r2", "roc_auc") if c in summary]
    head = "| set | predictor | labels (n) | " + " | ".join(scores) + " |"
    lines = [head, "|" + "---|" * (3 + len(scores))]
    for _, r in summary.iterrows():
        cells = []
        for c in scores:
            cell = f"{r[c]:.3f}"
            if r["seeds"] > 1:
                cell += f" ± {r[f'{c}_sd']:.3f}"
            if f"{c}_lo" in r and r[f"{c}_lo"] == r[f"{c}_lo"]:
                cell += f" [{r[f'{c}_lo']:.3f}, {r[f'{c}_hi']:.3f}]"
            cells.append(cell)
        lines.append(f"| {r['set']} | {r['features']} | {r['labels']:.0%} ({r['n_train']:,}) | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines)


def main(
    argv: Sequence[str] | None = None, *, load_model: Callable[[str], Any] | None = None
) -> None:
    """``python -m scigan.domains.molecules.activity SOURCE [...]``: compare or screen.

    Args:
        load_model: reads the ``--model`` run folder into a fitted model (the caller's
            ``scigan.Synthesizer.load``: a domain does not import the API). Without it
            ``--model`` is refused; ``python benchmarks/activity.py --model RUN`` loads one.
    """
    ap = argparse.ArgumentParser(
        prog="python -m scigan.domains.molecules.activity",
        description="Predictors on a labelled molecule set (B3DB, CHEMBL204_Ki, or a CSV): "
        "random forest on Morgan fingerprints vs on a latent GAN's codes and critic features.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )  # fmt: skip
    ap.add_argument("source", help="B3DB, a MoleculeACE target (CHEMBL204_Ki) or a CSV file")
    ap.add_argument("--label-column", help="CSV: the label column (0/1 = classification)")
    ap.add_argument("--model", help="a latent-gan run folder (adds the GAN-based predictors; "
                    "needs a loader: see main's load_model)")  # fmt: skip
    ap.add_argument("--labels", type=float, nargs="+", default=[1.0, 0.1],
                    help="fractions of the training labels")  # fmt: skip
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--bootstrap", type=int, default=1000, help="test resamples for 95%% CIs")
    ap.add_argument("--trees", type=int, default=300)
    ap.add_argument("--predict", help="instead: fit rf-morgan on all labels and score this "
                    ".smi file (one SMILES per line)")  # fmt: skip
    ap.add_argument("--out", help="write the table (CSV) here")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.predict:
        smiles = [ln.split()[0] for ln in Path(args.predict).read_text().splitlines()
                  if ln.strip()]  # fmt: skip
        pred = PropertyPredictor(n_estimators=args.trees, seed=args.seeds[0])
        pred.fit(args.source, label_column=args.label_column)
        df = pd.DataFrame({"smiles": smiles, f"predicted_{pred.name_}": pred.predict(smiles)})
        print(df.to_csv(args.out, index=False) or f"wrote {args.out}")
        return
    model = None
    if args.model:
        if load_model is None:
            raise ConfigError(
                "--model needs the scigan API to load a run: call main(argv, "
                "load_model=scigan.Synthesizer.load), or run python benchmarks/activity.py "
                f"--model {args.model}"
            )
        model = load_model(args.model)
    res = activity_benchmark(args.source, model, fractions=args.labels, seeds=args.seeds,
                             label_column=args.label_column, bootstrap=args.bootstrap,
                             permuted_floor=True, n_estimators=args.trees)  # fmt: skip
    if args.out:
        res.to_csv(args.out, index=False)
    print(format_summary(summarise(res)))


if __name__ == "__main__":
    main()
