"""The audit's report as data: the JSON payload and the tables people read.

The same :class:`~cleanaudit.report.tables.TableData` objects feed the terminal, Markdown and
HTML renderers, so every format shows the same numbers.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from cleanaudit.workflows.audit import AuditResult
from cleanaudit.workflows.gates import Measurements
from cleanaudit.report.tables import TableData

DATASET_PAIRS = 10  # overlapping class pairs under dataset_issues (the label check's info keeps more)
# Per-row extra columns worth showing beside each issue type's examples.
EXAMPLE_COLUMNS = {
    "label": ("given_label", "predicted_label"),
    "near_duplicate": ("near_duplicate_set", "distance_to_nearest_neighbor", "has_conflicting_labels"),
    "outlier": ("distance_to_nearest_neighbor",),
    "class_imbalance": ("given_label",),
}
# Scalars from each check's info that explain it, shown under its examples.
EXPLAINING_INFO = {
    "non_iid": ("p_value",),
    "class_imbalance": ("rarest_class", "threshold"),
    "outlier": ("issue_threshold", "k", "metric"),
    "near_duplicate": ("median_distance_to_nearest_neighbor", "num_exact_duplicate_groups",
                       "num_conflicting_label_groups", "threshold"),
    "underperforming_group": ("n_clusters", "worst_cluster_id", "worst_cluster_size", "worst_cluster_ratio"),
    "label": ("num_label_issues", "average_label_quality"),
    "null": ("average_null_score",),
}


def example_rows(result: AuditResult, name: str, count: int) -> np.ndarray:
    """The ``count`` flagged rows of check ``name`` with the lowest scores (most severe first)."""
    check = result.results[name]
    flagged = np.flatnonzero(check.is_issue)
    order = np.argsort(np.asarray(check.score)[flagged], kind="stable")
    return flagged[order[:count]]


def audit_payload(result: AuditResult, ids: np.ndarray | None, num_examples: int) -> dict[str, Any]:
    """The command-specific keys of the audit's JSON report (DESIGN.md contract plus per-check info)."""
    examples = {name: _examples(result, name, ids, num_examples) for name in result.results}
    return {
        "summary": result.summary(),
        "dataset_issues": dataset_issues(result),
        "skipped": [{"issue_type": s.name, "reason": s.reason} for s in result.skipped],
        "checks": {name: {"params": result.params.get(name, {}), "info": r.info}
                   for name, r in result.results.items()},
        "examples": examples,
    }


def audit_measurements(result: AuditResult) -> Measurements:
    """What gates read from an audit: issues per check that ran, health, skipped checks."""
    return Measurements(result.num_examples, {name: r.num_issues for name, r in result.results.items()},
                        health=result.health_score, skipped={s.name: s.reason for s in result.skipped})


def dataset_issues(result: AuditResult) -> dict[str, Any]:
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


def audit_tables(result: AuditResult, ids: np.ndarray | None, num_examples: int) -> list[TableData]:
    """Summary table, then one table of most severe examples per issue type that has issues."""
    summary = result.summary()
    rows = [[s["issue_type"], s["num_issues"], s["score"]] for s in summary]
    notes = [f"skipped {s.name}: {s.reason}" for s in result.skipped] + left_out_notes(result)
    tables = [
        TableData(
            "Issues found",
            ["issue type", "issues", "score"],
            rows,
            caption="score: dataset-level quality for that issue type, 0 (worst) to 1 (best)",
            notes=notes,
            dim_rows=[i for i, s in enumerate(summary) if s["num_issues"] == 0],
        )
    ]
    for name, check in result.results.items():
        if check.num_issues == 0:
            continue
        examples = _examples(result, name, ids, num_examples)
        columns = list(examples[0])
        shown = len(examples)
        caption = f"{check.num_issues} {'row' if check.num_issues == 1 else 'rows'} flagged" + (f"; the {shown} most severe" if shown < check.num_issues else "")
        info = [f"{key} = {_short(check.info[key])}" for key in EXPLAINING_INFO.get(name, ()) if key in check.info]
        tables.append(TableData(f"{name} issues", columns, [list(e.values()) for e in examples], caption=caption,
                                notes=["  ".join(info)] if info else []))
    return tables


def left_out_notes(result: AuditResult) -> list[str]:
    """What the report leaves out because it grows with the square of the number of classes."""
    label = result.results.get("label")
    if label is None:
        return []
    info, notes = label.info, []
    left_out = int(info.get("overlapping_pairs_left_out", 0))
    if left_out > 0:
        kept, total = len(info.get("overlapping_classes", [])), int(info["overlapping_pairs_total"])
        notes.append(f"label: of {total:,} class pairs, the {kept} with the largest joint probability are kept "
                     f"({left_out:,} left out; 'cleanaudit overlap --top 0' lists them all)")
    matrices = list(info.get("matrices_left_out") or [])
    if matrices:
        notes.append(f"label: the {len(result.class_names):,} x {len(result.class_names):,} matrices "
                     f"({', '.join(matrices)}) are left out of the report; 'cleanaudit noise-matrix' writes them")
    return notes


def _examples(result: AuditResult, name: str, ids: np.ndarray | None, count: int) -> list[dict[str, Any]]:
    check = result.results[name]
    rows = example_rows(result, name, count)
    extra = [c for c in EXAMPLE_COLUMNS.get(name, ()) if c in check.columns]
    examples = []
    for r in rows:
        record: dict[str, Any] = {"row": int(r)}
        if ids is not None:
            record["id"] = _plain(ids[r])
        record["score"] = float(check.score[r])
        for column in extra:
            record[column] = _plain(check.columns[column][r])
        examples.append(record)
    return examples


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if isinstance(value, np.generic) else value


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(str(v) for v in list(value)[:5])
    return str(value)
