"""The audit's tables people read (the JSON payload is built by the workflow).

The same :class:`~cleanaudit.report.tables.TableData` objects feed the terminal, Markdown and
HTML renderers, so every format shows the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.report.tables import TableData
from cleanaudit.workflows.audit_payload import examples as _examples

if TYPE_CHECKING:
    from cleanaudit.workflows.audit import AuditResult, ChecksResult

# Scalars from each check's info that explain it, shown under its examples.
EXPLAINING_INFO = {
    "non_iid": ("p_value",),
    "class_imbalance": ("rarest_class", "threshold"),
    "outlier": ("issue_threshold", "k", "metric"),
    "near_duplicate": (
        "median_distance_to_nearest_neighbor",
        "num_exact_duplicate_groups",
        "num_conflicting_label_groups",
        "threshold",
    ),
    "underperforming_group": ("n_clusters", "worst_cluster_id", "worst_cluster_size", "worst_cluster_ratio"),
    "label": ("num_label_issues", "average_label_quality"),
    "null": ("average_null_score",),
}


def audit_result_tables(result: AuditResult) -> list[TableData]:
    """Every table of an audit run: the checks' tables, with the self-check and the baseline comparison,
    then the model comparison and the confusion matrix."""
    from cleanaudit.report.run_tables import confusion_tables, model_table

    context = result.context
    payload = context.payload if context is not None else {}
    dataset = context.dataset if context is not None else None
    tables = audit_tables(
        result.checks,
        dataset.ids if dataset is not None else None,
        result.num_examples_shown,
        examples=payload.get("examples"),
        hide=_shown_elsewhere(dataset),
    )
    label = result.checks.results.get("label")
    if label is not None and label.info.get("task") == "multilabel":
        from cleanaudit.report.multilabel_tables import class_flags_table

        tables.insert(1, class_flags_table(label.info["per_class"]))
    models = model_table(context.run) if context is not None else None
    tables += [t for t in (models, *confusion_tables(payload.get("confusion_matrix"))) if t is not None]
    if result.annotators is not None:  # --annotators: the labels audited are their consensus
        from cleanaudit.report.annotator_tables import annotator_table

        tables.append(annotator_table(result.annotators))
    if result.baseline is not None:
        changes = result.baseline["issues"]
        tables.insert(
            1,
            TableData(
                "Compared with the baseline",
                ["issue type", "new", "fixed", "unchanged"],
                [[name, c["new"], c["fixed"], c["unchanged"]] for name, c in changes.items()],
                caption=f"baseline {result.baseline['path']}; rows matched by {result.baseline['matched_by']}",
            ),
        )
    if result.self_check is not None:
        from cleanaudit.report.label_tables import self_check_table

        tables.insert(1, self_check_table(result.self_check))
    return tables


def audit_tables(
    result: ChecksResult,
    ids: np.ndarray | None,
    num_examples: int,
    *,
    examples: Mapping[str, list[dict[str, Any]]] | None = None,
    hide: Mapping[str, str] | None = None,
) -> list[TableData]:
    """Summary table, then one table of most severe examples per issue type that has issues.

    ``examples`` are the payload's (with each row's column ``values``, shown after the check's own
    columns); ``hide`` maps an example key to the data column it repeats (``given_label`` -> the
    label column), left out where the key is shown. Without ``examples`` they come from ``result``.
    """
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
        records = list(examples[name]) if examples is not None and name in examples else None
        if records is None:
            records = _examples(result, name, ids, num_examples)
        if not records:
            continue  # --num-examples 0: the summary says how many
        columns, rows = _example_rows(records, hide or {})
        shown = len(records)
        caption = f"{check.num_issues} {'row' if check.num_issues == 1 else 'rows'} flagged" + (
            f"; the {shown} most severe" if shown < check.num_issues else ""
        )
        info = [f"{key} = {_short(check.info[key])}" for key in EXPLAINING_INFO.get(name, ()) if key in check.info]
        tables.append(
            TableData(
                f"{name} issues",
                columns,
                rows,
                caption=caption,
                notes=["  ".join(info)] if info else [],
                kind="examples",
            )
        )
    return tables


def _example_rows(records: Sequence[Mapping[str, Any]], hide: Mapping[str, str]) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of an examples table: the check's own keys, then the row's column values.

    >>> record = {"row": 3, "score": 0.1, "given_label": "a", "values": {"x": 1.5, "score": 2, "y": "a"}}
    >>> _example_rows([record], hide={"given_label": "y", "id": "key"})
    (['row', 'score', 'given_label', 'x', 'score (column)'], [[3, 0.1, 'a', 1.5, 2]])
    """
    own = [k for k in records[0] if k != "values"]
    repeated = {column for key, column in hide.items() if key in own}
    data = [str(c) for c in records[0].get("values") or {} if str(c) not in repeated]
    columns = own + [f"{c} (column)" if c in own else c for c in data]
    rows = []
    for record in records:
        values = record.get("values") or {}
        rows.append([record.get(k) for k in own] + [_cell(values.get(c)) for c in data])
    return columns, rows


def _shown_elsewhere(dataset: Any) -> dict[str, str]:
    """Data columns an example's own keys repeat: the label (``given_label``) and the id column (``id``)."""
    if dataset is None:
        return {}
    pairs = (("given_label", dataset.label_column), ("given_labels", dataset.label_column), ("id", dataset.id_column))
    return {key: str(column) for key, column in pairs if column is not None}


def _cell(value: Any) -> Any:
    """A value for a table cell: missing shown as a dash, a vector by its length, a set of labels as text."""
    if value is None:
        return "-"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "-"  # a multi-label set (or any list of words): short enough to read
    if isinstance(value, list):
        return f"[{len(value)} values]"
    return value


def left_out_notes(result: ChecksResult) -> list[str]:
    """What the report leaves out because it grows with the square of the number of classes."""
    label = result.results.get("label")
    if label is None:
        return []
    info, notes = label.info, []
    left_out = int(info.get("overlapping_pairs_left_out", 0))
    if left_out > 0:
        kept, total = len(info.get("overlapping_classes", [])), int(info["overlapping_pairs_total"])
        notes.append(
            f"label: of {total:,} class pairs, the {kept} with the largest joint probability are kept "
            f"({left_out:,} left out; 'cleanaudit overlap --top 0' lists them all)"
        )
    matrices = list(info.get("matrices_left_out") or [])
    if matrices:
        notes.append(
            f"label: the {len(result.class_names):,} x {len(result.class_names):,} matrices "
            f"({', '.join(matrices)}) are left out of the report; 'cleanaudit noise-matrix' writes them"
        )
    return notes


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(str(v) for v in list(value)[:5])
    return str(value)
