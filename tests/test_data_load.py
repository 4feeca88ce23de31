"""Loading tables and datasets: formats, column selection, label encoding, and every error path."""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.load import encode_labels, expand_paths, load_dataset, read_table
from cleanaudit.errors import InputError


def assert_one_line_error(excinfo, *needles: str) -> None:
    text = str(excinfo.value)
    assert "\n" not in text
    assert excinfo.value.hint, "every error says what to do"
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("id,a,b,color,label\n1,0.5,1,red,cat\n2,1.5,2,blue,dog\n3,2.5,3,red,cat\n4,3.5,4,,dog\n")
    return path


# --- read_table ---------------------------------------------------------------------------


def test_read_table_csv_and_parquet_agree(tutorial_dir):
    from_csv = read_table(tutorial_dir / "train.csv")
    from_parquet = read_table(tutorial_dir / "train.parquet")
    assert from_csv.shape == (250, 4)
    assert list(from_csv.columns) == ["x1", "x2", "y", "y_int"]
    np.testing.assert_array_equal(from_csv[["x1", "x2"]].to_numpy(), from_parquet[["x1", "x2"]].to_numpy())
    assert list(from_csv["y"]) == list(from_parquet["y"])


@pytest.mark.parametrize("suffix", [".tsv", ".txt", ".csv.gz", ".pq"])
def test_read_table_other_formats(tmp_path, suffix):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    path = tmp_path / f"t{suffix}"
    if suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".txt":
        frame.to_csv(path, index=False)
    elif suffix == ".csv.gz":
        path.write_bytes(gzip.compress(frame.to_csv(index=False).encode()))
    else:
        frame.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(read_table(path), read_table_like(frame))


def read_table_like(frame):
    return pd.read_csv(io.StringIO(frame.to_csv(index=False)))


def test_read_table_from_stdin(monkeypatch):
    data = b"a,y\n1,p\n2,q\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    ds = load_dataset(["-"], label="y")
    assert ds.num_examples == 2
    assert ds.sha256 == hashlib.sha256(data).hexdigest()


def test_stdin_that_is_a_terminal_is_rejected(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    with pytest.raises(InputError) as excinfo:
        read_table("-")
    assert_one_line_error(excinfo, "stdin")


def make_bad_file(tmp_path, case):
    if case == "missing":
        return tmp_path / "nope.csv", "nope.csv"
    if case == "folder":
        (tmp_path / "dir.csv").mkdir()
        return tmp_path / "dir.csv", "folder"
    if case == "suffix":
        (tmp_path / "data.xlsx").write_text("a,b\n1,2\n")
        return tmp_path / "data.xlsx", "data.xlsx"
    if case == "empty":
        (tmp_path / "empty.csv").write_bytes(b"")
        return tmp_path / "empty.csv", "empty"
    if case == "blank_lines":
        (tmp_path / "blank.csv").write_text("\n\n")
        return tmp_path / "blank.csv", "blank.csv"
    if case == "header_only":
        (tmp_path / "header.csv").write_text("a,b,label\n")
        return tmp_path / "header.csv", "no rows"
    if case == "ragged":
        (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5,6\n")
        return tmp_path / "ragged.csv", "ragged.csv"
    if case == "binary_csv":
        (tmp_path / "binary.csv").write_bytes(b"a,b\n\xff\xfe\x00\x81,\x9c\n")
        return tmp_path / "binary.csv", "binary.csv"
    if case == "corrupt_parquet":
        (tmp_path / "bad.parquet").write_bytes(b"PAR1 this is not really parquet PAR1")
        return tmp_path / "bad.parquet", "bad.parquet"
    if case == "empty_parquet":
        (tmp_path / "empty.parquet").write_bytes(b"")
        return tmp_path / "empty.parquet", "empty.parquet"
    if case == "zero_row_parquet":
        pd.DataFrame({"a": pd.Series([], dtype="float64")}).to_parquet(tmp_path / "zero.parquet")
        return tmp_path / "zero.parquet", "zero.parquet"
    raise AssertionError(case)


BAD_CASES = [
    "missing",
    "folder",
    "suffix",
    "empty",
    "blank_lines",
    "header_only",
    "ragged",
    "binary_csv",
    "corrupt_parquet",
    "empty_parquet",
    "zero_row_parquet",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_read_table_errors_are_one_line_input_errors(tmp_path, case):
    path, needle = make_bad_file(tmp_path, case)
    with pytest.raises(InputError) as excinfo:
        read_table(path)
    assert_one_line_error(excinfo, needle)


# --- load_dataset -----------------------------------------------------------------------


def test_load_tutorial_with_class_names(tutorial_dir):
    ds = load_dataset([tutorial_dir / "train.csv"], label="y", ignore=["y_int"])
    assert ds.class_names == ["blue", "purple", "seafoam green", "yellow"]
    assert all(type(name) is str for name in ds.class_names)
    assert list(ds.features.columns) == ["x1", "x2"]
    assert ds.num_examples == 250 and ds.num_classes == 4
    frame = pd.read_csv(tutorial_dir / "train.csv")
    assert [ds.class_names[c] for c in ds.labels] == list(frame["y"])
    assert ds.ids is None and ds.label_column == "y"
    assert ds.sha256 == hashlib.sha256((tutorial_dir / "train.csv").read_bytes()).hexdigest()


def test_integer_labels_keep_python_ints(tutorial_dir):
    ds = load_dataset([tutorial_dir / "train.parquet"], label="y_int", features=["x1", "x2"])
    assert ds.class_names == [0, 1, 2, 3]
    assert all(type(name) is int for name in ds.class_names)
    np.testing.assert_array_equal(ds.labels, pd.read_parquet(tutorial_dir / "train.parquet")["y_int"])


def test_inputs_are_not_modified(tutorial_dir, tmp_path, small_csv):
    parquet = tmp_path / "copy.parquet"
    parquet.write_bytes((tutorial_dir / "train.parquet").read_bytes())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (small_csv, parquet)}
    load_dataset([small_csv], label="label", id_column="id")
    load_dataset([parquet], label="y")
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before


def test_several_files_are_concatenated(tutorial_dir):
    paths = [tutorial_dir / "train.csv", tutorial_dir / "test.parquet"]
    ds = load_dataset(paths, label="y", ignore=["y_int"])
    assert ds.num_examples == 500
    assert ds.frame.index.tolist() == list(range(500))
    digests = [hashlib.sha256(p.read_bytes()).digest() for p in paths]
    assert ds.sha256 == hashlib.sha256(b"".join(digests)).hexdigest()
    assert ds.paths == paths


def test_several_files_with_different_columns(tmp_path, small_csv):
    other = tmp_path / "other.csv"
    other.write_text("id,a,b,label\n9,1,1,cat\n")
    with pytest.raises(InputError) as excinfo:
        load_dataset([small_csv, other], label="label")
    assert_one_line_error(excinfo, "other.csv", "color")


def test_columns_in_another_order_are_aligned(tmp_path, small_csv):
    other = tmp_path / "other.csv"
    other.write_text("label,color,b,a,id\ncat,red,7,6.5,5\n")
    ds = load_dataset([small_csv, other], label="label", id_column="id")
    assert ds.frame.iloc[-1].tolist() == [5, 6.5, 7, "red", "cat"]


def test_default_and_explicit_features(small_csv):
    ds = load_dataset([small_csv], label="label", id_column="id")
    assert list(ds.features.columns) == ["a", "b", "color"]
    assert ds.ids.tolist() == [1, 2, 3, 4] and ds.id_column == "id"
    ds = load_dataset([small_csv], label="label", features=["color", "a", "a"], ignore=["b"])
    assert list(ds.features.columns) == ["color", "a"]
    ds = load_dataset([small_csv], label="label", features=["color", "a"], ignore=["a"])
    assert list(ds.features.columns) == ["color"]


def test_no_feature_columns_left_is_allowed(small_csv):
    ds = load_dataset([small_csv], label="label", ignore=["id", "a", "b", "color"])
    assert ds.features.shape == (4, 0)


def test_entirely_empty_feature_column_is_kept(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,empty,y\n1,,p\n2,,q\n")
    assert list(load_dataset([path], label="y").features.columns) == ["a", "empty"]


@pytest.mark.parametrize(
    ("options", "needles"),
    [
        ({"label": "lable"}, ["label column 'lable'", "small.csv", "did you mean 'label'", "color"]),
        ({"label": "label", "features": ["colour"]}, ["feature column 'colour'", "did you mean 'color'"]),
        ({"label": "LABEL"}, ["label column 'LABEL'", "did you mean 'label'"]),
        ({"label": "label", "ignore": ["zzz"]}, ["ignored column 'zzz'", "small.csv"]),
        ({"label": "label", "id_column": "ident"}, ["id column 'ident'", "small.csv"]),
        ({"label": "label", "features": ["a", "label"]}, ["'label'", "--label"]),
        ({"label": "label", "features": ["a", "id"], "id_column": "id"}, ["'id'", "--id-column"]),
    ],
)
def test_column_errors(small_csv, options, needles):
    with pytest.raises(InputError) as excinfo:
        load_dataset([small_csv], **options)
    assert_one_line_error(excinfo, *needles)


def test_no_paths_and_repeated_path(small_csv):
    with pytest.raises(InputError) as excinfo:
        load_dataset([], label="label")
    assert_one_line_error(excinfo, "no input")
    with pytest.raises(InputError) as excinfo:
        load_dataset([small_csv, small_csv], label="label")
    assert_one_line_error(excinfo, "small.csv")


def test_duplicate_and_missing_ids(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,x,y\n1,0,a\n2,0,b\n1,0,a\n")
    with pytest.raises(InputError) as excinfo:
        load_dataset([path], label="y", id_column="id")
    assert_one_line_error(excinfo, "id column 'id'", "ids.csv", "repeated")
    path.write_text("id,x,y\n1,0,a\n,0,b\n")
    with pytest.raises(InputError) as excinfo:
        load_dataset([path], label="y", id_column="id")
    assert_one_line_error(excinfo, "id column 'id'", "missing")


def test_missing_labels_say_how_many_rows(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("x,y\n1,a\n2,\n3,b\n4,\n")
    with pytest.raises(InputError) as excinfo:
        load_dataset([path], label="y", on_missing_label="error")
    assert_one_line_error(excinfo, "label column 'y'", "gaps.csv", "2 missing", "rows 1, 3")
    assert "drop" in excinfo.value.hint


def test_missing_labels_are_skipped_by_default(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("x,y\n1,a\n2,\n3,b\n4,  \n5,a\n")
    ds = load_dataset([path], label="y")
    assert ds.labels.tolist() == [0, 1, 0] and ds.row_ids.tolist() == [0, 2, 4]
    assert ds.num_input_rows == 5 and len(ds.input_frame) == 5
    assert ds.not_analysed.positions.tolist() == [1, 3]
    assert [n.kind for n in ds.notes] == ["missing_labels"]


def test_lone_carriage_return_in_a_value_is_data(tmp_path):
    frame = pd.DataFrame({"text": ["one\rtwo", "three", "four\r\nfive"], "n": [1, 2, 3], "y": ["a", "b", "a"]})
    lf = tmp_path / "lf.csv"
    frame.to_csv(lf, index=False)  # pandas leaves "one\rtwo" unquoted
    assert pd.read_csv(lf)["y"].isna().any()  # what every pandas engine makes of it
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(lf.read_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"))
    for path in (lf, crlf):
        table = read_table(path)
        assert table["text"].tolist()[:2] == ["one\rtwo", "three"] and table["y"].tolist() == ["a", "b", "a"]
        assert table["n"].tolist() == [1, 2, 3] and list(table.columns) == ["text", "n", "y"]


def test_stdin_with_a_lone_carriage_return(monkeypatch):
    data = b'text,y\nhello\rworld,a\n"quoted\rtoo",b\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert read_table("-").to_dict("list") == {"text": ["hello\rworld", "quoted\rtoo"], "y": ["a", "b"]}


def test_single_class(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x,y\n1,a\n2,a\n")
    with pytest.raises(InputError) as excinfo:
        load_dataset([path], label="y")
    assert_one_line_error(excinfo, "label column 'y'", "one.csv", "single class")


def test_infinite_feature_values(tmp_path):
    path = tmp_path / "inf.csv"
    path.write_text("ok,bad,worse,y\n1,inf,1,a\n2,2,-inf,b\n")
    with pytest.raises(InputError) as excinfo:
        load_dataset([path], label="y")
    assert_one_line_error(excinfo, "bad, worse", "inf.csv")


@pytest.mark.parametrize(
    ("values", "names", "codes"),
    [
        (pd.Series(["b", "a", "c", "a"]), ["a", "b", "c"], [1, 0, 2, 0]),
        (pd.Series([3, 1, 3]), [1, 3], [1, 0, 1]),
        (pd.Series([True, False, True]), [False, True], [1, 0, 1]),
        (pd.Series([2.0, 0.0, 2.0]), [0, 2], [1, 0, 1]),
        (pd.Series(["z", "y", "z"], dtype="category"), ["y", "z"], [1, 0, 1]),
        (pd.Series(pd.Categorical(["b", "a"], categories=["b", "a", "unused"])), ["a", "b"], [1, 0]),
        (pd.Series([1, "a", 1], dtype=object), ["1", "a"], [0, 1, 0]),
        (pd.Series([5, 7], dtype="Int64"), [5, 7], [0, 1]),
    ],
)
def test_encode_labels_kinds(values, names, codes):
    got_codes, got_names = encode_labels(values)
    assert got_names == names
    assert [type(n) for n in got_names] == [type(n) for n in names]
    assert got_codes.tolist() == codes


def test_non_integer_float_labels():
    with pytest.raises(InputError) as excinfo:
        encode_labels(pd.Series([0.0, 0.5, 1.0]), column="score", where="s.csv")
    assert_one_line_error(excinfo, "label column 'score'", "s.csv", "0.5")


# --- expand_paths -------------------------------------------------------------------------


def test_expand_paths(tmp_path, small_csv):
    (tmp_path / "b.parquet").write_bytes(b"")
    (tmp_path / "notes.md").write_text("hi")
    assert expand_paths([tmp_path]) == [tmp_path / "b.parquet", small_csv]
    assert expand_paths([str(tmp_path / "*.csv"), "-"]) == [small_csv, Path("-")]
    with pytest.raises(InputError) as excinfo:
        expand_paths([str(tmp_path / "*.tsv")])
    assert_one_line_error(excinfo, "*.tsv")
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError) as excinfo:
        expand_paths([tmp_path / "sub"])
    assert_one_line_error(excinfo, "sub")
