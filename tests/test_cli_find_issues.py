"""find-issues on the tutorial data reproduces the reference's label issues (reference.json)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

FILTERS = ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
           "low_normalized_margin", "low_self_confidence"]


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("filter_by", FILTERS)
def test_each_filter_matches_reference(cli, tutorial_dir, reference, filter_by):
    expected = reference["on_pred_probs_cv3_logreg"]["find_label_issues"][filter_by]
    out = _json(cli("find-issues", tutorial_dir / "train.csv", "--label", "y_int", "--ignore", "y",
                    "--pred-probs", tutorial_dir / "pred_probs_cv3_logreg.npy", "--filter-by", filter_by,
                    "--format", "json"))
    assert out["num_issues"] == expected["num_issues"]
    assert sorted(i["row"] for i in out["issues"]) == sorted(expected["indices"])


def test_most_severe_rows_by_class_name(cli, tutorial_dir):
    # Class order is sorted class names, so the by-name pred_probs file lines up with --label y.
    out = _json(cli("find-issues", tutorial_dir / "train.csv", "--label", "y", "--pred-probs",
                    tutorial_dir / "pred_probs_cv3_logreg_by_name.npy", "--format", "json", "--top", "5"))
    assert out["num_issues"] == 64
    assert [i["row"] for i in out["issues"]] == [99, 8, 64, 107, 10]
    truth = pd.read_csv(tutorial_dir / "true_labels.csv")
    train = pd.read_csv(tutorial_dir / "train.csv")
    for issue in out["issues"]:
        assert issue["given_label"] == train.y[issue["row"]]
        assert issue["label_quality"] == pytest.approx(
            np.load(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")[issue["row"]][
                sorted(train.y.unique()).index(issue["given_label"])])
    # The most severe issues are real label errors on this dataset.
    assert sum(truth.true_label[i["row"]] != i["given_label"] for i in out["issues"]) >= 4
    assert out["dataset"]["class_names"] == ["blue", "purple", "seafoam green", "yellow"]
    assert out["command"] == "find-issues" and out["schema_version"] == 1
    assert out["run"]["pred_probs_source"].endswith("pred_probs_cv3_logreg_by_name.npy")


def test_table_shows_class_names_and_ids(cli, tutorial_dir, tmp_path):
    data = pd.read_csv(tutorial_dir / "train.csv")
    data.insert(0, "sample", [f"S{i:03d}" for i in range(len(data))])
    path = tmp_path / "train.csv"
    data.to_csv(path, index=False)
    result = cli("find-issues", path, "-l", "y", "--id-column", "sample", "--ignore", "y_int",
                 "--pred-probs", tutorial_dir / "pred_probs_cv3_logreg_by_name.npy", "--top", "3")
    assert result.exit_code == 0, result.stderr
    assert "S099" in result.stdout and "seafoam green" in result.stdout
    assert "64 label issues" in result.stdout


def test_out_dir_writes_report_and_rows(cli, tutorial_dir, tmp_path):
    out = tmp_path / "report"
    result = cli("find-issues", tutorial_dir / "train.parquet", "-l", "y", "--ignore", "y_int", "--pred-probs",
                 tutorial_dir / "pred_probs_cv3_logreg_by_name.npy", "--out", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["num_issues"] == 64 and len(report["issues"]) == 64
    rows = pd.read_parquet(out / "issues.parquet")
    assert len(rows) == 250 and int(rows.is_label_issue.sum()) == 64
    assert {"row", "id", "is_label_issue", "label_score", "given_label", "predicted_label",
            "label_quality"} <= set(rows.columns)
    csv_rows = pd.read_csv(out / "issues.csv")
    assert csv_rows.is_label_issue.sum() == 64
    assert rows.given_label.tolist() == pd.read_parquet(tutorial_dir / "train.parquet").y.tolist()


def test_csv_and_markdown_formats(cli, tutorial_dir):
    args = ("find-issues", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs",
            tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")
    csv_out = cli(*args, "--format", "csv")
    assert csv_out.exit_code == 0, csv_out.stderr
    lines = csv_out.stdout.strip().splitlines()
    assert lines[0] == "row,given_label,predicted_label,label_quality"
    assert len(lines) == 65 and lines[1].startswith("99,")
    md = cli(*args, "--format", "markdown", "--top", "5")
    assert md.exit_code == 0, md.stderr
    assert "| row | given_label | predicted_label | label_quality |" in md.stdout
    assert md.stdout.count("\n| 99 |") == 1


def test_rank_by_and_adjust_change_order_not_set(cli, tutorial_dir):
    base = ("find-issues", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs",
            tutorial_dir / "pred_probs_cv3_logreg_by_name.npy", "--format", "json")
    plain = _json(cli(*base))
    margin = _json(cli(*base, "--rank-by", "normalized_margin", "--adjust-pred-probs"))
    assert {i["row"] for i in plain["issues"]} == {i["row"] for i in margin["issues"]}
    scores = [i["label_quality"] for i in margin["issues"]]
    assert scores == sorted(scores)


def test_frac_noise_and_min_examples(cli, tutorial_dir):
    base = ("find-issues", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--pred-probs",
            tutorial_dir / "pred_probs_cv3_logreg_by_name.npy", "--format", "json")
    half = _json(cli(*base, "--frac-noise", "0.5"))
    assert 0 < half["num_issues"] < 64
    floor = _json(cli(*base, "--min-examples-per-class", "45"))
    assert floor["num_issues"] < 64
