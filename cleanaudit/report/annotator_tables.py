"""The tables of a run with several annotators per row (``--annotators``).

The annotator table (worst annotator first) follows find-issues', health's and audit's own
tables; find-issues lists the doubtful consensus labels and, with ``--active-learning N``, the rows
where one more annotation helps most. Every class is shown by name; an annotator who did not
label a row is shown as ``-``. The terminal, Markdown and HTML read the same tables (the HTML
page puts tables of kind ``annotators`` in their own section).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cleanaudit.report.tables import TableData

if TYPE_CHECKING:
    from cleanaudit.workflows.annotator_clean import ConsensusCleanResult
    from cleanaudit.workflows.annotator_result import AnnotatedHealthResult, AnnotatorIssuesResult, Crowd

MAX_ANNOTATOR_COLUMNS = 10  # each annotator's label is a column of the row tables up to this many annotators
# Short headers of the row tables (JSON keys: consensus_label, consensus_quality_score, ...).
_SHORT = {
    "active_learning_score": "ActiveLab score",
    "consensus_label": "consensus",
    "consensus_quality_score": "quality",
    "annotator_agreement": "agreement",
    "num_annotations": "annotations",
}
_KEYS = "; quality: CROWDLAB's probability that the consensus is right; agreement: share of annotators giving it"


def annotator_table(crowd: Crowd) -> TableData:
    """One row per annotator, lowest quality first: quality, agreement with the consensus, worst class, rows.

    >>> from types import SimpleNamespace
    >>> crowd = SimpleNamespace(annotators=[{"annotator": "r2", "annotator_quality": 0.4,
    ...     "agreement_with_consensus": 0.5, "worst_class": "b", "num_examples_labeled": 9}], columns=["r1", "r2"])
    >>> annotator_table(crowd).rows
    [['r2', 0.4, 0.5, 'b', 9]]
    """
    keys = ["annotator", "annotator_quality", "agreement_with_consensus", "worst_class", "num_examples_labeled"]
    rows = [[a[k] for k in keys] for a in crowd.annotators]
    return TableData(
        "Annotators, lowest quality first",
        ["annotator", "quality", "agreement with consensus", "worst class", "rows labelled"],
        rows,
        caption="quality: CROWDLAB's annotator quality, 0 to 1 (how likely their labels are right given the "
        "consensus, blended with their agreement with it); worst class: the class they give least reliably",
        kind="annotators",
    )


def consensus_issues_tables(result: AnnotatorIssuesResult, top: int | None = None) -> list[TableData]:
    """The ``top`` most doubtful consensus labels (all with ``None``), the active-learning rows, the annotators."""
    crowd = result.crowd
    shown = result.issues(top)
    caption = (
        f"{result.num_issues} of {len(crowd.consensus)} consensus labels are doubtful (consensus quality below "
        f"{crowd.summary()['doubtful_below']:g}: more likely wrong than right); lowest quality first"
    )
    if len(shown) < result.num_issues:
        caption += f"; showing {len(shown)} (--top to change)"
    tables = [_rows_table("Doubtful consensus labels", shown, crowd, caption, with_id=result.source.ids is not None)]
    listed = result.active_learning()
    if listed is not None:
        tables.append(
            _rows_table(
                "Where one more annotation helps most",
                listed,
                crowd,
                f"the {len(listed)} rows with the lowest ActiveLab scores: have them labelled again first",
                with_id=result.source.ids is not None,
                score="active_learning_score",
            )
        )
    return [*tables, annotator_table(crowd)]


def annotated_health_tables(result: AnnotatedHealthResult) -> list[TableData]:
    """health's tables (of the consensus labels), then the annotator table."""
    from cleanaudit.report.label_tables import health_tables

    tables = health_tables(result)
    tables[0].caption = "labels: the annotators' consensus; " + tables[0].caption
    return [*tables, *([annotator_table(result.crowd)] if result.crowd is not None else [])]


def _rows_table(
    title: str,
    records: list[dict[str, Any]],
    crowd: Crowd,
    caption: str,
    *,
    with_id: bool,
    score: str | None = None,
) -> TableData:
    keys = ["row", *(["id"] if with_id else []), *([score] if score else [])]
    keys += ["consensus_label", "consensus_quality_score", "annotator_agreement", "num_annotations"]
    many = len(crowd.columns) > MAX_ANNOTATOR_COLUMNS
    rows = []
    for record in records:
        labels = [] if many else [_label(record["annotators"].get(c)) for c in crowd.columns]
        rows.append([record[c] for c in keys] + labels)
    notes = [f"each of the {len(crowd.columns)} annotators' labels: --format json or --out DIR"] if many else []
    headers = [_SHORT.get(k, k) for k in keys] + ([] if many else list(crowd.columns))
    return TableData(title, headers, rows, caption=caption + (_KEYS if score is None else ""), notes=notes)


def _label(value: Any) -> Any:
    return "-" if value is None else value


def consensus_clean_tables(result: ConsensusCleanResult, top: int | None = None) -> list[TableData]:
    """clean --strategy consensus: what was written, where the consensus is not the majority vote, the annotators."""
    p = result.payload
    rows = [
        ["rows written", p["rows_out"]],
        ["consensus differs from the majority vote", p["num_differs_from_majority_vote"]],
        ["doubtful consensus labels", p["num_doubtful"]],
    ]
    if p["passed_through"]:
        rows.append(["no annotator: written with an empty consensus_label", p["passed_through"]])
    where = p.get("output_file") or "nothing written (--dry-run)"
    summary = TableData("Consensus labels", ["", "rows"], rows, caption=f"column consensus_label; {where}")
    manifest = result.manifest
    changed = manifest[manifest["action"].eq("consensus") & manifest["reason"].ne("")]
    changed = changed.sort_values("consensus_quality_score", kind="stable")
    shown = changed if top is None else changed.head(top)
    columns = ["row", "id", "majority_vote", "consensus_label", "consensus_quality_score", "annotator_agreement"]
    if result.context is not None and result.context.dataset.ids is None:
        columns.remove("id")  # rows are identified by position
    caption = f"{len(changed)} rows; lowest consensus quality first"
    if len(shown) < len(changed):
        caption += f"; showing {len(shown)} (--top to change, 0 = all; the manifest lists every row)"
    listed = TableData(
        "Where the consensus is not the majority vote",
        columns,
        [[_plain(v) for v in row] for row in shown[columns].itertuples(index=False)],
        caption=caption,
    )
    return [summary, listed, annotator_table(result.crowd)]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
