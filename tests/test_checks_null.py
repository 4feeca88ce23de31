"""The null check: missing cells in the original columns, against the reference."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cleanaudit.checks.base import REGISTRY, CheckInputs, CheckSkipped
from cleanaudit.checks.null import MAX_ROWS_LISTED, most_common_null_pattern, run


@pytest.fixture(scope="module")
def Datalab():
    from cleanlab.datalab.datalab import Datalab  # the test extra installs cleanlab[datalab]

    return Datalab


def _run(frame):
    return run(CheckInputs(len(frame), ["a", "b"], raw_features=frame), {})


def _frame(rng, n=60, cols=4, frac=0.2):
    x = pd.DataFrame(rng.normal(size=(n, cols)), columns=[f"f{i}" for i in range(cols)])
    return x.mask(rng.random((n, cols)) < frac)


def test_registered_without_labels():
    spec = REGISTRY["null"]
    assert spec.needs == ("raw_features",) and not spec.needs_labels


@pytest.mark.parametrize("seed", range(3))
def test_matches_reference(Datalab, seed):
    rng = np.random.default_rng(seed)
    frame = _frame(rng)
    frame.iloc[[3, 17]] = np.nan  # two rows with nothing at all
    lab = Datalab(data={"y": np.arange(len(frame)) % 2}, label_name="y", verbosity=0)
    lab.find_issues(features=frame, issue_types={"null": {}})
    issues, info = lab.get_issues("null"), lab.get_info("null")
    res = _run(frame)
    np.testing.assert_array_equal(res.is_issue, issues["is_null_issue"])
    np.testing.assert_allclose(res.score, issues["null_score"], rtol=0, atol=1e-12)
    assert res.summary_score == pytest.approx(lab.get_issue_summary()["score"].item(), abs=1e-12)
    assert res.info["average_null_score"] == pytest.approx(info["average_null_score"], abs=1e-12)
    common = res.info["most_common_issue"]
    assert common["pattern"] == info["most_common_issue"]["pattern"]
    assert common["rows"] == list(info["most_common_issue"]["rows_affected"])
    assert common["count"] == info["most_common_issue"]["count"]
    np.testing.assert_allclose(list(res.info["column_impact"].values()), info["column_impact"], rtol=0, atol=1e-12)
    assert res.num_issues == 2


def test_patterns_names_and_ties():
    frame = pd.DataFrame({"a": [1.0, None, 3, None, 5, 6], "b": ["x", "y", None, "z", None, "w"]})
    res = _run(frame)
    # {a} and {b} both occur twice; {a} shows up first (row 1).
    assert res.info["most_common_issue"] == {"pattern": "10", "columns": ["a"], "rows": [1, 3], "count": 2}
    assert res.info["column_impact"] == {"a": 2 / 6, "b": 2 / 6}
    assert res.score.tolist() == [1, 0.5, 0.5, 0.5, 0.5, 1] and res.num_issues == 0
    json.dumps(res.info)


def test_no_missing_values(tutorial_dir, reference):
    frame = pd.read_csv(tutorial_dir / "train.csv")[["x1", "x2"]]
    res = _run(frame)
    expected = reference["on_pred_probs_cv3_logreg"]["audit_with_features_x1_x2"]
    assert res.num_issues == expected["num_issues_by_type"]["null"] == 0
    assert res.summary_score == expected["score_by_type"]["null"] == 1.0
    assert res.info["most_common_issue"] == {"pattern": "no_null", "columns": [], "rows": [], "count": 0}


def test_everything_missing_one_column_and_mixed_types():
    frame = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", None, None]), "s": [None, "b", None]})
    res = _run(frame)
    assert res.is_issue.tolist() == [False, False, True] and res.score.tolist() == [0.5, 0.5, 0.0]
    res = _run(pd.DataFrame({"only": [np.nan] * 5}))
    assert res.num_issues == 5 and res.summary_score == 0.0
    assert res.info["most_common_issue"]["count"] == 5


def test_rows_listed_are_capped_and_wide_patterns_work():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(500, 20)))
    frame.iloc[::2, [0, 9, 19]] = np.nan  # 250 rows, one pattern over 20 columns (> 8 bits)
    common = _run(frame).info["most_common_issue"]
    assert common["count"] == 250 and len(common["rows"]) == MAX_ROWS_LISTED
    assert common["columns"] == [0, 9, 19] and common["pattern"] == "1" + "0" * 8 + "1" + "0" * 9 + "1"
    pattern, rows = most_common_null_pattern(frame.isna().to_numpy())
    assert np.flatnonzero(pattern).tolist() == [0, 9, 19] and rows.tolist() == list(range(0, 500, 2))


def test_no_columns_is_skipped():
    with pytest.raises(CheckSkipped):
        _run(pd.DataFrame(index=range(3)))
