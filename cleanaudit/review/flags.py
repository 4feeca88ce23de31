"""The flagged rows of a rows file (``issues.parquet``/``issues.csv``), most severe first.

A row is flagged when any ``is_<type>_issue`` column is true. Its severity is the lowest
``<type>_score`` among its flagged types (every score runs from 0, worst, to 1, as in the
reports), so a row with a severe label issue and a mild outlier ranks by the label issue.
Near-duplicate partners come from ``near_duplicate_set`` and ``exact_duplicate_group``, the
nearest neighbour of an outlier from ``nearest_neighbor``; those columns count rows of the
analysed table (the rows file's order), which are mapped back to input rows here.
"""

from __future__ import annotations

import math
from typing import Any

MAX_PARTNERS = 20  # an exact-duplicate group can be large: the page shows the first ones


def issue_columns(frame: Any) -> list[str]:
    """The issue types a rows file has columns for, in its column order.

    >>> import pandas as pd
    >>> issue_columns(pd.DataFrame(columns=["row", "is_label_issue", "label_score", "is_outlier_issue"]))
    ['label', 'outlier']
    """
    return [c[3:-6] for c in frame.columns if c.startswith("is_") and c.endswith("_issue")]


def flagged_rows(frame: Any, types: list[str]) -> list[dict[str, Any]]:
    """One dict per flagged row, most severe first (ties: more issue types first, then input order).

    >>> import pandas as pd
    >>> f = pd.DataFrame({"row": [0, 1, 2], "id": ["a", "b", "c"], "is_label_issue": [False, True, True],
    ...                   "label_score": [0.9, 0.4, 0.1], "given_label": ["x", "x", "y"],
    ...                   "predicted_label": ["x", "y", "x"]})
    >>> [(r["row"], r["given"], r["suggested"], r["issues"]) for r in flagged_rows(f, ["label"])]
    [(2, 'y', 'x', ['label']), (1, 'x', 'y', ['label'])]
    """
    import numpy as np

    if frame.empty or not types:
        return []
    flags = np.column_stack([_bools(frame[f"is_{t}_issue"]) for t in types])
    positions = frame["row"].to_numpy(dtype=np.int64) if "row" in frame.columns else np.arange(len(frame))
    groups = _exact_groups(frame)
    rows = []
    for i in np.flatnonzero(flags.any(axis=1)):
        record = frame.iloc[int(i)]
        issues = [t for t, flagged in zip(types, flags[i]) if flagged]
        scores = {t: _number(record.get(f"{t}_score")) for t in types if f"{t}_score" in frame.columns}
        flagged = [scores[t] for t in issues if scores.get(t) is not None]
        row = int(positions[i])
        rows.append(
            {
                "row": row,
                "id": _text(record.get("id"), default=str(row)),
                "given": _text(record.get("given_label")),
                "suggested": _text(record.get("predicted_label")),
                "score": min(flagged) if flagged else None,
                "issues": issues,
                "scores": scores,
                "partners": _partners(record, positions, groups),
                "values": None,
            }
        )
    rows.sort(key=_severity)
    return rows


def _severity(row: dict[str, Any]) -> tuple[float, int, int]:
    """Lowest score first (no score: last), then more issue types, then input order."""
    return (row["score"] if row["score"] is not None else 2.0, -len(row["issues"]), row["row"])


def _partners(record: Any, positions: Any, groups: dict[int, list[int]]) -> list[dict[str, Any]]:
    """The row's duplicates and nearest neighbour as ``{row, kind}`` (input rows; itself left out)."""
    own = int(record.get("row", -1))
    found: dict[int, str] = {}
    group = _number(record.get("exact_duplicate_group"))
    if group is not None and group >= 0:
        for p in groups.get(int(group), []):
            found.setdefault(p, "exact_duplicate")
    for token in str(_text(record.get("near_duplicate_set")) or "").split():
        index = _index(token, len(positions))
        if index is not None:
            found.setdefault(int(positions[index]), "near_duplicate")
    if bool(record.get("is_outlier_issue", False)) or found:
        index = _index(record.get("nearest_neighbor"), len(positions))
        if index is not None:
            found.setdefault(int(positions[index]), "nearest_neighbor")
    found.pop(own, None)
    return [{"row": p, "kind": k} for p, k in list(found.items())[:MAX_PARTNERS]]


def _exact_groups(frame: Any) -> dict[int, list[int]]:
    if "exact_duplicate_group" not in frame.columns:
        return {}
    groups: dict[int, list[int]] = {}
    for group, row in zip(frame["exact_duplicate_group"], frame["row"]):
        value = _number(group)
        if value is not None and value >= 0:
            groups.setdefault(int(value), []).append(int(row))
    return groups


def _bools(column: Any) -> Any:
    """A flag column as booleans (a CSV may hold True/False as text)."""
    if column.dtype == bool:
        return column.to_numpy()
    return column.astype(str).str.strip().str.lower().isin(["true", "1", "yes"]).to_numpy()


def _index(value: Any, size: int) -> int | None:
    number = _number(value)
    if number is None or number != int(number) or not 0 <= int(number) < size:
        return None
    return int(number)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _text(value: Any, default: str | None = None) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return str(value)
