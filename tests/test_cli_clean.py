"""clean from the CLI reproduces the tutorial's CleanLearning numbers, writes correct files, never touches inputs."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from cleanaudit.status import ExitStatus

LOGREG = ("--model", "sklearn.linear_model:LogisticRegression", "--cv", "5", "--seed", "0")


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == ExitStatus.INPUT_ERROR, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cleanaudit: error: "), result.stderr
    assert result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture(scope="module")
def true_test(tutorial_dir, tmp_path_factory):
    """The tutorial's test table with its true labels in the label columns."""
    test = pd.read_csv(tutorial_dir / "test.csv")
    truth = pd.read_csv(tutorial_dir / "test_true_labels.csv")
    test["y"], test["y_int"] = truth.true_label, truth.true_label_int
    path = tmp_path_factory.mktemp("truth") / "test_true.csv"
    test.to_csv(path, index=False)
    return path


def test_tutorial_accuracy_goes_from_0828_to_0856(cli, tutorial_dir, true_test, reference, tmp_path):
    out = _json(
        cli(
            "clean",
            tutorial_dir / "train.csv",
            "-l",
            "y_int",
            "--ignore",
            "y",
            *LOGREG,
            "--test",
            true_test,
            "--output",
            tmp_path / "clean.csv",
            "--format",
            "json",
            "-q",
        )
    )
    assert out["num_label_issues"] == out["removed"] == 53 and out["kept"] == 197 and out["relabelled"] == 0
    assert out["test_accuracy"] == {"baseline": 0.828, "cleaned": 0.856}
    assert out["test_macro_f1"]["cleaned"] > out["test_macro_f1"]["baseline"]
    assert out["output_file"] == str(tmp_path / "clean.csv")
    assert out["manifest_file"] == str(tmp_path / "clean.manifest.csv")
    manifest = pd.read_csv(out["manifest_file"])
    removed = manifest.row[manifest.action == "removed"].tolist()
    expected = reference["on_pred_probs_cv5_seed0_logreg"]["clean_learning_min_examples_per_class_10"]
    assert sorted(removed) == sorted(expected["label_issue_indices"])
    assert list(manifest.columns) == [
        "row",
        "id",
        "action",
        "given_label",
        "suggested_label",
        "label_quality",
        "is_label_issue",
        "reason",
    ]
    cleaned = pd.read_csv(tmp_path / "clean.csv")
    train = pd.read_csv(tutorial_dir / "train.csv")
    assert cleaned.equals(train.drop(index=removed).reset_index(drop=True))


def test_merging_seafoam_green_into_yellow(cli, tutorial_dir, true_test, tmp_path):
    out = _json(
        cli(
            "clean",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            *LOGREG,
            "--test",
            true_test,
            "--merge",
            "seafoam green=yellow",
            "--output",
            tmp_path / "merged.parquet",
            "-f",
            "json",
            "-q",
        )
    )
    assert out["test_accuracy"] == {"baseline": 0.94, "cleaned": 0.964}
    assert out["merged"] == [{"from": "seafoam green", "to": "yellow"}]
    assert out["dataset"]["class_names"] == ["blue", "purple", "yellow"]
    cleaned = pd.read_parquet(tmp_path / "merged.parquet")
    assert sorted(cleaned.y.unique()) == ["blue", "purple", "yellow"]
    assert len(cleaned) == 250 - out["removed"]


def test_inputs_are_byte_identical_after_clean(cli, tutorial_dir, true_test, tmp_path):
    data = tmp_path / "train.csv"
    data.write_bytes((tutorial_dir / "train.csv").read_bytes())
    inputs = [data, true_test]
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs]
    result = cli(
        "clean",
        data,
        "-l",
        "y",
        "--ignore",
        "y_int",
        *LOGREG,
        "--test",
        true_test,
        "--strategy",
        "relabel",
        "--output",
        tmp_path / "out.csv",
        "--out",
        tmp_path / "report",
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs] == before
    # CSV to CSV copies cells as text: unchanged rows are the input's lines exactly.
    assert (tmp_path / "out.csv").read_text().splitlines()[:2] == data.read_text().splitlines()[:2]
    assert (tmp_path / "report" / "report.json").exists() and (tmp_path / "report" / "issues.parquet").exists()


def test_relabel_and_threshold(cli, tutorial_dir, tmp_path):
    args = (
        "clean",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        *LOGREG,
        "--strategy",
        "relabel",
        "-f",
        "json",
        "-q",
    )
    out = _json(cli(*args, "--output", tmp_path / "r.csv"))
    assert out["relabelled"] > 0 and out["removed"] + out["relabelled"] == out["num_label_issues"]
    manifest = pd.read_csv(tmp_path / "r.manifest.csv")
    cleaned = pd.read_csv(tmp_path / "r.csv")
    relabelled = manifest[manifest.action == "relabelled"]
    kept_rows = manifest.row[manifest.action != "removed"].tolist()
    new_labels = dict(zip(kept_rows, cleaned.y))
    assert all(new_labels[r] == s for r, s in zip(relabelled.row, relabelled.suggested_label))
    never = _json(cli(*args, "--relabel-threshold", "1.0", "--dry-run"))
    assert never["relabelled"] == 0 and never["removed"] == never["num_label_issues"]


def test_weight_strategy_and_known_noise_matrix(cli, tutorial_dir, tmp_path):
    base = (
        "clean",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        *LOGREG,
        "--strategy",
        "weight",
        "-f",
        "json",
        "-q",
    )
    out = _json(cli(*base, "--output", tmp_path / "w.csv"))
    assert out["removed"] == 0 and out["weighted"] == out["kept"] == 250 and out["noise_matrix"] == "estimated"
    weights = pd.read_csv(tmp_path / "w.csv").groupby("y").sample_weight.unique()
    assert all(len(w) == 1 and w[0] >= 1 for w in weights)
    known = np.array([[0.9, 0.1, 0, 0], [0.1, 0.9, 0, 0], [0, 0, 0.8, 0.2], [0, 0, 0.2, 0.8]])
    np.save(tmp_path / "nm.npy", known)
    given = _json(cli(*base, "--noise-matrix", tmp_path / "nm.npy", "--output", tmp_path / "w2.parquet"))
    assert given["noise_matrix"] == str(tmp_path / "nm.npy")
    table = pd.read_parquet(tmp_path / "w2.parquet")
    assert table.sample_weight[table.y == "seafoam green"].unique().tolist() == pytest.approx([1.25])


def test_label_issues_from_find_issues_skip_detection(cli, tutorial_dir, tmp_path):
    probs = tutorial_dir / "pred_probs_cv3_logreg_by_name.npy"
    found = cli(
        "find-issues",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",
        "--pred-probs",
        probs,
        "--out",
        tmp_path / "found",
        "-q",
    )
    assert found.exit_code == 0, found.stderr
    out = _json(
        cli(
            "clean",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            "--label-issues",
            tmp_path / "found" / "issues.parquet",
            "--output",
            tmp_path / "c.csv",
            "-f",
            "json",
            "-q",
        )
    )
    assert out["removed"] == 64 and out["run"]["pred_probs_source"] is None
    assert out["label_issues_file"].endswith("issues.parquet")
    manifest = pd.read_csv(tmp_path / "c.manifest.csv")
    assert manifest.suggested_label.notna().sum() == 64  # predicted labels read from the file


def test_dry_run_writes_nothing(cli, tutorial_dir, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = _json(
        cli(
            "clean",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            *LOGREG,
            "--dry-run",
            "--output",
            out_dir / "c.csv",
            "--save-model",
            out_dir / "m.skops",
            "-f",
            "json",
            "-q",
        )
    )
    assert out["dry_run"] is True and out["output_file"] is None and out["manifest_file"] is None
    assert out["removed"] == 53 and list(out_dir.iterdir()) == []


def test_table_output_lists_changes(cli, tutorial_dir, tmp_path):
    result = cli(
        "clean", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", *LOGREG, "--dry-run", "--top", "3"
    )
    assert result.exit_code == 0, result.stderr
    for text in ("Cleaning summary", "label issues found", "Rows that change", "53 rows; showing the 3"):
        assert text in result.stdout
    assert "dry run: nothing written" in result.stderr


def test_saved_model_scores_new_data(cli, tutorial_dir, tmp_path):
    pytest.importorskip("skops")
    model = tmp_path / "model.skops"
    saved = _json(
        cli(
            "clean",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            *LOGREG,
            "--output",
            tmp_path / "c.csv",
            "--save-model",
            model,
            "-f",
            "json",
            "-q",
        )
    )
    assert saved["model_file"] == str(model) and model.exists()
    out = _json(cli("find-issues", tutorial_dir / "test.csv", "-l", "y", "--from-model", model, "-f", "json"))
    assert out["run"]["out_of_sample"] is False and "not out-of-sample" in out["run"]["note"]
    assert out["run"]["model_file"]["feature_columns"] == ["x1", "x2"]
    assert out["run"]["model_file"]["num_training_rows"] == 197 and out["num_issues"] > 0
    health = cli("health", tutorial_dir / "train.csv", "-l", "y", "--from-model", model)
    assert health.exit_code == 0 and "trained on" in health.stderr
    _one_line_error(
        cli("health", tutorial_dir / "train.csv", "-l", "y_int", "--ignore", "y", "--from-model", model),
        "other classes",
    )


def test_save_model_without_skops_is_a_clear_error(cli, tutorial_dir, tmp_path, monkeypatch):
    import cleanaudit.models.persist
    from cleanaudit.errors import ConfigError

    def missing():
        raise ConfigError("saving and loading models needs the optional package skops", hint="pip install skops")

    monkeypatch.setattr(cleanaudit.models.persist, "_skops", missing)
    _one_line_error(
        cli(
            "clean",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--output",
            tmp_path / "c.csv",
            "--save-model",
            tmp_path / "m.skops",
        ),
        "skops",
    )
    assert not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize(
    "extra, needle",
    [
        (("--merge", "seafoam green"), "FROM=TO"),
        (("--merge", "teal=yellow"), "unknown class 'teal'"),
        (("--strategy", "nuke"), "--strategy"),
        (("--output", "cleaned.txt"), ".csv or .parquet"),
    ],
)
def test_bad_options(cli, tutorial_dir, tmp_path, extra, needle):
    args = [
        "clean",
        tutorial_dir / "train.csv",
        "-l",
        "y",
        "--ignore",
        "y_int",  # a copy of the label, left out with a note: this test is about the error line alone
        "--pred-probs",
        tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
        *extra,
    ]
    if "--output" not in extra:
        args += ["--output", tmp_path / "c.csv"]
    _one_line_error(cli(*args), needle)


def test_missing_output_and_output_over_input(cli, tutorial_dir, tmp_path):
    data = tmp_path / "train.csv"
    data.write_bytes((tutorial_dir / "train.csv").read_bytes())
    _one_line_error(cli("clean", data, "-l", "y"), "--output", "--dry-run")
    _one_line_error(cli("clean", data, "-l", "y", "--output", data), "--output", "input")
    assert data.read_bytes() == (tutorial_dir / "train.csv").read_bytes()


@pytest.mark.parametrize(
    "matrix, needle",
    [
        (np.eye(3), "3 x 3"),
        (np.full((4, 4), 0.25), "trace 1"),
        (np.eye(4) * 0.9, "sums to 0.9"),
    ],
)
def test_bad_noise_matrix(cli, tutorial_dir, tmp_path, matrix, needle):
    np.save(tmp_path / "nm.npy", matrix)
    _one_line_error(
        cli(
            "clean",
            tutorial_dir / "train.csv",
            "-l",
            "y",
            "--ignore",
            "y_int",
            "--dry-run",
            "--noise-matrix",
            tmp_path / "nm.npy",
        ),
        "nm.npy",
        needle,
    )


def test_label_issues_file_that_does_not_match(cli, tutorial_dir, tmp_path):
    path = tmp_path / "issues.csv"
    pd.DataFrame({"row": [3, 400]}).to_csv(path, index=False)
    _one_line_error(
        cli("clean", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--dry-run", "--label-issues", path),
        "issues.csv",
        "400",
    )
    pd.DataFrame({"row": [0], "given_label": ["blue"]}).to_csv(path, index=False)
    _one_line_error(
        cli("clean", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "--dry-run", "--label-issues", path),
        "other labels",
    )


def test_several_models_are_refused(cli, tutorial_dir):
    _one_line_error(
        cli("clean", tutorial_dir / "train.csv", "-l", "y", "--dry-run", "-m", "logreg", "-m", "knn"),
        "--model is given 2 times",
    )


def test_support_tickets_end_to_end(cli, tmp_path):
    from conftest import SAMPLE

    test = pd.read_csv(SAMPLE / "support_tickets_test.csv")
    truth = pd.read_csv(SAMPLE / "support_tickets_test_true_labels.csv")
    test["team"] = truth.true_label.to_numpy()
    test.to_csv(tmp_path / "test_true.csv", index=False)
    out = _json(
        cli(
            "clean",
            SAMPLE / "support_tickets_train.parquet",
            "-l",
            "team",
            "--id-column",
            "ticket_id",
            "-m",
            "logreg",
            "--test",
            tmp_path / "test_true.csv",
            "--output",
            tmp_path / "clean.parquet",
            "-f",
            "json",
            "-q",
        )
    )
    assert out["removed"] == out["num_label_issues"] > 150
    assert out["test_accuracy"]["cleaned"] > out["test_accuracy"]["baseline"]
    cleaned = pd.read_parquet(tmp_path / "clean.parquet")
    original = pd.read_parquet(SAMPLE / "support_tickets_train.parquet")
    assert list(cleaned.columns) == list(original.columns) and dict(cleaned.dtypes) == dict(original.dtypes)
    manifest = pd.read_csv(tmp_path / "clean.manifest.csv")
    assert manifest.id.tolist() == original.ticket_id.tolist()
    assert set(cleaned.ticket_id) == set(manifest.id[manifest.action == "kept"])
    planted = set(
        pd.read_csv(SAMPLE / "support_tickets_true_labels.csv").pipe(
            lambda t: t.ticket_id[t.true_label.to_numpy() != original.team.to_numpy()]
        )
    )
    removed = set(manifest.id[manifest.action == "removed"])
    assert len(removed & planted) / len(removed) > 0.6  # most removed rows are real label errors


def test_missing_labels_and_rare_classes_refused_on_request(cli, tmp_path):
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame.loc[[0, 1], "target"] = 7  # a class of two rows
    frame.loc[5, "target"] = None
    path = tmp_path / "iris.csv"
    frame.to_csv(path, index=False)
    refused = cli("clean", str(path), "-l", "target", "--dry-run", "--on-missing-label", "error")
    assert refused.exit_code == 2 and "1 missing value(s) (rows 5)" in refused.stderr
    refused = cli("clean", str(path), "-l", "target", "--dry-run", "--model", "logreg", "--on-rare-class", "error")
    assert refused.exit_code == 2 and "class(es)" in refused.stderr and "7 (2 rows)" in refused.stderr
    done = cli("clean", str(path), "-l", "target", "--dry-run", "--model", "logreg", "--format", "json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["not_analysed"]["by_reason"] == {"missing_label": 1, "rare_class": 2}
