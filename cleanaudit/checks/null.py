"""``null``: rows with missing values in the original feature columns (spec §6.9).

A row scores the fraction of its cells that are present (``pd.isna`` decides what is
missing); rows with every cell missing are flagged. The dataset-level score is the mean row
score. The info names the most common pattern of missing columns among rows with any
missing cell (ties go to the pattern seen first) and each column's missing fraction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.checks.base import CheckInputs, CheckResult, CheckSkipped, register

if TYPE_CHECKING:
    import pandas as pd

NAME = "null"
# The info lists at most this many rows of the most common pattern (the count is exact).
MAX_ROWS_LISTED = 100


def most_common_null_pattern(missing: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The most common missing-cell pattern among rows with any missing cell, and its rows.

    ``missing`` is the N x C boolean matrix of missing cells. Returns ``(None, [])`` when no
    cell is missing. Ties go to the pattern whose first row comes first.

    >>> m = np.array([[0, 0], [1, 0], [0, 1], [0, 1], [1, 0]], bool)
    >>> pattern, rows = most_common_null_pattern(m)
    >>> pattern.tolist(), rows.tolist()
    ([True, False], [1, 4])
    """
    candidates = np.flatnonzero(missing.any(axis=1))
    if len(candidates) == 0:
        return None, candidates
    # One byte string per row keeps np.unique cheap however many columns there are.
    packed = np.ascontiguousarray(np.packbits(missing[candidates], axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    best = np.lexsort((first, -counts))[0]  # most rows first, then earliest first row
    rows = candidates[inverse.ravel() == best]
    return missing[rows[0]].copy(), rows


def null_scores(missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row flags (every cell missing) and scores (fraction of cells present).

    >>> flags, scores = null_scores(np.array([[1, 1], [1, 0], [0, 0]], bool))
    >>> flags.tolist(), scores.tolist()
    ([True, False, False], [0.0, 0.5, 1.0])
    """
    num_cols = missing.shape[1]
    present = num_cols - np.count_nonzero(missing, axis=1)
    return present == 0, present / num_cols


@register(
    NAME,
    description="Rows with missing values in some or all feature columns.",
    needs=("raw_features",),
    needs_labels=False,
)
def run(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    """Run the check on ``inputs.raw_features`` (a DataFrame with its missing values).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1.0, None, None], "b": ["x", "y", None]})
    >>> res = run(CheckInputs(3, ["c"], raw_features=df), {})
    >>> res.is_issue.tolist(), res.summary_score, res.info["most_common_issue"]["columns"]
    ([False, False, True], 0.5, ['a'])
    """
    frame: pd.DataFrame | None = inputs.raw_features
    if frame is None:
        raise CheckSkipped("needs the original feature columns")
    if frame.shape[1] == 0:
        raise CheckSkipped("there are no feature columns to check")
    missing = frame.isna().to_numpy(dtype=bool)
    flags, scores = null_scores(missing)
    columns = [_plain(c) for c in frame.columns]
    pattern, rows = most_common_null_pattern(missing)
    if pattern is None:
        common: dict[str, Any] = {"pattern": "no_null", "columns": [], "rows": [], "count": 0}
    else:
        common = {
            "pattern": "".join("1" if v else "0" for v in pattern),
            "columns": [c for c, v in zip(columns, pattern) if v],
            "rows": rows[:MAX_ROWS_LISTED].tolist(),
            "count": int(len(rows)),
        }
    impact = missing.mean(axis=0)
    info = {
        "average_null_score": float(scores.mean()),
        "num_rows_all_null": int(np.count_nonzero(flags)),
        "num_rows_some_null": int(np.count_nonzero(missing.any(axis=1) & ~flags)),
        "most_common_issue": common,
        "column_impact": {str(c): float(v) for c, v in zip(columns, impact)},
    }
    return CheckResult(NAME, flags, scores, float(scores.mean()), info)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
