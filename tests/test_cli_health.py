"""health reproduces the reference's health score and class ranking on the tutorial data."""

from __future__ import annotations

import json

import pytest

NAMES = {0: "purple", 1: "blue", 2: "seafoam green", 3: "yellow"}  # y_int codes, per the tutorial README


def test_health_matches_reference(cli, tutorial_dir, reference):
    ref = reference["on_pred_probs_cv3_logreg"]
    result = cli(
        "health",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["health_score"] == pytest.approx(ref["overall_label_health_score"], abs=1e-12)
    assert out["num_label_issues"] == ref["num_label_issues_off_diagonal"]
    table = ref["rank_classes_by_label_quality"]["columns"]
    assert [c["class"] for c in out["classes"]] == table["Class Name"]
    assert [c["label_issues"] for c in out["classes"]] == table["Label Issues"]
    assert [c["inverse_label_issues"] for c in out["classes"]] == table["Inverse Label Issues"]
    assert [c["label_quality_score"] for c in out["classes"]] == pytest.approx(table["Label Quality Score"], abs=1e-12)
    assert [c["inverse_label_noise"] for c in out["classes"]] == pytest.approx(table["Inverse Label Noise"], abs=1e-12)


def test_health_table(cli, tutorial_dir):
    result = cli(
        "health",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
    )
    assert result.exit_code == 0, result.stderr
    assert "health score 0.7560" in result.stdout
    assert result.stdout.index("seafoam green") < result.stdout.index("blue  ")


def test_confusion_matrix_in_json_and_table(cli, tutorial_dir):
    import json

    args = ["health", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs"]
    args.append(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")
    report = json.loads(cli(*args, "-f", "json").stdout)
    confusion = report["confusion_matrix"]
    assert confusion["class_names"] == ["blue", "purple", "seafoam green", "yellow"]
    assert sum(map(sum, confusion["matrix"])) == 250
    assert confusion["accuracy"] == pytest.approx(0.676)  # the out-of-fold accuracy of these pred_probs
    assert [c["rows"] for c in confusion["per_class"]] == [sum(r) for r in confusion["matrix"]]
    table = cli(*args)
    assert table.exit_code == 0, table.stderr
    assert "Confusion matrix" in table.stdout and "given \\ predicted" in table.stdout


def test_health_out_says_what_it_wrote(cli, tutorial_dir, tmp_path):
    args = ["health", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs"]
    args.append(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")
    result = cli(*args, "--out", tmp_path / "h")
    assert result.exit_code == 0, result.stderr
    assert f"cleanaudit: wrote {tmp_path / 'h'}/: report.json" in result.stderr
