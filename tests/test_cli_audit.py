"""audit on the tutorial data reproduces the numbers the tutorial publishes; its files are right."""

from __future__ import annotations

import json

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def tutorial_audit(tmp_path_factory, tutorial_dir):
    from typer.testing import CliRunner

    from cleanaudit.cli.app import app

    out = tmp_path_factory.mktemp("audit") / "report"
    result = CliRunner().invoke(
        app,
        [
            "audit",
            str(tutorial_dir / "train.csv"),
            "--label",
            "y",
            "--features",
            "x1,x2",
            "--pred-probs",
            str(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy"),
            "--format",
            "json",
            "--out",
            str(out),
        ],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), out


def test_summary_matches_published_numbers(tutorial_audit, reference):
    report, _ = tutorial_audit
    expected = reference["on_pred_probs_cv3_logreg"]["audit_with_features_x1_x2"]
    summary = {row["issue_type"]: row for row in report["summary"]}
    for issue_type, count in expected["num_issues_by_type"].items():
        assert summary[issue_type]["num_issues"] == count, issue_type
    assert summary["label"]["score"] == pytest.approx(0.756, abs=1e-12)
    assert summary["outlier"]["score"] == pytest.approx(expected["score_by_type"]["outlier"], abs=1e-9)
    assert summary["near_duplicate"]["score"] == pytest.approx(expected["score_by_type"]["near_duplicate"], abs=1e-9)
    assert summary["class_imbalance"]["score"] == pytest.approx(0.196)
    assert report["dataset_issues"]["non_iid"]["p_value"] < 0.05
    assert report["dataset_issues"]["health_score"] == pytest.approx(0.756)


def test_most_severe_label_examples(tutorial_audit):
    report, _ = tutorial_audit
    rows = [e["row"] for e in report["examples"]["label"]]
    assert rows == [99, 8, 64, 107, 10]


def test_out_files(tutorial_audit, tutorial_dir):
    report, out = tutorial_audit
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk["summary"] == report["summary"]
    rows = pd.read_parquet(out / "issues.parquet")
    assert len(rows) == 250
    for issue_type in ("label", "outlier", "near_duplicate", "non_iid", "class_imbalance", "null"):
        assert f"is_{issue_type}_issue" in rows.columns and f"{issue_type}_score" in rows.columns
        count = next(r["num_issues"] for r in report["summary"] if r["issue_type"] == issue_type)
        assert int(rows[f"is_{issue_type}_issue"].sum()) == count
        assert rows[f"{issue_type}_score"].between(0, 1).all()
    assert rows.given_label.tolist() == pd.read_csv(tutorial_dir / "train.csv").y.tolist()
    csv_rows = pd.read_csv(out / "issues.csv")
    assert csv_rows.is_label_issue.sum() == 64
    markdown = (out / "report.md").read_text()
    assert "| label | 64 |" in markdown and "| outlier | 7 |" in markdown
    html = (out / "report.html").read_text()
    assert "<table" in html and "near_duplicate" in html


def test_terminal_report(cli, tutorial_dir):
    result = cli(
        "audit",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--features",
        "x1,x2",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--num-examples",
        "3",
    )
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "Issues found" in text and "label issues" in text and "near_duplicate issues" in text
    assert "p_value" in text
    assert "seafoam green" in text


def test_select_checks_and_params(cli, tutorial_dir):
    base = (
        "audit",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--features",
        "x1,x2",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--format",
        "json",
    )
    result = cli(*base, "--checks", "outlier,class_imbalance", "--check-param", "outlier.k=20")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [r["issue_type"] for r in report["summary"]] == ["outlier", "class_imbalance"]
    assert report["checks"]["outlier"]["params"]["k"] == 20


def test_pred_probs_only_skips_feature_checks(cli, tutorial_dir):
    result = cli(
        "audit",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--features",
        "",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    ran = {r["issue_type"] for r in report["summary"]}
    assert {"label", "outlier", "non_iid", "class_imbalance"} <= ran
    skipped = {s["issue_type"]: s["reason"] for s in report["skipped"]}
    assert {"near_duplicate", "null", "underperforming_group"} <= set(skipped)
    assert all(reason for reason in skipped.values())


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--checks", "label,bogus"), "bogus"),
        (("--check-param", "outlier.zz=1"), "zz"),
        (("--check-param", "nonsense"), "check.param=value"),
    ],
)
def test_bad_check_options(cli, tutorial_dir, args, needle):
    result = cli(
        "audit",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--features",
        "x1,x2",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        *args,
    )
    assert result.exit_code == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_list_checks(cli):
    result = cli("audit", "--list-checks")
    assert result.exit_code == 0
    for name in (
        "label",
        "outlier",
        "near_duplicate",
        "non_iid",
        "class_imbalance",
        "underperforming_group",
        "null",
        "data_valuation",
    ):
        assert name in result.stdout


@pytest.fixture(scope="module")
def many_classes_audit(tmp_path_factory):
    """audit --pred-probs on 3,000 rows over 300 classes (44,850 class pairs), with --out."""
    import numpy as np
    from test_checks_label import many_classes as generate
    from typer.testing import CliRunner

    from cleanaudit.cli.app import app

    labels, probs = generate(3000, 300, seed=2)
    assert len(np.unique(labels)) == 300
    folder = tmp_path_factory.mktemp("many_classes")
    names = [f"c{i:03d}" for i in range(300)]
    rng = np.random.default_rng(2)
    pd.DataFrame({"f0": rng.normal(size=3000), "f1": rng.normal(size=3000), "y": np.array(names)[labels]}).to_csv(
        folder / "data.csv", index=False
    )
    np.save(folder / "probs.npy", probs)
    out = folder / "report"
    result = CliRunner().invoke(
        app,
        [
            "audit",
            str(folder / "data.csv"),
            "-l",
            "y",
            "--pred-probs",
            str(folder / "probs.npy"),
            "--format",
            "json",
            "--out",
            str(out),
        ],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), out, labels, probs, names


def test_many_classes_report_keeps_the_largest_pairs_and_summaries(many_classes_audit):
    from cleanlab.dataset import find_overlapping_classes

    from cleanaudit.checks.label import MATRICES, MAX_PAIRS

    report, out, labels, probs, names = many_classes_audit
    info = report["checks"]["label"]["info"]
    total = 300 * 299 // 2
    assert len(info["overlapping_classes"]) == MAX_PAIRS
    assert info["overlapping_pairs_total"] == total and info["overlapping_pairs_left_out"] == total - MAX_PAIRS
    ref = find_overlapping_classes(labels, probs, class_names=names).head(MAX_PAIRS)
    pairs = info["overlapping_classes"]
    assert [(p["class_a"], p["class_b"]) for p in pairs] == list(zip(ref["Class Name A"], ref["Class Name B"]))
    assert [p["joint_probability"] for p in pairs] == ref["Joint Probability"].tolist()
    assert not set(MATRICES) & set(info) and info["matrices_left_out"] == list(MATRICES)
    found = report["dataset_issues"]
    assert found["overlapping_classes"] == pairs[:10] and found["overlapping_pairs_total"] == total
    assert (out / "report.json").stat().st_size < 1_000_000
    # The report says what it left out, in every format people read.
    markdown = (out / "report.md").read_text()
    assert f"of {total:,} class pairs, the {MAX_PAIRS} with the largest joint probability are kept" in markdown
    assert "'cleanaudit noise-matrix' writes them" in markdown
    html = (out / "report.html").read_text()
    assert f"and {total - 5:,} more pairs" in html and "noise-matrix" in html
    assert "Estimated joint of the most confused classes" in html  # the test extra installs matplotlib
