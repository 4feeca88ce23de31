"""The out-of-fold confusion matrix: given label against the model's most likely class.

A confusion matrix is the argmax of ``pred_probs`` against the given labels (not the confident
joint, which counts only confident predictions). It is reported with the accuracy per class and
the pairs the model confuses most; past :data:`MAX_MATRIX_CLASSES` classes the K x K matrix
itself is left out of the payload (it grows with K squared) and the pairs carry the story.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_MATRIX_CLASSES = 100  # the K x K counts are in the payload up to this many classes
TOP_CONFUSED_PAIRS = 10


def confusion_summary(
    labels: np.ndarray,
    pred_probs: np.ndarray | None,
    class_names: Sequence[Any],
    *,
    predicted: np.ndarray | None = None,
) -> dict[str, Any]:
    """Counts of (given, predicted), accuracy per class and the most confused pairs, JSON-ready.

    ``matrix[i][j]`` counts rows given class i that the model predicts as class j; ``per_class``
    is in class order; ``top_confused`` lists off-diagonal cells, largest first. ``predicted``
    (each row's argmax, when pred_probs are not held here) stands in for ``pred_probs``.

    >>> p = np.array([[.9, .1], [.2, .8], [.3, .7], [.1, .9]])
    >>> summary = confusion_summary(np.array([0, 0, 1, 1]), p, ["a", "b"])
    >>> summary["matrix"], summary["accuracy"], summary["top_confused"]
    ([[1, 1], [0, 2]], 0.75, [{'given_label': 'a', 'predicted_label': 'b', 'rows': 1, 'share_of_given': 0.5}])
    """
    labels = np.asarray(labels, dtype=np.int64)
    k = len(class_names)
    predicted = np.asarray(pred_probs).argmax(axis=1) if predicted is None else np.asarray(predicted)
    # Only the cells that occur (at most N): a dense K x K array would not fit for 10,000s of classes.
    cells, cell_counts = np.unique(labels * k + predicted, return_counts=True)
    given_rows = np.bincount(labels, minlength=k)
    hit = cells // k == cells % k
    correct = np.zeros(k, dtype=np.int64)
    correct[cells[hit] // k] = cell_counts[hit]
    names = [_plain(c) for c in class_names]
    per_class = [
        {
            "class": names[i],
            "rows": int(given_rows[i]),
            "correct": int(correct[i]),
            "accuracy": float(correct[i] / given_rows[i]) if given_rows[i] else None,
        }
        for i in range(k)
    ]
    off_cells, off_counts = cells[~hit], cell_counts[~hit]
    order = np.argsort(-off_counts, kind="stable")[:TOP_CONFUSED_PAIRS]  # ties: in class order
    top = [
        {
            "given_label": names[int(off_cells[i] // k)],
            "predicted_label": names[int(off_cells[i] % k)],
            "rows": int(off_counts[i]),
            "share_of_given": float(off_counts[i] / given_rows[off_cells[i] // k]),
        }
        for i in order
    ]
    matrix = None
    if k <= MAX_MATRIX_CLASSES:
        dense = np.zeros(k * k, dtype=np.int64)
        dense[cells] = cell_counts
        matrix = dense.reshape(k, k).tolist()
    total = int(labels.size)
    return {
        "class_names": names,
        "matrix": matrix,
        "accuracy": float(correct.sum() / total) if total else None,
        "per_class": per_class,
        "top_confused": top,
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
