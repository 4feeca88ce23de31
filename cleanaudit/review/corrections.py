"""The review's decisions: checked as they arrive, kept in ``DIR/corrections.csv``.

The file is the contract with ``clean --corrections``: UTF-8 CSV with the header
``row,id,action,new_label,reviewed_at``, one line per reviewed row (the latest decision wins; a
skipped row has none), sorted by ``row``, rewritten atomically on every decision so closing the
page loses nothing. ``action`` is ``relabel`` (``new_label`` = a class name), ``drop`` or ``keep``.
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cleanaudit.data.corrections import CORRECTION_COLUMNS  # the columns clean --corrections reads
from cleanaudit.errors import InputError

ACTIONS = ("relabel", "drop", "keep")
CLEAR = "clear"  # the page's "undo": the row has no decision again


def now_utc() -> str:
    """The current time as ISO-8601 UTC to the second (``2026-12-02T05:59:01Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def corrections_csv(decisions: dict[int, dict[str, str]]) -> str:
    """The file's text for ``decisions`` (row -> ``{id, action, new_label, reviewed_at}``), sorted by row.

    >>> print(corrections_csv({3: {"id": "T3", "action": "drop", "new_label": "", "reviewed_at": "t"}}), end="")
    row,id,action,new_label,reviewed_at
    3,T3,drop,,t
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CORRECTION_COLUMNS)
    for row in sorted(decisions):
        d = decisions[row]
        writer.writerow([row, d["id"], d["action"], d.get("new_label", ""), d["reviewed_at"]])
    return out.getvalue()


class Decisions:
    """The decisions of one review, saved to ``path`` on every change (thread-safe).

    ``ids`` maps each reviewable row to its id; ``class_names`` are the labels a relabel may name.
    An existing file is read back (resuming), keeping only lines about rows of this review.
    """

    def __init__(self, path: Path, ids: dict[int, str], class_names: list[str]) -> None:
        self.path, self.ids, self.class_names = Path(path), ids, list(class_names)
        self._lock = threading.Lock()
        self.others: dict[int, dict[str, str]] = {}  # lines about rows not in this review: kept as they are
        self.decisions: dict[int, dict[str, str]] = self._read() if self.path.is_file() else {}

    def record(self, body: Any) -> dict[str, str] | None:
        """Check one POSTed decision (``{row, action, new_label?}``), save it; return it (``None``: cleared).

        Raises ``ValueError`` with the reason for anything malformed.
        """
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        row, action = body.get("row"), body.get("action")
        if isinstance(row, bool) or not isinstance(row, int) or row not in self.ids:
            raise ValueError(f"row {row!r} is not one of the flagged rows")
        if action not in (*ACTIONS, CLEAR):
            raise ValueError(f"action {action!r} is not one of: {', '.join((*ACTIONS, CLEAR))}")
        new_label = body.get("new_label") or ""
        if action == "relabel" and new_label not in self.class_names:
            raise ValueError(f"new_label {new_label!r} is not one of the classes")
        if action != "relabel":
            new_label = ""
        from cleanaudit.data.write import atomic_write_text

        with self._lock:
            decision = None
            if action == CLEAR:
                self.decisions.pop(row, None)
            else:
                decision = {"id": self.ids[row], "action": action, "new_label": new_label, "reviewed_at": now_utc()}
                self.decisions[row] = decision
            atomic_write_text(self.path, corrections_csv({**self.others, **self.decisions}))
        return decision

    def snapshot(self) -> dict[str, dict[str, str]]:
        """The decisions as JSON for the page (row as text -> decision)."""
        with self._lock:
            return {str(row): dict(d) for row, d in self.decisions.items()}

    def _read(self) -> dict[int, dict[str, str]]:
        try:
            with self.path.open(encoding="utf-8", newline="") as handle:
                lines = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            raise InputError(
                f"cannot read {self.path}: {err}", hint="move it away to start the review afresh"
            ) from None
        decisions: dict[int, dict[str, str]] = {}
        for line in lines:
            try:
                row = int(line.get("row") or "")
            except ValueError:
                continue
            action, label = line.get("action"), line.get("new_label") or ""
            if action not in ACTIONS:
                continue  # damaged: left out
            if row not in self.ids:
                self.others[row] = {k: line.get(k) or "" for k in CORRECTION_COLUMNS[1:]}
                continue
            if action == "relabel" and label not in self.class_names:
                continue
            decisions[row] = {
                "id": self.ids[row],
                "action": str(action),
                "new_label": label if action == "relabel" else "",
                "reviewed_at": line.get("reviewed_at") or now_utc(),
            }
        return decisions
