"""Multi-label counting (engine/multilabel/count.py via ``multi_label=True`` in engine/count.py)
and the one-hot conversion (engine/multilabel/_inputs.py).

* golden: thresholds, raw and calibrated confident joints, off-diagonal indices, the joint and
  the issue count of the spec's worked example 1 (§17);
* differential with hypothesis against ``cleanlab.count.*(multi_label=True)`` 2.9.0: exact
  joints and indices, thresholds and joints to 1e-12, including given thresholds (one pair, or
  one per row) and a given confident joint in either memory layout;
* errors and the one-hot edge cases.
"""

from __future__ import annotations

import numpy as np
import pytest
from engine_multilabel_cases import (
    LABELS,
    MANY,
    PRED_PROBS,
    assert_same,
    multilabel_cases,
    needs_ref,
    reference_on_one_core,  # noqa: F401 - autouse fixture
    run,
)
from hypothesis import given
from hypothesis import strategies as st

from cleanaudit.engine import (
    calibrate_confident_joint,
    compute_confident_joint,
    estimate_joint,
    get_confident_thresholds,
    num_label_issues,
)
from cleanaudit.engine.multilabel import labels_to_onehot

try:
    import cleanlab.count as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

RAW = [[[4, 0], [1, 3]], [[5, 1], [1, 3]], [[3, 0], [0, 2]]]
CALIBRATED = [[[6, 0], [1, 3]], [[5, 1], [1, 3]], [[6, 0], [0, 4]]]


# ---------------------------------------------------------------------------------------------
# Golden: spec §17, Example 1


def test_worked_example_thresholds():
    t = get_confident_thresholds(LABELS, PRED_PROBS, multi_label=True)
    assert t.dtype == np.float64
    assert t.tolist() == [[0.75, 0.6125], [0.7000000000000001, 0.6], [0.8083333333333332, 0.6125]]


def test_worked_example_confident_joints():
    raw, off = compute_confident_joint(
        LABELS, PRED_PROBS, multi_label=True, calibrate=False, return_indices_of_off_diagonals=True
    )
    assert raw.dtype == np.int64 and raw.tolist() == RAW
    assert [x.tolist() for x in off] == [[7], [1, 7], []]
    cal = compute_confident_joint(LABELS, PRED_PROBS, multi_label=True)
    assert cal.tolist() == CALIBRATED
    assert calibrate_confident_joint(raw, LABELS, multi_label=True).tolist() == CALIBRATED
    joint = estimate_joint(LABELS, PRED_PROBS, multi_label=True)
    assert joint.dtype == np.float64
    np.testing.assert_allclose(joint, np.array(CALIBRATED) / 10, rtol=0, atol=1e-15)
    assert num_label_issues(LABELS, PRED_PROBS, multi_label=True) == 2
    # estimation_method is ignored in multi-label mode, even when it is not a valid name.
    assert num_label_issues(LABELS, PRED_PROBS, multi_label=True, estimation_method="bogus") == 2


def test_never_annotated_class_slice():
    probs = np.column_stack([PRED_PROBS, np.linspace(0.1, 0.9, 10)])
    raw = compute_confident_joint(LABELS, probs, multi_label=True, calibrate=False)
    assert raw[3, 1].tolist() == [0, 1]  # the diagonal is forced up to 1
    assert compute_confident_joint(LABELS, probs, multi_label=True)[3].tolist() == [[10, 0], [0, 0]]
    assert get_confident_thresholds(LABELS, probs, multi_label=True)[3, 1] == 2


def test_given_thresholds_are_one_pair_for_every_class():
    cj = compute_confident_joint(LABELS, PRED_PROBS, multi_label=True, thresholds=[0.5, 0.5], calibrate=False)
    assert cj[0].tolist() == [[5, 1], [1, 3]]  # class 0 guessed at p >= 0.5: rows 4 (not annotated) and 0, 1, 5
    with pytest.raises(ValueError, match="broadcast"):
        compute_confident_joint(LABELS, PRED_PROBS, multi_label=True, thresholds=np.full((3, 2), 0.5))


def test_errors():
    as_array = labels_to_onehot(LABELS, 3)
    for fn in (compute_confident_joint, num_label_issues):
        with pytest.raises((TypeError, ValueError), match="list"):
            fn(as_array, PRED_PROBS, multi_label=True)
    with pytest.raises(TypeError, match="list"):
        calibrate_confident_joint(np.array(RAW), as_array, multi_label=True)
    with pytest.raises(TypeError, match="list"):
        estimate_joint(None, PRED_PROBS, confident_joint=np.array(RAW), multi_label=True)
    with pytest.raises(ValueError, match="list"):  # the reference: a bare assert
        get_confident_thresholds(as_array, PRED_PROBS, multi_label=True)
    with pytest.raises(ValueError, match=r"\(num_classes, 2, 2\)"):
        num_label_issues(LABELS, PRED_PROBS, multi_label=True, confident_joint=np.zeros((4, 2, 2)))


# ---------------------------------------------------------------------------------------------
# One-hot


def test_labels_to_onehot():
    onehot = labels_to_onehot([[2, 0, 2], [], (1,), np.array([1, 0])], 3)
    assert onehot.dtype == np.int64
    assert onehot.tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0], [1, 1, 0]]
    with pytest.warns(UserWarning, match=r"unknown class\(es\) \[-1, 3\] will be ignored"):
        assert labels_to_onehot([[0, 3], [-1]], 3).tolist() == [[1, 0, 0], [0, 0, 0]]
    assert labels_to_onehot([], 2).shape == (0, 2)
    with pytest.raises(ValueError, match="list of list"):
        labels_to_onehot([0, 1], 2)


# ---------------------------------------------------------------------------------------------
# Differential


def _both(fn_ours, fn_ref, *args, tol=1e-12, **kwargs):
    assert_same(run(fn_ours, *args, **kwargs), run(fn_ref, *args, **kwargs), tol=tol, what=kwargs)


@needs_ref
@MANY
@given(multilabel_cases(), st.booleans(), st.booleans())
def test_counting_matches_reference(case, calibrate, indices):
    labels, probs = case
    _both(get_confident_thresholds, ref.get_confident_thresholds, labels, probs, multi_label=True)
    kwargs = dict(multi_label=True, calibrate=calibrate, return_indices_of_off_diagonals=indices)
    _both(compute_confident_joint, ref.compute_confident_joint, labels, probs, **kwargs)
    _both(estimate_joint, ref.estimate_joint, labels, probs, multi_label=True)
    ours = run(num_label_issues, labels, probs, multi_label=True)
    theirs = run(ref.num_label_issues, labels, probs, multi_label=True)
    assert ours == theirs or (isinstance(ours, type) and isinstance(theirs, type) and ours is theirs)


@needs_ref
@MANY
@given(multilabel_cases(), st.sampled_from(["pair", "row_pair", "scalar", "per_row", "per_row_column"]), st.data())
def test_given_thresholds_match_reference(case, shape, data):
    labels, probs = case
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    n = len(labels)
    t = {
        "pair": lambda: rng.random(2).tolist(),
        "row_pair": lambda: rng.random((1, 2)).astype(probs.dtype),
        "scalar": lambda: float(rng.random()),
        "per_row": lambda: rng.random((n, 2)),
        "per_row_column": lambda: rng.random((n, 1)),
    }[shape]()
    kwargs = dict(multi_label=True, thresholds=t, calibrate=data.draw(st.booleans()))
    _both(
        compute_confident_joint,
        ref.compute_confident_joint,
        labels,
        probs,
        return_indices_of_off_diagonals=True,
        **kwargs,
    )


@needs_ref
@MANY
@given(multilabel_cases(), st.integers(0, 2**16), st.booleans())
def test_given_confident_joint_matches_reference(case, seed, from_counting):
    """Calibration sums a slice in memory order: the counting's raw joint is Fortran-ordered per
    slice inside the reference, a user's (K, 2, 2) array is C-ordered; both are compared."""
    labels, probs = case
    k = probs.shape[1]
    if from_counting:
        cj = run(ref.compute_confident_joint, labels, probs, multi_label=True, calibrate=False)
        if isinstance(cj, type):
            return
    else:
        cj = np.random.default_rng(seed).integers(0, 7, (k, 2, 2))
    _both(calibrate_confident_joint, ref.calibrate_confident_joint, cj, labels, multi_label=True)
    _both(estimate_joint, ref.estimate_joint, labels, probs, confident_joint=cj, multi_label=True)
    ours = run(num_label_issues, labels, probs, confident_joint=cj, multi_label=True)  # recomputed: cj ignored
    assert ours == run(ref.num_label_issues, labels, probs, confident_joint=cj, multi_label=True)
