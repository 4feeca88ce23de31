"""Approximate neighbour search for large tables: faiss's IVF and HNSW indexes, with measured recall.

Both return an :class:`Approximate`: the N×k graph (self excluded, ascending distance, candidates
re-ranked in float64 as the exact searches do) and its recall, measured on a seeded sample of
rows against exact search (:func:`cleanaudit.checks.graph.search.search_flat` for those rows),
never assumed.

* :func:`search_ivf` (what ``auto`` uses on large tables): an inverted-file index whose lists are
  k-means cells trained on a seeded sample; each row scans the ``nprobe`` cells nearest to it.
  ``nprobe`` is chosen on the recall sample: doubled from 1 until the sample's recall reaches
  ``target`` (at most a sixteenth of the cells are scanned, then the recall is what it is and the
  graph says so). Easy data stops at a few cells, hard data (many informative dimensions, no
  structure) pays for more, and both are told their recall.
* :func:`search_hnsw`: faiss's HNSW graph (``method="hnsw"``). At 1M rows × 30 it
  took 70 s to build and reached recall 0.92 at a search cost IVF beats (see ``knn.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleanaudit.checks.graph.search import _MARGIN, Progress, _faiss_rows, _ranked, faiss_threads, rerank, search_flat

RECALL_SAMPLE = 1000  # query rows whose approximate neighbours are checked against exact search
IVF_RECALL_TARGET = 0.95  # nprobe grows until the sample reaches this share of the exact neighbours
IVF_TRAIN_PER_LIST = 40  # k-means training rows per cell (faiss asks for at least 39)
IVF_MAX_PROBE_SHARE = 16  # scan at most 1/16 of the cells per row


@dataclass
class Approximate:
    """An approximate graph, its recall on ``recall_sample`` rows, and the index settings used."""

    indices: np.ndarray
    distances: np.ndarray
    recall: float
    recall_sample: int
    params: dict[str, Any] = field(default_factory=dict)


def recall_sample(n: int, seed: int = 0) -> np.ndarray:
    """The rows an approximate graph is checked on: at most ``RECALL_SAMPLE``, seeded, ascending.

    >>> recall_sample(5).tolist(), len(recall_sample(10**6))
    ([0, 1, 2, 3, 4], 1000)
    """
    if n <= RECALL_SAMPLE:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, RECALL_SAMPLE, replace=False))


def found_share(dist: np.ndarray, exact_dist: np.ndarray) -> float:
    """Share of the exact k neighbours found, from each sample row's k found and k exact distances.

    A found neighbour at most the exact k-th distance counts (another row at the same distance is
    as near: a tie, not a miss).

    >>> found_share(np.array([[1.0, 2.0], [1.0, 9.0]]), np.array([[1.0, 2.0], [1.0, 3.0]]))
    0.75
    """
    k = exact_dist.shape[1]
    found = (dist <= exact_dist[:, -1:] + 1e-12).sum(axis=1)
    return float(np.minimum(found, k).mean() / k)


def measured_recall(
    x: np.ndarray, ind: np.ndarray, dist: np.ndarray, metric: str, *, seed: int = 0
) -> tuple[float, int]:
    """Recall of a finished approximate graph on the seeded sample, against exact search."""
    rows = recall_sample(len(x), seed)
    _, exact_dist = search_flat(x, ind.shape[1], metric, None, rows=rows)
    return found_share(dist[rows], exact_dist), len(rows)


def _space(metric: str) -> int:
    import faiss

    return int(faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2)


def search_hnsw(x: np.ndarray, k: int, metric: str, progress: Progress | None, *, seed: int = 0) -> Approximate:
    """Approximate k nearest neighbours with faiss's HNSW index, re-ranked in float64."""
    import faiss

    exact, q = _faiss_rows(x, metric)
    index = faiss.IndexHNSWFlat(q.shape[1], 32, _space(metric))
    index.hnsw.efConstruction = 80
    index.hnsw.efSearch = max(128, 2 * min(k + 1 + _MARGIN, len(x)))
    with faiss_threads():
        index.add(q)
        ind, dist = _ranked(index, exact, q, np.arange(len(x)), k, metric, progress)
    recall, sample = measured_recall(x, ind, dist, metric, seed=seed)
    return Approximate(ind, dist, recall, sample, {"M": 32, "efConstruction": 80, "efSearch": index.hnsw.efSearch})


def ivf_lists(n: int) -> int:
    """Number of k-means cells for N rows: about sqrt(N), at least 16 (measured in ``knn.py``).

    >>> ivf_lists(10**6), ivf_lists(100)
    (1000, 16)
    """
    return max(16, int(round(np.sqrt(n))))


def search_ivf(
    x: np.ndarray,
    k: int,
    metric: str,
    progress: Progress | None,
    *,
    seed: int = 0,
    target: float = IVF_RECALL_TARGET,
) -> Approximate:
    """Approximate k nearest neighbours with faiss's IVF index, ``nprobe`` chosen for ``target`` recall.

    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.normal(c, 0.1, size=(2000, 8)) for c in range(-3, 4)])
    >>> g = search_ivf(x, 5, "euclidean", None)
    >>> g.recall >= 0.95, g.params["nprobe"] <= g.params["nlist"] // 16
    (True, True)
    """
    import faiss

    n = len(x)
    exact, q = _faiss_rows(x, metric)
    nlist = ivf_lists(n)
    space = _space(metric)
    quantizer = faiss.IndexFlatIP(q.shape[1]) if metric == "cosine" else faiss.IndexFlatL2(q.shape[1])
    index = faiss.IndexIVFFlat(quantizer, q.shape[1], nlist, space)
    index.cp.seed = seed
    rng = np.random.default_rng(seed)
    train = np.sort(rng.choice(n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False))
    sample = recall_sample(n, seed)
    k1 = min(k + 1 + _MARGIN, n)
    with faiss_threads():
        index.train(q[train])
        index.add(q)
        _, exact_dist = search_flat(x, k, metric, None, rows=sample)
        nprobe, recall = 1, 0.0
        max_probe = max(1, nlist // IVF_MAX_PROBE_SHARE)
        while True:
            index.nprobe = nprobe
            _, cand = index.search(q[sample], k1)
            _, dist = rerank(exact, sample, cand.astype(np.int64), k, metric)
            recall = found_share(dist, exact_dist)
            if recall >= target or nprobe >= max_probe:
                break
            nprobe = min(2 * nprobe, max_probe)
        ind, dist = _ranked(index, exact, q, np.arange(n), k, metric, progress)
    # The sample's rows got the same candidates in the full search, so this is the graph's recall.
    recall = found_share(dist[sample], exact_dist)
    params = {"nlist": nlist, "nprobe": nprobe, "target": target, "train_rows": len(train)}
    return Approximate(ind, dist, recall, len(sample), params)
