"""The audit's findings as data: the JSON payload, what gates measure, the most severe examples.

The renderers (``report/audit_report.py`` for tables, ``report/html.py``) read the payload's
examples, so every format shows the same rows. :func:`complete_audit_payload` adds what needs the
dataset and pred_probs: each example's original column values and the out-of-fold confusion matrix.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from cleanaudit.checks.runner import ChecksResult
from cleanaudit.workflows.gates import Measurements

if TYPE_CHECKING:
    import pandas as pd

    from cleanaudit.workflows.result import RunContext

DATASET_PAIRS = 10  # overlapping class pairs under dataset_issues (the label check's info keeps more)
# Per-row extra columns worth showing beside each issue type's examples.
EXAMPLE_COLUMNS = {
    "label": ("given_label", "predicted_label", "given_labels", "suggested_labels"),
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


class Audited(Protocol):
    """What :func:`complete_audit_payload` reads of an ``AuditResult`` (not imported: audit imports us)."""

    checks: ChecksResult
    num_examples_shown: int
    context: RunContext | None


def complete_audit_payload(result: Audited) -> None:
    """Give the audit's payload what needs the dataset and pred_probs (the checks' result holds neither).

    The examples are rebuilt with each row's original column ``values`` and ``row`` as the row's
    position in the input (rows left out of the analysis, e.g. with a missing label, count); the
    out-of-fold confusion matrix is added when there are pred_probs. Calling it again changes nothing.
    """
    context = result.context
    if context is None:
        return
    payload, dataset = context.payload, context.dataset
    positions = dataset.row_positions
    examples_by_type = {}
    for name in result.checks.results:
        records = examples(result.checks, name, dataset.ids, result.num_examples_shown)
        add_example_values(records, dataset.frame, dataset.num_examples)
        for record in records:
            record["row"] = int(positions[record["row"]])
        examples_by_type[name] = records
    payload["examples"] = examples_by_type
    from cleanaudit.data.labels import not_analysed_payload

    payload["not_analysed"] = not_analysed_payload(dataset)  # rows left out (missing label, rare class)
    if context.pred_probs is not None and dataset.labels is not None and dataset.task != "multilabel":
        from cleanaudit.workflows.confusion import confusion_summary

        payload["confusion_matrix"] = confusion_summary(dataset.labels, context.pred_probs, dataset.class_names)


def add_example_values(records: list[dict[str, Any]], frame: pd.DataFrame | None, num_examples: int) -> None:
    """Give each example record (``row`` = 0-based position in ``frame``) ``values``: its columns, JSON-safe.

    >>> import pandas as pd
    >>> records = [{"row": 1}]
    >>> frame = pd.DataFrame({"x": [1.0, float("nan")], "when": pd.to_datetime(["2024-01-02"] * 2)})
    >>> add_example_values(records, frame, 2)
    >>> records
    [{'row': 1, 'values': {'x': None, 'when': '2024-01-02T00:00:00'}}]
    """
    if frame is None or len(frame) != num_examples or frame.shape[1] == 0:
        return  # rows that do not line up with the examples' positions would show the wrong values
    for record in records:
        row = frame.iloc[int(record["row"])]
        record["values"] = {str(column): json_value(value) for column, value in row.items()}


def json_value(value: Any) -> Any:
    """A cell as JSON can hold it: missing -> None, dates -> ISO text, NumPy -> Python, vectors -> lists.

    >>> json_value(np.float32(0.5)), json_value(float("nan")), json_value(np.array([1, 2])), json_value(b"ab")
    (0.5, None, [1, 2], 'ab')
    """
    if isinstance(value, np.ndarray):
        return [json_value(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return None if _is_missing(value) else value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if _is_missing(value):
        return None
    if isinstance(value, (numbers.Real, Decimal)):  # Fraction, Decimal
        return float(value)
    if hasattr(value, "isoformat"):  # pd.Timedelta and other time-like objects
        return str(value.isoformat())
    return str(value)


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


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
