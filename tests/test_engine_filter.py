"""find_label_issues (engine/filter.py): the seven filter_by methods and their options.

* golden: spec section 2.4 and the tutorial reference (indices per filter_by);
* differential with hypothesis against cleanlab 2.9.0 (``n_jobs=1``): masks and ranked indices
  must be identical for continuous probabilities (no ties), for every filter_by and option;
* the internal fast paths (tiny row blocks, the sparse top-margin search, long-row code paths)
  are forced on small inputs so that they are compared with the reference too;
* validation errors.
"""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pandas as pd
import pytest
from engine_cases import FAST, cases
from engine_cases import call_silenced as run
from hypothesis import given
from hypothesis import strategies as st

import cleanaudit.engine._group as group_module
import cleanaudit.engine._prune as prune_module
import cleanaudit.engine._scan as scan_module
import cleanaudit.engine._util as util_module
from cleanaudit.engine.filter import FILTER_BY, find_label_issues

try:
    import cleanlab.filter as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")
PRUNING = ("prune_by_noise_rate", "prune_by_class", "both")
RANK_BY = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")

LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 0, 1])
PRED_PROBS = np.array(
    [[.9, .05, .05], [.8, .1, .1], [.3, .6, .1], [.5, .25, .25], [.1, .8, .1], [.2, .7, .1], [.7, .2, .1],
     [.3, .4, .3], [.1, .1, .8], [.05, .05, .9], [.6, .1, .3], [.2, .2, .6], [.1, .45, .45], [.1, .1, .8],
     [.34, .33, .33]]
)  # fmt: skip


def assert_same_issues(labels, probs, **kwargs) -> None:
    ours = run(find_label_issues, labels, probs, **kwargs)
    theirs = run(ref.find_label_issues, labels, probs, n_jobs=1, **kwargs)
    if isinstance(theirs, type) or isinstance(ours, type):
        assert isinstance(ours, type) and isinstance(theirs, type), (kwargs, ours, theirs)
        assert issubclass(ours, ValueError) == issubclass(theirs, ValueError), (ours, theirs)
        return
    assert ours.dtype == theirs.dtype, kwargs
    assert np.array_equal(ours, theirs), (kwargs, np.flatnonzero(ours != theirs) if ours.shape == theirs.shape else 0)


# ---------------------------------------------------------------------------------------------
# Golden


@pytest.mark.parametrize(
    ("filter_by", "expected"),
    [
        ("prune_by_noise_rate", [2, 6, 10, 13, 14]),
        ("prune_by_class", [2, 6, 10, 13, 14]),
        ("both", [2, 6, 10, 13, 14]),
        ("confident_learning", [2, 6, 10, 13]),
        ("predicted_neq_given", [2, 6, 10, 13, 14]),
        ("low_normalized_margin", [2, 6, 10, 13]),
        ("low_self_confidence", [2, 6, 10, 13]),
    ],
)
def test_worked_example(filter_by, expected):
    mask = find_label_issues(LABELS, PRED_PROBS, filter_by=filter_by)
    assert mask.dtype == bool and mask.shape == (15,)
    assert np.flatnonzero(mask).tolist() == expected


def test_worked_example_ranked_and_tolerance():
    ranked = find_label_issues(LABELS, PRED_PROBS, return_indices_ranked_by="self_confidence")
    assert ranked.tolist() == [13, 6, 2, 10, 14]
    # Example 12 ([.1, .45, .45], label 2) is chosen by prune_by_class but its label ties the top
    # prediction within 1e-6, so it is not reported.
    assert not find_label_issues(LABELS, PRED_PROBS, filter_by="prune_by_class")[12]


@pytest.fixture(scope="module")
def tutorial(tutorial_dir):
    labels = pd.read_csv(tutorial_dir / "train.csv")["y_int"].to_numpy()
    probs = np.load(tutorial_dir / "pred_probs_cv3_logreg.npy")
    expected = json.loads((tutorial_dir / "reference.json").read_text())["on_pred_probs_cv3_logreg"]
    return labels, probs, expected["find_label_issues"]


@pytest.mark.parametrize("filter_by", FILTER_BY)
def test_tutorial_indices(tutorial, filter_by):
    labels, probs, expected = tutorial
    found = np.flatnonzero(find_label_issues(labels, probs, filter_by=filter_by))
    assert found.tolist() == expected[filter_by]["indices"]
    assert len(found) == expected[filter_by]["num_issues"]


def test_tutorial_float32_input_stays_consistent(tutorial):
    labels, probs, expected = tutorial
    found = np.flatnonzero(find_label_issues(labels, probs.astype(np.float32)))
    # float32 rounding may move a borderline example; the bulk must agree with the float64 answer.
    assert len(set(found) ^ set(expected["prune_by_noise_rate"]["indices"])) <= 2


# ---------------------------------------------------------------------------------------------
# Differential


@needs_ref
@FAST
@given(cases(), st.sampled_from(FILTER_BY))
def test_masks_match_reference(case, filter_by):
    labels, probs = case
    assert_same_issues(labels, probs, filter_by=filter_by)


@needs_ref
@FAST
@given(cases(), st.sampled_from(PRUNING), st.sampled_from([0.2, 0.5, 0.77, 0.9]), st.integers(0, 6))
def test_frac_noise_and_min_examples_match_reference(case, filter_by, frac_noise, min_examples):
    labels, probs = case
    assert_same_issues(labels, probs, filter_by=filter_by, frac_noise=frac_noise, min_examples_per_class=min_examples)


@needs_ref
@FAST
@given(cases(), st.sampled_from(PRUNING), st.data())
def test_num_to_remove_per_class_matches_reference(case, filter_by, data):
    labels, probs = case
    counts = np.bincount(labels, minlength=probs.shape[1])
    remove = [data.draw(st.integers(0, max(1, int(c) // 2))) for c in counts]
    assert_same_issues(labels, probs, filter_by=filter_by, num_to_remove_per_class=remove)


@needs_ref
@FAST
@given(cases(), st.sampled_from(FILTER_BY), st.sampled_from(RANK_BY), st.booleans())
def test_ranked_indices_match_reference(case, filter_by, rank_by, adjust):
    labels, probs = case
    kwargs = {"adjust_pred_probs": True} if adjust and rank_by != "confidence_weighted_entropy" else {}
    if rank_by == "confidence_weighted_entropy" and probs.dtype == np.float32:
        probs = probs.astype(np.float64)  # float32 entropies depend on the C library's logf (see rank tests)
    assert_same_issues(labels, probs, filter_by=filter_by, return_indices_ranked_by=rank_by, rank_by_kwargs=kwargs)


@needs_ref
@FAST
@given(cases(), st.sampled_from(PRUNING + ("predicted_neq_given",)), st.data())
def test_given_confident_joint_matches_reference(case, filter_by, data):
    labels, probs = case
    k = probs.shape[1]
    seed = data.draw(st.integers(0, 2**16))
    cj = np.random.default_rng(seed).integers(0, 5, (k, k))
    assert_same_issues(labels, probs, filter_by=filter_by, confident_joint=cj)


@contextlib.contextmanager
def forced_paths(path: str):
    """Force the internal fast paths on small inputs: tiny row blocks and sort blocks, the sparse
    many-class margin search, and then class blocks ("blocks") or the long-row scan ("long_rows")."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(util_module, "_CHUNK_ELEMENTS", 41)
        mp.setattr(group_module, "_SORT_ROWS", 7)
        mp.setattr(prune_module, "_SPARSE_MIN_K", 2)
        if path == "blocks":
            mp.setattr(prune_module, "_block_rows", lambda _probs: 3)
        if path == "long_rows":
            mp.setattr(scan_module, "_FLAT_MAX_K", 2)
        yield


@needs_ref
@pytest.mark.parametrize("path", ["sparse", "blocks", "long_rows"])
@FAST
@given(case=cases(max_n=120), filter_by=st.sampled_from(FILTER_BY))
def test_internal_paths_match_reference(path, case, filter_by):
    labels, probs = case
    with forced_paths(path):
        assert_same_issues(labels, probs, filter_by=filter_by)
        if filter_by in PRUNING:
            assert_same_issues(labels, probs, filter_by=filter_by, min_examples_per_class=3, frac_noise=0.6)


@needs_ref
def test_fallback_when_counts_reach_past_the_candidates():
    """Low thresholds inflate the calibrated counts beyond the examples with a non-negative margin,
    so the whole class column decides (the tutorial's class 2 does this)."""
    rng = np.random.default_rng(7)
    labels = np.repeat(np.arange(3), 40)
    probs = rng.dirichlet([4.0, 1.0, 1.0], size=120)  # class 0 dominates every row
    probs[80:] = rng.dirichlet([1.0, 1.0, 1.2], size=40)
    for filter_by in PRUNING:
        assert_same_issues(labels, probs, filter_by=filter_by)


def test_singletons_and_single_class_quirks():
    probs = np.array([[0.1, 0.9], [0.8, 0.2], [0.7, 0.3], [0.6, 0.4]])
    # Class 1 has one example, whose label is wrong by far: singletons are never flagged.
    assert not find_label_issues(np.array([1, 0, 0, 0]), probs)[0]
    # A single class is accepted only when every label is 0.
    assert not find_label_issues(np.zeros(4, dtype=int), probs).any()
    with pytest.raises(ValueError, match="at least 2 classes"):
        find_label_issues(np.ones(4, dtype=int), probs)
    with pytest.raises(ValueError, match="at least 2 classes"):
        find_label_issues(np.zeros(4, dtype=int), probs, filter_by="predicted_neq_given")


# ---------------------------------------------------------------------------------------------
# Validation


def test_bad_options_raise_value_error():
    with pytest.raises(ValueError, match="filter_by"):
        find_label_issues(LABELS, PRED_PROBS, filter_by="bogus")
    with pytest.raises(ValueError, match="return_indices_ranked_by"):
        find_label_issues(LABELS, PRED_PROBS, return_indices_ranked_by="bogus")
    with pytest.raises(ValueError, match="num_to_remove_per_class"):
        find_label_issues(LABELS, PRED_PROBS, filter_by="confident_learning", num_to_remove_per_class=[1, 1, 1])
    with pytest.warns(UserWarning, match="frac_noise"):
        find_label_issues(LABELS, PRED_PROBS, filter_by="predicted_neq_given", frac_noise=0.5)
    with pytest.warns(UserWarning, match="confident_joint"):
        find_label_issues(LABELS, PRED_PROBS, filter_by="confident_learning", confident_joint=np.eye(3, dtype=int))
    with pytest.raises(ValueError, match="list"):  # multi_label=True needs a list of label lists
        find_label_issues(LABELS, PRED_PROBS, multi_label=True)


@pytest.mark.parametrize(
    ("labels", "probs", "error", "message"),
    [
        (LABELS[:, None], PRED_PROBS, ValueError, "1D"),
        (LABELS[:-1], PRED_PROBS, ValueError, "same length"),
        (np.where(LABELS == 2, 3, LABELS), PRED_PROBS, ValueError, "at least 4 columns"),
        (LABELS, PRED_PROBS * 1.5, ValueError, "between 0 and 1"),
        (LABELS, PRED_PROBS - 0.5, ValueError, "between 0 and 1"),
        (LABELS, PRED_PROBS.tolist(), TypeError, "numpy array"),
    ],
)
def test_bad_inputs_raise(labels, probs, error, message):
    for filter_by in ("prune_by_noise_rate", "confident_learning", "low_self_confidence"):
        with pytest.raises(error, match=message):
            find_label_issues(labels, probs, filter_by=filter_by)


def test_tolerance_edges_are_accepted():
    probs = PRED_PROBS.copy()
    probs[0] = [1 + 1e-7, -1e-7, 0.0]  # within [-1e-6, 1 + 1e-6]
    assert find_label_issues(LABELS, probs).shape == (15,)


def test_n_jobs_and_verbose_are_accepted_and_silent(capsys):
    a = find_label_issues(LABELS, PRED_PROBS, n_jobs=4, verbose=True)
    assert np.array_equal(a, find_label_issues(LABELS, PRED_PROBS))
    assert capsys.readouterr().out == ""


@needs_ref
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [3, 40])
def test_argmax_tolerance_boundary_matches_reference(dtype, k):
    """Rows where another class beats the label by about 1e-6: the reference keeps the label when it is
    within 1e-6 (computed in pred_probs' dtype) of the top, and breaks exact ties by column order."""
    rng = np.random.default_rng(3)
    n = 60
    labels = np.tile(np.arange(k), n // k + 1)[:n]
    probs = rng.dirichlet(np.ones(k), size=n).astype(dtype)
    deltas = [0.0, 0.5e-6, 1e-6, 1.5e-6, 3e-6, -1e-6]
    # One edited row per (label, class) pair, so that no two margins tie within a class.
    for t in range(min(len(deltas) * 3, k * (k - 1))):
        y, j = t % k, (t % k + 1 + t // k) % k
        i = int(np.flatnonzero(labels == y)[t // k])
        probs[i] = np.minimum(probs[i], dtype(0.2))
        probs[i, y] = dtype(0.4)
        probs[i, j] = probs[i, y] + dtype(deltas[t % len(deltas)])
    for filter_by in FILTER_BY:
        assert_same_issues(labels, probs, filter_by=filter_by)


def test_sparse_margin_search_equals_brute_force():
    """The many-class search returns each column's top margins, including margins exactly on a level."""
    rng = np.random.default_rng(11)
    for trial in range(200):
        n, width = int(rng.integers(1, 60)), int(rng.integers(3, 50))
        sub = rng.dirichlet(np.full(width, 0.3), size=n)
        k = int(rng.integers(width))
        # Put some margins exactly on the search levels.
        for row in rng.choice(n, size=min(n, 5), replace=False):
            level = prune_module._LEVELS[int(rng.integers(len(prune_module._LEVELS)))]
            j = (k + 1 + int(rng.integers(width - 1))) % width
            sub[row, k] = 0.125
            sub[row, j] = 0.125 + level
        cols = np.array([j for j in range(width) if j != k and rng.random() < 0.7], dtype=np.intp)
        if len(cols) == 0:
            continue
        counts = rng.integers(1, 6, size=len(cols))
        chosen, unresolved = prune_module._top_margins_sparse(sub, k, cols, counts)
        expected = set()
        for c, j in enumerate(cols):
            if c in set(unresolved.tolist()):
                continue
            margins = sub[:, j] - sub[:, k]
            order = np.argsort(-margins, kind="stable")[: counts[c]]
            cut = margins[order[-1]]
            assert (margins > cut).sum() < counts[c] <= (margins >= cut).sum()
            if (margins == cut).sum() == 1:  # no tie at the boundary: the choice is determined
                expected |= set(order.tolist())
        got = set(chosen.tolist())
        determined = {p for p in got if p in expected}
        assert determined == expected, trial
