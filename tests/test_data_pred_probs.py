"""Reading --pred-probs files: formats, column order by class name, and every rejection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.pred_probs import read_pred_probs, validate_pred_probs
from cleanaudit.errors import InputError

NAMES = ["blue", "purple", "seafoam green", "yellow"]


def assert_one_line_error(excinfo, *needles: str) -> None:
    text = str(excinfo.value)
    assert "\n" not in text and excinfo.value.hint
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


@pytest.fixture
def probs() -> np.ndarray:
    rng = np.random.default_rng(0)
    raw = rng.random((6, 3)) + 0.1
    return raw / raw.sum(axis=1, keepdims=True)


def test_reference_npy_reads_unchanged(tutorial_dir):
    path = tutorial_dir / "pred_probs_cv3_logreg.npy"
    before = path.read_bytes()
    got = read_pred_probs(path, class_names=[0, 1, 2, 3], num_examples=250)
    np.testing.assert_array_equal(got, np.load(path))
    assert got.dtype == np.float64 and got.flags["C_CONTIGUOUS"]
    assert path.read_bytes() == before


def test_float32_stays_float32(tmp_path, probs):
    np.save(tmp_path / "p.npy", probs.astype(np.float32))
    assert read_pred_probs(tmp_path / "p.npy", class_names="abc", num_examples=6).dtype == np.float32
    pd.DataFrame(probs.astype(np.float32), columns=list("abc")).to_parquet(tmp_path / "p.parquet")
    assert read_pred_probs(tmp_path / "p.parquet", class_names="abc", num_examples=6).dtype == np.float32


def test_integer_npy_becomes_float(tmp_path):
    np.save(tmp_path / "onehot.npy", np.eye(3, dtype=np.int64))
    got = read_pred_probs(tmp_path / "onehot.npy", class_names=[0, 1, 2], num_examples=3)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, np.eye(3))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_columns_named_by_class_are_reordered(tmp_path, probs, suffix):
    frame = pd.DataFrame(probs, columns=["c", "a", "b"])[["b", "c", "a"]]
    frame.insert(0, "row", range(6))  # an extra column (e.g. an index) is dropped
    path = tmp_path / f"p{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    got = read_pred_probs(path, class_names=["a", "b", "c"], num_examples=6)
    np.testing.assert_allclose(got, probs[:, [1, 2, 0]], rtol=0, atol=1e-15)


def test_integer_class_names_match_column_names_as_text(tmp_path, probs):
    frame = pd.DataFrame(probs, columns=["2", "0", "1"])
    frame.to_parquet(tmp_path / "p.parquet")
    got = read_pred_probs(tmp_path / "p.parquet", class_names=[0, 1, 2], num_examples=6)
    np.testing.assert_array_equal(got, probs[:, [1, 2, 0]])


def test_header_0_to_k_minus_1_is_class_order(tmp_path, probs):
    pd.DataFrame(probs, columns=["0", "1", "2"]).to_csv(tmp_path / "p.csv", index=False)
    got = read_pred_probs(tmp_path / "p.csv", class_names=["a", "b", "c"], num_examples=6)
    np.testing.assert_allclose(got, probs, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("columns", "needles"),
    [
        (["p0", "p1", "p2"], ["missing class(es): a, b, c", "not class names: p0, p1, p2"]),  # unrelated names
        (["a", "b", "cc"], ["missing class(es): c", "not class names: cc"]),  # one typo
        (["a", "b", "c", "score"], ["not class names: score"]),  # an extra column that is not an index
        (["1", "0", "2"], ["missing class(es): a, b, c"]),  # numbers, but not in class order
    ],
)
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_named_columns_must_be_the_class_names(tmp_path, probs, columns, needles, suffix):
    frame = pd.DataFrame(np.hstack([probs, probs[:, :1]])[:, : len(columns)], columns=columns)
    path = tmp_path / f"p{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    with pytest.raises(InputError) as excinfo:
        read_pred_probs(path, class_names=["a", "b", "c"], num_examples=6)
    assert_one_line_error(excinfo, f"p{suffix}", "do not match the class names", *needles)


def test_headerless_csv(tmp_path, probs):
    np.savetxt(tmp_path / "p.csv", probs, delimiter=",")
    got = read_pred_probs(tmp_path / "p.csv", class_names=["a", "b", "c"], num_examples=6)
    np.testing.assert_allclose(got, probs, rtol=0, atol=1e-15)


def test_wrong_shape_names_expected_shape_and_class_order(tutorial_dir):
    with pytest.raises(InputError) as excinfo:
        read_pred_probs(tutorial_dir / "pred_probs_cv3_logreg.npy", class_names=NAMES[:3], num_examples=250)
    assert_one_line_error(
        excinfo, "pred_probs_cv3_logreg.npy", "250 x 4", "expected 250 x 3", "blue, purple, seafoam green"
    )
    with pytest.raises(InputError) as excinfo:
        read_pred_probs(tutorial_dir / "pred_probs_cv3_logreg.npy", class_names=NAMES, num_examples=500)
    assert_one_line_error(excinfo, "expected 500 x 4")


def test_transposed_matrix_hint(tmp_path, probs):
    np.save(tmp_path / "t.npy", probs.T)
    with pytest.raises(InputError) as excinfo:
        read_pred_probs(tmp_path / "t.npy", class_names="abc", num_examples=6)
    assert "transpose" in excinfo.value.hint


def corrupt(probs, case):
    bad = probs.copy()
    if case == "nan":
        bad[1, 1] = np.nan
    elif case == "inf":
        bad[2, 0] = np.inf
    elif case == "negative":
        bad[0] = [-0.2, 0.6, 0.6]
    elif case == "above_one":
        bad[0] = [1.5, -0.25, -0.25]
    elif case == "row_sums":
        bad[3] *= 0.9
        bad[4] *= 1.001
    return bad


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        ("nan", ["1 NaN or infinite"]),
        ("inf", ["1 NaN or infinite"]),
        ("negative", ["outside [0, 1]", "min -0.2"]),
        ("above_one", ["outside [0, 1]", "max 1.5"]),
        ("row_sums", ["2 row(s)", "worst: row 3 sums to 0.9"]),
    ],
)
@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_invalid_values(tmp_path, probs, case, needles, suffix):
    path = tmp_path / f"bad{suffix}"
    bad = corrupt(probs, case)
    np.save(path, bad) if suffix == ".npy" else pd.DataFrame(bad, columns=list("abc")).to_csv(path, index=False)
    with pytest.raises(InputError) as excinfo:
        read_pred_probs(path, class_names="abc", num_examples=6)
    assert_one_line_error(excinfo, f"bad{suffix}", *needles)


def test_row_sum_tolerance(probs):
    nearly = probs.copy()
    nearly[:, 0] += 5e-5
    validate_pred_probs(nearly, class_names="abc", num_examples=6)


@pytest.mark.parametrize(
    ("name", "writer", "needles"),
    [
        ("flat.npy", lambda p: np.save(p, np.full(6, 0.5)), ["1 dimension"]),
        ("cube.npy", lambda p: np.save(p, np.full((6, 3, 1), 1 / 3)), ["3 dimension"]),
        (
            "objects.npy",
            lambda p: np.save(p, np.array([{"a": 1}] * 6, dtype=object), allow_pickle=True),
            ["Python objects"],
        ),
        ("text.npy", lambda p: np.save(p, np.full((6, 3), "x")), ["not numbers"]),
        ("corrupt.npy", lambda p: p.write_bytes(b"\x93NUMPY garbage"), ["cannot read"]),
        ("words.csv", lambda p: p.write_text("a,b,c\n" + "0.5,x,0.5\n" * 6), ["non-numeric", "b"]),
        ("empty.csv", lambda p: p.write_bytes(b""), ["empty"]),
        ("corrupt.parquet", lambda p: p.write_bytes(b"PAR1 nope PAR1"), ["corrupt.parquet"]),
        ("probs.json", lambda p: p.write_text("[]"), ["probs.json", "format"]),
    ],
)
def test_unreadable_files(tmp_path, name, writer, needles):
    path = tmp_path / name
    writer(path)
    with pytest.raises(InputError) as excinfo:
        read_pred_probs(path, class_names="abc", num_examples=6)
    assert_one_line_error(excinfo, name, *needles)


def test_missing_file_and_folder(tmp_path):
    for path, needle in ((tmp_path / "nope.npy", "not found"), (tmp_path, "folder")):
        with pytest.raises(InputError) as excinfo:
            read_pred_probs(path, class_names="abc", num_examples=6)
        assert_one_line_error(excinfo, str(path), needle)
