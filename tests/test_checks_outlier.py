"""``outlier``: agreement with the reference's Datalab, the tutorial numbers, and edge cases."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from cleanaudit.checks.base import CheckInputs, CheckSkipped
from cleanaudit.checks.graph.knn import SharedKnn, build_knn_graph
from cleanaudit.checks.outlier import iqr_threshold, run

DEFAULTS = {"k": 10, "t": 1, "threshold": None, "scaling_factor": None}


def datalab(labels, **inputs):
    """Run the reference's outlier check; returns (issues frame, info dict, summary score)."""
    from cleanlab import Datalab

    lab = Datalab({"y": labels}, label_name="y", verbosity=0)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        lab.find_issues(issue_types={"outlier": {}}, **inputs)
    summary = float(lab.get_issue_summary().set_index("issue_type").loc["outlier", "score"])
    return lab.get_issues("outlier"), lab.get_info("outlier"), summary


def ours(x=None, labels=None, pred_probs=None, **params) -> object:
    n = len(labels)
    knn = SharedKnn(x) if x is not None else None
    inputs = CheckInputs(n, list(range(3)), labels=labels, pred_probs=pred_probs, features=x, knn=knn)
    return run(inputs, {**DEFAULTS, **params})


def blobs_with_duplicates(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) + 10 + rng.integers(0, 3, size=(n, 1)) * 4
    x[:4] *= -1  # a few strays, far in distance and in direction
    x[10:13] = x[10]  # copies: a group of 3 <= k and one of 14 > k
    x[20:34] = x[20]
    return x, rng.integers(0, 3, n)


@pytest.mark.parametrize("d", [2, 5])
def test_feature_path_equals_reference(d: int) -> None:
    x, y = blobs_with_duplicates(300, d, seed=d)
    issues, info, summary = datalab(y, features=x)
    r = ours(x, y)
    assert r.info["metric"] == ("cosine" if d > 3 else "euclidean")
    np.testing.assert_allclose(r.score, issues["outlier_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(r.is_issue, issues["is_outlier_issue"])
    assert r.num_issues > 0
    assert r.summary_score == pytest.approx(summary, abs=1e-12)
    for key in ("scaling_factor", "issue_threshold", "average_ood_score"):
        assert r.info[key] == pytest.approx(info[key], abs=1e-12)
    assert (r.score[20:34] == 1).all()  # a large group of copies: all neighbours at distance 0
    np.testing.assert_array_equal(r.columns["nearest_neighbor"], info["nearest_neighbor"])


def test_same_graph_gives_same_scores_with_the_blocked_search() -> None:
    x, y = blobs_with_duplicates(400, 20, seed=7)
    x[20:34] += np.arange(14)[:, None] * 1e-3  # no all-zero rows: the reference skips its precision fix here
    graph = build_knn_graph(x, 10, method="blocked")
    issues, info, _ = datalab(y, knn_graph=graph.to_csr())
    knn = SharedKnn(x, method="blocked")
    r = run(CheckInputs(400, [0, 1, 2], labels=y, features=x, knn=knn), DEFAULTS)
    np.testing.assert_allclose(r.score, issues["outlier_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(r.is_issue, issues["is_outlier_issue"])
    assert r.info["issue_threshold"] == pytest.approx(info["issue_threshold"], abs=1e-12)


@pytest.mark.parametrize("num_classes", [2, 4])
def test_pred_probs_path_equals_reference(num_classes: int) -> None:
    rng = np.random.default_rng(num_classes)
    p = rng.dirichlet(np.ones(num_classes) * 0.7, size=250)
    y = rng.integers(0, num_classes, 250)
    issues, info, summary = datalab(y, pred_probs=p)
    r = ours(labels=y, pred_probs=p)
    assert r.info["method"] == "entropy" and r.info["threshold"] == 0.13
    np.testing.assert_allclose(r.score, issues["outlier_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(r.is_issue, issues["is_outlier_issue"])
    assert r.num_issues > 0
    assert r.info["issue_threshold"] == pytest.approx(info["issue_threshold"], abs=1e-12)
    assert r.summary_score == pytest.approx(summary, abs=1e-12)


def test_tutorial_numbers(tutorial_dir, reference) -> None:
    df = pd.read_csv(tutorial_dir / "train.csv")
    x = df[["x1", "x2"]].to_numpy()
    p = np.load(tutorial_dir / "pred_probs_cv3_logreg.npy")
    r = ours(x, df["y_int"].to_numpy(), pred_probs=p)
    expected = reference["on_pred_probs_cv3_logreg"]["audit_with_features_x1_x2"]
    assert r.num_issues == expected["num_issues_by_type"]["outlier"] == 7
    assert r.summary_score == pytest.approx(expected["score_by_type"]["outlier"], abs=1e-12)
    assert r.info["metric"] == expected["knn_metric"]


def test_all_rows_identical_flags_nothing() -> None:
    r = ours(np.ones((30, 3)), np.arange(30) % 3)
    assert r.num_issues == 0 and (r.score == 1).all() and r.summary_score == 1.0


def test_fewer_rows_than_k_lowers_k() -> None:
    x = np.array([[0.0], [0.1], [0.2], [0.3], [9.0]])
    r = ours(x, np.array([0, 1, 0, 1, 0]))
    assert r.info["k"] == 4 and r.info["k_requested"] == 10
    assert r.score.shape == (5,) and int(np.argmin(r.score)) == 4


def test_two_rows_are_skipped_with_a_reason() -> None:
    with pytest.raises(CheckSkipped, match="at least 3 rows"):
        ours(np.array([[0.0], [1.0]]), np.array([0, 1]))


def test_one_feature_column_finds_the_stray() -> None:
    x = np.r_[np.linspace(0, 1, 40), 25.0][:, None]
    r = ours(x, np.arange(41) % 2, k=3)
    assert r.is_issue[40] and int(np.argmin(r.score)) == 40
    assert 0 <= r.score.min() and r.score.max() <= 1


def test_parameters() -> None:
    x, y = blobs_with_duplicates(200, 2, seed=3)
    base = ours(x, y)
    assert ours(x, y, threshold=0).num_issues == 0
    assert ours(x, y, threshold=1).num_issues >= base.num_issues
    scaled = ours(x, y, scaling_factor=2 * base.info["scaling_factor"])
    assert (scaled.score >= base.score).all() and scaled.info["scaling_factor"] == 2 * base.info["scaling_factor"]
    assert (ours(x, y, t=2).score <= base.score).all()
    with pytest.raises(CheckSkipped, match="between 0 and 1"):
        ours(x, y, threshold=1.5)


def test_iqr_threshold() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert iqr_threshold(values, 0.5) == 4.0 + 1.0 * 2.0
    assert iqr_threshold(values, 0) == float("inf")


def test_labels_needed_without_features() -> None:
    p = np.full((5, 2), 0.5)
    inputs = CheckInputs(5, [0, 1], pred_probs=p)
    with pytest.raises(CheckSkipped, match="labels"):
        run(inputs, DEFAULTS)
