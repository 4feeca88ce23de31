"""Dataset-level summaries (engine/dataset.py), compared with cleanlab 2.9.0.

The engine returns column dicts where the reference returns DataFrames: ``pd.DataFrame(ours)``
must equal the reference frame exactly, row order included (pandas' unstable quicksort and its
descending-order trick decide ties, which are common here: many pairs have probability 0).
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanaudit.engine.dataset import (
    find_overlapping_classes,
    health_summary,
    overall_label_health_score,
    rank_classes_by_label_quality,
    top_overlapping_classes,
)

try:
    import cleanlab.dataset as ref
    from cleanlab.count import compute_confident_joint as ref_confident_joint
    from cleanlab.count import estimate_joint as ref_joint
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")
FAST = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw, max_n: int = 50, max_k: int = 50):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, k = draw(st.integers(2, max_n)), draw(st.integers(2, max_k))
    used = rng.choice(k, size=draw(st.integers(2, k)), replace=False)
    labels = rng.choice(used, size=n)
    if len(np.unique(labels)) < 2:
        labels[:2] = used[:2]
    probs = rng.dirichlet(np.full(k, draw(st.sampled_from([0.3, 1.0, 3.0]))), size=n)
    if draw(st.booleans()):
        probs[np.arange(n), labels] += rng.random(n)
        probs /= probs.sum(axis=1, keepdims=True)
    names = [f"class {i}" for i in range(k)] if draw(st.booleans()) else None
    return labels, probs.astype(draw(st.sampled_from([np.float64, np.float32]))), names


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def assert_frame(ours: dict, theirs: pd.DataFrame) -> None:
    assert list(ours) == list(theirs.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(ours), theirs, check_exact=True, check_dtype=False)
    for name in ours:  # integer columns stay integer, float columns float
        assert np.asarray(ours[name]).dtype.kind == theirs[name].to_numpy().dtype.kind or name.startswith("Class Name")


def input_forms(labels, probs):
    """The three ways to describe the data, plus a coarse joint that is full of ties."""
    cj = ref_confident_joint(labels, probs)
    joint = ref_joint(labels, probs)
    coarse = np.random.default_rng(len(labels)).integers(0, 3, joint.shape)
    coarse[0, 0] += 1  # never all zeros
    return [
        dict(labels=labels, pred_probs=probs),
        dict(joint=joint, num_examples=len(labels)),
        dict(confident_joint=cj, num_examples=int(cj.sum())),
        dict(confident_joint=coarse, num_examples=int(coarse.sum())),
        dict(joint=coarse / coarse.sum(), num_examples=int(coarse.sum())),
        dict(labels=labels, pred_probs=probs, confident_joint=cj),
    ]


# ---------------------------------------------------------------------------------------------
# Differential


@needs_ref
@FAST
@given(cases())
def test_rank_classes_matches_reference(case):
    labels, probs, names = case
    for form in input_forms(labels, probs):
        ours = rank_classes_by_label_quality(class_names=names, **form)
        assert_frame(ours, quiet(ref.rank_classes_by_label_quality, class_names=names, **form))


@needs_ref
@FAST
@given(cases(), st.booleans())
def test_overlapping_classes_match_reference(case, asymmetric):
    labels, probs, names = case
    for form in input_forms(labels, probs):
        ours = find_overlapping_classes(asymmetric=asymmetric, class_names=names, **form)
        assert_frame(ours, quiet(ref.find_overlapping_classes, asymmetric=asymmetric, class_names=names, **form))
    # The confident joint alone (its total is the number of examples).
    cj = ref_confident_joint(labels, probs)
    ours = find_overlapping_classes(confident_joint=cj, asymmetric=asymmetric)
    assert_frame(ours, quiet(ref.find_overlapping_classes, confident_joint=cj, asymmetric=asymmetric))


@needs_ref
@FAST
@given(cases(max_n=300, max_k=120), st.booleans(), st.integers(0, 150))
def test_top_overlapping_classes_is_the_head_of_the_reference(case, asymmetric, top):
    # The kept pairs are the reference's first rows exactly: ties (most pairs are 0) included.
    labels, probs, names = case
    for form in input_forms(labels, probs):
        theirs = quiet(ref.find_overlapping_classes, asymmetric=asymmetric, class_names=names, **form)
        ours, num_pairs = top_overlapping_classes(top=top, asymmetric=asymmetric, class_names=names, **form)
        assert num_pairs == len(theirs)
        assert_frame(ours, theirs.head(top))


@needs_ref
@pytest.mark.parametrize("asymmetric", [False, True])
def test_top_overlapping_classes_with_many_classes_and_ties(asymmetric):
    rng = np.random.default_rng(5)
    k, n = 500, 1500
    labels = rng.permutation(np.arange(n) % k)
    probs = rng.gamma(0.05, size=(n, k))
    probs[np.arange(n), labels] += 2 * probs.sum(axis=1)
    probs /= probs.sum(axis=1, keepdims=True)
    theirs = quiet(ref.find_overlapping_classes, labels, probs, asymmetric=asymmetric)
    ours, num_pairs = top_overlapping_classes(labels, probs, asymmetric=asymmetric, top=100)
    assert num_pairs == len(theirs) == (k * (k - 1) if asymmetric else k * (k - 1) // 2)
    assert_frame(ours, theirs.head(100))
    assert (np.diff(ours["Joint Probability"]) == 0).any()  # the head does hold ties
    everything, _ = top_overlapping_classes(labels, probs, asymmetric=asymmetric, top=None)
    assert_frame(everything, theirs)


@needs_ref
@FAST
@given(cases())
def test_health_score_matches_reference(case):
    labels, probs, _ = case
    for form in input_forms(labels, probs) + [dict(confident_joint=ref_confident_joint(labels, probs))]:
        ours = overall_label_health_score(verbose=False, **form)
        assert ours == quiet(ref.overall_label_health_score, verbose=False, **form)


@needs_ref
@FAST
@given(cases(), st.booleans())
def test_health_summary_matches_reference(case, asymmetric):
    labels, probs, names = case
    for form in (
        dict(labels=labels, pred_probs=probs),
        dict(labels=labels, pred_probs=probs, confident_joint=ref_confident_joint(labels, probs)),
    ):
        ours = health_summary(asymmetric=asymmetric, class_names=names, verbose=False, **form)
        theirs = quiet(ref.health_summary, asymmetric=asymmetric, class_names=names, verbose=True, **form)
        assert list(ours) == list(theirs)
        assert ours["overall_label_health_score"] == theirs["overall_label_health_score"]
        assert np.array_equal(ours["joint"], theirs["joint"])
        assert_frame(ours["classes_by_label_quality"], theirs["classes_by_label_quality"])
        assert_frame(ours["overlapping_classes"], theirs["overlapping_classes"])


# ---------------------------------------------------------------------------------------------
# Golden: the tutorial reference


@pytest.fixture(scope="module")
def tutorial(tutorial_dir):
    labels = pd.read_csv(tutorial_dir / "train.csv")["y_int"].to_numpy()
    probs = np.load(tutorial_dir / "pred_probs_cv3_logreg.npy")
    reference = json.loads((tutorial_dir / "reference.json").read_text())
    return labels, probs, reference


NAMES = ["purple", "blue", "seafoam green", "yellow"]


def test_tutorial_health_overlap_and_ranking(tutorial):
    labels, probs, reference = tutorial
    expected = reference["on_pred_probs_cv3_logreg"]
    assert overall_label_health_score(labels, probs) == expected["overall_label_health_score"] == 0.756
    overlap = find_overlapping_classes(labels, probs, class_names=NAMES)
    assert pd.DataFrame(overlap).to_dict("list") == expected["find_overlapping_classes"]["columns"]
    ranking = rank_classes_by_label_quality(labels, probs, class_names=NAMES)
    assert pd.DataFrame(ranking).to_dict("list") == expected["rank_classes_by_label_quality"]["columns"]


def test_tutorial_cv5_confident_joint_forms(tutorial):
    _, _, reference = tutorial
    expected = reference["on_pred_probs_cv5_seed0_logreg"]
    cj = np.array(expected["confident_joint_calibrated"])
    assert overall_label_health_score(confident_joint=cj) == expected["overall_label_health_score_from_confident_joint"]
    top = find_overlapping_classes(confident_joint=cj, class_names=NAMES)
    first = expected["overlapping_classes_from_confident_joint"][0]
    assert {name: np.asarray(col)[0].item() for name, col in top.items()} == first


# ---------------------------------------------------------------------------------------------
# Behaviour beyond the reference, and errors


def test_by_hand_and_where_the_reference_raises():
    cj = np.array([[8, 2], [1, 9]])
    # The reference cannot rank from a confident joint alone (it raises); we use its total.
    ranking = rank_classes_by_label_quality(confident_joint=cj)
    assert ranking["Class Index"].tolist() == [0, 1]
    assert ranking["Label Issues"].tolist() == [2, 1]
    assert np.allclose(ranking["Label Quality Score"], [0.8, 0.9])
    summary = health_summary(confident_joint=cj)
    assert summary["overall_label_health_score"] == overall_label_health_score(confident_joint=cj)
    assert set(summary) == {"overall_label_health_score", "joint", "classes_by_label_quality", "overlapping_classes"}


def test_errors():
    with pytest.raises(ValueError, match="num_examples"):
        rank_classes_by_label_quality(joint=np.eye(2) / 2)
    with pytest.raises(ValueError, match="labels and pred_probs"):
        find_overlapping_classes()
    with pytest.raises(ValueError, match="NaN"):
        find_overlapping_classes(joint=np.full((2, 2), np.nan), num_examples=3)
    with pytest.raises(ValueError, match="multi_label"):
        rank_classes_by_label_quality(confident_joint=np.eye(2, dtype=int), multi_label=True)


def test_never_prints(capsys):
    cj = np.array([[8, 2], [1, 9]])
    overall_label_health_score(confident_joint=cj, verbose=True)
    health_summary(confident_joint=cj, verbose=True)
    assert capsys.readouterr().out == ""
