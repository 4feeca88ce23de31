"""SARIF 2.1.0 output is valid against the vendored OASIS schema, with one rule per issue type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleanaudit.report.findings import Finding, Location
from cleanaudit.report.sarif import fingerprint, sarif_log

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def validate(log: dict) -> None:
    """Raise unless ``log`` is valid SARIF 2.1.0 (the schema is JSON Schema draft 04)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)


def test_the_vendored_schema_is_the_oasis_one():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert "result" in schema["definitions"] and "physicalLocation" in schema["definitions"]


def test_log_is_schema_valid_with_rules_results_and_locations():
    findings = [
        Finding("label", 4, "t-4", 0.1, "Label issue in row t-4", "error", Location("data/d.csv", 6)),
        Finding("outlier", 9, "t-9", 0.2, "Outlier issue in row t-9", "warning", Location("data/d.parquet")),
        Finding("near_duplicate", 1, 1, 0.0, "from stdin", "warning", Location()),
    ]
    rules = {"label": "Rows whose label disagrees.", "outlier": "Far rows.", "near_duplicate": "Copies."}
    log = sarif_log(findings, rules, version="0.1.0", dataset="data/d.csv", notes=["a note"])
    validate(log)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["label", "outlier", "near_duplicate"]
    assert run["tool"]["driver"]["rules"][0]["fullDescription"]["text"] == "Rows whose label disagrees."
    first, second, third = run["results"]
    assert (first["ruleId"], first["level"], first["ruleIndex"]) == ("label", "error", 0)
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "data/d.csv"},
        "region": {"startLine": 6},
    }
    assert "region" not in second["locations"][0]["physicalLocation"]
    assert "locations" not in third
    assert first["partialFingerprints"]["cleanauditRow/v1"] == fingerprint("data/d.csv", "label", "t-4")


def test_an_invalid_log_is_refused():  # the validator really checks: a result needs a message
    log = sarif_log([], {"label": ""}, version="0.1.0", dataset="d.csv")
    log["runs"][0]["results"] = [{"ruleId": "label"}]
    with pytest.raises(jsonschema.ValidationError):
        validate(log)
