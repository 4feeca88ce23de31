"""Nearest-neighbour search back ends for :mod:`cleanaudit.checks.graph.knn`.

Each returns ``(indices, distances)``, N×k, self excluded, ascending distance, float64.

* :func:`search_sklearn`: scikit-learn's ``NearestNeighbors`` exactly as the reference calls it
  (bit-identical graphs; KD-tree at low D, otherwise slow brute force).
* :func:`search_blocked`: exact brute force by blocks of float32 matrix products; each block
  keeps only column groups whose maximum can reach the top k+1, then the survivors are
  re-ranked with float64 distances. Threads over row blocks; memory per thread is one tile.
* :func:`search_flat`: exact, faiss's flat index (``IndexFlatIP`` on unit rows for cosine,
  ``IndexFlatL2`` for euclidean) for k+1+margin float32 candidates, re-ranked in float64.
* The approximate searches for large tables (IVF, HNSW) are in :mod:`~cleanaudit.checks.graph.approximate`;
  they re-rank with :func:`rerank` and measure their recall against :func:`search_flat`.

faiss runs on OpenMP threads: :func:`faiss_threads` sets them to the cores this process may use
for one search and restores faiss's setting afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

Progress = Callable[[str, int, int], None]

_ROWS = 512  # rows per block
_TILE = 32768  # columns per tile: a tile is _ROWS x _TILE float32 = 64 MiB
_GROUP = 16  # columns per group in the pre-selection
_MARGIN = 8  # extra float32 candidates re-ranked in float64, against rounding near ties


def drop_self(ind: np.ndarray, dist: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own entry from k+1 results (the first column when self is absent)."""
    keep = ind != rows[:, None]
    keep[keep.all(axis=1), 0] = False
    return ind[keep].reshape(len(rows), k), dist[keep].reshape(len(rows), k)


def search_sklearn(x: np.ndarray, k: int, metric: str, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.neighbors import NearestNeighbors

    chosen: Any = metric
    if metric == "euclidean" and len(x) <= 100:
        # As the reference: scipy's exact formula for small data (no dot-product rounding).
        from scipy.spatial.distance import euclidean

        chosen = euclidean
    nn = NearestNeighbors(n_neighbors=k, metric=chosen).fit(x)
    n = len(x)
    block = 8192
    if n <= block:
        dist, ind = nn.kneighbors()
        return ind, dist
    ind_out = np.empty((n, k), np.int64)
    dist_out = np.empty((n, k), np.float64)
    for start in range(0, n, block):
        rows = np.arange(start, min(start + block, n))
        dist, ind = nn.kneighbors(x[rows], n_neighbors=k + 1)
        ind_out[rows], dist_out[rows] = drop_self(ind, dist, rows, k)
        if progress:
            progress("neighbours", int(rows[-1] + 1), n)
    return ind_out, dist_out


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; all-zero rows move to a new axis, at cosine distance 1 from all."""
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))
    zero = norms == 0
    u = x / np.where(zero, 1.0, norms)[:, None]
    if zero.any():
        u = np.hstack([u, zero[:, None].astype(u.dtype)])
    return u


def _prepared(x: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float64 rows for exact distances, and float32 query/key matrices whose product ranks neighbours.

    Cosine: unit rows, similarity u.v. Euclidean: centred rows (less cancellation), score
    x.y - |y|^2/2, which is larger exactly when |x - y| is smaller.
    """
    if metric == "cosine":
        exact = unit_rows(x)
        q = exact.astype(np.float32)
        return exact, q, np.ascontiguousarray(q.T)
    exact = x - x.mean(axis=0)
    half_sq = 0.5 * np.einsum("ij,ij->i", exact, exact)
    q = np.hstack([exact, np.ones((len(x), 1))]).astype(np.float32)
    keys = np.hstack([exact, -half_sq[:, None]]).astype(np.float32)
    return exact, q, np.ascontiguousarray(keys.T)


def rerank(exact: np.ndarray, rows: np.ndarray, cand: np.ndarray, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest of each row's candidates by float64 distance, self removed, ties by index.

    Negative candidates (misses of an approximate search) are ignored.
    """
    missing = cand < 0
    cand = np.where(missing, rows[:, None], cand)
    if metric == "cosine":
        dist = np.clip(1.0 - np.einsum("rcd,rd->rc", exact[cand], exact[rows]), 0.0, 2.0)
    else:
        dist = np.sqrt(((exact[cand] - exact[rows][:, None, :]) ** 2).sum(axis=2))
    dist[missing | (cand == rows[:, None])] = np.inf
    order = np.lexsort((cand, dist), axis=1)[:, :k]
    return np.take_along_axis(cand, order, 1), np.take_along_axis(dist, order, 1)


def _tile_candidates(s: np.ndarray, k1: int, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Column positions and values of (a superset of) each row's k1 largest entries of ``s``.

    Columns are split into ``g`` contiguous slabs; group c is column c of every slab. A row's
    k1 largest entries lie in the k1 groups with the largest maxima, so only those are kept.
    """
    b, t = s.shape
    slabs = s.reshape(b, g, t // g)
    gmax = slabs[:, 0].copy()
    for j in range(1, g):
        np.maximum(gmax, slabs[:, j], out=gmax)
    top = np.argpartition(gmax, -k1, axis=1)[:, -k1:]
    cols = (top[:, None, :] + (np.arange(g) * (t // g))[None, :, None]).reshape(b, -1)
    vals = np.take_along_axis(s, cols, 1)
    best = np.argpartition(vals, -k1, axis=1)[:, -k1:]
    return np.take_along_axis(cols, best, 1), np.take_along_axis(vals, best, 1)


def search_blocked(x: np.ndarray, k: int, metric: str, progress: Progress | None) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours by blocked float32 products and float64 re-ranking."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    n = len(x)
    exact, q, keys = _prepared(x, metric)
    k1 = min(k + 1 + _MARGIN, n)
    g = _GROUP if n >= _GROUP * k1 else 1
    tile = min(_TILE, -(-n // g) * g)
    tile -= tile % g
    num_tiles = -(-n // tile)
    padded = np.zeros((keys.shape[0], num_tiles * tile), np.float32)
    padded[:, :n] = keys
    ind_out = np.empty((n, k), np.int64)
    dist_out = np.empty((n, k), np.float64)
    done = [0]

    def block(start: int) -> None:
        rows = np.arange(start, min(start + _ROWS, n))
        cols_parts, vals_parts = [], []
        for t in range(num_tiles):
            s = q[rows] @ padded[:, t * tile : (t + 1) * tile]
            if (t + 1) * tile > n:
                s[:, n - t * tile :] = -np.inf
            cols, vals = _tile_candidates(s, min(k1, tile // g), g)
            cols_parts.append(cols + t * tile)
            vals_parts.append(vals)
        cols, vals = np.hstack(cols_parts), np.hstack(vals_parts)
        if cols.shape[1] > k1:
            best = np.argpartition(vals, -k1, axis=1)[:, -k1:]
            cols = np.take_along_axis(cols, best, 1)
        ind_out[rows], dist_out[rows] = rerank(exact, rows, cols, k, metric)
        done[0] += len(rows)
        if progress:
            progress("neighbours", done[0], n)

    threads = max(1, min(os.cpu_count() or 1, 8))
    with threadpool_limits(1), ThreadPoolExecutor(threads) as pool:
        list(pool.map(block, range(0, n, _ROWS)))
    return ind_out, dist_out


def has_faiss() -> bool:
    """Whether faiss imports here (a wheel that is present but broken counts as absent)."""
    try:
        import faiss  # noqa: F401
    except Exception:  # ImportError, or a wheel built for another CPU/ABI
        return False
    return True


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


@contextmanager
def faiss_threads() -> Iterator[None]:
    """faiss's OpenMP threads set to this process's cores for one search, then restored."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(_cores())
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _faiss_rows(x: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """float64 rows for exact distances and the float32 rows faiss indexes (unit or centred rows)."""
    exact, q, _ = _prepared(x, metric)
    if metric == "euclidean":
        q = exact.astype(np.float32)
    return exact, np.ascontiguousarray(q)


_QUERY_ROWS = 8192  # query rows per faiss search: faiss keeps 8192 x k1 candidates, we re-rank them


def _ranked(
    index: Any,
    exact: np.ndarray,
    q: np.ndarray,
    queries: np.ndarray,
    k: int,
    metric: str,
    progress: Progress | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Search ``index`` for ``queries`` a block at a time, re-ranking each block's candidates in float64."""
    k1 = min(k + 1 + _MARGIN, len(exact))
    ind_out = np.empty((len(queries), k), np.int64)
    dist_out = np.empty((len(queries), k), np.float64)
    for start in range(0, len(queries), _QUERY_ROWS):
        part = slice(start, start + _QUERY_ROWS)
        block = queries[part]
        _, cand = index.search(q[block], k1)
        ind_out[part], dist_out[part] = rerank(exact, block, cand.astype(np.int64), k, metric)
        if progress:
            progress("neighbours", min(start + _QUERY_ROWS, len(queries)), len(queries))
    return ind_out, dist_out


def search_flat(
    x: np.ndarray, k: int, metric: str, progress: Progress | None, *, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours with faiss's flat index, re-ranked in float64.

    ``rows`` limits the queries to those rows (all rows are still searched); the result then
    has one line per given row.

    >>> ind, dist = search_flat(np.array([[0.0, 1], [0, 2], [5, 0]]), 1, "euclidean", None)
    >>> ind.ravel().tolist(), dist.ravel().tolist()
    ([1, 0, 0], [1.0, 1.0, 5.0990195135927845])
    """
    import faiss

    exact, q = _faiss_rows(x, metric)
    index = faiss.IndexFlatIP(q.shape[1]) if metric == "cosine" else faiss.IndexFlatL2(q.shape[1])
    index.add(q)
    queries = np.arange(len(x)) if rows is None else np.asarray(rows, np.int64)
    with faiss_threads():
        return _ranked(index, exact, q, queries, k, metric, progress)
