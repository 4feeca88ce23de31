"""Grouping examples by given label without N-sized sorts: a blockwise, stable counting sort.

The per-class thresholds must be summed in exactly the reference's order (ascending index
within each class), and the pruning filters need each class's examples; both come from here,
with 4-byte indices and bounded temporaries.
"""

from __future__ import annotations

import numpy as np

_SORT_ROWS = 1 << 16  # rows per block of the counting sort (at most)
_MIN_SORT_ROWS = 1 << 10


def index_dtype(n: int) -> type:
    """4-byte indices when they fit: half the memory of intp."""
    return np.int32 if n < np.iinfo(np.int32).max else np.intp


def narrow(values: np.ndarray, upper: int) -> np.ndarray:
    """Values as the smallest unsigned type holding ``upper`` (NumPy radix-sorts 8/16-bit types)."""
    dtype = np.uint8 if upper <= 0xFF else np.uint16 if upper <= 0xFFFF else np.int64
    return values.astype(dtype, copy=False)


def _counting_sort(labels, num_classes: int, index=None):
    """Stable counting sort, a block at a time: yields ``(block start, positions in the sorted order,
    argsort of the block)`` after computing ``bounds`` (class k occupies ``bounds[k]:bounds[k + 1]``).
    """
    n = len(labels) if index is None else len(index)
    step = min(_SORT_ROWS, max(_MIN_SORT_ROWS, n // 64))  # temporaries: a small fraction of N

    def block(s):
        return labels[s : s + step] if index is None else labels[index[s : s + step]]

    bounds = np.zeros(num_classes + 1, dtype=np.int64)
    for s in range(0, n, step):
        bounds[1:] += np.bincount(block(s), minlength=num_classes)
    np.cumsum(bounds, out=bounds)

    def blocks():
        nxt = bounds[:-1].copy()
        for s in range(0, n, step):
            yc = block(s)
            local = np.argsort(narrow(yc, num_classes - 1), kind="stable")
            ys = yc[local]
            cc = np.bincount(yc, minlength=num_classes)
            yield s, nxt[ys] + (np.arange(len(yc)) - (np.cumsum(cc) - cc)[ys]), local, yc
            nxt += cc

    return bounds, blocks()


class ClassOrder:
    """Positions grouped by label, ascending within each class: a stable counting sort.

    Groups ``0..len(labels)-1`` by ``labels`` (or, with ``index``, the positions of ``index``
    by ``labels[index]``) into a 4-byte index array. ``self[k]`` are the positions of class k.
    """

    def __init__(self, labels, num_classes: int, *, index=None) -> None:
        self.bounds, blocks = _counting_sort(labels, num_classes, index)
        self.order = np.empty(self.bounds[-1], dtype=index_dtype(self.bounds[-1]))
        for s, pos, local, _ in blocks:
            self.order[pos] = local + s

    def __getitem__(self, k: int) -> np.ndarray:
        return self.order[self.bounds[k] : self.bounds[k + 1]]


def class_thresholds(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """Mean of ``P[i, k]`` over class k, summed exactly as the reference's ``P[:, k][y == k].mean()``.

    The self-confidences are read sequentially and scattered class by class, in ascending index
    order, into one array, so NumPy's pairwise summation of each class slice sees the same
    sequence. Missing classes get 2 (a Python int: a float32 result then widens to float64, as in
    the reference). Clipping happens in the caller.
    """
    bounds, blocks = _counting_sort(labels, pred_probs.shape[1])
    self_conf = np.empty(len(labels), dtype=pred_probs.dtype)
    for s, pos, local, yc in blocks:
        self_conf[pos] = take_self_conf(pred_probs[s : s + len(yc)], yc)[local]
    return class_means(self_conf, bounds)


def class_means(grouped: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Mean of each class's slice ``grouped[bounds[k]:bounds[k + 1]]``; 2 for an empty class."""
    b = bounds
    return np.array([grouped[b[k] : b[k + 1]].mean() if b[k + 1] > b[k] else 2 for k in range(len(b) - 1)])


def take_self_conf(rows: np.ndarray, labels: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
    """``rows[i, labels[i]]`` (a flat take when the rows are contiguous; ``base`` = ``arange * K``)."""
    if rows.flags.c_contiguous:
        base = np.arange(len(labels)) * rows.shape[1] if base is None else base[: len(labels)]
        return np.take(rows.reshape(-1), base + labels)
    return rows[np.arange(len(labels)), labels]
