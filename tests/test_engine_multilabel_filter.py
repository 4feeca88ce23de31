"""Multi-label issue finding (engine/multilabel/filter.py, per_class.py, _binary.py).

* golden: the spec's worked example 1 (§17) and its edge variants;
* differential with hypothesis against cleanlab 2.9.0: masks and indices must be identical for
  every filter_by × ranking × low_memory, the pruning options, a given confident joint, the
  batched low-memory kernel over several batches, and ``cleanaudit.engine.find_label_issues``
  with ``multi_label=True``;
* the edge cases of spec §8 and the errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from engine_multilabel_cases import (
    FILTER_BY,
    LABELS,
    MANY,
    NEVER_ANNOTATED,
    PRED_PROBS,
    PRUNING,
    RANK_BY,
    assert_same,
    multilabel_cases,
    needs_ref,
    onehot_of,
    reference_on_one_core,  # noqa: F401 - autouse fixture
    run,
)
from hypothesis import given
from hypothesis import strategies as st

from cleanaudit import engine
from cleanaudit.engine.multilabel import find_label_issues, find_multilabel_issues_per_class
from cleanaudit.engine.multilabel._binary import find_binary_issues_low_memory
from cleanaudit.engine.multilabel._inputs import binary_view

try:
    import cleanlab.filter as ref_filter
    import cleanlab.multilabel_classification.filter as ref
    from cleanlab.experimental.label_issues_batched import find_label_issues_batched
except ImportError:  # pragma: no cover - the test extra installs it
    ref = ref_filter = find_label_issues_batched = None

WITH_CLASS_3 = np.column_stack([PRED_PROBS, NEVER_ANNOTATED])


def _recording(fn, *args, **kwargs):
    """``run(fn, ...)`` plus the "too few examples" warnings it gave, in order."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared with the other side
            out = ValueError if isinstance(exc, AssertionError) else type(exc)
    return out, [str(w.message) for w in caught if str(w.message).startswith("May not flag")]


def _for_ranking(probs: np.ndarray, rank_by) -> np.ndarray:
    # float32 entropies go through the C library's logf in the reference (platform dependent, ~1e-7),
    # which can swap two close scores in a ranking; the scores themselves are compared in the rank tests.
    return probs.astype(np.float64) if rank_by == "confidence_weighted_entropy" else probs


# ---------------------------------------------------------------------------------------------
# Golden: spec §17, Example 1


@pytest.mark.parametrize("filter_by", [f for f in FILTER_BY if f != "predicted_neq_given"])
def test_worked_example_masks(filter_by):
    mask = find_label_issues(LABELS, PRED_PROBS, filter_by=filter_by)
    assert mask.dtype == bool and mask.shape == (10,)
    assert np.flatnonzero(mask).tolist() == [1, 7]


def test_worked_example_predicted_neq_given():
    assert np.flatnonzero(find_label_issues(LABELS, PRED_PROBS, filter_by="predicted_neq_given")).tolist() == [
        1,
        4,
        6,
        7,
        9,
    ]
    ranked = find_label_issues(
        LABELS, PRED_PROBS, filter_by="predicted_neq_given", return_indices_ranked_by="self_confidence"
    )
    assert ranked.tolist() == [7, 1, 6, 4, 9]
    per_class = find_multilabel_issues_per_class(LABELS, PRED_PROBS, filter_by="predicted_neq_given")
    assert [np.flatnonzero(per_class[:, c]).tolist() for c in range(3)] == [[4, 7], [1, 7], [6, 9]]


@pytest.mark.parametrize("rank_by", RANK_BY)
@pytest.mark.parametrize("filter_by", [f for f in FILTER_BY if f != "predicted_neq_given"])
def test_worked_example_ranked(filter_by, rank_by):
    ranked = find_label_issues(LABELS, PRED_PROBS, filter_by=filter_by, return_indices_ranked_by=rank_by)
    assert ranked.dtype.kind == "i"
    # The low_* methods keep the reference's bug: indices in score order, reordered by scores in index order.
    assert ranked.tolist() == ([1, 7] if filter_by.startswith("low_") else [7, 1])


def test_worked_example_per_class():
    per_class = find_multilabel_issues_per_class(LABELS, PRED_PROBS)
    assert per_class.shape == (10, 3) and per_class.dtype == bool
    assert [np.flatnonzero(per_class[:, c]).tolist() for c in range(3)] == [[7], [1, 7], []]
    issues, labels_list, probs_list = find_multilabel_issues_per_class(
        LABELS, PRED_PROBS, return_indices_ranked_by="self_confidence"
    )
    assert [x.tolist() for x in issues] == [[7], [7, 1], []]
    onehot = onehot_of(LABELS, 3)
    for c in range(3):
        assert labels_list[c].tolist() == onehot[:, c].tolist()
        assert probs_list[c][:, 1].tolist() == PRED_PROBS[:, c].tolist()  # column 1 is P(class c)
        np.testing.assert_allclose(probs_list[c][:, 0], 1 - PRED_PROBS[:, c])


def test_never_annotated_class_is_flagged_only_with_low_memory():
    for filter_by in PRUNING + ("confident_learning",):
        assert np.flatnonzero(find_label_issues(LABELS, WITH_CLASS_3, filter_by=filter_by)).tolist() == [1, 7]
    per_class = find_multilabel_issues_per_class(LABELS, WITH_CLASS_3, low_memory=True)
    # Its running threshold ends at 2e-6 rather than 2, so confident "is class 3" rows count.
    assert np.flatnonzero(per_class[:, 3]).tolist() == [2, 8]
    with pytest.raises(ValueError, match="at least 2 classes"):
        find_label_issues(LABELS, WITH_CLASS_3, filter_by="predicted_neq_given")


def test_class_in_every_row_raises_but_empty_rows_do_not():
    every = [row + [3] for row in LABELS]
    with pytest.raises(ValueError, match="at least 2 classes"):
        find_label_issues(every, WITH_CLASS_3)
    assert not find_label_issues([[] for _ in LABELS], PRED_PROBS).any()  # no validation on this route
    with pytest.raises(ValueError, match="empty"):
        engine.find_label_issues([[] for _ in LABELS], PRED_PROBS, multi_label=True)


def test_class_annotated_once_keeps_that_annotation(recwarn):
    labels = [row if 2 not in row or i == 4 else [c for c in row if c != 2] for i, row in enumerate(LABELS)]
    probs = PRED_PROBS.copy()
    probs[4, 2] = 0.01  # the one annotation of class 2 looks wrong, but a class of one is never pruned
    assert not find_multilabel_issues_per_class(labels, probs)[4, 2]
    assert any("May not flag all label issues in class: 1" in str(w.message) for w in recwarn)


def test_k1_masks_work_rankings_raise():
    labels = [[0] if i % 2 else [] for i in range(10)]
    probs = PRED_PROBS[:, :1]
    assert np.flatnonzero(find_label_issues(labels, probs)).tolist() == [0, 3, 4, 7, 9]
    with pytest.raises(ValueError, match="multi-label format"):
        find_label_issues(labels, probs, return_indices_ranked_by="self_confidence")
    with pytest.raises(ValueError, match="multi-label format"):
        find_label_issues(labels, probs, filter_by="low_self_confidence")


def test_tuples_accepted_here_but_not_by_the_validated_routes():
    as_tuples = [tuple(row) for row in LABELS]
    assert np.flatnonzero(find_label_issues(as_tuples, PRED_PROBS)).tolist() == [1, 7]
    with pytest.raises(ValueError, match="list"):
        find_label_issues(as_tuples, PRED_PROBS, filter_by="low_self_confidence")
    with pytest.raises(ValueError, match="list"):
        engine.find_label_issues(as_tuples, PRED_PROBS, multi_label=True)
    with pytest.raises(TypeError, match="list"):
        engine.find_label_issues(onehot_of(LABELS, 3), PRED_PROBS, multi_label=True)


def test_options_and_errors(capsys):
    with pytest.raises(ValueError, match="filter_by"):
        find_label_issues(LABELS, PRED_PROBS, filter_by="bogus")
    with pytest.raises(ValueError, match="scoring method"):
        find_label_issues(LABELS, PRED_PROBS, return_indices_ranked_by="bogus")
    with pytest.raises(ValueError, match=r"\(num_classes, 2, 2\)"):
        find_label_issues(LABELS, PRED_PROBS, confident_joint=np.zeros((2, 2, 2), dtype=int))
    with pytest.warns(UserWarning, match="is being ignored"):
        find_label_issues(LABELS, PRED_PROBS, confident_joint=np.eye(3, dtype=int))
    with pytest.warns(UserWarning, match="`filter_by` is not used"):
        find_label_issues(LABELS, PRED_PROBS, low_memory=True, filter_by="both")
    with pytest.raises(ValueError, match="confident_joint"):  # the reference: an ambiguous array comparison
        find_label_issues(LABELS, PRED_PROBS, low_memory=True, confident_joint=np.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match="num_to_remove_per_class"):
        engine.find_label_issues(
            LABELS, PRED_PROBS, multi_label=True, filter_by="low_self_confidence", num_to_remove_per_class=[1, 1, 1]
        )
    with pytest.raises(TypeError, match="unexpected keyword"):
        find_label_issues(LABELS, PRED_PROBS, return_indices_ranked_by="self_confidence", rank_by_kwargs={"bogus": 1})
    find_label_issues(LABELS, PRED_PROBS, verbose=True, n_jobs=4)
    assert capsys.readouterr().out == ""


def test_engine_count_route():
    assert engine.num_label_issues(LABELS, PRED_PROBS, multi_label=True) == 2
    assert np.flatnonzero(engine.find_label_issues(LABELS, PRED_PROBS, multi_label=True)).tolist() == [1, 7]


# ---------------------------------------------------------------------------------------------
# Differential


@needs_ref
@MANY
@given(multilabel_cases(), st.sampled_from(FILTER_BY), st.booleans())
def test_find_label_issues_matches_reference(case, filter_by, low_memory):
    labels, probs = case
    for rank_by in (None,) + RANK_BY:
        p = _for_ranking(probs, rank_by)
        kwargs = dict(filter_by=filter_by, return_indices_ranked_by=rank_by, low_memory=low_memory)
        assert_same(
            run(find_label_issues, labels, p, **kwargs), run(ref.find_label_issues, labels, p, **kwargs), what=kwargs
        )


@needs_ref
@MANY
@given(multilabel_cases(), st.sampled_from(FILTER_BY), st.sampled_from((None,) + RANK_BY), st.booleans())
def test_per_class_matches_reference(case, filter_by, rank_by, low_memory):
    labels, probs = case
    probs = _for_ranking(probs, rank_by)
    kwargs = dict(filter_by=filter_by, return_indices_ranked_by=rank_by, low_memory=low_memory, n_jobs=1)
    ours = run(find_multilabel_issues_per_class, labels, probs, **kwargs)
    assert_same(ours, run(ref.find_multilabel_issues_per_class, labels, probs, **kwargs), what=kwargs)


@needs_ref
@MANY
@given(multilabel_cases(), st.sampled_from(PRUNING), st.sampled_from([0.3, 0.5, 1.0]), st.integers(0, 5), st.data())
def test_pruning_options_match_reference(case, filter_by, frac_noise, min_examples, data):
    labels, probs = case
    remove = data.draw(st.none() | st.lists(st.integers(0, 5), min_size=probs.shape[1], max_size=probs.shape[1]))
    kwargs = dict(
        filter_by=filter_by, frac_noise=frac_noise, min_examples_per_class=min_examples, num_to_remove_per_class=remove
    )
    ours, ours_warned = _recording(find_multilabel_issues_per_class, labels, probs, **kwargs)
    theirs, theirs_warned = _recording(ref.find_multilabel_issues_per_class, labels, probs, n_jobs=1, **kwargs)
    assert_same(ours, theirs, what=kwargs)
    assert ours_warned == theirs_warned  # "May not flag all label issues in class: k", per pruning pass
    kwargs["return_indices_ranked_by"] = "self_confidence"
    assert_same(run(find_label_issues, labels, probs, **kwargs), run(ref.find_label_issues, labels, probs, **kwargs))


@needs_ref
@MANY
@given(multilabel_cases(), st.sampled_from(FILTER_BY), st.integers(0, 2**16), st.booleans())
def test_given_confident_joint_matches_reference(case, filter_by, seed, old_format):
    labels, probs = case
    k = probs.shape[1]
    rng = np.random.default_rng(seed)
    cj = rng.integers(0, 6, (k, k) if old_format else (k, 2, 2))
    ours = run(find_label_issues, labels, probs, filter_by=filter_by, confident_joint=cj)
    assert_same(ours, run(ref.find_label_issues, labels, probs, filter_by=filter_by, confident_joint=cj))


@needs_ref
@MANY
@given(multilabel_cases(), st.sampled_from(FILTER_BY), st.sampled_from((None,) + RANK_BY))
def test_engine_multi_label_flag_matches_reference(case, filter_by, rank_by):
    labels, probs = case
    probs = _for_ranking(probs, rank_by)
    kwargs = dict(filter_by=filter_by, return_indices_ranked_by=rank_by, multi_label=True)
    ours = run(engine.find_label_issues, labels, probs, **kwargs)
    assert_same(ours, run(ref_filter.find_label_issues, labels, probs, n_jobs=1, **kwargs), what=kwargs)


@needs_ref
@MANY
@given(st.integers(0, 2**32 - 1), st.integers(1, 90), st.integers(1, 40), st.sampled_from((None,) + RANK_BY))
def test_low_memory_kernel_over_several_batches_matches_reference(seed, n, batch_size, rank_by):
    """The running thresholds of the batched estimator, on batches smaller than the data."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rng.choice([0.0, 0.3, 0.7, 1.0])).astype(np.int64)
    q = binary_view(rng.random(n).astype(rng.choice([np.float32, np.float64])))
    ours = find_binary_issues_low_memory(y, q, return_indices_ranked_by=rank_by, batch_size=batch_size)
    theirs = find_label_issues_batched(
        labels=y,
        pred_probs=q,
        batch_size=batch_size,
        n_jobs=1,
        verbose=False,
        quality_score_kwargs=None if rank_by is None else {"method": rank_by},
        return_mask=rank_by is None,
    )
    assert_same(ours, theirs)
