"""Encoding by column role: turn raw feature columns into the numeric matrix a model needs.

Each column is encoded by its role (:mod:`cleanaudit.data.roles`): numbers are imputed with the
median (and scaled on request), booleans become 0/1, datetimes become seconds since the epoch
(UTC) plus the calendar parts that vary, categories are one-hot encoded with missing values as
their own category (above ``MAX_CATEGORIES`` the rare ones share a column), free text becomes
TF-IDF (:mod:`cleanaudit.data.text`) and embeddings their dimensions. Numeric columns come
first, in their original order, with their values unchanged when nothing is missing and nothing
is scaled: a plain model sees the raw floats. With ``roles=None`` the roles decided at load
(kept in ``features.attrs``) are used, else decided from the values the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cleanaudit.data.columns import as_utc_naive, stack_vectors, vector_length
from cleanaudit.data.roles import MAX_CATEGORIES, MIN_CATEGORY_ROWS, ROLES, category_counts, roles_for

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

MISSING = "missing"  # the category that stands for a missing value in a text column
DATE_PARTS: tuple[str, ...] = ("year", "month", "day", "weekday", "hour", "minute")


def column_kinds(features: pd.DataFrame, roles: dict[str, str] | None = None) -> dict[str, list[int]]:
    """Positions of the columns of each role (:data:`cleanaudit.data.roles.ROLES`).

    >>> column_kinds(pd.DataFrame({"a": [1.0], "b": ["x"], "c": [True]}))
    {'numeric': [0], 'boolean': [2], 'datetime': [], 'categorical': [1], 'text': [], 'embedding': []}
    """
    roles = roles_for(features, roles)
    kinds: dict[str, list[int]] = {role: [] for role in ROLES}
    for position, name in enumerate(features.columns):
        role = roles.get(str(name))
        if role is not None:
            kinds[role].append(position)
    return kinds


def build_preprocessor(
    features: pd.DataFrame, *, scale: bool, roles: dict[str, str] | None = None
) -> ColumnTransformer:
    """A ``ColumnTransformer`` that makes ``features`` a dense float matrix (fit it on the training rows).

    ``features`` (all rows) decide what the encoding keeps: the categories above the cap, the
    calendar parts of a date column, the length of a vector column.

    >>> pre = build_preprocessor(pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", None]}), scale=False)
    >>> pre.fit_transform(pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", None]})).tolist()
    [[1.0, 1.0, 0.0, 0.0], [2.0, 0.0, 1.0, 0.0], [3.0, 0.0, 0.0, 1.0]]
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from cleanaudit.data.text import text_pipeline

    def numeric(convert, strategy: str, **options) -> Pipeline:
        steps = [
            ("to_float", FunctionTransformer(convert, **options)),
            # keep_empty_features: an all-missing column stays (as zeros) so the width is stable
            ("impute", SimpleImputer(strategy=strategy, keep_empty_features=True)),
        ]
        return Pipeline(steps + [("scale", StandardScaler())] if scale else steps)

    kinds = column_kinds(features, roles)
    capped = [p for p in kinds["categorical"] if len(category_counts(features.iloc[:, p])) > MAX_CATEGORIES]
    parts = [date_parts(features.iloc[:, p]) for p in kinds["datetime"]]
    blocks: list[tuple[str, object, list[int]]] = [
        ("numeric", numeric(_as_float64, "median", feature_names_out="one-to-one"), kinds["numeric"]),
        ("boolean", numeric(_as_float64, "most_frequent", feature_names_out="one-to-one"), kinds["boolean"]),
        (
            "datetime",
            numeric(_date_features, "median", kw_args={"parts": parts}, feature_names_out=_date_names),
            kinds["datetime"],
        ),
        ("categorical", _one_hot(capped=False), [p for p in kinds["categorical"] if p not in capped]),
        ("capped", _one_hot(capped=True), capped),
    ]
    blocks += [(f"text_{p}", text_pipeline(), [p]) for p in kinds["text"]]
    for p in kinds["embedding"]:
        dim = vector_length(features.iloc[:, p]) or 1
        blocks.append((f"embedding_{p}", numeric(_as_vectors, "mean", kw_args={"dim": dim}), [p]))
    transformers = [(name, block, positions) for name, block, positions in blocks if positions]
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)


def date_parts(values: pd.Series) -> list[str]:
    """The calendar parts (:data:`DATE_PARTS`) that take more than one value in a date column.

    >>> date_parts(pd.Series(pd.to_datetime(["2024-01-01 10:00", "2024-03-01 10:00"])))
    ['month', 'weekday']
    """
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        return []
    dates = as_utc_naive(values).dropna()
    return [part for part in DATE_PARTS if _part(dates, part).nunique() > 1]


def missing_value_summary(features: pd.DataFrame) -> dict[str, int]:
    """Number of missing values per column, for the columns that have any.

    >>> missing_value_summary(pd.DataFrame({"a": [1.0, None], "b": [1, 2]}))
    {'a': 1}
    """
    counts = features.isna().sum()
    return {str(name): int(count) for name, count in counts.items() if count > 0}


def encode_features(features: pd.DataFrame, roles: dict[str, str] | None = None) -> np.ndarray:
    """Dense float64 matrix for distances and projections: imputed, scaled, one-hot, text reduced (unit rows).

    >>> encode_features(pd.DataFrame({"x": [0.0, 2.0]})).tolist()
    [[-1.0], [1.0]]
    """
    from cleanaudit.data.text import text_distance_features

    if features.shape[1] == 0:
        return np.zeros((len(features), 0), dtype=np.float64)
    roles = roles_for(features, roles)
    text = [c for c in features.columns if roles.get(str(c)) == "text"]
    rest = features[[c for c in features.columns if c not in text]]
    blocks = []
    if rest.shape[1]:
        blocks.append(np.asarray(build_preprocessor(rest, scale=True, roles=roles).fit_transform(rest), np.float64))
    blocks += [text_distance_features(features[c]) for c in text]
    return np.hstack(blocks) if blocks else np.zeros((len(features), 0), dtype=np.float64)


SHARED_SCALE_RATIO = 10.0  # numeric columns whose spreads differ less than this already share a scale


def distance_features(features: pd.DataFrame, roles: dict[str, str] | None = None) -> np.ndarray:
    """Dense float64 matrix for distances (the KNN graph): imputed, one-hot, scaled only when needed.

    Distances stay in the user's own units when every column is numeric and their standard
    deviations are within ``SHARED_SCALE_RATIO`` of each other (as for coordinates or embeddings),
    so thresholds in those units (DBSCAN's eps) mean what the user expects and results agree with
    tools that take features as given. Otherwise (mixed units, booleans, one-hot columns) every
    column is standardised so that no single column dominates the distance, and free text is
    TF-IDF reduced to unit-length rows. Embedding columns, when there are any, are the distance
    features on their own: each vector unit-normalised (so distances follow cosine similarity).

    >>> distance_features(pd.DataFrame({"x": [0.0, 2.0], "y": [1.0, 4.0]})).tolist()
    [[0.0, 1.0], [2.0, 4.0]]
    >>> distance_features(pd.DataFrame({"x": [0.0, 2.0], "y": [100.0, 400.0]})).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> distance_features(pd.DataFrame({"v": [[3.0, 4.0], [0.0, 2.0]], "x": [1.0, 2.0]})).tolist()
    [[0.6, 0.8], [0.0, 1.0]]
    """
    if features.shape[1] == 0:
        return np.zeros((len(features), 0), dtype=np.float64)
    roles = roles_for(features, roles)
    vectors = [c for c in features.columns if roles.get(str(c)) == "embedding"]
    if vectors:
        return np.hstack([_unit_vectors(features[c]) for c in vectors]) / np.sqrt(len(vectors))
    kinds = column_kinds(features, roles)
    if len(kinds["numeric"]) == features.shape[1]:
        pre = build_preprocessor(features, scale=False, roles=roles)
        raw = np.asarray(pre.fit_transform(features), dtype=np.float64)
        spread = raw.std(axis=0)
        spread = spread[spread > 0]
        if spread.size == 0 or spread.max() <= SHARED_SCALE_RATIO * spread.min():
            return raw
    return encode_features(features, roles)


def hashable_features(features: pd.DataFrame, roles: dict[str, str] | None = None) -> pd.DataFrame:
    """``features`` with vector columns as tuples, so rows can be hashed and compared (exact duplicates).

    >>> hashable_features(pd.DataFrame({"v": [np.array([1.0, 2.0]), None]}))["v"].tolist()
    [(1.0, 2.0), None]
    """
    roles = roles_for(features, roles)
    vectors = [c for c in features.columns if roles.get(str(c)) == "embedding"]
    if not vectors:
        return features
    out = features.copy()
    for name in vectors:
        out[name] = [tuple(np.asarray(v, dtype=np.float64).tolist()) if _is_vector(v) else None for v in out[name]]
    return out


def _is_vector(value: object) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _unit_vectors(values: pd.Series) -> np.ndarray:
    """A vector column as unit-length rows; a missing vector becomes the mean vector first."""
    from sklearn.preprocessing import normalize

    vectors = stack_vectors(values, vector_length(values) or 1)
    missing = np.isnan(vectors).any(axis=1)
    if missing.any():
        vectors[missing] = np.nanmean(vectors[~missing], axis=0) if (~missing).any() else 0.0
    return normalize(vectors)


def _one_hot(*, capped: bool):
    """Text values one-hot; ``capped``: values rarer than ``MIN_CATEGORY_ROWS`` (and beyond the cap) share a column."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    options = (
        {"handle_unknown": "infrequent_if_exist", "max_categories": MAX_CATEGORIES, "min_frequency": MIN_CATEGORY_ROWS}
        if capped
        else {"handle_unknown": "ignore"}
    )
    return Pipeline(
        [
            ("to_text", FunctionTransformer(_as_text, feature_names_out="one-to-one")),
            ("one_hot", OneHotEncoder(sparse_output=False, dtype=np.float64, **options)),
        ]
    )


# Module-level converters, so fitted pipelines pickle (joblib sends them to worker processes).


def _as_float64(frame: pd.DataFrame) -> np.ndarray:
    """Numbers and booleans as float64; pandas' NA/None become NaN (for the imputer)."""
    return pd.DataFrame(frame).to_numpy(dtype=np.float64, na_value=np.nan)


def _as_seconds(frame: pd.DataFrame) -> np.ndarray:
    """Datetimes as seconds since 1970-01-01 UTC, timedeltas as seconds; NaT becomes NaN."""
    frame = pd.DataFrame(frame)
    columns = []
    for _, column in frame.items():
        if pd.api.types.is_timedelta64_dtype(column.dtype):
            seconds = column / pd.Timedelta(seconds=1)
        else:
            if getattr(column.dt, "tz", None) is not None:
                column = column.dt.tz_convert("UTC").dt.tz_localize(None)
            seconds = (column - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)
        columns.append(seconds.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.column_stack(columns)


def _date_features(frame: pd.DataFrame, parts: list[list[str]]) -> np.ndarray:
    """Per date column: seconds since 1970-01-01 UTC, then its varying calendar ``parts``; NaT becomes NaN.

    Text (a CSV column read as dates at load, given raw to a saved model) is parsed the same way.
    """
    frame = pd.DataFrame(frame)
    columns = []
    for (_, column), wanted in zip(frame.items(), parts, strict=True):
        if pd.api.types.is_timedelta64_dtype(column.dtype):
            columns.append((column / pd.Timedelta(seconds=1)).to_numpy(dtype=np.float64, na_value=np.nan))
            continue
        dates = as_utc_naive(column)
        seconds = (dates - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)
        columns.append(seconds.to_numpy(dtype=np.float64, na_value=np.nan))
        columns += [_part(dates, part).to_numpy(dtype=np.float64, na_value=np.nan) for part in wanted]
    return np.column_stack(columns)


def _date_names(transformer, input_features) -> list[str]:
    """Output names of :func:`_date_features`: ``when``, ``when_year``, ... (for ``get_feature_names_out``)."""
    parts = transformer.kw_args["parts"]
    return [
        f"{name}{suffix}" for name, wanted in zip(input_features, parts) for suffix in ["", *(f"_{p}" for p in wanted)]
    ]


def _part(dates: pd.Series, part: str) -> pd.Series:
    return dates.dt.dayofweek if part == "weekday" else getattr(dates.dt, part)


def _as_vectors(frame: pd.DataFrame, dim: int) -> np.ndarray:
    """A vector column as ``dim`` float columns; a missing vector is a row of NaN (for the imputer)."""
    return stack_vectors(pd.DataFrame(frame).iloc[:, 0], dim)


def _as_text(frame: pd.DataFrame) -> np.ndarray:
    """Every value as a string, missing ones as ``MISSING``: mixed types then encode cleanly."""
    frame = pd.DataFrame(frame)
    text = np.empty(frame.shape, dtype=object)
    for position, (_, column) in enumerate(frame.items()):
        values = column.to_numpy(dtype=object).astype(str).astype(object)
        values[column.isna().to_numpy()] = MISSING
        text[:, position] = values
    return text
