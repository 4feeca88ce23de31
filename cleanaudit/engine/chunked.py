"""Label issues a batch of rows at a time: the streaming ``low_self_confidence`` filter (spec §5 step 2).

An internal function, not part of the reference's array API: it is what ``CleanLearning(low_memory=True)``
flags (through :func:`cleanaudit.engine.issues.label_issues`). Per-class thresholds and the number of
issues are accumulated over batches of rows, so only one batch of temporaries exists at a time; the
result approximates ``find_label_issues(filter_by="low_self_confidence")``, whose thresholds and count
come from the whole of ``pred_probs`` at once.
"""

from __future__ import annotations

import numpy as np

from ._scan import label_beaten
from ._util import CONFIDENT_THRESHOLDS_LOWER_BOUND, FLOATING_POINT_COMPARISON, as_labels
from .count import get_confident_thresholds

__all__ = ["low_self_confidence_issues", "LOW_MEMORY_BATCH_SIZE"]

LOW_MEMORY_BATCH_SIZE = 10_000


def low_self_confidence_issues(
    labels, pred_probs: np.ndarray, *, batch_size: int = LOW_MEMORY_BATCH_SIZE
) -> np.ndarray:
    """Boolean mask: the lowest self-confidences, as many as a batched count of confident errors.

    Two passes over ``batch_size`` rows at a time. The first keeps a running mean of each class's
    threshold (the batch's mean self-confidence, weighted by the batch's class counts; clipped
    below at 2e-6). The second counts the examples whose top class ``j`` is not the given label
    and reaches ``j``'s threshold (within 1e-6). That many examples with the smallest
    ``P[i, labels[i]]`` are flagged, except those whose given label is (within 1e-6) the top guess.

    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> low_self_confidence_issues(np.array([0, 0, 0, 1, 1, 1]), P, batch_size=4).tolist()
    [False, False, True, False, False, True]
    """
    y = as_labels(labels)
    n, k = pred_probs.shape
    thresholds, seen = np.zeros(k), np.zeros(k)
    for start in range(0, n, batch_size):
        y_b, p_b = y[start : start + batch_size], pred_probs[start : start + batch_size]
        counts = np.bincount(y_b, minlength=k)
        # Running mean of the per-class mean self-confidence, weighted by the batch's class counts.
        thresholds = (seen * thresholds + counts * get_confident_thresholds(y_b, p_b)) / np.clip(seen + counts, 1, None)
        thresholds = np.clip(thresholds, CONFIDENT_THRESHOLDS_LOWER_BOUND, None)
        seen += counts
    adjusted = thresholds - FLOATING_POINT_COMPARISON
    count = 0
    for start in range(0, n, batch_size):
        y_b, p_b = y[start : start + batch_size], pred_probs[start : start + batch_size]
        top = p_b.argmax(axis=1)
        count += int(np.sum((p_b[np.arange(len(y_b)), top] >= adjusted[top]) & (top != y_b)))
    self_confidence = pred_probs[np.arange(n), y]
    flagged = np.argsort(self_confidence)[:count]
    # As everywhere in confident learning: never flag an example whose label is (within 1e-6) the top guess.
    flagged = flagged[label_beaten(pred_probs[flagged], y[flagged])]
    mask = np.zeros(n, dtype=bool)
    mask[flagged] = True
    return mask
