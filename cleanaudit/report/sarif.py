"""SARIF 2.1.0: one run, one rule per issue type, one result per flagged row and issue type.

Code-scanning tools (GitHub's ``upload-sarif``) read this. A result's location is the CSV and the
line its row starts on (``region.startLine``), or the file alone for Parquet; a row not in a file
of the repository (a URL, stdin) has no location. ``partialFingerprints`` come from the dataset
name, issue type and row id, so a flag is tracked across runs even when rows move.

>>> from cleanaudit.report.findings import Finding, Location
>>> f = Finding("label", 4, "t-4", 0.1, "given 'a'", "warning", Location("d.csv", 6))
>>> log = sarif_log([f], {"label": "Rows whose label disagrees."}, version="1.0", dataset="d.csv")
>>> r = log["runs"][0]["results"][0]
>>> r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]
('label', 6)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from cleanaudit.report.findings import Finding

__all__ = ["INFORMATION_URI", "SARIF_SCHEMA", "sarif_log"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/cleanaudit/"


def sarif_log(
    findings: Sequence[Finding],
    rules: Mapping[str, str],
    *,
    version: str,
    dataset: str,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The SARIF log object: ``rules`` maps every issue type the run measured to its description.

    ``notes`` (the run's notes) become tool notifications, so what the run decided is kept.
    """
    rule_ids = list(rules) + sorted({f.issue_type for f in findings} - set(rules))
    driver = {
        "name": "cleanaudit",
        "version": version,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(name, rules.get(name, "")) for name in rule_ids],
    }
    index = {name: i for i, name in enumerate(rule_ids)}
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "results": [_result(f, index[f.issue_type], dataset) for f in findings],
        "columnKind": "unicodeCodePoints",
    }
    if notes:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [{"level": "note", "message": {"text": n}} for n in notes],
            }
        ]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(name: str, description: str) -> dict[str, Any]:
    title = name.replace("_", " ")
    text = description or f"Rows flagged by the {title} check."
    return {
        "id": name,
        "name": "".join(part.capitalize() for part in name.split("_")) + "Issue",
        "shortDescription": {"text": f"{title.capitalize()} issue"},
        "fullDescription": {"text": text},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["data-quality", title]},
    }


def _result(finding: Finding, rule_index: int, dataset: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.issue_type,
        "ruleIndex": rule_index,
        "level": finding.level,
        "message": {"text": finding.message},
        "partialFingerprints": {"cleanauditRow/v1": fingerprint(dataset, finding.issue_type, finding.id)},
        "properties": {"row": finding.row, "id": _json_id(finding.id), "score": finding.score},
    }
    location = finding.location
    if location.uri is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": location.uri}}
        if location.line is not None:
            physical["region"] = {"startLine": location.line}
        result["locations"] = [{"physicalLocation": physical}]
    return result


def fingerprint(dataset: str, issue_type: str, row_id: Any) -> str:
    """A stable hash of the dataset name, issue type and row id (not the line: rows move in a file).

    >>> fingerprint("d.csv", "label", 3) == fingerprint("d.csv", "label", 3) != fingerprint("d.csv", "label", 4)
    True
    """
    return hashlib.sha256(f"{dataset}\0{issue_type}\0{row_id}".encode()).hexdigest()[:32]


def _json_id(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    return str(value)
