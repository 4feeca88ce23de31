"""Temperature scaling of pred_probs to the annotators' label distribution (spec §14).

The search keeps the reference's quirks: the empirical label distribution goes through the float
``value_counts`` of spec §11, and when the coarse optimum is the last temperature (8) the fine grid
stops short of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._util import EPSILON
from ._inputs import SMALL_CONST, row_label_counts

__all__ = ["find_best_temp", "temp_scale"]

COARSE_SEARCH_RANGE = (0.1, 0.2, 0.5, 0.8, 1, 2, 3, 5, 8)


def _softmax(x: np.ndarray, temperature) -> np.ndarray:
    """Row softmax of ``x / T``, unshifted (as the reference: no max subtraction)."""
    exp_x = np.exp(x / max(temperature, EPSILON))
    return exp_x / np.sum(exp_x, axis=1, keepdims=True)


def temp_scale(pred_probs: np.ndarray, temp) -> np.ndarray:
    """``softmax(log P / T)`` after clipping at 1e-30 and renormalising; a new array (dtype kept).

    >>> temp_scale(np.array([[0.8, 0.2]]), 2.0).round(4).tolist()
    [[0.6667, 0.3333]]
    """
    clipped = np.clip(pred_probs, a_min=SMALL_CONST, a_max=None)
    clipped = clipped / np.sum(clipped, axis=1)[:, np.newaxis]
    scaled = _softmax(np.log(clipped), temp)
    return scaled / np.sum(scaled, axis=1)[:, np.newaxis]


def empirical_label_distribution(labels_multiannotator: np.ndarray, num_classes: int) -> np.ndarray:
    """Per row, the share of each class among its labels (with the float ``value_counts`` quirk)."""
    counts = row_label_counts(labels_multiannotator, num_classes)
    with np.errstate(invalid="ignore", divide="ignore"):  # a row without labels is NaN, as in the reference
        return counts / (~np.isnan(labels_multiannotator)).sum(axis=1)[:, None]


def _mean_soft_cross_entropy(empirical: np.ndarray, log_pred_probs: np.ndarray, temperature) -> float:
    scaled = _softmax(log_pred_probs, temperature)
    clipped = np.clip(scaled, a_min=SMALL_CONST, a_max=None)
    num_classes = log_pred_probs.shape[1]
    return np.mean(-np.sum(empirical * np.log(clipped), axis=1) / np.log(num_classes))


def _fine_search_range(coarse: Sequence[float], size: int, best: int) -> np.ndarray:
    """Points between the coarse optimum's neighbours; the upper part is missing when it is the last one."""
    fine = np.array([])
    if best != 0:
        fine = np.append(np.linspace(coarse[best - 1], coarse[best], size, endpoint=False), fine)
    if best != len(coarse) - 1:
        fine = np.append(fine, np.linspace(coarse[best], coarse[best + 1], size + 1, endpoint=True))
    return fine


def find_best_temp(
    labels_multiannotator: np.ndarray,
    pred_probs: np.ndarray,
    coarse_search_range: Sequence[float] = COARSE_SEARCH_RANGE,
    fine_search_size: int = 4,
):
    """The temperature minimising the mean soft cross-entropy between the annotators' label shares and
    ``softmax(log P / T)``: a coarse grid, then a fine one around its best point.

    >>> nan = np.nan
    >>> L = np.array([[0, 0, nan], [1, 1, 0], [1, nan, 1]])
    >>> float(find_best_temp(L, np.array([[.9, .1], [.2, .8], [.3, .7]])))
    2.0
    """
    empirical = empirical_label_distribution(labels_multiannotator, pred_probs.shape[1])
    log_pred_probs = np.log(pred_probs, where=pred_probs > 0, out=np.full(pred_probs.shape, -np.inf))
    coarse = np.array([_mean_soft_cross_entropy(empirical, log_pred_probs, t) for t in coarse_search_range])
    fine_range = _fine_search_range(coarse_search_range, fine_search_size, int(np.argmin(coarse)))
    fine = np.array([_mean_soft_cross_entropy(empirical, log_pred_probs, t) for t in fine_range])
    return fine_range[np.argmin(fine)]
