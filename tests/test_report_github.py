"""GitHub workflow commands: escaping, one line per finding, the cap and the summary line."""

from __future__ import annotations

from cleanaudit.report.findings import Finding, Location, capped
from cleanaudit.report.github import annotation, escape_data, escape_property, render_github

HERE = Location("d.csv", 2)


def _finding(issue_type="label", row=0, level="warning", message="m", location=HERE):
    return Finding(issue_type, row, row, 0.1, message, level, location)


def test_escaping_follows_githubs_toolkit():
    assert escape_data("100% sure\r\nnext") == "100%25 sure%0D%0Anext"
    assert escape_property("dir,a:b%.csv") == "dir%2Ca%3Ab%25.csv"
    assert escape_data("a::b, c") == "a::b, c"  # ':' and ',' stay in a message


def test_annotation_line_names_file_line_title_and_level():
    line = annotation(_finding(message="given 'a,b'\nnew", location=Location("data/x:y.csv", 7)))
    assert line == "::warning file=data/x%3Ay.csv,line=7,title=Label issue::given 'a,b'%0Anew"
    assert annotation(_finding(level="error")).startswith("::error file=d.csv,line=2,")


def test_parquet_and_stdin_rows_get_less_location():
    assert annotation(_finding(location=Location("d.parquet"))) == "::warning file=d.parquet,title=Label issue::m"
    assert annotation(_finding(location=Location())) == "::warning title=Label issue::m"


def test_cap_keeps_a_share_of_every_type_and_errors_first():
    findings = [_finding("label", i) for i in range(10)] + [_finding("outlier", 100 + i) for i in range(3)]
    findings += [_finding("near_duplicate", 200, level="error")]
    shown = capped(findings, 4)
    # one round over the types (the failed gate's type first), then a second one cut at 4; input order kept
    assert [(f.issue_type, f.row) for f in shown] == [
        ("label", 0),
        ("label", 1),
        ("outlier", 100),
        ("near_duplicate", 200),
    ]
    assert capped(findings, None) == findings and capped(findings, 100) == findings


def test_render_caps_and_ends_with_one_summary():
    findings = [_finding("label", i) for i in range(60)]
    lines = render_github(findings, {"label": 60, "outlier": 0, "null": 1}, cap=50).splitlines()
    assert len(lines) == 51
    assert all(line.startswith("::warning file=d.csv,line=2,title=Label issue::") for line in lines[:50])
    assert lines[-1] == "::notice title=cleanaudit::cleanaudit: 60 label issues, 1 null issue (showing 50)"
    assert render_github([], {}).splitlines() == ["::notice title=cleanaudit::cleanaudit: no issues (showing 0)"]
