"""Rows whose label cannot be analysed: missing labels, and classes too small for the folds.

A row with no label (empty, blank or NaN) cannot be audited, and a class with fewer rows than
the cross-validation folds cannot be cross-validated. By default such rows are left out of the
analysis with a note (``missing_labels``, ``rare_classes``); they are never lost: the
:class:`NotAnalysed` record of the :class:`~cleanaudit.data.dataset.Dataset` keeps each one's
file position, id, label value and reason, the reports list them and ``clean`` passes them
through unchanged. ``"error"`` refuses instead, with one line naming them all.

>>> import pandas as pd
>>> from cleanaudit.data.frame import dataset_from_frame
>>> ds = dataset_from_frame(pd.DataFrame({"x": [1.0, 2, 3, 4, 5], "y": ["a", None, "b", "a", " "]}), label="y")
>>> ds.labels.tolist(), ds.row_ids.tolist(), ds.not_analysed.payload()["rows"][0]
([0, 1, 0], [0, 2, 3], {'row': 1, 'id': 1, 'label': None, 'reason': 'missing_label'})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cleanaudit.data.dataset import NotAnalysed
from cleanaudit.errors import InputError
from cleanaudit.events import Note

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset

__all__ = ["NotAnalysed", "ON_BAD_LABELS", "MISSING_LABEL", "RARE_CLASS"]  # NotAnalysed lives with the Dataset

ON_BAD_LABELS = ("skip", "error")  # what --on-missing-label and --on-rare-class may say
MISSING_LABEL = "missing_label"
RARE_CLASS = "rare_class"
PREVIEW = 5  # rows or classes named in a sentence; the record keeps them all


def not_analysed_payload(dataset: Dataset) -> dict[str, Any]:
    """The JSON ``not_analysed`` object of ``dataset`` (count 0 and no rows when every row was analysed).

    >>> from cleanaudit.data.frame import dataset_from_frame
    >>> not_analysed_payload(dataset_from_frame(pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}), label="y"))
    {'count': 0, 'by_reason': {}, 'rows': []}
    """
    record = dataset.not_analysed
    return record.payload() if record is not None else {"count": 0, "by_reason": {}, "rows": []}


def missing_label_mask(values: pd.Series) -> np.ndarray:
    """True where a label is missing: NaN/None, or text that is empty or only whitespace.

    >>> missing_label_mask(pd.Series(["a", "", "  ", None, "b"])).tolist()
    [False, True, True, True, False]
    """
    missing = np.array(values.isna(), dtype=bool)  # a copy: pandas may hand out read-only arrays
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        text = values[~missing]
        blank = text.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
        missing[np.flatnonzero(~missing)[blank]] = True
    return missing


def split_missing_labels(
    values: pd.Series, ids: np.ndarray | None, *, column: str, where: str, on_missing: str = "skip"
) -> tuple[np.ndarray, NotAnalysed | None, Note | None]:
    """Which rows have a label (a mask), the record and note of those that do not.

    ``on_missing="error"`` raises ``InputError`` instead when any label is missing; a table with
    no label at all is always refused.
    """
    _check_choice(on_missing, "--on-missing-label")
    missing = missing_label_mask(values)
    if not missing.any():
        return ~missing, None, None
    rows = np.flatnonzero(missing)
    what = f"label column '{column}' in {where}"
    if on_missing == "error":
        raise InputError(
            f"{what} has {len(rows)} missing value(s) (rows {_preview(rows)})",
            hint="drop those rows or fill in their labels, or pass --on-missing-label skip to leave them out",
        )
    if len(rows) == len(values):
        raise InputError(
            f"{what} has no labels: all {len(rows)} row(s) are empty",
            hint="check the --label column (it must hold the class of each row)",
        )
    record = NotAnalysed(rows, ids[rows] if ids is not None else None, [None] * len(rows), [MISSING_LABEL] * len(rows))
    note = Note(
        "missing_labels",
        f"left out {len(rows)} of {len(values)} row(s) of {where} with no label in '{column}' "
        f"(rows {_preview(rows)}); they are reported as not analysed",
        columns=(column,),
        details={"count": len(rows), "rows": rows[:PREVIEW].tolist()},
    )
    return ~missing, record, note


def rare_classes(labels: np.ndarray, class_names: Sequence[Any], cv: int) -> list[tuple[Any, int]]:
    """Every class with fewer rows than ``cv`` folds, as (name, count), in class order.

    >>> rare_classes(np.array([0, 0, 0, 1, 2, 2]), ["a", "b", "c"], 3)
    [('b', 1), ('c', 2)]
    """
    counts = np.bincount(np.asarray(labels, dtype=np.intp), minlength=len(class_names))
    return [(class_names[int(k)], int(counts[k])) for k in np.flatnonzero(counts < cv)]


def describe_classes(found: Sequence[tuple[Any, int]]) -> str:
    """``'b' (1 row), 'c' (2 rows)``."""
    return ", ".join(f"{name!r} ({count} row{'' if count == 1 else 's'})" for name, count in found)


def leave_out_rare_classes(
    dataset: Dataset, *, cv: int, on_rare_class: str = "skip", where: str | None = None
) -> tuple[Dataset, Note | None]:
    """``dataset`` without the rows of classes too small for ``cv`` folds, and the ``rare_classes`` note.

    ``on_rare_class="error"`` raises ``InputError`` listing every such class; fewer than two
    classes left is always refused.

    >>> from cleanaudit.data.frame import dataset_from_frame
    >>> ds = dataset_from_frame(pd.DataFrame({"x": range(7), "y": list("aaabbbc")}), label="y")
    >>> kept, note = leave_out_rare_classes(ds, cv=3)
    >>> kept.class_names, kept.row_ids.tolist(), kept.not_analysed.reasons
    (['a', 'b'], [0, 1, 2, 3, 4, 5], ['rare_class'])
    """
    _check_choice(on_rare_class, "--on-rare-class")
    found = rare_classes(dataset.labels, dataset.class_names, cv)
    if not found:
        return dataset, None
    where = where or (", ".join(str(p) for p in dataset.paths) or "the data")
    listed = describe_classes(found)
    what = f"{len(found)} class(es) of '{dataset.label_column}' in {where} have fewer rows than the {cv} folds"
    left = dataset.num_classes - len(found)
    fewest = min(c for _, c in found)
    fewer = f"use --cv {fewest} or fewer folds, " if fewest >= 2 else "a class needs at least 2 rows; "
    if on_rare_class == "error":
        raise InputError(
            f"{what}: {listed}",
            hint=f"{fewer}merge or relabel them, or pass --on-rare-class skip to leave them out",
        )
    if left < 2:
        raise InputError(
            f"{what} ({listed}): leaving them out would leave {left} class",
            hint=f"an audit needs two classes with enough rows; {fewer}or add rows to the small classes",
        )
    kept = leave_out_classes(dataset, [dataset.class_names.index(name) for name, _ in found], reason=RARE_CLASS)
    rows = dataset.num_examples - kept.num_examples
    note = Note(
        "rare_classes",
        f"left out {len(found)} class(es) with fewer rows than the {cv} cross-validation folds, "
        f"{rows} row(s) of {where} in all: {listed}; their rows are reported as not analysed",
        columns=(dataset.label_column,),
        details={"classes": [{"class": _plain(n), "count": c} for n, c in found], "cv": cv},
    )
    return kept, note


def leave_out_classes(dataset: Dataset, codes: Sequence[int], *, reason: str = RARE_CLASS) -> Dataset:
    """``dataset`` without the rows of classes ``codes``; those classes leave ``class_names`` too."""
    dropped = np.isin(dataset.labels, np.asarray(codes, dtype=np.intp))
    if not len(codes):  # a class with no rows (the annotators' vote never names it) still leaves class_names
        return dataset
    rows = np.flatnonzero(dropped)
    names = np.asarray(dataset.class_names, dtype=object)
    record = NotAnalysed(
        dataset.row_positions[rows],
        dataset.ids[rows] if dataset.ids is not None else None,
        [_plain(v) for v in names[dataset.labels[rows]]],
        [reason] * len(rows),
    )
    kept_codes = [k for k in range(dataset.num_classes) if k not in set(int(c) for c in codes)]
    new_code = np.full(dataset.num_classes, -1, dtype=np.intp)
    new_code[kept_codes] = np.arange(len(kept_codes))
    subset = take_rows(dataset, ~dropped)
    return replace(
        subset,
        labels=new_code[subset.labels],
        class_names=[dataset.class_names[k] for k in kept_codes],
        not_analysed=record.joined(dataset.not_analysed),
    )


def take_rows(dataset: Dataset, keep: np.ndarray) -> Dataset:
    """The rows of ``dataset`` where ``keep`` is True (labels keep their codes; positions follow)."""
    keep = np.asarray(keep, dtype=bool)
    rows = np.flatnonzero(keep)
    return replace(
        dataset,
        frame=dataset.frame.iloc[rows].reset_index(drop=True),
        features=dataset.features.iloc[rows].reset_index(drop=True),
        labels=dataset.labels[rows],
        ids=dataset.ids[rows] if dataset.ids is not None else None,
        positions=dataset.row_positions[rows],
        source_frame=dataset.source_frame if dataset.source_frame is not None else dataset.frame,
    )


def full_file_columns(dataset: Dataset, columns: dict[str, Any]) -> dict[str, Any]:
    """Per-row ``columns`` of the analysed rows spread over every input row (``issues.csv``).

    ``row``, ``id`` and ``analysed`` come first; a row not analysed has ``analysed`` False, its
    reason in ``not_analysed_reason`` and empty cells elsewhere (NaN, ``None``; flags False).

    >>> from cleanaudit.data.frame import dataset_from_frame
    >>> ds = dataset_from_frame(pd.DataFrame({"x": [1, 2, 3], "y": ["a", None, "b"]}), label="y")
    >>> full = full_file_columns(ds, {"is_label_issue": np.array([True, False])})
    >>> full["row"].tolist(), full["analysed"].tolist(), full["is_label_issue"].tolist()
    ([0, 1, 2], [True, False, True], [True, False, False])
    """
    record = dataset.not_analysed
    total = dataset.num_examples + (record.count if record is not None else 0)
    positions = dataset.row_positions
    ids = np.empty(total, dtype=object)
    ids[positions] = list(dataset.row_ids)
    analysed = np.zeros(total, dtype=bool)
    analysed[positions] = True
    reason = np.full(total, None, dtype=object)
    if record is not None:
        ids[record.positions] = list(record.row_ids())
        reason[record.positions] = record.reasons
    out: dict[str, Any] = {"row": np.arange(total), "id": _typed(ids), "analysed": analysed}
    for name, values in columns.items():
        out[name] = _spread(np.asarray(values), positions, total)
    out["not_analysed_reason"] = reason
    return out


def _spread(values: np.ndarray, positions: np.ndarray, total: int) -> np.ndarray:
    if values.dtype == bool:
        full = np.zeros(total, dtype=bool)
    elif values.dtype.kind == "f":
        full = np.full(total, np.nan, dtype=values.dtype)
    else:
        full = np.full(total, None, dtype=object)
    full[positions] = values
    return full


def _typed(values: np.ndarray) -> np.ndarray:
    """Object ids back to their own dtype when they share one (ints stay ints in Parquet)."""
    try:
        return np.asarray(values.tolist())
    except (TypeError, ValueError):
        return values


def _check_choice(value: str, option: str) -> None:
    if value not in ON_BAD_LABELS:
        from cleanaudit.errors import ConfigError

        raise ConfigError(
            f"{option} must be one of {', '.join(ON_BAD_LABELS)} (got {value!r})", hint=f"pass {option} skip"
        )


def _preview(values: Sequence | np.ndarray, limit: int = PREVIEW) -> str:
    values = list(values)
    shown = ", ".join(str(_plain(v)) for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
