"""Label quality scores (engine/rank.py), compared with cleanlab 2.9.0.

Scores must equal the reference bit for bit (same dtype) for ``self_confidence`` and
``normalized_margin``, and within 1e-12 for ``confidence_weighted_entropy`` on float64 and for
ensembles. One documented exception: ``confidence_weighted_entropy`` on float32 input, where the
reference's float32 entropy goes through the C library's ``logf`` (platform dependent); there we
agree to 1e-6.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanaudit.engine.rank import (
    find_top_issues,
    get_label_quality_ensemble_scores,
    get_label_quality_scores,
    order_label_issues,
)

try:
    import cleanlab.rank as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")
FAST = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
WEIGHTINGS = ("uniform", "accuracy", "log_loss_search", "custom")


@st.composite
def cases(draw, max_n: int = 50, max_k: int = 50, models: int = 1, min_used: int = 1):
    """(labels, [pred_probs, ...]): Dirichlet rows from a seeded Generator, some classes unused."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, k = draw(st.integers(2, max_n)), draw(st.integers(2, max_k))
    used = rng.choice(k, size=draw(st.integers(min(min_used, k), k)), replace=False)
    labels = rng.choice(used, size=n)
    if len(used) >= 2 and len(np.unique(labels)) < 2:
        labels[:2] = used[:2]
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    out = []
    for _ in range(models):
        probs = rng.dirichlet(np.full(k, draw(st.sampled_from([0.3, 1.0, 3.0]))), size=n)
        probs[np.arange(n), labels] += rng.random(n) * rng.choice([0.0, 0.5, 2.0])
        out.append((probs / probs.sum(axis=1, keepdims=True)).astype(dtype))
    return labels, out


def run(fn, *args, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - compared with the other side
            return type(exc)


def tolerance(method: str, dtype) -> float:
    if method != "confidence_weighted_entropy":
        return 0.0
    return 1e-12 if dtype == np.float64 else 1e-6


def assert_scores(ours, theirs, atol: float) -> None:
    if isinstance(theirs, type) or isinstance(ours, type):
        assert isinstance(ours, type) and isinstance(theirs, type), (ours, theirs)
        return
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if atol == 0:
        assert np.array_equal(ours, theirs)
    else:
        assert np.allclose(ours, theirs, rtol=0, atol=atol, equal_nan=True), np.abs(ours - theirs).max()


# ---------------------------------------------------------------------------------------------
# Single model


def test_scores_by_hand():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.5, 0.0]])
    labels = np.array([0, 1, 1])
    assert get_label_quality_scores(labels, probs).tolist() == [0.7, 0.3, 0.5]
    margin = get_label_quality_scores(labels, probs, method="normalized_margin")
    assert np.allclose(margin, [(0.7 - 0.2 + 1) / 2, (0.3 - 0.6 + 1) / 2, 0.5], atol=1e-15)
    entropy = get_label_quality_scores(labels, probs, method="confidence_weighted_entropy")
    h = -(0.5 * np.log(0.5) * 2) / np.log(3)  # third row: 0·log 0 counts as 0
    x = h / 0.5
    assert np.isclose(entropy[2], np.log(1 + x) / x, atol=1e-15)
    assert entropy.dtype == np.float64


@needs_ref
@FAST
@given(cases(), st.sampled_from(METHODS), st.booleans())
def test_scores_match_reference(case, method, adjust):
    labels, (probs,) = case
    adjust = adjust and method != "confidence_weighted_entropy"
    ours = run(get_label_quality_scores, labels, probs, method=method, adjust_pred_probs=adjust)
    theirs = run(ref.get_label_quality_scores, labels, probs, method=method, adjust_pred_probs=adjust)
    assert_scores(ours, theirs, tolerance(method, probs.dtype))


@needs_ref
@FAST
@given(cases(max_n=300, max_k=30), st.sampled_from(METHODS))
def test_scores_do_not_depend_on_block_size(case, method):
    import cleanaudit.engine._util as util_module

    labels, (probs,) = case
    expected = get_label_quality_scores(labels, probs, method=method)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(util_module, "_CHUNK_ELEMENTS", 23)
        assert np.array_equal(get_label_quality_scores(labels, probs, method=method), expected)


@needs_ref
@FAST
@given(cases(min_used=2), st.sampled_from(METHODS), st.booleans(), st.floats(0.0, 1.0))
def test_order_label_issues_matches_reference(case, rank_by, adjust, share):
    labels, (probs,) = case
    mask = np.random.default_rng(len(labels)).random(len(labels)) < share
    kwargs = {"adjust_pred_probs": True} if adjust and rank_by != "confidence_weighted_entropy" else {}
    if rank_by == "confidence_weighted_entropy":
        probs = probs.astype(np.float64)  # see the module docstring
    ours = run(order_label_issues, mask, labels, probs, rank_by=rank_by, rank_by_kwargs=kwargs)
    theirs = run(ref.order_label_issues, mask, labels, probs, rank_by=rank_by, rank_by_kwargs=kwargs)
    assert np.array_equal(ours, theirs)
    assert ours.dtype == np.intp


@needs_ref
@FAST
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=40, unique=True), st.integers(0, 50))
def test_find_top_issues_matches_reference(scores, top):
    scores = np.array(scores)
    assert np.array_equal(find_top_issues(scores, top=top), ref.find_top_issues(scores, top=top))


# ---------------------------------------------------------------------------------------------
# Ensembles


@needs_ref
@FAST
@given(cases(models=3, min_used=2), st.sampled_from(WEIGHTINGS), st.sampled_from(METHODS), st.booleans(), st.data())
def test_ensemble_scores_match_reference(case, weighting, method, adjust, data):
    labels, probs_list = case
    members = probs_list[: data.draw(st.integers(1, 3))]
    adjust = adjust and method != "confidence_weighted_entropy"
    weights = np.array(data.draw(st.lists(st.floats(0.1, 2.0), min_size=len(members), max_size=len(members))))
    kwargs = dict(
        method=method,
        adjust_pred_probs=adjust,
        weight_ensemble_members_by=weighting,
        custom_weights=weights if weighting == "custom" else None,
        verbose=False,
    )
    ours = run(get_label_quality_ensemble_scores, labels, members, **kwargs)
    theirs = run(ref.get_label_quality_ensemble_scores, labels, members, **kwargs)
    atol = max(tolerance(method, members[0].dtype), 1e-12)
    assert_scores(ours, theirs, atol)


@needs_ref
@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_tutorial_ensemble_matches_reference(tutorial_dir, weighting):
    labels = pd.read_csv(tutorial_dir / "train.csv")["y_int"].to_numpy()
    names = ("logreg", "random_forest", "gradient_boosting")
    members = [np.load(tutorial_dir / f"pred_probs_cv3_{name}.npy") for name in names]
    kwargs = dict(weight_ensemble_members_by=weighting, verbose=False)
    if weighting == "custom":
        kwargs["custom_weights"] = np.array([0.5, 0.3, 0.2])
    ours = get_label_quality_ensemble_scores(labels, members, **kwargs)
    theirs = run(ref.get_label_quality_ensemble_scores, labels, members, **kwargs)
    assert np.allclose(ours, theirs, rtol=0, atol=1e-12)


def test_ensemble_weighting_by_hand():
    labels = np.array([0, 1])
    p1 = np.array([[0.9, 0.1], [0.4, 0.6]])
    p2 = np.array([[0.7, 0.3], [0.8, 0.2]])  # accuracy 0.5
    uniform = get_label_quality_ensemble_scores(labels, [p1, p2], weight_ensemble_members_by="uniform")
    assert np.allclose(uniform, [0.8, 0.4])
    accuracy = get_label_quality_ensemble_scores(labels, [p1, p2])  # weights 1/1.5 and 0.5/1.5
    assert np.allclose(accuracy, [0.9 * 2 / 3 + 0.7 / 3, 0.6 * 2 / 3 + 0.2 / 3])
    custom = get_label_quality_ensemble_scores(
        labels, [p1, p2], weight_ensemble_members_by="custom", custom_weights=np.array([1.0, 1.0])
    )
    assert np.allclose(custom, [1.6, 0.8])  # custom weights are not normalised


# ---------------------------------------------------------------------------------------------
# Validation


def test_bad_arguments_raise():
    labels, probs = np.array([0, 1]), np.array([[0.9, 0.1], [0.3, 0.7]])
    with pytest.raises(ValueError, match="scoring method"):
        get_label_quality_scores(labels, probs, method="bogus")
    with pytest.raises(ValueError, match="adjust_pred_probs"):
        get_label_quality_scores(labels, probs, method="confidence_weighted_entropy", adjust_pred_probs=True)
    with pytest.raises(ValueError, match="between 0 and 1"):
        get_label_quality_scores(labels, probs + 0.5)
    with pytest.raises(ValueError, match="1D"):
        get_label_quality_scores(labels[:, None], probs)
    with pytest.raises(ValueError, match="at least 3 columns"):
        get_label_quality_scores(np.array([0, 2]), probs)
    with pytest.raises(ValueError, match="list"):
        get_label_quality_ensemble_scores(labels, probs)
    with pytest.raises(ValueError, match="custom_weights"):
        get_label_quality_ensemble_scores(labels, [probs, probs], weight_ensemble_members_by="custom")
    with pytest.raises(ValueError, match="custom_weights"):
        get_label_quality_ensemble_scores(labels, [probs], custom_weights=np.array([1.0]))
    with pytest.raises(ValueError, match="2 models"):
        get_label_quality_ensemble_scores(
            labels, [probs, probs], weight_ensemble_members_by="custom", custom_weights=np.array([1.0])
        )
    with pytest.raises(ValueError, match="weight_ensemble_members_by"):
        get_label_quality_ensemble_scores(labels, [probs], weight_ensemble_members_by="bogus")
    with pytest.raises(ValueError, match="every class"):
        get_label_quality_ensemble_scores(
            np.array([0, 0, 1]), [np.full((3, 3), 1 / 3)] * 2, weight_ensemble_members_by="log_loss_search"
        )
    with pytest.raises(ValueError, match="scoring method"):
        order_label_issues(np.array([True, False]), labels, probs, rank_by="bogus")


def test_single_class_is_allowed_for_scores_only():
    probs = np.array([[0.9, 0.1], [0.3, 0.7]])
    assert get_label_quality_scores(np.array([1, 1]), probs).tolist() == [0.1, 0.7]
    with pytest.raises(ValueError, match="at least 2 classes"):
        order_label_issues(np.array([True, True]), np.array([1, 1]), probs)
    assert order_label_issues(np.array([True, True]), np.array([0, 0]), probs).tolist() == [1, 0]


def test_ensemble_never_prints(capsys):
    probs = np.array([[0.9, 0.1], [0.3, 0.7]])
    get_label_quality_ensemble_scores(np.array([0, 1]), [probs, probs], verbose=True)
    assert capsys.readouterr().out == ""
