"""Random annotator matrices for the multi-annotator differential tests, and result comparisons.

An example is a seeded draw: N up to 50 examples, M = 2..6 annotators of varied accuracy, K = 2..6
classes, a random share of missing labels (some rows with one label; every row and every annotator
with at least one), continuous pred_probs (float64 or float32) or, with ``ties=True``, probabilities
on a coarse grid so that majority-vote ties reach every tie-break.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from engine_cases import call_silenced
from hypothesis import strategies as st


def annotator_matrix(rng: np.random.Generator, n: int, m: int, k: int, truth: np.ndarray) -> np.ndarray:
    """Labels from annotators whose accuracies range from careless to careful, with missing cells."""
    accuracy = rng.uniform(0.2, 0.97, m)
    noise = rng.integers(0, k, (n, m))
    L = np.where(rng.random((n, m)) < accuracy, truth[:, None], noise).astype(float)
    L[rng.random((n, m)) < rng.uniform(0.0, 0.75)] = np.nan
    single = rng.random(n) < rng.uniform(0.0, 0.4)  # rows kept with exactly one label
    for i in np.flatnonzero(single):
        keep = rng.integers(m)
        L[i, np.arange(m) != keep] = np.nan
        if np.isnan(L[i, keep]):
            L[i, keep] = truth[i]
    for i in np.flatnonzero(np.isnan(L).all(axis=1)):
        L[i, rng.integers(m)] = truth[i]
    for j in np.flatnonzero(np.isnan(L).all(axis=0)):
        L[rng.integers(n), j] = rng.integers(k)
    if (np.sum(~np.isnan(L), axis=1) == 1).all():  # at least one row with several labels
        free = np.flatnonzero(np.isnan(L[0]))
        L[0, free[0]] = truth[0]
    return L


def model_probs(rng: np.random.Generator, truth: np.ndarray, k: int, *, ties: bool) -> np.ndarray:
    n = len(truth)
    probs = rng.dirichlet(np.full(k, rng.choice([0.3, 1.0, 3.0])), size=n)
    probs[np.arange(n), truth] += rng.random(n) * rng.choice([0.0, 0.5, 2.0])
    if ties:  # a coarse grid: equal probabilities inside a row are common
        probs = np.round(probs * 4) + 1
    return probs / probs.sum(axis=1, keepdims=True)


@st.composite
def multiannotator_cases(draw, *, ties: bool | None = None, max_n: int = 50, float32: bool = True):
    """``(L, pred_probs, seed)`` with ``seed`` for the legacy RNG of the random tie-breaks."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, m, k = draw(st.integers(2, max_n)), draw(st.integers(2, 6)), draw(st.integers(2, 6))
    truth = rng.integers(0, k, n)
    L = annotator_matrix(rng, n, m, k, truth)
    probs = model_probs(rng, truth, k, ties=draw(st.booleans()) if ties is None else ties)
    if float32 and draw(st.booleans()):
        probs = probs.astype(np.float32)
    return L, probs, seed % 2**31


def as_frame(L: np.ndarray, style: str):
    """The matrix as a DataFrame: float columns named by strings, or nullable Int64 columns with pd.NA."""
    if style == "named":
        return pd.DataFrame(L, columns=[f"rater_{j}" for j in range(L.shape[1])])
    if style == "nullable":
        return pd.DataFrame(L, columns=[10 + j for j in range(L.shape[1])]).astype("Int64")
    return L


def seeded(seed: int, fn, *args, **kwargs):
    """``fn`` after seeding the legacy RNG (random tie-breaks), silenced (see ``call_silenced``)."""
    np.random.seed(seed)
    return call_silenced(fn, *args, **kwargs)


def both_raised(ours, theirs) -> bool:
    """True when either side raised; then both must have, with the same kind of error."""
    if isinstance(ours, type) or isinstance(theirs, type):
        assert isinstance(ours, type) and isinstance(theirs, type), (ours, theirs)
        assert issubclass(ours, ValueError) == issubclass(theirs, ValueError), (ours, theirs)
        assert issubclass(ours, TypeError) == issubclass(theirs, TypeError), (ours, theirs)
        return True
    return False


EXACT = ("consensus_label", "num_annotations", "worst_class", "num_examples_labeled")


def assert_columns_match(ours: dict, frame: pd.DataFrame, tol: float) -> None:
    """Same column names in the same order; exact integers, floats within ``tol`` (NaN where NaN)."""
    assert list(ours) == list(frame.columns), (list(ours), list(frame.columns))
    for name in frame.columns:
        mine, ref = np.asarray(ours[name]), frame[name].to_numpy()
        if name.startswith(EXACT):
            assert mine.dtype == np.int64 and np.array_equal(mine, ref), (name, mine, ref)
        else:
            assert np.array_equal(np.isnan(mine), np.isnan(ref)), name
            assert np.allclose(mine, ref, rtol=0, atol=tol, equal_nan=True), (name, np.max(np.abs(mine - ref)))


def assert_same_result(ours, theirs, tol: float = 1e-12) -> None:
    """Our dict of column dicts against the reference's dict of DataFrames (and weights)."""
    if both_raised(ours, theirs):
        return
    assert list(ours) == list(theirs), (list(ours), list(theirs))
    assert_columns_match(ours["label_quality"], theirs["label_quality"], tol)
    if "detailed_label_quality" in theirs:
        assert_columns_match(ours["detailed_label_quality"], theirs["detailed_label_quality"], tol)
    if "annotator_stats" in theirs:
        stats, ref = dict(ours["annotator_stats"]), theirs["annotator_stats"]
        assert np.array_equal(stats.pop("annotator"), ref.index.to_numpy()), "annotator order"
        assert_columns_match(stats, ref, tol)
    if "model_weight" in theirs:
        assert np.allclose(ours["model_weight"], theirs["model_weight"], rtol=0, atol=tol)
        assert np.allclose(ours["annotator_weight"], theirs["annotator_weight"], rtol=0, atol=tol)
