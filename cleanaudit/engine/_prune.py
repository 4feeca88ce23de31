"""Per-class selection for the pruning filters (spec §2.2), on candidates only.

Candidates are the examples where some other class reaches the given label's probability
(``P[i, j] >= P[i, y_i]`` for some ``j != y_i``); every example that can be reported is one.
Flags are kept per candidate (one bool each) rather than per example, which keeps memory small.
Results equal the reference's except where its own unstable argsort breaks exact ties; among
equal margins at a cut the lowest example index wins (see ``top_lowest_ties``).
"""

from __future__ import annotations

import numpy as np

from ._group import ClassOrder

# Margin levels tried by the sparse top-margin search (see _top_margins_sparse).
_LEVELS = (0.5, 0.25, 0.125, 0.0625, 0.03125)
_SPARSE_MIN_K = 32  # with fewer classes a plain loop over the columns is cheaper


def top(values: np.ndarray, count: int, *, largest: bool) -> np.ndarray:
    """Positions of the ``count`` largest (or smallest) values, in O(n) with argpartition."""
    if count >= len(values):
        return np.arange(len(values))
    return np.argpartition(-values if largest else values, count - 1)[:count]


def top_lowest_ties(values: np.ndarray, count: int, *, largest: bool) -> np.ndarray:
    """:func:`top` with ties at the cut going to the lowest positions (NaN ranks last); ascending.

    The choice is a function of the values alone, so the chunked engine (``blocks``) can merge
    per-block choices to the same set.
    """
    if count >= len(values):
        return np.arange(len(values))
    if count <= 0:
        return np.zeros(0, dtype=np.intp)
    key = -values if largest else values
    kth = key[np.argpartition(key, count - 1)[count - 1]]
    if kth != kth:  # fewer than count non-NaN values: all of them, then the first NaNs
        chosen, ties = key == key, np.flatnonzero(key != key)
    else:
        chosen, ties = key < kth, np.flatnonzero(key == kth)
    chosen[ties[: count - int(np.count_nonzero(chosen))]] = True
    return np.flatnonzero(chosen)


def _block_rows(pred_probs: np.ndarray) -> int:
    """Rows of pred_probs gathered at once: at most 1/16 of pred_probs (and at least 1 MiB)."""
    budget = max(pred_probs.nbytes // 16, 1 << 20)
    return max(1, budget // max(pred_probs.shape[1] * pred_probs.itemsize, 1))


class Candidates:
    """The candidate indices (ascending) grouped by given label, with per-candidate flags."""

    def __init__(self, y: np.ndarray, index: np.ndarray, num_classes: int) -> None:
        self.y, self.index = y, index
        self.groups = ClassOrder(y, num_classes, index=index)

    def positions(self, k: int) -> np.ndarray:
        """Positions (into ``index``) of the candidates labelled k, ascending."""
        return self.groups[k]

    def mark(self, flags: np.ndarray, examples: np.ndarray) -> None:
        """Set ``flags`` of the candidates among ``examples`` (sorted or not example indices)."""
        if len(self.index) == 0 or len(examples) == 0:
            return
        pos = np.clip(np.searchsorted(self.index, examples), 0, len(self.index) - 1)
        pos = pos[self.index[pos] == examples]
        flags[pos] = True


def _class_indices(y: np.ndarray, k: int, classes: ClassOrder | None) -> np.ndarray:
    return classes[k] if classes is not None else np.flatnonzero(y == k)


def by_class(pred_probs, y, pcm, n_k, prunable, cands: Candidates, classes) -> np.ndarray:
    """Candidate flags of ``prune_by_class``: per class k, the ``n_k - pcm[k, k]`` smallest ``P[i, k]``."""
    flags = np.zeros(len(cands.index), dtype=bool)
    for k in np.flatnonzero(prunable):
        num = int(n_k[k] - pcm[k, k])
        if num >= 1:
            idx = _class_indices(y, int(k), classes)
            cands.mark(flags, idx[top(pred_probs[idx, k], num, largest=False)])
    return flags


def by_noise_rate(pred_probs, y, pcm, n_k, prunable, cands: Candidates, classes) -> np.ndarray:
    """Candidate flags of ``prune_by_noise_rate``.

    Per class k and j != k: the ``pcm[j, k]`` examples with the largest margin ``P[i, j] - P[i, k]``.
    Only candidates have a non-negative margin, so when a count fits within a column's
    non-negative margins its top ones are all candidates, gathered a block at a time.
    Otherwise (rare) the whole class column decides.
    """
    num_classes = pred_probs.shape[1]
    flags = np.zeros(len(cands.index), dtype=bool)
    step = _block_rows(pred_probs)
    for k in np.flatnonzero(prunable):
        cols = np.flatnonzero(pcm[:, k] > 0)
        cols = cols[cols != k]
        if len(cols) == 0:
            continue
        counts = pcm[cols, k].astype(np.int64)
        pos_k = cands.positions(int(k))
        if 0 < len(pos_k) <= step and num_classes >= _SPARSE_MIN_K:
            sub = np.take(pred_probs, cands.index[pos_k], axis=0)
            chosen, rest = _top_margins_sparse(sub, k, cols, counts)
            flags[pos_k[chosen]] = True
            if len(rest) == 0:
                continue
            cols, counts = cols[rest], counts[rest]
            chosen, col, _, reached = _top_margins_dense(sub, k, cols, counts)
            chosen = pos_k[chosen]
        else:
            chosen, col, reached = _top_margins_blocks(pred_probs, k, cols, counts, pos_k, cands.index, step)
        fits = counts <= reached
        flags[chosen[fits[col]]] = True
        if fits.all():
            continue
        idx = _class_indices(y, int(k), classes)
        for c in np.flatnonzero(~fits):
            # The count reaches past the non-negative margins: rank the whole class (rare).
            if counts[c] >= n_k[k]:
                cands.mark(flags, idx)
            else:
                margins = pred_probs[idx, cols[c]] - pred_probs[idx, k]
                cands.mark(flags, idx[top_lowest_ties(margins, int(counts[c]), largest=True)])
    return flags


def _top_margins_blocks(pred_probs, k, cols, counts, pos_k, index, step):
    """Dense search over a class's candidates a block at a time, merging the blocks' best."""
    reached = np.zeros(len(cols), dtype=np.int64)
    parts = [(np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, pred_probs.dtype))]
    for start in range(0, len(pos_k), step):
        pos = pos_k[start : start + step]
        chosen, col, val, got = _top_margins_dense(np.take(pred_probs, index[pos], axis=0), k, cols, counts)
        reached += got
        parts.append((pos[chosen], col, val))
    chosen, col, val = (np.concatenate(x) for x in zip(*parts))
    if len(parts) > 2:  # several blocks: keep each column's best across blocks
        keep = _first_per_group(col, val, counts)
        chosen, col = chosen[keep], col[keep]
    return chosen, col, reached


def _first_per_group(col: np.ndarray, val: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Positions of the ``counts[c]`` largest ``val`` within each group ``col == c``."""
    order = np.lexsort((-val, col))  # by group, largest first
    start = np.searchsorted(col[order], np.arange(len(counts)))
    rank = np.arange(len(order)) - start[col[order]]
    return order[rank < counts[col[order]]]


def _top_margins_dense(sub, k, cols, counts):
    """Per column j in ``cols``: the ``counts`` largest non-negative margins ``sub[:, j] - sub[:, k]``.

    Returns ``(row position, column position in cols, margin)`` of at most ``counts[c]`` entries
    per column, and the number of non-negative margins per column.
    """
    label_col = sub[:, k]
    reached = np.zeros(len(cols), dtype=np.int64)
    rows_, col_, val_ = [np.zeros(0, np.intp)], [np.zeros(0, np.intp)], [np.zeros(0, sub.dtype)]
    for c, j in enumerate(cols):
        margins = sub[:, j] - label_col
        pos = np.flatnonzero(margins >= 0)
        reached[c] = len(pos)
        vals = margins[pos]
        best = top_lowest_ties(vals, int(counts[c]), largest=True)
        rows_.append(pos[best])
        col_.append(np.full(len(best), c))
        val_.append(vals[best])
    return np.concatenate(rows_), np.concatenate(col_), np.concatenate(val_), reached


def _top_margins_sparse(sub, k, cols, counts):
    """The dense search's result for most columns when there are many classes.

    A margin ``P[i, j] - P[i, k] >= t`` needs ``P[i, j] >= t - 1e-6`` (probabilities are at least
    -1e-6), and a row holds few such large values, so one scalar comparison finds all entries
    above the lowest level. A column whose ``counts[c]`` largest margins all reach some level is
    resolved from those entries; the others are returned as ``unresolved`` for the dense search.
    """
    num_cols, width = len(cols), sub.shape[1]
    col_of = np.full(width, -1)
    col_of[cols] = np.arange(num_cols)
    hit = np.flatnonzero(sub.reshape(-1) >= _LEVELS[-1] - 2e-6)  # 1e-6 plus rounding slack
    row, j = np.divmod(hit, width)
    c = col_of[j]
    wanted = c >= 0
    row, j, c = row[wanted], j[wanted], c[wanted]
    margins = sub[row, j] - sub[row, k]  # exact margins, in pred_probs' dtype
    level = np.full(num_cols, -1.0)
    for t in _LEVELS[::-1]:  # the highest level holding enough margins wins
        level[np.bincount(c[margins >= t], minlength=num_cols) >= counts] = t
    resolved = level >= 0
    sel = resolved[c] & (margins >= level[c])
    keep = _first_per_group(c[sel], margins[sel], counts)
    return row[sel][keep], np.flatnonzero(~resolved)
