"""Multi-label columns (``--task multilabel``): each row holds a set of labels.

A label column holds, per row, a Parquet/Arrow list (``["billing", "refund"]``) or text split by
``--label-sep`` (``"billing,refund"``). An empty cell, an empty list or empty text means the row
has none of the classes: in multi-label data that is an answer ("no tag applies"), not a missing
label, so the row is audited like any other (a note counts such rows). Labels are stripped of
surrounding spaces and a label given twice in a row counts once. Class names are the sorted
labels, numbers sorted as numbers when every label is a whole number (``"2,10"``), as the
single-label path orders its classes.

>>> import pandas as pd
>>> onehot, names = encode_label_sets(pd.Series(["b,a", "", None, "c, a"]), sep=",")
>>> names, onehot.tolist()
(['a', 'b', 'c'], [[1, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 1]])
>>> label_set_lists(onehot)
[[0, 1], [], [], [0, 2]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cleanaudit.errors import InputError

__all__ = ["encode_label_sets", "label_set_lists", "label_set_names", "format_label_set", "empty_rows"]


def encode_label_sets(
    values: pd.Series, *, sep: str = ",", column: str = "label", where: str = "the data"
) -> tuple[np.ndarray, list]:
    """The (N, K) 0/1 matrix of each row's labels and the sorted class names."""
    if not sep and _has_text(values):
        raise InputError(
            f"--label-sep is empty, so the text labels of column '{column}' in {where} cannot be split",
            hint="give the separator the column uses, e.g. --label-sep ',' or --label-sep '|'",
        )
    rows = [_split(v, sep) for v in values.tolist()]
    tokens = {t for row in rows for t in row}
    if not tokens:
        raise InputError(
            f"label column '{column}' in {where} holds no labels in any row",
            hint="check --label; with --task multilabel each row lists its labels, e.g. 'a,b'",
        )
    as_numbers = _whole_numbers(tokens)
    if as_numbers is not None:
        rows = [[as_numbers[t] for t in row] for row in rows]
        tokens = set(as_numbers.values())
    try:
        class_names = sorted(tokens)
    except TypeError:  # numbers and text mixed in one column: only text sorts them all
        rows = [[str(t) for t in row] for row in rows]
        class_names = sorted({t for row in rows for t in row})
    if len(class_names) < 2:
        raise InputError(
            f"label column '{column}' in {where} has a single class ({class_names[0]!r})",
            hint="a multi-label audit needs at least two classes; check the --label column",
        )
    code = {name: k for k, name in enumerate(class_names)}
    onehot = np.zeros((len(rows), len(class_names)), dtype=np.int8)
    for i, row in enumerate(rows):
        onehot[i, [code[t] for t in row]] = 1
    return onehot, class_names


def label_set_lists(onehot: np.ndarray) -> list[list[int]]:
    """Each row's class codes, ascending: the ``labels`` the multi-label engine takes."""
    return [np.flatnonzero(row).tolist() for row in np.asarray(onehot)]


def label_set_names(onehot_row: np.ndarray, class_names: Sequence) -> list:
    """The class names of one row's set, in class order."""
    return [class_names[int(k)] for k in np.flatnonzero(onehot_row)]


def format_label_set(names: Sequence, sep: str = ",") -> str:
    """A label set as text, as a CSV label cell holds it (``""`` for no labels).

    >>> format_label_set(["billing", "refund"]), format_label_set([])
    ('billing,refund', '')
    """
    return sep.join(str(n) for n in names)


def empty_rows(onehot: np.ndarray) -> np.ndarray:
    """Rows whose set is empty."""
    return np.flatnonzero(np.asarray(onehot).sum(axis=1) == 0)


def _split(value: Any, sep: str) -> list:
    """One cell's labels, stripped, each once, in the order given."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    if isinstance(value, str):
        parts = value.split(sep) if sep else [value]
    elif isinstance(value, (list, tuple, np.ndarray)):
        parts = [v for v in list(value) if not _missing(v)]
    else:  # one scalar label (a number in a column that has no separator anywhere)
        parts = [value.item() if isinstance(value, np.generic) else value]
    cleaned = [p.strip() if isinstance(p, str) else (p.item() if isinstance(p, np.generic) else p) for p in parts]
    return list(dict.fromkeys(p for p in cleaned if not (isinstance(p, str) and not p)))


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _has_text(values: pd.Series) -> bool:
    return any(isinstance(v, str) and v for v in values.tolist())


def _whole_numbers(tokens: set) -> dict | None:
    """Labels -> ints when every label is a whole number (as text or a number), else ``None``."""
    mapped: dict[Any, int] = {}
    for t in tokens:
        if isinstance(t, bool):
            return None
        if isinstance(t, (int, np.integer)):
            mapped[t] = int(t)
        elif isinstance(t, float) and t.is_integer():
            mapped[t] = int(t)
        elif isinstance(t, str) and t.lstrip("-").isdigit():
            mapped[t] = int(t)
        else:
            return None
    return mapped if len(set(mapped.values())) == len(mapped) else None


def label_sets_note(onehot: np.ndarray, column: str) -> list:
    """A note counting the rows with no labels (they are audited: an empty set is an answer)."""
    from cleanaudit.events import Note

    empty = empty_rows(onehot)
    if not len(empty):
        return []
    return [
        Note(
            "empty_label_sets",
            f"{len(empty)} row(s) have no labels in '{column}' (empty cell or list): audited as having none of the "
            "classes, so a class the model finds there is reported as missing",
            columns=(column,),
        )
    ]
