"""get_label_quality_multiannotator_ensemble (engine/multiannotator/crowdlab.py) against cleanlab 2.9.0.

Each ensemble member gets its own weight; the posterior is one ``np.average`` per cell. Quirks kept:
``calibrate_probs`` overwrites ``pred_probs`` in place; non-empty ``label_quality_score_kwargs`` raise
``TypeError``.
"""

from __future__ import annotations

import numpy as np
import pytest
from engine_cases import FAST
from hypothesis import given, settings
from hypothesis import strategies as st
from multiannotator_cases import as_frame, assert_same_result, multiannotator_cases, seeded

from cleanaudit.engine.multiannotator import get_label_quality_multiannotator_ensemble

try:
    import cleanlab.multiannotator as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")
n = np.nan
L = np.array([[0, 0, 1], [1, 1, n], [0, n, 0], [1, 0, 1], [n, 1, 1], [2, 2, 1], [2, n, 2]])
P = np.array([
    [[.8, .1, .1], [.3, .6, .1], [.6, .3, .1], [.4, .5, .1], [.1, .8, .1], [.1, .2, .7], [.2, .2, .6]],
    [[.6, .3, .1], [.2, .7, .1], [.7, .2, .1], [.3, .3, .4], [.2, .7, .1], [.3, .3, .4], [.1, .1, .8]],
])  # fmt: skip


def ensemble_of(P: np.ndarray, members: int, seed: int) -> np.ndarray:
    """``members`` models that disagree a little: each row re-weighted by a random factor, renormalised."""
    rng = np.random.default_rng(seed)
    stack = P[None] * rng.uniform(0.5, 1.5, (members,) + P.shape)
    return (stack / stack.sum(axis=2, keepdims=True)).astype(P.dtype)


def test_each_member_has_its_weight_and_the_mean_drives_the_stats():
    out = get_label_quality_multiannotator_ensemble(L, P.copy(), return_weights=True)
    assert out["model_weight"].shape == (2,)
    assert out["label_quality"]["consensus_label"].tolist() == [0, 1, 0, 1, 1, 2, 2]
    assert out["annotator_stats"]["num_examples_labeled"].sum() == np.sum(~np.isnan(L))


def test_calibration_overwrites_pred_probs_in_place():
    probs = P.copy()
    get_label_quality_multiannotator_ensemble(L, probs, calibrate_probs=True)
    assert not np.array_equal(probs, P)


def test_score_kwargs_raise_type_error_like_the_reference():
    with pytest.raises(TypeError):
        get_label_quality_multiannotator_ensemble(
            L, P.copy(), label_quality_score_kwargs={"method": "normalized_margin"}
        )


def test_two_dimensional_pred_probs_are_rejected():
    with pytest.raises(ValueError, match="3d array"):
        get_label_quality_multiannotator_ensemble(L, P[0])


@needs_ref
@settings(FAST, max_examples=50)
@given(
    multiannotator_cases(max_n=40),
    st.integers(1, 4),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["array", "named"]),
)
def test_matches_reference(case, members, calibrate, detailed, style):
    L, P, seed = case
    stack = ensemble_of(P, members, seed)
    mine, theirs_probs = stack.copy(), stack.copy()
    kwargs = dict(calibrate_probs=calibrate, return_detailed_quality=detailed, return_weights=True)
    ours = seeded(seed, get_label_quality_multiannotator_ensemble, as_frame(L, style), mine, **kwargs)
    theirs = seeded(seed, ref.get_label_quality_multiannotator_ensemble, as_frame(L, style), theirs_probs, **kwargs)
    assert_same_result(ours, theirs, 1e-9 if calibrate else 1e-12)
    assert np.allclose(mine, theirs_probs, rtol=0, atol=1e-12)  # the same in-place overwrite


@needs_ref
@settings(FAST, max_examples=10)
@given(
    multiannotator_cases(max_n=20),
    st.sampled_from([{"method": "self_confidence"}, {"quality_method": "agreement"}, {"verbose": False}]),
)
def test_score_kwargs_match_reference(case, kwargs):
    L, P, seed = case
    stack = ensemble_of(P, 2, seed)
    for detailed in (True, False):
        ours = seeded(seed, get_label_quality_multiannotator_ensemble, L, stack.copy(),
                      return_detailed_quality=detailed, label_quality_score_kwargs=kwargs)  # fmt: skip
        theirs = seeded(seed, ref.get_label_quality_multiannotator_ensemble, L, stack.copy(),
                        return_detailed_quality=detailed, label_quality_score_kwargs=kwargs)  # fmt: skip
        assert_same_result(ours, theirs)
