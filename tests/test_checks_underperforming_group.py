"""The underperforming_group check: DBSCAN clusters with low self-confidence, against the reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cleanaudit.checks import underperforming_group as ug
from cleanaudit.checks.base import REGISTRY, CheckInputs, CheckSkipped
from cleanaudit.checks.graph.knn import SharedKnn

DEFAULTS = REGISTRY["underperforming_group"].params


@pytest.fixture(scope="module")
def Datalab():
    from cleanlab.datalab.datalab import Datalab  # the test extra installs cleanlab[datalab]

    return Datalab


def _inputs(x, labels, pred_probs):
    k = pred_probs.shape[1]
    return CheckInputs(
        len(x), [f"c{i}" for i in range(k)], labels=labels, pred_probs=pred_probs, features=x, knn=SharedKnn(x)
    )


def _reference(Datalab, x, labels, pred_probs, **kwargs):
    lab = Datalab(data={"y": labels}, label_name="y", verbosity=0)
    lab.find_issues(features=x, pred_probs=pred_probs, issue_types={"underperforming_group": kwargs})
    stats = lab.get_info("underperforming_group")["clustering"]["stats"]
    return lab.get_issues("underperforming_group"), lab.get_issue_summary()["score"].item(), stats


@pytest.fixture(scope="module")
def three_blobs():
    """Three tight blobs of 40 rows whose mean self-confidence is 0.9, 0.05 and 0.07."""
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = np.vstack([c + rng.normal(scale=0.05, size=(40, 2)) for c in centers])
    confidence = np.repeat([0.9, 0.05, 0.07], 40)
    return x, np.zeros(120, int), np.c_[confidence, 1 - confidence]


def test_registered_with_spec_defaults():
    spec = REGISTRY["underperforming_group"]
    assert spec.needs == ("pred_probs+features",) and spec.needs_labels
    assert dict(spec.params) == {"k": 10, "threshold": 0.1, "min_cluster_samples": 5, "eps": 0.5, "min_samples": 5}


def test_worst_cluster_is_the_lowest_ratio():
    assert ug.worst_cluster(np.array([0, 1, 2]), np.array([2.647, 0.147, 0.206])) == (1, 0.147)
    assert ug.worst_cluster(np.array([3, 5]), np.array([1.2, 1.0])) == (ug.NO_CLUSTER, 1.0)
    assert ug.worst_cluster(np.array([4, 7]), np.array([0.5, 0.5])) == (4, 0.5)  # ties: lower id


def test_tutorial_matches_reference(Datalab, tutorial_dir, reference):
    data = pd.read_csv(tutorial_dir / "train.csv")
    x, y = data[["x1", "x2"]].to_numpy(), data["y_int"].to_numpy()
    pred_probs = np.load(tutorial_dir / "pred_probs_cv3_logreg.npy")
    res = ug.run(_inputs(x, y, pred_probs), DEFAULTS)
    expected = reference["on_pred_probs_cv3_logreg"]["audit_with_features_x1_x2"]
    assert res.num_issues == expected["num_issues_by_type"]["underperforming_group"] == 0
    assert res.summary_score == pytest.approx(expected["score_by_type"]["underperforming_group"], abs=1e-12)
    issues, score, stats = _reference(Datalab, x, y, pred_probs)
    clusters = ug.dbscan_on_graph(SharedKnn(x).graph(10))
    np.testing.assert_array_equal(clusters, stats["cluster_ids"])  # noise and border rows included
    assert res.info["n_clusters"] == stats["n_clusters"] == 10
    np.testing.assert_allclose(res.score, issues["underperforming_group_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res.is_issue, issues["is_underperforming_group_issue"])
    assert res.summary_score == pytest.approx(score, abs=1e-12)


def test_fixes_the_reference_worst_cluster_pick(Datalab, three_blobs):
    x, y, pred_probs = three_blobs
    params = {**DEFAULTS, "threshold": 0.25}
    res = ug.run(_inputs(x, y, pred_probs), params)
    issues, score, stats = _reference(Datalab, x, y, pred_probs, threshold=0.25)
    # Same clusters and per-row scores (ratios 2.65, 0.147, 0.206)...
    np.testing.assert_array_equal(ug.dbscan_on_graph(SharedKnn(x).graph(10)), stats["cluster_ids"])
    np.testing.assert_allclose(res.score, issues["underperforming_group_score"], rtol=0, atol=1e-12)
    # ...but the reference settles on the 0.07 cluster, we pick the 0.05 one.
    assert score == pytest.approx(0.07 / 0.34, abs=1e-12)
    assert res.summary_score == pytest.approx(0.05 / 0.34, abs=1e-12)
    assert res.info["worst_cluster"] == stats["cluster_ids"][40] and res.info["worst_cluster_size"] == 40
    assert np.flatnonzero(issues["is_underperforming_group_issue"]).tolist() == list(range(80, 120))
    assert np.flatnonzero(res.is_issue).tolist() == list(range(40, 80))


def test_agrees_with_reference_on_random_data(Datalab):
    rng = np.random.default_rng(4)
    x = np.vstack([rng.normal(c, 0.3, size=(60, 2)) for c in (-2, 0, 2)])
    y = rng.integers(0, 3, len(x))
    pred_probs = rng.dirichlet([1, 1, 1], len(x))
    pred_probs[60:120] = 0.9 * np.eye(3)[(y[60:120] + 1) % 3] + 0.1 / 3  # the middle blob is wrong
    res = ug.run(_inputs(x, y, pred_probs), {**DEFAULTS, "threshold": 0.5})
    issues, score, stats = _reference(Datalab, x, y, pred_probs, threshold=0.5)
    np.testing.assert_allclose(res.score, issues["underperforming_group_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res.is_issue, issues["is_underperforming_group_issue"])
    assert res.num_issues > 0 and res.summary_score == pytest.approx(score, abs=1e-12)


def test_no_cluster_is_skipped():
    x = np.arange(30.0)[:, None] * 10  # neighbours are 10 apart, eps is 0.5: all noise
    y = np.arange(30) % 2
    with pytest.raises(CheckSkipped, match="no clusters of at least 5 rows"):
        ug.run(_inputs(x, y, np.full((30, 2), 0.5)), DEFAULTS)


def test_small_clusters_do_not_count():
    x = np.r_[np.zeros((4, 1)), np.full((20, 1), 50.0) + np.arange(20)[:, None] * 0.01]
    y = np.zeros(24, int)
    pred_probs = np.tile([0.5, 0.5], (24, 1))
    res = ug.run(_inputs(x, y, pred_probs), {**DEFAULTS, "min_samples": 3})
    assert res.info["n_clusters"] == 1  # the 4 copies form a cluster, but of fewer than 5 rows
    assert res.summary_score == 1.0 and res.num_issues == 0


def test_identical_rows_n_at_most_k_and_two_classes():
    x = np.zeros((8, 1))  # N <= k: the graph has N-1 neighbours per row
    y = np.array([0, 1] * 4)
    pred_probs = np.tile([0.7, 0.3], (8, 1))
    res = ug.run(_inputs(x, y, pred_probs), DEFAULTS)
    assert res.info["n_clusters"] == 1 and res.info["k"] == 7
    assert res.summary_score == 1.0 and (res.score == 1.0).all() and res.num_issues == 0
