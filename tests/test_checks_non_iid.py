"""The non_iid check: permutation test on neighbour index gaps, against the spec and the reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cleanaudit.checks.base import REGISTRY, CheckInputs, CheckSkipped
from cleanaudit.checks.graph.knn import SharedKnn
from cleanaudit.checks.non_iid import _gap_counts, _ks_from_counts, _random_pair_cdf, row_scores, run

DEFAULTS = REGISTRY["non_iid"].params


@pytest.fixture(scope="module")
def Datalab():
    # Datalab needs the optional `datasets` package (cleanlab[datalab]).
    from cleanlab.datalab.datalab import Datalab  # the test extra installs cleanlab[datalab]

    return Datalab


def _inputs(x=None, pred_probs=None, labels=None):
    n = len(x) if x is not None else len(pred_probs)
    return CheckInputs(
        n, [0, 1, 2], labels=labels, pred_probs=pred_probs, features=x, knn=SharedKnn(x) if x is not None else None
    )


def _reference(Datalab, n, **data):
    lab = Datalab(data={"y": np.zeros(n, int)}, label_name="y", verbosity=0)
    lab.find_issues(**data, issue_types={"non_iid": {}})
    return lab.get_issues("non_iid"), lab.get_info("non_iid")


def _ks_by_sorting(indices: np.ndarray) -> float:
    """The spec's statistic, literally: sorted gaps plus N-1 against the random-pair CDF."""
    n = len(indices)
    gaps = np.sort(np.abs(indices - np.arange(n)[:, None]).ravel())
    gaps = np.append(gaps, n - 1)
    m = len(gaps) - 1
    cdf = _random_pair_cdf(n)
    return float(np.max(np.abs(np.arange(m + 1) / m - cdf[gaps])))


def _scores_by_loop(indices: np.ndarray) -> np.ndarray:
    """The spec's per-row area statistic, one row at a time."""
    n, k = indices.shape
    out = np.empty(n)
    for i in range(n):
        d = min(i, n - 1 - i)

        def area(x, d=d):
            if x <= d:
                return x * x / (n - 1)
            if x <= n - 1 - d:
                return d * d / (n - 1) + (x - d) * (x + 3 * d) / (2 * (n - 1))
            return d * d / (n - 1) + 0.5 * (2 * d / (n - 1) + 1) * (n - 2 * d - 1) + (x - (n - 1 - d))

        s = [0, *sorted(abs(i - j) for j in indices[i]), n - 1]
        stat = sum(abs(m / k * (s[m + 1] - s[m]) - (area(s[m + 1]) - area(s[m]))) for m in range(k + 1))
        out[i] = 1 - np.tanh(stat / max(i, n - i))
    return out


def _random_graph(rng, n, k):
    idx = rng.integers(0, n - 1, (n, k))
    return idx + (idx >= np.arange(n)[:, None])  # skip self


def test_registered_with_spec_defaults():
    spec = REGISTRY["non_iid"]
    assert spec.needs == ("features", "pred_probs") and not spec.needs_labels
    assert dict(spec.params) == {"k": 10, "num_permutations": 25, "seed": 0, "significance_threshold": 0.05}


@pytest.mark.parametrize("seed", range(4))
def test_counting_statistic_equals_sorting_statistic(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 60)), int(rng.integers(1, 4))
    idx = _random_graph(rng, n, k)
    assert _ks_from_counts(_gap_counts(idx), _random_pair_cdf(n)) == pytest.approx(_ks_by_sorting(idx), abs=1e-15)


def test_row_scores_follow_the_spec_formula():
    rng = np.random.default_rng(3)
    idx = _random_graph(rng, 37, 4)
    np.testing.assert_allclose(row_scores(idx), _scores_by_loop(idx), rtol=0, atol=1e-13)
    assert ((row_scores(idx) >= 0) & (row_scores(idx) <= 1)).all()


@pytest.mark.parametrize("ordered", [False, True])
def test_matches_reference_on_features(Datalab, ordered):
    # D <= 3 and N > 100: both sides build the same sklearn euclidean graph.
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 2))
    if ordered:
        x[:, 0] += np.linspace(0, 3, 300)  # drift along the file
    issues, info = _reference(Datalab, 300, features=x)
    res = run(_inputs(x), DEFAULTS)
    assert res.info["p_value"] == pytest.approx(info["p-value"], abs=1e-12)
    assert res.summary_score == pytest.approx(info["p-value"], abs=1e-12)
    np.testing.assert_allclose(res.score, issues["non_iid_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res.is_issue, issues["is_non_iid_issue"])
    assert (res.num_issues == 1) == ordered


def test_matches_reference_on_pred_probs_only(Datalab):
    rng = np.random.default_rng(1)
    pred_probs = rng.dirichlet([1, 1, 1], 150)
    issues, info = _reference(Datalab, 150, pred_probs=pred_probs)
    res = run(_inputs(pred_probs=pred_probs), DEFAULTS)
    assert res.info["graph_source"] == "pred_probs"
    assert res.info["p_value"] == pytest.approx(info["p-value"], abs=1e-12)
    np.testing.assert_allclose(res.score, issues["non_iid_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res.is_issue, issues["is_non_iid_issue"])


def test_tutorial(tutorial_dir, reference):
    data = pd.read_csv(tutorial_dir / "train.csv")
    x = data[["x1", "x2"]].to_numpy()
    res = run(_inputs(x), DEFAULTS)
    expected = reference["on_pred_probs_cv3_logreg"]["audit_with_features_x1_x2"]
    assert res.num_issues == expected["num_issues_by_type"]["non_iid"] == 1
    assert res.summary_score < 0.05
    assert res.summary_score == pytest.approx(expected["score_by_type"]["non_iid"], abs=1e-12)
    assert res.info["flagged_row"] == int(np.argmin(res.score))
    assert res.info["k"] == 10 and res.info["metric"] == "euclidean"


def test_leaves_the_global_rng_alone():
    x = np.random.default_rng(0).normal(size=(120, 2))
    np.random.seed(1234)
    before = np.random.get_state()
    run(_inputs(x), DEFAULTS)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


def test_seed_reproduces_and_changes_the_p_value():
    x = np.random.default_rng(5).normal(size=(200, 2))
    a = run(_inputs(x), DEFAULTS).summary_score
    b = run(_inputs(x), DEFAULTS).summary_score
    c = run(_inputs(x), {**DEFAULTS, "seed": 1}).summary_score
    assert a == b and a != c


def test_tiny_data_gives_a_degenerate_permutation_test():
    # With N = 3 every row neighbours both others: every shuffle has the same statistic.
    x = np.array([[0.0], [1.0], [2.5]])
    with pytest.raises(CheckSkipped, match="degenerate"):
        run(_inputs(x), DEFAULTS)


def test_identical_rows_and_n_at_most_k():
    x = np.zeros((8, 2))  # N <= k: the shared graph lowers k to N-1
    with pytest.raises(CheckSkipped):
        run(_inputs(x), DEFAULTS)  # a complete graph: nothing to permute
    x = np.ones((40, 1))
    res = run(_inputs(x), DEFAULTS)  # copies neighbour the lowest-index copies
    assert res.info["k"] == 10 and np.isfinite(res.score).all()


def test_one_feature_and_two_classes():
    x = np.arange(60.0)[:, None]  # file order == feature order: strongly non-iid
    res = run(_inputs(x, labels=np.arange(60) % 2), DEFAULTS)
    assert res.summary_score < 1e-6 and res.num_issues == 1
    assert ((res.score >= 0) & (res.score <= 1)).all()
