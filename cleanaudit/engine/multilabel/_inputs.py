"""Multi-label inputs: the one-hot matrix, the per-class binary view, and validation (spec §1).

``labels`` is a list of N iterables of class indices (``[]`` = no class); ``pred_probs`` an
N×K array of independent per-class probabilities. Class c is looked at as a binary problem:
``y = Y[:, c]`` and ``Q = [1 - P[:, c], P[:, c]]`` (column 1 = "is c").
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

from .._util import check_prob_range, prob_extremes

__all__ = ["labels_to_onehot"]


def labels_to_onehot(labels: Iterable, num_classes: int) -> np.ndarray:
    """The N×K 0/1 int matrix of ``labels``: ``Y[i, c] = 1`` when row i lists class c.

    Duplicates inside a row count once. Entries that are not one of ``0..K-1`` (indices >= K,
    negatives) are dropped with a ``UserWarning``, as the reference's one-hot conversion does.

    >>> labels_to_onehot([[0, 2], [], [1, 1]], 3).tolist()
    [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    """
    k = int(num_classes)
    known = {c: c for c in range(k)}  # a dict lookup: 1.0 and True find class 1, as in the reference
    rows: list[int] = []
    cols: list[int] = []
    unknown: set = set()
    try:
        examples = list(labels)
        for i, row in enumerate(examples):
            for label in row:
                c = known.get(label)
                if c is None:
                    unknown.add(label)
                else:
                    rows.append(i)
                    cols.append(c)
    except TypeError as exc:
        raise ValueError(
            "wrong format for labels, should be a list of list[indices] (one list of class indices per example)"
        ) from exc
    if unknown:
        warnings.warn(f"unknown class(es) {sorted(unknown, key=str)} will be ignored", UserWarning, stacklevel=2)
    onehot = np.zeros((len(examples), k), dtype=np.int64)
    onehot[rows, cols] = 1
    return onehot


def onehot(labels, pred_probs: np.ndarray) -> np.ndarray:
    """One-hot of ``labels`` with K = ``pred_probs.shape[1]`` (the reference's ``get_onehot_num_classes``)."""
    return labels_to_onehot(labels, pred_probs.shape[1])


def binary_view(p: np.ndarray) -> np.ndarray:
    """``[1 - p, p]`` as an N×2 array in p's dtype, laid out like the reference's (column-major)."""
    return np.vstack((1 - p, p)).T


def num_classes_in_labels(labels) -> int:
    """Number of distinct classes present in ``labels`` (how the reference's calibration sizes K)."""
    if any(isinstance(row, list) for row in labels):
        return len({c for row in labels for c in list(row)})
    return len(set(labels))


def _is_pandas(obj) -> bool:
    return type(obj).__module__.split(".")[0] == "pandas"


def validate(labels, pred_probs) -> None:
    """The reference's full multi-label validation, in its order (spec §1).

    Type errors for a non-list ``labels`` or a non-array ``pred_probs``; ``ValueError`` for
    unequal lengths, a non-2-D ``pred_probs``, rows that are not lists (the reference: a bare
    assert), no label at all, a class index beyond ``pred_probs``' columns, or probabilities
    outside ``[-1e-6, 1 + 1e-6]``.
    """
    if not isinstance(labels, (list, np.ndarray, np.generic)) and not _is_pandas(labels):
        raise TypeError("labels should be a list of lists of class indices.")
    if not isinstance(pred_probs, np.ndarray):
        raise TypeError("pred_probs must be a numpy array.")
    if len(pred_probs) != len(labels):
        raise ValueError("pred_probs and labels must have same length.")
    if pred_probs.ndim != 2:
        raise ValueError("pred_probs array must have shape: num_examples x num_classes.")
    if not isinstance(labels, list) or not all(isinstance(row, list) for row in labels):
        raise ValueError("labels must be a list with one list of class indices per example (multi-label format).")
    annotated = [max(row) for row in labels if len(row) != 0]
    if not annotated:
        raise ValueError("labels has no class at all: every example's label list is empty (max() of empty).")
    highest_class = max(annotated) + 1
    if pred_probs.shape[1] < highest_class:
        raise ValueError(
            f"pred_probs must have at least {highest_class} columns, "
            "based on the largest class index which appears in labels."
        )
    check_prob_range(*prob_extremes(pred_probs))
