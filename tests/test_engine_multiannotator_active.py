"""ActiveLab and temperature scaling (engine/multiannotator/active.py, temperature.py) against cleanlab 2.9.0.

* golden: Worked example 2 of the spec (T = 7.25 because the fine grid stops short of 8; labelled and
  unlabelled scores; unlabelled data alone);
* differential with hypothesis: several labels per row or exactly one (the single-label path), with and
  without unlabelled data, unlabelled data alone, the ensemble variants (in-place scaling included),
  ``find_best_temp`` and ``temp_scale``. Scores to 1e-9 (they go through the temperature search).
"""

from __future__ import annotations

import numpy as np
import pytest
from engine_cases import FAST
from hypothesis import given, settings
from hypothesis import strategies as st
from multiannotator_cases import as_frame, both_raised, multiannotator_cases, seeded
from test_engine_multiannotator_ensemble import ensemble_of

from cleanaudit.engine.multiannotator import (
    find_best_temp,
    get_active_learning_scores,
    get_active_learning_scores_ensemble,
    temp_scale,
)

try:
    import cleanlab.multiannotator as ref
    from cleanlab.internal.multiannotator_utils import find_best_temp_scaler, temp_scale_pred_probs
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")
n = np.nan
L2 = np.array([[0, 0, n, 1], [1, 1, 1, n], [2, n, 2, 0], [0, 1, n, n], [n, 2, 2, 2], [1, n, n, n], [0, 0, 0, 1],
               [2, 1, n, 1]])  # fmt: skip
P2 = np.array([[.7, .2, .1], [.1, .8, .1], [.2, .1, .7], [.3, .6, .1], [.1, .2, .7], [.5, .4, .1], [.6, .3, .1],
               [.2, .3, .5]])  # fmt: skip


def assert_same_scores(ours, theirs, tol=1e-9):
    if both_raised(ours, theirs):
        return
    for mine, other in zip(ours, theirs):
        assert mine.shape == other.shape and mine.dtype == other.dtype
        assert np.allclose(mine, other, rtol=0, atol=tol), np.max(np.abs(mine - other), initial=0)


def single_label(L: np.ndarray, seed: int) -> np.ndarray:
    """Keep one label per row (a labelled one), chosen at random."""
    rng = np.random.default_rng(seed)
    out = np.full(L.shape, np.nan)
    for i, row in enumerate(L):
        keep = rng.choice(np.flatnonzero(~np.isnan(row)))
        out[i, keep] = row[keep]
    return out


# ---------------------------------------------------------------------------------------------
# Golden: Worked example 2


def test_worked_example_2_temperature_excludes_8():
    assert find_best_temp(L2, P2) == 7.25


def test_worked_example_2_scores():
    labeled, unlabeled = get_active_learning_scores(L2, P2, P2[:3])
    expected = [0.4724107294519801, 0.5430330498442312, 0.49620910393880374, 0.4275519357295283,
                0.5251276276048247, 0.3772709193780336, 0.5300496062387297, 0.40326692641890494]  # fmt: skip
    assert np.allclose(labeled, expected, rtol=0, atol=1e-12)
    assert np.allclose(unlabeled, [0.37425963474085616, 0.3872902560838625, 0.37425963474085616], rtol=0, atol=1e-12)


def test_unlabeled_only_mixes_the_top_probability_with_one_over_k():
    labeled, unlabeled = get_active_learning_scores(pred_probs_unlabeled=P2[:3])
    assert labeled.shape == (0,)
    assert np.allclose(unlabeled, (P2[:3].max(axis=1) + 1 / 3) / 2, rtol=0, atol=1e-12)


def test_temp_scale_at_one_renormalises():
    scaled = temp_scale(np.array([[0.2, 0.2, 0.0]]), 1.0)
    assert np.allclose(scaled, [[0.5, 0.5, 0.0]], atol=1e-12) and scaled[0, 2] > 0  # clipped at 1e-30


def test_bad_inputs():
    with pytest.raises(ValueError, match="cannot both be None"):
        get_active_learning_scores(L2)
    with pytest.raises(ValueError, match="cannot be None when passing in pred_probs"):
        get_active_learning_scores(pred_probs=P2)
    with pytest.raises(ValueError, match="same number of classes"):
        get_active_learning_scores(L2, P2, P2[:, :2])
    with pytest.raises(TypeError):
        get_active_learning_scores(L2, P2.tolist())
    with pytest.raises(ValueError, match="2D array"):
        get_active_learning_scores(L2[:, 0], P2)
    with pytest.raises(ValueError, match="3d array"):
        get_active_learning_scores_ensemble(L2, P2)


# ---------------------------------------------------------------------------------------------
# Differential


@needs_ref
@settings(FAST, max_examples=50)
@given(multiannotator_cases(), st.booleans(), st.integers(0, 8), st.sampled_from(["array", "named"]))
def test_matches_reference(case, single, num_unlabeled, style):
    L, P, seed = case
    L = single_label(L, seed) if single else L
    unlabeled = P[:num_unlabeled] if num_unlabeled else None
    ours = seeded(seed, get_active_learning_scores, as_frame(L, style), P, unlabeled)
    theirs = seeded(seed, ref.get_active_learning_scores, as_frame(L, style), P, unlabeled)
    assert_same_scores(ours, theirs)


@needs_ref
@settings(FAST, max_examples=15)
@given(multiannotator_cases())
def test_unlabeled_only_matches_reference(case):
    _, P, seed = case
    assert_same_scores(get_active_learning_scores(pred_probs_unlabeled=P),
                       ref.get_active_learning_scores(pred_probs_unlabeled=P), 1e-12)  # fmt: skip


@needs_ref
@settings(FAST, max_examples=40)
@given(multiannotator_cases(max_n=30), st.integers(1, 3), st.booleans(), st.integers(0, 6), st.booleans())
def test_ensemble_matches_reference(case, members, single, num_unlabeled, labelled):
    L, P, seed = case
    L = single_label(L, seed) if single else L
    stack = ensemble_of(P, members, seed)
    unl = ensemble_of(P[:num_unlabeled], members, seed + 1) if num_unlabeled else None
    args = (L, stack) if labelled else (None, None)
    mine = [None if a is None else a.copy() for a in (*args, unl)]
    theirs = [None if a is None else a.copy() for a in (*args, unl)]
    assert_same_scores(seeded(seed, get_active_learning_scores_ensemble, *mine),
                       seeded(seed, ref.get_active_learning_scores_ensemble, *theirs))  # fmt: skip
    for a, b in zip(mine[1:], theirs[1:]):  # both scaled their inputs in place, the same way
        assert a is None or np.allclose(a, b, rtol=0, atol=1e-12)


@needs_ref
@settings(FAST, max_examples=40)
@given(multiannotator_cases(), st.sampled_from([0.1, 1, 1.0, 7.25, 0.3]))
def test_temperature_matches_reference(case, temperature):
    L, P, _ = case
    best = find_best_temp(L, P)
    assert best == find_best_temp_scaler(L, P) and type(best) is type(find_best_temp_scaler(L, P))
    scaled, theirs = temp_scale(P, temperature), temp_scale_pred_probs(P, temperature)
    assert scaled.dtype == theirs.dtype and np.allclose(scaled, theirs, rtol=0, atol=1e-12)
    pd = pytest.importorskip("pandas")  # integer labels: value_counts places the counts correctly
    ints = pd.DataFrame(L).fillna(-1).to_numpy(dtype=int)
    ints = np.where(ints < 0, ints.max(axis=1, keepdims=True), ints)  # no gaps, so an int matrix is valid
    assert find_best_temp(ints, P) == find_best_temp_scaler(ints, P)
