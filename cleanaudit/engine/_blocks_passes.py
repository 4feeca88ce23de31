"""Passes shared by the chunked engine's public functions (see ``blocks``): stats, thresholds, counting."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ._blocks import Part, Request, Totals, block_pass
from ._util import CONFIDENT_THRESHOLDS_LOWER_BOUND, TINY_VALUE, check_prob_range
from .count import _force_diagonal, calibrate_by_counts
from .rank import METHODS as RANK_METHODS


class LocalBlocks:
    """Blocks read in this process, in row order: a re-iterable of ``(labels, pred_probs)`` pairs
    (a list, or a callable returning a fresh iterator, e.g. one that reads files again).

    >>> src = LocalBlocks.from_arrays(np.array([0, 1, 1]), np.array([[.9, .1], [.2, .8], [.6, .4]]), 2)
    >>> [len(y) for y, _ in src.blocks()]
    [2, 1]
    """

    def __init__(self, blocks: Iterable[tuple[Any, np.ndarray]] | Callable[[], Iterable]) -> None:
        if not callable(blocks) and iter(blocks) is blocks:
            raise TypeError("blocks are read several times: pass a list, or a callable returning an iterator.")
        self._blocks = blocks

    @classmethod
    def from_arrays(cls, labels, pred_probs: np.ndarray, block_rows: int) -> LocalBlocks:
        """Views of in-memory (or memory-mapped) arrays, ``block_rows`` rows at a time."""
        n, step = len(pred_probs), max(1, int(block_rows))
        return cls([(labels[s : s + step], pred_probs[s : s + step]) for s in range(0, max(n, 1), step)])

    def blocks(self) -> Iterator[tuple[Any, np.ndarray]]:
        return iter(self._blocks() if callable(self._blocks) else self._blocks)

    def map_blocks(self, func: Callable[..., Part], arg: Any) -> Iterator[Part]:
        offset = 0
        for labels, pred_probs in self.blocks():
            yield func(labels, pred_probs, offset, arg)
            offset += len(pred_probs)


def run(source, req: Request) -> Totals:
    """One pass of ``req`` over every block of ``source``, reduced in row order."""
    totals = Totals(req)
    for part in source.map_blocks(block_pass, req):
        totals.add(part)
    return totals


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
