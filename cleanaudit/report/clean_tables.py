"""The tables of ``clean``: the summary of what happened to the rows, the rows that change, and the
before/after test accuracy (terminal, Markdown, ``--format csv`` read the same ones)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.report.tables import TableData

if TYPE_CHECKING:
    from cleanaudit.workflows.clean import CleaningPlan


def summary_table(plan: CleaningPlan, merges: Sequence[str] = (), passed_through: int = 0) -> TableData:
    """Rows found, removed, relabelled, kept (and weighted), and the rows of the cleaned data.

    ``passed_through`` rows were not analysed (no label, a rare class): they are written unchanged.
    """
    p = plan.payload()
    rows = [
        ["label issues found", p["num_label_issues"]],
        ["removed", p["removed"]],
        ["relabelled", p["relabelled"]],
        ["kept unchanged", p["kept"]],
    ]
    if plan.strategy == "weight":
        rows.append(["weighted (sample_weight column)", p["weighted"]])
    if passed_through:
        rows.append(["not analysed, passed through unchanged", passed_through])
    rows.append(["rows in the cleaned data", p["rows_out"] + passed_through])
    caption = f"strategy {plan.strategy}; issues: {plan.detection.source}"
    if merges:
        caption += f"; merged classes: {', '.join(merges)}"
    return TableData("Cleaning summary", ["", "rows"], rows, caption=caption)


def changes_table(
    plan: CleaningPlan, ids: np.ndarray | None, top: int | None, positions: np.ndarray | None = None
) -> TableData:
    """The rows that change (removed or relabelled), lowest label quality first; no id column without ids.

    ``positions`` are the input rows of the judged rows (``row`` then points at the user's file).
    """
    changed = (
        np.flatnonzero(plan.actions != "kept") if plan.strategy != "weight" else np.flatnonzero(plan.detection.is_issue)
    )
    order = changed[np.argsort(np.nan_to_num(plan.detection.label_quality[changed], nan=np.inf), kind="stable")]
    shown = order if top is None else order[:top]
    rows_in_input = positions if positions is not None else np.arange(len(plan.given))
    frame = plan.manifest(ids if ids is not None else rows_in_input, rows_in_input).iloc[shown]
    columns = ["row", "id", "action", "given_label", "suggested_label", "label_quality"]
    if ids is None:
        columns.remove("id")
    rows = [[_plain(v) for v in r] for r in frame[columns].itertuples(index=False)]
    caption = f"{len(order)} rows" + (
        f"; showing the {len(shown)} with the lowest label quality" if len(shown) < len(order) else ""
    )
    return TableData(
        "Rows that change" if plan.strategy != "weight" else "Label issues (kept, weighted)",
        columns,
        rows,
        caption=caption,
    )


def evaluation_table(evaluation: Any) -> TableData:
    """Test accuracy and macro F1 of the model trained on the original and on the cleaned data
    (``evaluation`` is a ``CleanResult.evaluation``: :class:`cleanaudit.models.evaluate.Evaluation`)."""
    rows = [
        [name, evaluation.train_rows[key], evaluation.accuracy[key], evaluation.macro_f1[key]]
        for key, name in (("baseline", "original data"), ("cleaned", "cleaned data"))
    ]
    gain = evaluation.accuracy["cleaned"] - evaluation.accuracy["baseline"]
    caption = (
        f"model {evaluation.model}; accuracy {gain:+.3f} on {evaluation.num_test} test rows of {evaluation.test_path}"
    )
    return TableData(
        "Test accuracy, trained on",
        ["training data", "rows", "accuracy", "macro F1"],
        rows,
        caption=caption,
        notes=list(evaluation.notes),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value
