"""The label check: confident learning on pred_probs, or on k-NN votes, against the reference."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from cleanaudit import engine
from cleanaudit.checks.base import REGISTRY, CheckInputs
from cleanaudit.checks.graph.knn import SharedKnn
from cleanaudit.checks.label import run

DEFAULTS = REGISTRY["label"].params


@pytest.fixture(scope="module")
def Datalab():
    from cleanlab.datalab.datalab import Datalab  # the test extra installs cleanlab[datalab]

    return Datalab


@pytest.fixture(scope="module")
def tutorial(tutorial_dir):
    data = pd.read_csv(tutorial_dir / "train.csv")
    return data, np.load(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")


def _inputs(names, pred_probs=None, x=None):
    classes, codes = np.unique(names, return_inverse=True)
    return CheckInputs(
        len(codes),
        classes.tolist(),
        labels=codes,
        pred_probs=pred_probs,
        features=x,
        knn=SharedKnn(x) if x is not None else None,
    )


def _reference(Datalab, names, **data):
    lab = Datalab(data={"y": names}, label_name="y", verbosity=0)
    lab.find_issues(**data, issue_types={"label": {}})
    return lab.get_issues("label"), lab.get_issue_summary()["score"].item(), lab.get_info("label")


def _reference_knn_probs(x, codes, k=10):
    """The spec's k-NN pred_probs: a (k+1)-NN classifier in-sample, own vote removed."""
    from sklearn.neighbors import KNeighborsClassifier

    probs = KNeighborsClassifier(n_neighbors=k + 1).fit(x, codes).predict_proba(x)
    return (probs - np.eye(probs.shape[1])[codes] / (k + 1)) * (k + 1) / k


def _assert_same(res, issues, score, info):
    np.testing.assert_array_equal(res.is_issue, issues["is_label_issue"])
    np.testing.assert_allclose(res.score, issues["label_score"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(res.columns["given_label"], issues["given_label"])
    np.testing.assert_array_equal(res.columns["predicted_label"], issues["predicted_label"])
    assert res.summary_score == pytest.approx(score, abs=1e-12)
    assert res.info["num_label_issues"] == info["num_label_issues"]
    assert res.info["average_label_quality"] == pytest.approx(info["average_label_quality"], abs=1e-12)
    for key in ("py", "noise_matrix", "inverse_noise_matrix", "confident_thresholds"):
        np.testing.assert_allclose(res.info[key], info[key], rtol=0, atol=1e-12, err_msg=key)
    np.testing.assert_array_equal(res.info["confident_joint"], info["confident_joint"])
    classes = pd.DataFrame(res.info["classes_by_label_quality"])
    expected = info["classes_by_label_quality"]
    assert classes["class"].tolist() == expected["Class Name"].tolist()
    assert classes["label_issues"].tolist() == expected["Label Issues"].tolist()
    np.testing.assert_allclose(classes["label_quality_score"], expected["Label Quality Score"], rtol=0, atol=1e-12)
    overlap = pd.DataFrame(res.info["overlapping_classes"])
    expected = info["overlapping_classes"]
    assert list(zip(overlap["class_a"], overlap["class_b"])) == list(
        zip(expected["Class Name A"], expected["Class Name B"])
    )
    np.testing.assert_allclose(overlap["joint_probability"], expected["Joint Probability"], rtol=0, atol=1e-12)


def test_registered_with_spec_defaults():
    spec = REGISTRY["label"]
    assert spec.needs == ("pred_probs", "features") and spec.needs_labels
    assert dict(spec.params) == {
        "k": 10,
        "filter_by": "prune_by_noise_rate",
        "min_examples_per_class": 10,
        "rank_by": "self_confidence",
    }


def test_tutorial_with_pred_probs(Datalab, tutorial, reference):
    data, pred_probs = tutorial
    names = data["y"].to_numpy()
    res = run(_inputs(names, pred_probs), DEFAULTS)
    expected = reference["on_pred_probs_cv3_logreg"]
    assert res.num_issues == expected["audit_with_features_x1_x2"]["num_issues_by_type"]["label"] == 64
    assert res.summary_score == pytest.approx(0.756, abs=1e-12)
    assert np.flatnonzero(res.is_issue).tolist() == expected["find_label_issues"]["prune_by_noise_rate"]["indices"]
    _assert_same(res, *_reference(Datalab, names, pred_probs=pred_probs))
    json.dumps(res.info)


def test_knn_probabilities_are_the_reference_formula_bit_for_bit():
    rng = np.random.default_rng(0)
    for d in (2, 5):  # the shared graph is euclidean, then cosine (a euclidean graph is built)
        x = rng.normal(size=(150, d))
        codes = rng.integers(0, 3, 150)
        res = run(_inputs(codes, x=x), DEFAULTS)
        expected = _reference_knn_probs(x, codes)
        np.testing.assert_array_equal(res.score, expected[np.arange(150), codes])
        assert res.info["pred_probs_source"] == "knn" and res.info["metric"] == "euclidean"


def test_features_only_matches_reference(Datalab, tutorial):
    data, _ = tutorial
    names, x = data["y"].to_numpy(), data[["x1", "x2"]].to_numpy()
    res = run(_inputs(names, x=x), DEFAULTS)
    issues, score, info = _reference(Datalab, names, features=x)
    _assert_same(res, issues, score, info)


def test_features_only_flags_follow_the_engine(Datalab):
    # Vote probabilities tie a lot; here every flag must still be the engine's on the same pred_probs.
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 5))
    codes = (x[:, 0] + rng.normal(size=300) > 0).astype(int) + (x[:, 1] > 1)
    res = run(_inputs(codes, x=x), DEFAULTS)
    probs = _reference_knn_probs(x, codes)
    np.testing.assert_array_equal(res.is_issue, engine.find_label_issues(codes, probs, min_examples_per_class=10))
    issues, score, info = _reference(Datalab, codes, features=x)
    np.testing.assert_allclose(res.score, issues["label_score"], rtol=0, atol=1e-12)
    assert res.summary_score == pytest.approx(score, abs=1e-12)
    np.testing.assert_array_equal(res.is_issue, issues["is_label_issue"])


def test_parameters_reach_the_engine(tutorial):
    data, pred_probs = tutorial
    names = data["y"].to_numpy()
    codes = np.unique(names, return_inverse=True)[1]
    params = {**DEFAULTS, "filter_by": "confident_learning", "rank_by": "normalized_margin"}
    res = run(_inputs(names, pred_probs), params)
    assert res.num_issues == engine.num_label_issues(codes, pred_probs) == 61
    margins = engine.get_label_quality_scores(codes, pred_probs, method="normalized_margin")
    np.testing.assert_array_equal(res.score, margins)
    assert res.info["filter_by"] == "confident_learning" and res.info["rank_by"] == "normalized_margin"


def test_small_classes_are_never_flagged_but_count_in_the_score():
    # spec 6.3: 15 rows, 3 classes, min_examples_per_class=10: nothing flagged, score from off-diagonal.
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1, 2], 5)
    pred_probs = rng.dirichlet([1, 1, 1], 15)
    res = run(_inputs(codes, pred_probs), DEFAULTS)
    assert res.num_issues == 0 and "min_examples_per_class=10" in res.info["warnings"][0]
    assert res.summary_score == 1 - engine.num_label_issues(codes, pred_probs) / 15 < 1


def test_identical_rows_few_rows_one_feature_two_classes():
    x = np.zeros((8, 1))  # N <= k and every row identical
    names = np.array(["no", "yes"] * 4)
    res = run(_inputs(names, x=x), DEFAULTS)
    assert res.info["k"] == 7 and res.num_issues == 0
    # Copies neighbour each other: each row sees the 7 others, 3 or 4 of its own label.
    assert set(np.round(res.score, 12)) == {round(3 / 7, 12)}
    x = np.arange(40.0)[:, None]
    names = np.where(np.arange(40) < 20, "a", "b")
    names[5] = "b"  # one planted error inside the "a" run
    res = run(_inputs(names, x=x), {**DEFAULTS, "min_examples_per_class": 1})
    assert res.is_issue[5] and res.columns["predicted_label"][5] == "a"
    assert res.columns["given_label"][5] == "b" and res.score[5] == 0.0


def many_classes(n: int = 3000, k: int = 300, seed: int = 0):
    """Labels (10% moved to a nearby class) and peaked pred_probs over many classes: most pairs are 0."""
    rng = np.random.default_rng(seed)
    true = rng.permutation(np.arange(n) % k)
    labels = true.copy()
    flip = rng.choice(n, n // 10, replace=False)
    labels[flip] = (true[flip] + rng.integers(1, 4, len(flip))) % k
    probs = rng.gamma(0.05, size=(n, k))
    probs[np.arange(n), true] += rng.uniform(0.5, 4.0, n) * probs.sum(axis=1)
    return labels, probs / probs.sum(axis=1, keepdims=True)


def test_many_classes_keep_the_largest_pairs_and_per_class_lists():
    from cleanlab.dataset import find_overlapping_classes as reference_overlap

    from cleanaudit.checks.label import CONFUSED_CLASSES, MATRICES, MAX_PAIRS

    labels, probs = many_classes()
    k = probs.shape[1]
    names = [f"c{i:03d}" for i in range(k)]
    res = run(CheckInputs(len(labels), names, labels=labels, pred_probs=probs), DEFAULTS)
    info = res.info
    total = k * (k - 1) // 2
    assert len(info["overlapping_classes"]) == MAX_PAIRS
    assert info["overlapping_pairs_total"] == total and info["overlapping_pairs_left_out"] == total - MAX_PAIRS
    # Exactly the reference's first rows of the full computation, ties included.
    theirs = reference_overlap(labels, probs, class_names=names).head(MAX_PAIRS)
    kept = pd.DataFrame(info["overlapping_classes"])
    assert list(zip(kept["class_a"], kept["class_b"])) == list(zip(theirs["Class Name A"], theirs["Class Name B"]))
    assert kept["num_overlapping_examples"].tolist() == theirs["Num Overlapping Examples"].tolist()
    assert kept["joint_probability"].tolist() == theirs["Joint Probability"].tolist()
    # K x K matrices are left out and named; per-class lists stay complete and equal the engine's.
    assert info["matrices_left_out"] == list(MATRICES) and not set(MATRICES) & set(info)
    ranking = engine.rank_classes_by_label_quality(labels, probs)
    classes = pd.DataFrame(info["classes_by_label_quality"])
    assert classes["class"].tolist() == [names[i] for i in ranking["Class Index"]]
    assert classes["label_quality_score"].tolist() == ranking["Label Quality Score"].tolist()
    assert len(info["py"]) == len(info["confident_thresholds"]) == k
    # A small summary of the joint: the block of the most confused classes.
    block = info["most_confused_classes"]
    chosen = [names.index(c) for c in block["classes"]]
    assert len(chosen) == CONFUSED_CLASSES and chosen == sorted(chosen)
    joint = engine.estimate_joint(labels, probs)
    np.testing.assert_array_equal(block["joint"], joint[np.ix_(chosen, chosen)])
    assert 0 < block["off_diagonal_share"] <= 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # most classes are too small to flag, as the check reports
        flagged = engine.find_label_issues(
            labels, probs, min_examples_per_class=10, confident_joint=engine.compute_confident_joint(labels, probs)
        )
    np.testing.assert_array_equal(res.is_issue, flagged)
    assert len(json.dumps(info)) < 200_000


def test_few_classes_keep_everything(tutorial):
    data, pred_probs = tutorial
    res = run(_inputs(data["y"].to_numpy(), pred_probs), DEFAULTS)
    assert res.info["matrices_left_out"] == [] and res.info["overlapping_pairs_left_out"] == 0
    assert res.info["overlapping_pairs_total"] == len(res.info["overlapping_classes"]) == 6
    assert "most_confused_classes" not in res.info
