"""The shared neighbour graph: built once per audit, read by every KNN-based check.

Semantics (spec §6.2): each row's ``k`` nearest other rows in ascending distance, self
excluded; metric ``cosine`` (1 - cosine similarity) when there are more than 3 feature
columns, else ``euclidean``; rows that are exact copies of each other are made each other's
first neighbours at distance 0 (the exact-duplicate correction), so a group of copies is
never split by ties.

How the graph is searched (``method="auto"``). Measured on 2 cores, 2 Dec 2026, on
``bench/audit.py``'s data (Gaussian blobs, one per class, 30 informative dimensions: the hard
case for an approximate search), k=10, cosine, the whole graph, wall seconds at load ~1;
recall of the approximate searches measured against exact search on their 1,000-row sample:

========== ====== ======= ================================ =====================================
N          flat   cells   cells recall (cells, probes)     faiss IVF (recall, nprobe/nlist)
========== ====== ======= ================================ =====================================
    20,000   0.7     0.2  0.966 (20, 2)
    50,000   2.7     0.9  0.955 (50, 5)
   100,000   9.9     2.7  0.997 (100, 12)                  9.5 s (0.965, 16/316)
   200,000  42.2     7.0  0.984 (200, 18)                  33 s (0.992, 27/447)
 1,000,000    --    ~90   0.951 (1000, 62)                 ~200 s for 0.967 (32/1024)
========== ====== ======= ================================ =====================================

Exact search costs N^2 and stops paying near 50k rows (flat: 2.7 s there, 42 s at 200k). The
cells search (``cells.py``: k-means cells, each searched against its nearest cells by float32
matrix products) reaches 95% recall at a fraction of that; faiss's own IVF scans the same
pairs one vector at a time and costs 2-4x more for the same recall, and HNSW at 1M rows took
70 s to build and 115 s to search for recall 0.92. On data with structure (real tables:
correlated columns, few informative directions) the cells search needs fewer probes.

So ``auto`` picks:

* up to ``SKLEARN_MAX_ROWS`` rows, and for euclidean at D <= 15 (KD-tree, fast at any N),
  scikit-learn's ``NearestNeighbors`` runs exactly as the reference calls it, so the graphs
  agree bit for bit;
* otherwise, up to ``FLAT_MAX_ROWS`` rows, ``flat``: exact, faiss's flat index for float32
  candidates, re-ranked in float64;
* above it ``cells``: approximate, with the number of probed cells raised until 95% of the
  exact neighbours of a seeded 1,000-row sample are found; that recall is kept on the graph
  (and in the audit's JSON ``run``, and in a note), never assumed. When a quarter of the cells
  does not reach the target (features with little structure), up to ``EXACT_FALLBACK_ROWS``
  rows are searched exactly instead (it costs only a few times more there); above, the graph is
  kept and its note says it missed the target. ``ivf`` and ``hnsw`` (faiss) can be asked for;
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

from cleanaudit.checks.graph.copies import duplicate_groups, fix_exact_duplicates
from cleanaudit.checks.skipped import CheckSkipped

Progress = Callable[[str, int, int], None]

# Up to this many rows the reference's own search runs (identical graphs, and still fast).
SKLEARN_MAX_ROWS = 5000
# Up to this many rows faiss's exact flat index; above it the approximate cells search (measured, see above).
FLAT_MAX_ROWS = 50_000
FALLBACK_NOTE = "faiss could not be imported, so the exact search is cleanaudit's own blocked search (slower)"


# Up to this many rows, an approximate search that misses its recall target is replaced by the exact one.
EXACT_FALLBACK_ROWS = 200_000


def approximate_note(n: int, found: Any) -> str:
    """What a user is told about an approximate graph: its measured recall, and whether it met its target.

    >>> from cleanaudit.checks.graph.approximate import Approximate
    >>> note = approximate_note(10**6, Approximate(None, None, 0.9512, 1000, {"target": 0.95}))
    >>> note.startswith("neighbour graph of 1,000,000 rows"), "found 0.951" in note, note.endswith("(target 0.95)")
    (True, True, True)
    """
    target = found.params.get("target")
    text = (
        f"neighbour graph of {n:,} rows by an approximate search: it found {found.recall:.3f} of the exact "
        f"neighbours on a {found.recall_sample:,}-row sample"
    )
    if target is not None and found.recall < target:
        return text + (
            f", below its {target:g} target (little structure in the features): outlier, near-duplicate and "
            "non-IID results near their cut-offs may differ from an exact search"
        )
    return text + (f" (target {target:g})" if target is not None else "")


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
    return "flat" if n <= FLAT_MAX_ROWS else "cells"


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
    chosen = method == "auto"
    if chosen:
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
        note = approximate_note(n, found)
        if chosen and found.recall < found.params.get("target", 0.0) and n <= EXACT_FALLBACK_ROWS:
            # Little structure in the features: the capped probes missed too much, and exact search
            # costs only a few times more at this size.
            note = (
                f"the approximate neighbour search found {found.recall:.3f} of the exact neighbours on a "
                f"{found.recall_sample:,}-row sample, below its {found.params['target']:g} target (little structure "
                "in the features), so the exact search ran instead"
            )
            method, recall, sample, params = "flat", None, None, None
            ind, dist = knn_search.search_flat(x, k, metric, progress)
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
