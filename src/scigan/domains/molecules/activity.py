"""Activity and property prediction from labelled molecules, with and without GAN pre-training.

Two predictors on the same labelled split:

- ``rf-morgan``: a random forest on Morgan fingerprints (r = 2, 1024 bits) — the standard QSAR
  baseline (MoleculeACE's strongest classical model family);
- ``rf-latent``: the same forest on the codes of the latent GAN's autoencoder, which was trained
  without labels on the GAN's molecules (MOSES). With few labels, an unsupervised representation
  can help; whether it does is measured, not assumed.

Regression (MoleculeACE ``y`` = −log10 K[nM]; pK = y + 9) is scored by RMSE and R², plus ROC-AUC
of the prediction for "active" = K ≤ ``threshold_nm`` (default 100 nM). Binary labels (B3DB
blood–brain-barrier permeability, or a user's toxicity CSV with a 0/1 column) are scored by
ROC-AUC. ``fractions`` subsamples the training labels (e.g. 10 %), seeded.

No measured toxicity set ships offline (Tox21, ClinTox, AMES, hERG need downloads): toxicity here
means RDKit's structural alerts (``metrics.alert_flags``) and user-supplied labelled CSVs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scigan.domains.molecules import chem
from scigan.domains.molecules.data import activity_frame, validate_smiles
from scigan.errors import DataError


@dataclass
class LabelledSet:
    name: str
    train_smiles: list[str]
    train_y: np.ndarray
    test_smiles: list[str]
    test_y: np.ndarray
    binary: bool


def load_labelled(
    source: str | Path, *, label_column: str | None = None, seed: int = 0
) -> LabelledSet:
    """A MoleculeACE target (``CHEMBL204_Ki``; its own split) or a CSV with SMILES + label.

    A CSV is split 80/20 (seeded); a label column with only 0/1 values is a classification task.
    """
    if isinstance(source, str) and source.upper().startswith("CHEMBL") and "." not in source:
        df = activity_frame(source)
        tr, te = df[df["split"] == "train"], df[df["split"] == "test"]
        return LabelledSet(source, tr["smiles"].tolist(), tr["y"].to_numpy(float),
                           te["smiles"].tolist(), te["y"].to_numpy(float), False)  # fmt: skip
    path = Path(source)
    if not path.exists():
        raise DataError(f"{path}: not found; pass a MoleculeACE target (CHEMBL204_Ki) or a CSV")
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
    order = np.random.default_rng([seed, 53]).permutation(len(smiles))
    cut = int(0.8 * len(smiles))
    tr, te = order[:cut], order[cut:]
    binary = set(np.unique(y)) <= {0.0, 1.0}
    return LabelledSet(path.name, [smiles[i] for i in tr], y[tr], [smiles[i] for i in te],
                       y[te], binary)  # fmt: skip


def morgan_features(smiles: Sequence[str]) -> np.ndarray:
    with chem.quiet_rdkit():
        mols = [chem.get_mol(s) for s in smiles]
    if any(m is None for m in mols):
        raise DataError("invalid SMILES in a labelled set")
    return chem.fingerprints(mols).astype(np.float32)


def latent_features(encoder: Any, smiles: Sequence[str]) -> np.ndarray:
    """Autoencoder codes; molecules longer than its length are truncated (counted by caller)."""
    return encoder.encode(list(smiles)).numpy()


def _scores(y: np.ndarray, pred: np.ndarray, binary: bool, threshold: float) -> dict[str, float]:
    from sklearn.metrics import mean_squared_error, r2_score, roc_auc_score

    if binary:
        return {"roc_auc": float(roc_auc_score(y, pred))}
    active = y >= threshold
    auc = float(roc_auc_score(active, pred)) if 0 < active.sum() < len(y) else float("nan")
    return {
        "rmse": float(np.sqrt(mean_squared_error(y, pred))),
        "r2": float(r2_score(y, pred)),
        "roc_auc": auc,
    }


def compare_predictors(
    data: LabelledSet,
    features: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    fractions: Sequence[float] = (1.0, 0.1),
    seed: int = 0,
    threshold_nm: float = 100.0,
    n_estimators: int = 300,
) -> pd.DataFrame:
    """Random forests on each feature set × label fraction → a tidy results table.

    Args:
        features: ``{name: (train_X, test_X)}``, e.g. Morgan fingerprints and latent codes.
    """
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from threadpoolctl import threadpool_limits

    threshold = -np.log10(threshold_nm)  # y = −log10 K[nM]
    rows = []
    for frac in fractions:
        n = max(10, round(frac * len(data.train_y)))
        idx = np.sort(np.random.default_rng([seed, 59]).choice(len(data.train_y), n, False))
        for name, (xtr, xte) in features.items():
            cls = RandomForestClassifier if data.binary else RandomForestRegressor
            model = cls(n_estimators=n_estimators, random_state=seed, n_jobs=1)
            with threadpool_limits(limits=1):
                model.fit(xtr[idx], data.train_y[idx])
                pred = model.predict_proba(xte)[:, 1] if data.binary else model.predict(xte)
            rows.append({"set": data.name, "features": name, "labels": frac, "n_train": n,
                         "n_test": len(data.test_y),
                         **_scores(data.test_y, pred, data.binary, threshold)})  # fmt: skip
    return pd.DataFrame(rows)


def activity_benchmark(
    source: str | Path, encoder: Any = None, *, fractions: Sequence[float] = (1.0, 0.1),
    seed: int = 0, label_column: str | None = None,
) -> pd.DataFrame:  # fmt: skip
    """RF on Morgan fingerprints, and on the latent GAN's codes when ``encoder`` is given."""
    data = load_labelled(source, label_column=label_column, seed=seed)
    feats = {"rf-morgan": (morgan_features(data.train_smiles), morgan_features(data.test_smiles))}
    if encoder is not None:
        feats["rf-latent"] = (
            latent_features(encoder, data.train_smiles),
            latent_features(encoder, data.test_smiles),
        )
    return compare_predictors(data, feats, fractions=fractions, seed=seed)
