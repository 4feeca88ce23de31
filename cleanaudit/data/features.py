"""Tabular encoding: turn raw feature columns into the numeric matrix a model needs.

Numbers are imputed with the median (and scaled on request), booleans become 0/1, datetimes
become seconds since the epoch, everything else is one-hot encoded with missing values as
their own category. Numeric columns come first, in their original order, with their values
unchanged when nothing is missing and nothing is scaled: a plain model sees the raw floats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

MISSING = "missing"  # the category that stands for a missing value in a text column
MAX_CATEGORIES = 100  # per column; rarer values share one "infrequent" column, so width stays bounded


def column_kinds(features: pd.DataFrame) -> dict[str, list[int]]:
    """Positions of the columns of each kind: numeric, boolean, datetime, categorical.

    >>> column_kinds(pd.DataFrame({"a": [1.0], "b": ["x"], "c": [True]}))
    {'numeric': [0], 'boolean': [2], 'datetime': [], 'categorical': [1]}
    """
    kinds: dict[str, list[int]] = {"numeric": [], "boolean": [], "datetime": [], "categorical": []}
    for position, dtype in enumerate(features.dtypes):
        if pd.api.types.is_bool_dtype(dtype):
            kinds["boolean"].append(position)
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
            kinds["numeric"].append(position)
        elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            kinds["datetime"].append(position)
        else:
            kinds["categorical"].append(position)
    return kinds


def build_preprocessor(features: pd.DataFrame, *, scale: bool) -> ColumnTransformer:
    """A ``ColumnTransformer`` that makes ``features`` a dense float matrix (fit it on the training rows).

    >>> pre = build_preprocessor(pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", None]}), scale=False)
    >>> pre.fit_transform(pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", None]})).tolist()
    [[1.0, 1.0, 0.0, 0.0], [2.0, 0.0, 1.0, 0.0], [3.0, 0.0, 0.0, 1.0]]
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    def numeric_steps(convert, strategy: str) -> list:
        steps = [
            ("to_float", FunctionTransformer(convert, feature_names_out="one-to-one")),
            # keep_empty_features: an all-missing column stays (as zeros) so the width is stable
            ("impute", SimpleImputer(strategy=strategy, keep_empty_features=True)),
        ]
        return steps + [("scale", StandardScaler())] if scale else steps

    kinds = column_kinds(features)
    blocks = {
        "numeric": Pipeline(numeric_steps(_as_float64, "median")),
        "boolean": Pipeline(numeric_steps(_as_float64, "most_frequent")),
        "datetime": Pipeline(numeric_steps(_as_seconds, "median")),
        "categorical": Pipeline(
            [
                ("to_text", FunctionTransformer(_as_text, feature_names_out="one-to-one")),
                (
                    "one_hot",
                    OneHotEncoder(
                        handle_unknown="ignore", sparse_output=False, max_categories=MAX_CATEGORIES, dtype=np.float64
                    ),
                ),
            ]
        ),
    }
    transformers = [(kind, blocks[kind], positions) for kind, positions in kinds.items() if positions]
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)


def missing_value_summary(features: pd.DataFrame) -> dict[str, int]:
    """Number of missing values per column, for the columns that have any.

    >>> missing_value_summary(pd.DataFrame({"a": [1.0, None], "b": [1, 2]}))
    {'a': 1}
    """
    counts = features.isna().sum()
    return {str(name): int(count) for name, count in counts.items() if count > 0}


def id_like_columns(features: pd.DataFrame, *, min_rows: int = 20) -> list[str]:
    """Text columns with a different value in every row: identifiers, which as one-hot features
    only add noise (each category is seen once, so a model cannot learn from it).

    >>> id_like_columns(pd.DataFrame({"id": [f"T-{i}" for i in range(30)], "c": ["a", "b"] * 15}))
    ['id']
    """
    if len(features) < min_rows:
        return []
    kinds = column_kinds(features)
    columns = [features.columns[i] for i in kinds["categorical"]]
    return [str(c) for c in columns if features[c].notna().all() and features[c].is_unique]


def encode_features(features: pd.DataFrame) -> np.ndarray:
    """Dense float64 matrix: imputed, scaled, one-hot encoded (for distances, e.g. the KNN graph).

    >>> encode_features(pd.DataFrame({"x": [0.0, 2.0]})).tolist()
    [[-1.0], [1.0]]
    """
    if features.shape[1] == 0:
        return np.zeros((len(features), 0), dtype=np.float64)
    encoded = build_preprocessor(features, scale=True).fit_transform(features)
    return np.asarray(encoded, dtype=np.float64)


SHARED_SCALE_RATIO = 10.0  # numeric columns whose spreads differ less than this already share a scale


def distance_features(features: pd.DataFrame) -> np.ndarray:
    """Dense float64 matrix for distances (the KNN graph): imputed, one-hot, scaled only when needed.

    Distances stay in the user's own units when every column is numeric and their standard
    deviations are within ``SHARED_SCALE_RATIO`` of each other (as for coordinates or embeddings),
    so thresholds in those units (DBSCAN's eps) mean what the user expects and results agree with
    tools that take features as given. Otherwise (mixed units, booleans, one-hot columns) every
    column is standardised so that no single column dominates the distance.

    >>> distance_features(pd.DataFrame({"x": [0.0, 2.0], "y": [1.0, 4.0]})).tolist()
    [[0.0, 1.0], [2.0, 4.0]]
    >>> distance_features(pd.DataFrame({"x": [0.0, 2.0], "y": [100.0, 400.0]})).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    if features.shape[1] == 0:
        return np.zeros((len(features), 0), dtype=np.float64)
    kinds = column_kinds(features)
    if len(kinds["numeric"]) == features.shape[1]:
        raw = np.asarray(build_preprocessor(features, scale=False).fit_transform(features), dtype=np.float64)
        spread = raw.std(axis=0)
        spread = spread[spread > 0]
        if spread.size == 0 or spread.max() <= SHARED_SCALE_RATIO * spread.min():
            return raw
    return encode_features(features)


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


def _as_text(frame: pd.DataFrame) -> np.ndarray:
    """Every value as a string, missing ones as ``MISSING``: mixed types then encode cleanly."""
    frame = pd.DataFrame(frame)
    text = np.empty(frame.shape, dtype=object)
    for position, (_, column) in enumerate(frame.items()):
        values = column.to_numpy(dtype=object).astype(str).astype(object)
        values[column.isna().to_numpy()] = MISSING
        text[:, position] = values
    return text
