"""The chunked engine (engine/blocks.py) equals the in-memory engine exactly, for any block sizes.

Seeded random loops over: float32 and float64, classes missing from the labels, blocks where a
class is absent, 1-row and uneven blocks, coarse probabilities full of ties, many classes (the
long-row and sparse-margin code paths), and every filter_by and option; plus cross-validated
pred_probs of real data (digits, wine) with noisy labels.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import cleanaudit.engine as mem
from cleanaudit.engine import blocks
from cleanaudit.engine.dataset import health_summary
from cleanaudit.engine.filter import FILTER_BY

RANK_BY = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")


def random_case(rng: np.random.Generator):
    """Labels, pred_probs (some rows tied, some classes never given) and uneven block bounds."""
    k = int(rng.choice([2, 3, 4, 7, 20, 40]))
    n = int(rng.integers(k + 2, 260))
    given = rng.choice(k, size=max(2, k - int(rng.integers(0, 3))), replace=False)  # some classes never given
    labels = rng.choice(given, size=n)
    labels[:2] = given[:2]
    probs = rng.dirichlet(np.full(k, 0.6), size=n)
    probs[np.arange(n), labels] += rng.random(n) * rng.choice([0.0, 1.5])  # informative or not
    probs /= probs.sum(axis=1, keepdims=True)
    if rng.random() < 0.5:  # coarse grid: many exact ties in self-confidences and margins
        probs = np.round(probs * 10) / 10
    dtype = rng.choice([np.float32, np.float64])
    probs = probs.astype(dtype)
    cuts = np.unique(np.concatenate([rng.integers(0, n, size=int(rng.integers(0, 12))), [0, n]]))
    if rng.random() < 0.3:
        cuts = np.arange(n + 1)  # one row per block
    return labels, probs, [(labels[a:b], probs[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]


def outcome(func, *args, **kwargs):
    """The result, or the exception type (both engines must fail alike)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return func(*args, **kwargs)
        except (ValueError, ZeroDivisionError, NotImplementedError) as exc:
            return type(exc)


def assert_equal(ours, theirs, note=""):
    if isinstance(theirs, type) or isinstance(ours, type):
        assert ours is theirs, (note, ours, theirs)
    elif isinstance(theirs, dict):
        assert ours.keys() == theirs.keys(), note
        for key in theirs:
            assert_equal(ours[key], theirs[key], f"{note} {key}")
    elif isinstance(theirs, tuple):
        assert len(ours) == len(theirs), note
        for a, b in zip(ours, theirs):
            assert_equal(a, b, note)
    else:
        a, b = np.asarray(ours), np.asarray(theirs)
        assert a.dtype == b.dtype and a.shape == b.shape, (note, a.dtype, b.dtype, a.shape, b.shape)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), (note, a, b)


CASES = [random_case(np.random.default_rng(seed)) for seed in range(60)]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_counting_scores_and_health_equal_in_memory(case):
    y, p, parts = CASES[case]
    assert_equal(blocks.get_confident_thresholds(parts), mem.get_confident_thresholds(y, p), "thresholds")
    for calibrate in (True, False):
        assert_equal(
            blocks.compute_confident_joint(parts, calibrate=calibrate, return_indices_of_off_diagonals=True),
            mem.compute_confident_joint(y, p, calibrate=calibrate, return_indices_of_off_diagonals=True),
            "cj",
        )
    assert_equal(blocks.estimate_joint(parts), mem.estimate_joint(y, p), "joint")
    for converge in (True, False):
        assert_equal(
            outcome(
                blocks.estimate_py_and_noise_matrices_from_probabilities, parts, converge_latent_estimates=converge
            ),
            outcome(mem.estimate_py_and_noise_matrices_from_probabilities, y, p, converge_latent_estimates=converge),
            "noise matrices",
        )
    cj = mem.compute_confident_joint(y, p)
    assert_equal(blocks.estimate_latent(cj, parts), mem.estimate_latent(cj, y), "latent")
    for method in ("off_diagonal", "off_diagonal_calibrated"):
        assert_equal(
            outcome(blocks.num_label_issues, parts, estimation_method=method),
            outcome(mem.num_label_issues, y, p, estimation_method=method),
            method,
        )
    for method in RANK_BY:
        for adjust in (False, True):
            assert_equal(
                outcome(blocks.get_label_quality_scores, parts, method=method, adjust_pred_probs=adjust),
                outcome(mem.get_label_quality_scores, y, p, method=method, adjust_pred_probs=adjust),
                f"scores {method} {adjust}",
            )
    assert_equal(blocks.rank_classes_by_label_quality(parts), mem.rank_classes_by_label_quality(y, p), "classes")
    for asym in (False, True):
        assert_equal(
            blocks.find_overlapping_classes(parts, asymmetric=asym), mem.find_overlapping_classes(y, p, asymmetric=asym)
        )
    assert_equal(outcome(blocks.overall_label_health_score, parts), outcome(mem.overall_label_health_score, y, p))
    assert_equal(outcome(blocks.health_summary, parts), outcome(health_summary, y, p), "health")


@pytest.mark.parametrize("case", range(len(CASES)))
def test_find_label_issues_equals_in_memory(case):
    y, p, parts = CASES[case]
    rng = np.random.default_rng(case)
    for filter_by in FILTER_BY:
        options = [{}, {"return_indices_ranked_by": str(rng.choice(RANK_BY))}, {"min_examples_per_class": 5}]
        if filter_by in ("prune_by_noise_rate", "prune_by_class", "both"):
            options += [{"frac_noise": 0.5}, {"confident_joint": mem.compute_confident_joint(y, p)}]
            options += [{"num_to_remove_per_class": list(rng.integers(0, 4, size=p.shape[1]))}]
        options += [{"return_indices_ranked_by": "normalized_margin", "rank_by_kwargs": {"adjust_pred_probs": True}}]
        for opts in options:
            assert_equal(
                outcome(blocks.find_label_issues, parts, filter_by=filter_by, **opts),
                outcome(mem.find_label_issues, y, p, filter_by=filter_by, **opts),
                f"{filter_by} {opts}",
            )


@pytest.mark.parametrize("case", range(0, len(CASES), 3))
def test_label_issues_equals_in_memory(case):
    from cleanaudit.engine.issues import label_issues

    y, p, parts = CASES[case]
    for kwargs in ({}, {"estimate_noise": True}, {"filter_by": "both", "rank_by": "normalized_margin"}):
        ours, theirs = outcome(blocks.label_issues, parts, **kwargs), outcome(label_issues, y, p, **kwargs)
        if isinstance(theirs, type):
            assert ours is theirs
            continue
        for name in ("is_issue", "label_quality", "predicted_labels", "ranked_indices", "confident_joint", "py"):
            assert_equal(getattr(ours, name), getattr(theirs, name), name)


def test_large_blocks_and_a_callable_source():
    """Big enough for the in-memory engine's own row blocks and candidate blocks to matter."""
    rng = np.random.default_rng(5)
    n, k = 60_000, 5
    y = rng.integers(0, k, size=n)
    p = rng.dirichlet(np.ones(k), size=n).astype(np.float32)
    p[np.arange(n), y] += 0.5
    p /= p.sum(axis=1, keepdims=True)
    source = blocks.LocalBlocks(lambda: ((y[s : s + 7001], p[s : s + 7001]) for s in range(0, n, 7001)))
    for filter_by in FILTER_BY:
        assert np.array_equal(
            blocks.find_label_issues(source, filter_by=filter_by), mem.find_label_issues(y, p, filter_by=filter_by)
        )


def test_one_shot_iterator_and_bad_blocks_are_refused():
    y, p = np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(TypeError, match="read several times"):
        blocks.num_label_issues(iter([(y, p)]))
    with pytest.raises(ValueError, match="same length"):
        blocks.num_label_issues([(y, p[:2])])
    with pytest.raises(ValueError, match="same columns"):
        blocks.num_label_issues([(y[:1], p[:1]), (y[1:], np.ones((2, 3)) / 3)])
    with pytest.raises(ValueError, match="at least 3 columns"):
        blocks.num_label_issues([(np.array([0, 2]), p[:2])])


def test_real_data_cross_validated():
    """Digits and wine: out-of-fold pred_probs of a small model, 15% of labels flipped."""
    from sklearn.datasets import load_digits, load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    for load in (load_digits, load_wine):
        X, y = load(return_X_y=True)
        rng = np.random.default_rng(0)
        flip = rng.random(len(y)) < 0.15
        y = np.where(flip, rng.integers(0, y.max() + 1, size=len(y)), y)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
        p = cross_val_predict(model, X, y, cv=3, method="predict_proba")
        for dtype in (np.float64, np.float32):
            q = p.astype(dtype)
            parts = blocks.LocalBlocks.from_arrays(y, q, 97)
            for filter_by in FILTER_BY:
                ours = blocks.find_label_issues(parts, filter_by=filter_by, return_indices_ranked_by="self_confidence")
                assert np.array_equal(
                    ours, mem.find_label_issues(y, q, filter_by=filter_by, return_indices_ranked_by="self_confidence")
                )
            assert blocks.num_label_issues(parts) == mem.num_label_issues(y, q) > 0
            assert_equal(blocks.health_summary(parts), health_summary(y, q))
