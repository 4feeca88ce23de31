"""Multi-label label quality scores (engine/multilabel/rank.py).

* golden: the per-class scores and aggregated scores of the spec's worked example 1 (§17);
* differential with hypothesis against cleanlab 2.9.0: every method × adjust_pred_probs ×
  aggregator (EMA with alphas, softmin with temperatures, callables), to 1e-12 — except
  ``confidence_weighted_entropy`` on float32, compared to 1e-6: the reference's float32 entropy
  calls the C library's ``logf``, whose last bit is platform dependent;
* the strict multi-label check and the errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from engine_multilabel_cases import (
    LABELS,
    MANY,
    PRED_PROBS,
    RANK_BY,
    assert_same,
    multilabel_cases,
    needs_ref,
    run,
)
from hypothesis import given
from hypothesis import strategies as st

from cleanaudit.engine.multilabel import (
    exponential_moving_average,
    get_label_quality_scores,
    get_label_quality_scores_per_class,
    softmin,
)

try:
    import cleanlab.multilabel_classification.rank as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

AGGREGATORS = [
    None,
    {},
    {"method": "exponential_moving_average"},
    {"method": "exponential_moving_average", "alpha": 0.0},
    {"method": "exponential_moving_average", "alpha": 0.35},
    {"method": "exponential_moving_average", "alpha": 1},
    {"method": "softmin"},
    {"method": "softmin", "temperature": 0.7},
    {"method": "softmin", "temperature": 0.0},
    {"method": np.min},
    {"method": np.mean},
    {"method": np.median},
]


def _tolerance(method: str, probs: np.ndarray) -> float:
    return 1e-6 if method == "confidence_weighted_entropy" and probs.dtype == np.float32 else 1e-12


# ---------------------------------------------------------------------------------------------
# Golden: spec §17, Example 1

PER_CLASS = [[.9, .9, .8], [.8, .3, .9], [.8, .7, .9], [.9, .8, .85], [.4, .9, .8], [.7, .8, .9], [.9, .8, .3],
             [.05, 0.09999999999999998, .8], [.7, .6, .6], [.8, .7, .45]]  # fmt: skip
GOLDEN = {
    ("self_confidence", False, None): [0.8200000000000001, 0.40399999999999997, 0.724, 0.812, 0.48400000000000004,
                                       0.724, 0.40399999999999997, 0.088, 0.6039999999999999, 0.504],
    ("normalized_margin", False, None): [0.8200000000000001, 0.404, 0.724, 0.812, 0.48400000000000004, 0.724,
                                         0.404, 0.08800000000000002, 0.6039999999999999, 0.504],
    ("confidence_weighted_entropy", False, None): [0.7311166283400874, 0.5194705143371341, 0.6640469301598356,
                                                   0.7229464274155895, 0.55219087217825, 0.6640469301598356,
                                                   0.5194705143371341, 0.3540649748594191, 0.5968818843797674,
                                                   0.5545514483983001],
    ("self_confidence", True, None): [0.7025842450232695, 0.44429424234302284, 0.7091055286177238,
                                      0.7166531029945664, 0.445537876757389, 0.7362754318851881,
                                      0.49102799639385003, 0.12586048098243216, 0.5253098121390805,
                                      0.5620057990789697],
    ("self_confidence", False, "softmin"): [0.8423883115234172, 0.3048118751993588, 0.7424789617395559,
                                            0.8339921666085097, 0.4104338243407764, 0.7424789617395559,
                                            0.3048118751993588, 0.06912865236577184, 0.6155362403496962,
                                            0.47795183521345597],
    ("self_confidence", False, "exponential_moving_average"): [0.8500000000000001, 0.5750000000000001, 0.775,
                                                               0.8375, 0.625, 0.775, 0.5750000000000001, 0.25,
                                                               0.625, 0.6],
}  # fmt: skip


def test_worked_example_per_class_scores():
    scores = get_label_quality_scores_per_class(LABELS, PRED_PROBS)
    assert scores.dtype == np.float64 and scores.shape == (10, 3)
    assert scores.tolist() == PER_CLASS


@pytest.mark.parametrize(("method", "adjust", "aggregator"), list(GOLDEN))
def test_worked_example_scores(method, adjust, aggregator):
    kwargs = {"aggregator_kwargs": {"method": aggregator}} if aggregator else {}
    scores = get_label_quality_scores(LABELS, PRED_PROBS, method=method, adjust_pred_probs=adjust, **kwargs)
    assert scores.dtype == np.float64
    np.testing.assert_allclose(scores, GOLDEN[(method, adjust, aggregator)], rtol=0, atol=1e-15)


def test_worked_example_callable_aggregator():
    scores = get_label_quality_scores(LABELS, PRED_PROBS, aggregator_kwargs={"method": np.min})
    assert scores.tolist() == [0.8, 0.3, 0.7, 0.8, 0.4, 0.7, 0.3, 0.05, 0.6, 0.45]


def test_aggregators_directly():
    s = np.array([[0.9, 0.3, 0.8], [0.5, 0.5, 0.5]])
    assert exponential_moving_average(s, alpha=0).tolist() == [0.9, 0.5]  # the row maximum
    assert exponential_moving_average(s, alpha=1).tolist() == [0.3, 0.5]  # the row minimum
    assert exponential_moving_average(s[:, :1]).tolist() == [0.9, 0.5]  # K = 1: the only score
    assert softmin(s, temperature=1e9)[1] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="alpha"):
        exponential_moving_average(s, alpha=1.5)


def test_strict_check_and_errors():
    k1 = [[0] if i % 2 else [] for i in range(10)]
    with pytest.raises(ValueError, match="multi-label format"):
        get_label_quality_scores(k1, PRED_PROBS[:, :1])
    assert get_label_quality_scores_per_class(k1, PRED_PROBS[:, :1]).shape == (10, 1)  # no strict check
    with pytest.raises(ValueError, match="multi-label format"):
        get_label_quality_scores([[0, 1, 2]] * 10, PRED_PROBS)  # every entry 1
    with pytest.raises(ValueError, match="empty"):
        get_label_quality_scores([[]] * 10, PRED_PROBS)
    with pytest.raises(ValueError, match="Invalid method name"):
        get_label_quality_scores(LABELS, PRED_PROBS, method="bogus")
    assert get_label_quality_scores(LABELS, PRED_PROBS, method="SELF_CONFIDENCE")[7] == pytest.approx(0.088)
    with pytest.raises(ValueError, match="not currently supported"):
        get_label_quality_scores(LABELS, PRED_PROBS, method="confidence_weighted_entropy", adjust_pred_probs=True)
    with pytest.raises(ValueError, match="Invalid aggregation method"):
        get_label_quality_scores(LABELS, PRED_PROBS, aggregator_kwargs={"method": "mean"})
    with pytest.raises(TypeError, match="callable"):
        get_label_quality_scores(LABELS, PRED_PROBS, aggregator_kwargs={"method": 3})
    with pytest.raises(TypeError, match="method"):
        get_label_quality_scores(LABELS, PRED_PROBS, aggregator_kwargs={"alpha": 0.5})
    with pytest.raises(ValueError, match="list"):
        get_label_quality_scores([tuple(row) for row in LABELS], PRED_PROBS)
    with pytest.raises(TypeError, match="numpy array"):
        get_label_quality_scores(LABELS, PRED_PROBS.tolist())
    with pytest.raises(ValueError, match="between 0 and 1"):
        get_label_quality_scores(LABELS, PRED_PROBS * 1.5)
    with pytest.raises(ValueError, match="at least 6 columns"):
        get_label_quality_scores([row + [5] for row in LABELS], PRED_PROBS)
    with pytest.raises(ValueError, match="same length"):
        get_label_quality_scores(LABELS[:-1], PRED_PROBS)


# ---------------------------------------------------------------------------------------------
# Differential


@needs_ref
@MANY
@given(multilabel_cases(), st.sampled_from(RANK_BY), st.booleans())
def test_per_class_scores_match_reference(case, method, adjust):
    labels, probs = case
    kwargs = dict(method=method, adjust_pred_probs=adjust)
    ours = run(get_label_quality_scores_per_class, labels, probs, **kwargs)
    theirs = run(ref.get_label_quality_scores_per_class, labels, probs, **kwargs)
    assert_same(ours, theirs, tol=_tolerance(method, probs), what=kwargs)


@needs_ref
@MANY
@given(multilabel_cases(min_k=2), st.sampled_from(RANK_BY), st.booleans())
def test_scores_match_reference_for_every_aggregator(case, method, adjust):
    labels, probs = case
    for aggregator in AGGREGATORS:
        kwargs = dict(method=method, adjust_pred_probs=adjust)
        if aggregator is not None:
            kwargs["aggregator_kwargs"] = aggregator
        ours = run(get_label_quality_scores, labels, probs, **kwargs)
        theirs = run(ref.get_label_quality_scores, labels, probs, **kwargs)
        assert_same(ours, theirs, tol=_tolerance(method, probs), what=kwargs)
