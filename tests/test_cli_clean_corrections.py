"""clean --corrections FILE from the CLI: exactly the reviewed decisions, with or without --strategy."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cleanaudit.data.corrections import write_corrections
from cleanaudit.status import ExitStatus

TICKETS = Path("sample_data/support_tickets_train.csv")
PENGUINS = Path("sample_data/real/penguins.csv")
TICKET_ARGS = (TICKETS, "--label", "team", "--id-column", "ticket_id")
DECISIONS = [  # row, id, action, new label
    (0, "T-00001", "relabel", "account"),
    (2, "T-00003", "drop", None),
    (3, "T-00004", "keep", None),
    (10, "T-00011", "relabel", "billing"),
]


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == ExitStatus.INPUT_ERROR, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cleanaudit: error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def _corrections(path: Path, decisions) -> Path:
    write_corrections(
        path,
        [
            {"row": r, "id": i, "action": a, "new_label": n, "reviewed_at": "2026-12-02T05:59:01Z"}
            for r, i, a, n in decisions
        ],
    )
    return path


def test_without_strategy_exactly_the_decisions_and_no_model(cli, tmp_path):
    corrections = _corrections(tmp_path / "corrections.csv", DECISIONS)
    output = tmp_path / "cleaned.csv"
    out = _json(cli("clean", *TICKET_ARGS, "--corrections", corrections, "--output", output, "-q", "--format", "json"))
    assert out["run"]["model"] is None and out["run"]["pred_probs_source"] is None  # nothing was fitted
    assert out["corrections"] == {
        "file": str(corrections),
        "reviewed": 4,
        "relabel": 2,
        "drop": 1,
        "keep": 1,
        "not_analysed": 0,
        "other_rows": "kept",
    }
    assert (out["strategy"], out["removed"], out["relabelled"], out["rows_out"]) == ("reviewed", 1, 2, 1499)
    original = TICKETS.read_text(encoding="utf-8").splitlines()
    cleaned = output.read_text(encoding="utf-8").splitlines()
    expected = list(original)
    expected[1] = expected[1].rsplit(",", 1)[0] + ",account"
    expected[11] = expected[11].rsplit(",", 1)[0] + ",billing"
    del expected[3]  # row 2 (line 3 after the header)
    assert cleaned == expected  # every untouched cell keeps its text (empty cells, 4.2, True)
    manifest = pd.read_csv(tmp_path / "cleaned.manifest.csv", keep_default_na=False)
    assert len(manifest) == 1500
    reviewed = manifest[manifest.source == "reviewed"]
    assert reviewed.row.tolist() == [0, 2, 3, 10]
    assert reviewed.action.tolist() == ["relabelled", "removed", "kept", "relabelled"]
    assert reviewed.suggested_label.tolist() == ["account", "", "", "billing"]
    assert all("corrections.csv line" in r for r in reviewed.reason)
    assert set(manifest.source) == {"reviewed", "not reviewed"}
    assert set(manifest[manifest.source == "not reviewed"].action) == {"kept"}


def test_dry_run_writes_nothing(cli, tmp_path):
    corrections = _corrections(tmp_path / "corrections.csv", DECISIONS)
    out = _json(cli("clean", *TICKET_ARGS, "--corrections", corrections, "--dry-run", "-q", "--format", "json"))
    assert out["dry_run"] is True and out["output_file"] is None and out["rows_out"] == 1499
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrections.csv"]


def test_with_strategy_the_automatic_one_decides_only_the_other_rows(cli, tutorial_dir, tmp_path):
    data = ("clean", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int")
    pred_probs = ("--pred-probs", tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")
    plain = tmp_path / "plain.csv"
    _json(cli(*data, *pred_probs, "--output", plain, "-q", "--format", "json"))
    before = pd.read_csv(tmp_path / "plain.manifest.csv")
    flagged = before[before.action == "removed"].row.tolist()
    train = pd.read_csv(tutorial_dir / "train.csv")
    kept_flagged, relabel_flagged = flagged[0], flagged[1]
    unflagged = int(before[before.action == "kept"].row.iloc[0])
    other = sorted(set(train.y) - {train.y[relabel_flagged]})[0]
    decisions = [
        (kept_flagged, kept_flagged, "keep", None),
        (relabel_flagged, relabel_flagged, "relabel", other),
        (unflagged, unflagged, "drop", None),
    ]
    corrections = _corrections(tmp_path / "corrections.csv", decisions)
    output = tmp_path / "cleaned.csv"
    args = (*data, *pred_probs, "--corrections", corrections, "--strategy", "drop", "--output", output)
    out = _json(cli(*args, "-q", "--format", "json"))
    assert out["strategy"] == "drop" and out["corrections"]["other_rows"] == "drop"
    after = pd.read_csv(tmp_path / "cleaned.manifest.csv")
    by_row = after.set_index("row")
    assert by_row.loc[kept_flagged, "action"] == "kept" and by_row.loc[kept_flagged, "source"] == "reviewed"
    assert by_row.loc[relabel_flagged, "action"] == "relabelled"
    assert by_row.loc[relabel_flagged, "suggested_label"] == other
    assert by_row.loc[unflagged, "action"] == "removed"
    rest = after[~after.row.isin([kept_flagged, relabel_flagged, unflagged])]
    assert set(rest.source) == {"drop"}
    assert rest.action.tolist() == before.set_index("row").loc[rest.row, "action"].tolist()  # as without the file
    assert out["rows_out"] == 250 - len(flagged) + 2 - 1
    cleaned = pd.read_csv(output)
    assert len(cleaned) == out["rows_out"]


def test_missing_labels_can_be_filled_in_or_dropped_on_a_real_table(cli, tmp_path):
    # penguins.csv: rows 3, 8, 9, 10, 11, ... have no sex (left out of the analysis)
    decisions = [(0, 0, "relabel", "female"), (3, 3, "drop", None), (8, 8, "relabel", "male"), (9, 9, "keep", None)]
    corrections = _corrections(tmp_path / "corrections.csv", decisions)
    output = tmp_path / "cleaned.csv"
    out = _json(
        cli("clean", PENGUINS, "-l", "sex", "--corrections", corrections, "--output", output, "-q", "--format", "json")
    )
    assert out["corrections"]["not_analysed"] == 3 and out["rows_out"] == 343 and out["passed_through"] == 10
    original = PENGUINS.read_text(encoding="utf-8").splitlines()
    expected = list(original)
    expected[1] = expected[1].replace(",male,", ",female,")
    expected[9] = expected[9].replace(",,2007", ",male,2007")
    del expected[4]
    assert output.read_text(encoding="utf-8").splitlines() == expected
    manifest = pd.read_csv(tmp_path / "cleaned.manifest.csv", keep_default_na=False).set_index("row")
    assert manifest.loc[3, "action"] == "removed" and manifest.loc[8, "action"] == "relabelled"
    assert manifest.loc[9, "source"] == "reviewed" and manifest.loc[10, "action"] == "not_analysed"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("0,T-00001,relabel,sales,", "line 2: new_label 'sales' is not a class of the data"),
        ("0,T-00002,drop,,", "line 2: id 'T-00002' is not the id of row 0 ('T-00001')"),
        ("1500,T-01501,drop,,", "line 2: row '1500' is not a row of the data (0..1499)"),
        ("0,T-00001,remove,,", "line 2: unknown action 'remove'"),
        ("0,T-00001,keep,billing,", "line 2: action keep with new_label 'billing'"),
        ("0,T-00001,relabel,,", "line 2: relabel without a new_label"),
    ],
)
def test_a_bad_file_is_one_line_and_exit_2(cli, tmp_path, line, needle):
    path = tmp_path / "corrections.csv"
    path.write_text("row,id,action,new_label,reviewed_at\n" + line + "\n", encoding="utf-8")
    result = cli("clean", *TICKET_ARGS, "--corrections", path, "--output", tmp_path / "out.csv")
    _one_line_error(result, needle, str(path))
    assert not (tmp_path / "out.csv").exists()


def test_a_row_given_twice_and_missing_columns_are_refused(cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("row,id,action,new_label,reviewed_at\n0,,drop,,\n0,,keep,,\n", encoding="utf-8")
    _one_line_error(cli("clean", *TICKET_ARGS, "--corrections", path, "--dry-run"), "line 3: row 0 is already")
    path.write_text("row,action\n0,drop\n", encoding="utf-8")
    _one_line_error(cli("clean", *TICKET_ARGS, "--corrections", path, "--dry-run"), "no column(s) id, new_label")


def test_the_output_never_replaces_the_corrections(cli, tmp_path):
    corrections = _corrections(tmp_path / "corrections.csv", DECISIONS[:1])
    before = corrections.read_bytes()
    result = cli("clean", *TICKET_ARGS, "--corrections", corrections, "--output", corrections)
    _one_line_error(result, "--corrections")
    assert corrections.read_bytes() == before


def test_combinations_that_make_no_sense_are_refused(cli, tmp_path):
    corrections = _corrections(tmp_path / "corrections.csv", DECISIONS[:1])
    issues = tmp_path / "issues.csv"
    issues.write_text("row,is_label_issue\n0,True\n", encoding="utf-8")
    result = cli("clean", *TICKET_ARGS, "--corrections", corrections, "--label-issues", issues, "--dry-run")
    _one_line_error(result, "--label-issues with --corrections needs --strategy")
    result = cli("clean", *TICKET_ARGS, "--corrections", corrections, "--strategy", "consensus", "--dry-run")
    _one_line_error(result, "--corrections cannot be combined with --annotators")


def test_label_issues_decide_the_rest_with_strategy_and_no_model(cli, tmp_path):
    corrections = _corrections(tmp_path / "corrections.csv", DECISIONS[:2])
    issues = tmp_path / "issues.csv"
    issues.write_text("row,is_label_issue\n0,True\n5,True\n6,False\n", encoding="utf-8")
    args = ("--corrections", corrections, "--label-issues", issues, "--strategy", "drop", "--dry-run")
    out = _json(cli("clean", *TICKET_ARGS, *args, "-q", "--format", "json"))
    assert out["run"]["model"] is None
    # row 5 removed by --label-issues, row 2 by the review; row 0 (flagged too) relabelled as reviewed
    assert (out["removed"], out["relabelled"], out["rows_out"]) == (2, 1, 1498)


def test_help_names_the_option(cli):
    result = cli("clean", "--help")
    assert result.exit_code == 0 and "--corrections" in result.stdout
