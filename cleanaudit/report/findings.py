"""The flagged rows of a run as findings: one per row and issue type, with where the row sits in its file.

``--format github`` and ``--format sarif`` both render these. A finding's level is ``error`` when an
error-severity gate on its issue type failed, else ``warning``. Within a type, findings come most
severe first (lowest score); :func:`capped` picks a fair share of every type when they must be cut.

>>> f = Finding("label", 3, 3, 0.1, "given 'a'", "warning", Location("d.csv", 5))
>>> [x.row for x in capped([f, f, f], 2)], f.title
([3, 3], 'Label issue')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from cleanaudit.workflows.result import RunContext

__all__ = ["Finding", "Location", "capped", "collect_findings", "failed_types"]


@dataclass(frozen=True)
class Location:
    """Where a row is: a repository-relative file (``None``: not a file there) and its 1-based line."""

    uri: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Finding:
    issue_type: str
    row: int  # 0-based input row
    id: Any  # the --id-column value, else the row position
    score: float  # the issue type's score: lower is more severe
    message: str
    level: str  # "warning" or "error"
    location: Location

    @property
    def title(self) -> str:
        return f"{self.issue_type.replace('_', ' ').capitalize()} issue"


def failed_types(context: RunContext) -> set[str]:
    """Issue types with a failed error-severity gate (a health gate counts for ``label``)."""
    return {
        "label" if g.check == "health" else g.check for g in context.gates if not g.passed and g.severity == "error"
    }


def collect_findings(context: RunContext, locate: Callable[[int], Location]) -> list[Finding]:
    """Every flagged row of every issue type in ``context.per_row``, by type in run order, most severe first."""
    columns = context.per_row or {}
    dataset = context.dataset
    positions, ids = np.asarray(dataset.row_positions), np.asarray(dataset.row_ids)
    errors = failed_types(context)
    found: list[Finding] = []
    for key, flags in columns.items():
        if not (key.startswith("is_") and key.endswith("_issue")):
            continue
        issue_type = key[3:-6]
        flags = np.asarray(flags, dtype=bool)
        scores = np.asarray(columns.get(f"{issue_type}_score", np.zeros(len(flags))), dtype=float)
        rows = np.flatnonzero(flags)
        rows = rows[np.argsort(np.nan_to_num(scores[rows], nan=np.inf), kind="stable")]
        level = "error" if issue_type in errors else "warning"
        for r in rows:
            position = int(positions[r])
            row_id = ids[r].item() if isinstance(ids[r], np.generic) else ids[r]
            message = _message(issue_type, row_id, float(scores[r]), columns, int(r), ids)
            found.append(Finding(issue_type, position, row_id, float(scores[r]), message, level, locate(position)))
    return found


def _message(issue_type: str, row_id: Any, score: float, columns: dict[str, Any], r: int, ids: Any) -> str:
    where = f"row {row_id}"
    if issue_type == "label" and "given_label" in columns and "predicted_label" in columns:
        given, predicted = columns["given_label"][r], columns["predicted_label"][r]
        return (
            f"Label issue in {where}: given label '{given}', the model suggests '{predicted}' "
            f"(label quality {score:.3f})."
        )
    if issue_type == "label" and "wrong_labels" in columns and "missing_labels" in columns:  # --task multilabel
        parts = [f"{what} '{columns[key][r]}'" for key, what in (("wrong_labels", "probably wrong"),
                 ("missing_labels", "probably missing")) if columns[key][r]]  # fmt: skip
        return f"Label issue in {where}: {'; '.join(parts) or 'the label set looks wrong'} (label quality {score:.3f})."
    if issue_type == "label" and "consensus_label" in columns:  # --annotators: a doubtful consensus
        return (
            f"Label issue in {where}: the annotators' consensus '{columns['consensus_label'][r]}' is doubtful "
            f"(consensus quality {score:.3f})."
        )
    extra = ""
    if issue_type == "near_duplicate" and "near_duplicate_set" in columns:
        # space-separated positions of the analysed rows (checks/near_duplicate.py): shown by their ids
        partners = [str(ids[int(p)]) for p in str(columns["near_duplicate_set"][r]).split()[:5] if p.isdigit()]
        extra = f"; near copies: {', '.join(partners)}" if partners else ""
    return f"{issue_type.replace('_', ' ').capitalize()} issue in {where} (score {score:.3f}{extra})."


def capped(findings: Sequence[Finding], cap: int | None) -> list[Finding]:
    """At most ``cap`` findings (``None`` or 0: all): errors first, then a round-robin over issue types
    and files (each one's most severe first), kept in the input's order."""
    if not cap or len(findings) <= cap:
        return list(findings)
    queues: dict[tuple[bool, str, str], list[int]] = {}
    for i, f in enumerate(findings):  # a queue per issue type and file: a batch shows every dataset
        queues.setdefault((f.level != "error", f.issue_type, f.location.uri or ""), []).append(i)
    chosen: list[int] = []
    ordered = [queues[k] for k in sorted(queues, key=lambda k: k[0])]  # stable: error types first
    while len(chosen) < cap and any(ordered):
        for queue in ordered:
            if queue and len(chosen) < cap:
                chosen.append(queue.pop(0))
    return [findings[i] for i in sorted(chosen)]
