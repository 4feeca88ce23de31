"""Column roles: ids and label copies left out, dates read from text, free text, embeddings, nested columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.features import build_preprocessor, distance_features
from cleanaudit.data.frame import dataset_from_frame
from cleanaudit.data.load import load_dataset
from cleanaudit.data.roles import column_role, copies_label, decide_roles, is_id_like
from cleanaudit.errors import InputError


def _kinds(dataset) -> dict[str, str]:
    return {note.kind: note.message for note in dataset.notes}


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    return pd.DataFrame(
        {
            "Unnamed: 0": np.arange(n),  # pandas' saved index
            "row": rng.permutation(n) + 1,  # a shuffled 1..N row number
            "customerId": rng.choice(10**7, size=n, replace=False),  # random, but named as an id
            "ticket": [f"T-{i:04d}" for i in rng.permutation(n)],  # unique codes
            "income": rng.normal(50_000, 10_000, size=n).round(2),  # unique floats: a measurement
            "count": rng.integers(0, 5, size=n),
            "y": rng.choice(["a", "b"], size=n),
        }
    )


def test_ids_are_left_out_with_a_note(table):
    ds = dataset_from_frame(table, label="y", where="t.csv")
    assert list(ds.features.columns) == ["income", "count"]
    assert ds.roles == {"income": "numeric", "count": "numeric"}
    notes = [n for n in ds.notes if n.kind == "id_like_column"]
    assert [n.columns[0] for n in notes] == ["Unnamed: 0", "row", "customerId", "ticket"]
    assert all("t.csv" in n.message and "--features" in n.message for n in notes)
    assert "sequence (1..120)" in notes[1].message


def test_features_option_keeps_an_id_and_ignore_drops_any_column(table):
    ds = dataset_from_frame(table, label="y", features=["row", "income"])
    assert list(ds.features.columns) == ["row", "income"] and ds.roles["row"] == "numeric"
    assert any(n.kind == "id_like_column" and "kept because --features" in n.message for n in ds.notes)
    ds = dataset_from_frame(table, label="y", ignore=["income"])
    assert list(ds.features.columns) == ["count"]


def test_what_is_not_an_id():
    n = 100
    assert not is_id_like(pd.Series(np.linspace(0, 1, n)), "id", "numeric")  # a unique float
    assert not is_id_like(pd.Series(np.arange(n) ** 3), "x", "numeric")  # unique but not a sequence
    assert not is_id_like(pd.Series(np.arange(n) % 50), "row", "numeric")  # repeats: not unique
    assert not is_id_like(pd.Series(np.arange(10)), "id", "numeric")  # too few rows to tell
    reviews = pd.Series([f"the delivery number {i} came late and broken" for i in range(n)])
    assert column_role(reviews) == "text" and not is_id_like(reviews, "review", "text")
    for name in ("id", "user_id", "PassengerId", "CustomerID", "uuid", "index", "Unnamed: 0"):
        assert is_id_like(pd.Series(np.random.default_rng(1).choice(10**6, n, replace=False)), name, "numeric")
    for name in ("paid", "valid", "rapid"):
        assert not is_id_like(pd.Series(np.random.default_rng(1).choice(10**6, n, replace=False)), name, "numeric")


def test_row_number_column_left_out_restores_exact_duplicates(cli, tmp_path):
    """A row-number column made every row unique, hiding duplicates and raising a false non-IID alarm."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True).frame  # has one exact duplicate pair of rows (rows 101 and 142)
    path = tmp_path / "iris.csv"
    iris.to_csv(path)  # with pandas' index as the first, unnamed column
    args = ("audit", path, "-l", "target", "-m", "logreg", "--cv", "3", "--checks", "near_duplicate", "-f", "json")
    out = json.loads(cli(*args).stdout)
    assert "Unnamed: 0" in {c for n in out["notes"] if n["kind"] == "id_like_column" for c in n["columns"]}
    near = next(row for row in out["summary"] if row["issue_type"] == "near_duplicate")
    assert near["num_issues"] >= 2


def test_label_copy_is_left_out_and_errors_are_found(cli, tutorial_dir):
    """y_int beside y hid every label error (0 issues); now it is named and left out."""
    result = cli("find-issues", tutorial_dir / "train.csv", "-l", "y", "-m", "logreg", "-f", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    leak = [n for n in out["notes"] if n["kind"] == "leakage"]
    assert leak and leak[0]["columns"] == ["y_int"] and "hidden" in leak[0]["message"]
    assert out["num_issues"] > 10
    kept = cli("find-issues", tutorial_dir / "train.csv", "-l", "y", "--features", "x1,x2,y_int", "-f", "json")
    notes = json.loads(kept.stdout)["notes"]
    assert any(n["kind"] == "leakage" and "kept because --features" in n["message"] for n in notes)


def test_one_to_one_needs_a_clean_mapping_over_every_class():
    y = pd.Series(["a", "b", "c"] * 20)
    codes = y.map({"a": 0, "b": 1, "c": 2})
    assert copies_label(y, codes)
    assert copies_label(y, codes.where(np.arange(60) % 7 != 0))  # missing values: compared where present
    noisy = codes.copy()
    noisy.iloc[5] = 0  # same three values, one row maps elsewhere
    assert not copies_label(y, noisy)
    assert not copies_label(y, codes.where(y != "c"))  # only two classes covered
    assert not copies_label(y, pd.Series(np.arange(60)))


def test_dates_from_csv_and_parquet_give_the_same_matrix(tmp_path):
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    n = 80
    frame = pd.DataFrame(
        {
            "when": pd.Timestamp("2021-03-01 08:00") + pd.to_timedelta(rng.integers(0, 400 * 24, n), unit="h"),
            "utc": pd.Timestamp("2022-01-01", tz="Europe/Paris") + pd.to_timedelta(rng.integers(0, 99, n), unit="D"),
            "x": rng.normal(size=n),
            "y": rng.choice(["p", "q"], size=n),
        }
    )
    frame.loc[3, "when"] = pd.NaT
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    from_csv = load_dataset([tmp_path / "t.csv"], label="y")
    from_parquet = load_dataset([tmp_path / "t.parquet"], label="y")
    assert from_csv.roles == from_parquet.roles == {"when": "datetime", "utc": "datetime", "x": "numeric"}
    note = _kinds(from_csv)["datetime_column"]
    assert "read from text: when, utc" in note
    matrices = []
    for ds in (from_csv, from_parquet):
        pre = build_preprocessor(ds.features, scale=False, roles=ds.roles)
        matrices.append(pre.fit_transform(ds.features))
    np.testing.assert_allclose(matrices[0], matrices[1])
    assert matrices[0].shape[1] > 3  # seconds plus the calendar parts that vary, per date column
    np.testing.assert_allclose(distance_features(from_csv.features), distance_features(from_parquet.features))


@pytest.mark.parametrize(
    "values",
    [["1", "2", "3"] * 10, ["A12", "B7", "C3"] * 10, ["2019", "2020"] * 10, ["1.2.3", "2.0.1"] * 10],
)
def test_numbers_and_codes_are_not_dates(values):
    assert column_role(pd.Series(values)) == "categorical"


def test_common_date_formats_are_read():
    for values in (["03/01/2021", "12/25/2020"], ["25.12.2020", "01.03.2021"], ["2020-12-25T10:00:00+01:00"] * 2):
        assert column_role(pd.Series(values * 10)) == "datetime"


def test_free_text_is_not_one_hot_and_different_texts_are_apart():
    words = ["great", "awful", "slow", "quick", "service", "food", "never", "again", "loved", "it", "the", "staff"]
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, size=8)) + f" {i}" for i in range(200)]
    frame = pd.DataFrame({"review": texts, "y": rng.choice(["pos", "neg"], size=200)})
    ds = dataset_from_frame(frame, label="y")
    assert ds.roles == {"review": "text"} and "text_column" in _kinds(ds)
    encoded = distance_features(ds.features)
    gaps = np.linalg.norm(encoded[:, None, :] - encoded[None, :, :], axis=2)[np.triu_indices(200, 1)]
    assert gaps.min() > 1e-3  # one-hot of 200 unique texts once gave distance 0 between different rows
    out = build_preprocessor(ds.features, scale=False).fit_transform(ds.features)
    assert 10 < out.shape[1] <= 512


def test_embedding_column_is_expanded_for_models_and_normalised_for_distances(tmp_path):
    pytest.importorskip("pyarrow")
    from sklearn.datasets import load_digits

    digits = load_digits()
    frame = pd.DataFrame({"image": list(digits.data[:300]), "digit": digits.target[:300]})
    frame.loc[7, "image"] = None
    frame.to_parquet(tmp_path / "digits.parquet")
    ds = load_dataset([tmp_path / "digits.parquet"], label="digit")
    assert ds.roles == {"image": "embedding"}
    assert "neighbour graph" in _kinds(ds)["embedding_column"]
    out = build_preprocessor(ds.features, scale=False).fit_transform(ds.features)
    assert out.shape == (300, 64) and not np.isnan(out).any()
    np.testing.assert_array_equal(out[0], digits.data[0])
    unit = distance_features(ds.features)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0)


def test_other_nested_columns_are_left_out_never_a_crash():
    frame = pd.DataFrame(
        {
            "tags": [["a", "b"], ["c"]] * 15,  # lists of text
            "ragged": [[1.0], [1.0, 2.0]] * 15,
            "struct": [{"k": 1}, {"k": 2}] * 15,
            "x": np.arange(30) * 0.5,
            "y": ["p", "q"] * 15,
        }
    )
    assert decide_roles(frame.drop(columns="y")) == {"x": "numeric"}
    ds = dataset_from_frame(frame, label="y")
    assert list(ds.features.columns) == ["x"]
    assert [n.columns[0] for n in ds.notes if n.kind == "columns_left_out"] == ["tags", "ragged", "struct"]
    with pytest.raises(InputError, match="tags"):
        dataset_from_frame(frame, label="y", features=["tags", "x"])


def test_roles_are_deterministic_and_do_not_depend_on_row_order():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "note": [" ".join(rng.choice(["a", "bb", "ccc", "dd"], size=5)) for _ in range(5000)],
            "city": rng.choice(["north side", "south bank"], size=5000),
            "day": pd.date_range("2020-01-01", periods=5000, freq="h").astype(str),
        }
    )
    first = decide_roles(frame)
    assert first == decide_roles(frame) == decide_roles(frame.sample(frac=1, random_state=1))
    assert first == {"note": "text", "city": "categorical", "day": "datetime"}


def test_saved_model_with_text_and_dates_applies_to_a_new_csv(cli, tmp_path):
    pytest.importorskip("skops")
    rng = np.random.default_rng(0)
    n = 90
    y = rng.choice(["spam", "ham"], size=n)
    text = [("win money now " if label == "spam" else "see you at lunch ") + f"{i}" for i, label in enumerate(y)]
    days = (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"text": text, "sent": days, "x": rng.normal(size=n), "y": y})
    frame.to_csv(tmp_path / "mail.csv", index=False)
    model = tmp_path / "m.skops"
    saved = cli(
        "clean",
        tmp_path / "mail.csv",
        "-l",
        "y",
        "-m",
        "logreg",
        "--cv",
        "3",
        "--save-model",
        model,
        "--output",
        tmp_path / "clean.csv",
    )
    assert saved.exit_code == 0, saved.stderr
    scored = cli("find-issues", tmp_path / "mail.csv", "-l", "y", "--from-model", model, "-f", "json")
    assert scored.exit_code == 0, scored.stderr
    assert json.loads(scored.stdout)["num_issues"] <= 5
