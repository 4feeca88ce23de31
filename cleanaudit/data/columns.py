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


def refuse_nested(
    frame: pd.DataFrame, column: str | None, *, what: str, option: str, where: str, multilabel_hint: bool = False
) -> None:
    """A label or id column must hold one scalar per row (a list label: ``--task multilabel``)."""
    if column is not None and nested_columns(frame, [column]):
        also = "; if each row holds a set of labels, add --task multilabel" if multilabel_hint else ""
        raise InputError(
            f"{what} '{column}' in {where} holds lists or structs, not one value per row",
            hint=f"pass {option} a column with one plain value per row{also}",
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


def vector_length(values: pd.Series) -> int | None:
    """The length of the vectors in a column of number vectors (an embedding), else ``None``.

    Every present value must be a list or array of at least two real numbers, all of one length;
    missing values (None) are allowed. Ragged lists, lists of strings and structs give ``None``.

    >>> vector_length(pd.Series([[0.1, 0.2], None, np.array([0.3, 0.4])])), vector_length(pd.Series([[1], [1, 2]]))
    (2, None)
    """
    present = values[values.map(lambda v: v is not None and not (isinstance(v, float) and np.isnan(v)))]
    if not len(present) or not present.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).all():
        return None
    lengths = present.map(len)
    if lengths.nunique() != 1 or int(lengths.iloc[0]) < 2:  # one number in a list is no vector
        return None
    try:
        stacked = np.asarray(np.stack([np.asarray(v) for v in present]))
    except (TypeError, ValueError):
        return None
    if stacked.ndim != 2 or not (np.issubdtype(stacked.dtype, np.number) or stacked.dtype == bool):
        return None
    if np.issubdtype(stacked.dtype, np.complexfloating):
        return None
    return int(stacked.shape[1])


def stack_vectors(values: pd.Series, dim: int) -> np.ndarray:
    """An N x ``dim`` float64 matrix of a vector column; a missing vector is a row of NaN (for the imputer).

    >>> stack_vectors(pd.Series([[1, 2], None]), 2).tolist()
    [[1.0, 2.0], [nan, nan]]
    """
    out = np.full((len(values), dim), np.nan, dtype=np.float64)
    for row, value in enumerate(values):
        if isinstance(value, (list, tuple, np.ndarray)) and len(value) == dim:
            out[row] = np.asarray(value, dtype=np.float64)
    return out


# Text date formats tried in order (ISO first); month-first before day-first, as pandas reads them.
DATE_FORMATS: tuple[str, ...] = (
    "ISO8601",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%d-%b-%Y",
    "%Y%m%d %H:%M:%S",
)
DATE_MIN_PARSED = 0.99  # share of the present values that must parse for a text column to be dates
DATE_SAMPLE = 500  # distinct values tried before parsing a whole column
_DATE_YEARS = (1000, 3000)  # parsed years outside these come from a number or code read as a date


def parse_dates(values: pd.Series) -> pd.Series | None:
    """A text column read as datetimes (timezone-aware values in UTC), or ``None`` when it is not dates.

    Nearly every present value must parse with one format; plain numbers and short codes never do.

    >>> parse_dates(pd.Series(["2024-01-05", "2024-02-01", None])).dt.month.tolist()
    [1.0, 2.0, nan]
    >>> parse_dates(pd.Series(["2024", "2025"])) is None, parse_dates(pd.Series(["A-12", "B-7"])) is None
    (True, True)
    """
    present = values.dropna()
    if not len(present) or not all(isinstance(v, str) for v in present.iloc[: DATE_SAMPLE * 4]):
        return None
    text = present.astype(str).str.strip()
    distinct = pd.Series(pd.unique(text))
    if len(distinct) > DATE_SAMPLE:  # evenly spaced, so the same column always gives the same sample
        distinct = distinct.iloc[np.linspace(0, len(distinct) - 1, DATE_SAMPLE).astype(int)]
    if distinct.str.len().median() < 6 or not distinct.str.contains(r"\d").all() or distinct.map(is_number).any():
        return None
    for fmt in DATE_FORMATS:
        if _parsed_share(_to_datetime(distinct, fmt)) >= DATE_MIN_PARSED:
            parsed = _to_datetime(values.where(values.notna(), None).astype(object), fmt)
            if _parsed_share(parsed[values.notna()]) >= DATE_MIN_PARSED:
                return parsed
    return None


def as_utc_naive(values: pd.Series) -> pd.Series:
    """Datetimes as naive UTC (aware ones converted); text is parsed as :func:`parse_dates` does.

    >>> as_utc_naive(pd.Series(pd.to_datetime(["2024-01-01T01:00+01:00"]))).dt.hour.tolist()
    [0]
    """
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = parse_dates(values)
        values = parsed if parsed is not None else pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def _to_datetime(values: pd.Series, fmt: str) -> pd.Series:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format" and the like: the share decides
        try:
            parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        except (ValueError, TypeError):  # mixed time zones: read every value in UTC
            parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    if not pd.api.types.is_datetime64_any_dtype(parsed.dtype):  # mixed offsets left as objects
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC")
    years = parsed.dt.year
    return parsed.where((years >= _DATE_YEARS[0]) & (years < _DATE_YEARS[1]))


def _parsed_share(parsed: pd.Series) -> float:
    return float(parsed.notna().mean()) if len(parsed) else 0.0
