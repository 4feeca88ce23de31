"""Reading an --out folder for review: flagged rows most severe first, partners, the input's state, bad folders."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from review_cases import SCRIPT_LABEL, audited_folder

from cleanaudit.errors import InputError
from cleanaudit.review import load_review_folder


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    return audited_folder(tmp_path_factory.mktemp("review-folder"))


def test_flagged_rows_most_severe_first_with_values_and_partners(audited, monkeypatch):
    data, out = audited
    review = load_review_folder(out)
    issues = pd.read_csv(out / "issues.csv")
    flagged = issues[issues.is_label_issue | issues.is_near_duplicate_issue]
    assert sorted(r["row"] for r in review.rows) == sorted(flagged.row)
    scores = [r["score"] for r in review.rows]
    assert scores == sorted(scores)
    assert review.input_state == "ok" and review.columns[0] == "rid"
    first = review.rows[0]
    assert first["values"]["rid"] == first["id"] == f"r{first['row']:03d}"
    assert first["given"] == first["values"]["y"]
    copy = next(r for r in review.rows if r["row"] == 250)  # row 250 is a copy of row 5
    assert "near_duplicate" in copy["issues"] and {"row": 5, "kind": "exact_duplicate"} in copy["partners"]
    assert SCRIPT_LABEL in review.class_names


def test_changed_and_missing_input_are_said_and_values_not_shown(audited, tmp_path):
    data, out = audited
    changed = tmp_path / "changed.csv"
    changed.write_text(data.read_text() + "\n")
    review = load_review_folder(out, data=changed)
    assert review.input_state == "changed" and "changed since the audit" in review.input_message
    assert all(r["values"] is None for r in review.rows)
    report = json.loads((out / "report.json").read_text())
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)
    report["dataset"]["path"] = str(tmp_path / "gone.csv")
    (moved / "report.json").write_text(json.dumps(report))
    review = load_review_folder(moved)
    assert review.input_state == "missing" and "not found" in review.input_message
    assert review.rows  # the flags are still there to review


def test_find_issues_folder(tmp_path):
    _, out = audited_folder(tmp_path, command="find-issues")
    review = load_review_folder(out)
    report = json.loads((out / "report.json").read_text())
    assert [r["row"] for r in review.rows] == [i["row"] for i in report["issues"]]
    assert review.issue_types == ["label"]


@pytest.mark.parametrize("case", ["missing", "file", "no_report", "health", "clean"])
def test_bad_folders_are_one_line_errors(audited, tmp_path, case):
    _, out = audited
    folder = tmp_path / "dir"
    if case == "file":
        folder.write_text("x")
    elif case == "no_report":
        folder.mkdir()
    elif case in ("health", "clean"):
        shutil.copytree(out, folder)
        report = json.loads((folder / "report.json").read_text())
        if case == "health":
            report["command"] = "health"
        (folder / "report.json").write_text(json.dumps(report))
        if case == "clean":
            issues = pd.read_parquet(folder / "issues.parquet")
            for column in [c for c in issues.columns if c.startswith("is_")]:
                issues[column] = False
            issues.to_parquet(folder / "issues.parquet")
    with pytest.raises(InputError) as err:
        load_review_folder(folder)
    assert "\n" not in str(err.value)
    expected = {
        "missing": "not found",
        "file": "not a folder",
        "no_report": "not an --out folder",
        "health": "not of audit or find-issues",
        "clean": "flags no rows",
    }[case]
    assert expected in str(err.value)
