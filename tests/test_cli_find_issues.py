"""find-issues on the tutorial data reproduces the reference's label issues (reference.json)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

FILTERS = [
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
]


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("filter_by", FILTERS)
def test_each_filter_matches_reference(cli, tutorial_dir, reference, filter_by):
    expected = reference["on_pred_probs_cv3_logreg"]["find_label_issues"][filter_by]
    out = _json(
        cli(
            "find-issues",
            tutorial_dir / "train.csv",
            "--label",
            "y_int",
            "--ignore",
            "y",
            "--pred-probs",
            tutorial_dir / "pred_probs_cv3_logreg.npy",
            "--filter-by",
            filter_by,
            "--format",
            "json",
        )
    )
    assert out["num_issues"] == expected["num_issues"]
    assert sorted(i["row"] for i in out["issues"]) == sorted(expected["indices"])


def test_most_severe_rows_by_class_name(cli, tutorial_dir):
    # Class order is sorted class names, so the by-name pred_probs file lines up with --label y.
    out = _json(
        cli(
            "find-issues",
            tutorial_dir / "train.csv",
            "--label",
            "y",
            "--pred-probs",
            tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
            "--format",
            "json",
            "--top",
            "5",
        )
    )
    assert out["num_issues"] == 64
    assert [i["row"] for i in out["issues"]] == [99, 8, 64, 107, 10]
    truth = pd.read_csv(tutorial_dir / "true_labels.csv")
    train = pd.read_csv(tutorial_dir / "train.csv")
    for issue in out["issues"]:
        assert issue["given_label"] == train.y[issue["row"]]
        assert issue["label_quality"] == pytest.approx(
            np.load(tutorial_dir / "pred_probs_cv3_logreg_by_name.npy")[issue["row"]][
                sorted(train.y.unique()).index(issue["given_label"])
            ]
        )
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
    result = cli(
        "find-issues",
        path,
        "-l",
        "y",
        "--id-column",
        "sample",
        "--ignore",
        "y_int",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--top",
        "3",
    )
    assert result.exit_code == 0, result.stderr
    assert "S099" in result.stdout and "seafoam green" in result.stdout
    assert "64 label issues" in result.stdout


def test_out_dir_writes_report_and_rows(cli, tutorial_dir, tmp_path):
    out = tmp_path / "report"
    result = cli(
        "find-issues",
        tutorial_dir / "train.parquet",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        "--out",
        out,
        "--quiet",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["num_issues"] == 64 and len(report["issues"]) == 64
    rows = pd.read_parquet(out / "issues.parquet")
    assert len(rows) == 250 and int(rows.is_label_issue.sum()) == 64
    assert {"row", "id", "is_label_issue", "label_score", "given_label", "predicted_label", "label_quality"} <= set(
        rows.columns
    )
    csv_rows = pd.read_csv(out / "issues.csv")
    assert csv_rows.is_label_issue.sum() == 64
    assert rows.given_label.tolist() == pd.read_parquet(tutorial_dir / "train.parquet").y.tolist()


def test_csv_and_markdown_formats(cli, tutorial_dir):
    args = (
        "find-issues",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
    )
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
    base = (
        "find-issues",
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
    plain = _json(cli(*base))
    margin = _json(cli(*base, "--rank-by", "normalized_margin", "--adjust-pred-probs"))
    assert {i["row"] for i in plain["issues"]} == {i["row"] for i in margin["issues"]}
    scores = [i["label_quality"] for i in margin["issues"]]
    assert scores == sorted(scores)


def test_frac_noise_and_min_examples(cli, tutorial_dir):
    base = (
        "find-issues",
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
    half = _json(cli(*base, "--frac-noise", "0.5"))
    assert 0 < half["num_issues"] < 64
    floor = _json(cli(*base, "--min-examples-per-class", "45"))
    assert floor["num_issues"] < 64


# --- auditing a test set with --train -------------------------------------------------------


def test_train_scores_test_labels_with_a_model_fit_on_train(cli, tutorial_dir):
    # test_pred_probs_logreg_fit_on_train.npy: LogisticRegression fit on train, predict_proba on test (y_int order).
    base = ("find-issues", tutorial_dir / "test.csv", "-l", "y_int", "--ignore", "y", "--format", "json")
    trained = _json(
        cli(*base, "--train", tutorial_dir / "train.csv", "--model", "sklearn.linear_model:LogisticRegression")
    )
    given = _json(cli(*base, "--pred-probs", tutorial_dir / "test_pred_probs_logreg_fit_on_train.npy"))
    assert trained["num_issues"] == given["num_issues"] > 0
    assert [i["row"] for i in trained["issues"]] == [i["row"] for i in given["issues"]]
    assert trained["issues"][0]["label_quality"] == pytest.approx(given["issues"][0]["label_quality"])
    run = trained["run"]
    assert run["cv_folds"] is None and run["pred_probs_source"].startswith("model fit on")
    assert run["train"]["num_examples"] == 250 and run["model"] == "sklearn.linear_model:LogisticRegression"


def test_train_with_other_classes_is_refused(cli, tutorial_dir, tmp_path):
    train = pd.read_csv(tutorial_dir / "train.csv")
    train[train.y != "blue"].to_csv(tmp_path / "no_blue.csv", index=False)
    result = cli(
        "find-issues",
        tutorial_dir / "test.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--train",
        tmp_path / "no_blue.csv",
        "-m",
        "logreg",
    )
    assert result.exit_code == 2 and "different classes" in result.stderr and "blue" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    both = cli(
        "find-issues",
        tutorial_dir / "test.csv",
        "-l",
        "y",
        "--train",
        tutorial_dir / "train.csv",
        "--pred-probs",
        tutorial_dir / "test_pred_probs_logreg_fit_on_train.npy",
    )
    assert both.exit_code == 2 and "--pred-probs and --train" in both.stderr


# --- ensembles ---------------------------------------------------------------------------------

MEMBERS = ("pred_probs_cv3_logreg.npy", "pred_probs_cv3_random_forest.npy", "pred_probs_cv3_gradient_boosting.npy")


@pytest.mark.parametrize("weighting", ["accuracy", "uniform", "log_loss_search"])
def test_ensemble_of_pred_probs_files(cli, tutorial_dir, weighting):
    from cleanaudit import engine

    args = [
        "find-issues",
        tutorial_dir / "train.csv",
        "-l",
        "y_int",
        "--ignore",
        "y",
        "--format",
        "json",
        "--ensemble-weighting",
        weighting,
    ]
    for name in MEMBERS:
        args += ["--pred-probs", tutorial_dir / name]
    out = _json(cli(*args))
    labels = pd.read_csv(tutorial_dir / "train.csv").y_int.to_numpy()
    probs = [np.load(tutorial_dir / name) for name in MEMBERS]
    expected = engine.get_label_quality_ensemble_scores(labels, probs, weight_ensemble_members_by=weighting)
    for issue in out["issues"]:
        assert issue["label_quality"] == pytest.approx(expected[issue["row"]])
    ensemble = out["run"]["ensemble"]
    assert ensemble["weighting"] == weighting and len(ensemble["members"]) == 3
    assert sum(m["weight"] for m in ensemble["members"]) == pytest.approx(1.0)
    assert [m["model"] for m in ensemble["members"]] == [str(tutorial_dir / n) for n in MEMBERS]
    if weighting == "accuracy":
        accuracy = [np.mean(p.argmax(axis=1) == labels) for p in probs]
        assert [m["weight"] for m in ensemble["members"]] == pytest.approx(list(np.array(accuracy) / sum(accuracy)))
    scores = [i["label_quality"] for i in out["issues"]]
    assert scores == sorted(scores)


def test_ensemble_of_models_names_weights_in_caption(cli, tutorial_dir):
    result = cli(
        "find-issues",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "-m",
        "logreg",
        "-m",
        "knn",
        "--cv",
        "3",
        "--top",
        "3",
    )
    assert result.exit_code == 0, result.stderr
    caption = " ".join(result.stdout.split())
    assert "ensemble of 2 (accuracy weights: logreg 0." in caption and "knn 0." in caption
    out = _json(
        cli(
            "find-issues",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            "-m",
            "logreg",
            "-m",
            "knn",
            "--cv",
            "3",
            "-f",
            "json",
        )
    )
    assert out["run"]["model"] == ["logreg", "knn"] and out["run"]["cv_folds"] == 3
    single = _json(
        cli(
            "find-issues",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            "-m",
            "logreg",
            "--cv",
            "3",
            "-f",
            "json",
        )
    )
    assert single["run"]["model"] == "logreg" and "ensemble" not in single["run"]


def test_ensembles_only_where_they_are_used(cli, tutorial_dir):
    args = ["--pred-probs", tutorial_dir / MEMBERS[0], "--pred-probs", tutorial_dir / MEMBERS[1]]
    for command in ("health", "overlap", "noise-matrix"):
        result = cli(command, tutorial_dir / "train.csv", "-l", "y_int", *args)
        assert result.exit_code == 2 and "--pred-probs is given 2 times" in result.stderr
    audit = _json(
        cli(
            "audit",
            tutorial_dir / "train.csv",
            "-l",
            "y_int",
            "--ignore",
            "y",
            *args,
            "--checks",
            "label",
            "-f",
            "json",
            "--ensemble-weighting",
            "uniform",
        )
    )
    assert [m["weight"] for m in audit["run"]["ensemble"]["members"]] == [0.5, 0.5]
    assert "weighted mean" in audit["run"]["ensemble"]["pred_probs"]


def test_id_like_column_is_left_out_with_a_note(cli):
    from conftest import SAMPLE

    data = SAMPLE / "support_tickets_train.csv"
    noted = cli("find-issues", data, "-l", "team", "--model", "logreg", "--cv", "3", "--format", "json")
    assert noted.exit_code == 0, noted.stderr
    notes = json.loads(noted.stdout)["notes"]
    assert any(n["kind"] == "id_like_column" and n["columns"] == ["ticket_id"] for n in notes)
    assert "left out column ticket_id" in " ".join(noted.stderr.split())
    clean = cli(
        "find-issues",
        data,
        "-l",
        "team",
        "--id-column",
        "ticket_id",
        "--model",
        "logreg",
        "--cv",
        "3",
        "--format",
        "json",
    )
    assert clean.exit_code == 0, clean.stderr
    assert "like an id" not in clean.stderr
