"""Column roles: what each feature column is, decided from its values before anything is encoded.

A role says how a column is encoded (:mod:`cleanaudit.data.features`): ``numeric``, ``boolean``,
``datetime`` (also text that reads as dates), ``categorical``, ``text`` (free text: many distinct,
multi-word values) or ``embedding`` (a Parquet list column of number vectors of one length).
Every decision is cheap on large tables (a fixed, evenly spaced sample where values must be
looked at one by one), so the same table always gets the same roles.

:func:`plan_columns` also decides which columns to leave out of the features, each with a note:
identifiers, one-to-one copies of the label, nested values that are not vectors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from cleanaudit.data.columns import parse_dates, vector_length
from cleanaudit.errors import name_list as _names
from cleanaudit.events import Note

ROLES: tuple[str, ...] = ("numeric", "boolean", "datetime", "categorical", "text", "embedding")
ROLES_ATTR = "cleanaudit_roles"  # DataFrame.attrs key: the load-time roles travel with the features
MAX_CATEGORIES = 200  # one-hot columns per categorical column at most (the rarer values share one)
MIN_CATEGORY_ROWS = 10  # above the cap, a value needs this many rows to keep a column of its own
TEXT_MIN_WORDS = 3  # median words per value for free text
TEXT_MIN_WORDS_MANY = 2  # ...or this many when there are more distinct values than one-hot keeps (names, titles)
TEXT_MIN_DISTINCT = 0.5  # ...and this share of distinct values (or more distinct values than the cap)
ID_MIN_ROWS = 20  # fewer rows cannot tell an id from a feature
LEAK_MIN_ROWS = 20  # rows with both values present before a column can be called a copy of the label
ID_MIN_DISTINCT = 0.99  # share of the rows with a value of their own
SAMPLE = 2000  # values looked at one by one (word counts, nested types)
_ID_NAME = re.compile(
    r"^(id|ids|idx|index|row|rows|row_?id|row_?num(ber)?|rownum|key|uuid|guid|unnamed:? ?\d+)$"
    r"|(_|-|\s|\.)(id|idx|uuid|guid|key)$",
    re.IGNORECASE,
)
_CAMEL_ID = re.compile(r"[a-z0-9](Id|ID|Uuid|UUID|Key)$")  # customerId, PassengerID (not "paid", "valid")


def is_id_name(name: str) -> bool:
    """Whether a column name says it holds ids.

    >>> [is_id_name(n) for n in ("id", "user_id", "PassengerId", "Unnamed: 0", "paid", "width")]
    [True, True, True, True, False, False]
    """
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name))


@dataclass
class ColumnPlan:
    """The feature columns kept, their roles, the feature table (dates parsed) and the notes."""

    columns: list[str]
    roles: dict[str, str]
    features: pd.DataFrame
    left_out: dict[str, str] = field(default_factory=dict)  # column -> why (id_like, leakage, nested)
    kept_anyway: dict[str, str] = field(default_factory=dict)  # --features columns that would be left out


def column_role(values: pd.Series) -> str | None:
    """The role of one column from its values; ``None`` for nested values that are not number vectors.

    >>> [column_role(pd.Series(v)) for v in ([1.5, 2.0], [True, False], ["a", "b"], ["2024-01-01", "2024-02-01"])]
    ['numeric', 'boolean', 'categorical', 'datetime']
    """
    return _decide(values)[0]


def decide_roles(features: pd.DataFrame) -> dict[str, str]:
    """The role of every feature column (nested columns that are not number vectors have none).

    >>> decide_roles(pd.DataFrame({"x": [1.0, 2.0], "v": [[0.1, 0.2], [0.3, 0.4]], "s": [{"a": 1}, {"a": 2}]}))
    {'x': 'numeric', 'v': 'embedding'}
    """
    roles = {}
    for name in features.columns:
        role = column_role(features[name])
        if role is not None:
            roles[str(name)] = role
    return roles


def roles_for(features: pd.DataFrame, roles: dict[str, str] | None = None) -> dict[str, str]:
    """``roles`` when given, else those decided at load (``features.attrs``), else decided now.

    >>> roles_for(pd.DataFrame({"x": [1.0]}), None)
    {'x': 'numeric'}
    """
    given = bool(roles)  # an empty dict (a Dataset built by hand) counts as not given
    known = dict(roles if given else features.attrs.get(ROLES_ATTR) or {})
    missing = [c for c in features.columns if str(c) not in known]
    if missing and not given:
        known.update(decide_roles(features[missing]))
    return {str(c): known[str(c)] for c in features.columns if str(c) in known}


def is_free_text(values: pd.Series) -> bool:
    """Many distinct multi-word values (sentences, reviews, names), not a handful of repeated labels.

    Values of two words count too when there are more of them than one-hot encoding keeps (car
    models, product titles): as categories most would share one column, as text their words
    ("toyota", "deluxe") still inform the model.

    >>> is_free_text(pd.Series([f"review number {i} was fine" for i in range(30)]))
    True
    >>> is_free_text(pd.Series(["new york city", "los angeles area"] * 15))
    False
    >>> two_words, one_word = pd.Series([f"model {i}" for i in range(300)]), pd.Series([f"m{i}" for i in range(300)])
    >>> is_free_text(two_words), is_free_text(one_word)
    (True, False)
    """
    present = values.dropna()
    if not len(present):
        return False
    distinct = present.nunique()
    if distinct < 2 or (distinct < TEXT_MIN_DISTINCT * len(present) and distinct <= MAX_CATEGORIES):
        return False
    words = _sample(present).astype(str).str.split().map(len)
    needed = TEXT_MIN_WORDS_MANY if distinct > MAX_CATEGORIES else TEXT_MIN_WORDS
    return bool(words.median() >= needed)


def is_id_like(values: pd.Series, name: str, role: str | None) -> bool:
    """An integer or text column that identifies rows: (nearly) unique and a sequence, an id name, or plain text.

    >>> is_id_like(pd.Series(range(100)), "n", "numeric"), is_id_like(pd.Series(np.arange(100) * 1.5), "x", "numeric")
    (True, False)
    """
    if len(values) < ID_MIN_ROWS or role not in ("numeric", "categorical"):
        return False
    present = values.dropna()
    if present.nunique() < ID_MIN_DISTINCT * len(values):
        return False
    if role == "categorical":
        return True  # unique values that are not free text, numbers or dates: codes, names, keys
    if not pd.api.types.is_integer_dtype(values.dtype):
        return False  # a unique float is a measurement, not an id
    return is_id_name(str(name)) or is_sequence(present.to_numpy(dtype=np.int64))


def is_sequence(numbers: np.ndarray) -> bool:
    """Distinct integers that fill a range with one step (a row number, perhaps with some rows removed).

    >>> is_sequence(np.array([3, 1, 2, 5])), is_sequence(np.array([10, 400, 23, 7000]))
    (True, False)
    """
    distinct = np.unique(numbers)
    if len(distinct) < 2:
        return False
    step = int(np.diff(distinct).min())
    return (int(distinct[-1]) - int(distinct[0])) / step <= 1.5 * (len(distinct) - 1)


def copies_label(label: pd.Series, values: pd.Series) -> bool:
    """Whether ``values`` is a one-to-one recoding of ``label`` (on the rows where both are present).

    Every class must appear on those rows, each with one value of its own, and each value with one class.

    >>> y = pd.Series(["a", "b", "a", "c"] * 5)
    >>> copies_label(y, pd.Series([0, 1, 0, 2] * 5)), copies_label(y, pd.Series([0, 1, 1, 2] * 5))
    (True, False)
    """
    both = (label.notna() & values.notna()).to_numpy()
    if both.sum() < LEAK_MIN_ROWS:  # on a handful of rows a one-to-one match is mere chance
        return False
    try:
        classes, codes = label.nunique(), values[both].nunique()
        if classes < 2 or codes != classes or label[both].nunique() != classes:
            return False
        pairs = pd.DataFrame({"y": label[both].to_numpy(), "x": values[both].to_numpy()}).drop_duplicates()
    except TypeError:  # unhashable values (lists): no recoding
        return False
    return len(pairs) == classes


def plan_columns(frame: pd.DataFrame, columns: Sequence[str], *, label: str, chosen: bool) -> ColumnPlan:
    """Roles of ``columns`` and which to leave out; ``chosen`` (``--features``) keeps every column.

    >>> frame = pd.DataFrame({"row": range(30), "x": np.linspace(0, 1, 30), "y": ["a", "b", "c"] * 10})
    >>> plan = plan_columns(frame, ["row", "x"], label="y", chosen=False)
    >>> plan.columns, plan.roles, plan.left_out
    (['x'], {'x': 'numeric'}, {'row': 'id_like'})
    """
    kept, roles, left_out, kept_anyway, parsed = [], {}, {}, {}, {}
    for name in columns:
        values = frame[name]
        role, dates = _decide(values)
        why = None
        if role is None:
            why = "nested"
        elif is_id_like(values, name, role):
            why = "id_like"
        elif copies_label(frame[label], values):
            why = "leakage"
        if why is not None and not (chosen and role is not None):
            left_out[name] = why
            continue
        if why is not None:
            kept_anyway[name] = why
        kept.append(name)
        roles[name] = cast(str, role)
        if dates is not None:
            parsed[name] = dates
    features = frame[kept].copy() if parsed else frame[kept]
    for name, dates in parsed.items():
        features[name] = dates
    features.attrs = {ROLES_ATTR: dict(roles)}
    return ColumnPlan(kept, roles, features, left_out, kept_anyway)


def kept_categories(counts: Sequence[int]) -> int:
    """How many of a column's categories (row counts, most frequent first) get a one-hot column of their own.

    All of them up to ``MAX_CATEGORIES``; above it, those with ``MIN_CATEGORY_ROWS`` rows or more, at most
    ``MAX_CATEGORIES - 1`` (the rest share one column), as scikit-learn's ``OneHotEncoder`` does.

    >>> kept_categories([50] * 10), kept_categories([50] * 150 + [3] * 100), kept_categories([1] * 500)
    (10, 150, 0)
    """
    if len(counts) <= MAX_CATEGORIES:
        return len(counts)
    return min(sum(1 for c in counts if c >= MIN_CATEGORY_ROWS), MAX_CATEGORIES - 1)


def category_counts(values: pd.Series) -> list[int]:
    """Rows per category, most frequent first; missing values count as one category of their own."""
    return [int(c) for c in values.astype(object).where(values.notna(), None).value_counts(dropna=False)]


def _decide(values: pd.Series) -> tuple[str | None, pd.Series | None]:
    """(role, the column parsed as datetimes when it is text that reads as dates)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean", None
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric", None
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return "datetime", None
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical", None
    if values.dtype.kind == "O" and bool(values.dropna().map(_is_nested).any()):
        return ("embedding" if vector_length(values) else None), None
    dates = parse_dates(values)
    if dates is not None:
        return "datetime", dates
    return ("text" if is_free_text(values) else "categorical"), None


def _is_nested(value: object) -> bool:
    return isinstance(value, (list, tuple, dict, set, np.ndarray))


def _sample(values: pd.Series) -> pd.Series:
    """At most ``SAMPLE`` values, evenly spaced: the same column always gives the same sample."""
    if len(values) <= SAMPLE:
        return values
    return values.iloc[np.linspace(0, len(values) - 1, SAMPLE).astype(int)]


def plan_notes(plan: ColumnPlan, frame: pd.DataFrame, *, where: str) -> list[Note]:
    """The notes of a plan: columns left out (and why), and how dates, text, categories and vectors are encoded."""
    from cleanaudit.data.text import TEXT_DISTANCE_COMPONENTS, TEXT_MAX_TERMS

    notes = [_left_out_note(name, why, frame[name], where) for name, why in plan.left_out.items()]
    for name, why in plan.kept_anyway.items():
        reason = "is a one-to-one recoding of the label" if why == "leakage" else "looks like a row id"
        notes.append(
            Note(
                "leakage" if why == "leakage" else "id_like_column",
                f"feature column {name} of {where} {reason}; kept because --features names it"
                + (", but it hides every label error" if why == "leakage" else ""),
                columns=(name,),
            )
        )
    by_role = {role: [c for c in plan.columns if plan.roles[c] == role] for role in ROLES}
    if by_role["datetime"]:
        parsed = [c for c in by_role["datetime"] if not pd.api.types.is_datetime64_any_dtype(frame[c].dtype)]
        read = f" (read from text: {_names(parsed)})" if parsed else ""
        notes.append(
            Note(
                "datetime_column",
                f"date/time column(s) {_names(by_role['datetime'])} of {where}{read} are encoded as seconds "
                "since 1970-01-01 UTC plus the calendar parts that vary (year, month, day, weekday, hour, ...)",
                columns=tuple(by_role["datetime"]),
            )
        )
    if by_role["text"]:
        notes.append(
            Note(
                "text_column",
                f"free-text column(s) {_names(by_role['text'])} of {where} are encoded as text: TF-IDF of words "
                f"and character n-grams (at most {TEXT_MAX_TERMS} terms each) for the model, reduced to "
                f"{TEXT_DISTANCE_COMPONENTS} dimensions (TruncatedSVD) for the neighbour graph",
                columns=tuple(by_role["text"]),
            )
        )
    for name in by_role["categorical"]:
        counts = category_counts(plan.features[name])
        kept = kept_categories(counts)
        if kept < len(counts):
            rest = sum(counts[kept:])
            notes.append(
                Note(
                    "capped_categories",
                    f"column {name} of {where} has {len(counts)} categories: the {kept} with at least "
                    f"{MIN_CATEGORY_ROWS} rows get a feature of their own (at most {MAX_CATEGORIES - 1}); the other "
                    f"{len(counts) - kept} ({rest} rows) share one",
                    columns=(name,),
                )
            )
    if by_role["embedding"]:
        vectors = by_role["embedding"]
        others = [c for c in plan.columns if c not in vectors]
        also = f"; the other columns ({_names(others)}) feed only the model" if others else ""
        notes.append(
            Note(
                "embedding_column",
                f"vector column(s) {_names(vectors)} of {where} are embeddings: expanded to their dimensions for "
                f"the model, and the neighbour graph (outliers, near duplicates, non-IID, ...) uses them alone, "
                f"unit-normalised (cosine distance){also}; a missing vector is imputed with the mean vector",
                columns=tuple(vectors),
            )
        )
    return notes


def _left_out_note(name: str, why: str, values: pd.Series, where: str) -> Note:
    keep = f"pass --features with it to keep it, or --ignore {name} to silence this note"
    if why == "nested":
        return Note(
            "columns_left_out",
            f"left out column {name} of {where}: it holds nested values (structs, lists of text or of "
            "different lengths), which cannot be used as features; only lists of numbers of one length are "
            "read (as embeddings)",
            columns=(name,),
        )
    if why == "leakage":
        return Note(
            "leakage",
            f"left out column {name} of {where}: it is a one-to-one recoding of the label (each class has its "
            "own value), so a model would copy it and every label error would be hidden; " + keep,
            columns=(name,),
        )
    numbers = values.dropna()
    if pd.api.types.is_integer_dtype(values.dtype) and is_sequence(numbers.to_numpy(dtype=np.int64)):
        how = f"distinct integers in sequence ({numbers.min()}..{numbers.max()}), like a row number"
    elif pd.api.types.is_integer_dtype(values.dtype):
        how = "distinct integers under an id-like name"
    else:
        how = "a different value in (nearly) every row, like an id"
    return Note(
        "id_like_column",
        f"left out column {name} of {where}: {how}; a model can only memorise it and the neighbour graph "
        f"would order rows by it; pass --id-column {name} to use it as row ids, or " + keep,
        columns=(name,),
    )
