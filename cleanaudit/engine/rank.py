"""Label quality scores: one number per example, lower = more likely mislabelled (spec §3).

Scores are computed a block of rows at a time, so no full copy of pred_probs is made even
with ``adjust_pred_probs``; float32 input stays float32 exactly where the reference keeps it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._group import take_self_conf
from ._util import CLIPPING_LOWER_BOUND, as_labels, check_prob_range, merge_extremes, row_chunks, validate
from .count import _thresholds

__all__ = [
    "get_label_quality_scores",
    "get_label_quality_ensemble_scores",
    "order_label_issues",
    "find_top_issues",
]

METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
WEIGHTINGS = ("uniform", "accuracy", "log_loss_search", "custom")
DEFAULT_T_VALUES = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 200.0]


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"{method!r} is not a valid scoring method; choose one of: {', '.join(METHODS)}")


def _normalized_margin(pc: np.ndarray, yc: np.ndarray) -> np.ndarray:
    if pc.shape[1] < 2:  # no other class to take a margin against; the reference fails here too
        raise ValueError("normalized_margin needs at least 2 classes in pred_probs.")
    rows = np.arange(len(yc))
    self_conf = pc[rows, yc]
    others = np.array(pc, copy=True)  # one chunk only
    others[rows, yc] = -np.inf
    return (self_conf - others.max(axis=1) + 1) / 2


def _entropy(pc: np.ndarray) -> np.ndarray:
    """Row entropies (nats, unnormalised) with 0·log 0 = 0.

    For float32 the reference uses a float32 ``xlogy`` backed by the C library's ``logf``; NumPy's
    own float32 log differs in the last bit more often than a correctly rounded double log does,
    so the log is taken in float64 and rounded to float32 (agrees elementwise ~99.9% of the time).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log = np.log(pc.astype(np.float64)).astype(pc.dtype) if pc.dtype == np.float32 else np.log(pc)
        terms = np.where(pc == 0, pc.dtype.type(0), pc * log)
    return -np.sum(terms, axis=1)


def _confidence_weighted_entropy(pc: np.ndarray, yc: np.ndarray, num_classes: int) -> np.ndarray:
    self_conf = np.clip(pc[np.arange(len(yc)), yc], CLIPPING_LOWER_BOUND, None)
    # np.log(K) is a float64 scalar: the division promotes float32 entropies to float64, as in the reference.
    x = _entropy(pc) / np.log(num_classes) / self_conf
    return np.log(x + 1) / np.clip(x, CLIPPING_LOWER_BOUND, None)


def _adjust(pc: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Class-imbalance adjustment: subtract each class's threshold, shift, renormalise rows."""
    adj = pc - thresholds + thresholds.max()
    return adj / adj.sum(axis=1, keepdims=True)


def chunk_scores(pc: np.ndarray, yc: np.ndarray, method: str, thresholds: np.ndarray | None) -> np.ndarray:
    """Scores of some rows of pred_probs (each row's score depends on that row and ``thresholds`` only)."""
    if thresholds is not None:
        pc = _adjust(pc, thresholds)
    if method == "self_confidence":
        return take_self_conf(pc, yc)
    if method == "normalized_margin":
        return _normalized_margin(pc, yc)
    if pc.min() < 0 or pc.max() > 1:
        raise ValueError("All probabilities are required to be in the interval [0, 1].")
    return _confidence_weighted_entropy(pc, yc, pc.shape[1])


def _scores(
    y: np.ndarray, pred_probs: np.ndarray, method: str, adjust_pred_probs: bool, *, check_range: bool = False
) -> np.ndarray:
    """Scores for validated labels; with ``check_range`` pred_probs' range is checked in the same pass."""
    n, k = pred_probs.shape
    thresholds = _thresholds(y, pred_probs) if adjust_pred_probs else None
    out = None
    lo, hi = np.inf, -np.inf
    for s, e in row_chunks(n, k):
        pc, yc = pred_probs[s:e], y[s:e]
        if check_range:
            lo, hi = merge_extremes(lo, hi, pc.min(), pc.max())
        part = chunk_scores(pc, yc, method, thresholds)
        if out is None:
            out = np.empty(n, dtype=part.dtype)
        out[s:e] = part
    if check_range:
        check_prob_range(lo, hi)  # NaN passes, as in the reference
    return out


def get_label_quality_scores(
    labels, pred_probs: np.ndarray, *, method: str = "self_confidence", adjust_pred_probs: bool = False
) -> np.ndarray:
    """Per-example label quality in [0, 1]; lower means the given label is more likely wrong.

    ``self_confidence`` is ``P[i, y_i]``; ``normalized_margin`` is ``(P[i, y_i] - max_{k != y_i} P[i, k] + 1) / 2``;
    ``confidence_weighted_entropy`` is ``log(1 + x) / x`` with ``x = H(P_i) / P[i, y_i]``.
    ``adjust_pred_probs`` subtracts the per-class thresholds first (not with the entropy method).

    >>> P = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
    >>> get_label_quality_scores(np.array([0, 1, 1]), P).tolist()
    [0.9, 0.7, 0.4]
    >>> get_label_quality_scores(np.array([0, 1, 1]), P, method="normalized_margin").round(2).tolist()
    [0.9, 0.7, 0.4]
    """
    _check_method(method)
    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not currently supported for confidence_weighted_entropy.")
    y = validate(labels, pred_probs, allow_one_class=True, check_range=False)
    return _scores(y, pred_probs, method, adjust_pred_probs, check_range=True)


# ---------------------------------------------------------------------------------------------
# Ensembles


def _log_loss(y: np.ndarray, probs: np.ndarray, num_classes: int) -> float:
    """Mean negative log-likelihood, as scikit-learn's ``log_loss`` computes it (clip to [eps, 1-eps])."""
    if not np.isfinite(probs).all():
        # e.g. every weight underflowed to 0 (0/0) at a large T; scikit-learn rejects this input.
        raise ValueError("Input contains NaN or infinity: the ensemble weights underflowed at some T.")
    if probs.max() > 1:
        raise ValueError(f"y_prob contains values greater than 1: {probs.max()}")
    if probs.min() < 0:
        raise ValueError(f"y_prob contains values lower than 0: {probs.min()}")
    present = np.unique(y)
    if len(present) != num_classes:
        raise ValueError(
            f"y_true and y_prob contain different number of classes: {len(present)} vs {num_classes}. "
            "log_loss_search needs every class to appear in labels."
        )
    eps = np.finfo(probs.dtype).eps
    picked = np.clip(probs[np.arange(len(y)), y], eps, 1 - eps)
    return float(np.mean(-np.log(picked)))


def _log_loss_search_weights(y, pred_probs_list, t_values) -> np.ndarray:
    num_classes = pred_probs_list[0].shape[1]
    losses = []
    for p in pred_probs_list:
        clipped = np.clip(p, CLIPPING_LOWER_BOUND, None)
        losses.append(_log_loss(y, clipped / clipped.sum(axis=1, keepdims=True), num_classes))
    member_losses = np.array(losses)
    best_loss, best_weights = math.inf, None
    for t in t_values:
        w = np.exp(-t * member_losses)
        w = w / w.sum()
        mixed = sum(wm * p for wm, p in zip(w, pred_probs_list))
        loss = _log_loss(y, mixed, num_classes)
        if loss < best_loss:  # strictly smaller: the first T wins ties
            best_loss, best_weights = loss, w
    return best_weights


def get_label_quality_ensemble_scores(
    labels,
    pred_probs_list: Sequence[np.ndarray],
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    weight_ensemble_members_by: str = "accuracy",
    custom_weights: np.ndarray | None = None,
    log_loss_search_T_values: Sequence[float] = DEFAULT_T_VALUES,
    verbose: bool = True,
) -> np.ndarray:
    """Label quality scores from several models' pred_probs, combined by a weighted average.

    Weights: ``uniform``; ``accuracy`` (default, each model's accuracy on the given labels,
    normalised); ``log_loss_search`` (softmax of ``-T·log_loss`` for the T giving the lowest
    log loss of the mixed probabilities); ``custom`` (``custom_weights`` used as is).
    ``verbose`` is accepted for compatibility; the engine never prints.

    >>> P1 = np.array([[0.9, 0.1], [0.4, 0.6]]); P2 = np.array([[0.7, 0.3], [0.2, 0.8]])
    >>> get_label_quality_ensemble_scores(np.array([0, 1]), [P1, P2], weight_ensemble_members_by="uniform").tolist()
    [0.8, 0.7]
    """
    if not isinstance(pred_probs_list, (list, tuple)):
        raise ValueError(f"pred_probs_list must be a list of arrays, got {type(pred_probs_list).__name__}.")
    if len(pred_probs_list) == 0:
        raise ValueError("pred_probs_list is empty: pass the pred_probs of at least one model.")
    _check_method(method)
    if weight_ensemble_members_by not in WEIGHTINGS:
        raise ValueError(
            f"{weight_ensemble_members_by!r} is not a valid weight_ensemble_members_by; "
            f"choose one of: {', '.join(WEIGHTINGS)}"
        )
    if custom_weights is not None and weight_ensemble_members_by != "custom":
        raise ValueError('custom_weights provided but weight_ensemble_members_by is not "custom".')
    if weight_ensemble_members_by == "custom":
        if custom_weights is None:
            raise ValueError("weight_ensemble_members_by='custom' needs custom_weights.")
        if len(custom_weights) != len(pred_probs_list):
            raise ValueError(f"custom_weights has {len(custom_weights)} entries for {len(pred_probs_list)} models.")
    y = as_labels(labels)
    for p in pred_probs_list:
        validate(y, p, allow_one_class=False, check_range=False)
    scores = np.array(
        [get_label_quality_scores(y, p, method=method, adjust_pred_probs=adjust_pred_probs) for p in pred_probs_list]
    )
    if weight_ensemble_members_by == "uniform":
        return scores.mean(axis=0)
    if weight_ensemble_members_by == "accuracy":
        acc = np.array([np.mean(p.argmax(axis=1) == y) for p in pred_probs_list])
        weights = acc / acc.sum()
    elif weight_ensemble_members_by == "log_loss_search":
        weights = _log_loss_search_weights(y, pred_probs_list, log_loss_search_T_values)
    else:
        weights = np.asarray(custom_weights)
    return (scores * weights[:, None]).sum(axis=0)


# ---------------------------------------------------------------------------------------------
# Ordering


def order_label_issues(
    label_issues_mask: np.ndarray,
    labels,
    pred_probs: np.ndarray,
    *,
    rank_by: str = "self_confidence",
    rank_by_kwargs: dict | None = None,
) -> np.ndarray:
    """Indices of the flagged examples, most likely mislabelled first (ascending score).

    Scores are computed on the whole dataset (so ``adjust_pred_probs`` uses all examples' thresholds).

    >>> P = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]])
    >>> order_label_issues(np.array([False, True, True]), np.array([0, 1, 1]), P).tolist()
    [2, 1]
    """
    _check_method(rank_by)
    y = as_labels(labels)
    # Like the reference: a single class is accepted only when every label is 0.
    y = validate(y, pred_probs, allow_one_class=len(y) > 0 and y.max() == 0, check_range=False)
    scores = get_label_quality_scores(y, pred_probs, method=rank_by, **dict(rank_by_kwargs or {}))
    idx = np.flatnonzero(np.asarray(label_issues_mask))
    return idx[np.argsort(scores[idx])]


def find_top_issues(quality_scores: np.ndarray, *, top: int = 10) -> np.ndarray:
    """Indices of the ``top`` lowest scores, lowest first.

    >>> find_top_issues(np.array([0.5, 0.1, 0.9, 0.3]), top=2).tolist()
    [1, 3]
    """
    scores = np.asarray(quality_scores)
    if top is None or top > len(scores):
        top = len(scores)
    return np.argsort(scores)[:top]
