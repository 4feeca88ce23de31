"""``data_valuation``: the KNN-Shapley closed form against the reference, memory, and edge cases."""

from __future__ import annotations

import contextlib
import io
import tracemalloc
import warnings

import numpy as np
import pytest

from cleanaudit.checks import all_checks
from cleanaudit.checks.base import CheckInputs, CheckSkipped
from cleanaudit.checks.data_valuation import knn_shapley, run
from cleanaudit.checks.graph.knn import SharedKnn, build_knn_graph

DEFAULTS = {"k": 10, "threshold": 0.5}


def ours(x, y, **params):
    return run(CheckInputs(len(x), [0, 1, 2], labels=y, features=x, knn=SharedKnn(x)), {**DEFAULTS, **params})


def labelled_blobs(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, d)) + y[:, None] * 2.0 + 5
    y[:15] = (y[:15] + 1) % 3  # some wrong labels: they should be valued low
    x[30:33] = x[30]
    return x, y


@pytest.mark.parametrize("d", [2, 5])
def test_equals_reference_datalab(d: int) -> None:
    from cleanlab import Datalab

    x, y = labelled_blobs(300, d, seed=d)
    lab = Datalab({"y": y}, label_name="y", verbosity=0)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        lab.find_issues(features=x, issue_types={"data_valuation": {}})
    issues = lab.get_issues("data_valuation")
    r = ours(x, y)
    np.testing.assert_allclose(r.score, issues["data_valuation_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(r.is_issue, issues["is_data_valuation_issue"])
    summary = lab.get_issue_summary().set_index("issue_type").loc["data_valuation", "score"]
    assert r.summary_score == pytest.approx(summary, abs=1e-12)
    if d == 2:  # well-separated classes: the relabelled rows are the ones valued low
        assert r.is_issue[:15].mean() > 0.8 > r.is_issue[15:].mean()


@pytest.mark.parametrize("k", [1, 3, 10])
def test_closed_form_equals_reference_function_on_the_same_graph(k: int) -> None:
    from cleanlab.data_valuation import data_shapley_knn

    x, y = labelled_blobs(200, 20, seed=k)
    graph = build_knn_graph(x, k, method="blocked")
    expected = data_shapley_knn(y, knn_graph=graph.to_csr(), k=k)
    np.testing.assert_allclose(knn_shapley(graph.indices, y), expected, rtol=0, atol=1e-12)


def test_closed_form_by_hand() -> None:
    # Row 0's neighbours are 1 (same label) then 3 (other label): row 1 gains 1 - 0 from row 0.
    nbrs = np.array([[1, 3], [0, 3], [3, 0], [2, 1]])
    y = np.array([0, 0, 1, 1])
    # received: row 1 from row 0: 1; row 0 from row 1: 1; row 3 from row 2: 1; row 2 from row 3: 1
    assert knn_shapley(nbrs, y).tolist() == [0.5 * (1 + 1 / 8)] * 4
    # Now rows 0 and 1 also match their last neighbour (gain 0), and row 2 misleads row 3.
    y_bad = np.array([0, 0, 1, 0])
    assert knn_shapley(nbrs, y_bad).tolist() == [0.5, 0.5, 0.5 * (1 - 1 / 8), 0.5]


def test_memory_is_linear_in_rows() -> None:
    n, k = 200_000, 10
    nbrs = np.random.default_rng(0).integers(0, n, size=(n, k))
    y = np.random.default_rng(1).integers(0, 5, n)
    tracemalloc.start()
    knn_shapley(nbrs, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * n * k * 8  # a few N×k arrays, far from N×N (320 GB here)


def test_k_one_is_neutral() -> None:
    x, y = labelled_blobs(50, 2, seed=0)
    r = ours(x, y, k=1)
    assert (r.score == 0.5).all() and r.num_issues == 0


def test_fewer_rows_than_k_all_identical_and_one_column() -> None:
    r = ours(np.ones((6, 1)), np.array([0, 0, 0, 1, 1, 1]))
    assert r.info["k"] == 5 and r.info["k_requested"] == 10
    assert ((0 <= r.score) & (r.score <= 1)).all()
    with pytest.raises(CheckSkipped, match="at least 3 rows"):
        ours(np.ones((2, 1)), np.array([0, 1]))


def test_needs_labels_and_is_opt_in() -> None:
    x = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(CheckSkipped, match="labels"):
        run(CheckInputs(20, [0, 1], features=x, knn=SharedKnn(x)), DEFAULTS)
    assert all_checks()["data_valuation"].default is False
