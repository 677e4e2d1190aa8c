"""Generic sample-based metrics: Fréchet distance, MMD, k-NN precision/recall, C2ST, floors."""

from scigan.metrics.classifier_two_sample import c2st_auc
from scigan.metrics.floor import bootstrap_ci, split_reference, with_floor
from scigan.metrics.frechet import feature_statistics, frechet_distance, frechet_distance_features
from scigan.metrics.mmd import median_heuristic, mmd2_unbiased
from scigan.metrics.precision_recall import knn_precision_recall

__all__ = [
    "bootstrap_ci",
    "c2st_auc",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_features",
    "knn_precision_recall",
    "median_heuristic",
    "mmd2_unbiased",
    "split_reference",
    "with_floor",
]
