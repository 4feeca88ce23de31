"""Shared pieces of the multi-label engine's differential tests: random label sets, the worked
example of the spec (§17, Example 1), the reference run on one core, and the comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
from engine_cases import FAST, call_silenced
from hypothesis import settings
from hypothesis import strategies as st

try:
    import cleanlab.filter as ref_filter
except ImportError:  # pragma: no cover - the test extra installs it
    ref_filter = None

needs_ref = pytest.mark.skipif(ref_filter is None, reason="cleanlab (the reference) is not installed")
# The multi-label calls are cheap (K small binary problems): more examples than FAST within the time budget.
MANY = settings(FAST, max_examples=100)

FILTER_BY = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
PRUNING = ("prune_by_noise_rate", "prune_by_class", "both")
RANK_BY = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")

# Spec §17, Example 1 (cleanlab 2.9.0 outputs).
LABELS = [[0], [0, 1], [1], [], [2], [0, 2], [1, 2], [0], [1], [2]]
PRED_PROBS = np.array(
    [[.9, .1, .2], [.8, .3, .1], [.2, .7, .1], [.1, .2, .15], [.6, .1, .8], [.7, .2, .9], [.1, .8, .3],
     [.05, .9, .2], [.3, .6, .4], [.2, .3, .45]]
)  # fmt: skip
NEVER_ANNOTATED = [0.1, 0.2, 0.9, 0.3, 0.1, 0.2, 0.1, 0.05, 0.6, 0.2]  # a 4th class that no row lists


class _OneCore:
    """Stands in for psutil in the reference: one physical core, so it never starts a process pool
    (its results do not depend on n_jobs; the pools only cost seconds per call)."""

    @staticmethod
    def cpu_count(logical: bool = True) -> int:
        return 1


@pytest.fixture(autouse=True, scope="module")
def reference_on_one_core():
    if ref_filter is None:
        yield
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ref_filter, "psutil", _OneCore, raising=False)
        mp.setattr(ref_filter, "psutil_exists", True, raising=False)
        yield


@st.composite
def multilabel_cases(draw, max_n: int = 60, max_k: int = 8, min_k: int = 1):
    """(labels, pred_probs): random label sets and continuous probabilities (no ties), float32 or float64.

    Quirks drawn on purpose: empty rows, a class no row lists, a class every row lists, a class
    listed once; rows sometimes unsorted with duplicates. Probabilities are independent per class
    (rows need not sum to 1), sometimes informative about the labels.
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, k = draw(st.integers(2, max_n)), draw(st.integers(min_k, max_k))
    onehot = rng.random((n, k)) < draw(st.sampled_from([0.1, 0.3, 0.6]))
    quirk = draw(st.sampled_from(["none", "none", "never", "every", "once", "empty_rows"]))
    c = int(rng.integers(k))
    if quirk == "never" and k > 1:
        onehot[:, c] = False
    elif quirk == "every":
        onehot[:, c] = True
    elif quirk == "once":
        onehot[:, c] = False
        onehot[rng.integers(n), c] = True
    elif quirk == "empty_rows":
        onehot[rng.random(n) < 0.3] = False
    if not onehot.any():
        onehot[rng.integers(n), c] = True  # validated entry points need at least one label
    labels = [np.flatnonzero(row).tolist() for row in onehot]
    if draw(st.booleans()):
        labels = [rng.permutation(row + row[:1]).tolist() for row in labels]  # unsorted, duplicates
    probs = rng.random((n, k))
    if draw(st.booleans()):
        probs = np.where(onehot, 0.3 + 0.7 * probs, 0.7 * probs)
    return labels, probs.astype(draw(st.sampled_from([np.float64, np.float32])))


def onehot_of(labels, num_classes: int) -> np.ndarray:
    out = np.zeros((len(labels), num_classes), dtype=int)
    for i, row in enumerate(labels):
        out[i, [c for c in row if 0 <= c < num_classes]] = 1
    return out


def run(fn, *args, **kwargs):
    """``fn``'s result, or the exception type (the reference's bare asserts count as ValueError)."""
    out = call_silenced(fn, *args, **kwargs)
    return ValueError if out is AssertionError else out


def assert_same(ours, theirs, *, tol: float = 1e-12, what=None) -> None:
    """Equal results: masks, indices and counts exactly (dtype kind too), floats to ``tol``;
    or both raised the same kind of error (ValueError or TypeError)."""
    if isinstance(ours, type) or isinstance(theirs, type):
        assert isinstance(ours, type) and isinstance(theirs, type), (what, ours, theirs)
        assert issubclass(ours, ValueError) == issubclass(theirs, ValueError), (what, ours, theirs)
        assert issubclass(ours, TypeError) == issubclass(theirs, TypeError), (what, ours, theirs)
        return
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, type(theirs)) and len(ours) == len(theirs), (what, ours, theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b, tol=tol, what=what)
        return
    a, b = np.asarray(ours), np.asarray(theirs)
    assert a.shape == b.shape, (what, a, b)
    if b.dtype.kind == "f":
        assert a.dtype == np.float64 or a.dtype == b.dtype, (what, a.dtype, b.dtype)
        np.testing.assert_allclose(a, b, rtol=0, atol=tol, err_msg=str(what))
    else:
        assert a.dtype.kind == b.dtype.kind, (what, a.dtype, b.dtype)
        assert np.array_equal(a, b), (what, a, b)
