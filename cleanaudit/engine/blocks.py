"""Confident learning over row blocks: the in-memory engine's results, never all of pred_probs at once.

Each function takes a ``source`` in place of ``(labels, pred_probs)``: a list of
``(labels_block, pred_probs_block)`` pairs in row order, a :class:`LocalBlocks`, or any object
with ``map_blocks(func, arg)`` yielding ``func(labels_block, pred_probs_block, row_offset, arg)``
per block in row order (``cleanaudit.distributed.engine.DaskBlocks`` runs it on Dask workers).
A function reads the blocks one to four times (one map/reduce pass each, see ``_blocks``).

Results are identical to ``cleanaudit.engine``'s on the concatenated arrays (masks, indices,
counts, matrices, scores: ``np.array_equal``), for any block sizes: counts are integer sums,
per-row values come from the same per-row code, and the two whole-data float reductions are
made on the same sequences: each class's threshold is numpy's ``mean`` over that class's
self-confidences in row order, so the caller holds **one pred_probs float per row** (N floats,
e.g. 400 MB at N = 100M float32) while thresholds are computed; ``low_*`` filters and
``order_label_issues`` sort all N scores, as the in-memory engine does. Everything else is
O(block + K² + the result): the pruning filters keep, per class pair, the block's best ``m``
candidates (ties at the cut: lowest index, as the in-memory engine) and merge them.

Not covered: ``multi_label``, ensembles of several pred_probs, noise generation.

>>> import numpy as np
>>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
>>> y = np.array([0, 0, 0, 1, 1, 1])
>>> find_label_issues([(y[:4], P[:4]), (y[4:], P[4:])]).tolist()
[False, False, True, False, False, True]
"""

from __future__ import annotations

import warnings

import numpy as np

from . import dataset
from ._blocks import Request
from ._blocks_filter import find_label_issues, label_issues
from ._blocks_passes import (
    LocalBlocks,
    check_scores,
    counted,
    joint_of,
    no_multi_label,
    num_issues,
    run,
    source_of,
    stats,
    thresholds_of,
)
from ._util import TINY_VALUE, check_prob_range
from .count import ESTIMATION_METHODS, _force_diagonal, calibrate_by_counts, latent_by_counts

__all__ = [
    "LocalBlocks",
    "label_counts",
    "get_confident_thresholds",
    "compute_confident_joint",
    "calibrate_confident_joint",
    "estimate_joint",
    "estimate_latent",
    "estimate_py_and_noise_matrices_from_probabilities",
    "num_label_issues",
    "find_label_issues",
    "get_label_quality_scores",
    "order_label_issues",
    "rank_classes_by_label_quality",
    "find_overlapping_classes",
    "overall_label_health_score",
    "health_summary",
    "label_issues",
    "predicted_labels",
]


def label_counts(source) -> np.ndarray:
    """Examples per given class (length K), one pass."""
    return stats(source_of(source), self_conf=False).label_counts


def predicted_labels(source) -> np.ndarray:
    """Each row's most likely class (``pred_probs.argmax(axis=1)``), N values in row order, one pass.

    >>> P = np.array([[.9, .1], [.2, .8], [.6, .4]])
    >>> predicted_labels([(np.array([0, 0]), P[:2]), (np.array([1]), P[2:])]).tolist()
    [0, 1, 0]
    """
    return run(source_of(source), Request(argmax=True)).indices("argmax")


def get_confident_thresholds(source, multi_label: bool = False) -> np.ndarray:
    """:func:`cleanaudit.engine.get_confident_thresholds` over blocks."""
    no_multi_label(multi_label)
    return thresholds_of(stats(source_of(source), self_conf=True))


def compute_confident_joint(
    source,
    *,
    thresholds=None,
    calibrate: bool = True,
    multi_label: bool = False,
    return_indices_of_off_diagonals: bool = False,
):
    """:func:`cleanaudit.engine.compute_confident_joint` over blocks."""
    no_multi_label(multi_label)
    st, cnt, _ = counted(source_of(source), thresholds, off_diagonal=return_indices_of_off_diagonals)
    cj = _force_diagonal(cnt.raw_cj())
    if calibrate:
        cj = calibrate_by_counts(cj, st.label_counts)
    return (cj, cnt.indices("off_diagonal")) if return_indices_of_off_diagonals else cj


def calibrate_confident_joint(confident_joint: np.ndarray, source) -> np.ndarray:
    """:func:`cleanaudit.engine.calibrate_confident_joint` with the labels read from blocks."""
    return calibrate_by_counts(np.asarray(confident_joint), label_counts(source))


def estimate_joint(source, *, confident_joint: np.ndarray | None = None) -> np.ndarray:
    """:func:`cleanaudit.engine.estimate_joint` over blocks (a given joint is re-calibrated)."""
    if confident_joint is not None:
        return joint_of(np.asarray(confident_joint), label_counts(source))
    cal = compute_confident_joint(source, calibrate=True)
    return cal / np.clip(float(np.sum(cal)), TINY_VALUE, None)


def estimate_latent(
    confident_joint: np.ndarray, source, *, py_method: str = "cnt", converge_latent_estimates: bool = False
):
    """:func:`cleanaudit.engine.estimate_latent` with the labels read from blocks."""
    return latent_by_counts(np.asarray(confident_joint), label_counts(source), py_method, converge_latent_estimates)


def estimate_py_and_noise_matrices_from_probabilities(
    source, *, thresholds=None, converge_latent_estimates: bool = True, py_method: str = "cnt", calibrate: bool = True
):
    """``(py, noise_matrix, inverse_noise_matrix, confident_joint)`` over blocks."""
    src = source_of(source)
    st, cnt, _ = counted(src, thresholds)
    cj = _force_diagonal(cnt.raw_cj())
    if calibrate:
        cj = calibrate_by_counts(cj, st.label_counts)
    py, nm, inv = latent_by_counts(cj, st.label_counts, py_method, converge_latent_estimates)
    return py, nm, inv, cj


def num_label_issues(
    source, *, confident_joint=None, estimation_method: str = "off_diagonal", multi_label: bool = False
) -> int:
    """:func:`cleanaudit.engine.num_label_issues` over blocks."""
    no_multi_label(multi_label)
    if estimation_method == "off_diagonal" and confident_joint is not None:
        warnings.warn(
            "confident_joint is ignored when estimation_method='off_diagonal'; it is recomputed.", stacklevel=2
        )
    if estimation_method not in ESTIMATION_METHODS:
        raise ValueError(
            f"{estimation_method!r} is not a valid estimation method; choose one of: {', '.join(ESTIMATION_METHODS)}"
        )
    if estimation_method == "off_diagonal_custom" and confident_joint is None:
        raise ValueError(
            "estimation_method='off_diagonal_custom' needs a pre-computed confident_joint; "
            "pass confident_joint=... or use another estimation_method."
        )
    st, cnt, _ = counted(source_of(source), allow_one_class=False, off_kept=True)
    return num_issues(st, cnt, estimation_method, confident_joint)


def get_label_quality_scores(
    source, *, method: str = "self_confidence", adjust_pred_probs: bool = False, _one_class: bool = True
) -> np.ndarray:
    """:func:`cleanaudit.engine.get_label_quality_scores` over blocks (N scores in row order)."""
    check_scores(method, adjust_pred_probs)
    src = source_of(source)
    st = stats(src, self_conf=adjust_pred_probs, allow_one_class=_one_class)
    t = thresholds_of(st) if adjust_pred_probs else None
    scores = run(src, Request(scores=((method, t, "all"),))).scores(0)
    check_prob_range(*st.extremes)
    return scores


def order_label_issues(
    label_issues_mask: np.ndarray, source, *, rank_by: str = "self_confidence", rank_by_kwargs: dict | None = None
) -> np.ndarray:
    """:func:`cleanaudit.engine.order_label_issues` over blocks."""
    src = source_of(source)
    kwargs = dict(rank_by_kwargs or {})
    check_scores(rank_by, bool(kwargs.get("adjust_pred_probs", False)))
    st = stats(src, self_conf=False)
    st.check_labels(allow_one_class=st.hi_label == 0)
    scores = get_label_quality_scores(src, method=rank_by, **kwargs)
    idx = np.flatnonzero(np.asarray(label_issues_mask))
    return idx[np.argsort(scores[idx])]


def rank_classes_by_label_quality(source, *, class_names=None) -> dict[str, np.ndarray]:
    """:func:`cleanaudit.engine.rank_classes_by_label_quality` over blocks."""
    src = source_of(source)
    joint = estimate_joint(src)
    n = int(label_counts(src).sum())
    return dataset.rank_classes_by_label_quality(class_names=class_names, num_examples=n, joint=joint)


def find_overlapping_classes(source, *, asymmetric: bool = False, class_names=None) -> dict[str, np.ndarray]:
    """:func:`cleanaudit.engine.find_overlapping_classes` over blocks."""
    src = source_of(source)
    joint = estimate_joint(src)
    n = int(label_counts(src).sum())
    return dataset.find_overlapping_classes(asymmetric=asymmetric, class_names=class_names, num_examples=n, joint=joint)


def overall_label_health_score(source) -> float:
    """:func:`cleanaudit.engine.overall_label_health_score` over blocks: ``1 - num_label_issues / N``."""
    src = source_of(source)
    st, cnt, _ = counted(src, allow_one_class=False, off_kept=True)
    return 1 - num_issues(st, cnt, "off_diagonal", None) / st.rows


def health_summary(source, *, asymmetric: bool = False, class_names=None) -> dict:
    """:func:`cleanaudit.engine.dataset.health_summary` over blocks, in two passes."""
    st, cnt, _ = counted(source_of(source), off_kept=True)
    n_k, n = st.label_counts, st.rows
    cal = calibrate_by_counts(_force_diagonal(cnt.raw_cj()), n_k)
    joint = cal / np.clip(float(np.sum(cal)), TINY_VALUE, None)
    common = dict(class_names=class_names, num_examples=n, joint=joint)
    st.check_labels(allow_one_class=False)
    return {
        "overall_label_health_score": 1 - num_issues(st, cnt, "off_diagonal", None) / n,
        "joint": joint,
        "classes_by_label_quality": dataset.rank_classes_by_label_quality(**common),
        "overlapping_classes": dataset.find_overlapping_classes(asymmetric=asymmetric, **common),
    }
