"""Numerical helpers shared by the engine (spec §0) and input validation.

Everything here is pure NumPy. The rounding helpers reproduce the reference's exact
tie-breaking (NumPy's default, unstable argsort; round half to even), because calibrated
counts feed integer masks downstream and must agree to the last unit.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# Constants of the reference implementation (spec, preamble).
FLOATING_POINT_COMPARISON = 1e-6
CLIPPING_LOWER_BOUND = 1e-6
CONFIDENT_THRESHOLDS_LOWER_BOUND = 2e-6
TINY_VALUE = 1e-100
EPSILON = 1e-6

# Work on pred_probs a block of rows at a time so temporaries stay small and cache-resident.
_CHUNK_ELEMENTS = 1 << 17
_MIN_CHUNK_ELEMENTS = 1 << 12


def round_preserving_sum(values: np.ndarray) -> np.ndarray:
    """Round to integers (half to even) while keeping the rounded total of ``values``.

    Units are added to (or removed from) the entries with the largest (smallest) residuals;
    among equal residuals the reference's sort order decides (here: the later entry).

    >>> round_preserving_sum(np.array([0.4, 0.4, 1.2])).tolist()
    [0, 1, 1]
    """
    v = np.asarray(values, dtype=float)
    r = np.round(v)
    target = np.round(v.sum())
    # Written so that NaN/inf totals end the loop at once (NaN entries then cast to INT_MIN, as in
    # the reference); for finite inputs it is `while r.sum() != target`.
    while abs(target - r.sum()) > 0.5:
        diff = target - r.sum()
        inc = 1 if diff > 0 else -1
        # Ascending argsort, reversed for "largest first": this is the reference's tie order.
        order = np.argsort(v - r)
        if inc > 0:
            order = order[::-1]
        r[order[: min(int(abs(diff)), len(v))]] += inc
    with np.errstate(invalid="ignore"):
        return r.astype(int)


def round_preserving_row_totals(matrix: np.ndarray) -> np.ndarray:
    """Apply :func:`round_preserving_sum` to every row; returns an int matrix.

    >>> round_preserving_row_totals(np.array([[0.5, 1.5], [0.25, 0.75]])).tolist()
    [[0, 2], [0, 1]]
    """
    m = np.asarray(matrix)
    return np.array([round_preserving_sum(row) for row in m], dtype=int).reshape(m.shape)


def clip_values(x: np.ndarray, low: float = 0.0, high: float = 1.0, new_sum: float | None = None) -> np.ndarray:
    """Clip ``x`` to ``[low, high]`` then rescale it to sum to ``new_sum`` (default: the old sum).

    >>> clip_values(np.array([0.0, 0.5, 0.5]), low=0.1, new_sum=1.0).round(4).tolist()
    [0.0909, 0.4545, 0.4545]
    """
    x = np.asarray(x, dtype=float)
    total = x.sum() if new_sum is None else new_sum
    clipped = np.clip(x, low, high)
    return clipped * total / clipped.sum()


def clip_noise_rates(matrix: np.ndarray) -> np.ndarray:
    """Clip off-diagonal rates to ``[0, 0.9999]`` (diagonal kept) and renormalise the columns.

    >>> clip_noise_rates(np.array([[0.5, 0.0], [0.5, 1.0]])).tolist()
    [[0.5, 0.0], [0.5, 1.0]]
    """
    m = np.asarray(matrix, dtype=float)
    clipped = np.clip(m, 0.0, 0.9999)
    np.fill_diagonal(clipped, m.diagonal())
    return clipped / np.clip(clipped.sum(axis=0), TINY_VALUE, None)


def label_counts(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Number of examples per class, zeros for classes absent from ``labels`` (int64, length K)."""
    return np.bincount(labels, minlength=num_classes)[:num_classes] if len(labels) else np.zeros(num_classes, int)


def chunk_rows(n_rows: int, n_cols: int) -> int:
    """Rows per block: about ``_CHUNK_ELEMENTS`` cells, and at most 1/64 of the matrix (so that
    block temporaries stay a small fraction of pred_probs, however small it is)."""
    cells = min(_CHUNK_ELEMENTS, max(_MIN_CHUNK_ELEMENTS, n_rows * n_cols // 64))
    return max(1, cells // max(n_cols, 1))


def row_chunks(n_rows: int, n_cols: int) -> Iterator[tuple[int, int]]:
    """Yield ``(start, stop)`` row ranges holding about ``_CHUNK_ELEMENTS`` cells each."""
    step = chunk_rows(n_rows, n_cols)
    for start in range(0, n_rows, step):
        yield start, min(start + step, n_rows)


# ---------------------------------------------------------------------------------------------
# Validation


def as_labels(labels) -> np.ndarray:
    """Labels as a 1-D integer array (lists, tuples and pandas Series accepted)."""
    if hasattr(labels, "to_numpy"):
        labels = labels.to_numpy()
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"Labels must be a 1D array, got shape {arr.shape}.")
    if arr.dtype.kind in "USO" and len(arr) and isinstance(arr.flat[0], str):
        raise ValueError("Labels cannot be strings, they must be zero-indexed integers corresponding to class indices.")
    if len(arr) == 0:
        return arr.astype(int)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"Labels must be integer class indices 0..K-1, got dtype {arr.dtype}.")
    return arr


def check_pred_probs(pred_probs) -> None:
    """pred_probs must be a 2-D NumPy array (the reference raises TypeError for other types)."""
    if not isinstance(pred_probs, np.ndarray):
        raise TypeError("pred_probs must be a numpy array.")
    if pred_probs.ndim != 2:
        raise ValueError(f"pred_probs array must have shape: num_examples x num_classes, got {pred_probs.shape}.")


def check_labels_match(labels: np.ndarray, pred_probs: np.ndarray, *, allow_one_class: bool) -> None:
    """Length, range and class-count checks shared by every labels + pred_probs function."""
    if len(labels) != pred_probs.shape[0]:
        raise ValueError(
            f"pred_probs and labels must have same length ({pred_probs.shape[0]} rows vs {len(labels)} labels)."
        )
    if len(labels) == 0:
        raise ValueError("labels and pred_probs are empty: need at least one example.")
    check_label_range(int(labels.min()), int(labels.max()), pred_probs.shape[1], allow_one_class=allow_one_class)


def check_label_range(lo: int, hi: int, num_classes: int, *, allow_one_class: bool) -> None:
    """The checks of :func:`check_labels_match` on the smallest and largest label."""
    if lo < 0:
        raise ValueError("Labels must be positive integers corresponding to class indices.")
    if hi >= num_classes:
        raise ValueError(
            f"pred_probs must have at least {hi + 1} columns, based on the largest class index which appears in labels."
        )
    if not allow_one_class and lo == hi:
        raise ValueError("Labels must contain at least 2 classes.")


def check_prob_range(lo: float, hi: float) -> None:
    """Raise unless observed pred_probs extremes lie in [-1e-6, 1+1e-6] (NaN passes, as in the reference)."""
    if lo < -FLOATING_POINT_COMPARISON or hi > 1 + FLOATING_POINT_COMPARISON:
        raise ValueError(f"Values in pred_probs must be between 0 and 1 (found min {lo:.6g}, max {hi:.6g}).")


def merge_extremes(lo: float, hi: float, b_lo: float, b_hi: float) -> tuple[float, float]:
    """Running (min, max) over blocks; once a NaN is seen it sticks, as with ``np.min`` on the whole."""
    if np.isnan(lo) or np.isnan(b_lo) or np.isnan(b_hi):
        return np.nan, np.nan
    return min(lo, b_lo), max(hi, b_hi)


def prob_extremes(pred_probs: np.ndarray) -> tuple[float, float]:
    """Min and max of pred_probs, a chunk at a time (cache-friendly; NaN propagates)."""
    lo, hi = np.inf, -np.inf
    for s, e in row_chunks(*pred_probs.shape):
        c = pred_probs[s:e]
        lo, hi = merge_extremes(lo, hi, c.min(), c.max())
    return float(lo), float(hi)


def validate(labels, pred_probs, *, allow_one_class: bool = False, check_range: bool = True) -> np.ndarray:
    """Validate a (labels, pred_probs) pair the way the reference's entry points do; return labels."""
    check_pred_probs(pred_probs)
    y = as_labels(labels)
    check_labels_match(y, pred_probs, allow_one_class=allow_one_class)
    if check_range:
        check_prob_range(*prob_extremes(pred_probs))
    return y
