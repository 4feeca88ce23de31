"""The audit's findings as data: the JSON payload, what gates measure, the most severe examples.

The renderers (``report/audit_report.py`` for tables, ``report/html.py``) read the same examples,
so every format shows the same rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cleanaudit.checks.runner import ChecksResult
from cleanaudit.workflows.gates import Measurements

DATASET_PAIRS = 10  # overlapping class pairs under dataset_issues (the label check's info keeps more)
# Per-row extra columns worth showing beside each issue type's examples.
EXAMPLE_COLUMNS = {
    "label": ("given_label", "predicted_label"),
    "near_duplicate": ("near_duplicate_set", "distance_to_nearest_neighbor", "has_conflicting_labels"),
    "outlier": ("distance_to_nearest_neighbor",),
    "class_imbalance": ("given_label",),
}


def example_rows(result: ChecksResult, name: str, count: int) -> np.ndarray:
    """The ``count`` flagged rows of check ``name`` with the lowest scores (most severe first)."""
    check = result.results[name]
    flagged = np.flatnonzero(check.is_issue)
    order = np.argsort(np.asarray(check.score)[flagged], kind="stable")
    return flagged[order[:count]]


def audit_payload(result: ChecksResult, ids: np.ndarray | None, num_examples: int) -> dict[str, Any]:
    """The command-specific keys of the audit's JSON report (DESIGN.md contract plus per-check info)."""
    return {
        "summary": result.summary(),
        "dataset_issues": dataset_issues(result),
        "skipped": [{"issue_type": s.name, "reason": s.reason} for s in result.skipped],
        "checks": {name: {"params": result.params.get(name, {}), "info": r.info} for name, r in result.results.items()},
        "examples": {name: examples(result, name, ids, num_examples) for name in result.results},
    }


def audit_measurements(result: ChecksResult) -> Measurements:
    """What gates read from an audit: issues per check that ran, health, skipped checks."""
    return Measurements(
        result.num_examples,
        {name: r.num_issues for name, r in result.results.items()},
        health=result.health_score,
        skipped={s.name: s.reason for s in result.skipped},
    )


def dataset_issues(result: ChecksResult) -> dict[str, Any]:
    """Dataset-level findings: health, class imbalance, overlapping classes, non-IID p-value."""
    found: dict[str, Any] = {"health_score": result.health_score}
    if "class_imbalance" in result.results:
        info = result.results["class_imbalance"].info
        found["class_imbalance"] = {
            "rarest_class": info.get("rarest_class"),
            "rarest_class_fraction": float(result.results["class_imbalance"].summary_score),
            "flagged": result.results["class_imbalance"].num_issues > 0,
        }
    if "label" in result.results:
        info = result.results["label"].info
        pairs = list(info.get("overlapping_classes", []))
        found["overlapping_classes"] = pairs[:DATASET_PAIRS]
        found["overlapping_pairs_total"] = int(info.get("overlapping_pairs_total", len(pairs)))
    if "non_iid" in result.results:
        found["non_iid"] = {
            "p_value": result.results["non_iid"].info.get("p_value"),
            "flagged": result.results["non_iid"].num_issues > 0,
        }
    return found


def examples(result: ChecksResult, name: str, ids: np.ndarray | None, count: int) -> list[dict[str, Any]]:
    """The most severe rows of check ``name``: row, id, score and the columns that explain them."""
    check = result.results[name]
    rows = example_rows(result, name, count)
    extra = [c for c in EXAMPLE_COLUMNS.get(name, ()) if c in check.columns]
    found = []
    for r in rows:
        record: dict[str, Any] = {"row": int(r)}
        if ids is not None:
            record["id"] = _plain(ids[r])
        record["score"] = float(check.score[r])
        for column in extra:
            record[column] = _plain(check.columns[column][r])
        found.append(record)
    return found


def estimated_joint(
    result: ChecksResult, labels: np.ndarray | None, pred_probs: np.ndarray | None
) -> np.ndarray | None:
    """P(given, true): the label check's confident joint normalised, else estimated from pred_probs.

    >>> from cleanaudit.checks.base import CheckResult
    >>> label = CheckResult("label", np.zeros(8, bool), np.ones(8), 1.0, info={"confident_joint": [[3, 1], [0, 4]]})
    >>> estimated_joint(ChecksResult(8, ["a", "b"], {"label": label}), None, None).tolist()
    [[0.375, 0.125], [0.0, 0.5]]
    """
    label_check = result.results.get("label")
    confident_joint = label_check.info.get("confident_joint") if label_check is not None else None
    if confident_joint is not None:
        counts = np.asarray(confident_joint, dtype=float)
        total = float(counts.sum())
        return counts / total if total > 0 else None
    if labels is None or pred_probs is None:
        return None
    from cleanaudit.engine import estimate_joint

    return np.asarray(estimate_joint(np.asarray(labels), np.asarray(pred_probs)), dtype=float)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if isinstance(value, np.generic) else value
