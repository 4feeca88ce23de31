"""The per-class binary problems behind multi-label issue finding (spec §3 and §5.3).

Each class c is a two-class problem ``(y, Q)`` (see ``_inputs.binary_view``). The normal path
is the single-label :func:`cleanaudit.engine.filter.find_label_issues` on it, which agrees with
the reference bit for bit; only its "too few examples" warning is replaced by the reference's
per-binary-class one. ``low_memory`` follows the reference's batched estimator instead
(running thresholds, an argmax count, the lowest scores), which behaves differently.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import filter as single_label
from .._scan import label_beaten
from .._util import CONFIDENT_THRESHOLDS_LOWER_BOUND, FLOATING_POINT_COMPARISON
from ..count import _thresholds
from ..rank import METHODS, chunk_scores

BATCH_SIZE = 10000  # the reference's find_label_issues_batched default, which fixes the threshold updates
_OWN_SMALL_CLASS_WARNING = r"Classes \[.*\] have at most min_examples_per_class"


def find_binary_issues(
    y: np.ndarray,
    q: np.ndarray,
    *,
    return_indices_ranked_by,
    rank_by_kwargs,
    filter_by: str,
    frac_noise: float,
    num_to_remove_per_class,
    min_examples_per_class: int,
    confident_joint,
    n_jobs,
) -> np.ndarray:
    """Single-label confident learning on one class's binary view: a mask, or ranked indices."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_OWN_SMALL_CLASS_WARNING)
        found = single_label.find_label_issues(
            y,
            q,
            return_indices_ranked_by=return_indices_ranked_by,
            rank_by_kwargs=rank_by_kwargs or {},
            filter_by=filter_by,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class,
            confident_joint=confident_joint,
            n_jobs=n_jobs,
        )
    if filter_by in ("prune_by_class", "both"):
        _warn_small_classes(y, min_examples_per_class, "(see argument: `min_examples_per_class`)")
    if filter_by in ("prune_by_noise_rate", "both"):
        _warn_small_classes(y, min_examples_per_class, "(see `min_examples_per_class` argument)")
    return found


def _warn_small_classes(y: np.ndarray, min_examples_per_class: int, see: str) -> None:
    """The reference's warning, per pruning pass, for each binary class with too few examples."""
    counts = np.bincount(y, minlength=2)[:2]
    for k in (0, 1):
        if counts[k] <= min_examples_per_class:
            warnings.warn(f"May not flag all label issues in class: {k}, it has too few examples {see}", stacklevel=4)


def _running_thresholds(y: np.ndarray, q: np.ndarray, batch_size: int) -> np.ndarray:
    """Per-binary-class thresholds as the batched estimator accumulates them (float64).

    After each batch: ``T = (E·T + c·t) / max(E + c, 1)`` with the batch's thresholds t and
    counts c, then clipped below at 2e-6. A binary class absent from every batch ends at 2e-6.
    """
    seen = np.zeros(2)
    thresholds = np.zeros(2)
    for start in range(0, len(y), batch_size):
        yb, qb = y[start : start + batch_size], q[start : start + batch_size]
        counts = np.bincount(yb, minlength=2)[:2]
        batch = _thresholds(yb, qb)
        thresholds = (seen * thresholds + counts * batch) / np.clip(seen + counts, 1, None)
        thresholds = np.clip(thresholds, CONFIDENT_THRESHOLDS_LOWER_BOUND, None)
        seen += counts
    return thresholds


def find_binary_issues_low_memory(
    y: np.ndarray, q: np.ndarray, *, return_indices_ranked_by: str | None, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """The reference's batched estimator on one class: a mask, or the flagged indices ascending.

    The number of issues is the count of examples whose argmax differs from the label and
    reaches that class's running threshold (minus 1e-6); the flagged ones are that many lowest
    scores (``return_indices_ranked_by``, default self-confidence, never adjusted), minus those
    whose label is within 1e-6 of the argmax.
    """
    method = return_indices_ranked_by or "self_confidence"
    if method not in METHODS:
        raise ValueError(f"{method!r} is not a valid scoring method; choose one of: {', '.join(METHODS)}")
    if len(y) == 0:
        raise ValueError("Have not evaluated any labels yet: labels and pred_probs are empty.")
    yi = y.astype(np.intp, copy=False)
    cut = _running_thresholds(yi, q, batch_size) - FLOATING_POINT_COMPARISON
    predicted = np.argmax(q, axis=1)
    top = q[np.arange(len(yi)), predicted]
    num_issues = int(np.count_nonzero((top >= cut[predicted]) & (predicted != yi)))
    scores = chunk_scores(q, yi, method, None)
    mask = np.zeros(len(yi), dtype=bool)
    mask[np.argsort(scores)[:num_issues]] = True
    mask &= label_beaten(q, yi)
    if return_indices_ranked_by is None:
        return mask
    return np.where(mask)[0]
