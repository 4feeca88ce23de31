"""``near_duplicate``: agreement with the reference, exact duplicates, conflicting labels, edge cases."""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from cleanaudit.checks.base import CheckInputs, CheckSkipped
from cleanaudit.checks.graph.knn import SharedKnn, build_knn_graph
from cleanaudit.checks.near_duplicate import run

DEFAULTS = {"k": 10, "threshold": 0.13}


def datalab(n: int, **inputs):
    """The reference's near-duplicate issues, info and summary score."""
    from cleanlab import Datalab

    lab = Datalab({"y": np.arange(n) % 2}, label_name="y", verbosity=0)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        lab.find_issues(issue_types={"near_duplicate": {}}, **inputs)
    summary = lab.get_issue_summary().set_index("issue_type").loc["near_duplicate", "score"]
    return lab.get_issues("near_duplicate"), lab.get_info("near_duplicate"), float(summary)


def ours(x, labels=None, raw=None, knn=None, **params):
    knn = knn or SharedKnn(x)
    inputs = CheckInputs(len(x), [0, 1, 2], labels=labels, features=x, raw_features=raw, knn=knn)
    return run(inputs, {**DEFAULTS, **params})


def data_with_copies(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) + 3
    x[10:13] = x[10]  # 3 copies (<= k)
    x[20:34] = x[20]  # 14 copies (> k)
    x[40] = x[41] * (1 + 1e-4)  # near, not exact
    return x


def as_lists(sets) -> list[list[int]]:
    return [[int(v) for v in s.split()] for s in sets]


def assert_same_as_reference(r, issues, info, summary) -> None:
    np.testing.assert_allclose(r.score, issues["near_duplicate_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(r.is_issue, issues["is_near_duplicate_issue"])
    assert as_lists(r.columns["near_duplicate_set"]) == [sorted(s) for s in issues["near_duplicate_sets"]]
    nearest = r.columns["distance_to_nearest_neighbor"]
    np.testing.assert_allclose(nearest, issues["distance_to_nearest_neighbor"], rtol=0, atol=1e-12)
    median = info["median_distance_to_nearest_neighbor"]
    assert r.info["median_distance_to_nearest_neighbor"] == pytest.approx(median, abs=1e-12)
    assert r.summary_score == pytest.approx(summary, abs=1e-12)


@pytest.mark.parametrize("d", [2, 5])
def test_equals_reference(d: int) -> None:
    x = data_with_copies(300, d, seed=d)
    issues, info, summary = datalab(300, features=x)
    r = ours(x)
    assert_same_as_reference(r, issues, info, summary)
    assert r.is_issue[[10, 11, 12, 20, 33, 40, 41]].all()
    assert r.info["metric"] == ("cosine" if d > 3 else "euclidean")


def test_same_graph_gives_same_result_with_the_blocked_search() -> None:
    x = data_with_copies(400, 30, seed=5)
    graph = build_knn_graph(x, 10, method="blocked")
    issues, info, summary = datalab(400, knn_graph=graph.to_csr())
    assert_same_as_reference(ours(x, knn=SharedKnn(x, method="blocked")), issues, info, summary)


def test_tutorial_numbers(tutorial_dir, reference) -> None:
    df = pd.read_csv(tutorial_dir / "train.csv")
    r = ours(df[["x1", "x2"]].to_numpy(), df["y_int"].to_numpy(), raw=df[["x1", "x2"]])
    expected = reference["on_pred_probs_cv3_logreg"]["audit_with_features_x1_x2"]
    assert r.num_issues == expected["num_issues_by_type"]["near_duplicate"] == 6
    assert r.summary_score == pytest.approx(expected["score_by_type"]["near_duplicate"], abs=1e-12)
    assert r.info["num_exact_duplicate_groups"] == 0


def test_exact_duplicates_and_conflicting_labels() -> None:
    x = data_with_copies(120, 2, seed=1)
    y = np.zeros(120, int)
    y[11] = 1  # the 3-copy group disagrees; the 14-copy group agrees
    r = ours(x, y)
    groups = r.columns["exact_duplicate_group"]
    assert groups[[10, 11, 12]].tolist() == [0, 0, 0] and (groups[20:34] == 1).all()
    assert groups[40] == groups[41] == -1 and (np.delete(groups, [10, 11, 12, *range(20, 34)]) == -1).all()
    assert np.flatnonzero(r.columns["has_conflicting_labels"]).tolist() == [10, 11, 12]
    info = r.info
    assert info["num_exact_duplicate_groups"] == 2
    assert info["num_rows_in_exact_duplicates"] == 17
    assert info["num_conflicting_label_groups"] == 1
    assert [10, 11, 12] in info["example_sets"] and list(range(20, 34)) in info["example_sets"]
    json.dumps(info)  # the report can serialise it


def test_raw_rows_decide_exact_duplicates() -> None:
    # Encoded rows equal, raw rows differ (e.g. a column the encoder dropped) -> not exact copies;
    # missing values equal missing values in the raw table.
    x = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 2.0], [1.0, 2.0], [5.0, 1.0], [3.0, 3.0]])
    raw = pd.DataFrame({"a": [0, 0, 1, 1, 5, 3], "b": [None, None, 2, 2, 1, 3], "note": ["x", "y", "z", "z", "w", "v"]})
    r = ours(x, np.array([0, 1, 0, 0, 1, 1]), raw=raw, k=2)
    assert r.columns["exact_duplicate_group"].tolist() == [-1, -1, 0, 0, -1, -1]
    assert not r.columns["has_conflicting_labels"].any()
    assert r.is_issue[:4].all()  # both pairs are still near duplicates at distance 0


def test_without_labels_there_are_no_conflicts() -> None:
    x = data_with_copies(60, 2, seed=2)
    r = ours(x, None)
    assert r.info["num_exact_duplicate_groups"] == 2 and r.info["num_conflicting_label_groups"] == 0


def test_all_rows_identical() -> None:
    r = ours(np.ones((25, 4)), np.arange(25) % 3)
    assert r.is_issue.all() and (r.score == 0).all() and r.summary_score == 0
    assert r.info["num_exact_duplicate_groups"] == 1 and r.info["num_rows_in_exact_duplicates"] == 25
    assert r.info["num_conflicting_label_groups"] == 1


def test_fewer_rows_than_k_and_one_column() -> None:
    x = np.array([[0.0], [0.0], [1.0], [2.5], [4.0]])
    r = ours(x, np.array([0, 0, 1, 1, 0]))
    assert r.info["k"] == 4 and r.info["k_requested"] == 10
    assert np.flatnonzero(r.is_issue).tolist() == [0, 1]
    assert r.columns["near_duplicate_set"].tolist() == ["1", "0", "", "", ""]
    with pytest.raises(CheckSkipped, match="at least 3 rows"):
        ours(x[:2], None)


def test_threshold_zero_or_negative_flags_nothing() -> None:
    x = data_with_copies(100, 2, seed=4)
    for t in (0, -1):
        r = ours(x, None, threshold=t)
        assert r.num_issues == 0 and r.info["threshold"] == 0
        assert r.info["num_exact_duplicate_groups"] == 2  # exact copies are still reported
