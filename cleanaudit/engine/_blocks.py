"""The map and reduce halves of the chunked engine (see ``blocks``): one pass over row blocks.

``block_pass`` is the map: it sees one block ``(labels, pred_probs)`` and the global row offset
of its first row, and returns a small :class:`Part` (counts, sums, index lists, at most ``m``
candidates per class pair). :class:`Totals` is the reduce: it folds the parts in row order on
the caller's side. Both run the in-memory engine's own per-row code (``scan``, ``chunk_scores``,
``top_lowest_ties``) on the same values, which is why the results are identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._group import class_means, narrow, take_self_conf
from ._prune import top_lowest_ties
from ._scan import scan
from ._util import as_labels, check_label_range, check_pred_probs, merge_extremes, row_chunks

Pair = tuple[int, int]  # (given class k, other class j)


@dataclass(frozen=True)
class Request:
    """What one pass computes per block (everything off by default)."""

    self_conf: bool = False  # each row's P[i, y_i], grouped by class in row order (thresholds, prune_by_class)
    thresholds: np.ndarray | None = None  # count the raw confident joint with these
    off_diagonal: bool = False  # raw off-diagonal indices
    off_kept: bool = False  # off-diagonal indices whose label is not the tolerant argmax
    beaten: bool = False  # rows whose label is not the tolerant argmax (index, label, rank in class)
    scores: tuple[tuple[str, np.ndarray | None, str], ...] = ()  # (method, thresholds, "all" | "beaten")
    argmax: bool = False
    noise: dict[Pair, int] = field(default_factory=dict)  # top-m margins among the class's candidates
    whole_class: dict[Pair, int] = field(default_factory=dict)  # top-m margins among all the class's rows


@dataclass
class Part:
    """One block's results (global indices)."""

    rows: int
    num_cols: int
    lo_label: int = 0
    hi_label: int = -1
    counts: np.ndarray | None = None
    extremes: tuple[float, float] = (np.inf, -np.inf)
    self_conf: np.ndarray | None = None
    cj: np.ndarray | None = None  # (guessed, given), C order
    lists: dict[str, np.ndarray] = field(default_factory=dict)
    scores: list[np.ndarray] = field(default_factory=list)
    noise: dict[Pair, tuple[np.ndarray, np.ndarray, int]] = field(default_factory=dict)
    whole_class: dict[Pair, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def _rank_in_class(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Each row's position among the block's rows of its class."""
    order = np.argsort(narrow(y, num_classes - 1), kind="stable")
    counts = np.bincount(y, minlength=num_classes)
    rank = np.empty(len(y), dtype=np.int64)
    rank[order] = np.arange(len(y)) - np.repeat(np.cumsum(counts) - counts, counts)
    return rank


def _scores(block: np.ndarray, y: np.ndarray, method: str, thresholds) -> np.ndarray:
    from .rank import chunk_scores  # rank imports count, which imports nothing of ours: no cycle

    n, k = block.shape
    parts = [chunk_scores(block[s:e], y[s:e], method, thresholds) for s, e in row_chunks(n, k)]
    return np.concatenate(parts) if parts else np.zeros(0)


def block_pass(labels, pred_probs, offset: int, req: Request) -> Part:
    """The map step: what ``req`` asks for, on one block whose first row is row ``offset``."""
    check_pred_probs(pred_probs)
    y = as_labels(labels)
    n, k = pred_probs.shape
    if len(y) != n:
        raise ValueError(f"pred_probs and labels must have same length ({n} rows vs {len(y)} labels) in every block.")
    part = Part(rows=n, num_cols=k)
    if n == 0:
        return part
    part.lo_label, part.hi_label = int(y.min()), int(y.max())
    if part.lo_label < 0 or part.hi_label >= k:
        return part  # the caller raises the in-memory engine's error from lo/hi
    block = np.ascontiguousarray(pred_probs)
    y = y.astype(np.intp, copy=False)
    part.counts = np.bincount(y, minlength=k)
    flat = block.reshape(-1)
    part.extremes = merge_extremes(np.inf, -np.inf, flat.min(), flat.max())
    if req.self_conf:
        part.self_conf = take_self_conf(block, y)[np.argsort(narrow(y, k - 1), kind="stable")]
    need_candidates = req.beaten or bool(req.noise)
    if req.thresholds is not None or need_candidates:
        found = scan(
            y,
            block,
            req.thresholds,
            off_diagonal=req.off_diagonal,
            off_diagonal_kept=req.off_kept,
            candidates=need_candidates,
        )
        if req.thresholds is not None:
            part.cj = np.ascontiguousarray(found.cj.T)
        if req.off_diagonal:
            part.lists["off_diagonal"] = found.off_diagonal + offset
        if req.off_kept:
            part.lists["off_kept"] = found.off_diagonal_kept + offset
        if need_candidates:
            beaten = found.candidates[found.candidate_kept].astype(np.intp)
    if req.beaten:
        part.lists["beaten"] = beaten + offset
        part.lists["beaten_label"] = y[beaten]
        part.lists["beaten_rank"] = _rank_in_class(y, k)[beaten]
    for method, thresholds, rows in req.scores:
        if rows == "all":
            part.scores.append(_scores(block, y, method, thresholds))
        else:
            part.scores.append(_scores(np.take(block, beaten, axis=0), y[beaten], method, thresholds))
    if req.argmax:
        part.lists["argmax"] = block.argmax(axis=1)
    if req.noise:
        _noise_candidates(part, block, y, found, req.noise, offset)
    for (c, j), m in req.whole_class.items():
        idx = np.flatnonzero(y == c)
        margins = block[idx, j] - block[idx, c]
        best = top_lowest_ties(margins, m, largest=True)
        part.whole_class[(c, j)] = (idx[best] + offset, margins[best])
    return part


def _noise_candidates(part: Part, block, y, found, noise: dict[Pair, int], offset: int) -> None:
    """Per class pair (k, j): the block's ``m`` largest non-negative margins P[i, j] - P[i, k]
    among its candidates labelled k (ties: lowest index), and how many are non-negative."""
    cand = found.candidates.astype(np.intp)
    cand_y = y[cand]
    rows_of: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for (c, j), m in noise.items():
        if c not in rows_of:
            rows = cand[cand_y == c]
            rows_of[c] = (rows, np.take(block, rows, axis=0))
        rows, sub = rows_of[c]
        margins = sub[:, j] - sub[:, c]
        pos = np.flatnonzero(margins >= 0)
        vals = margins[pos]
        best = top_lowest_ties(vals, m, largest=True)
        part.noise[(c, j)] = (rows[pos[best]] + offset, vals[best], len(pos))


# ---------------------------------------------------------------------------------------------
# Reduce


def merge_top(parts: list[tuple[np.ndarray, np.ndarray]], m: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``m`` largest values of parts given in row order (ties: lowest index), as ``top_lowest_ties`` picks."""
    idx = np.concatenate([p[0] for p in parts])
    val = np.concatenate([p[1] for p in parts])
    best = top_lowest_ties(val, m, largest=True)  # indices ascend with position: same tie order
    return idx[best], val[best]


class _TopM:
    """Running top-m of one class pair: merges when the pending parts outgrow the kept ones (amortised O(n))."""

    def __init__(self, m: int) -> None:
        self.m, self.size, self.reached = m, 0, 0
        self.kept: list[tuple[np.ndarray, np.ndarray]] = []
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, idx: np.ndarray, val: np.ndarray) -> None:
        self.pending.append((idx, val))
        self.size += len(idx)
        if self.size > 2 * self.m + 1024:
            self.kept, self.pending, self.size = [merge_top(self.kept + self.pending, self.m)], [], 0

    def result(self) -> np.ndarray:
        return merge_top(self.kept + self.pending, self.m)[0] if self.kept or self.pending else np.zeros(0, np.intp)


class Totals:
    """The reduce step: folds :class:`Part` objects, in row order, into whole-data results."""

    def __init__(self, req: Request) -> None:
        self.req = req
        self.rows = 0
        self.num_cols: int | None = None
        self.lo_label: int | None = None
        self.hi_label: int | None = None
        self.counts: Any = 0
        self.extremes = (np.inf, -np.inf)
        self.cj: Any = 0
        self._self_conf: list[tuple[np.ndarray, np.ndarray]] = []
        self._lists: dict[str, list[np.ndarray]] = {}
        self._scores: list[list[np.ndarray]] = [[] for _ in req.scores]
        self._noise = {pair: _TopM(m) for pair, m in req.noise.items()}
        self._whole = {pair: _TopM(m) for pair, m in req.whole_class.items()}

    def add(self, part: Part) -> None:
        if self.num_cols is not None and part.num_cols != self.num_cols:
            raise ValueError(f"Every block of pred_probs needs the same columns ({self.num_cols} vs {part.num_cols}).")
        self.num_cols = part.num_cols
        if part.rows == 0:
            return
        self.rows += part.rows
        lo, hi = part.lo_label, part.hi_label
        self.lo_label = lo if self.lo_label is None else min(self.lo_label, lo)
        self.hi_label = hi if self.hi_label is None else max(self.hi_label, hi)
        if part.counts is None:
            return  # labels out of range: reported by check_labels
        before = self.counts
        self.counts = self.counts + part.counts
        self.extremes = merge_extremes(*self.extremes, *part.extremes)
        if part.self_conf is not None:
            self._self_conf.append((part.self_conf, part.counts))
        if part.cj is not None:
            self.cj = self.cj + part.cj
        for name, values in part.lists.items():
            if name == "beaten_rank":  # rank within the class over all blocks so far
                values = values + (np.asarray(before)[part.lists["beaten_label"]] if np.ndim(before) else 0)
            self._lists.setdefault(name, []).append(values)
        for acc, scores in zip(self._scores, part.scores):
            acc.append(scores)
        for pair, (idx, val, reached) in part.noise.items():
            self._noise[pair].add(idx, val)
            self._noise[pair].reached += reached
        for pair, (idx, val) in part.whole_class.items():
            self._whole[pair].add(idx, val)

    def check_labels(self, *, allow_one_class: bool) -> None:
        """The in-memory engine's label checks, on the whole data."""
        if self.rows == 0:
            raise ValueError("labels and pred_probs are empty: need at least one example.")
        check_label_range(self.lo_label, self.hi_label, self.num_cols, allow_one_class=allow_one_class)

    @property
    def label_counts(self) -> np.ndarray:
        return np.asarray(self.counts, dtype=np.int64)

    def class_thresholds(self) -> np.ndarray:
        """Per-class mean self-confidence: numpy's mean over the same sequence as ``class_thresholds``."""
        k = self.num_cols
        bounds = np.zeros(k + 1, dtype=np.int64)
        bounds[1:] = np.cumsum(self.label_counts)
        grouped = np.empty(bounds[-1], dtype=self._self_conf[0][0].dtype)
        nxt = bounds[:-1].copy()
        for values, counts in self._self_conf:
            starts = np.cumsum(counts) - counts
            for c in np.flatnonzero(counts):
                grouped[nxt[c] : nxt[c] + counts[c]] = values[starts[c] : starts[c] + counts[c]]
            nxt += counts
        self.grouped_self_conf, self.bounds = grouped, bounds
        return class_means(grouped, bounds)

    def raw_cj(self) -> np.ndarray:
        """The raw confident joint, Fortran-ordered like the in-memory ``scan``'s."""
        k = self.num_cols
        cj = self.cj if np.ndim(self.cj) else np.zeros((k, k), dtype=np.int64)
        return cj.T

    def indices(self, name: str, dtype=np.intp) -> np.ndarray:
        parts = self._lists.get(name, [])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    def scores(self, i: int) -> np.ndarray:
        return np.concatenate(self._scores[i]) if self._scores[i] else np.zeros(0)

    def noise(self, pair: Pair) -> tuple[np.ndarray, int]:
        return self._noise[pair].result(), self._noise[pair].reached

    def whole_class(self, pair: Pair) -> np.ndarray:
        return self._whole[pair].result()
