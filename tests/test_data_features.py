"""Tabular encoding: numeric passthrough, imputation, scaling, booleans, datetimes, one-hot."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.features import MISSING, build_preprocessor, column_kinds, encode_features, missing_value_summary


@pytest.fixture
def mixed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "color": ["red", "blue", None, "red"],
            "x": [1.5, np.nan, 3.5, 10.0],
            "flag": [True, False, True, True],
            "when": pd.to_datetime(["1970-01-01", "1970-01-02", None, "1970-01-03"]),
            "n": [1, 2, 3, 4],
        }
    )


def test_plain_numeric_columns_pass_through_bit_for_bit(tutorial_dir):
    features = pd.read_csv(tutorial_dir / "train.csv")[["x2", "x1"]]
    out = build_preprocessor(features, scale=False).fit_transform(features)
    assert out.dtype == np.float64
    assert np.array_equal(out, features.to_numpy())


def test_column_kinds_and_output_order(mixed):
    assert column_kinds(mixed) == {
        "numeric": [1, 4],
        "boolean": [2],
        "datetime": [3],
        "categorical": [0],
        "text": [],
        "embedding": [],
    }
    out = build_preprocessor(mixed, scale=False).fit_transform(mixed)
    # numeric x, n | boolean flag | datetime seconds, day, weekday (month and year never vary) | one-hot
    assert out.shape == (4, 3 + 3 + 3)
    np.testing.assert_array_equal(out[:, 0], [1.5, 3.5, 3.5, 10.0])  # NaN -> median of 1.5, 3.5, 10
    np.testing.assert_array_equal(out[:, 1], [1, 2, 3, 4])
    np.testing.assert_array_equal(out[:, 2], [1, 0, 1, 1])
    np.testing.assert_array_equal(out[:, 3], [0, 86400, 86400, 172800])  # NaT -> median
    np.testing.assert_array_equal(out[:, 4], [1, 2, 2, 3])  # day of month
    np.testing.assert_array_equal(out[:, 5], [3, 4, 4, 5])  # Thursday, Friday, (median), Saturday
    np.testing.assert_array_equal(out[:, 6:], [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])


def test_scaling_only_touches_numeric_blocks(mixed):
    out = build_preprocessor(mixed, scale=True).fit_transform(mixed)
    np.testing.assert_allclose(out[:, :6].mean(axis=0), 0, atol=1e-12)
    assert set(np.unique(out[:, 6:])) == {0.0, 1.0}


def test_unknown_category_encodes_as_zeros(mixed):
    pre = build_preprocessor(mixed, scale=False).fit(mixed)
    new = mixed.iloc[:1].assign(color="green")
    np.testing.assert_array_equal(pre.transform(new)[0, 6:], [0, 0, 0])


def test_nullable_and_mixed_types():
    frame = pd.DataFrame(
        {
            "i": pd.array([1, None, 3], dtype="Int64"),
            "b": pd.array([True, None, True], dtype="boolean"),
            "mixed": pd.Series([1, "a", None], dtype=object),
            "cat": pd.Categorical(["u", "v", "u"]),
            "tz": pd.to_datetime(["2024-01-01T01:00+01:00"] * 3),
            "gap": pd.to_timedelta(["1s", "2s", None]),
            "empty": [np.nan] * 3,
        }
    )
    out = build_preprocessor(frame, scale=False).fit_transform(frame)
    assert not np.isnan(out).any()
    kinds = column_kinds(frame)
    assert kinds["numeric"] == [0, 6] and kinds["boolean"] == [1] and kinds["datetime"] == [4, 5]
    np.testing.assert_array_equal(out[:, 0], [1, 2, 3])
    np.testing.assert_array_equal(out[:, 1], [0, 0, 0])  # all-empty column kept, as zeros
    np.testing.assert_array_equal(out[:, 2], [1, 1, 1])
    assert out[0, 3] == pd.Timestamp("2024-01-01T00:00Z").timestamp()
    np.testing.assert_array_equal(out[:, 4], [1, 2, 1.5])
    assert out.shape[1] == 5 + 3 + 2  # mixed: "1", "a", MISSING; cat: u, v


def test_many_categories_stay_bounded_and_frequent_ones_are_kept():
    """Above MAX_CATEGORIES the rare values share one column; a value with enough rows keeps its own,
    even when more than 100 values are more frequent (a bare top-100 cut lost it)."""
    from cleanaudit.data.roles import MAX_CATEGORIES, MIN_CATEGORY_ROWS

    values = [f"shop{i}" for i in range(150) for _ in range(40 + i)]  # 150 values with 40+ rows each
    values += ["marker"] * 38 + [f"once{i}" for i in range(300)]  # one value with 38 rows, 300 seen once
    frame = pd.DataFrame({"c": values})
    pre = build_preprocessor(frame, scale=False).fit(frame)
    out = pre.transform(frame)
    assert out.shape == (len(frame), 150 + 1 + 1)  # 150 shops, the marker, and one column for the rest
    assert out.shape[1] <= MAX_CATEGORIES and MIN_CATEGORY_ROWS <= 38
    marker = pre.transform(pd.DataFrame({"c": ["marker"]}))[0]
    rest = pre.transform(pd.DataFrame({"c": ["once1"]}))[0]
    assert marker.sum() == 1 and rest.sum() == 1 and not np.array_equal(marker, rest)


def test_fitted_preprocessor_pickles(mixed):
    pre = build_preprocessor(mixed, scale=True).fit(mixed)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(pre)).transform(mixed), pre.transform(mixed))


def test_missing_value_summary(mixed):
    assert missing_value_summary(mixed) == {"color": 1, "x": 1, "when": 1}
    assert missing_value_summary(mixed.dropna()) == {}


def test_encode_features(mixed):
    out = encode_features(mixed)
    assert out.dtype == np.float64 and out.shape == (4, 9)
    np.testing.assert_allclose(out[:, 0].std(), 1.0)
    assert encode_features(mixed[[]]).shape == (4, 0)


def test_missing_category_label():
    out = build_preprocessor(pd.DataFrame({"c": ["a", None]}), scale=False)
    out.fit(pd.DataFrame({"c": ["a", None]}))
    assert list(out.named_transformers_["categorical"].named_steps["one_hot"].categories_[0]) == ["a", MISSING]


def test_imputation_note_says_what_the_encoding_does(cli, tmp_path):
    """The note once said 'most frequent for categories' while a missing text value got its own category."""
    from cleanaudit.data.features import build_preprocessor

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "c": (["a", "b", None] * 20), "y": ["p", "q"] * 30})
    frame.loc[3, "x"] = np.nan
    encoded = build_preprocessor(frame[["x", "c"]], scale=False).fit(frame[["x", "c"]])
    names = list(encoded.get_feature_names_out())
    assert any(name.endswith("missing") for name in names)  # a category of its own, not the most frequent value
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    result = cli("health", path, "-l", "y", "-m", "logreg", "--cv", "3")
    assert result.exit_code == 0, result.stderr
    note = " ".join(result.stderr.split())
    assert "c (20)" in note and "x (1)" in note and "a category of its own" in note
    assert "most frequent for categories" not in note
