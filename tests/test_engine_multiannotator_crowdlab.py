"""get_label_quality_multiannotator (engine/multiannotator/crowdlab.py): CROWDLAB against cleanlab 2.9.0.

* golden: Worked example 2 of the spec (multilabel-and-multiannotator.md §17), numbers quoted there;
* differential with hypothesis: every consensus method (also lists) x quality method, detailed quality,
  annotator stats, weights, calibrate_probs, label_quality_score_kwargs, DataFrame and ndarray input,
  float64 and float32 pred_probs. Consensus labels, counts, worst classes and the annotator order are
  compared exactly; scores to 1e-12 (1e-9 after the temperature search).
"""

from __future__ import annotations

import numpy as np
import pytest
from engine_cases import FAST
from hypothesis import given, settings
from hypothesis import strategies as st
from multiannotator_cases import as_frame, assert_same_result, multiannotator_cases, seeded

from cleanaudit.engine.multiannotator import get_label_quality_multiannotator

try:
    import cleanlab.multiannotator as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")
n = np.nan
L2 = np.array([[0, 0, n, 1], [1, 1, 1, n], [2, n, 2, 0], [0, 1, n, n], [n, 2, 2, 2], [1, n, n, n], [0, 0, 0, 1],
               [2, 1, n, 1]])  # fmt: skip
P2 = np.array([[.7, .2, .1], [.1, .8, .1], [.2, .1, .7], [.3, .6, .1], [.1, .2, .7], [.5, .4, .1], [.6, .3, .1],
               [.2, .3, .5]])  # fmt: skip
METHODS = ["best_quality", "majority_vote", ["majority_vote", "best_quality"], ["best_quality", "majority_vote"]]


def compare(L, P, seed, tol=1e-12, **kwargs):
    ours = seeded(seed, get_label_quality_multiannotator, L, P, **kwargs)
    theirs = seeded(seed, ref.get_label_quality_multiannotator, L, P, **kwargs)
    assert_same_result(ours, theirs, tol)
    return ours


# ---------------------------------------------------------------------------------------------
# Golden: Worked example 2


def test_worked_example_2_consensus_and_quality():
    out = get_label_quality_multiannotator(L2, P2, return_weights=True)
    lq = out["label_quality"]
    assert list(lq) == ["consensus_label", "consensus_quality_score", "annotator_agreement", "num_annotations"]
    assert lq["consensus_label"].tolist() == [0, 1, 2, 1, 2, 0, 0, 2]
    expected = [0.7005859741056586, 0.7599681753841587, 0.700731739216487, 0.5937544499384642,
                0.7009110235544794, 0.4753835561046301, 0.6419844211093041, 0.4449849117629029]  # fmt: skip
    assert np.allclose(lq["consensus_quality_score"], expected, rtol=0, atol=1e-15)
    assert np.allclose(lq["annotator_agreement"], [2 / 3, 1, 2 / 3, 0.5, 1, 0, 0.75, 1 / 3], rtol=0, atol=1e-15)
    assert lq["num_annotations"].tolist() == [3, 3, 3, 2, 3, 1, 4, 3]
    assert out["model_weight"] == pytest.approx(1.6583123951777, abs=1e-12)
    assert np.allclose(out["annotator_weight"], [0.125, 0.4166666666666665, 0.6111111111111112, 1e-06], atol=1e-15)


def test_worked_example_2_annotators_and_detail():
    out = get_label_quality_multiannotator(L2, P2)
    stats = out["annotator_stats"]
    assert list(stats) == [
        "annotator", "annotator_quality", "agreement_with_consensus", "worst_class", "num_examples_labeled"
    ]  # fmt: skip
    assert stats["annotator"].tolist() == [3, 0, 1, 2]
    quality = [0.2917763261853244, 0.6526103285896443, 0.6940407621938134, 0.7976197622906929]
    assert np.allclose(stats["annotator_quality"], quality, rtol=0, atol=1e-15)
    assert np.allclose(stats["agreement_with_consensus"], [0.2, 0.7142857142857143, 0.8333333333333334, 1.0])
    assert stats["worst_class"].tolist() == [1, 1, 1, 2]
    assert stats["num_examples_labeled"].tolist() == [5, 7, 6, 4]
    detail = out["detailed_label_quality"]
    assert list(detail) == [f"quality_annotator_{m}" for m in range(4)]
    row0 = [detail[f"quality_annotator_{m}"][0] for m in range(4)]
    assert np.allclose(row0, [0.7005859741056586, 0.7005859741056586, n, 0.1873963984023671], equal_nan=True)


def test_worked_example_2_agreement_method_and_value_counts_quirk():
    out = get_label_quality_multiannotator(L2, P2, consensus_method="majority_vote", quality_method="agreement")
    assert np.array_equal(out["label_quality"]["consensus_quality_score"], out["label_quality"]["annotator_agreement"])
    assert out["annotator_stats"]["annotator"].tolist() == [3, 0, 1, 2]
    assert np.allclose(out["annotator_stats"]["annotator_quality"], [0.4, 2 / 3, 1.0, 1.0])
    quirk = get_label_quality_multiannotator(L2, P2, quality_method="agreement")
    assert quirk["label_quality"]["consensus_label"].tolist() == [0, 0, 1, 1, 0, 0, 0, 0]


def test_worked_example_2_plain_mean_without_detail():
    out = get_label_quality_multiannotator(
        L2, P2, return_detailed_quality=False, label_quality_score_kwargs={"method": "normalized_margin"}
    )
    assert out["annotator_stats"]["annotator_quality"][0] == 0.29177632618532445
    assert "detailed_label_quality" not in out


def test_input_is_not_modified_and_dataframe_ids_are_kept():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(L2, columns=list("abcd"))
    probs = P2.copy()
    out = get_label_quality_multiannotator(frame, probs, calibrate_probs=True)
    assert np.array_equal(probs, P2)
    assert out["annotator_stats"]["annotator"].tolist() == ["d", "a", "b", "c"]
    assert list(out["detailed_label_quality"]) == [f"quality_annotator_{c}" for c in "abcd"]


def test_bad_methods_raise():
    with pytest.raises(ValueError, match="not a valid consensus method"):
        get_label_quality_multiannotator(L2, P2, consensus_method="median")
    with pytest.raises(ValueError, match="not a valid quality method"):
        get_label_quality_multiannotator(L2, P2, quality_method="mean")
    with pytest.raises(ValueError, match="only applicable to the crowdlab"):
        get_label_quality_multiannotator(L2, P2, quality_method="agreement", return_weights=True)
    with pytest.raises(TypeError):
        get_label_quality_multiannotator(L2, P2, label_quality_score_kwargs={"alpha": 1})


# ---------------------------------------------------------------------------------------------
# Differential


@needs_ref
@settings(FAST, max_examples=200)
@given(
    multiannotator_cases(),
    st.sampled_from(METHODS),
    st.sampled_from(["crowdlab", "agreement"]),
    st.booleans(),
    st.booleans(),
)
def test_matches_reference(case, consensus_method, quality_method, detailed, stats):
    L, P, seed = case
    compare(
        L, P, seed, consensus_method=consensus_method, quality_method=quality_method,
        return_detailed_quality=detailed, return_annotator_stats=stats,
        return_weights=quality_method == "crowdlab",
    )  # fmt: skip


@needs_ref
@settings(FAST, max_examples=40)
@given(multiannotator_cases(), st.sampled_from(METHODS), st.sampled_from(["crowdlab", "agreement"]))
def test_calibrated_matches_reference(case, consensus_method, quality_method):
    L, P, seed = case
    compare(
        L, P, seed, tol=1e-9, consensus_method=consensus_method, quality_method=quality_method, calibrate_probs=True
    )


@needs_ref
@settings(FAST, max_examples=40)
@given(
    multiannotator_cases(),
    st.sampled_from(
        [
            {"method": "normalized_margin"},
            {"method": "confidence_weighted_entropy"},
            {"adjust_pred_probs": True},
            {"method": "normalized_margin", "adjust_pred_probs": True},
            {"method": "nope"},
        ]
    ),  # fmt: skip
    st.booleans(),
)
def test_score_kwargs_match_reference(case, kwargs, detailed):
    L, P, seed = case
    tol = 1e-6 if P.dtype == np.float32 and kwargs.get("method") == "confidence_weighted_entropy" else 1e-12
    compare(L, P, seed, tol=tol, label_quality_score_kwargs=kwargs, return_detailed_quality=detailed)


@needs_ref
@settings(FAST, max_examples=30)
@given(multiannotator_cases(), st.sampled_from(["named", "nullable"]), st.sampled_from(METHODS))
def test_dataframe_input_matches_reference(case, style, consensus_method):
    L, P, seed = case
    ours = seeded(seed, get_label_quality_multiannotator, as_frame(L, style), P, consensus_method=consensus_method)
    theirs = seeded(
        seed, ref.get_label_quality_multiannotator, as_frame(L, style), P, consensus_method=consensus_method
    )
    assert_same_result(ours, theirs)


@needs_ref
@settings(FAST, max_examples=25)
@given(multiannotator_cases(), st.sampled_from(METHODS), st.sampled_from(["crowdlab", "agreement"]))
def test_integer_matrix_matches_reference(case, consensus_method, quality_method):
    """No gaps, integer dtype: the reference's value_counts then puts counts at their classes."""
    L, P, seed = case
    full = np.where(np.isnan(L), np.nanmax(L, axis=1, keepdims=True), L).astype(int)
    compare(full, P, seed, consensus_method=consensus_method, quality_method=quality_method, calibrate_probs=True,
            tol=1e-9)  # fmt: skip


@needs_ref
@pytest.mark.parametrize("kwargs", [{}, {"method": "normalized_margin"}, {"method": "confidence_weighted_entropy"}])
def test_one_class_matches_reference(kwargs):
    """K = 1: the non-consensus likelihood is 0/0 (unused); normalized_margin has no margin to take."""
    L = np.array([[0, 0, n], [0, n, 0], [n, 0, 0], [0, 0, 0]])
    P = np.ones((4, 1))
    compare(L, P, 0, label_quality_score_kwargs=kwargs, return_weights=True)
