"""``outlier``: rows unlike the rest of the data (spec §6.4).

With features, a row's outlier score comes from its mean distance ``d`` to its ``k`` nearest
neighbours: ``exp(-t * d / s)`` with ``s`` the median of ``d`` (or ``scaling_factor``), so a
typical row scores about 0.37. A row is flagged when ``d`` lies above ``Q3 + (1/threshold - 1)
* IQR`` of all ``d`` (default threshold 0.37037, i.e. 1.7 IQR).

With ``pred_probs`` only, a row scores ``1 - normalised entropy`` of its class probabilities
after subtracting the per-class confident thresholds, and is flagged below ``threshold *
median`` (default threshold 0.13): a model that cannot tell any class apart suggests the row
is out of distribution.

Difference from the reference: it averages over every neighbour its stored graph holds; here
the average is always over exactly ``k`` neighbours, whatever other checks asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cleanaudit.checks.base import COUNT, CheckInputs, CheckResult, CheckSkipped, Limit, register

NAME = "outlier"
FEATURE_THRESHOLD = 0.37037
PRED_PROBS_THRESHOLD = 0.13


def knn_outlier_scores(
    distances: np.ndarray, metric: str | None, *, t: float = 1.0, scaling_factor: float | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-row outlier scores from neighbour distances; also the mean distances and the scale.

    >>> scores, d, s = knn_outlier_scores(np.array([[1.0, 1.0], [1.0, 3.0], [0.5, 1.5]]), "euclidean")
    >>> scores.round(3).tolist(), d.tolist(), s
    ([0.368, 0.135, 0.368], [1.0, 2.0, 1.0], 1.0)
    """
    d = distances.mean(axis=1)
    s = scaling_factor if scaling_factor is not None else max(float(np.median(d)), 100 * np.finfo(np.float64).eps)
    scores = np.exp(-t * d / max(s, 1e-6))
    # Rows whose neighbours are all (numerically) identical to them are not outliers.
    if metric == "cosine":
        scores[d < 100 * np.finfo(np.float64).epsneg] = 1.0
    elif metric == "euclidean":
        scores[d < np.sqrt(100 * np.finfo(np.float64).eps)] = 1.0
    return scores, d, float(s)


def iqr_threshold(values: np.ndarray, threshold: float) -> float:
    """The flag limit ``Q3 + (1/threshold - 1) * IQR`` of ``values`` (infinite for threshold 0).

    >>> iqr_threshold(np.arange(5.0), 0.5)
    5.0
    """
    if not 0 <= threshold <= 1:
        raise CheckSkipped(f"outlier threshold must be between 0 and 1, got {threshold}")
    q25, q75 = np.percentile(values, [25, 75])
    if threshold == 0:
        return float("inf")
    return float(q75 + (1 / threshold - 1) * (q75 - q25))


def entropy_scores(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """``1 - H(P') / log K`` of the threshold-adjusted probabilities P' (the pred_probs-only path).

    >>> entropy_scores(np.array([0, 1, 1]), np.array([[0.5, 0.5], [0.1, 0.9], [0.2, 0.8]])).round(3).tolist()
    [0.049, 0.082, 0.025]
    """
    from cleanaudit.engine import get_confident_thresholds

    p = np.asarray(pred_probs, dtype=np.float64)
    thresholds = get_confident_thresholds(labels, p)
    adjusted = p - thresholds + thresholds.max()
    adjusted = adjusted / adjusted.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(adjusted > 0, adjusted * np.log(adjusted), 0.0)
    return 1 - (-terms.sum(axis=1)) / np.log(p.shape[1])


def _knn_path(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    from cleanaudit.checks.graph.knn import SharedKnn

    knn = inputs.knn if inputs.knn is not None else SharedKnn(inputs.features)
    k = int(params.get("k", 10))
    graph = knn.graph(k)
    threshold = FEATURE_THRESHOLD if params.get("threshold") is None else float(params["threshold"])
    t = float(params.get("t", 1))
    scores, d, s = knn_outlier_scores(graph.distances, graph.metric, t=t, scaling_factor=params.get("scaling_factor"))
    limit = iqr_threshold(d, threshold)
    info = {
        "method": "knn_distance",
        "k": graph.k,
        "metric": graph.metric,
        "t": t,
        "scaling_factor": s,
        "threshold": threshold,
        "issue_threshold": limit,
        "average_ood_score": float(scores.mean()),
    }
    if graph.k < k:
        info["k_requested"] = k
    columns = {
        "nearest_neighbor": graph.indices[:, 0].copy(),
        "distance_to_nearest_neighbor": graph.distances[:, 0].copy(),
    }
    return CheckResult(NAME, d > limit, scores, float(scores.mean()), info, columns)


def _pred_probs_path(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    if inputs.pred_probs.shape[1] < 2:
        raise CheckSkipped("needs at least 2 classes in pred_probs")
    threshold = PRED_PROBS_THRESHOLD if params.get("threshold") is None else float(params["threshold"])
    if threshold < 0:
        raise CheckSkipped(f"outlier threshold must not be negative, got {threshold}")
    scores = entropy_scores(inputs.labels, inputs.pred_probs)
    limit = float(threshold * np.median(scores))
    info = {
        "method": "entropy",
        "threshold": threshold,
        "issue_threshold": limit,
        "average_ood_score": float(scores.mean()),
    }
    return CheckResult(NAME, scores < limit, scores, float(scores.mean()), info)


@register(
    NAME,
    description="Rows far from their nearest neighbours (features) or that the model cannot place in any class.",
    needs=("features", "pred_probs"),
    params={"k": 10, "t": 1.0, "threshold": None, "scaling_factor": None},
    # t is the exponent of the distance-to-score map; None lets the check choose (see the spec).
    limits={
        "k": COUNT,
        "t": Limit(low=0, open_low=True),
        "threshold": Limit(low=0, optional=True),
        "scaling_factor": Limit(low=0, open_low=True, optional=True),
    },
)
def run(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    """Outlier scores by neighbour distance when features exist, else by prediction entropy.

    ``threshold`` defaults to 0.37037 (features) or 0.13 (pred_probs only).

    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(50, 2)), [[20.0, 20.0]]])  # a blob and a stray
    >>> r = run(CheckInputs(51, ["a", "b"], labels=np.arange(51) % 2, features=X), {"k": 5})
    >>> int(np.argmin(r.score)), bool(r.is_issue[50]), r.info["metric"]
    (50, True, 'euclidean')
    """
    if inputs.features is not None:
        return _knn_path(inputs, params)
    if inputs.pred_probs is None:
        raise CheckSkipped("needs features or pred_probs")
    if inputs.labels is None:
        raise CheckSkipped("needs labels to use pred_probs without features")
    return _pred_probs_path(inputs, params)
