"""Classifier two-sample test (C2ST).

Lopez-Paz & Oquab (2017), "Revisiting Classifier Two-Sample Tests", ICLR. A classifier is
trained to tell real (label 1) from generated (label 0) samples; its out-of-fold ROC-AUC is
0.5 when the two distributions are indistinguishable to it and 1.0 when perfectly separable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from scigan.errors import DataError
from scigan.metrics.frechet import _check_pair

__all__ = ["c2st_auc"]


def _make_classifier(classifier: str | ClassifierMixin | Any, seed: int) -> Any:
    """Build a fresh (unfitted) classifier from a name or clone a given estimator."""
    if isinstance(classifier, str):
        if classifier == "logistic":
            return LogisticRegression(max_iter=10_000)
        if classifier == "gbm":
            return HistGradientBoostingClassifier(random_state=seed)
        raise DataError(
            f"unknown C2ST classifier {classifier!r}: use 'logistic', 'gbm' or an sklearn "
            "classifier instance"
        )
    if not hasattr(classifier, "fit"):
        raise DataError(f"C2ST classifier must be an sklearn estimator, got {type(classifier)}")
    return clone(classifier)


def c2st_auc(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    seed: int = 0,
    classifier: str | ClassifierMixin | Any = "logistic",
    n_folds: int = 5,
) -> float:
    """Out-of-fold ROC-AUC of a classifier separating real from generated samples.

    The larger sample is subsampled (seeded) to the size of the smaller one, real samples are
    labelled 1 and fake 0, and every sample is scored by a model trained on the other folds of
    a shuffled stratified K-fold split. Features are standardised inside each fold.

    Args:
        real: Real features, shape (N, D).
        fake: Generated features, shape (M, D).
        seed: Seed for the subsampling, the fold shuffle and the classifier.
        classifier: ``"logistic"`` (logistic regression), ``"gbm"``
            (``HistGradientBoostingClassifier``) or any sklearn classifier instance (cloned).
        n_folds: Number of cross-validation folds (>= 2).

    Returns:
        ROC-AUC in [0, 1]; 0.5 means indistinguishable, 1.0 perfectly separable.

    Raises:
        DataError: On bad shapes, mismatched D, non-finite values, too few samples for
            ``n_folds``, or an unknown classifier.
    """
    if isinstance(n_folds, bool) or not isinstance(n_folds, int | np.integer) or n_folds < 2:
        raise DataError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    r, f = _check_pair(real, fake, ("real", "fake"), min_rows=n_folds)
    model = _make_classifier(classifier, seed)

    rng = np.random.default_rng(seed)
    n = min(len(r), len(f))
    if len(r) > n:
        r = r[np.sort(rng.choice(len(r), n, replace=False))]
    if len(f) > n:
        f = f[np.sort(rng.choice(len(f), n, replace=False))]

    features = np.concatenate([r, f], axis=0)  # (2n, D)
    labels = np.concatenate([np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)])  # (2n,)
    pipeline = Pipeline([("scale", StandardScaler()), ("clf", model)])
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    method = "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
    scores = cross_val_predict(pipeline, features, labels, cv=folds, method=method)
    if scores.ndim == 2:  # predict_proba: (2n, 2), column 1 is P(real)
        scores = scores[:, 1]
    return float(roc_auc_score(labels, scores))
