"""The engine's one fused pass over pred_probs, a block of rows at a time.

Reading pred_probs from memory dominates the cost at large N·K, so everything the
counting and filtering need is computed while a block of rows is in cache: the confident
joint, its off-diagonal indices, and the candidate rows (whose given label is not the
strict maximum; only they can ever be reported). Per-row reductions over short rows are slow
in NumPy (one inner-loop call per row), so they are phrased as flat comparisons and small
matrix-vector products instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._group import index_dtype, take_self_conf
from ._util import FLOATING_POINT_COMPARISON, chunk_rows, merge_extremes, row_chunks

_FLAT_MAX_K = 17  # below this many classes, broadcast comparisons are done on tiled flat arrays


def label_beaten(rows: np.ndarray, labels: np.ndarray, self_conf: np.ndarray | None = None) -> np.ndarray:
    """For gathered rows of pred_probs: is the given label not the argmax even after adding 1e-6 to it?

    The reference never reports an example whose given label is within 1e-6 of the top
    prediction. ``argmax(P_i + 1e-6·e_y) != y`` iff some j has ``P_ij > b``, or ``P_ij == b`` with
    ``j < y``, where ``b = P_iy + 1e-6`` computed in pred_probs' dtype, as the reference does.
    """
    n, k = rows.shape
    if n == 0:
        return np.zeros(0, dtype=bool)
    if k >= _FLAT_MAX_K:  # long rows: the reference's own recipe (bump, argmax) is cheapest
        bumped_rows = np.array(rows, copy=True)
        bumped_rows[np.arange(n), labels] += FLOATING_POINT_COMPARISON
        return bumped_rows.argmax(axis=1) != labels
    if self_conf is None:
        self_conf = rows[np.arange(n), labels]
    bumped = self_conf + FLOATING_POINT_COMPARISON
    wide = np.repeat(bumped, k).reshape(n, k)
    beaten = _row_any(rows > wide)
    if np.count_nonzero(rows == wide):  # exact ties with the bumped value: the first index wins
        ties = np.flatnonzero(((rows == wide) & (np.arange(k) < labels[:, None])).any(axis=1))
        beaten[ties] = True
    return beaten


def _row_any(mask: np.ndarray) -> np.ndarray:
    """``mask.any(axis=1)`` without NumPy's per-row loop on short rows (a matrix-vector product)."""
    return (mask.view(np.uint8).astype(np.float32) @ np.ones(mask.shape[1], dtype=np.float32)) > 0


@dataclass
class Scan:
    """What one pass over pred_probs found (see :func:`scan`)."""

    cj: np.ndarray | None = None  # raw confident joint, Fortran-ordered like the reference's
    off_diagonal: np.ndarray | None = None  # raw off-diagonal indices (given != guessed)
    off_diagonal_kept: np.ndarray | None = None  # ... whose given label is not the tolerant argmax
    candidates: np.ndarray | None = None  # indices where some other class reaches P[i, label]
    candidate_kept: np.ndarray | None = None  # per candidate: label not the tolerant argmax
    extremes: tuple[float, float] = (np.nan, np.nan)


def _cat(parts: list, dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def scan(
    y: np.ndarray,
    pred_probs: np.ndarray,
    thresholds: np.ndarray | None,
    *,
    off_diagonal: bool = False,
    off_diagonal_kept: bool = False,
    candidates: bool = False,
    extremes: bool = False,
) -> Scan:
    """One pass over pred_probs in row blocks.

    With ``thresholds``: the raw confident joint (example i is confident in k when
    ``P[i, k] >= t_k - 1e-6``; one confident class is the guess, several give the unrestricted
    argmax: the reference's rule) and optionally its off-diagonal indices (raw, and/or without
    those whose given label is the tolerant argmax). With ``candidates``: the indices i with some
    ``j != y_i`` and ``P[i, j] >= P[i, y_i]`` (with many classes: whose label is not the first
    argmax), and whether each one's label is not the tolerant argmax. With ``extremes``: min
    and max, for validation.
    """
    n, k = pred_probs.shape
    itype = index_dtype(n)
    counting = thresholds is not None
    flat_ops = k < _FLAT_MAX_K
    if counting:
        cut = thresholds - FLOATING_POINT_COMPARISON  # same dtype arithmetic as the reference
        # With few classes, one matrix-vector product gives each row a bit code of its confident
        # classes (powers of two sum exactly in float32 up to 2**24), and a table turns it into the guess.
        weights = (2.0 ** np.arange(k)).astype(np.float32) if flat_ops else None
        table = _code_table(k) if flat_ops else None
        tiled_cut = np.tile(cut, max(1, min(n, chunk_rows(n, k))))  # a flat compare: no per-row loop
    ones = np.ones(k, dtype=np.float32)
    cj = np.zeros(k * k + k, dtype=np.int64)
    off_parts: list[np.ndarray] = []
    kept_parts: list[np.ndarray] = []
    cand_parts: list[np.ndarray] = []
    beaten_parts: list[np.ndarray] = []
    lo, hi = np.inf, -np.inf
    base = np.arange(min(n, chunk_rows(n, k))) * k
    for s, e in row_chunks(n, k):
        rows = e - s
        block = np.ascontiguousarray(pred_probs[s:e])
        flat = block.reshape(-1)
        yc = y[s:e].astype(np.intp, copy=False)
        # Long rows: one argmax per row serves the candidates, the guess and the maximum.
        amax = None if flat_ops or not candidates else block.argmax(axis=1)
        if extremes:
            b_lo = flat.min()
            b_hi = flat.max() if amax is None else np.take(flat, base[:rows] + amax).max()
            lo, hi = merge_extremes(lo, hi, b_lo, b_hi)
        if counting:
            conf = (flat >= tiled_cut[: flat.size]).reshape(rows, k)
            guess = _guess(block, conf, weights, amax, table)
            cj += np.bincount(guess * k + yc, minlength=k * k + k)  # row k collects the unconfident
            if off_diagonal or off_diagonal_kept:
                off = np.flatnonzero((guess != yc) & (guess < k))
                if off_diagonal:
                    off_parts.append(off + s)
                if off_diagonal_kept:
                    kept_parts.append(off[label_beaten(np.take(block, off, axis=0), yc[off])] + s)
        if candidates:
            self_conf = take_self_conf(block, yc, base)
            if flat_ops:
                ge = (flat >= np.repeat(self_conf, k)).view(np.uint8).reshape(rows, k)
                # The label's own column always counts once; a second hit means some j != y reaches it.
                cand = np.flatnonzero(ge.astype(np.float32) @ ones >= 2)
            else:
                # Rows whose label is not the first argmax. This leaves out rows where a later class
                # ties the label exactly; those are never reported, and can matter only where the
                # reference itself breaks an exact tie arbitrarily.
                cand = np.flatnonzero(amax != yc)
            cand_parts.append((cand + s).astype(itype))
            beaten_parts.append(label_beaten(np.take(block, cand, axis=0), yc[cand], self_conf[cand]))

    # Counted as (guess, given) and transposed: the reference's raw joint is Fortran-ordered, and
    # calibration sums it in memory order, so the layout decides the last bit (and rounding ties).
    out = Scan(cj=cj[: k * k].reshape(k, k).T if counting else None, extremes=(float(lo), float(hi)))
    if off_diagonal:
        out.off_diagonal = _cat(off_parts, np.intp)
    if off_diagonal_kept:
        out.off_diagonal_kept = _cat(kept_parts, np.intp)
    if candidates:
        out.candidates = _cat(cand_parts, itype)
        out.candidate_kept = _cat(beaten_parts, bool)
    return out


def _code_table(k: int) -> np.ndarray:
    """Guess per bit code of confident classes: the class if exactly one, ``k`` if none, ``k + 1`` if several."""
    table = np.full(1 << k, k + 1, dtype=np.intp)
    table[0] = k
    table[1 << np.arange(k)] = np.arange(k)
    return table


def _guess(block: np.ndarray, conf: np.ndarray, weights, amax=None, table=None) -> np.ndarray:
    """Guessed true label per row: the single confident class, the unrestricted argmax when several
    classes are confident (the reference's rule), or ``k`` when none is (a row then counted nowhere).
    """
    rows, k = conf.shape
    if table is not None:
        guess = table[(conf.view(np.uint8).astype(weights.dtype) @ weights).astype(np.intp)]
    else:
        # Many classes: confident cells are sparse, so find them directly (no per-row loops).
        row, col = np.divmod(np.flatnonzero(conf.reshape(-1)), k)
        cnt = np.bincount(row, minlength=rows)
        guess = np.where(cnt == 0, k, k + 1)
        alone = cnt[row] == 1
        guess[row[alone]] = col[alone]
    multi = np.flatnonzero(guess == k + 1)
    if len(multi):
        guess[multi] = amax[multi] if amax is not None else block[multi].argmax(axis=1)
    return guess
