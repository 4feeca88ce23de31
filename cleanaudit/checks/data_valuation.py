"""``data_valuation``: how much each row helps a k-nearest-neighbour classifier (spec §6.10).

KNN-Shapley with every row acting as a test point for its own ``k`` nearest neighbours. For
row a with neighbours n_0..n_{k-1}, the recursion over neighbour positions telescopes to a
closed form: neighbour n_j (j < k-1) receives ``[y(n_j) = y(a)] - [y(n_{k-1}) = y(a)]``; the
k-th neighbour and all other rows receive 0. A row's value is
``0.5 * (1 + total received / (N * k))``, so 0.5 is neutral and rows below ``threshold``
(0.5) hurt more than they help. Not run by default.

Unlike the reference, which allocates an N×N matrix, this needs O(N·k) memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cleanaudit.checks.base import COUNT, FRACTION, CheckInputs, CheckResult, CheckSkipped, register

NAME = "data_valuation"


def knn_shapley(indices: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-row KNN-Shapley value in [0, 1] from the neighbour graph and the labels.

    >>> knn_shapley(np.array([[1, 2], [0, 2], [0, 1]]), np.array([0, 0, 1])).round(4).tolist()
    [0.5833, 0.5833, 0.5]
    """
    n, k = indices.shape
    y = np.asarray(labels)
    match = (y[indices] == y[:, None]).astype(np.float64)
    gain = match[:, : k - 1] - match[:, k - 1 :]  # zero when k == 1
    received = np.bincount(indices[:, : k - 1].ravel(), weights=gain.ravel(), minlength=n)
    return 0.5 * (1 + received / (n * k))


@register(
    NAME,
    description="Rows that make a nearest-neighbour classifier worse (KNN-Shapley value below 0.5).",
    needs=("features",),
    params={"k": 10, "threshold": 0.5},
    limits={"k": COUNT, "threshold": FRACTION},
    default=False,
)
def run(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    """KNN-Shapley value of every row; flags rows below ``threshold``.

    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [0.15]])
    >>> r = run(CheckInputs(6, ["a", "b"], labels=np.array([0, 0, 0, 1, 1, 1]), features=X), {"k": 2})
    >>> np.flatnonzero(r.is_issue).tolist()
    [5]
    """
    from cleanaudit.checks.graph.knn import SharedKnn

    if inputs.labels is None:
        raise CheckSkipped("needs labels")
    knn = inputs.knn if inputs.knn is not None else SharedKnn(inputs.features)
    k = int(params.get("k", 10))
    threshold = float(params.get("threshold", 0.5))
    graph = knn.graph(k)
    scores = knn_shapley(graph.indices, inputs.labels)
    info = {
        "average_data_valuation": float(scores.mean()),
        "threshold": threshold,
        "k": graph.k,
        "metric": graph.metric,
    }
    if graph.k < k:
        info["k_requested"] = k
    return CheckResult(NAME, scores < threshold, scores, float(scores.mean()), info)
