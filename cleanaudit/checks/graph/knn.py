"""The shared neighbour graph: built once per audit, read by every KNN-based check.

Semantics (spec §6.2): each row's ``k`` nearest other rows in ascending distance, self
excluded; metric ``cosine`` (1 - cosine similarity) when there are more than 3 feature
columns, else ``euclidean``; rows that are exact copies of each other are made each other's
first neighbours at distance 0 (the exact-duplicate correction), so a group of copies is
never split by ties.

How the graph is searched (``method="auto"``). Measured with ``bench/knn.py`` on 2 cores, 2 Dec
2026 (faiss-cpu 1.8+, 2 OpenMP threads), Gaussian blobs, k=10, cosine, the whole graph, all
methods in one session; recall of ``hnsw`` against exact search on its 1,000-row sample.
The machine was shared: quiet for the first rows (load < 1), then another job's test suite
kept both cores busy (load 3-4), which hurts faiss's OpenMP threads most (spin-waiting for a
busy core: flat at 100k x 30 took 14.5 s with 1 thread but 41 s with 2 under that load;
quiet, 16.5 s with 1 and 10.6 s with 2, so faiss gets all the cores the process may use).

======== === ===== ===== ======= ============
N         D  flat  hnsw blocked hnsw recall
======== === ===== ===== ======= ============
 50,000   30   3.4   7.1     4.5       0.9995   (quiet)
100,000   30  10.7  25.1    16.7       0.9991   (quiet)
200,000   30 156.5 112.6    80.4       0.9982   (loaded)
 50,000   50  11.6  12.4     8.8       0.9984   (loaded)
100,000   50  48.8  31.6    17.8       0.9932   (loaded)
200,000   50 100.9 109.9      --       0.9895   (loaded)
======== === ===== ===== ======= ============

Quiet, flat is 1.6x faster than ``blocked`` and 2.3x faster than ``hnsw`` at 100k; exact
search grows as N^2 and HNSW as ~N log N, so they cross near 200k rows: at 200k (loaded, so
noisy) hnsw beat flat at D=30 (113 s vs 157 s) and was about even at D=50 (110 s vs 101 s).
Under that load our ``blocked`` search (no OpenMP) was the fastest. 400k rows were not
measured (too slow under the load). Earlier, 1M rows took ``hnsw`` 570 s / 860 s at D=20 /
D=50 (recall 0.999 / 0.956 on near-uniform 50-D blobs, the hard case).

So ``auto`` picks:

* up to ``SKLEARN_MAX_ROWS`` rows, and for euclidean at D <= 15 (KD-tree, fast at any N),
  scikit-learn's ``NearestNeighbors`` runs exactly as the reference calls it, so the graphs
  agree bit for bit;
* otherwise, up to ``FLAT_MAX_ROWS`` rows, ``flat``: exact, faiss's flat index for float32
  candidates, re-ranked in float64;
* above it ``hnsw``: faiss's approximate HNSW index, re-ranked in float64; its recall is
  measured against ``flat`` on a seeded sample of 1,000 rows and kept on the graph (and in
  the audit's JSON ``run``), never assumed;
* ``blocked`` (our exact float32 brute force by column groups, re-ranked in float64) only
  when faiss cannot be imported, said in the graph's ``note``.
  Rejected: pynndescent (90 s of JIT compilation at 10k rows, recall 0.89 at D=50) and
  hnswlib (2-4x slower than faiss's HNSW at 100k rows, lower recall).

Memory stays O(N·k + N·D): rows are searched a block at a time against column tiles, and
duplicates are found by sorting rows, never with an N×N matrix.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cleanaudit.checks.skipped import CheckSkipped

Progress = Callable[[str, int, int], None]

# Up to this many rows the reference's own search runs (identical graphs, and still fast).
SKLEARN_MAX_ROWS = 5000
# Up to this many rows faiss's exact flat index; above it its approximate HNSW index (measured, see above).
FLAT_MAX_ROWS = 200_000
FALLBACK_NOTE = "faiss could not be imported, so the exact search is cleanaudit's own blocked search (slower)"


@dataclass
class KnnGraph:
    """Each row's nearest neighbours: ``indices[i, j]`` is row i's (j+1)-th nearest other row.

    >>> g = build_knn_graph(np.array([[0.0], [1.0], [3.0]]), k=1)
    >>> g.indices[:, 0].tolist(), g.distances[:, 0].tolist()
    ([1, 0, 1], [1.0, 1.0, 2.0])
    """

    indices: np.ndarray
    distances: np.ndarray
    metric: str
    method: str = "sklearn"
    recall: float | None = None  # approximate search only: measured on a sample against exact search
    recall_sample: int | None = None
    note: str | None = None  # why a slower method was chosen, when it was
    params: dict[str, Any] | None = None  # approximate search only: the index settings it used

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])

    @property
    def num_rows(self) -> int:
        return int(self.indices.shape[0])

    def first(self, k: int) -> KnnGraph:
        """The first ``k`` neighbours of each row (a view, no copy).

        >>> build_knn_graph(np.eye(4), k=3).first(2).indices.shape
        (4, 2)
        """
        if k > self.k:
            raise ValueError(f"graph has {self.k} neighbours per row, {k} were asked for")
        return replace(self, indices=self.indices[:, :k], distances=self.distances[:, :k])

    def to_csr(self):
        """The graph as an N×N sparse distance matrix (explicit zeros kept), e.g. for DBSCAN.

        >>> build_knn_graph(np.array([[0.0], [0.0], [2.0]]), k=1).to_csr().nnz
        3
        """
        from scipy.sparse import csr_matrix

        n, k = self.indices.shape
        indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
        return csr_matrix(
            (np.ascontiguousarray(self.distances, np.float64).ravel(), self.indices.ravel(), indptr),
            shape=(n, n),
        )


def decide_metric(features: np.ndarray) -> str:
    """The default metric: ``cosine`` for more than 3 columns, else ``euclidean``.

    >>> decide_metric(np.zeros((5, 4))), decide_metric(np.zeros((5, 3)))
    ('cosine', 'euclidean')
    """
    return "cosine" if features.shape[1] > 3 else "euclidean"


def _validate(features: np.ndarray) -> np.ndarray:
    x = np.asarray(features)
    if x.ndim != 2:
        raise CheckSkipped(f"features must be a 2-D matrix, got shape {x.shape}")
    if x.shape[1] == 0:
        raise CheckSkipped("there are no feature columns to compare rows by")
    x = np.ascontiguousarray(x, dtype=np.float64)  # distances are float64 whatever the input
    if not np.isfinite(x).all():
        raise CheckSkipped("features contain missing or infinite values; impute them before the neighbour search")
    return x


def choose_method(n: int, d: int, metric: str) -> str:
    """The search ``auto`` picks for N rows of D columns (measurements in the module docstring).

    >>> choose_method(1000, 30, "cosine"), choose_method(10**6, 2, "euclidean")
    ('sklearn', 'sklearn')
    """
    from cleanaudit.checks.graph.search import has_faiss

    if n <= SKLEARN_MAX_ROWS or (metric == "euclidean" and d <= 15):
        return "sklearn"
    if not has_faiss():
        return "blocked"
    return "flat" if n <= FLAT_MAX_ROWS else "ivf"


def duplicate_groups(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group id of every row (rows with identical values share it) and each group's size.

    >>> ids, sizes = duplicate_groups(np.array([[1.0, 2], [3, 4], [1, 2]]))
    >>> bool(ids[0] == ids[2] != ids[1]), sizes[ids].tolist()
    (True, [2, 1, 2])
    """
    # "+ 0.0" turns -0.0 into 0.0, which compare equal but differ in bytes.
    x = np.ascontiguousarray(features) + 0.0
    if x.shape[1] == 0:
        return np.zeros(len(x), np.int64), np.array([len(x)])
    # One opaque item per row: sorting them is much faster than np.unique(axis=0), same groups.
    rows = x.view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()
    _, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
    return inverse.ravel().astype(np.int64), counts


def fix_exact_duplicates(
    indices: np.ndarray, distances: np.ndarray, group: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Make copies of a row its first neighbours at distance 0 (spec §6.2), in place.

    A group of s <= k copies: each member's first s-1 slots are the other members (by index),
    followed by its former non-member neighbours in their order. A group larger than k: its
    first k+1 members neighbour each other, every later member neighbours the first k.
    """
    n, k = indices.shape
    row_size = sizes[group]
    dup_rows = np.flatnonzero(row_size > 1)
    if len(dup_rows) == 0:
        return indices, distances
    # Members of each group, sorted by group then by index.
    order = dup_rows[np.argsort(group[dup_rows], kind="stable")]
    g_sorted = group[order]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    pos_in_group = np.empty(n, np.int64)
    pos_in_group[order] = rank
    first_member = np.empty(n, np.int64)
    first_member[order] = np.repeat(starts, np.diff(np.r_[starts, len(order)]))  # offset into `order`

    for s in np.unique(row_size[dup_rows]):
        rows = dup_rows[row_size[dup_rows] == s]
        m = int(min(s, k + 1))  # members that neighbour each other
        # Columns 0..m-1: the group's first m members (positions within `order`).
        base = first_member[rows][:, None] + np.arange(m)[None, :]
        members = order[base]  # len(rows) x m, ascending index
        inner = pos_in_group[rows] < m
        if s <= k:
            others = members[members != rows[:, None]].reshape(len(rows), m - 1)
            old_ind, old_dist = indices[rows], distances[rows]
            is_member = group[old_ind] == group[rows][:, None]
            keep = np.argsort(is_member, axis=1, kind="stable")[:, : k - m + 1]
            indices[rows] = np.hstack([others, np.take_along_axis(old_ind, keep, 1)])
            distances[rows] = np.hstack([np.zeros((len(rows), m - 1)), np.take_along_axis(old_dist, keep, 1)])
        else:
            r_in, r_out = rows[inner], rows[~inner]
            mem_in = members[inner]
            indices[r_in] = mem_in[mem_in != r_in[:, None]].reshape(len(r_in), k)
            indices[r_out] = members[~inner][:, :k]
            distances[rows] = 0.0
    return indices, distances


def build_knn_graph(
    features: np.ndarray,
    k: int,
    *,
    metric: str | None = None,
    correct_exact_duplicates: bool = True,
    method: str = "auto",
    progress: Progress | None = None,
    groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> KnnGraph:
    """The ``k`` nearest neighbours of every row of ``features`` (self excluded).

    ``method`` is ``auto`` (see the module docstring), ``sklearn`` (exact, as the reference
    searches), ``flat`` (exact, faiss's flat index), ``blocked`` (exact, our brute force, no
    faiss needed), ``cells``, ``ivf`` or ``hnsw`` (approximate; their recall is measured on a sample
    and kept on the graph, with the index settings in ``params``). ``groups`` may pass
    precomputed :func:`duplicate_groups`. Raises ``ValueError`` unless 1 <= k < N.

    >>> g = build_knn_graph(np.array([[0.0, 0], [0, 0], [1, 1], [5, 6]]), k=2)
    >>> g.metric, g.indices[:2].tolist(), g.distances[0].tolist()
    ('euclidean', [[1, 2], [0, 2]], [0.0, 1.4142135623730951])
    """
    x = _validate(features)
    n, d = x.shape
    if not 1 <= k < n:
        raise ValueError(f"k must be between 1 and N-1 = {n - 1}, got {k}")
    metric = metric or decide_metric(x)
    if metric not in ("cosine", "euclidean"):
        raise ValueError(f"metric must be 'cosine' or 'euclidean', got {metric!r}")
    note = None
    if method == "auto":
        method = choose_method(n, d, metric)
        note = FALLBACK_NOTE if method == "blocked" else None
    from cleanaudit.checks.graph import approximate, cells
    from cleanaudit.checks.graph import search as knn_search

    exact_searches = {
        "sklearn": knn_search.search_sklearn,
        "flat": knn_search.search_flat,
        "blocked": knn_search.search_blocked,
    }
    approximate_searches = {
        "cells": cells.search_cells,
        "ivf": approximate.search_ivf,
        "hnsw": approximate.search_hnsw,
    }
    recall = sample = params = None
    if method in exact_searches:
        ind, dist = exact_searches[method](x, k, metric, progress)
    elif method in approximate_searches:
        # Recall is measured on the search's own result, before copies are reordered.
        found = approximate_searches[method](x, k, metric, progress)
        ind, dist = found.indices, found.distances
        recall, sample, params = found.recall, found.recall_sample, found.params
    else:
        known = ", ".join([*exact_searches, *approximate_searches])
        raise ValueError(f"unknown method {method!r}; choose from auto, {known}")
    ind = np.ascontiguousarray(ind, np.int64)
    dist = np.ascontiguousarray(dist, np.float64)
    if correct_exact_duplicates:
        group, sizes = groups if groups is not None else duplicate_groups(x)
        ind, dist = fix_exact_duplicates(ind, dist, group, sizes)
    return KnnGraph(ind, dist, metric, method, recall, sample, note, params)


class SharedKnn:
    """Builds the graph once per run, with the largest k any selected check asked for, and shares it.

    When the data has too few rows for a requested k, ``graph`` returns ``N-1`` neighbours
    (``clamped_k`` records it); with fewer than 3 rows it raises :class:`CheckSkipped`.

    >>> knn = SharedKnn(np.random.default_rng(0).normal(size=(50, 2)))
    >>> knn.reserve(10); knn.reserve(5)
    >>> knn.graph(5).indices.shape, knn.built_k, knn.metric
    ((50, 5), 10, 'euclidean')
    """

    def __init__(
        self, features: np.ndarray, *, metric: str | None = None, progress: Progress | None = None, method: str = "auto"
    ) -> None:
        self.features = features
        self._metric = metric
        self._progress = progress
        self._method = method
        self._reserved = 0
        self._graph: KnnGraph | None = None
        self._groups: tuple[np.ndarray, np.ndarray] | None = None
        self.clamped_k: int | None = None
        self.seconds = 0.0

    @property
    def num_rows(self) -> int:
        return int(np.shape(self.features)[0])

    @property
    def metric(self) -> str:
        return self._metric or decide_metric(np.asarray(self.features))

    @property
    def built_k(self) -> int | None:
        return None if self._graph is None else self._graph.k

    def reserve(self, k: int) -> None:
        """Ask for at least ``k`` neighbours per row (call before the first ``graph``)."""
        self._reserved = max(self._reserved, int(k))

    def effective_k(self, k: int) -> int:
        """``k`` capped at N-1; raises CheckSkipped when there are fewer than 3 rows."""
        n = self.num_rows
        if n < 3:
            raise CheckSkipped(f"needs at least 3 rows for a neighbour graph (has {n})")
        if k < 1:
            raise CheckSkipped(f"k must be at least 1, got {k}")
        return min(int(k), n - 1)

    def graph(self, k: int) -> KnnGraph:
        """The first ``min(k, N-1)`` neighbours of every row (built on first use)."""
        k_eff = self.effective_k(k)
        if k_eff < k:
            self.clamped_k = k_eff
        if self._graph is None or self._graph.k < k_eff:
            k_build = self.effective_k(max(self._reserved, k))
            if self._progress:
                self._progress("neighbours", 0, self.num_rows)
            start = time.perf_counter()
            self._graph = build_knn_graph(
                self.features,
                k_build,
                metric=self._metric,
                method=self._method,
                progress=self._progress,
                groups=self.duplicate_groups(),
            )
            self.seconds += time.perf_counter() - start
            self._metric = self._graph.metric
        return self._graph.first(k_eff)

    def record(self) -> dict[str, Any] | None:
        """The graph as the JSON ``run`` records it (``None`` before it is built).

        >>> knn = SharedKnn(np.random.default_rng(0).normal(size=(50, 2)))
        >>> _ = knn.graph(5)
        >>> {key: knn.record()[key] for key in ("method", "metric", "k", "exact", "recall")}
        {'method': 'sklearn', 'metric': 'euclidean', 'k': 5, 'exact': True, 'recall': None}
        """
        g = self._graph
        if g is None:
            return None
        return {
            "method": g.method,
            "metric": g.metric,
            "k": g.k,
            "exact": g.recall is None,
            "seconds": round(self.seconds, 3),
            "recall": None if g.recall is None else round(g.recall, 4),
            "recall_sample": g.recall_sample,
            "note": g.note,
            "params": g.params,
        }

    def duplicate_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """Group id and group sizes of identical encoded rows (computed once, see :func:`duplicate_groups`)."""
        if self._groups is None:
            self._groups = duplicate_groups(_validate(self.features))
        return self._groups
