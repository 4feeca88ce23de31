"""Finding label issues: the seven ``filter_by`` methods of confident learning (spec §2).

The pruning methods pick, per given class k, the examples with the smallest ``P[i, k]``
(``prune_by_class``) or the largest margins ``P[i, j] - P[i, k]`` (``prune_by_noise_rate``),
as many as the calibrated confident joint says (adjusted here: ``min_examples_per_class``,
``frac_noise``, ``num_to_remove_per_class``). Only examples whose given label is not the
tolerant argmax are ever reported, so one pass over pred_probs (``_scan``) finds those
candidates and the per-class selection (``_prune``) works on them. Results equal the
reference's except where its own unstable argsort breaks exact ties arbitrarily.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _prune
from ._group import ClassOrder
from ._prune import Candidates
from ._routes import multi_label as multi_label_route
from ._scan import scan
from ._util import (
    as_labels,
    check_labels_match,
    check_pred_probs,
    check_prob_range,
    label_counts,
    round_preserving_row_totals,
)
from .count import _force_diagonal, _thresholds, calibrate_confident_joint, num_label_issues
from .rank import METHODS as RANK_METHODS
from .rank import _scores, order_label_issues

__all__ = ["find_label_issues"]

FILTER_BY = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
_NO_PRUNE_COUNTS = ("confident_learning", "predicted_neq_given", "low_normalized_margin", "low_self_confidence")


def _reduce_prune_counts(pcm: np.ndarray, frac_noise: float) -> np.ndarray:
    """Keep ``frac_noise`` of each off-diagonal count, move the rest to the diagonal, truncate to int."""
    kept = pcm * frac_noise
    np.fill_diagonal(kept, pcm.diagonal())
    np.fill_diagonal(kept, pcm.diagonal() + np.sum(pcm - kept, axis=0))
    return kept.astype(int)


def _keep_at_least_n_per_class(pcm: np.ndarray, n: int, *, frac_noise: float = 1.0) -> np.ndarray:
    """Lower the prune counts of each column so that at least ``n`` examples per class remain."""
    diag = np.diagonal(pcm)
    new_diag = np.maximum(diag, n)
    # Spread the required increase of the diagonal over the column's other non-zero entries.
    per_entry = (new_diag - diag) / np.clip(np.count_nonzero(pcm, axis=0) - 1, 1, None)
    out = pcm - per_entry
    out[out < 0] = 0
    np.fill_diagonal(out, new_diag)
    return round_preserving_row_totals(_reduce_prune_counts(out, frac_noise))


def _apply_num_to_remove(pcm: np.ndarray, num_to_remove, n_k: np.ndarray) -> np.ndarray:
    """Rescale prune counts so that ``num_to_remove[k]`` examples are removed from class k."""
    remove = np.asarray(num_to_remove)
    # Broadcasting divides column j by the sum of row j: a quirk kept for agreement with the reference.
    psy = pcm / np.sum(pcm, axis=1)
    noise_per_s = psy.sum(axis=1) - psy.diagonal()
    tmp = (psy.T * remove / noise_per_s).T
    np.fill_diagonal(tmp, n_k - remove)
    return round_preserving_row_totals(tmp)


def _prunable(n_k: np.ndarray, min_examples_per_class: int) -> np.ndarray:
    """Classes the pruning methods may flag in (others are skipped, with a warning as in the reference)."""
    small = (n_k > 1) & (n_k <= min_examples_per_class)
    if small.any():
        warnings.warn(
            f"Classes {np.flatnonzero(small).tolist()} have at most min_examples_per_class="
            f"{min_examples_per_class} examples; none of their examples are flagged.",
            stacklevel=4,
        )
    # Singletons are never flagged: the reference writes a class's mask back only if len(mask) > 1.
    return (n_k > 1) & (n_k > min_examples_per_class)


def _check_options(filter_by, return_indices_ranked_by, frac_noise, num_to_remove_per_class) -> None:
    if filter_by not in FILTER_BY:
        raise ValueError(f"filter_by {filter_by!r} is not supported; choose one of: {', '.join(FILTER_BY)}")
    if return_indices_ranked_by is not None and return_indices_ranked_by not in RANK_METHODS:
        raise ValueError(
            f"return_indices_ranked_by {return_indices_ranked_by!r} is not a valid scoring method; "
            f"choose one of: {', '.join(RANK_METHODS)}"
        )
    if filter_by in _NO_PRUNE_COUNTS:
        if frac_noise != 1.0:
            warnings.warn(f"frac_noise is not used with filter_by={filter_by!r}.", stacklevel=3)
        if num_to_remove_per_class is not None:
            raise ValueError(
                "filter_by 'confident_learning', 'predicted_neq_given', 'low_normalized_margin' or "
                "'low_self_confidence' is not supported (yet) when setting 'num_to_remove_per_class'"
            )


def find_label_issues(
    labels,
    pred_probs: np.ndarray,
    *,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = None,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | None = None,
    n_jobs: int | None = None,
    verbose: bool = False,
    multi_label: bool = False,
) -> np.ndarray:
    """Flag likely label errors: a boolean mask, or indices ranked most severe first.

    ``filter_by`` is one of ``prune_by_noise_rate`` (default), ``prune_by_class``, ``both``,
    ``confident_learning``, ``predicted_neq_given``, ``low_normalized_margin``,
    ``low_self_confidence``. With ``return_indices_ranked_by`` (a score method of
    :func:`get_label_quality_scores`) the flagged indices are returned sorted by that score.
    An example whose given label is within 1e-6 of the top prediction is never flagged
    (except by the ``low_*`` methods). ``n_jobs`` and ``verbose`` are accepted for drop-in
    compatibility: the engine is vectorised instead of multi-process, and never prints.
    With ``multi_label=True``, ``labels`` is a list of label lists and
    :mod:`cleanaudit.engine.multilabel` answers (an example is flagged when any class is).

    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> find_label_issues(labels, P).tolist()
    [False, False, True, False, False, True]
    >>> find_label_issues(labels, P, return_indices_ranked_by="self_confidence").tolist()
    [2, 5]
    """
    if multi_label:
        return multi_label_route("find_label_issues")(
            labels,
            pred_probs,
            return_indices_ranked_by=return_indices_ranked_by,
            rank_by_kwargs=rank_by_kwargs,
            filter_by=filter_by,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class,
            confident_joint=confident_joint,
            n_jobs=n_jobs,
        )
    _check_options(filter_by, return_indices_ranked_by, frac_noise, num_to_remove_per_class)
    check_pred_probs(pred_probs)
    y = as_labels(labels)
    # The reference accepts a single class only when every label is 0, and not for predicted_neq_given.
    all_zero = len(y) > 0 and y.max() == 0 and filter_by != "predicted_neq_given"
    check_labels_match(y, pred_probs, allow_one_class=all_zero)
    n, num_classes = pred_probs.shape
    rank_kwargs = dict(rank_by_kwargs or {})

    if filter_by in ("low_normalized_margin", "low_self_confidence"):
        scores = _scores(y, pred_probs, filter_by[len("low_") :], adjust_pred_probs=False)
        count = num_label_issues(y, pred_probs)  # also range-checks pred_probs
        mask = np.zeros(n, dtype=bool)
        mask[np.argsort(scores)[:count]] = True  # same array and sort as the reference: same ties
    else:
        mask = _filter(
            y, pred_probs, filter_by, frac_noise, num_to_remove_per_class, min_examples_per_class, confident_joint
        )
    if return_indices_ranked_by is None:
        return mask
    return order_label_issues(mask, y, pred_probs, rank_by=return_indices_ranked_by, rank_by_kwargs=rank_kwargs)


def _filter(y, pred_probs, filter_by, frac_noise, num_to_remove_per_class, min_examples_per_class, confident_joint):
    """Mask of the confident-learning methods (all but the ``low_*`` ones)."""
    n, num_classes = pred_probs.shape
    if confident_joint is not None and filter_by == "confident_learning":
        warnings.warn("confident_joint is ignored with filter_by='confident_learning'.", stacklevel=3)
    counting = confident_joint is None or filter_by == "confident_learning"
    found = scan(
        y,
        pred_probs,
        _thresholds(y, pred_probs) if counting else None,
        off_diagonal_kept=filter_by == "confident_learning",
        candidates=filter_by != "confident_learning",
        extremes=True,
    )
    check_prob_range(*found.extremes)
    mask = np.zeros(n, dtype=bool)
    if filter_by == "confident_learning":
        mask[found.off_diagonal_kept] = True
        return mask
    # Only candidates whose given label is not the tolerant argmax are ever reported.
    flags = found.candidate_kept
    if filter_by != "predicted_neq_given":
        cj = calibrate_confident_joint(_force_diagonal(found.cj), y) if counting else np.asarray(confident_joint)
        n_k = label_counts(y, num_classes)
        pcm = _keep_at_least_n_per_class(cj.T, n=min_examples_per_class, frac_noise=frac_noise)
        if num_to_remove_per_class is not None:
            pcm = _apply_num_to_remove(pcm, num_to_remove_per_class, n_k)
        prunable = _prunable(n_k, min_examples_per_class)
        cands = Candidates(y, found.candidates, num_classes)
        # Class index lists: one sort when there are many classes, else a comparison per class.
        classes = ClassOrder(y, num_classes) if filter_by != "prune_by_noise_rate" and num_classes >= 32 else None
        if filter_by in ("prune_by_class", "both"):
            flags &= _prune.by_class(pred_probs, y, pcm, n_k, prunable, cands, classes)
        if filter_by in ("prune_by_noise_rate", "both"):
            flags &= _prune.by_noise_rate(pred_probs, y, pcm, n_k, prunable, cands, classes)
    mask[found.candidates[flags]] = True
    return mask
