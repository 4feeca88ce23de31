"""The batch index: one row per dataset (rows, classes, health, issues per type, gates, error).

Rendered as JSON (``index.json``), CSV (``index.csv``), Markdown (``index.md``) and, by the CLI,
a Rich table; all from the same :class:`~cleanaudit.report.tables.TableData`.

>>> rows = [IndexRow("a", "a.csv", 0, rows=10, classes=2, health=0.9, issues={"label": 1}, gates="pass")]
>>> index_table(rows).columns
['dataset', 'status', 'rows', 'classes', 'health', 'gates', 'label', 'error']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from cleanaudit.report.tables import TableData

if TYPE_CHECKING:
    from cleanaudit.workflows.batch import BatchItem, BatchResult

STATUS_NAMES = {0: "ok", 1: "gate failed", 2: "input error", 3: "internal error"}


@dataclass
class IndexRow:
    """One dataset of a batch run; ``error`` is set when it could not be audited."""

    dataset: str
    path: str
    exit_status: int
    rows: int | None = None
    classes: int | None = None
    health: float | None = None
    issues: dict[str, int] = field(default_factory=dict)
    gates: str = "-"  # pass | fail | warn | - (no gates)
    failed_gates: list[str] = field(default_factory=list)
    error: str | None = None
    out_dir: str | None = None


def index_row(item: BatchItem) -> IndexRow:
    """The index row of one dataset of a batch."""
    row = IndexRow(
        item.name,
        str(item.path),
        int(item.status),
        error=item.error,
        out_dir=str(item.out_dir) if item.out_dir is not None and item.error is None else None,
    )
    row.rows, row.classes = item.num_examples, item.num_classes
    if item.measured is not None:
        row.health = item.measured.health
        row.issues = dict(item.measured.counts)
    if item.gates:
        failed = [g for g in item.gates if not g.passed]
        row.failed_gates = [f"{g.severity}: {g.message}" for g in failed]
        row.gates = ("fail" if any(g.severity == "error" for g in failed) else "warn") if failed else "pass"
    return row


def index_envelope(result: BatchResult, rows: list[IndexRow]) -> dict[str, Any]:
    """index.json (and the batch's ``--format json``): the envelope with the batch's run and notes."""
    from cleanaudit.report.envelope import build_envelope

    return build_envelope(
        "audit",
        dataset={"batch": True, "num_datasets": len(rows)},
        run=result.run,
        payload=index_payload(rows),
        notes=result.notes,
    )


def index_payload(rows: list[IndexRow]) -> dict[str, Any]:
    """The keys of index.json after the envelope header: totals and one object per dataset."""
    return {
        "num_datasets": len(rows),
        "num_failed_gates": sum(r.exit_status == 1 for r in rows),
        "num_errors": sum(r.error is not None for r in rows),
        "exit_status": max((r.exit_status for r in rows), default=0),
        "datasets": [dict(asdict(r), status=STATUS_NAMES.get(r.exit_status, str(r.exit_status))) for r in rows],
    }


def index_table(rows: list[IndexRow]) -> TableData:
    """The index as a table: issue types become columns (the union over datasets, in first-seen order)."""
    types: list[str] = []
    for r in rows:
        types += [t for t in r.issues if t not in types]
    columns = [
        "dataset",
        "status",
        "rows",
        "classes",
        "health",
        "gates",
        *types,
        "error",
    ]  # error last: the CLI drops it from the terminal table
    body = []
    for r in rows:
        body.append(
            [
                r.dataset,
                STATUS_NAMES.get(r.exit_status, str(r.exit_status)),
                _dash(r.rows),
                _dash(r.classes),
                _dash(r.health),
                r.gates,
                *(_dash(r.issues.get(t)) for t in types),
                r.error or "",
            ]
        )
    failed = sum(r.exit_status != 0 for r in rows)
    caption = f"{len(rows)} datasets, {failed} not ok" if failed else f"{len(rows)} datasets, all ok"
    return TableData("Datasets", columns, body, caption=caption)


def index_markdown(rows: list[IndexRow]) -> str:
    """index.md: the verdict first (for a pull-request comment), then the table and failed gates."""
    failed = [r for r in rows if r.exit_status != 0]
    verdict = f"**{len(failed)} of {len(rows)} datasets not ok**" if failed else f"**All {len(rows)} datasets ok**"
    parts = ["## cleanaudit audit", "", verdict, "", index_table(rows).to_markdown()]
    gate_lines = [f"- `{r.dataset}`: {g}" for r in rows for g in r.failed_gates]
    if gate_lines:
        parts += ["", "### Failed gates", "", *gate_lines]
    return "\n".join(parts) + "\n"


def _dash(value: Any) -> Any:
    return "-" if value is None else value
