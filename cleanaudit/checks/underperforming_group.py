"""``underperforming_group``: a cluster of similar rows on which the model does much worse (spec §6.8).

Rows are clustered with DBSCAN over the shared neighbour graph (``metric="precomputed"`` on
its sparse distances, so only graph edges count as neighbours). Clusters with fewer than
``min_cluster_samples`` rows, and DBSCAN's noise, are ignored. With ``mu`` the mean
self-confidence ``P[i, y_i]`` over the rows in valid clusters and ``mu_c`` that of cluster c,
every cluster with ``mu_c < mu`` scores ``ratio_c = mu_c / mu`` on all its rows (other rows
score 1). The worst cluster is flagged when its ratio is below ``threshold``; its ratio (or
1.0) is the dataset-level score.

Deliberate difference from the reference: the reference walks the clusters in order and
replaces its running worst whenever a cluster's *raw* ``mu_c`` is below the running worst
*ratio*, so it can settle on a cluster that is not the worst (with ``mu_c`` = 0.9, 0.05, 0.07
it picks the 0.07 cluster). Here the worst cluster is the one with the lowest ratio (ties go
to the lower cluster id). Per-row scores are unaffected; the summary score and the flagged
rows can differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cleanaudit.checks.base import COUNT, FRACTION, CheckInputs, CheckResult, CheckSkipped, Limit, register

NAME = "underperforming_group"
NO_CLUSTER = -2  # cluster id reported when no cluster is below the mean


def dbscan_on_graph(graph, *, eps: float = 0.5, min_samples: int = 5) -> np.ndarray:
    """DBSCAN cluster ids (-1 = noise) from a :class:`~cleanaudit.checks.graph.knn.KnnGraph`'s edges.

    >>> from cleanaudit.checks.graph.knn import build_knn_graph
    >>> x = np.r_[np.zeros((6, 1)), np.full((6, 1), 9.0)] + np.arange(12)[:, None] * 0.01
    >>> dbscan_on_graph(build_knn_graph(x, 5), eps=0.5, min_samples=5).tolist()
    [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    """
    from scipy.sparse import csr_matrix
    from sklearn.cluster import DBSCAN

    # Each row's self-edge (distance 0) goes first, as DBSCAN would add it: the rows stay
    # sorted by distance, so scikit-learn neither inserts entries nor re-sorts the graph
    # (seconds at a million rows). DBSCAN's labels depend only on the set of edges within
    # eps, not on their order within a row, so the clusters are the same as without it.
    n, k = graph.indices.shape
    indices = np.hstack([np.arange(n)[:, None], graph.indices]).ravel()
    data = np.hstack([np.zeros((n, 1)), graph.distances]).ravel()
    matrix = csr_matrix((data, indices, np.arange(0, n * (k + 1) + 1, k + 1)), shape=(n, n))
    return DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit(matrix).labels_


def cluster_ratios(
    cluster_ids: np.ndarray, self_confidence: np.ndarray, min_cluster_samples: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Valid cluster ids and each one's mean self-confidence relative to all valid clusters' rows.

    >>> ids = np.array([0] * 5 + [1] * 5 + [-1] * 2)
    >>> ids, ratios = cluster_ratios(ids, np.r_[[0.9] * 5, [0.3] * 5, [0, 0]])
    >>> ids.tolist(), ratios.round(3).tolist()
    ([0, 1], [1.5, 0.5])
    """
    ids = np.asarray(cluster_ids)
    clustered = ids >= 0
    sizes = np.bincount(ids[clustered]) if clustered.any() else np.zeros(0, np.int64)
    valid = np.flatnonzero(sizes >= min_cluster_samples)
    if len(valid) == 0:
        return valid, np.zeros(0)
    is_valid = np.zeros(len(sizes) + 1, bool)  # the last slot is for noise (id -1)
    is_valid[valid] = True
    in_valid = is_valid[ids]
    sums = np.bincount(ids[in_valid], weights=self_confidence[in_valid], minlength=len(sizes))
    # The overall mean from the same sums, so a lone cluster's ratio is exactly 1.
    overall = float(sums[valid].sum() / sizes[valid].sum())
    return valid, (sums[valid] / sizes[valid]) / overall


def worst_cluster(valid: np.ndarray, ratios: np.ndarray) -> tuple[int, float]:
    """The cluster with the lowest ratio below 1 (ties: lowest id), or ``(-2, 1.0)``.

    >>> worst_cluster(np.array([0, 1, 2]), np.array([2.65, 0.147, 0.206]))
    (1, 0.147)
    """
    below = ratios < 1.0
    if not below.any():
        return NO_CLUSTER, 1.0
    pick = int(np.argmin(np.where(below, ratios, np.inf)))  # argmin returns the first minimum
    return int(valid[pick]), float(ratios[pick])


@register(
    NAME,
    description="A cluster of similar rows where the model's confidence in the given label is far below average.",
    needs=("pred_probs+features",),
    params={"k": 10, "threshold": 0.1, "min_cluster_samples": 5, "eps": 0.5, "min_samples": 5},
    limits={
        "k": COUNT,
        "threshold": FRACTION,
        "min_cluster_samples": COUNT,
        "eps": Limit(low=0, open_low=True),
        "min_samples": COUNT,
    },
)
def run(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    """Run the check on the shared neighbour graph, labels and pred_probs.

    >>> from cleanaudit.checks.graph.knn import SharedKnn
    >>> x = np.r_[np.zeros((6, 1)), np.full((6, 1), 9.0)] + np.arange(12)[:, None] * 0.01
    >>> p = np.r_[np.tile([0.9, 0.1], (6, 1)), np.tile([0.99, 0.01], (6, 1))]
    >>> res = run(CheckInputs(12, ["a", "b"], labels=np.r_[[0] * 6, [1] * 6], pred_probs=p,
    ...                       features=x, knn=SharedKnn(x)), {"k": 5})
    >>> res.info["worst_cluster"], round(res.summary_score, 4), res.num_issues
    (1, 0.022, 6)
    """
    if inputs.features is None or inputs.pred_probs is None or inputs.labels is None:
        raise CheckSkipped("needs labels, pred_probs and features")
    from cleanaudit.checks.graph.knn import SharedKnn

    knn = inputs.knn if inputs.knn is not None else SharedKnn(inputs.features)
    k = int(params.get("k", 10))
    min_cluster = int(params.get("min_cluster_samples", 5))
    graph = knn.graph(k)
    ids = dbscan_on_graph(graph, eps=float(params.get("eps", 0.5)), min_samples=int(params.get("min_samples", 5)))
    labels = np.asarray(inputs.labels, dtype=np.int64)
    self_conf = np.asarray(inputs.pred_probs)[np.arange(len(labels)), labels]
    valid, ratios = cluster_ratios(ids, self_conf, min_cluster)
    if len(valid) == 0:
        raise CheckSkipped(
            f"no clusters of at least {min_cluster} rows were found in the neighbour graph "
            "(DBSCAN marked the rows as noise or as small groups)"
        )
    # Rows of every below-average cluster score its ratio; all other rows score 1.
    ratio_of = np.ones(int(ids.max()) + 2)  # slot -1 (the last) stays 1 for noise rows
    below = ratios < 1.0
    ratio_of[valid[below]] = ratios[below]
    scores = ratio_of[ids]
    worst, worst_ratio = worst_cluster(valid, ratios)
    threshold = float(params.get("threshold", 0.1))
    flags = (ids == worst) & (worst_ratio < threshold) if worst != NO_CLUSTER else np.zeros(len(ids), bool)
    info = {
        "n_clusters": int(len(valid)),
        "worst_cluster": worst,
        "worst_cluster_size": int(np.count_nonzero(ids == worst)) if worst != NO_CLUSTER else 0,
        "worst_cluster_ratio": worst_ratio,
        "threshold": threshold,
        "k": int(graph.k),
        "metric": graph.metric,
        "num_noise_rows": int(np.count_nonzero(ids < 0)),
    }
    return CheckResult(NAME, flags, scores, worst_ratio, info)
