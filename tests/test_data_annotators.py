"""--annotators in the data layer: the columns named, the classes, the code matrix, the Dataset of the consensus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.annotators import (
    CONSENSUS_COLUMN,
    NO_ANNOTATIONS,
    Annotations,
    consensus_dataset,
    read_annotations,
    resolve_annotator_columns,
)
from cleanaudit.errors import InputError

COLUMNS = ["id", "x", "rater_2", "y", "rater_1", "rater_10", "other"]


def test_a_glob_names_the_matching_columns_in_table_order():
    assert resolve_annotator_columns("rater_*", COLUMNS, where="t.csv") == ["rater_2", "rater_1", "rater_10"]


def test_a_comma_list_mixes_names_and_globs_and_keeps_table_order():
    assert resolve_annotator_columns("other, rater_1?", COLUMNS, where="t.csv") == ["rater_10", "other"]
    assert resolve_annotator_columns(["rater_1", "rater_2"], COLUMNS, where="t.csv") == ["rater_2", "rater_1"]


@pytest.mark.parametrize(
    "spec, says",
    [
        ("judge_*", "--annotators 'judge_*' matches no column of t.csv"),
        ("rater_1,Rater_2", "annotator column 'Rater_2' not found in t.csv"),
        ("rater_1", "--annotators names one column of t.csv ('rater_1')"),
        ("rater_1, rater_1", "--annotators names one column"),
        (" , ", "--annotators names no columns"),
    ],
)
def test_columns_that_cannot_be_annotators_are_refused(spec, says):
    with pytest.raises(InputError) as err:
        resolve_annotator_columns(spec, COLUMNS, where="t.csv")
    assert says in err.value.message


def test_a_near_miss_suggests_the_column():
    with pytest.raises(InputError) as err:
        resolve_annotator_columns("rater_1,Rater_2", COLUMNS, where="t.csv")
    assert "did you mean 'rater_2'?" in err.value.hint


def test_text_labels_are_the_sorted_union_and_empty_cells_are_nan():
    frame = pd.DataFrame({"a": ["dog", None, "cat", " "], "b": [None, "emu", "cat", "dog"]})
    found = read_annotations(frame, ["a", "b"], where="t.csv")
    assert found.class_names == ["cat", "dog", "emu"]
    assert np.array_equal(found.codes, [[1, np.nan], [np.nan, 2], [0, 0], [np.nan, 1]], equal_nan=True)
    assert found.counts.tolist() == [1, 1, 2, 1]


def test_whole_numbers_read_as_floats_sort_as_numbers():
    # A rater column with empty cells is read as floats (2.0, 10.0): the classes stay 2 and 10, in numeric order.
    frame = pd.read_csv(__import__("io").StringIO("a,b\n10,2\n2,\n,10\n"))
    found = read_annotations(frame, ["a", "b"], where="t.csv")
    assert found.class_names == [2, 10] and all(type(c) is int for c in found.class_names)
    assert np.array_equal(found.codes, [[1, 0], [0, np.nan], [np.nan, 1]], equal_nan=True)


def test_an_annotator_column_with_no_label_is_refused_by_name():
    frame = pd.DataFrame({"a": ["x", "y"], "b": [None, "  "]})
    with pytest.raises(InputError) as err:
        read_annotations(frame, ["a", "b"], where="t.csv")
    assert err.value.message == "annotator column 'b' in t.csv holds no labels: all 2 cells are empty"


def test_non_integer_numbers_and_a_single_class_are_refused():
    with pytest.raises(InputError, match="annotator column 'b' in t.csv holds non-integer numbers"):
        read_annotations(pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 1.0]}), ["a", "b"], where="t.csv")
    with pytest.raises(InputError, match="hold a single class"):
        read_annotations(pd.DataFrame({"a": ["x", None], "b": ["x", "x"]}), ["a", "b"], where="t.csv")


def test_the_matrix_follows_a_smaller_class_list():
    found = Annotations(["a", "b"], np.array([[0.0, 2.0], [1.0, np.nan], [2.0, 2.0]]), ["p", "q", "r"])
    matrix, lost = found.matrix(np.array([2, 0]), ["p", "r"])
    assert np.array_equal(matrix, [[1, 1], [0, 1]]) and lost.tolist() == [0, 0]
    matrix, lost = found.matrix(np.array([0, 1]), ["p", "q"])
    assert np.array_equal(matrix, [[0, np.nan], [1, np.nan]], equal_nan=True) and lost.tolist() == [0, 1]
    assert found.labels_of(1) == {"a": "q", "b": None}


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": ["k0", "k1", "k2", "k3"],
            "x": [0.1, 0.2, 0.3, 0.4],
            "given": ["a", "b", "a", "b"],
            "r1": ["a", "b", None, "c"],
            "r2": ["a", None, None, "c"],
        }
    )


def test_the_consensus_dataset_never_uses_annotators_id_or_label_as_features():
    frame = _frame()
    found = read_annotations(frame, ["r1", "r2"], where="t.csv")
    ds = consensus_dataset(
        frame, found, np.array([0, 1, -1, 2]), where="t.csv", label="given", id_column="key", paths=["t.csv"]
    )
    assert list(ds.features.columns) == ["x"]
    assert ds.label_column == CONSENSUS_COLUMN and ds.class_names == ["a", "b", "c"]
    assert ds.labels.tolist() == [0, 1, 2] and ds.ids.tolist() == ["k0", "k1", "k3"]
    assert ds.row_positions.tolist() == [0, 1, 3] and ds.annotations is found
    assert ds.not_analysed.reasons == [NO_ANNOTATIONS] and ds.not_analysed.ids.tolist() == ["k2"]
    kinds = [n.kind for n in ds.notes]
    assert "label_not_used" in kinds and NO_ANNOTATIONS in kinds and "missing_labels" not in kinds


def test_a_class_the_vote_never_names_stays_a_class():
    frame = _frame()
    found = read_annotations(frame, ["r1", "r2"], where="t.csv")
    ds = consensus_dataset(frame, found, np.array([0, 0, 0, 1]), where="t.csv")
    assert ds.class_names == ["a", "b", "c"] and ds.labels.tolist() == [0, 0, 0, 1]


def test_bad_column_roles_and_unlabelled_rows_can_be_refused():
    frame = _frame()
    found = read_annotations(frame, ["r1", "r2"], where="t.csv")
    votes = np.array([0, 1, -1, 2])
    with pytest.raises(InputError, match="column 'r1' is both a feature and an annotator"):
        consensus_dataset(frame, found, votes, where="t.csv", features=["x", "r1"])
    with pytest.raises(InputError, match="column 'r2' is both an annotator .* and the --id-column column"):
        consensus_dataset(frame, found, votes, where="t.csv", id_column="r2")
    with pytest.raises(InputError, match="label column 'nope' not found"):
        consensus_dataset(frame, found, votes, where="t.csv", label="nope")
    with pytest.raises(InputError) as err:
        consensus_dataset(frame, found, votes, where="t.csv", on_missing_label="error")
    assert err.value.message == "1 row(s) of t.csv have no label in any annotator column (rows 2)"


def test_annotators_who_never_label_the_same_row_are_refused():
    frame = pd.DataFrame({"a": ["x", None, "y"], "b": [None, "y", None]})
    with pytest.raises(InputError, match="no row of t.csv is labelled by two or more of the annotators"):
        read_annotations(frame, ["a", "b"], where="t.csv")
