"""Read label issues found earlier (``clean --label-issues FILE``), e.g. ``issues.parquet`` from find-issues or audit.

The file's rows are matched to the data by ``id`` when the data has an ``--id-column``, else by
``row`` (0-based position). With an ``is_label_issue`` column its True rows are the issues;
without one, every listed row is an issue. ``given_label``, when present, must agree with the
data (the file was made from these labels); ``label_quality`` (or audit's ``label_score``) and
``predicted_label`` are kept for the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cleanaudit.errors import InputError

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset

_HINT = "pass the issues.parquet/issues.csv that find-issues or audit wrote (--out DIR) for this same data"


@dataclass
class LabelIssues:
    """Per data row: whether it is a label issue, its label quality and suggested class code (-1 = none)."""

    is_issue: np.ndarray
    label_quality: np.ndarray  # NaN where the file has none
    suggested: np.ndarray
    source: str


def read_label_issues(path: str | Path, dataset: Dataset) -> LabelIssues:
    """Read a label-issues table and align it with ``dataset``'s rows (``InputError`` when it does not match).

    >>> read_label_issues("out/issues.parquet", dataset).is_issue.sum()  # doctest: +SKIP
    np.int64(64)
    """
    from cleanaudit.data.load import read_table

    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"label-issues file {name} not found", hint="check the --label-issues path")
    table = read_table(path)
    table.columns = [str(c) for c in table.columns]
    table = _analysed_rows(table, dataset)
    positions = _positions(table, dataset, name)
    n = dataset.num_examples
    flags = _flags(table, name)
    is_issue = np.zeros(n, dtype=bool)
    is_issue[positions[flags]] = True
    _check_given_labels(table, positions, dataset, name)
    quality = np.full(n, np.nan)
    for column in ("label_quality", "label_score"):
        if column in table.columns and pd.api.types.is_numeric_dtype(table[column].dtype):
            quality[positions] = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
            break
    suggested = np.full(n, -1, dtype=np.intp)
    if "predicted_label" in table.columns:
        codes = {str(c): k for k, c in enumerate(dataset.class_names)}
        suggested[positions] = [codes.get(str(v), -1) for v in table["predicted_label"]]
    return LabelIssues(is_issue, quality, suggested, name)


def _positions(table: pd.DataFrame, dataset: Dataset, name: str) -> np.ndarray:
    """Data row positions of the file's rows, by id (when the data has ids) or by row."""
    n = dataset.num_examples
    if dataset.ids is not None and "id" in table.columns:
        index = {str(v): i for i, v in enumerate(dataset.ids)}
        keys = [str(v) for v in table["id"]]
        missing = [k for k in keys if k not in index]
        if missing:
            raise InputError(
                f"label-issues file {name} lists {len(missing)} id(s) not in the data's "
                f"--id-column '{dataset.id_column}' (e.g. {missing[0]})",
                hint=_HINT,
            )
        positions = np.array([index[k] for k in keys], dtype=np.intp)
    elif "row" in table.columns:
        # 'row' is the input row (rows left out of the analysis keep their place in the file)
        total = dataset.num_input_rows
        rows = pd.to_numeric(table["row"], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(rows) | (rows != np.round(rows)) | (rows < 0) | (rows >= total)
        if bad.any():
            raise InputError(
                f"label-issues file {name} has {int(bad.sum())} 'row' value(s) that are not row "
                f"positions 0..{total - 1} of the data (e.g. {table['row'].iloc[int(np.argmax(bad))]})",
                hint=_HINT,
            )
        analysed_row = np.full(total, -1, dtype=np.intp)  # input row -> row of the analysed data
        analysed_row[dataset.row_positions] = np.arange(n)
        positions = analysed_row[rows.astype(np.intp)]
    else:
        raise InputError(
            f"label-issues file {name} has neither a 'row' nor an 'id' column to match the data", hint=_HINT
        )
    if len(np.unique(positions)) < len(positions):
        raise InputError(f"label-issues file {name} lists some rows more than once", hint=_HINT)
    return positions


def _analysed_rows(table: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """The file's rows about rows analysed here: a row left out (no label, rare class) is never judged."""
    if dataset.not_analysed is None or not dataset.not_analysed.count:
        return table
    if dataset.ids is not None and "id" in table.columns:
        left_out = {str(v) for v in dataset.not_analysed.row_ids()}
        keep = ~table["id"].astype(str).isin(left_out)
    elif "row" in table.columns:
        rows = pd.to_numeric(table["row"], errors="coerce")
        keep = ~rows.isin(dataset.not_analysed.positions)
    else:
        return table
    return table[keep.to_numpy()].reset_index(drop=True)


def _flags(table: pd.DataFrame, name: str) -> np.ndarray:
    if "is_label_issue" not in table.columns:
        return np.ones(len(table), dtype=bool)
    column = table["is_label_issue"]
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.to_numpy(dtype=bool)
    text = column.astype(str).str.strip().str.lower()
    known = text.isin(["true", "false", "1", "0"])
    if not known.all():
        raise InputError(
            f"label-issues file {name}: column 'is_label_issue' holds {column[~known].iloc[0]!r}, not True/False",
            hint=_HINT,
        )
    return text.isin(["true", "1"]).to_numpy()


def _check_given_labels(table: pd.DataFrame, positions: np.ndarray, dataset: Dataset, name: str) -> None:
    if "given_label" not in table.columns:
        return
    ours = np.array([str(dataset.class_names[k]) for k in dataset.labels], dtype=object)[positions]
    theirs = table["given_label"].astype(str).to_numpy(dtype=object)
    differ = np.flatnonzero(ours != theirs)
    if differ.size:
        i = int(differ[0])
        raise InputError(
            f"label-issues file {name} was made from other labels: {differ.size} row(s) differ "
            f"(row {int(positions[i])}: file {theirs[i]!r}, data {ours[i]!r})",
            hint=_HINT + " and --label column",
        )
