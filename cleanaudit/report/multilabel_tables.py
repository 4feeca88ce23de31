"""The tables of multi-label runs (``--task multilabel``): label issues per row and per class, health.

Label sets are shown as class names joined by ", " (``-`` for none). The JSON payload is the
result's own ``payload()``; the terminal, Markdown and ``--format csv`` read these tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cleanaudit.report.tables import TableData

if TYPE_CHECKING:
    from cleanaudit.workflows.multilabel import MultilabelHealth, MultilabelIssues


def label_set_text(names: Sequence[Any]) -> str:
    """A label set in a table cell.

    >>> label_set_text(["billing", "refund"]), label_set_text([])
    ('billing, refund', '-')
    """
    return ", ".join(str(n) for n in names) or "-"


def multilabel_issue_tables(result: MultilabelIssues, top: int | None = None) -> list[TableData]:
    """The ``top`` worst rows (all with ``None``) and the flags per class."""
    columns = ["row", "id", "given_labels", "suggested_labels", "wrong_labels", "missing_labels", "label_quality"]
    if result.ids is None:
        columns.remove("id")
    sets = {"given_labels", "suggested_labels", "wrong_labels", "missing_labels"}
    rows = [[label_set_text(issue[c]) if c in sets else issue[c] for c in columns] for issue in result.issues(top)]
    caption = (
        f"{result.num_issues} rows with label issues, {int(result.per_class.sum())} labels flagged "
        f"(filter_by={result.filter_by} per class, ranked by {result.rank_by}); wrong = given but probably not "
        "true, missing = probably true but not given"
    )
    if len(rows) < result.num_issues:
        caption += f"; showing the {len(rows)} most severe (--top to change)"
    return [
        TableData("Label issues, most severe first", columns, rows, caption=caption),
        class_flags_table(result.per_class_rows()),
    ]


def class_flags_table(per_class: Sequence[dict[str, Any]]) -> TableData:
    """The per-class rows of a multi-label run (find-issues, or audit's label check info)."""
    columns = ["class", "rows_given", "wrong", "missing"]
    per_class = sorted(per_class, key=lambda c: -(c["wrong"] + c["missing"]))
    return TableData(
        "Label issues per class",
        columns,
        [[c[k] for k in columns] for c in per_class],
        caption="classes with the most flagged labels first",
    )


def multilabel_health_tables(result: MultilabelHealth) -> list[TableData]:
    """Label quality per class (worst first) under the health score, and the most common issues."""
    n = result.context.dataset.num_examples if result.context is not None else None
    classes = result.classes
    columns = ["Class Name", "Label Issues", "Inverse Label Issues", "Label Noise", "Inverse Label Noise"]
    columns.append("Label Quality Score")
    rows = [list(r) for r in zip(*(classes[c] for c in columns))]
    of = f" {n}" if n else ""
    caption = (
        f"health score {result.health_score:.4f}: share of the{of} rows with no flagged label; label issues = rows "
        "given the class that probably lack it, inverse = rows missing it; noise as a share of all rows"
    )
    common = result.common_issues
    common_columns = ["Class Name", "In Given Label", "In Suggested Label", "Num Examples", "Issue Probability"]
    common_rows = [
        [r[0], "given, not true" if r[1] else "true, not given", r[3], r[4]]
        for r in zip(*(common[c] for c in common_columns))
        if r[3] > 0
    ]
    return [
        TableData(
            "Label quality per class",
            ["class", "label_issues", "inverse_label_issues", "label_noise", "inverse_label_noise", "label_quality"],
            rows,
            caption=caption,
        ),
        TableData(
            "Most common label issues",
            ["class", "issue", "rows", "share_of_rows"],
            common_rows,
            caption="each class's flagged labels, by whether the class was given or is missing",
        ),
    ]


def multilabel_clean_tables(result: Any, top: int | None = None) -> list[TableData]:
    """What clean did to multi-label data: the counts, then the changed rows (``top`` of them)."""
    summary = result.payload()
    counts = TableData(
        "Cleaning",
        ["strategy", "rows_in", "rows_out", "removed", "relabelled"],
        [[summary[k] for k in ("strategy", "rows_in", "rows_out", "removed", "relabelled")]],
        caption=f"{result.issues.num_issues} rows with label issues (filter_by={result.issues.filter_by} per class)",
    )
    issues = result.issues.issues(top)
    rows = [
        [
            issue["row"],
            result.actions[_analysed_index(result, issue["row"])],
            label_set_text(issue["given_labels"]),
            label_set_text(result.new_sets[_analysed_index(result, issue["row"])]),
            issue["label_quality"],
        ]
        for issue in issues
    ]
    changes = TableData(
        "Rows changed, most severe first",
        ["row", "action", "given_labels", "labels_written", "label_quality"],
        rows,
        caption=f"showing {len(rows)} of {result.issues.num_issues} (--top to change)",
    )
    return [counts, changes]


def _analysed_index(result: Any, row: int) -> int:
    positions = result.issues.positions
    return int(row) if positions is None else int(list(positions).index(row))
