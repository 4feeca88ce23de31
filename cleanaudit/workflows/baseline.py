"""Compare an audit with an earlier one (``--baseline OLD/report.json``): new, fixed, unchanged issues.

The earlier run's flagged rows are read from the per-row file written beside its report.json
(``issues.parquet`` or ``issues.csv``, as ``--out`` writes them). Rows are matched by the id
column when both runs used the same ``--id-column``, else by row position, which is only
meaningful when rows were neither added, removed nor reordered; the result says which.

>>> old = Baseline(Path("r.json"), {"label": {1, 2}}, "row position", None)
>>> compare(old, {"label": np.array([False, False, True, True])}, np.arange(4))["label"]
{'new': 1, 'fixed': 1, 'unchanged': 1, 'new_rows': [3], 'fixed_rows': [1]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cleanaudit.errors import InputError

ROWS_FILES = ("issues.parquet", "issues.csv")
MAX_LISTED = 50  # rows listed per type in the report; counts are always complete


@dataclass
class Baseline:
    """The earlier run: flagged row keys per issue type, and how rows are keyed."""

    path: Path
    flagged: dict[str, set[Any]]
    matched_by: str
    id_column: str | None


def load_baseline(path: Path, *, id_column: str | None) -> Baseline:
    """Read an earlier report.json and its per-row file; ``id_column`` is this run's ``--id-column``."""
    import pandas as pd

    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"--baseline {path} not found", hint="give the report.json of an earlier 'audit --out' run"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"--baseline {path} is not a JSON report: {exc}", hint="give an earlier report.json") from None
    if not isinstance(report, dict) or report.get("command") != "audit":
        raise InputError(
            f"--baseline {path} is not an audit report", hint="give the report.json of 'cleanaudit audit --out'"
        )
    old_id = (report.get("dataset") or {}).get("id_column")
    if old_id != id_column:
        raise InputError(
            f"--baseline {path} keyed rows by {_describe(old_id)}, this run by {_describe(id_column)}",
            hint="pass the same --id-column as the earlier run",
        )
    rows_file = _rows_file(path)
    if rows_file is None:
        raise InputError(
            f"--baseline {path} has no issues.parquet or issues.csv beside it",
            hint="point at a report.json written by 'cleanaudit audit --out DIR'",
        )
    frame = pd.read_parquet(rows_file) if rows_file.suffix == ".parquet" else pd.read_csv(rows_file)
    keys = frame["id"] if id_column is not None else frame["row"]
    flagged = {
        column[3:-6]: set(keys[frame[column].astype(bool)].tolist())
        for column in frame.columns
        if column.startswith("is_") and column.endswith("_issue")
    }
    matched_by = f"id column {id_column!r}" if id_column is not None else "row position"
    return Baseline(path, flagged, matched_by, id_column)


def baseline_inputs(path: Path) -> list[Path]:
    """The files ``load_baseline(path)`` reads (the report and the rows file beside it), or the folder
    of a batch baseline: no output of the run may replace them.

    >>> baseline_inputs(Path("old/report.json"))  # doctest: +SKIP
    [PosixPath('old/report.json'), PosixPath('old/issues.parquet')]
    """
    path = Path(path)
    if path.is_dir():
        return [path]
    rows_file = _rows_file(path)
    return [path] if rows_file is None else [path, rows_file]


def compare(baseline: Baseline, current: dict[str, np.ndarray], keys: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per issue type of the current run: counts (and first rows) of new, fixed and unchanged issues.

    ``current`` maps issue types to boolean flags per row; ``keys`` are the row ids (or positions).
    A type the earlier run did not check counts every current issue as new.
    """
    keys = np.asarray(keys)
    out: dict[str, dict[str, Any]] = {}
    for issue_type, flags in current.items():
        now = set(keys[np.asarray(flags, dtype=bool)].tolist())
        before = baseline.flagged.get(issue_type, set())
        new, fixed = now - before, before - now
        out[issue_type] = {
            "new": len(new),
            "fixed": len(fixed),
            "unchanged": len(now & before),
            "new_rows": sorted(new, key=str)[:MAX_LISTED],
            "fixed_rows": sorted(fixed, key=str)[:MAX_LISTED],
        }
    return out


def _rows_file(report: Path) -> Path | None:
    return next((report.parent / name for name in ROWS_FILES if (report.parent / name).is_file()), None)


def _describe(id_column: str | None) -> str:
    return f"--id-column {id_column}" if id_column is not None else "row position"
