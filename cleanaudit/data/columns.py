"""Column checks made while loading: repeated header names, and columns of nested values.

Both are traps a table can hold that would otherwise end in a wrong result or a crash far
from the cause: pandas renames a repeated CSV header ``x1`` to ``x1.1`` without a word, and a
Parquet list or struct column reaches the encoders as unhashable Python objects.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from cleanaudit.errors import InputError, name_list

_MANGLED = re.compile(r"^(?P<base>.*)\.(?P<n>[0-9]+)$")
_NESTED_TYPES = (list, tuple, dict, set, np.ndarray)


def check_repeated_header(
    table: pd.DataFrame, source: Path | io.BytesIO, *, sep: str, compression: str | None, name: str
) -> None:
    """Refuse a CSV whose header repeats a name (pandas would quietly rename the copy ``name.1``).

    The header is read raw only when a column looks renamed, so ordinary files pay nothing.

    >>> frame = pd.read_csv(io.BytesIO(b"x1,x1,y\\n1,2,a\\n"))
    >>> source = io.BytesIO(b"x1,x1,y\\n1,2,a\\n")
    >>> check_repeated_header(frame, source, sep=",", compression=None, name="t.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cleanaudit.errors.InputError: t.csv has repeated column names in its header: x1 (twice); rename them ...
    """
    columns = [str(c) for c in table.columns]
    suspicious = [c for c in columns if (m := _MANGLED.match(c)) and m["base"] in columns]
    if not suspicious:
        return
    if isinstance(source, io.BytesIO):
        source.seek(0)
    header = (
        pd.read_csv(source, sep=sep, compression=compression, header=None, nrows=1, dtype=str, keep_default_na=False)
        .iloc[0]
        .tolist()
    )
    repeated = {n: c for n, c in Counter(header).items() if c > 1}
    if repeated and not all(is_number(h) for h in header):  # all numbers: a headerless file's first row
        listed = name_list([f"{n} ({_times(c)})" for n, c in repeated.items()])
        raise InputError(
            f"{name} has repeated column names in its header: {listed}",
            hint="rename them so each column has its own name",
        )


def nested_columns(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """The ``columns`` holding lists, arrays, structs or sets (Parquet nested types) rather than scalars.

    >>> nested_columns(pd.DataFrame({"a": [1, 2], "b": [[1], [2]], "c": ["x", None]}), ["a", "b", "c"])
    ['b']
    """
    found = []
    for column in columns:
        values = frame[column]
        if values.dtype != object:
            continue
        present = values.dropna()
        if len(present) and present.map(lambda v: isinstance(v, _NESTED_TYPES)).any():
            found.append(column)
    return found


def refuse_nested(frame: pd.DataFrame, column: str | None, *, what: str, option: str, where: str) -> None:
    """A label or id column must hold one scalar per row."""
    if column is not None and nested_columns(frame, [column]):
        raise InputError(
            f"{what} '{column}' in {where} holds lists or structs, not one value per row",
            hint=f"pass {option} a column with one plain value per row",
        )


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a number (header cells of files written without a header).

    >>> is_number("0.5"), is_number("x1")
    (True, False)
    """
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"
