"""Multi-label dataset summaries (engine/multilabel/dataset.py).

* golden: the spec's worked example 1 (§17): common issues, class ranking, health score;
* differential with hypothesis against cleanlab 2.9.0: ``pandas.DataFrame(ours)`` equals the
  reference's frame (columns, dtypes, values), with or without class names, a confident joint
  and the ``joint`` argument. Rows with equal sort keys are compared as sets (spec §0.1: the
  order of ties comes from an unstable sort); the sort keys must come in the same order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_cases import FAST
from engine_multilabel_cases import (
    LABELS,
    PRED_PROBS,
    multilabel_cases,
    needs_ref,
    reference_on_one_core,  # noqa: F401 - autouse fixture
    run,
)
from hypothesis import given
from hypothesis import strategies as st

from cleanaudit.engine.multilabel import (
    common_multilabel_issues,
    multilabel_health_summary,
    overall_multilabel_health_score,
    rank_classes_by_multilabel_quality,
)

try:
    import cleanlab.count as ref_count
    import cleanlab.multilabel_classification.dataset as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = ref_count = None

COMMON_COLUMNS = ["Class Index", "In Given Label", "In Suggested Label", "Num Examples", "Issue Probability"]
RANK_COLUMNS = [
    "Class Index",
    "Label Issues",
    "Inverse Label Issues",
    "Label Noise",
    "Inverse Label Noise",
    "Label Quality Score",
]


def as_frame(result) -> pd.DataFrame:
    return pd.DataFrame(result)


def assert_same_frame(ours, theirs, key: str) -> None:
    """Same columns, dtypes and rows; rows tied on ``key`` may come in either order."""
    if isinstance(theirs, type) or isinstance(ours, type):
        assert isinstance(ours, type) and isinstance(theirs, type), (ours, theirs)
        assert issubclass(ours, ValueError) == issubclass(theirs, ValueError), (ours, theirs)
        return
    frame = as_frame(ours)
    assert list(frame.columns) == list(theirs.columns)
    for column in frame.columns:
        assert frame[column].dtype == theirs[column].dtype, column
    assert frame[key].tolist() == theirs[key].tolist()  # the sort itself agrees
    rows = lambda df: sorted(map(tuple, df.astype(str).to_numpy().tolist()))  # noqa: E731
    for value in theirs[key].unique():
        assert rows(frame[frame[key] == value]) == rows(theirs[theirs[key] == value]), value


def _set_of_rows(frame: pd.DataFrame, key: str) -> list:
    """Rows grouped by sort key, each group as a sorted list (tie order is not compared)."""
    return [sorted(map(tuple, g.to_numpy().tolist())) for _, g in frame.groupby(key, sort=False)]


# ---------------------------------------------------------------------------------------------
# Golden: spec §17, Example 1


def test_worked_example_common_issues():
    frame = as_frame(common_multilabel_issues(LABELS, PRED_PROBS))
    assert list(frame.columns) == COMMON_COLUMNS
    assert [str(t) for t in frame.dtypes] == ["int64", "bool", "bool", "int64", "float64"]
    expected = pd.DataFrame(
        [(0, True, False, 1, 0.1), (1, True, False, 1, 0.1), (1, False, True, 1, 0.1), (0, False, True, 0, 0.0),
         (2, True, False, 0, 0.0), (2, False, True, 0, 0.0)],
        columns=COMMON_COLUMNS,
    )  # fmt: skip
    assert frame["Issue Probability"].tolist() == expected["Issue Probability"].tolist()
    assert _set_of_rows(frame, "Issue Probability") == _set_of_rows(expected, "Issue Probability")


def test_worked_example_class_ranking_and_health():
    frame = as_frame(rank_classes_by_multilabel_quality(LABELS, PRED_PROBS))
    assert list(frame.columns) == RANK_COLUMNS
    expected = pd.DataFrame(
        [(0, 1, 0, 0.1, 0.0, 0.9), (1, 1, 1, 0.1, 0.1, 0.9), (2, 0, 0, 0.0, 0.0, 1.0)], columns=RANK_COLUMNS
    )
    assert _set_of_rows(frame, "Label Quality Score") == _set_of_rows(expected, "Label Quality Score")
    assert overall_multilabel_health_score(LABELS, PRED_PROBS) == pytest.approx(0.8, abs=1e-15)


def test_class_names_come_first():
    names = ["cat", "dog", "bird"]
    common = common_multilabel_issues(LABELS, PRED_PROBS, class_names=names)
    assert list(common) == ["Class Name"] + COMMON_COLUMNS
    assert all(names[c] == n for c, n in zip(common["Class Index"], common["Class Name"]))
    ranked = rank_classes_by_multilabel_quality(LABELS, PRED_PROBS, class_names=names)
    assert list(ranked) == ["Class Name"] + RANK_COLUMNS
    assert ranked["Class Name"][-1] == "bird"


def test_label_issues_are_truncated_not_rounded():
    """15 of 22 examples look wrongly annotated with class 0: the reference reports int(15/22 * 22) = 14."""
    labels = [[0]] * 17 + [[]] * 5
    probs = np.concatenate([np.linspace(0.01, 0.05, 15), [0.95, 0.96], np.linspace(0.28, 0.32, 5)])[:, None]
    common = common_multilabel_issues(labels, probs)
    assert common["Num Examples"].tolist() == [15, 0]
    ranked = rank_classes_by_multilabel_quality(labels, probs)
    assert ranked["Label Issues"].tolist() == [14]
    assert ranked["Label Noise"].tolist() == [15 / 22]  # a share of all N, not of the 17 annotated rows
    assert ranked["Label Quality Score"].tolist() == [1 - 15 / 22]


def test_summary_dict_and_no_printing(capsys):
    summary = multilabel_health_summary(LABELS, PRED_PROBS, class_names=["a", "b", "c"], verbose=True)
    assert capsys.readouterr().out == ""
    assert summary["overall_multilabel_health_score"] == pytest.approx(0.8)
    assert list(summary["classes_by_multilabel_quality"])[0] == "Class Name"
    assert len(summary["common_multilabel_issues"]["Class Index"]) == 6
    with pytest.raises(ValueError, match="labels"):
        overall_multilabel_health_score(None, PRED_PROBS)


# ---------------------------------------------------------------------------------------------
# Differential


@needs_ref
@FAST
@given(multilabel_cases(), st.booleans(), st.booleans())
def test_summaries_match_reference(case, with_names, with_joint):
    labels, probs = case
    k = probs.shape[1]
    names = [f"class {c}" for c in range(k)] if with_names else None
    cj = run(ref_count.compute_confident_joint, labels, probs, multi_label=True) if with_joint else None
    if isinstance(cj, type):
        cj = None
    assert_same_frame(
        run(common_multilabel_issues, labels, probs, class_names=names, confident_joint=cj),
        run(ref.common_multilabel_issues, labels, probs, class_names=names, confident_joint=cj),
        "Issue Probability",
    )
    assert_same_frame(
        run(rank_classes_by_multilabel_quality, labels, probs, class_names=names, joint=cj),
        run(ref.rank_classes_by_multilabel_quality, labels, probs, class_names=names, joint=cj),
        "Label Quality Score",
    )
    ours = run(overall_multilabel_health_score, labels, probs, confident_joint=cj)
    theirs = run(ref.overall_multilabel_health_score, labels, probs, confident_joint=cj)
    assert ours == theirs or (isinstance(ours, type) and issubclass(ours, ValueError) and theirs is ValueError)


@needs_ref
@FAST
@given(multilabel_cases(max_n=30, max_k=4), st.booleans())
def test_health_summary_matches_reference(case, with_names):
    labels, probs = case
    names = [f"c{c}" for c in range(probs.shape[1])] if with_names else None
    ours = run(multilabel_health_summary, labels, probs, class_names=names)
    theirs = run(ref.multilabel_health_summary, labels, probs, class_names=names, verbose=False)
    if isinstance(theirs, type) or isinstance(ours, type):
        assert ours is theirs or (issubclass(ours, ValueError) and issubclass(theirs, ValueError))
        return
    assert list(ours) == list(theirs)
    assert ours["overall_multilabel_health_score"] == theirs["overall_multilabel_health_score"]
    assert_same_frame(
        ours["classes_by_multilabel_quality"], theirs["classes_by_multilabel_quality"], "Label Quality Score"
    )
    assert_same_frame(ours["common_multilabel_issues"], theirs["common_multilabel_issues"], "Issue Probability")
