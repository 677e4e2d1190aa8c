"""Tests of the generic metrics against closed forms and brute-force references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import sqrtm
from scipy.spatial.distance import cdist, pdist
from sklearn.linear_model import LogisticRegression

from scigan.errors import DataError
from scigan.metrics import (
    bootstrap_ci,
    c2st_auc,
    feature_statistics,
    frechet_distance,
    frechet_distance_features,
    knn_precision_recall,
    median_heuristic,
    mmd2_unbiased,
    split_reference,
    with_floor,
)
from scigan.metrics import mmd as mmd_module
from scigan.metrics import precision_recall as pr_module


def _random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


# --------------------------------------------------------------------------- Fréchet distance


def test_frechet_diagonal_closed_form() -> None:
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.5, 0.0])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([2.0, 1.0, 9.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    got = frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_one_dimensional_closed_form() -> None:
    m1, sd1, m2, sd2 = 0.3, 1.5, -1.2, 0.4
    expected = (m1 - m2) ** 2 + (sd1 - sd2) ** 2
    got = frechet_distance(np.array([m1]), np.array([[sd1**2]]), np.array([m2]), [[sd2**2]])
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_full_covariance_matches_symmetric_form() -> None:
    # Tr (S1 S2)^{1/2} = Tr (S1^{1/2} S2 S1^{1/2})^{1/2}, the latter with a symmetric PSD root.
    rng = np.random.default_rng(1)
    d = 6
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = _random_spd(rng, d), _random_spd(rng, d)
    r1 = np.real(sqrtm(s1))
    inner = np.linalg.eigvalsh(r1 @ s2 @ r1)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * np.sum(np.sqrt(inner))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_frechet_symmetric_and_zero_for_identical() -> None:
    rng = np.random.default_rng(2)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    s1, s2 = _random_spd(rng, 4), _random_spd(rng, 4)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
        frechet_distance(mu2, s2, mu1, s1), rel=1e-8
    )
    same = frechet_distance(mu1, s1, mu1, s1)
    assert 0.0 <= same < 1e-8


def test_frechet_singular_covariance_is_finite_and_nonnegative() -> None:
    s = np.diag([1.0, 0.0, 2.0])  # rank deficient
    got = frechet_distance(np.zeros(3), s, np.zeros(3), s)
    assert 0.0 <= got < 1e-5


def test_frechet_from_samples_approaches_closed_form() -> None:
    rng = np.random.default_rng(3)
    mu1, mu2 = np.array([0.0, 0.0, 0.0]), np.array([1.0, -0.5, 0.2])
    s1, s2 = np.diag([1.0, 2.0, 0.5]), np.diag([0.5, 2.0, 2.0])
    x = rng.multivariate_normal(mu1, s1, size=100_000)
    y = rng.multivariate_normal(mu2, s2, size=100_000)
    expected = frechet_distance(mu1, s1, mu2, s2)
    assert expected > 1.0
    assert frechet_distance_features(x, y) == pytest.approx(expected, abs=0.03)


def test_feature_statistics_shapes_and_values() -> None:
    x = np.array([[1.0], [2.0], [3.0], [6.0]])  # D = 1 must still give a (1, 1) covariance
    mu, sigma = feature_statistics(x)
    assert mu.shape == (1,) and sigma.shape == (1, 1)
    assert mu[0] == pytest.approx(3.0)
    assert sigma[0, 0] == pytest.approx(np.var(x[:, 0], ddof=1))


# --------------------------------------------------------------------------------------- MMD


def _naive_mmd2(x: np.ndarray, y: np.ndarray, hs: list[float]) -> float:
    def k(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d2 = cdist(a, b, "sqeuclidean")
        return sum(np.exp(-d2 / (2 * h**2)) for h in hs)

    m, n = len(x), len(y)
    kxx, kyy = k(x, x), k(y, y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2 * k(x, y).mean()
    )


def test_mmd_matches_bruteforce_with_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(60, 3)), rng.normal(0.3, 1.2, size=(45, 3))
    expected = _naive_mmd2(x, y, [0.5, 2.0])
    assert mmd2_unbiased(x, y, bandwidth=[0.5, 2.0]) == pytest.approx(expected, rel=1e-10)
    monkeypatch.setattr(mmd_module, "_MAX_BLOCK_ENTRIES", 100)  # forces many row chunks
    assert mmd2_unbiased(x, y, bandwidth=[0.5, 2.0]) == pytest.approx(expected, rel=1e-10)
    # Summed kernels: MMD² is linear in the kernel.
    split = mmd2_unbiased(x, y, bandwidth=0.5) + mmd2_unbiased(x, y, bandwidth=2.0)
    assert mmd2_unbiased(x, y, bandwidth=[0.5, 2.0]) == pytest.approx(split, rel=1e-10)


def test_median_heuristic_and_default_bandwidth() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(40, 2))
    h = median_heuristic(x, y)
    assert h == pytest.approx(np.median(pdist(np.vstack([x, y]))))
    assert mmd2_unbiased(x, y) == pytest.approx(mmd2_unbiased(x, y, bandwidth=h))


def test_mmd_same_distribution_near_zero_shifted_positive() -> None:
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(1000, 5)), rng.normal(size=(1000, 5))
    same = mmd2_unbiased(x, y)
    shifted = mmd2_unbiased(x, y + 1.0)
    assert abs(same) < 0.005
    assert shifted > 0.1
    assert shifted > 20 * abs(same)


def test_mmd_gaussian_closed_form() -> None:
    # N(0, s²) vs N(d, s²), RBF bandwidth h:
    # MMD² = 2 h / sqrt(h² + 2 s²) (1 - exp(-d² / (2 (h² + 2 s²)))).
    s, d, h = 1.0, 1.0, 0.8
    c = h**2 + 2 * s**2
    expected = 2 * h / np.sqrt(c) * (1 - np.exp(-(d**2) / (2 * c)))
    rng = np.random.default_rng(7)
    reps = np.array(
        [
            mmd2_unbiased(
                rng.normal(0.0, s, size=(1500, 1)), rng.normal(d, s, size=(1500, 1)), bandwidth=h
            )
            for _ in range(8)
        ]
    )
    se = reps.std(ddof=1) / np.sqrt(len(reps))
    assert se < 0.05 * expected  # the check below is tight enough to fail on a wrong formula
    assert abs(reps.mean() - expected) < 4 * se


# ------------------------------------------------------------------ precision / recall / d&c


def _naive_prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    drr, dff, dfr = cdist(real, real), cdist(fake, fake), cdist(fake, real)
    rr = np.sort(drr, axis=1)[:, k]  # column 0 is the point itself
    rf = np.sort(dff, axis=1)[:, k]
    inside = dfr <= rr[None, :]  # (M, N)
    return {
        "precision": inside.any(axis=1).mean(),
        "recall": (dfr.transpose() <= rf[None, :]).any(axis=1).mean(),
        "density": inside.sum() / (k * len(fake)),
        "coverage": inside.any(axis=0).mean(),
    }


def test_prdc_matches_bruteforce_with_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    real, fake = rng.normal(size=(80, 3)), rng.normal(0.5, 1.3, size=(70, 3))
    expected = _naive_prdc(real, fake, k=3)
    monkeypatch.setattr(pr_module, "_MAX_BLOCK_ENTRIES", 50)
    got = knn_precision_recall(real, fake, k=3)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key


def test_prdc_identical_distribution() -> None:
    rng = np.random.default_rng(9)
    got = knn_precision_recall(rng.normal(size=(1000, 3)), rng.normal(size=(1000, 3)), k=5)
    assert got["precision"] > 0.9 and got["recall"] > 0.9
    assert got["coverage"] > 0.9
    assert got["density"] == pytest.approx(1.0, abs=0.15)


def test_prdc_mode_dropping() -> None:
    rng = np.random.default_rng(10)
    centres = np.array([[-10.0, 0.0], [10.0, 0.0]])
    real = centres[rng.integers(0, 2, size=1000)] + rng.normal(size=(1000, 2))
    fake = centres[1] + rng.normal(size=(1000, 2))  # only the right-hand mode
    got = knn_precision_recall(real, fake, k=5)
    assert got["precision"] > 0.9
    assert 0.4 < got["recall"] < 0.6
    assert 0.4 < got["coverage"] < 0.6


def test_prdc_disjoint() -> None:
    rng = np.random.default_rng(11)
    real, fake = rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 100.0
    got = knn_precision_recall(real, fake, k=5)
    assert got == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


# ---------------------------------------------------------------------------------- C2ST


def test_c2st_same_distribution_is_chance() -> None:
    rng = np.random.default_rng(12)
    auc = c2st_auc(rng.normal(size=(2000, 4)), rng.normal(size=(2000, 4)), seed=0)
    assert abs(auc - 0.5) < 0.05


def test_c2st_separated_and_deterministic() -> None:
    rng = np.random.default_rng(13)
    real, fake = rng.normal(size=(600, 3)), rng.normal(size=(400, 3)) + 3.0  # unbalanced
    auc = c2st_auc(real, fake, seed=1)
    assert auc > 0.95
    assert c2st_auc(real, fake, seed=1) == auc


def test_c2st_other_classifiers() -> None:
    rng = np.random.default_rng(14)
    real = rng.normal(size=(300, 2))
    fake = np.column_stack([rng.normal(size=300), rng.normal(size=300) * 3.0])
    # Variance difference: invisible to a linear model, visible to boosted trees.
    assert c2st_auc(real, fake, classifier="gbm", seed=0) > 0.7
    custom = c2st_auc(real, fake + 2.0, classifier=LogisticRegression(C=0.1, max_iter=1000))
    assert custom > 0.9
    with pytest.raises(DataError, match="unknown C2ST classifier"):
        c2st_auc(real, fake, classifier="svm-ish")


# ------------------------------------------------------------------- floor and bootstrap


def test_split_reference_disjoint_sizes_deterministic() -> None:
    ref = np.arange(100).reshape(50, 2)
    a, b = split_reference(ref, 20, seed=3)
    assert a.shape == (20, 2) and b.shape == (20, 2)
    rows_a, rows_b = {tuple(r) for r in a}, {tuple(r) for r in b}
    assert len(rows_a) == 20 and not rows_a & rows_b
    a2, b2 = split_reference(ref, 20, seed=3)
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    a3, _ = split_reference(ref, 20, seed=4)
    assert not np.array_equal(a, a3)


def test_split_reference_too_small() -> None:
    with pytest.raises(DataError, match=r"needs 2\*n = 60.*at most 25"):
        split_reference(np.zeros((50, 2)), 30, seed=0)


def test_with_floor_matches_metric_on_real_halves() -> None:
    rng = np.random.default_rng(15)
    reference = rng.normal(size=(400, 3))
    generated = rng.normal(size=(500, 3)) + 0.5
    res = with_floor(frechet_distance_features, generated, reference, seed=2)
    assert res["n"] == 200 and res["seed"] == 2
    ref_a, ref_b = split_reference(reference, 200, seed=2)
    assert res["floor"] == pytest.approx(frechet_distance_features(ref_b, ref_a))
    assert res["value"] > 5 * res["floor"]
    assert with_floor(frechet_distance_features, generated, reference, seed=2) == res
    with pytest.raises(DataError):
        with_floor(frechet_distance_features, generated, reference, n=300)
    with pytest.raises(DataError, match="generated has 500"):
        with_floor(frechet_distance_features, generated, np.zeros((2000, 3)), n=600)


def test_with_floor_on_lists_of_strings() -> None:
    reference = [f"C{i % 7}" for i in range(40)]
    generated = ["C1", "C2", "N", "O", "C3"] * 3

    def fraction_unseen(samples: list[str], ref: list[str]) -> float:
        known = set(ref)
        return sum(s not in known for s in samples) / len(samples)

    res = with_floor(fraction_unseen, generated, reference, seed=0)
    assert res["n"] == 15
    assert res["floor"] == pytest.approx(0.0)
    assert res["value"] == pytest.approx(0.4)  # "N" and "O" are 2 of every 5
    a, b = split_reference(reference, 10, seed=1)
    assert isinstance(a, list) and len(a) == len(b) == 10


def test_bootstrap_ci_contains_true_mean_difference() -> None:
    rng = np.random.default_rng(16)
    x, y = rng.normal(1.0, 1.0, size=(500, 1)), rng.normal(0.0, 1.0, size=(400, 1))

    def mean_diff(a: np.ndarray, b: np.ndarray) -> float:
        return float(a.mean() - b.mean())

    low, high = bootstrap_ci(mean_diff, x, y, n_boot=400, seed=0)
    assert low < 1.0 < high
    width = 2 * 1.96 * np.sqrt(1 / 500 + 1 / 400)  # normal-theory 95% width
    assert high - low == pytest.approx(width, rel=0.2)
    assert bootstrap_ci(mean_diff, x, y, n_boot=400, seed=0) == (low, high)


# -------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "fn",
    [
        frechet_distance_features,
        mmd2_unbiased,
        knn_precision_recall,
        c2st_auc,
    ],
)
def test_bad_inputs_raise_data_error(fn) -> None:
    rng = np.random.default_rng(17)
    good = rng.normal(size=(50, 3))
    with pytest.raises(DataError, match="different feature dimensions"):
        fn(good, rng.normal(size=(50, 4)))
    nan = good.copy()
    nan[3, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        fn(good, nan)
    with pytest.raises(DataError, match="2-D"):
        fn(good[:, 0], good[:, 1])
    with pytest.raises(DataError, match="at least"):
        fn(good, good[:1])


def test_frechet_distance_bad_statistics() -> None:
    with pytest.raises(DataError, match="mismatched shapes"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(DataError, match="sigma2"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.full((2, 2), np.inf))
    with pytest.raises(DataError, match="bandwidth"):
        mmd2_unbiased(np.zeros((5, 1)), np.ones((5, 1)), bandwidth=[1.0, -2.0])
