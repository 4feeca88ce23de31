"""Reviewed decisions (``corrections.csv``, written by ``cleanaudit review``), read for ``clean --corrections``.

The file is UTF-8 CSV with the header ``row,id,action,new_label,reviewed_at`` (other columns are
ignored): ``row`` the 0-based input row, ``id`` its ``--id-column`` value (else the row again),
``action`` one of :data:`ACTIONS`, ``new_label`` the class name for ``relabel`` (empty otherwise),
``reviewed_at`` an ISO-8601 timestamp. Rows are matched as ``--label-issues`` files are: by
``row``, checked against ``id`` when the data has an ``--id-column`` (a line with an empty ``row``
is matched by ``id``). Class names are compared as text, as everywhere else.

A row left out of the analysis (no label, a class too small for the folds) may be named too:
the decision is still the reviewer's, so ``drop`` removes it, ``keep`` keeps it and ``relabel``
gives it the new class (a missing label is filled in). Any mistake in the file is an
``InputError`` naming the file, the line and the value, raised before anything is fitted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import InputError

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset

CORRECTION_COLUMNS = ("row", "id", "action", "new_label", "reviewed_at")
ACTIONS = ("relabel", "drop", "keep")
_HINT = "fix that line, or review the rows again with cleanaudit review on an --out folder of this same data"


@dataclass
class Corrections:
    """The reviewed decisions, in row order, and their alignment with the data they were read for.

    ``rows``, ``actions``, ``new_labels`` (class names; ``None`` unless relabel) and ``lines`` (the
    file line) hold one entry per decision; ``action`` and ``new_label`` hold one per analysed row
    of the dataset (``""`` / ``-1`` where there is no decision); ``outside`` the decisions about
    input rows that dataset does not analyse.
    """

    rows: np.ndarray
    actions: np.ndarray
    new_labels: list[Any]
    lines: np.ndarray
    source: str
    action: np.ndarray
    new_label: np.ndarray
    line: np.ndarray  # per analysed row: the file line of its decision (0 = none)
    outside: np.ndarray  # indices into the decisions above

    @property
    def reviewed(self) -> np.ndarray:
        """True for each analysed row with a decision."""
        return self.action != ""

    def counts(self) -> dict[str, int]:
        """Decisions per action (every action listed, 0 when none).

        >>> Corrections.empty("c.csv").counts()
        {'relabel': 0, 'drop': 0, 'keep': 0}
        """
        return {a: int(np.sum(self.actions == a)) for a in ACTIONS}

    def aligned(self, dataset: Dataset) -> Corrections:
        """The same decisions aligned with ``dataset`` (e.g. after rare classes were left out)."""
        return _align(self.rows, self.actions, self.new_labels, self.lines, self.source, dataset)

    @classmethod
    def empty(cls, source: str) -> Corrections:
        none = np.zeros(0, dtype=np.intp)
        return cls(none, np.zeros(0, dtype=object), [], none, source, np.zeros(0, dtype=object), none, none, none)


def read_corrections(path: str | Path, dataset: Dataset) -> Corrections:
    """Read a corrections file and align it with ``dataset``'s rows (``InputError`` on any mistake).

    >>> read_corrections("report/corrections.csv", dataset).counts()  # doctest: +SKIP
    {'relabel': 41, 'drop': 3, 'keep': 12}
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"corrections file {name} not found", hint="check the --corrections path")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"corrections file {name} cannot be read as UTF-8 text ({error})", hint=_HINT) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CORRECTION_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"corrections file {name} has no column(s) {', '.join(missing)} (header: {','.join(header) or 'none'})",
            hint=f"the header must be {','.join(CORRECTION_COLUMNS)}",
        )
    reader.fieldnames = header
    ids = _input_ids(dataset)
    classes = {str(c): c for c in dataset.class_names}
    seen: dict[int, int] = {}
    rows, actions, labels, lines = [], [], [], []
    for record in reader:
        number = reader.line_num  # the file line this record ends on (line 1 is the header)
        if None in record:
            raise InputError(f"corrections file {name} line {number} has more cells than the header", hint=_HINT)
        if all(not (v or "").strip() for v in record.values()):
            continue  # a line of empty cells
        where = f"corrections file {name} line {number}"
        row = _row(record, ids, where)
        if row in seen:
            raise InputError(f"{where}: row {row} is already decided on line {seen[row]}", hint="keep one line per row")
        seen[row] = number
        action = (record["action"] or "").strip().lower()
        if action not in ACTIONS:
            raise InputError(f"{where}: unknown action {record['action']!r}", hint=f"use one of: {', '.join(ACTIONS)}")
        labels.append(_new_label(record["new_label"] or "", action, classes, where))
        _check_time(record["reviewed_at"] or "", where)
        rows.append(row)
        actions.append(action)
        lines.append(number)
    order = np.argsort(np.asarray(rows, dtype=np.intp), kind="stable")
    return _align(
        np.asarray(rows, dtype=np.intp)[order],
        np.asarray(actions, dtype=object)[order],
        [labels[i] for i in order],
        np.asarray(lines, dtype=np.intp)[order],
        name,
        dataset,
    )


def write_corrections(path: str | Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Write decisions atomically as a corrections file (rows sorted, one line per row: the last wins).

    >>> write_corrections("report/corrections.csv", [{"row": 3, "id": "T-4", "action": "drop"}])  # doctest: +SKIP
    """
    from cleanaudit.data.write import atomic_write_text

    latest: dict[int, Mapping[str, Any]] = {int(r["row"]): r for r in records}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CORRECTION_COLUMNS)
    for row in sorted(latest):
        record = latest[row]
        writer.writerow([row] + ["" if record.get(c) is None else record[c] for c in CORRECTION_COLUMNS[1:]])
    atomic_write_text(Path(path), out.getvalue())


def _align(
    rows: np.ndarray, actions: np.ndarray, labels: list[Any], lines: np.ndarray, source: str, dataset: Dataset
) -> Corrections:
    n = dataset.num_examples
    analysed = np.full(dataset.num_input_rows, -1, dtype=np.intp)  # input row -> analysed row
    analysed[dataset.row_positions] = np.arange(n)
    at = analysed[rows]
    inside = at >= 0
    codes = {str(c): k for k, c in enumerate(dataset.class_names)}
    action = np.full(n, "", dtype=object)
    new_label = np.full(n, -1, dtype=np.intp)
    line = np.zeros(n, dtype=np.intp)
    action[at[inside]] = actions[inside]
    line[at[inside]] = lines[inside]
    for i in np.flatnonzero(inside):
        if labels[i] is None:
            continue
        if str(labels[i]) not in codes:  # only after classes too small for the folds were left out
            raise InputError(
                f"corrections file {source} line {lines[i]}: new_label {labels[i]!r} is a class left out of "
                "the analysis (too few rows for the cross-validation folds)",
                hint="lower --cv, or leave out --strategy to apply only the corrections",
            )
        new_label[at[i]] = codes[str(labels[i])]
    return Corrections(rows, actions, labels, lines, source, action, new_label, line, np.flatnonzero(~inside))


def _input_ids(dataset: Dataset) -> np.ndarray:
    """Every input row's id as text (the row position when the data has no --id-column)."""
    ids = np.array([str(i) for i in range(dataset.num_input_rows)], dtype=object)
    if dataset.ids is not None:
        ids[dataset.row_positions] = [str(v) for v in dataset.ids]
        record = dataset.not_analysed
        if record is not None and record.count:
            ids[record.positions] = [str(v) for v in record.row_ids()]
    return ids


def _row(record: Mapping[str, str], ids: np.ndarray, where: str) -> int:
    """The input row a line is about: its ``row``, which must agree with its ``id``."""
    text, key = (record["row"] or "").strip(), (record["id"] or "").strip()
    total = len(ids)
    if not text:
        found = np.flatnonzero(ids == key) if key else np.zeros(0, dtype=np.intp)
        if len(found) != 1:
            raise InputError(f"{where}: no row, and id {key!r} names no single row of the data", hint=_HINT)
        return int(found[0])
    try:
        row = int(text)
    except ValueError:
        row = -1
    if not 0 <= row < total:
        raise InputError(f"{where}: row {text!r} is not a row of the data (0..{total - 1})", hint=_HINT)
    if key and key != ids[row]:
        raise InputError(
            f"{where}: id {key!r} is not the id of row {row} ({ids[row]!r})",
            hint="the file was made for other data, or with another --id-column; " + _HINT,
        )
    return row


def _new_label(value: str, action: str, classes: Mapping[str, Any], where: str) -> Any:
    if action != "relabel":
        if value.strip():
            raise InputError(
                f"{where}: action {action} with new_label {value!r}", hint="only relabel takes a new_label"
            )
        return None
    if value not in classes:
        shown = ", ".join(map(str, classes))
        if not value.strip():
            raise InputError(f"{where}: relabel without a new_label", hint=f"name one of the classes: {shown}")
        raise InputError(f"{where}: new_label {value!r} is not a class of the data", hint=f"the classes are: {shown}")
    return classes[value]


def _check_time(value: str, where: str) -> None:
    if not value.strip():
        return
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{where}: reviewed_at {value!r} is not an ISO-8601 time", hint="write it as 2026-12-02T05:59:01Z"
        ) from None
