"""--format github / sarif from the command line: each annotation points at its row's CSV line; --exit-zero."""

from __future__ import annotations

import json

import numpy as np
import pytest

FLIPPED = [3, 10, 17, 25]  # rows whose pred_probs confidently say the other class


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    """A repository holding a CSV whose quoted text values span lines (CRLF, BOM), and its pred_probs."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "data").mkdir()
    labels = ["a" if i % 2 else "b" for i in range(40)]
    rows = []
    for i, label in enumerate(labels):
        note = f'"line one\r\nline two, of {i}"' if i % 3 == 0 else f'"say ""{i}"""'
        rows.append(f"t{i:02d},{note},{i % 7},{label}")
    (root / "data" / "tickets.csv").write_bytes(("\ufeffid,note,x,y\r\n" + "\r\n".join(rows) + "\r\n").encode())
    probs = np.array([[0.1, 0.9] if (label == "b") != (i in FLIPPED) else [0.9, 0.1] for i, label in enumerate(labels)])
    np.save(root / "probs.npy", probs)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.delenv("CLEANAUDIT_MAX_ANNOTATIONS", raising=False)
    monkeypatch.chdir(root)
    return root


def _run(cli, *args, env=None):
    base = ["data/tickets.csv", "-l", "y", "--id-column", "id", "--pred-probs", "probs.npy", "-q"]
    return cli(*args[:1], *base, *args[1:], env=env or {})


def test_github_annotations_point_at_each_rows_line(cli, repo):
    result = _run(cli, "find-issues", "--format", "github")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    file_lines = (repo / "data" / "tickets.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    annotations = lines[:-1]
    assert len(annotations) == len(FLIPPED)
    seen = set()
    for line in annotations:
        head, message = line.split("::", 2)[1:]
        props = dict(p.split("=", 1) for p in head.split(" ", 1)[1].split(","))
        assert head.startswith("warning ") and props["file"] == "data/tickets.csv"
        row_id = message.split("row ", 1)[1].split(":", 1)[0]
        assert file_lines[int(props["line"]) - 1].startswith(f"{row_id},")  # the record of that very row
        seen.add(int(row_id[1:]))
    assert seen == set(FLIPPED)
    assert lines[-1] == f"::notice title=cleanaudit::cleanaudit: {len(FLIPPED)} label issues (showing {len(FLIPPED)})"


def test_cap_from_the_environment_and_error_level_for_a_failed_gate(cli, repo):
    result = _run(
        cli, "find-issues", "--format", "github", "--fail-on", "label>0", env={"CLEANAUDIT_MAX_ANNOTATIONS": "2"}
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("::error file=data/tickets.csv,line=") for line in lines[:2])
    assert lines[-1].endswith(f"{len(FLIPPED)} label issues (showing 2)")
    bad = _run(cli, "find-issues", "--format", "github", env={"CLEANAUDIT_MAX_ANNOTATIONS": "many"})
    assert bad.exit_code == 2 and "CLEANAUDIT_MAX_ANNOTATIONS" in bad.stderr


def test_exit_zero_reports_a_failed_gate_but_exits_0(cli, repo):
    failing = _run(cli, "health", "--fail-on", "label>0")
    assert failing.exit_code == 1
    zero = _run(cli, "health", "--fail-on", "label>0", "--exit-zero", "--format", "json")
    assert zero.exit_code == 0, zero.stderr
    assert json.loads(zero.stdout)["gates"][0]["passed"] is False
    assert _run(cli, "health", "--exit-zero", "--label-sep").exit_code == 2  # bad usage still exits 2


def test_sarif_is_schema_valid_with_right_lines(cli, repo):
    from test_report_sarif import validate

    result = _run(cli, "audit", "--checks", "label", "--format", "sarif", "--fail-on", "label>0", "--exit-zero")
    assert result.exit_code == 0, result.stderr
    log = json.loads(result.stdout)
    validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == len(FLIPPED) and {r["level"] for r in results} == {"error"}
    file_lines = (repo / "data" / "tickets.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    for r in results:
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "data/tickets.csv"
        assert file_lines[location["region"]["startLine"] - 1].startswith(f"{r['properties']['id']},")


def test_parquet_rows_name_the_file_without_lines(cli, repo):
    import pandas as pd

    from cleanaudit.data.load import read_csv_source

    read_csv_source(repo / "data" / "tickets.csv").to_parquet(repo / "data" / "tickets.parquet")
    result = cli(
        "find-issues", "data/tickets.parquet", "-l", "y", "--pred-probs", "probs.npy", "-q", "--format", "github"
    )
    assert result.exit_code == 0, result.stderr
    assert all(
        line.startswith("::warning file=data/tickets.parquet,title=") for line in result.stdout.splitlines()[:-1]
    )
    assert pd.read_parquet(repo / "data" / "tickets.parquet").shape[0] == 40
