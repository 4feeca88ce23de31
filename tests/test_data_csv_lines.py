"""Record start lines agree with what the loader reads, whatever the CSV dialect the loader accepts."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from cleanaudit.data.csv_lines import record_start_lines, record_start_lines_of, repository_path
from cleanaudit.data.load import read_csv_source


def test_quoted_line_breaks_crlf_bom_and_blank_lines():
    data = '\ufeffid,text,y\r\n1,"two\r\nlines",a\r\n\r\n2,"say ""hi""",b\r\n   \r\n3,plain,a'.encode()
    assert record_start_lines_of(data) == [1, 2, 5, 7]


def test_quote_inside_an_unquoted_field_is_a_plain_character():
    assert record_start_lines_of(b'x,y\n5"6,a\n7,b\n') == [1, 2, 3]


def test_cr_only_files_and_lone_cr_in_values():
    assert record_start_lines_of(b"x,y\r1,a\r2,b\r") == [1, 2, 3]
    assert record_start_lines_of(b"x,y\nhello\rworld,a\n2,b\n") == [1, 2, 3]


def test_tab_separated_blank_is_not_a_blank_line():
    assert record_start_lines_of(b"x\ty\n\t\n1\ta\n", sep="\t") == [1, 2, 3]


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_match_the_loader(seed):
    rng = np.random.default_rng(seed)
    values = ["".join(rng.choice(list('ab,"\n\r x'), size=rng.integers(0, 6))) for _ in range(25)]
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(25)], "t": values, "y": rng.integers(0, 3, 25)})
    text = frame.to_csv(index=False, lineterminator="\r\n" if seed % 2 else "\n")
    data = text.encode()
    read = read_csv_source(io.BytesIO(data), sep=",", low_memory=False)
    starts = record_start_lines_of(data)[1:]
    assert len(starts) == len(read)
    physical = data.split(b"\n")
    for i, line in enumerate(starts):  # the line each record starts on begins with that row's id
        assert physical[line - 1].startswith(f"r{i},".encode())


def test_file_and_repository_path(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "data").mkdir()
    path = repo / "data" / "t.csv"
    path.write_bytes(b'id,note\n1,"a\nb"\n2,c\n')
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    assert record_start_lines(path) == [2, 4]
    assert repository_path(path) == "data/t.csv"
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo / "data"))
    assert repository_path(path) == "t.csv"
    assert record_start_lines(tmp_path / "missing.csv") is None
