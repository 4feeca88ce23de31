"""Approximate neighbours by cells: k-means cells, each searched against its nearest cells by matrix products.

The idea of an inverted-file index (search only the cells near a row), executed the way our exact
``blocked`` search is: the rows of one cell are the queries, the rows of the ``probes`` cells whose
centres are nearest to that cell's centre are the candidates, and one float32 matrix product per
block of queries scores them all; the best candidates are kept with the column-group pre-selection
and re-ranked in float64. faiss's IVF scans each query's cells one vector at a time; a matrix
product does the same pairs several times faster (``knn.py`` has the figures).

``probes`` is chosen on the recall sample (:func:`~cleanaudit.checks.graph.approximate.recall_sample`):
raised by half from 2 until the sample's recall against exact search reaches ``target``, at most a
quarter of the cells. Rows near a cell's edge may have neighbours in a cell that is not among
the nearest to their own cell's centre; the measured recall counts those misses.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cleanaudit.checks.graph.approximate import Approximate, found_share, recall_sample
from cleanaudit.checks.graph.search import _GROUP, _MARGIN, Progress, _prepared, _tile_candidates, rerank

CELL_ROWS = 1000  # rows per k-means cell on average: a cell's block of scores stays small
CELL_TRAIN_PER_CELL = 40  # k-means training rows per cell (faiss asks for at least 39)
CELL_MAX_PROBE_SHARE = 4  # search at most a quarter of the cells per cell


class Cells:
    """The rows of each k-means cell and, for each cell, the other cells in order of their centres' distance."""

    def __init__(self, q: np.ndarray, metric: str, seed: int) -> None:
        import faiss

        n, d = q.shape
        self.num = max(1, int(round(n / CELL_ROWS)))
        rng = np.random.default_rng(seed)
        train = q[np.sort(rng.choice(n, min(n, CELL_TRAIN_PER_CELL * self.num), replace=False))]
        kmeans = faiss.Kmeans(d, self.num, niter=10, seed=seed, spherical=metric == "cosine")
        kmeans.train(np.ascontiguousarray(train))
        _, assign = kmeans.index.search(q, 1)
        assign = assign.ravel()
        self.train_rows = len(train)
        self.order = np.argsort(assign, kind="stable")  # rows grouped by cell, ascending within a cell
        self.starts = np.searchsorted(assign[self.order], np.arange(self.num + 1))
        self.of_row = assign
        _, self.nearest = kmeans.index.search(kmeans.centroids, self.num)  # each cell first, then the nearest

    def rows(self, cell: int) -> np.ndarray:
        return self.order[self.starts[cell] : self.starts[cell + 1]]

    def candidates(self, cell: int, probes: int) -> np.ndarray:
        return np.concatenate([self.rows(int(c)) for c in self.nearest[cell, :probes] if c >= 0])


_BLOCK_ROWS = 256  # query rows per product
_TILE_COLS = 16384  # candidate columns per product: a 256 x 16384 float32 tile is 16 MiB, reused per thread
_buffers = threading.local()


def _tile_buffer() -> np.ndarray:
    # Reused: a fresh 16 MiB array per product costs more in page faults than the product itself.
    buf = getattr(_buffers, "tile", None)
    if buf is None:
        buf = _buffers.tile = np.empty((_BLOCK_ROWS, _TILE_COLS), np.float32)
    return buf


def _search_block(
    exact: np.ndarray, queries: np.ndarray, keys: np.ndarray, rows: np.ndarray, cand: np.ndarray, k: int, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest of ``cand`` (whose key rows are ``keys``) for ``rows``: products by tiles, float64 re-rank."""
    k1 = min(k + 1 + _MARGIN, len(cand))
    buf = _tile_buffer()
    cols_parts, vals_parts = [], []
    for start in range(0, len(cand), _TILE_COLS):
        width = min(_TILE_COLS, len(cand) - start)
        g = _GROUP if width >= _GROUP * k1 else 1
        padded = -(-width // g) * g
        s = buf[: len(rows), :padded]
        np.matmul(queries, keys[start : start + width].T, out=s[:, :width])
        s[:, width:] = -np.inf
        cols, vals = _tile_candidates(s, min(k1, padded // g), g)
        cols_parts.append(np.minimum(cols, width - 1) + start)  # a padding column wins only with too few candidates
        vals_parts.append(vals)
    cols, vals = np.hstack(cols_parts), np.hstack(vals_parts)
    if cols.shape[1] > k1:
        best = np.argpartition(vals, -k1, axis=1)[:, -k1:]
        cols = np.take_along_axis(cols, best, 1)
    picked = cand[cols]
    if picked.shape[1] < k + 1:  # tiny data: fewer candidates than neighbours, pad with misses
        picked = np.hstack([picked, np.full((len(rows), k + 1 - picked.shape[1]), -1)])
    return rerank(exact, rows, picked, k, metric)


def _search_cells(
    cells: Cells,
    exact: np.ndarray,
    q: np.ndarray,
    keys: np.ndarray,
    probes: int,
    k: int,
    metric: str,
    only: np.ndarray | None,
    progress: Progress | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Neighbours of every row (or of the rows ``only``), cell by cell, on threads."""
    from threadpoolctl import threadpool_limits

    n = len(exact)
    want = np.zeros(n, bool)
    want[np.arange(n) if only is None else only] = True
    ind = np.full((n, k), -1, np.int64)
    dist = np.full((n, k), np.inf)
    done = [0]

    def cell_work(cell: int) -> None:
        rows = cells.rows(cell)
        rows = rows[want[rows]]
        if len(rows) == 0:
            return
        cand = cells.candidates(cell, probes)
        cand_keys = keys[cand]
        for start in range(0, len(rows), _BLOCK_ROWS):
            block = rows[start : start + _BLOCK_ROWS]
            ind[block], dist[block] = _search_block(exact, q[block], cand_keys, block, cand, k, metric)
        done[0] += len(rows)
        if progress:
            progress("neighbours", done[0], int(want.sum()))

    threads = max(1, min(os.cpu_count() or 1, 8))
    with threadpool_limits(1), ThreadPoolExecutor(threads) as pool:
        list(pool.map(cell_work, range(cells.num)))
    return ind, dist


def search_cells(
    x: np.ndarray, k: int, metric: str, progress: Progress | None, *, seed: int = 0, target: float = 0.95
) -> Approximate:
    """Approximate k nearest neighbours by k-means cells and matrix products, ``probes`` chosen for ``target``.

    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(c, 0.1, size=(3000, 8)) for c in range(-3, 4)])
    >>> g = search_cells(x, 5, "euclidean", None)
    >>> g.recall >= 0.95, g.params["cells"], g.params["probes"] <= g.params["cells"] // 4
    (True, 21, True)
    """
    from cleanaudit.checks.graph.search import faiss_threads, search_flat

    exact, q, keys_t = _prepared(x, metric)
    keys = np.ascontiguousarray(keys_t.T)  # one key row per data row, gathered per cell
    base = q if metric == "cosine" else np.ascontiguousarray(exact.astype(np.float32))
    sample = recall_sample(len(x), seed)
    with faiss_threads():
        cells = Cells(base, metric, seed)
        _, exact_dist = search_flat(x, k, metric, None, rows=sample)
    max_probes = max(1, cells.num // CELL_MAX_PROBE_SHARE)
    probes = min(2, max_probes)
    while True:
        _, dist = _search_cells(cells, exact, q, keys, probes, k, metric, sample, None)
        recall = found_share(dist[sample], exact_dist)
        if recall >= target or probes >= max_probes:
            break
        probes = min(-(-3 * probes // 2), max_probes)  # x1.5: doubling overshoots the cost
    ind, dist = _search_cells(cells, exact, q, keys, probes, k, metric, None, progress)
    recall = found_share(dist[sample], exact_dist)  # the same rows, the same candidates: the graph's own recall
    params = {"cells": cells.num, "probes": probes, "target": target, "train_rows": cells.train_rows}
    return Approximate(ind, dist, recall, len(sample), params)
