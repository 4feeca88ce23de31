"""engine.issues.label_issues and engine.chunked: one composition of the drop-in functions.

``label_issues`` must give exactly what chaining the engine's public functions gives (those are
compared with the reference in test_engine_filter / test_engine_rank / test_engine_count), for
every filter, score method and way of getting the confident joint.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from cleanaudit import engine
from cleanaudit.engine.chunked import low_self_confidence_issues
from cleanaudit.engine.issues import LabelIssueResult, label_issues, latent_from_noise_matrices


def noisy(seed: int, k: int, n: int = 200, dtype=np.float64):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)
    logits = rng.normal(size=(n, k)) * 2
    logits[np.arange(n), y] += 1.5
    P = np.exp(logits)
    return y, (P / P.sum(axis=1, keepdims=True)).astype(dtype)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small classes and unused frac_noise warn; not the point here
        yield


@pytest.mark.parametrize("filter_by", engine.filter.FILTER_BY)
@pytest.mark.parametrize("rank_by", engine.rank.METHODS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_as_chaining_the_engine(filter_by, rank_by, dtype):
    y, P = noisy(3, 4, dtype=dtype)
    options = {"filter_by": filter_by, "min_examples_per_class": 5}
    found = label_issues(y, P, rank_by=rank_by, **options)
    mask = engine.find_label_issues(y, P, **options)
    assert isinstance(found, LabelIssueResult) and found.is_issue.dtype == bool
    assert_array_equal(found.is_issue, mask)
    assert_array_equal(found.label_quality, engine.get_label_quality_scores(y, P, method=rank_by))
    assert_array_equal(found.ranked_indices, engine.order_label_issues(mask, y, P, rank_by=rank_by))
    assert_array_equal(found.predicted_labels, P.argmax(axis=1))
    assert found.num_issues == int(mask.sum())
    assert found.confident_joint is found.py is found.noise_matrix is found.inverse_noise_matrix is None


@pytest.mark.parametrize("filter_by", engine.filter.FILTER_BY)
def test_estimated_noise_is_cleanlearnings(filter_by):
    y, P = noisy(5, 3)
    thresholds = engine.get_confident_thresholds(y, P) * 0.9
    found = label_issues(
        y, P, filter_by=filter_by, estimate_noise=True, thresholds=thresholds, converge_latent_estimates=True
    )
    py, nm, inv, cj = engine.estimate_py_and_noise_matrices_from_probabilities(
        y, P, thresholds=thresholds, converge_latent_estimates=True
    )
    for got, expected in [
        (found.py, py),
        (found.noise_matrix, nm),
        (found.inverse_noise_matrix, inv),
        (found.confident_joint, cj),
    ]:
        assert_array_equal(got, expected)
    handed = None if filter_by == "confident_learning" else cj  # confident_learning recounts its own
    assert_array_equal(found.is_issue, engine.find_label_issues(y, P, filter_by=filter_by, confident_joint=handed))


def test_a_given_joint_is_copied_and_always_handed_to_the_filter():
    y, P = noisy(6, 3)
    cj = np.full((3, 3), 4)
    np.fill_diagonal(cj, 50)
    before = cj.copy()
    for filter_by in ("prune_by_class", "confident_learning"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = label_issues(y, P, filter_by=filter_by, confident_joint=cj)
        assert_array_equal(found.is_issue, engine.find_label_issues(y, P, filter_by=filter_by, confident_joint=cj))
        assert (filter_by == "confident_learning") == any("ignored" in str(w.message) for w in caught)
        assert_array_equal(found.confident_joint, cj)
        assert found.confident_joint is not cj
        py, nm, inv = engine.estimate_latent(cj, y)
        assert_array_equal(found.noise_matrix, nm)
        assert_array_equal(found.py, py)
    assert_array_equal(cj, before)


def test_known_noise_matrices_give_the_latent_estimates():
    y, P = noisy(7, 2)
    nm = np.array([[0.8, 0.3], [0.2, 0.7]])
    found = label_issues(y, P, noise_matrix=nm)
    assert_array_equal(found.confident_joint, engine.compute_confident_joint(y, P))
    assert found.noise_matrix is nm
    ps = np.bincount(y) / len(y)
    assert_array_equal(found.py, latent_from_noise_matrices(y, nm, num_classes=2)[0])
    np.testing.assert_allclose(nm @ found.py, ps)  # P(given) = noise_matrix · P(true)
    inv_only = label_issues(y, P, inverse_noise_matrix=found.inverse_noise_matrix)
    np.testing.assert_allclose(inv_only.noise_matrix, nm)
    np.testing.assert_allclose(inv_only.py, found.py)


@pytest.mark.parametrize("positive", [0, 1])
def test_pulearning_zeroes_the_noise_of_the_clean_class(positive):
    y, P = noisy(8, 2)
    plain, pu = label_issues(y, P, estimate_noise=True), label_issues(y, P, pulearning=positive)
    other = 1 - positive
    assert pu.noise_matrix[positive, other] == 0 and pu.noise_matrix[other, other] == 1
    assert pu.inverse_noise_matrix[other, positive] == 0 and pu.inverse_noise_matrix[positive, positive] == 1
    assert pu.confident_joint[positive, other] == 0 and pu.confident_joint[other, other] == 1
    assert_array_equal(pu.py, plain.py)
    assert_array_equal(pu.is_issue, engine.find_label_issues(y, P, confident_joint=pu.confident_joint))
    with pytest.raises(ValueError, match="pulearning must be 0 or 1"):
        label_issues(*noisy(8, 3), pulearning=positive)


def test_given_scores_rank_the_issues():
    y, P = noisy(9, 3)
    scores = np.random.default_rng(0).random(len(y))
    found = label_issues(y, P, label_quality=scores)
    assert found.label_quality is scores
    flagged = np.flatnonzero(found.is_issue)
    assert_array_equal(found.ranked_indices, flagged[np.argsort(scores[flagged])])


def test_low_memory_is_the_chunked_filter():
    y, P = noisy(10, 4, n=2_500)
    found = label_issues(y, P, low_memory=True, filter_by="both", rank_by="normalized_margin")
    assert_array_equal(found.is_issue, low_self_confidence_issues(y, P))
    assert_array_equal(found.label_quality, engine.get_label_quality_scores(y, P, method="normalized_margin"))
    assert found.confident_joint is None and found.noise_matrix is None


def test_chunked_filter_flags_the_lowest_self_confidences():
    y, P = noisy(11, 3, n=3_000)
    mask = low_self_confidence_issues(y, P, batch_size=700)
    self_confidence = P[np.arange(len(y)), y]
    assert mask.any() and self_confidence[mask].max() <= self_confidence[~mask & (P.argmax(axis=1) != y)].min()
    assert not (mask & (P.argmax(axis=1) == y)).any()  # never an example whose label is the top guess
    # Thresholds are running means: one batch or a few, nearly the same count.
    assert abs(int(mask.sum()) - int(low_self_confidence_issues(y, P, batch_size=len(y)).sum())) <= 5
