"""Several models' pred_probs as one: member weights and mixed probabilities.

Label-quality scores come from the engine's ``get_label_quality_ensemble_scores`` (spec §3.2).
The weights it uses internally are recomputed here with the same rule so reports can say which
member got which weight. The ensemble's label issues (flagged on the weighted mean of the members'
pred_probs, ranked by the ensembled scores) are found by
:func:`cleanaudit.workflows.labels.ensemble_issues_result`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WEIGHTINGS = ("accuracy", "uniform", "log_loss_search")


@dataclass
class Member:
    """One ensemble member: its name (model spec or pred_probs file) and its pred_probs."""

    name: str
    pred_probs: np.ndarray
    source: str = "cross-validation"


def member_weights(labels: np.ndarray, pred_probs_list: Sequence[np.ndarray], weighting: str) -> np.ndarray:
    """The weights ``get_label_quality_ensemble_scores`` gives each member (they sum to 1).

    >>> P1 = np.array([[0.9, 0.1], [0.4, 0.6]]); P2 = np.array([[0.7, 0.3], [0.8, 0.2]])
    >>> member_weights(np.array([0, 1]), [P1, P2], "accuracy").tolist()
    [0.6666666666666666, 0.3333333333333333]
    """
    from cleanaudit.engine.rank import DEFAULT_T_VALUES, _log_loss_search_weights

    labels = np.asarray(labels)
    if weighting == "uniform":
        return np.full(len(pred_probs_list), 1.0 / len(pred_probs_list))
    if weighting == "accuracy":
        accuracy = np.array([np.mean(p.argmax(axis=1) == labels) for p in pred_probs_list])
        return accuracy / accuracy.sum()
    if weighting == "log_loss_search":
        return np.asarray(_log_loss_search_weights(labels, list(pred_probs_list), DEFAULT_T_VALUES), dtype=np.float64)
    raise ValueError(f"unknown weighting {weighting!r}; choose one of: {', '.join(WEIGHTINGS)}")


def mix_pred_probs(pred_probs_list: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The weighted mean of the members' pred_probs (rows still sum to 1).

    >>> mix_pred_probs([np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])], np.array([0.75, 0.25])).tolist()
    [[0.75, 0.25]]
    """
    mixed = sum(w * np.asarray(p, dtype=np.float64) for w, p in zip(weights, pred_probs_list))
    return np.asarray(mixed / np.sum(weights), dtype=np.float64)


def describe_members(labels: np.ndarray, members: Sequence[Member], weights: np.ndarray, weighting: str) -> dict:
    """The ``run.ensemble`` record: weighting rule and, per member, weight and accuracy on the given labels.

    >>> m = [Member("a", np.array([[0.9, 0.1]])), Member("b", np.array([[0.2, 0.8]]))]
    >>> describe_members(np.array([0]), m, np.array([1.0, 0.0]), "accuracy")["members"][1]
    {'model': 'b', 'source': 'cross-validation', 'weight': 0.0, 'accuracy': 0.0}
    """
    labels = np.asarray(labels)
    return {
        "weighting": weighting,
        "pred_probs": "weighted mean of the members' pred_probs",
        "members": [
            {
                "model": m.name,
                "source": m.source,
                "weight": float(w),
                "accuracy": float(np.mean(m.pred_probs.argmax(axis=1) == labels)),
            }
            for m, w in zip(members, weights)
        ],
    }
