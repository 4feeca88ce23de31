"""Gate expressions parse as documented and evaluate against what a run measured."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from cleanaudit.errors import ConfigError
from cleanaudit.status import ExitStatus
from cleanaudit.workflows.gates import Measurements, evaluate, gates_failed, parse_gate, parse_gates

KNOWN = {"label", "outlier", "near_duplicate", "non_iid", "class_imbalance"}


@pytest.mark.parametrize(
    "expr, metric, op, threshold, fraction",
    [
        ("label>0.05", "label", ">", 0.05, True),
        ("label>100", "label", ">", 100, False),
        ("label > 5%", "label", ">", 0.05, True),
        ("near_duplicate>0", "near_duplicate", ">", 0, False),
        ("health<0.8", "health", "<", 0.8, False),
        ("non_iid", "non_iid", ">", 0, False),
        ("class_imbalance", "class_imbalance", ">", 0, False),
        ("outlier>=3", "outlier", ">=", 3, False),
    ],
)
def test_parse(expr, metric, op, threshold, fraction):
    gate = parse_gate(expr, known=KNOWN)
    assert (gate.metric, gate.op, gate.threshold, gate.fraction) == (metric, op, pytest.approx(threshold), fraction)


@pytest.mark.parametrize("expr", ["label>>1", "bogus>1", "health", "label>1.5", "label>abc", "", "label=1"])
def test_bad_expressions(expr):
    with pytest.raises(ConfigError):
        parse_gate(expr, known=KNOWN)


def test_fail_under_is_a_health_gate():
    gates = parse_gates([], 0.9, known=KNOWN)
    assert [(g.metric, g.op, g.threshold) for g in gates] == [("health", "<", 0.9)]
    with pytest.raises(ConfigError):
        parse_gates([], 1.5, known=KNOWN)


def test_evaluate_counts_fractions_health():
    m = Measurements(200, {"label": 10, "near_duplicate": 0, "non_iid": 1}, health=0.85)
    gates = parse_gates(["label>0.04", "label>10", "near_duplicate>0", "non_iid", "health<0.9"], None, known=KNOWN)
    results = evaluate(gates, m)
    assert [r.passed for r in results] == [False, True, True, False, False]
    assert [r.measured for r in results] == [0.05, 10.0, 0.0, 1.0, 0.85]
    assert gates_failed(results)


def test_skipped_check_fails_loudly():
    m = Measurements(100, {"label": 0}, skipped={"outlier": "needs features"})
    [r] = evaluate([parse_gate("outlier>0", known=KNOWN)], m)
    assert not r.passed and r.measured is None and "skipped" in r.message and "needs features" in r.message


def test_unmeasured_fails_loudly():
    m = Measurements(100, {"label": 0}, command="find-issues")
    [r] = evaluate([parse_gate("near_duplicate>0", known=KNOWN)], m)
    assert not r.passed and "find-issues" in r.message


def test_severity_warn_and_off():
    m = Measurements(100, {"label": 50, "outlier": 5})
    gates = parse_gates(["label>0", "outlier>0"], None, known=KNOWN)
    results = evaluate(gates, m, {"label": "warn"})
    assert [(r.passed, r.severity) for r in results] == [(False, "warn"), (False, "error")]
    assert gates_failed(results)
    assert not gates_failed(evaluate(gates, m, {"label": "warn", "outlier": "off"}))
    assert len(evaluate(gates, m, {"outlier": "off"})) == 1


# --- from the command line, on the tutorial data -----------------------------------------------


def _audit(cli, tutorial_dir, *args, **kwargs):
    return cli(
        "audit",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--features",
        "x1,x2",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "-q",
        *args,
        **kwargs,
    )


def test_cli_failed_gates_listed_with_measured_values(cli, tutorial_dir):
    result = _audit(
        cli,
        tutorial_dir,
        "--fail-on",
        "label>0.05",
        "--fail-on",
        "label>100",
        "--fail-under",
        "0.8",
        "--format",
        "json",
    )
    assert result.exit_code == ExitStatus.GATE_FAILED, result.stderr
    report = json.loads(result.stdout)
    gates = {g["expr"]: g for g in report["gates"]}
    assert gates["label>0.05"] == {
        "expr": "label>0.05",
        "measured": 0.256,
        "passed": False,
        "severity": "error",
        "message": gates["label>0.05"]["message"],
    }
    assert gates["label>100"]["passed"] and gates["label>100"]["measured"] == 64
    assert not gates["health<0.8"]["passed"] and gates["health<0.8"]["measured"] == pytest.approx(0.756)
    failed = [line for line in result.stderr.splitlines() if "gate failed" in line]
    assert len(failed) == 2 and "0.256" in failed[0] and "64 of 250" in failed[0]


def test_cli_passing_gates_exit_0(cli, tutorial_dir):
    result = _audit(cli, tutorial_dir, "--fail-on", "label>0.5", "--fail-on", "class_imbalance")
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert "gate failed" not in result.stderr


def test_cli_junit_structure(cli, tutorial_dir):
    result = _audit(
        cli,
        tutorial_dir,
        "--checks",
        "label,outlier,class_imbalance",
        "--fail-on",
        "label>0.1",
        "--fail-on",
        "class_imbalance",
        "--format",
        "junit",
    )
    assert result.exit_code == ExitStatus.GATE_FAILED, result.stderr
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    for attr in ("name", "tests", "failures", "errors", "skipped"):
        assert attr in suite.attrib
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["label", "outlier", "class_imbalance"]
    assert all(c.get("classname") for c in cases)
    assert suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("errors") == "0"
    assert cases[0].find("failure") is not None and "0.256" in cases[0].find("failure").get("message")
    assert cases[1].find("failure") is None and cases[2].find("failure") is None
    assert root.get("failures") == "1"


@pytest.fixture()
def labels_only(tmp_path, tutorial_dir):
    import pandas as pd

    path = tmp_path / "labels_only.csv"
    pd.read_csv(tutorial_dir / "train.csv")[["y"]].to_csv(path, index=False)
    return path


def test_cli_junit_skipped_check_and_gate_on_it(cli, tutorial_dir, labels_only):
    # Without features, near_duplicate is skipped: a skipped test case, and a gate on it fails.
    probs = tutorial_dir / "pred_probs_cv3_logreg_by_name.npy"
    result = cli(
        "audit",
        labels_only,
        "-l",
        "y",
        "--checks",
        "label,near_duplicate",
        "--pred-probs",
        probs,
        "-f",
        "junit",
        "--fail-on",
        "near_duplicate>0",
    )
    assert result.exit_code == ExitStatus.GATE_FAILED, result.stderr
    suite = ET.fromstring(result.stdout).find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"label", "near_duplicate"}
    assert cases["near_duplicate"].find("failure") is not None
    assert "skipped" in cases["near_duplicate"].find("failure").get("message")
    assert "gate failed: near_duplicate>0: not checked" in result.stderr
    # The same skip without a gate is a skipped case and the run passes.
    result = cli(
        "audit", labels_only, "-l", "y", "--checks", "label,near_duplicate", "--pred-probs", probs, "-f", "junit", "-q"
    )
    assert result.exit_code == ExitStatus.OK, result.stderr
    suite = ET.fromstring(result.stdout).find("testsuite")
    assert suite.get("skipped") == "1" and suite.get("failures") == "0"
    skipped = [c for c in suite.findall("testcase") if c.find("skipped") is not None]
    assert [c.get("name") for c in skipped] == ["near_duplicate"]


def test_cli_no_check_could_run_fails(cli, tutorial_dir, labels_only):
    result = cli(
        "audit",
        labels_only,
        "-l",
        "y",
        "--checks",
        "near_duplicate",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "-q",
    )
    assert result.exit_code == ExitStatus.INPUT_ERROR
    assert "no check could run" in result.stderr and result.stdout == ""


def test_cli_step_summary_appended(cli, tutorial_dir, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = _audit(cli, tutorial_dir, "--fail-on", "label>0.05", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == ExitStatus.GATE_FAILED
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "## cleanaudit audit" in text
    assert "**Gates: 1 of 1 failed**" in text and "| label>0.05 |" in text


def test_cli_markdown_leads_with_verdict(cli, tutorial_dir):
    result = _audit(cli, tutorial_dir, "--fail-under", "0.5", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "## cleanaudit audit"
    assert "**Gates: all 1 passed**" in lines[:6]
    assert "### Issues found" in result.stdout


# --- --baseline: new / fixed / unchanged by row id, and new: gates -----------------------------


def _frame_with_probs(tmp_path, name, wrong_rows):
    """40 rows with ids; pred_probs agree with the labels except on ``wrong_rows`` (clear label issues)."""
    import numpy as np
    import pandas as pd

    labels = np.array(["p", "q"] * 20)
    probs = np.where(labels[:, None] == np.array(["p", "q"]), 0.95, 0.05)
    probs[wrong_rows] = probs[wrong_rows][:, ::-1]
    ids = [f"r{i:02d}" for i in range(40)]
    path = tmp_path / f"{name}.csv"
    pd.DataFrame({"id": ids, "a": np.arange(40.0), "y": labels}).to_csv(path, index=False)
    np.save(tmp_path / f"{name}.npy", probs)
    return path, tmp_path / f"{name}.npy"


def test_baseline_new_fixed_unchanged(cli, tmp_path):
    old, old_probs = _frame_with_probs(tmp_path, "old", [1, 2, 3])
    first = cli(
        "audit",
        old,
        "-l",
        "y",
        "--id-column",
        "id",
        "--features",
        "a",
        "--pred-probs",
        old_probs,
        "--checks",
        "label",
        "--out",
        tmp_path / "run1",
        "-q",
    )
    assert first.exit_code == 0, first.stderr
    new, new_probs = _frame_with_probs(tmp_path, "new", [2, 3, 10, 11])
    args = [
        "audit",
        new,
        "-l",
        "y",
        "--id-column",
        "id",
        "--features",
        "a",
        "--pred-probs",
        new_probs,
        "--checks",
        "label",
        "--baseline",
        tmp_path / "run1" / "report.json",
        "-f",
        "json",
        "-q",
    ]
    result = cli(*args, "--fail-on", "new:label>0", "--fail-on", "new:label>5")
    assert result.exit_code == ExitStatus.GATE_FAILED, result.stderr
    report = json.loads(result.stdout)
    label = report["baseline"]["issues"]["label"]
    assert (label["new"], label["fixed"], label["unchanged"]) == (2, 1, 2)
    assert label["new_rows"] == ["r10", "r11"] and label["fixed_rows"] == ["r01"]
    assert report["baseline"]["matched_by"] == "id column 'id'"
    gates = {g["expr"]: g for g in report["gates"]}
    assert gates["new:label>0"]["measured"] == 2 and not gates["new:label>0"]["passed"]
    assert gates["new:label>5"]["passed"]
    assert "gate failed: new:label>0: new label 2 of 40 rows" in result.stderr


def test_baseline_needs_the_same_id_column(cli, tmp_path):
    old, old_probs = _frame_with_probs(tmp_path, "old", [1])
    assert (
        cli(
            "audit",
            old,
            "-l",
            "y",
            "--features",
            "a",
            "--pred-probs",
            old_probs,
            "--checks",
            "label",
            "--out",
            tmp_path / "run1",
            "-q",
        ).exit_code
        == 0
    )
    result = cli(
        "audit",
        old,
        "-l",
        "y",
        "--id-column",
        "id",
        "--features",
        "a",
        "--pred-probs",
        old_probs,
        "--checks",
        "label",
        "--baseline",
        tmp_path / "run1" / "report.json",
    )
    assert result.exit_code == ExitStatus.INPUT_ERROR and "--id-column" in result.stderr
    # Without ids on both sides rows are matched by position, and the report says so.
    result = cli(
        "audit",
        old,
        "-l",
        "y",
        "--features",
        "a",
        "--pred-probs",
        old_probs,
        "--checks",
        "label",
        "--baseline",
        tmp_path / "run1" / "report.json",
        "-f",
        "json",
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["baseline"]["matched_by"] == "row position"
    assert report["baseline"]["issues"]["label"]["new"] == 0 and report["baseline"]["issues"]["label"]["unchanged"] == 1


def test_new_gate_without_baseline_fails_loudly(cli, tutorial_dir):
    result = _audit(cli, tutorial_dir, "--fail-on", "new:label>0")
    assert result.exit_code == ExitStatus.GATE_FAILED and "--baseline" in result.stderr


def test_missing_baseline_is_input_error(cli, tutorial_dir, tmp_path):
    result = _audit(cli, tutorial_dir, "--baseline", tmp_path / "nope.json")
    assert result.exit_code == ExitStatus.INPUT_ERROR and "nope.json" in result.stderr


@pytest.mark.parametrize(
    "module",
    [
        "cleanaudit.workflows.gates",
        "cleanaudit.config",
        "cleanaudit.workflows.baseline",
        "cleanaudit.workflows.selfcheck",
        "cleanaudit.report.junit",
        "cleanaudit.report.index",
        "cleanaudit.workflows.batch",
    ],
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_junit_for_a_label_command(cli, tutorial_dir):
    result = cli(
        "health",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--fail-under",
        "0.8",
        "-f",
        "junit",
        "-q",
    )
    assert result.exit_code == ExitStatus.GATE_FAILED
    suite = ET.fromstring(result.stdout).find("testsuite")
    [case] = suite.findall("testcase")
    assert case.get("name") == "label" and case.get("classname") == "cleanaudit.health.train.csv"
    assert "health score 0.756" in case.find("failure").get("message")
    result = cli(
        "noise-matrix",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "-f",
        "junit",
        "-q",
    )
    assert result.exit_code == ExitStatus.OK
    [case] = ET.fromstring(result.stdout).find("testsuite").findall("testcase")
    assert case.get("name") == "noise-matrix" and case.find("failure") is None
