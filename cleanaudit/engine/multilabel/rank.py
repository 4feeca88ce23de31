"""Multi-label label quality scores (spec §6): per-class binary scores, aggregated per example.

Class c's score for example i is a single-label score of the binary view ``(Y[:, c], Q_c)``
(so ``self_confidence`` is p when i is annotated with c, else 1 − p). A row of K scores is
aggregated into one number, by default an exponential moving average over the scores sorted
from largest to smallest, so the worst class weighs most.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..rank import METHODS, _scores
from . import _inputs

__all__ = [
    "get_label_quality_scores",
    "get_label_quality_scores_per_class",
    "exponential_moving_average",
    "softmin",
]

AGGREGATORS = ("exponential_moving_average", "softmin")
DEFAULT_AGGREGATOR = {"method": "exponential_moving_average", "alpha": 0.8}


def exponential_moving_average(s: np.ndarray, *, alpha: float | None = None, axis: int = 1, **_) -> np.ndarray:
    """Per row: scores sorted from largest to smallest, then ``E = alpha·s_t + (1 − alpha)·E``.

    ``alpha`` defaults to ``2 / (K + 1)``; 0 gives the row maximum, 1 the row minimum.

    >>> exponential_moving_average(np.array([[0.9, 0.3, 0.8]]), alpha=0.8).round(3).tolist()
    [0.404]
    """
    num_classes = s.shape[1]
    descending = np.fliplr(np.sort(s, axis=axis))
    if alpha is None:
        alpha = float(2 / (num_classes + 1))
    if not (0 <= alpha <= 1):
        raise ValueError(f"alpha must be in the interval [0, 1], got {alpha}")
    columns = descending.T
    ema = columns[0]
    for column in columns[1:]:
        ema = alpha * column + (1 - alpha) * ema  # (1 - alpha) first: the reference's rounding
    return ema


def softmin(s: np.ndarray, *, temperature: float = 0.1, axis: int = 1, **_) -> np.ndarray:
    """Per row: the scores weighted by a softmax of ``(1 − s) / temperature`` (low scores weigh most).

    >>> softmin(np.array([[0.9, 0.1]]), temperature=0.1).round(4).tolist()
    [0.1003]
    """
    x = (1 - s) / max(temperature, 1e-6)
    x = x - np.max(x, axis=axis, keepdims=True)
    weights = np.exp(x)
    weights = weights / np.sum(weights, axis=axis, keepdims=True)
    return np.einsum("ij,ij->i", s, weights)  # einsum, not a plain sum: the reference's last bit


def aggregator(method: str | Callable, **kwargs) -> Callable[[np.ndarray], np.ndarray]:
    """``scores -> one score per row`` for a method name or any callable ``f(scores, axis=1, **kwargs)``."""
    if isinstance(method, str):
        named = {"exponential_moving_average": exponential_moving_average, "softmin": softmin}
        if method not in named:
            raise ValueError(
                f"Invalid aggregation method specified: '{method}', must be one of the following: {list(AGGREGATORS)}"
            )
        method = named[method]
    if not callable(method):
        raise TypeError(f"Expected callable method, got {type(method)}")
    fn = method

    def aggregate(scores: np.ndarray) -> np.ndarray:
        return fn(scores, **{**kwargs, "axis": 1})

    return aggregate


def _aggregator_from_kwargs(aggregator_kwargs: dict | None) -> Callable[[np.ndarray], np.ndarray]:
    if not aggregator_kwargs:
        return aggregator(exponential_moving_average, alpha=0.8)
    kwargs = dict(aggregator_kwargs)
    if "method" not in kwargs:
        raise TypeError("aggregator_kwargs needs a 'method' (an aggregator name or a callable).")
    return aggregator(**kwargs)


def score_method(method: str) -> str:
    """The base score method, matched case-insensitively like the reference's enum lookup."""
    wanted = method.upper() if isinstance(method, str) else None
    for name in METHODS:
        if name.upper() == wanted:
            return name
    raise ValueError(f"Invalid method name: {method}")


def class_scores(onehot: np.ndarray, pred_probs: np.ndarray, method: str, adjust_pred_probs) -> np.ndarray:
    """N×K float64 matrix of per-class binary scores (no validation; ``method`` already checked)."""
    adjust = adjust_pred_probs is True  # the reference tests identity: a truthy non-True does not adjust
    if adjust and method == "confidence_weighted_entropy":
        raise ValueError(
            "adjust_pred_probs is not currently supported for ClassLabelScorer.CONFIDENCE_WEIGHTED_ENTROPY."
        )
    out = np.zeros(onehot.shape)
    for c in range(onehot.shape[1]):
        y = onehot[:, c]
        out[:, c] = _scores(y, _inputs.binary_view(pred_probs[:, c]), method, adjust)
    return out


def check_multilabel(onehot: np.ndarray, pred_probs: np.ndarray) -> None:
    """The reference scorer's strict check: K > 1 and both 0 and 1 present in the one-hot matrix."""
    if not (onehot.ndim == 2 and onehot.shape[1] > 1 and np.array_equal(np.unique(onehot), [0, 1])):
        raise ValueError("Labels must be in multi-label format.")
    if onehot.shape != pred_probs.shape:
        raise ValueError("Labels and predicted probabilities must have the same shape.")


def multilabel_scores(
    onehot: np.ndarray,
    pred_probs: np.ndarray,
    *,
    method: str = "self_confidence",
    base_scorer_kwargs: dict | None = None,
    aggregate: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Aggregated scores from a one-hot matrix (strict check; EMA with alpha 0.8 by default)."""
    base = score_method(method)
    check_multilabel(onehot, pred_probs)
    adjust = (base_scorer_kwargs or {}).get("adjust_pred_probs", False)  # other keys are ignored
    scores = class_scores(onehot, pred_probs, base, adjust)
    return (aggregate or aggregator(exponential_moving_average, alpha=0.8))(scores)


def get_label_quality_scores(
    labels: list,
    pred_probs: np.ndarray,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    aggregator_kwargs: dict | None = DEFAULT_AGGREGATOR,  # noqa: B006 - read only, the reference's default
) -> np.ndarray:
    """One label quality score per example in [0, 1]; lower = its label set is more likely wrong.

    ``method`` is the per-class score (``self_confidence``, ``normalized_margin``,
    ``confidence_weighted_entropy``); ``aggregator_kwargs`` names the aggregator
    (``exponential_moving_average`` with ``alpha``, ``softmin`` with ``temperature``, or any
    callable such as ``np.min``) plus its arguments. Needs K > 1.

    >>> P = np.array([[0.9, 0.1, 0.2], [0.8, 0.3, 0.1], [0.2, 0.7, 0.1]])
    >>> get_label_quality_scores([[0], [0, 1], [1]], P).round(3).tolist()
    [0.82, 0.404, 0.724]
    """
    onehot = _labels_to_binary(labels, pred_probs)
    base = score_method(method)
    aggregate = _aggregator_from_kwargs(aggregator_kwargs)
    return multilabel_scores(
        onehot,
        pred_probs,
        method=base,
        base_scorer_kwargs={"adjust_pred_probs": adjust_pred_probs},
        aggregate=aggregate,
    )


def get_label_quality_scores_per_class(
    labels: list, pred_probs: np.ndarray, *, method: str = "self_confidence", adjust_pred_probs: bool = False
) -> np.ndarray:
    """N×K matrix: column c scores example i's class-c annotation (p if annotated, else 1 − p, for self-confidence).

    >>> P = np.array([[0.9, 0.1], [0.3, 0.6]])
    >>> get_label_quality_scores_per_class([[0], [1]], P).round(2).tolist()
    [[0.9, 0.9], [0.7, 0.6]]
    """
    onehot = _labels_to_binary(labels, pred_probs)
    return class_scores(onehot, pred_probs, score_method(method), adjust_pred_probs)


def _labels_to_binary(labels, pred_probs: np.ndarray) -> np.ndarray:
    _inputs.validate(labels, pred_probs)
    return _inputs.onehot(labels, pred_probs)
