"""Counting (engine/count.py): thresholds, confident joint, calibration, joint, latent estimates.

* golden: the worked example of spec/confident-learning.md section 2.4 and the tutorial
  reference outputs (shared/data/tutorial/reference.json);
* differential: hypothesis-drawn labels and pred_probs (N, K from 2 to 50, missing classes,
  float32 and float64) compared with cleanlab 2.9.0 bit for bit, dtypes and memory layout
  effects included;
* validation errors and the engine's import hygiene.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from engine_cases import FAST, cases
from engine_cases import call_silenced as call_ref
from hypothesis import given
from hypothesis import strategies as st

from cleanaudit.engine.count import (
    calibrate_confident_joint,
    compute_confident_joint,
    estimate_joint,
    estimate_latent,
    estimate_py_and_noise_matrices_from_probabilities,
    get_confident_thresholds,
    num_label_issues,
)

try:
    import cleanlab.count as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")

# Spec section 2.4: 15 examples, K = 3.
LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 0, 1])
PRED_PROBS = np.array(
    [[.9, .05, .05], [.8, .1, .1], [.3, .6, .1], [.5, .25, .25], [.1, .8, .1], [.2, .7, .1], [.7, .2, .1],
     [.3, .4, .3], [.1, .1, .8], [.05, .05, .9], [.6, .1, .3], [.2, .2, .6], [.1, .45, .45], [.1, .1, .8],
     [.34, .33, .33]]
)  # fmt: skip


def call_ours(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            return type(exc)


def assert_identical(ours, theirs) -> None:
    """Same values bit for bit, same dtype and shape (recursing into tuples)."""
    if isinstance(theirs, type):
        assert isinstance(ours, type) and issubclass(ours, Exception), f"reference raised {theirs}, we returned"
        return
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_identical(a, b)
        return
    a, b = np.asarray(ours), np.asarray(theirs)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True), (a, b)


# ---------------------------------------------------------------------------------------------
# Golden: spec section 2.4


def test_worked_example_thresholds_and_joint():
    assert np.allclose(get_confident_thresholds(LABELS, PRED_PROBS), [0.52, 0.486, 0.61], atol=1e-12)
    raw, off = compute_confident_joint(LABELS, PRED_PROBS, calibrate=False, return_indices_of_off_diagonals=True)
    assert raw.tolist() == [[2, 1, 1], [1, 2, 0], [1, 0, 2]]
    assert off.tolist() == [2, 6, 10, 13]
    cal = compute_confident_joint(LABELS, PRED_PROBS)
    assert cal.tolist() == [[3, 1, 1], [2, 3, 0], [2, 0, 3]]
    assert np.allclose(estimate_joint(LABELS, PRED_PROBS), cal / 15, atol=1e-15)


def test_worked_example_counts_and_latent():
    assert num_label_issues(LABELS, PRED_PROBS) == 4
    assert num_label_issues(LABELS, PRED_PROBS, estimation_method="off_diagonal_calibrated") == 6
    py, nm, inv = estimate_latent(compute_confident_joint(LABELS, PRED_PROBS), LABELS)
    assert np.allclose(py, [0.4667, 0.2667, 0.2667], atol=1e-4)
    assert np.allclose(nm, [[0.4286, 0.25, 0.25], [0.2857, 0.75, 0], [0.2857, 0, 0.75]], atol=1e-4)
    assert np.allclose(inv, [[0.6, 0.4, 0.4], [0.2, 0.6, 0], [0.2, 0, 0.6]], atol=1e-12)
    assert np.allclose(nm.sum(axis=0), 1) and np.allclose(inv.sum(axis=0), 1)


# ---------------------------------------------------------------------------------------------
# Golden: the tutorial reference


@pytest.fixture(scope="module")
def tutorial(tutorial_dir):
    labels = pd.read_csv(tutorial_dir / "train.csv")["y_int"].to_numpy()
    probs = np.load(tutorial_dir / "pred_probs_cv3_logreg.npy")
    expected = json.loads((tutorial_dir / "reference.json").read_text())["on_pred_probs_cv3_logreg"]
    return labels, probs, expected


def test_tutorial_thresholds_and_confident_joint(tutorial):
    labels, probs, expected = tutorial
    assert get_confident_thresholds(labels, probs).tolist() == expected["confident_thresholds"]
    assert compute_confident_joint(labels, probs, calibrate=False).tolist() == expected["confident_joint_uncalibrated"]
    assert compute_confident_joint(labels, probs).tolist() == expected["confident_joint_calibrated"]
    assert estimate_joint(labels, probs).tolist() == expected["joint"]


def test_tutorial_latent_and_counts(tutorial):
    labels, probs, expected = tutorial
    py, nm, inv, cj = estimate_py_and_noise_matrices_from_probabilities(labels, probs)
    assert py.tolist() == expected["py"]
    assert nm.tolist() == expected["noise_matrix"]
    assert inv.tolist() == expected["inverse_noise_matrix"]
    assert cj.tolist() == expected["confident_joint_calibrated"]
    assert num_label_issues(labels, probs) == expected["num_label_issues_off_diagonal"]
    calibrated = num_label_issues(labels, probs, estimation_method="off_diagonal_calibrated")
    assert calibrated == expected["num_label_issues_off_diagonal_calibrated"]


# ---------------------------------------------------------------------------------------------
# Differential against cleanlab 2.9.0


@needs_ref
@FAST
@given(cases(min_used=1))
def test_thresholds_and_confident_joint_match_reference(case):
    labels, probs = case
    assert_identical(get_confident_thresholds(labels, probs), ref.get_confident_thresholds(labels, probs))
    for calibrate in (True, False):
        ours = compute_confident_joint(labels, probs, calibrate=calibrate, return_indices_of_off_diagonals=True)
        theirs = call_ref(
            ref.compute_confident_joint, labels, probs, calibrate=calibrate, return_indices_of_off_diagonals=True
        )
        assert_identical(ours, theirs)
    # User thresholds (a list, as the reference accepts)
    thresholds = list(np.random.default_rng(len(labels)).uniform(0.05, 0.6, probs.shape[1]))
    assert_identical(
        compute_confident_joint(labels, probs, thresholds=thresholds),
        ref.compute_confident_joint(labels, probs, thresholds=thresholds),
    )


def test_calibration_of_an_all_zero_joint_stays_zero():
    """The reference clips the total at 1e-100 too: a joint whose rows are all scaled to zero (a
    class absent from the labels, as in multi-label binary views) stays zero instead of 0/0."""
    cj = np.array([[0, 0], [3, 3]])
    assert calibrate_confident_joint(cj, np.array([0, 0])).tolist() == [[0, 0], [0, 0]]


@needs_ref
@FAST
@given(cases(min_used=1), st.booleans())
def test_calibration_and_joint_match_reference(case, fortran):
    labels, probs = case
    raw = ref.compute_confident_joint(labels, probs, calibrate=False)
    # Calibration sums the matrix in memory order: both layouts must give the reference's bits.
    raw = np.asfortranarray(raw) if fortran else np.ascontiguousarray(raw)
    assert_identical(calibrate_confident_joint(raw, labels), ref.calibrate_confident_joint(raw, labels))
    assert_identical(estimate_joint(labels, probs), ref.estimate_joint(labels, probs))
    assert_identical(
        estimate_joint(labels, probs, confident_joint=raw), ref.estimate_joint(labels, probs, confident_joint=raw)
    )
    assert_identical(
        estimate_joint(None, probs, confident_joint=raw), ref.estimate_joint(None, probs, confident_joint=raw)
    )


@needs_ref
@FAST
@given(cases(min_used=1), st.sampled_from(["cnt", "eqn", "marginal", "marginal_ps"]), st.booleans(), st.booleans())
def test_latent_estimates_match_reference(case, py_method, converge, calibrated):
    labels, probs = case
    cj = ref.compute_confident_joint(labels, probs, calibrate=calibrated)
    kwargs = dict(py_method=py_method, converge_latent_estimates=converge)
    ours = call_ours(estimate_latent, cj, labels, **kwargs)
    assert_identical(ours, call_ref(ref.estimate_latent, cj, labels, **kwargs))


@needs_ref
@FAST
@given(cases(min_used=1), st.sampled_from(["cnt", "marginal"]), st.booleans(), st.booleans(), st.booleans())
def test_py_and_noise_matrices_match_reference(case, py_method, converge, calibrate, with_thresholds):
    labels, probs = case
    thresholds = ref.get_confident_thresholds(labels, probs) * 0.9 if with_thresholds else None
    kwargs = dict(thresholds=thresholds, converge_latent_estimates=converge, py_method=py_method, calibrate=calibrate)
    assert_identical(
        estimate_py_and_noise_matrices_from_probabilities(labels, probs, **kwargs),
        call_ref(ref.estimate_py_and_noise_matrices_from_probabilities, labels, probs, **kwargs),
    )


@needs_ref
@FAST
@given(cases())
def test_num_label_issues_matches_reference(case):
    labels, probs = case
    for method in ("off_diagonal", "off_diagonal_calibrated"):
        ours = num_label_issues(labels, probs, estimation_method=method)
        assert ours == call_ref(ref.num_label_issues, labels, probs, estimation_method=method)
    cj = ref.compute_confident_joint(labels, probs, calibrate=False)
    ours = num_label_issues(labels, probs, confident_joint=cj, estimation_method="off_diagonal_custom")
    assert ours == call_ref(
        ref.num_label_issues, labels, probs, confident_joint=cj, estimation_method="off_diagonal_custom"
    )


@needs_ref
@FAST
@given(cases(max_n=400, max_k=40))
def test_block_boundaries_do_not_change_results(case):
    """Tiny row blocks and sort blocks exercise the block-merging code paths."""
    import cleanaudit.engine._group as group_module
    import cleanaudit.engine._util as util_module

    labels, probs = case
    expected = ref.compute_confident_joint(labels, probs, return_indices_of_off_diagonals=True)
    old = util_module._CHUNK_ELEMENTS, group_module._SORT_ROWS
    util_module._CHUNK_ELEMENTS, group_module._SORT_ROWS = 37, 5
    try:
        assert_identical(compute_confident_joint(labels, probs, return_indices_of_off_diagonals=True), expected)
        assert_identical(get_confident_thresholds(labels, probs), ref.get_confident_thresholds(labels, probs))
    finally:
        util_module._CHUNK_ELEMENTS, group_module._SORT_ROWS = old


@needs_ref
def test_float32_thresholds_keep_reference_dtype():
    """float32 means stay float32 unless a missing class (threshold 2) widens them, as in the reference."""
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), 30).astype(np.float32)
    all_classes = np.arange(30) % 3
    assert get_confident_thresholds(all_classes, probs).dtype == np.float32
    assert get_confident_thresholds(all_classes % 2, probs).dtype == np.float64
    two = all_classes % 2
    assert_identical(get_confident_thresholds(two, probs), ref.get_confident_thresholds(two, probs))


# ---------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("labels", "probs", "message"),
    [
        (np.array([[0], [1]]), np.array([[0.5, 0.5], [0.5, 0.5]]), "1D"),
        (np.array([0, 1, 1]), np.array([[0.5, 0.5], [0.5, 0.5]]), "same length"),
        (np.array([0, 2]), np.array([[0.5, 0.5], [0.5, 0.5]]), "at least 3 columns"),
        (np.array([0, -1]), np.array([[0.5, 0.5], [0.5, 0.5]]), "positive integers"),
        (np.array(["a", "b"]), np.array([[0.5, 0.5], [0.5, 0.5]]), "strings"),
        (np.array([0.0, 1.0]), np.array([[0.5, 0.5], [0.5, 0.5]]), "integer"),
        (np.array([0, 1]), np.array([0.5, 0.5]), "num_examples x num_classes"),
    ],
)
def test_bad_inputs_raise_value_error(labels, probs, message):
    for fn in (get_confident_thresholds, compute_confident_joint, num_label_issues):
        with pytest.raises(ValueError, match=message):
            fn(labels, probs)


def test_out_of_range_and_bad_method_raise():
    probs = np.array([[0.5, 0.5], [1.2, -0.2]])
    with pytest.raises(ValueError, match="between 0 and 1"):
        num_label_issues(np.array([0, 1]), probs)
    with pytest.raises(ValueError, match="between 0 and 1"):
        num_label_issues(np.array([0, 1]), probs, estimation_method="off_diagonal_calibrated")
    good = np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(ValueError, match="estimation method"):
        num_label_issues(np.array([0, 1]), good, estimation_method="bogus")
    with pytest.raises(ValueError, match="confident_joint"):
        num_label_issues(np.array([0, 1]), good, estimation_method="off_diagonal_custom")
    with pytest.raises(ValueError, match="py_method"):
        estimate_latent(np.eye(2, dtype=int), np.array([0, 1]), py_method="bogus")
    with pytest.raises(ValueError, match="at least 2 classes"):
        num_label_issues(np.array([1, 1]), good)
    with pytest.raises(TypeError, match="numpy array"):
        num_label_issues(np.array([0, 1]), good.tolist())


def test_off_diagonal_ignores_confident_joint_with_warning():
    with pytest.warns(UserWarning, match="ignored"):
        n = num_label_issues(LABELS, PRED_PROBS, confident_joint=np.eye(3, dtype=int))
    assert n == 4


def test_engine_imports_no_pandas_typer_or_rich():
    code = (
        "import sys, cleanaudit.engine\n"
        "bad = [m for m in ('pandas', 'typer', 'rich', 'cleanlab', 'sklearn', 'scipy') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"cleanaudit.engine imported: {out.stdout.strip()}"
