"""Read an ``--out`` folder of ``audit`` or ``find-issues`` into what the review page shows.

The findings are those the run wrote (``report.json`` and ``issues.parquet`` / ``issues.csv``);
nothing is recomputed. The input named in ``report.json`` is re-read only to show each flagged
row's values, and only when its SHA-256 still matches the report's: a changed or missing input
is said on the page, never silently shown. Reading a table never runs code from it (CSV and
Parquet only, through :func:`cleanaudit.data.load.read_tables`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleanaudit.errors import InputError
from cleanaudit.review.flags import flagged_rows, issue_columns

REVIEWABLE = ("audit", "find-issues")
MAX_VALUE_CHARS = 2000  # a long text cell is cut for the page (the file itself is not touched)


@dataclass
class ReviewFolder:
    """An ``--out`` folder ready to review: the flagged rows (most severe first) and the input's state.

    ``rows`` are plain dicts (``row``, ``id``, ``given``, ``suggested``, ``score``, ``issues``,
    ``scores``, ``partners``, ``values``); ``extra_rows`` holds the values of partner rows that are
    not flagged themselves; ``input_state`` is ``ok``, ``changed``, ``missing`` or ``unavailable``.
    """

    folder: Path
    report: dict[str, Any]
    class_names: list[str]
    issue_types: list[str]
    rows: list[dict[str, Any]]
    columns: list[str] = field(default_factory=list)
    extra_rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    input_state: str = "unavailable"
    input_message: str = ""

    @property
    def corrections_path(self) -> Path:
        return self.folder / "corrections.csv"

    def row_ids(self) -> dict[int, str]:
        """Each flagged row's ``id`` for corrections.csv (the id value, else the row position)."""
        return {r["row"]: r["id"] for r in self.rows}

    def payload(self) -> dict[str, Any]:
        """The JSON the page is built from (plain types only)."""
        dataset = self.report.get("dataset", {})
        return {
            "command": self.report.get("command"),
            "folder": str(self.folder),
            "dataset": {
                "path": dataset.get("path"),
                "sha256": dataset.get("sha256"),
                "label_column": dataset.get("label_column"),
                "id_column": dataset.get("id_column"),
                "num_examples": dataset.get("num_examples"),
            },
            "class_names": self.class_names,
            "issue_types": self.issue_types,
            "columns": self.columns,
            "rows": self.rows,
            "extra_rows": {str(k): v for k, v in self.extra_rows.items()},
            "input": {"state": self.input_state, "message": self.input_message},
        }


def load_review_folder(folder: Path, *, data: Path | None = None) -> ReviewFolder:
    """Read ``folder`` (an ``audit``/``find-issues`` ``--out`` folder); ``data`` overrides the input's path.

    Raises ``InputError`` (one line) for a folder that is missing, not such a folder, or flags no row.

    >>> f = load_review_folder(Path("report"))  # doctest: +SKIP
    >>> f.rows[0]["issues"], f.input_state  # doctest: +SKIP
    (['label'], 'ok')
    """
    folder = Path(folder)
    report = _read_report(folder)
    frame = _read_rows_file(folder)
    class_names = [str(c) for c in report.get("dataset", {}).get("class_names", [])]
    types = issue_columns(frame)
    rows = flagged_rows(frame, types)
    if not rows:
        raise InputError(
            f"{folder} flags no rows: nothing to review",
            hint="review a report whose run found issues (audit or find-issues --out)",
        )
    review = ReviewFolder(folder, report, class_names, [t for t in types if any(t in r["issues"] for r in rows)], rows)
    _attach_values(review, data)
    return review


def _read_report(folder: Path) -> dict[str, Any]:
    if not folder.exists():
        raise InputError(f"folder {folder} not found", hint="pass the --out folder of an audit or find-issues run")
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder", hint="pass the --out folder of an audit or find-issues run")
    path = folder / "report.json"
    if not path.is_file():
        hint = "pass one dataset's folder inside it" if (folder / "index.json").is_file() else None
        raise InputError(
            f"{folder} is not an --out folder (no report.json)",
            hint=hint or "run 'cleanaudit audit DATA --label COL --out DIR' first, then review DIR",
        )
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read {path}: {err}", hint="rerun the audit to write it again") from None
    command = report.get("command") if isinstance(report, dict) else None
    if command not in REVIEWABLE:
        raise InputError(
            f"{path} is a report of {command!r}, not of audit or find-issues",
            hint="review the --out folder of an audit or find-issues run",
        )
    return report


def _read_rows_file(folder: Path) -> Any:
    import pandas as pd

    parquet, csv = folder / "issues.parquet", folder / "issues.csv"
    try:
        if parquet.is_file():
            return pd.read_parquet(parquet)
        if csv.is_file():  # text columns kept as text: an id "007" or a set "3 17" must not become numbers
            text = {"id": str, "given_label": str, "predicted_label": str, "near_duplicate_set": str}
            return pd.read_csv(csv, dtype=text, keep_default_na=False, na_values=[""])
    except Exception as err:  # a damaged file: pyarrow and pandas raise many kinds
        raise InputError(f"cannot read the rows file in {folder}: {err}", hint="rerun the audit with --out") from None
    raise InputError(
        f"{folder} has no issues.parquet or issues.csv", hint="rerun the audit or find-issues with --out DIR"
    )


def _attach_values(review: ReviewFolder, data: Path | None) -> None:
    """Each shown row's input values, when the input is there and unchanged."""
    from cleanaudit.data.load import is_url, read_tables

    dataset = review.report.get("dataset", {})
    named = str(dataset.get("path") or "")
    if data is None:
        if not named or named == "stdin" or is_url(named) or "(+" in named:
            review.input_message = f"the input ({named or 'unnamed'}) cannot be re-read here: values are not shown"
            return
        data = _locate(named, review.folder)
    if data is None or not Path(data).is_file():
        review.input_state = "missing"
        review.input_message = f"the input {named} was not found: values are not shown (pass --data FILE)"
        return
    try:
        table, _, _, sha256 = read_tables([Path(data)])
    except InputError as err:
        review.input_state = "missing"
        review.input_message = f"the input {data} cannot be read ({err}): values are not shown"
        return
    if sha256 != dataset.get("sha256"):
        review.input_state = "changed"
        review.input_message = (
            f"the input {data} changed since the audit (SHA-256 {sha256[:12]}…, the report has "
            f"{str(dataset.get('sha256'))[:12]}…): values are not shown; rerun the audit"
        )
        return
    review.input_state, review.input_message = "ok", f"values from {data} (unchanged since the audit)"
    review.columns = [str(c) for c in table.columns]
    wanted = {r["row"] for r in review.rows}
    for r in review.rows:
        r["values"] = _values(table, r["row"])
        for partner in r["partners"]:
            if partner["row"] not in wanted and partner["row"] not in review.extra_rows:
                review.extra_rows[partner["row"]] = _values(table, partner["row"])


def _locate(named: str, folder: Path) -> Path | None:
    """The input path as the report names it: absolute, or relative to here, the report's folder or its parent."""
    path = Path(named)
    if path.is_absolute():
        return path
    for base in (Path.cwd(), folder.parent, folder):
        if (base / path).is_file():
            return base / path
    return None


def _values(table: Any, row: int) -> dict[str, Any] | None:
    if not 0 <= row < len(table):
        return None
    return {str(k): _plain(v) for k, v in table.iloc[row].items()}


def _plain(value: Any) -> Any:
    """A cell as JSON: numbers and booleans as they are, missing as null, anything else as (cut) text."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value if math.isfinite(value) else str(value)
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"
