"""Counting for multi-label data (spec §2): one binary confident joint per class.

These are the ``multi_label=True`` branches of :mod:`cleanaudit.engine.count`. Slice c of a
(K, 2, 2) joint is the single-label joint of the binary view of class c:
``cj[c][g][t]`` counts examples with given binary label g (1 = annotated with c) and
confident guess t.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import count as single_label
from .._util import label_counts
from . import _inputs
from .filter import find_label_issues_checked

__all__ = [
    "get_confident_thresholds",
    "compute_confident_joint",
    "calibrate_confident_joint",
    "estimate_joint",
    "num_label_issues",
]


def _require_list(labels) -> None:
    if not isinstance(labels, list):
        raise TypeError("`labels` must be list when `multi_label=True`.")


def get_confident_thresholds(labels: list, pred_probs: np.ndarray) -> np.ndarray:
    """(K, 2) float64: row c is ``[t_not, t_in]``, the mean binary self-confidence of each side.

    A side with no example gets 2 (never reached); all values are clipped below at 2e-6.

    >>> P = np.array([[0.9, 0.2], [0.6, 0.4], [0.3, 0.7]])
    >>> get_confident_thresholds([[0], [0], [1]], P).round(2).tolist()
    [[0.7, 0.75], [0.7, 0.7]]
    """
    if not isinstance(labels, list):
        raise ValueError("labels must be a list of lists of class indices when multi_label=True.")
    onehot = _inputs.onehot(labels, pred_probs)
    out = np.zeros((pred_probs.shape[1], 2))
    for c in range(pred_probs.shape[1]):
        out[c] = single_label.get_confident_thresholds(onehot[:, c], _inputs.binary_view(pred_probs[:, c]))
    return out


def _row_thresholds(thresholds, shape: tuple[int, int]) -> np.ndarray | None:
    """Given thresholds as one ``[t_not, t_in]`` pair, or None when they differ per row.

    They are compared with the binary view as the reference does (``Q >= t - 1e-6``, broadcast),
    so they must broadcast to (N, 2); any other shape raises.
    """
    t = np.asarray(thresholds)
    if np.broadcast_shapes(t.shape, shape) != shape:
        raise ValueError(f"thresholds of shape {t.shape} do not broadcast to the binary pred_probs {shape}.")
    if t.ndim < 2 or t.shape[0] == 1:
        return np.broadcast_to(t.reshape(t.shape[-1:]), (2,)).copy()
    return None


def _binary_joint_per_row(y: np.ndarray, q: np.ndarray, thresholds, calibrate: bool):
    """The raw binary joint with thresholds that vary per row (rare; the reference's recipe)."""
    confident = q >= np.asarray(thresholds) - 1e-6
    num_confident = confident.sum(axis=1)
    guess = np.where(num_confident > 1, q.argmax(axis=1), confident.argmax(axis=1))
    counted = num_confident > 0
    by_guess = np.zeros((2, 2), dtype=np.int64)
    np.add.at(by_guess, (guess[counted], y[counted]), 1)
    cj = single_label._force_diagonal(by_guess.T)  # Fortran-ordered, like the reference's
    if calibrate:
        cj = single_label.calibrate_by_counts(cj, label_counts(y, 2))
    off = np.arange(len(y))[counted][guess[counted] != y[counted]]
    return cj, off


def compute_confident_joint(
    labels: list,
    pred_probs: np.ndarray,
    *,
    thresholds: np.ndarray | list | None = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
):
    """(K, 2, 2) int64 confident joints, one per class; optionally with each class's off-diagonal indices.

    ``thresholds``, when given, is one ``[t_not, t_in]`` pair used for every class (as in the reference).

    >>> P = np.array([[.9, .1], [.8, .3], [.2, .7], [.1, .2], [.7, .9]])
    >>> compute_confident_joint([[0], [0, 1], [1], [], [0, 1]], P)[1].tolist()
    [[2, 0], [0, 3]]
    """
    _require_list(labels)
    onehot = _inputs.onehot(labels, pred_probs)
    num_classes = pred_probs.shape[1]
    joints = np.zeros((num_classes, 2, 2), dtype=np.int64)
    off_diagonals = []
    for c in range(num_classes):
        y, q = onehot[:, c], _inputs.binary_view(pred_probs[:, c])
        pair = None if thresholds is None else _row_thresholds(thresholds, q.shape)
        if thresholds is not None and pair is None:
            cj, off = _binary_joint_per_row(y, q, thresholds, calibrate)
        else:
            cj, off = single_label.compute_confident_joint(
                y, q, thresholds=pair, calibrate=calibrate, return_indices_of_off_diagonals=True
            )
        joints[c] = cj
        off_diagonals.append(off)
    return (joints, off_diagonals) if return_indices_of_off_diagonals else joints


def calibrate_confident_joint(confident_joint: np.ndarray, labels: list) -> np.ndarray:
    """Calibrate each (2, 2) slice to the class's counts ``[#not c, #c]`` (rows then sum to them).

    As in the reference, K is the number of distinct classes present in ``labels``.

    >>> calibrate_confident_joint(np.array([[[2, 0], [1, 1]]]), [[0], [], [0]]).tolist()
    [[[1, 0], [1, 1]]]
    """
    _require_list(labels)
    num_classes = _inputs.num_classes_in_labels(labels)
    onehot = _inputs.labels_to_onehot(labels, num_classes)
    cj = np.asarray(confident_joint)
    out = np.zeros((num_classes, 2, 2), dtype=np.int64)
    for c in range(min(num_classes, len(cj))):
        out[c] = single_label.calibrate_confident_joint(cj[c], onehot[:, c])
    return out


def estimate_joint(labels: list, pred_probs: np.ndarray, *, confident_joint: np.ndarray | None = None) -> np.ndarray:
    """(K, 2, 2) float64: each class's calibrated binary joint divided by its total (N).

    A given ``confident_joint`` is re-calibrated per class.

    >>> P = np.array([[.9, .1], [.8, .3], [.2, .7], [.1, .2], [.7, .9]])
    >>> estimate_joint([[0], [0, 1], [1], [], [0, 1]], P)[1].tolist()
    [[0.4, 0.0], [0.0, 0.6]]
    """
    if confident_joint is None:
        _require_list(labels)
        joints = compute_confident_joint(labels, pred_probs, calibrate=True)
    else:
        if labels is not None:
            calibrate_confident_joint(confident_joint, labels)  # the reference's checks (and warnings)
        _require_list(labels)
        joints = np.asarray(confident_joint)
    onehot = _inputs.onehot(labels, pred_probs)
    out = np.zeros((pred_probs.shape[1], 2, 2))
    for c in range(pred_probs.shape[1]):
        out[c] = single_label.estimate_joint(
            onehot[:, c], _inputs.binary_view(pred_probs[:, c]), confident_joint=joints[c]
        )
    return out


def num_label_issues(
    labels: list,
    pred_probs: np.ndarray,
    *,
    confident_joint: np.ndarray | None = None,
    estimation_method: str = "off_diagonal",
) -> int:
    """Number of examples ``confident_learning`` flags in at least one class (``estimation_method`` is ignored).

    >>> P = np.array([[.9, .1], [.8, .3], [.2, .7], [.1, .2], [.7, .9]])
    >>> num_label_issues([[0], [0, 1], [1], [], [0, 1]], P)
    0
    """
    if isinstance(confident_joint, np.ndarray) and estimation_method != "off_diagonal_custom":
        warnings.warn(
            "The supplied `confident_joint` is ignored: it is recomputed from `labels` and `pred_probs`.",
            stacklevel=3,
        )
    mask = find_label_issues_checked(
        labels, pred_probs, confident_joint=confident_joint, filter_by="confident_learning"
    )
    return int(np.sum(mask))
