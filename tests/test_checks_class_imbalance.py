"""The class_imbalance check: the rarest class against an even share, as the reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cleanaudit.checks.base import REGISTRY, CheckInputs
from cleanaudit.checks.class_imbalance import class_imbalance_scores, run

DEFAULTS = REGISTRY["class_imbalance"].params


@pytest.fixture(scope="module")
def Datalab():
    from cleanlab.datalab.datalab import Datalab  # the test extra installs cleanlab[datalab]

    return Datalab


def _reference(Datalab, names, **kwargs):
    lab = Datalab(data={"y": names}, label_name="y", verbosity=0)
    lab.find_issues(issue_types={"class_imbalance": kwargs})
    return lab.get_issues("class_imbalance"), lab.get_issue_summary()["score"].item(), lab.get_info("class_imbalance")


def _run(names, **params):
    classes, codes = np.unique(names, return_inverse=True)
    return run(CheckInputs(len(codes), classes.tolist(), labels=codes), {**DEFAULTS, **params})


def test_registered_with_spec_defaults():
    spec = REGISTRY["class_imbalance"]
    assert spec.needs == () and spec.needs_labels and dict(spec.params) == {"threshold": 0.1}


@pytest.mark.parametrize(
    "counts, threshold",
    [({"cat": 50, "dog": 48, "eel": 2}, 0.1), ({"cat": 30, "dog": 30, "eel": 40}, 0.1), ({"a": 10, "b": 3}, 0.7)],
)
def test_matches_reference(Datalab, counts, threshold):
    names = np.random.default_rng(0).permutation(np.repeat(list(counts), list(counts.values())))
    res = _run(names, threshold=threshold)
    issues, score, info = _reference(Datalab, names, threshold=threshold)
    np.testing.assert_array_equal(res.is_issue, issues["is_class_imbalance_issue"])
    np.testing.assert_allclose(res.score, issues["class_imbalance_score"], rtol=0, atol=1e-12)
    assert res.summary_score == pytest.approx(score, abs=1e-12)
    # The reference names the rarest class only when it flags it ("NA" otherwise); we always do.
    assert info["Rarest Class"] == (res.info["rarest_class"] if res.num_issues else "NA")


def test_flags_only_a_class_far_below_an_even_share():
    res = _run(np.array(["a"] * 50 + ["b"] * 48 + ["c"] * 2))
    assert res.info["rarest_class"] == "c" and res.num_issues == 2  # 0.02 < 0.1 / 3
    assert res.summary_score == 0.02 and res.score[-1] == 0.02 and (res.score[:98] == 1).all()
    res = _run(np.array(["a"] * 50 + ["b"] * 46 + ["c"] * 4))
    assert res.num_issues == 0 and res.summary_score == 0.04  # 0.04 >= 0.1 / 3


def test_ties_go_to_the_lower_class_and_two_classes():
    res = _run(np.array(["x", "y"] * 10))
    assert res.info["rarest_class"] == "x" and res.summary_score == 0.5 and res.num_issues == 0
    assert (res.score[::2] == 0.5).all() and (res.score[1::2] == 1.0).all()


def test_one_class_and_one_row():
    flags, scores, rarest, p = class_imbalance_scores(np.zeros(5, int), 1)
    assert not flags.any() and (scores == 1.0).all() and (rarest, p) == (0, 1.0)
    res = _run(np.array(["only"]))
    assert res.summary_score == 1.0 and res.num_issues == 0


def test_tutorial(tutorial_dir, reference):
    data = pd.read_csv(tutorial_dir / "train.csv")
    res = _run(data["y"].to_numpy())
    expected = reference["on_pred_probs_cv3_logreg"]["audit_with_features_x1_x2"]
    assert res.num_issues == expected["num_issues_by_type"]["class_imbalance"] == 0
    assert res.summary_score == pytest.approx(expected["score_by_type"]["class_imbalance"], abs=1e-12)
    assert res.info == {"threshold": 0.1, "rarest_class": "yellow", "rarest_class_fraction": 0.196}
