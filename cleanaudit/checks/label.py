"""``label``: rows whose given label is likely wrong, by confident learning (spec §6.3).

With ``pred_probs`` the check runs the engine as the reference's ``CleanLearning`` does
(``find_label_issues`` with ``min_examples_per_class=10`` and the calibrated confident joint);
each row scores its label quality (self-confidence ``P[i, y_i]`` by default). The
dataset-level score is the overall label health ``1 - num_label_issues / N`` (off-diagonal
estimate), which is not ``1 - flagged / N``.

With features only, out-of-sample ``pred_probs`` come from the labels of each row's ``k``
nearest other rows (euclidean, as the reference's k-NN classifier with the row's own vote
removed): ``P[i, c]`` = the share of the ``k`` neighbours labelled c. The shared graph is used
when its metric is euclidean; otherwise a euclidean graph is built for this check. Rows that
are exact copies are each other's nearest neighbours (the graph's duplicate correction), so
the probabilities are always a proper distribution; the reference can differ there and
wherever neighbours tie in distance. With N <= k, k is lowered to N-1 (the reference fails).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cleanaudit import engine
from cleanaudit.checks.base import COUNT, CheckInputs, CheckResult, CheckSkipped, Limit, register
from cleanaudit.engine.issues import label_issues

NAME = "label"
MAX_PAIRS = 100  # class pairs kept in the info, largest joint probability first (there are K(K-1)/2)
MAX_MATRIX_CLASSES = 100  # K x K matrices are kept in the info up to this many classes
CONFUSED_CLASSES = 20  # above this many classes, the joint of the most confused ones is kept too
MATRICES = ("noise_matrix", "inverse_noise_matrix", "confident_joint")


def knn_pred_probs(neighbor_indices: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Out-of-sample class probabilities from the labels of each row's neighbours.

    The arithmetic mirrors the reference (a (k+1)-NN vote including the row itself, minus
    its own vote, rescaled) so that the values agree bit for bit.

    >>> knn_pred_probs(np.array([[1, 2], [0, 2], [0, 1]]), np.array([0, 0, 1]), 2).tolist()
    [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]]
    """
    n, k = neighbor_indices.shape
    y = np.asarray(labels, dtype=np.int64)
    cells = (np.arange(n)[:, None] * num_classes + y[neighbor_indices]).ravel()
    votes = np.bincount(cells, minlength=n * num_classes).reshape(n, num_classes).astype(np.float64)
    own = np.zeros((n, num_classes))
    own[np.arange(n), y] = 1.0
    votes += own  # the row's own vote, as a k+1 neighbour classifier fitted in-sample counts it
    return (votes / (k + 1) - own / (k + 1)) * (k + 1) / k


def _knn_probs(inputs: CheckInputs, k: int) -> tuple[np.ndarray, dict[str, Any]]:
    from cleanaudit.checks.graph.knn import build_knn_graph

    if inputs.knn is not None and inputs.knn.metric == "euclidean":
        graph = inputs.knn.graph(k)
    else:
        n = len(inputs.features)
        if n < 3:
            raise CheckSkipped(f"needs at least 3 rows for a neighbour graph (has {n})")
        graph = build_knn_graph(inputs.features, min(k, n - 1), metric="euclidean")
    probs = knn_pred_probs(graph.indices, inputs.labels, len(inputs.class_names))
    return probs, {"k": int(graph.k), "metric": "euclidean"}


def _records(table: Mapping[str, np.ndarray], keys: Mapping[str, str]) -> list[dict[str, Any]]:
    """A column dict from the engine as a list of JSON-able rows with renamed keys."""
    columns = {new: np.asarray(table[old]).tolist() for old, new in keys.items()}
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


_CLASS_KEYS = {
    "Class Name": "class",
    "Label Issues": "label_issues",
    "Inverse Label Issues": "inverse_label_issues",
    "Label Noise": "label_noise",
    "Inverse Label Noise": "inverse_label_noise",
    "Label Quality Score": "label_quality_score",
}
_OVERLAP_KEYS = {
    "Class Name A": "class_a",
    "Class Name B": "class_b",
    "Num Overlapping Examples": "num_overlapping_examples",
    "Joint Probability": "joint_probability",
}


def label_summary(labels: np.ndarray, pred_probs: np.ndarray, class_names: Sequence[Any]) -> dict[str, Any]:
    """Dataset-level label statistics for the report (all JSON-able), bounded in the number of classes.

    Per-class lists (``py``, thresholds, ``classes_by_label_quality``) are always complete. Of
    the class pairs, the ``MAX_PAIRS`` largest are kept (exactly the reference's first rows of
    ``find_overlapping_classes``); ``overlapping_pairs_total`` and ``overlapping_pairs_left_out``
    count them. The K x K matrices (noise, inverse noise, confident joint) are kept up to
    ``MAX_MATRIX_CLASSES`` classes and named in ``matrices_left_out`` above that (the
    noise-matrix command writes them); beyond ``CONFUSED_CLASSES`` classes,
    ``most_confused_classes`` holds the joint of the classes with the most off-diagonal mass.

    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> s = label_summary(np.array([0, 0, 0, 1, 1, 1]), P, ["a", "b"])
    >>> s["health_score"], s["confident_joint"], s["overlapping_pairs_total"]
    (0.6666666666666667, [[2, 1], [1, 2]], 1)
    """
    py, noise, inverse, cj = engine.estimate_py_and_noise_matrices_from_probabilities(
        labels, pred_probs, converge_latent_estimates=False
    )
    return _summary(labels, _Engine(labels, pred_probs), class_names, py, noise, inverse, np.asarray(cj))


def _summary(labels, engine_on: _Engine, class_names, py, noise, inverse, cj: np.ndarray) -> dict[str, Any]:
    n = len(labels)
    names = np.asarray(list(class_names), dtype=object)
    # The joint that rank/overlap would estimate from labels and pred_probs: the same calibrated
    # confident joint over its total, so passing it (and N) gives their results without a rescan.
    joint = engine.estimate_joint(None, None, confident_joint=cj)
    pairs, num_pairs = engine.dataset.top_overlapping_classes(
        joint=joint, num_examples=n, class_names=names, top=MAX_PAIRS
    )
    summary: dict[str, Any] = {
        "health_score": 1.0 - engine_on.num_label_issues() / n,
        "py": py.tolist(),
    }
    small = len(cj) <= MAX_MATRIX_CLASSES
    if small:
        summary.update(
            noise_matrix=noise.tolist(), inverse_noise_matrix=inverse.tolist(), confident_joint=cj.astype(int).tolist()
        )
    summary["matrices_left_out"] = [] if small else list(MATRICES)
    summary["confident_thresholds"] = engine_on.get_confident_thresholds().tolist()
    summary["classes_by_label_quality"] = _records(
        engine.rank_classes_by_label_quality(joint=joint, num_examples=n, class_names=names), _CLASS_KEYS
    )
    summary["overlapping_classes"] = _records(pairs, _OVERLAP_KEYS)
    summary["overlapping_pairs_total"] = int(num_pairs)
    summary["overlapping_pairs_left_out"] = int(num_pairs - len(summary["overlapping_classes"]))
    if len(cj) > CONFUSED_CLASSES:
        summary["most_confused_classes"] = most_confused_classes(joint, names, CONFUSED_CLASSES)
    return summary


def most_confused_classes(joint: np.ndarray, class_names: Sequence[Any], count: int) -> dict[str, Any]:
    """The joint restricted to the ``count`` classes with the most off-diagonal mass (in class order).

    A class's mass is its row's plus its column's off-diagonal share (given as it but truly
    another, and the reverse); ties go to the lower class index. ``off_diagonal_share`` is the
    part of all off-diagonal mass that falls inside the kept block.

    >>> J = np.array([[.3, .1, 0], [.05, .3, 0], [0, 0, .25]])
    >>> out = most_confused_classes(J, ["a", "b", "c"], 2)
    >>> out["classes"], out["joint"], out["off_diagonal_share"]
    (['a', 'b'], [[0.3, 0.1], [0.05, 0.3]], 1.0)
    """
    joint = np.asarray(joint, dtype=np.float64)
    diagonal = joint.diagonal()
    mass = joint.sum(axis=1) + joint.sum(axis=0) - 2 * diagonal
    chosen = np.sort(np.argsort(-mass, kind="stable")[:count])
    block = joint[np.ix_(chosen, chosen)]
    total = float(joint.sum() - diagonal.sum())
    inside = float(block.sum() - np.trace(block))
    names = np.asarray(list(class_names), dtype=object)
    return {
        "classes": [_plain(c) for c in names[chosen]],
        "joint": block.tolist(),
        "off_diagonal_share": inside / total if total > 0 else 1.0,
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@register(
    NAME,
    description="Rows whose given label disagrees with what the model (or the neighbours) confidently predicts.",
    needs=("pred_probs", "features"),
    params={"k": 10, "filter_by": "prune_by_noise_rate", "min_examples_per_class": 10, "rank_by": "self_confidence"},
    limits={
        "k": COUNT,
        "filter_by": Limit(choices=engine.filter.FILTER_BY),
        "min_examples_per_class": Limit(low=0),
        "rank_by": Limit(choices=engine.rank.METHODS),
    },
)
def run(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    """Run the check on ``pred_probs`` (or, without them, on the features' neighbours).

    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> res = run(CheckInputs(6, ["a", "b"], labels=np.array([0, 0, 0, 1, 1, 1]), pred_probs=P),
    ...           {"min_examples_per_class": 1})
    >>> res.is_issue.tolist(), round(res.summary_score, 4), res.columns["predicted_label"][2]
    ([False, False, True, False, False, True], 0.6667, 'b')
    """
    if inputs.labels is None:
        raise CheckSkipped("needs labels")
    labels = np.asarray(inputs.labels)
    source: dict[str, Any] = {"pred_probs_source": "pred_probs"}
    if inputs.pred_probs is not None:
        pred_probs = np.asarray(inputs.pred_probs)
    elif inputs.features is not None:
        pred_probs, knn_info = _knn_probs(inputs, int(params.get("k", 10)))
        source = {"pred_probs_source": "knn", **knn_info}
    else:
        raise CheckSkipped("needs pred_probs or features")

    return _label_result(labels, _Engine(labels, pred_probs), inputs.class_names, params, source)


def run_over_blocks(
    labels: np.ndarray, blocks: Any, class_names: Sequence[Any], params: Mapping[str, Any]
) -> CheckResult:
    """The check on pred_probs held in blocks (:mod:`cleanaudit.engine.blocks`, e.g. on a Dask cluster).

    The result equals :func:`run`'s on the same pred_probs, exactly; only O(N) values are gathered.
    """
    return _label_result(
        np.asarray(labels), _Engine(labels, None, blocks), class_names, params, {"pred_probs_source": "pred_probs"}
    )


class _Engine:
    """The engine calls the check makes, on in-memory pred_probs or on blocks of them (same results)."""

    def __init__(self, labels: np.ndarray, pred_probs: np.ndarray | None, blocks: Any = None) -> None:
        self.labels, self.pred_probs, self.blocks = labels, pred_probs, blocks

    def label_issues(self, **settings: Any) -> Any:
        if self.blocks is not None:
            from cleanaudit.engine import blocks

            return blocks.label_issues(self.blocks, **settings)
        return label_issues(self.labels, self.pred_probs, **settings)

    def num_label_issues(self) -> int:
        if self.blocks is not None:
            from cleanaudit.engine import blocks

            return int(blocks.num_label_issues(self.blocks))
        return int(engine.num_label_issues(self.labels, self.pred_probs))

    def get_confident_thresholds(self) -> np.ndarray:
        if self.blocks is not None:
            from cleanaudit.engine import blocks

            return np.asarray(blocks.get_confident_thresholds(self.blocks))
        return engine.get_confident_thresholds(self.labels, self.pred_probs)


def _label_result(
    labels: np.ndarray, engine_on: _Engine, class_names: Sequence[Any], params: Mapping[str, Any], source: dict
) -> CheckResult:
    filter_by = params.get("filter_by", "prune_by_noise_rate")
    with warnings.catch_warnings(record=True) as caught:
        # The engine warns about classes too small to flag; the report shows it instead.
        warnings.simplefilter("always")
        # As CleanLearning: the calibrated joint is handed to the filter, except for confident_learning.
        found = engine_on.label_issues(
            filter_by=filter_by,
            estimate_noise=True,
            min_examples_per_class=int(params.get("min_examples_per_class", 10)),
            rank_by=params.get("rank_by", "self_confidence"),
        )
    is_issue, quality, predicted = found.is_issue, found.label_quality, found.predicted_labels
    summary = _summary(
        labels,
        engine_on,
        class_names,
        found.py,
        found.noise_matrix,
        found.inverse_noise_matrix,
        found.confident_joint,
    )
    del found  # its K x K matrices are not kept past the summary (200 MB apiece at 5,000 classes)
    names = np.asarray(list(class_names), dtype=object)
    health = summary.pop("health_score")
    info = {
        "num_label_issues": int(np.count_nonzero(is_issue)),
        "average_label_quality": float(np.mean(quality)),
        **summary,
        **source,
        "filter_by": filter_by,
        "rank_by": params.get("rank_by", "self_confidence"),
        "warnings": [str(w.message) for w in caught],
    }
    columns = {
        "given_label": names[labels],
        "predicted_label": names[predicted],
        "label_quality": quality,
    }
    return CheckResult(NAME, is_issue, quality, float(health), info, columns)
