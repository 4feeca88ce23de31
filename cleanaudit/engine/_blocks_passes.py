"""Passes shared by the chunked engine's public functions (see ``blocks``): stats, thresholds, counting."""

from __future__ import annotations

import numpy as np

from ._blocks import LocalBlocks, Request, Totals, run
from ._util import CONFIDENT_THRESHOLDS_LOWER_BOUND, TINY_VALUE, check_prob_range
from .count import _force_diagonal, calibrate_by_counts
from .rank import METHODS as RANK_METHODS


def source_of(source):
    """A block source: ``source`` itself if it maps blocks, else a :class:`LocalBlocks` over it."""
    return source if hasattr(source, "map_blocks") else LocalBlocks(source)


def no_multi_label(multi_label: bool) -> None:
    if multi_label:
        raise NotImplementedError("multi_label=True is not supported by cleanaudit's engine.")


def stats(source, *, self_conf: bool, allow_one_class: bool = True) -> Totals:
    """Label counts, label range, pred_probs extremes (and the grouped self-confidences), checked."""
    totals = run(source, Request(self_conf=self_conf))
    totals.check_labels(allow_one_class=allow_one_class)
    return totals


def thresholds_of(totals: Totals) -> np.ndarray:
    """The in-memory ``_thresholds``: class means clipped below at 2e-6."""
    return np.clip(totals.class_thresholds(), CONFIDENT_THRESHOLDS_LOWER_BOUND, None)


def counted(source, thresholds=None, *, allow_one_class: bool = True, **req) -> tuple[Totals, Totals, np.ndarray]:
    """A stats pass, then a counting pass with the thresholds; returns ``(stats, counting, thresholds)``."""
    st = stats(source, self_conf=thresholds is None, allow_one_class=allow_one_class)
    t = thresholds_of(st) if thresholds is None else np.asarray(thresholds)
    return st, run(source, Request(thresholds=t, **req)), t


def calibrated(st: Totals, cnt: Totals) -> np.ndarray:
    """The calibrated confident joint of a counting pass."""
    return calibrate_by_counts(_force_diagonal(cnt.raw_cj()), st.label_counts)


def joint_of(cj: np.ndarray, n_k: np.ndarray) -> np.ndarray:
    """``estimate_joint(labels, ..., confident_joint=cj)``: re-calibrate, then divide by the total."""
    cal = calibrate_by_counts(cj, n_k)
    return cal / np.clip(float(np.sum(cal)), TINY_VALUE, None)


def num_issues(st: Totals, cnt: Totals, estimation_method: str, confident_joint) -> int:
    """num_label_issues from a stats pass and a counting pass made with ``off_kept``."""
    check_prob_range(*st.extremes)
    if estimation_method == "off_diagonal":
        return len(cnt.indices("off_kept"))
    cj = confident_joint if estimation_method == "off_diagonal_custom" else calibrated(st, cnt)
    return int(np.rint(st.rows * (1 - np.trace(joint_of(np.asarray(cj), st.label_counts)))))


def check_scores(method: str, adjust_pred_probs: bool) -> None:
    if method not in RANK_METHODS:
        raise ValueError(f"{method!r} is not a valid scoring method; choose one of: {', '.join(RANK_METHODS)}")
    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not currently supported for confidence_weighted_entropy.")
