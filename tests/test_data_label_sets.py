"""Multi-label columns (data/label_sets.py, dataset_from_frame with task="multilabel")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.frame import dataset_from_frame
from cleanaudit.data.label_sets import encode_label_sets, format_label_set, label_set_lists
from cleanaudit.errors import InputError


def test_text_sets_are_split_stripped_and_deduplicated():
    onehot, names = encode_label_sets(pd.Series(["b, a", "a,,a", " c ", ""]), sep=",")
    assert names == ["a", "b", "c"]
    assert onehot.tolist() == [[1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0]]


def test_other_separators_and_list_cells():
    onehot, names = encode_label_sets(pd.Series(["x|y", "y"]), sep="|")
    assert names == ["x", "y"] and onehot.tolist() == [[1, 1], [0, 1]]
    lists = pd.Series([np.array(["dog", "cat"], dtype=object), [], None, ["cat", None]])
    onehot, names = encode_label_sets(lists, sep=",")
    assert names == ["cat", "dog"] and label_set_lists(onehot) == [[0, 1], [], [], [0]]


def test_whole_numbers_sort_as_numbers():
    onehot, names = encode_label_sets(pd.Series(["2,10", "1", "10"]), sep=",")
    assert names == [1, 2, 10]  # not "1" < "10" < "2"
    assert onehot.tolist() == [[0, 1, 1], [1, 0, 0], [0, 0, 1]]


@pytest.mark.parametrize(
    "values, sep, words",
    [
        (["", None, ""], ",", "no labels in any row"),
        (["a", "a,a"], ",", "single class"),
        (["a,b", "b"], "", "--label-sep is empty"),
    ],
)
def test_unusable_columns_are_refused_in_one_line(values, sep, words):
    with pytest.raises(InputError) as excinfo:
        encode_label_sets(pd.Series(values), sep=sep, column="tags", where="t.csv")
    assert words in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_dataset_keeps_rows_with_empty_sets_and_notes_them():
    frame = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4], "tags": ["a,b", None, "b", ""]})
    ds = dataset_from_frame(frame, label="tags", task="multilabel")
    assert ds.task == "multilabel" and ds.num_examples == 4 and ds.not_analysed is None
    assert ds.labels.tolist() == [[1, 1], [0, 0], [0, 1], [0, 0]]
    assert list(ds.features.columns) == ["x"]
    note = next(n for n in ds.notes if n.kind == "empty_label_sets")
    assert note.message.startswith("2 row(s) have no labels in 'tags'")


def test_list_label_without_multilabel_task_says_what_to_do():
    frame = pd.DataFrame({"x": [0.1, 0.2], "tags": [["a", "b"], ["b"]]})
    with pytest.raises(InputError) as excinfo:
        dataset_from_frame(frame, label="tags")
    assert "--task multilabel" in str(excinfo.value.hint)


def test_format_label_set_joins_with_the_separator():
    assert format_label_set(["a", "b"], "|") == "a|b" and format_label_set([], ",") == ""
