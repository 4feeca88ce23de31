"""corrections.csv (review's decisions): read, validated line by line, aligned with the data; written atomically."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.corrections import ACTIONS, CORRECTION_COLUMNS, read_corrections, write_corrections
from cleanaudit.data.frame import dataset_from_frame
from cleanaudit.errors import InputError

HEADER = ",".join(CORRECTION_COLUMNS)


@pytest.fixture()
def tickets():
    frame = pd.DataFrame(
        {
            "ticket": ["T-1", "T-2", "T-3", "T-4", "T-5"],
            "x": [1.0, 2.0, 3.0, 4.0, 5.0],
            "team": ["billing", "shipping", None, "billing", "shipping"],
        }
    )
    return dataset_from_frame(frame, label="team", id_column="ticket")


def _file(tmp_path, *lines: str, header: str = HEADER):
    path = tmp_path / "corrections.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_the_contract_columns_and_actions():
    assert CORRECTION_COLUMNS == ("row", "id", "action", "new_label", "reviewed_at")
    assert ACTIONS == ("relabel", "drop", "keep")


def test_decisions_are_aligned_with_the_analysed_rows(tickets, tmp_path):
    path = _file(
        tmp_path,
        "4,T-5,keep,,2026-12-02T05:59:03Z",
        "0,T-1,relabel,shipping,2026-12-02T05:59:01Z",
        "3,T-4,drop,,2026-12-02T05:59:02Z",
        "2,T-3,relabel,billing,2026-12-02T05:59:04Z",  # row 2 has no label: not analysed
    )
    found = read_corrections(path, tickets)
    assert found.counts() == {"relabel": 2, "drop": 1, "keep": 1}
    assert found.rows.tolist() == [0, 2, 3, 4]  # in row order
    # analysed rows are input rows 0, 1, 3, 4
    assert found.action.tolist() == ["relabel", "", "drop", "keep"]
    assert found.new_label.tolist() == [tickets.class_names.index("shipping"), -1, -1, -1]
    assert found.line.tolist() == [3, 0, 4, 2]
    assert [found.rows[i] for i in found.outside] == [2]
    assert found.new_labels[found.outside[0]] == "billing"


def test_a_line_with_no_row_is_matched_by_id(tickets, tmp_path):
    found = read_corrections(_file(tmp_path, ",T-2,drop,,"), tickets)
    assert found.action.tolist() == ["", "drop", "", ""]


def test_without_an_id_column_the_id_is_the_row(tmp_path):
    data = dataset_from_frame(pd.DataFrame({"x": [1, 2, 3], "y": [1, 2, 2]}), label="y")
    found = read_corrections(_file(tmp_path, "1,1,relabel,1,", "2,,keep,,"), data)  # class 1 given as text
    assert found.action.tolist() == ["", "relabel", "keep"]
    assert found.new_label.tolist() == [-1, 0, -1]
    with pytest.raises(InputError, match=r"line 2: id 'T-2' is not the id of row 1 \('1'\)"):
        read_corrections(_file(tmp_path, "1,T-2,drop,,"), data)


@pytest.mark.parametrize(
    ("lines", "header", "needle"),
    [
        ((), "row,id,action", "has no column(s) new_label, reviewed_at"),
        (("0,T-1,delete,,",), HEADER, "line 2: unknown action 'delete'"),
        (("5,T-6,drop,,",), HEADER, "line 2: row '5' is not a row of the data (0..4)"),
        (("-1,,drop,,",), HEADER, "row '-1' is not a row"),
        (("x,T-1,drop,,",), HEADER, "row 'x' is not a row"),
        (("0,T-2,drop,,",), HEADER, "line 2: id 'T-2' is not the id of row 0 ('T-1')"),
        ((",T-9,drop,,",), HEADER, "id 'T-9' names no single row"),
        (("0,T-1,drop,,", "1,T-2,keep,,", "0,T-1,keep,,"), HEADER, "line 4: row 0 is already decided on line 2"),
        (("0,T-1,relabel,,",), HEADER, "line 2: relabel without a new_label"),
        (("0,T-1,relabel,Billing,",), HEADER, "new_label 'Billing' is not a class of the data"),
        (("0,T-1,drop,billing,",), HEADER, "line 2: action drop with new_label 'billing'"),
        (("0,T-1,keep,,yesterday",), HEADER, "line 2: reviewed_at 'yesterday' is not an ISO-8601 time"),
        (("0,T-1,keep,,,extra",), HEADER, "line 2 has more cells than the header"),
    ],
)
def test_every_mistake_is_one_input_error_naming_file_and_line(tickets, tmp_path, lines, header, needle):
    path = _file(tmp_path, *lines, header=header)
    with pytest.raises(InputError) as caught:
        read_corrections(path, tickets)
    message = str(caught.value)
    assert needle in message and str(path) in message and "\n" not in message
    assert caught.value.hint


def test_the_classes_are_named_when_a_label_is_unknown(tickets, tmp_path):
    with pytest.raises(InputError) as caught:
        read_corrections(_file(tmp_path, "0,T-1,relabel,sales,"), tickets)
    assert "billing, shipping" in caught.value.hint


def test_a_missing_file_is_an_input_error(tickets, tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_corrections(tmp_path / "nope.csv", tickets)


def test_blank_lines_and_a_bom_and_extra_columns_are_fine(tickets, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("\ufeff" + HEADER + ",note\n0,T-1,drop,,,typo\n\n,,,,,\n", encoding="utf-8")
    assert read_corrections(path, tickets).counts() == {"relabel": 0, "drop": 1, "keep": 0}


def test_write_corrections_sorts_rows_keeps_the_last_decision_and_reads_back(tickets, tmp_path):
    path = tmp_path / "corrections.csv"
    path.write_text("old", encoding="utf-8")
    write_corrections(
        path,
        [
            {"row": 3, "id": "T-4", "action": "drop", "reviewed_at": "2026-12-02T05:59:01Z"},
            {"row": 0, "id": "T-1", "action": "keep", "new_label": None},
            {
                "row": 3,
                "id": "T-4",
                "action": "relabel",
                "new_label": "shipping",
                "reviewed_at": "2026-12-02T06:00:00Z",
            },
        ],
    )
    assert path.read_text(encoding="utf-8").splitlines() == [
        HEADER,
        "0,T-1,keep,,",
        "3,T-4,relabel,shipping,2026-12-02T06:00:00Z",
    ]
    assert sorted(os.listdir(tmp_path)) == ["corrections.csv"]  # no temp file left behind
    found = read_corrections(path, tickets)
    assert found.action.tolist() == ["keep", "", "relabel", ""]


def test_a_label_with_commas_quotes_and_markup_survives_a_round_trip(tmp_path):
    odd = 'a, "b" <script>'
    data = dataset_from_frame(pd.DataFrame({"x": [1, 2], "y": [odd, "plain"]}), label="y")
    path = tmp_path / "c.csv"
    write_corrections(path, [{"row": 1, "id": 1, "action": "relabel", "new_label": odd}])
    found = read_corrections(path, data)
    assert found.new_label.tolist() == [-1, data.class_names.index(odd)]


def test_aligned_follows_rows_left_out_later(tickets, tmp_path):
    from cleanaudit.data.labels import leave_out_classes

    found = read_corrections(_file(tmp_path, "1,T-2,relabel,billing,", "4,T-5,drop,,"), tickets)
    shipping = tickets.class_names.index("shipping")
    fewer = leave_out_classes(tickets, [shipping])  # rows 1 and 4 leave the analysis
    again = found.aligned(fewer)
    assert again.action.tolist() == ["", ""] and sorted(again.rows[again.outside].tolist()) == [1, 4]
    kept = leave_out_classes(tickets, [tickets.class_names.index("billing")])
    with pytest.raises(InputError, match="class left out of the analysis"):
        found.aligned(kept)  # row 1 stays, but its new class left


def test_counts_are_numbers(tickets, tmp_path):
    found = read_corrections(_file(tmp_path), tickets)
    assert found.counts() == {"relabel": 0, "drop": 0, "keep": 0} and not found.reviewed.any()
    assert isinstance(found.action, np.ndarray)
