"""Golden files for the rendered formats on the tutorial data, checked against reference.json.

Every command that reads the tutorial data with the reference's own pred_probs
(``sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy``: ``pred_probs_cv3_logreg.npy`` with
its columns in sorted class-name order, so no model is fitted and the numbers are the
reference's) is rendered in four formats and compared with ``tests/golden/<command>.<ext>``:

* terminal: the Rich table at a fixed width (COLUMNS=120, NO_COLOR=1, TERM=dumb) -> ``.txt``
* ``--format markdown`` -> ``.md``
* ``--format json`` with the volatile fields normalised -> ``.json``
* ``--format junit`` with the time attributes normalised -> ``.junit.xml``

The goldens are also checked against an independent source, ``reference.json`` (what cleanlab
2.9.0 computes from the same pred_probs): every golden JSON's numbers must agree with it, and
the terminal and Markdown goldens must show the reference's numbers.

After an intended change of the output, regenerate the goldens with
``python tests/golden/regenerate.py`` and review the diff.

Ties: numpy's default argsort is unstable and may use CPU-dependent SIMD sorters, so a ranking
with exact ties could come out differently on another machine. On this data the only rendered
rankings with exact ties are the near-duplicate examples of ``audit`` (both rows of a pair have
the same score: rows 3/58, 103/119, 236/238); they are ordered with ``kind="stable"``
(report/audit_report.py ``example_rows``), i.e. ties by row position, which is the same on every
machine, so they are kept as rendered. The label-quality scores of the 64 label issues, the
per-class scores and the overlapping pairs' joint probabilities are all distinct (checked in
``test_json_golden_agrees_with_reference``), so those rankings are machine-independent too.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
TUTORIAL = REPO / "sample_data" / "tutorial"
# The CLI runs in the repository root with relative paths, so paths in the output (the headline,
# dataset.path, pred_probs_source) are the same on every machine and the headline never wraps
# differently because of a long absolute path.
TRAIN = "sample_data/tutorial/train.csv"
PRED_PROBS = "sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy"
REGENERATE = "python tests/golden/regenerate.py"

_LABELS = ("-l", "y", "--ignore", "y_int", "--pred-probs", PRED_PROBS)
COMMANDS: dict[str, tuple[str, ...]] = {
    "find-issues": ("find-issues", TRAIN, *_LABELS),
    "health": ("health", TRAIN, *_LABELS),
    "overlap": ("overlap", TRAIN, *_LABELS),
    "noise-matrix": ("noise-matrix", TRAIN, *_LABELS),
    # As tests/test_cli_audit.py: the reference's audit used the features x1, x2.
    "audit": ("audit", TRAIN, "-l", "y", "--features", "x1,x2", "--pred-probs", PRED_PROBS),
}
# --format value -> golden file extension
FORMATS = {"table": "txt", "markdown": "md", "json": "json", "junit": "junit.xml"}

# A fixed terminal; variables that would change the rendering or make the CLI write elsewhere unset.
ENV: dict[str, str | None] = {
    "COLUMNS": "120",
    "LINES": "60",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "FORCE_COLOR": None,
    "CLICOLOR_FORCE": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "GITHUB_STEP_SUMMARY": None,
    "CLEANAUDIT_DEBUG": None,
}
NORMALISED = "<normalised>"
JUNIT_NORMALISED = "normalised"  # no "<" in an XML attribute: the golden stays valid XML
FLOAT_DIGITS = 12


# ---------------------------------------------------------------------------------------------
# Running and normalising (shared with tests/golden/regenerate.py)
# ---------------------------------------------------------------------------------------------


def golden_path(command: str, fmt: str) -> Path:
    return GOLDEN / f"{command}.{FORMATS[fmt]}"


def run_cli(command: str, fmt: str) -> str:
    """stdout of the CLI run in process (Typer's CliRunner) in the repository root."""
    from typer.testing import CliRunner

    from cleanaudit.cli.app import app

    args = [*COMMANDS[command]]
    if fmt != "table":
        args += ["--format", fmt]
    previous = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(app, args, env=ENV)
    finally:
        os.chdir(previous)
    if result.exit_code != 0:
        raise AssertionError(
            f"cleanaudit {' '.join(args)} exited {result.exit_code}:\n{result.stderr}\n{result.exception!r}"
        )
    return result.stdout


def _without_machine_paths(text: str) -> str:
    for root in {str(REPO), str(REPO.resolve())}:
        text = text.replace(root + os.sep, "").replace(root, "<repo>")
    return text


def _round_floats(value: Any) -> Any:
    """Floats to FLOAT_DIGITS significant digits.

    The pred_probs-derived numbers are bit-identical everywhere, but the audit's feature-space
    numbers (KNN distances, outlier and near-duplicate scores, the standardised features) pass
    through compiled kernels and NumPy reductions whose last bit may depend on the CPU or
    build (SIMD width, FMA). Twelve digits keep every real change visible and drop that noise.
    """
    if isinstance(value, float):
        return float(f"{value:.{FLOAT_DIGITS}g}") if math.isfinite(value) else value
    if isinstance(value, list):
        return [_round_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: _round_floats(v) for k, v in value.items()}
    return value


def normalise_json(text: str) -> str:
    """The JSON report without what depends on time or machine; everything else kept."""
    report = json.loads(_without_machine_paths(text))
    run = report.get("run", {})
    for key in ("seconds", "versions"):  # wall time; library versions installed here
        if key in run:
            run[key] = NORMALISED
    if "seconds" in run.get("neighbour_graph", {}):  # the graph's search time
        run["neighbour_graph"]["seconds"] = NORMALISED
    return json.dumps(_round_floats(report), indent=2, ensure_ascii=False) + "\n"


def normalise_junit(text: str) -> str:
    text = re.sub(r'\b(time|timestamp|hostname)="[^"]*"', rf'\1="{JUNIT_NORMALISED}"', _without_machine_paths(text))
    return text if text.endswith("\n") else text + "\n"


def normalise_text(text: str) -> str:
    """Terminal and Markdown: machine paths out; trailing blanks (Rich pads lines) dropped, so an
    editor that strips them cannot break the golden file."""
    lines = [line.rstrip() for line in _without_machine_paths(text).splitlines()]
    return "\n".join(lines).rstrip("\n") + "\n"


NORMALISE = {"table": normalise_text, "markdown": normalise_text, "json": normalise_json, "junit": normalise_junit}


def rendered(command: str, fmt: str) -> str:
    """The normalised output that the golden file for (command, fmt) holds."""
    return NORMALISE[fmt](run_cli(command, fmt))


# ---------------------------------------------------------------------------------------------
# Comparing with the golden files
# ---------------------------------------------------------------------------------------------


def read_golden(command: str, fmt: str) -> str:
    path = golden_path(command, fmt)
    if not path.exists():
        pytest.fail(f"missing golden file {path.relative_to(REPO)}; create it with: {REGENERATE}")
    return path.read_text(encoding="utf-8")


def assert_matches_golden(command: str, fmt: str) -> str:
    """Compare the current output with the golden file; returns the golden text."""
    expected = read_golden(command, fmt)
    actual = rendered(command, fmt)
    if actual != expected:
        name = str(golden_path(command, fmt).relative_to(REPO))
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=name,
                tofile=f"current `cleanaudit {command}` --format {fmt}",
            )
        )
        pytest.fail(
            f"{name} differs from the current output:\n{diff}\n"
            f"If the change is intended, regenerate the golden files with: {REGENERATE} "
            f"(and review the diff)",
            pytrace=False,
        )
    return expected


# ---------------------------------------------------------------------------------------------
# The independent source: reference.json, and the reference's pred_probs in y_int order
# ---------------------------------------------------------------------------------------------

TOL = 1e-9


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((TUTORIAL / "reference.json").read_text())["on_pred_probs_cv3_logreg"]


@pytest.fixture(scope="module")
def expected_rows(ref) -> dict:
    """Row facts for the reference's 64 label issues, computed from the reference's own inputs.

    ``pred_probs_cv3_logreg.npy`` has columns in y_int order (reference.json's class codes);
    rank_by=self_confidence ranks rows by P[row, given label], lowest first.
    """
    import numpy as np

    names = reference_class_names(ref)
    probs = np.load(TUTORIAL / "pred_probs_cv3_logreg.npy")
    with open(TUTORIAL / "train.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    given = np.array([int(r["y_int"]) for r in rows])
    assert [names[g] for g in given] == [r["y"] for r in rows]  # y_int codes name the classes as the reference says
    quality = probs[np.arange(len(given)), given]
    issues = ref["find_label_issues"]["prune_by_noise_rate"]["indices"]
    order = sorted(issues, key=lambda i: quality[i])
    assert len({float(quality[i]) for i in issues}) == len(issues)  # no ties: the ranking is machine-independent
    return {
        "order": order,
        "quality": {i: float(quality[i]) for i in issues},
        "given": {i: names[given[i]] for i in issues},
        "predicted": {i: names[int(probs[i].argmax())] for i in issues},
        "num_rows": len(rows),
    }


def reference_class_names(ref: dict) -> list[str]:
    """Class name of each reference class code, from reference.json's own tables."""
    table = ref["rank_classes_by_label_quality"]["columns"]
    by_code = dict(zip(table["Class Index"], table["Class Name"]))
    return [by_code[c] for c in range(len(by_code))]


def permutation(ref: dict, class_names: list[str]) -> list[int]:
    """Reference class code of each of our classes (ours are in sorted name order)."""
    codes = {name: code for code, name in enumerate(reference_class_names(ref))}
    assert sorted(codes) == class_names
    return [codes[name] for name in class_names]


def permuted(matrix: list, perm: list[int]) -> list:
    if matrix and isinstance(matrix[0], list):
        return [[matrix[i][j] for j in perm] for i in perm]
    return [matrix[i] for i in perm]


def assert_close(actual, expected, what: str) -> None:
    import numpy as np

    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=0, atol=TOL, err_msg=what
    )


def reference_classes(ref: dict) -> list[dict]:
    """rank_classes_by_label_quality as our per-class records, worst first."""
    t = ref["rank_classes_by_label_quality"]["columns"]
    return [
        {
            "class": t["Class Name"][i],
            "label_issues": t["Label Issues"][i],
            "inverse_label_issues": t["Inverse Label Issues"][i],
            "label_noise": t["Label Noise"][i],
            "inverse_label_noise": t["Inverse Label Noise"][i],
            "label_quality_score": t["Label Quality Score"][i],
        }
        for i in range(len(t["Class Name"]))
    ]


def reference_pairs(ref: dict) -> list[dict]:
    t = ref["find_overlapping_classes"]["columns"]
    return [
        {
            "classes": {t["Class Name A"][i], t["Class Name B"][i]},
            "num_overlapping_examples": t["Num Overlapping Examples"][i],
            "joint_probability": t["Joint Probability"][i],
        }
        for i in range(len(t["Class Name A"]))
    ]


def assert_classes(actual: list[dict], ref: dict) -> None:
    expected = reference_classes(ref)
    assert [c["class"] for c in actual] == [c["class"] for c in expected]
    for a, e in zip(actual, expected):
        for key in ("label_issues", "inverse_label_issues"):
            assert a[key] == e[key], (a["class"], key)
        for key in ("label_noise", "inverse_label_noise", "label_quality_score"):
            assert_close(a[key], e[key], f"{a['class']} {key}")


def assert_pairs(actual: list[dict], ref: dict) -> None:
    expected = reference_pairs(ref)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):  # same order: largest joint probability first
        assert {a["class_a"], a["class_b"]} == e["classes"]
        assert a["num_overlapping_examples"] == e["num_overlapping_examples"]
        assert_close(a["joint_probability"], e["joint_probability"], f"pair {e['classes']}")
    joints = [a["joint_probability"] for a in actual]
    assert len(set(joints)) == len(joints)  # no ties


def assert_label_matrices(report: dict, ref: dict, perm: list[int], *, cj_key: str = "confident_joint") -> None:
    assert report[cj_key] == permuted(ref["confident_joint_calibrated"], perm)
    for key in ("py", "noise_matrix", "inverse_noise_matrix"):
        assert_close(report[key], permuted(ref[key], perm), key)


def check_find_issues(report: dict, ref: dict, rows: dict) -> None:
    expected = ref["find_label_issues"]["prune_by_noise_rate"]
    assert report["filter_by"] == "prune_by_noise_rate" and report["rank_by"] == "self_confidence"
    assert report["num_issues"] == expected["num_issues"] == 64
    issues = report["issues"]
    assert sorted(i["row"] for i in issues) == expected["indices"]
    assert [i["row"] for i in issues] == rows["order"]
    assert rows["order"][:5] == [99, 8, 64, 107, 10]  # as REFERENCE.md publishes
    for issue in issues:
        r = issue["row"]
        assert issue["id"] == r
        assert issue["given_label"] == rows["given"][r] and issue["predicted_label"] == rows["predicted"][r]
        assert_close(issue["label_quality"], rows["quality"][r], f"label_quality of row {r}")


def check_health(report: dict, ref: dict, rows: dict) -> None:
    assert_close(report["health_score"], ref["overall_label_health_score"], "health_score")
    assert report["num_label_issues"] == ref["num_label_issues_off_diagonal"] == 61
    assert_classes(report["classes"], ref)


def check_overlap(report: dict, ref: dict, rows: dict) -> None:
    assert report["pairs_total"] == len(reference_pairs(ref))
    assert_pairs(report["pairs"], ref)


def check_noise_matrix(report: dict, ref: dict, rows: dict) -> None:
    perm = permutation(ref, report["dataset"]["class_names"])
    assert_label_matrices(report, ref, perm)
    assert_close(report["joint"], permuted(ref["joint"], perm), "joint")


def check_audit(report: dict, ref: dict, rows: dict) -> None:
    expected = ref["audit_with_features_x1_x2"]
    summary = {s["issue_type"]: s for s in report["summary"]}
    assert set(summary) == set(expected["num_issues_by_type"])
    for issue_type, count in expected["num_issues_by_type"].items():
        assert summary[issue_type]["num_issues"] == count, issue_type
        assert_close(summary[issue_type]["score"], expected["score_by_type"][issue_type], f"{issue_type} score")
    found = report["dataset_issues"]
    assert_close(found["health_score"], ref["overall_label_health_score"], "health_score")
    assert_close(
        found["class_imbalance"]["rarest_class_fraction"],
        expected["score_by_type"]["class_imbalance"],
        "rarest_class_fraction",
    )
    assert_close(found["non_iid"]["p_value"], expected["score_by_type"]["non_iid"], "non_iid p_value")
    assert found["non_iid"]["flagged"] is (expected["num_issues_by_type"]["non_iid"] > 0)
    assert_pairs(found["overlapping_classes"], ref)
    label = report["checks"]["label"]["info"]
    perm = permutation(ref, report["dataset"]["class_names"])
    assert label["num_label_issues"] == ref["find_label_issues"]["prune_by_noise_rate"]["num_issues"]
    assert_label_matrices(label, ref, perm)
    assert_close(label["confident_thresholds"], permuted(ref["confident_thresholds"], perm), "confident_thresholds")
    assert_classes(label["classes_by_label_quality"], ref)
    assert_pairs(label["overlapping_classes"], ref)
    for name in ("outlier", "near_duplicate", "non_iid", "underperforming_group"):
        assert report["checks"][name]["info"]["metric"] == expected["knn_metric"], name
    examples = report["examples"]["label"]
    assert [e["row"] for e in examples] == rows["order"][: len(examples)]
    for e in examples:
        assert_close(e["score"], rows["quality"][e["row"]], f"label score of row {e['row']}")
        assert e["given_label"] == rows["given"][e["row"]] and e["predicted_label"] == rows["predicted"][e["row"]]
    for name, examples in report["examples"].items():
        assert len(examples) == min(5, expected["num_issues_by_type"][name]), name


CHECKS = {
    "find-issues": check_find_issues,
    "health": check_health,
    "overlap": check_overlap,
    "noise-matrix": check_noise_matrix,
    "audit": check_audit,
}


# --- reference numbers in the terminal and Markdown goldens (cells of their table rows) ------


def table_rows(text: str) -> list[list[str]]:
    """Cells of every table body row: Rich's '│ a │ b │' lines and Markdown's '| a | b |' lines."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
        elif line.startswith("|") and not set(line) <= set("|- "):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def assert_rows_shown(text: str, expected: list[list[str]], what: str, *, leading: bool = False) -> None:
    """``expected`` appears as consecutive table rows of ``text`` (``leading``: as their first cells)."""
    rows = table_rows(text)
    if leading and expected:
        rows = [row[: len(expected[0])] for row in rows]
    n = len(expected)
    assert any(rows[i : i + n] == expected for i in range(len(rows) - n + 1)), (
        f"{what}: rows {expected} not found in\n{text}"
    )


def f4(x: float) -> str:
    return f"{x:.4f}"


def reference_numbers_shown(command: str, text: str, fmt: str, ref: dict, rows: dict) -> None:
    names = sorted(reference_class_names(ref))
    perm = permutation(ref, names)
    health = f4(ref["overall_label_health_score"])
    if command == "find-issues":
        shown = 20 if fmt == "table" else ref["find_label_issues"]["prune_by_noise_rate"]["num_issues"]
        assert_rows_shown(
            text,
            [[str(r), rows["given"][r], rows["predicted"][r], f4(rows["quality"][r])] for r in rows["order"][:shown]],
            "label issues",
        )
        assert f"{len(rows['order'])} label issues" in text
    elif command == "health":
        assert f"health score {health}" in text
        assert f"about {ref['num_label_issues_off_diagonal']} of {rows['num_rows']} labels" in text
        assert_rows_shown(
            text,
            [
                [
                    c["class"],
                    str(c["label_issues"]),
                    str(c["inverse_label_issues"]),
                    f4(c["label_noise"]),
                    f4(c["inverse_label_noise"]),
                    f4(c["label_quality_score"]),
                ]
                for c in reference_classes(ref)
            ],
            "classes",
        )
    elif command == "overlap":
        t = ref["find_overlapping_classes"]["columns"]
        assert_rows_shown(
            text,
            [
                [*sorted([a, b]), str(n), f4(p)]
                for a, b, n, p in zip(
                    t["Class Name A"], t["Class Name B"], t["Num Overlapping Examples"], t["Joint Probability"]
                )
            ],
            "pairs",
        )
    elif command == "noise-matrix":
        assert_rows_shown(text, [[n, f4(v)] for n, v in zip(names, permuted(ref["py"], perm))], "py")
        for key, fmt_cell in (
            ("confident_joint_calibrated", str),
            ("joint", f4),
            ("noise_matrix", f4),
            ("inverse_noise_matrix", f4),
        ):
            matrix = permuted(ref[key], perm)
            assert_rows_shown(text, [[n, *map(fmt_cell, row)] for n, row in zip(names, matrix)], key)
    elif command == "audit":
        expected = ref["audit_with_features_x1_x2"]
        assert_rows_shown(
            text,
            [[t, str(n), f4(expected["score_by_type"][t])] for t, n in expected["num_issues_by_type"].items()],
            "summary",
        )
        assert health == f4(expected["score_by_type"]["label"])  # the label score is the health score
        assert_rows_shown(
            text,
            [[str(r), f4(rows["quality"][r]), rows["given"][r], rows["predicted"][r]] for r in rows["order"][:5]],
            "label examples",
            leading=True,  # the row's column values follow
        )


# ---------------------------------------------------------------------------------------------
# One test per format
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_terminal_golden(command, ref, expected_rows):
    golden = assert_matches_golden(command, "table")
    reference_numbers_shown(command, golden, "table", ref, expected_rows)


@pytest.mark.parametrize("command", COMMANDS)
def test_markdown_golden(command, ref, expected_rows):
    golden = assert_matches_golden(command, "markdown")
    assert golden.startswith(f"## cleanaudit {command}\n")
    reference_numbers_shown(command, golden, "markdown", ref, expected_rows)


@pytest.mark.parametrize("command", COMMANDS)
def test_json_golden(command):
    golden = json.loads(assert_matches_golden(command, "json"))
    assert golden["command"] == command
    assert golden["run"]["seconds"] == NORMALISED and golden["run"]["versions"] == NORMALISED


@pytest.mark.parametrize("command", COMMANDS)
def test_json_golden_agrees_with_reference(command, ref, expected_rows):
    """The golden JSON (not the current output) against reference.json: goldens regenerated from a
    wrong output fail here."""
    golden = json.loads(read_golden(command, "json"))
    assert golden["dataset"]["num_examples"] == expected_rows["num_rows"]
    assert golden["dataset"]["class_names"] == sorted(reference_class_names(ref))
    assert golden["run"]["pred_probs_source"] == PRED_PROBS
    CHECKS[command](golden, ref, expected_rows)


@pytest.mark.parametrize("command", COMMANDS)
def test_junit_golden(command, ref):
    golden = assert_matches_golden(command, "junit")
    suite = ET.fromstring(golden.encode())
    flagged = {case.get("name"): case.findtext("system-out") for case in suite.iter("testcase")}
    assert all(case.get("time") == JUNIT_NORMALISED for case in suite.iter("testcase"))
    counts = {
        "find-issues": {"label": ref["find_label_issues"]["prune_by_noise_rate"]["num_issues"]},
        "health": {"label": ref["num_label_issues_off_diagonal"]},
        "audit": ref["audit_with_features_x1_x2"]["num_issues_by_type"],
    }.get(command, {})
    assert {name: flagged[name] for name in counts} == {name: f"{n} of 250 rows flagged" for name, n in counts.items()}
    assert suite.get("failures") == "0" and suite.get("errors") == "0"  # findings alone never fail
