"""--task multilabel from the command line: find-issues, health, audit, clean, and bad inputs.

The table is real (scikit-learn's wine chemistry) with tags a person could give each wine: its
cultivar, and whether it is strong (alcohol) or deep-coloured (colour intensity), read off the
measurements so that they are learnable; then tags are dropped from and added to 8% of the rows.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

TAGS = ["cultivar_a", "cultivar_b", "cultivar_c", "strong", "deep_colour"]


@pytest.fixture(scope="module")
def tagged_wine(tmp_path_factory):
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True)
    X = data.data
    truth = np.column_stack(
        [
            data.target == 0,
            data.target == 1,
            data.target == 2,
            X["alcohol"] > 13.0,
            X["color_intensity"] > 7.0,
        ]
    ).astype(np.int8)
    rng = np.random.default_rng(7)
    given = truth.copy()
    planted = rng.choice(len(X), size=int(0.08 * len(X)), replace=False)
    for i in planted:
        given[i, rng.integers(3, 5)] ^= 1  # a strong/deep tag dropped or added
    folder = tmp_path_factory.mktemp("tagged_wine")
    frame = X.copy()
    frame.insert(0, "wine_id", [f"w{i:03d}" for i in range(len(X))])
    frame["tags"] = ["|".join(t for t, v in zip(TAGS, row) if v) for row in given]
    frame.to_csv(folder / "wine.csv", index=False)
    listed = frame.copy()
    listed["tags"] = [[t for t, v in zip(TAGS, row) if v] for row in given]
    listed.to_parquet(folder / "wine.parquet")
    ids = set(frame["wine_id"].iloc[planted])
    return folder, ids


def _json(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _precision_recall(flagged: set, planted: set) -> tuple[float, float]:
    found = len(flagged & planted)
    return found / max(len(flagged), 1), found / len(planted)


def test_find_issues_names_the_wrong_and_missing_tags(cli, tagged_wine):
    folder, planted = tagged_wine
    args = ["--task", "multilabel", "--label-sep", "|", "--id-column", "wine_id", "-m", "logreg"]
    payload = _json(cli("find-issues", folder / "wine.csv", "-l", "tags", *args, "--format", "json"))
    assert payload["task"] == "multilabel" and payload["run"]["task"] == "multilabel"
    issues = payload["issues"]
    precision, recall = _precision_recall({i["id"] for i in issues}, planted)
    assert recall >= 0.6 and precision >= 0.5, (precision, recall)
    for issue in issues:  # names, never codes; the suggestion is the given set with the flags applied
        given, suggested = set(issue["given_labels"]), set(issue["suggested_labels"])
        assert given | suggested <= set(TAGS)
        assert suggested == (given - set(issue["wrong_labels"])) | set(issue["missing_labels"])
    scores = [i["label_quality"] for i in issues]
    assert scores == sorted(scores)
    assert {c["class"] for c in payload["per_class"]} == set(TAGS)


def test_list_column_gives_the_same_findings_as_text(cli, tagged_wine):
    folder, _ = tagged_wine
    args = ["-l", "tags", "--task", "multilabel", "--id-column", "wine_id", "-m", "logreg", "--format", "json"]
    text = _json(cli("find-issues", folder / "wine.csv", "--label-sep", "|", *args))
    listed = _json(cli("find-issues", folder / "wine.parquet", *args))
    assert [i["id"] for i in text["issues"]] == [i["id"] for i in listed["issues"]]


def test_health_and_table_output(cli, tagged_wine):
    folder, _ = tagged_wine
    args = ["-l", "tags", "--task", "multilabel", "--label-sep", "|", "-m", "logreg"]
    payload = _json(cli("health", folder / "wine.csv", *args, "--format", "json"))
    assert 0.8 < payload["health_score"] < 1.0
    assert {c["class_name"] for c in payload["classes"]} == set(TAGS)
    table = cli("health", folder / "wine.csv", *args)
    assert table.exit_code == 0 and "Label quality per class" in table.stdout and "deep_colour" in table.stdout


def test_audit_runs_the_label_check_per_class_and_the_feature_checks(cli, tagged_wine, tmp_path):
    folder, planted = tagged_wine
    out = tmp_path / "report"
    result = cli(
        "audit", folder / "wine.parquet", "-l", "tags", "--task", "multilabel", "--id-column", "wine_id",
        "-m", "logreg", "--out", out, "--format", "json",
    )  # fmt: skip
    payload = _json(result)
    ran = {row["issue_type"] for row in payload["summary"]}
    assert {"label", "outlier", "near_duplicate", "null"} <= ran
    assert {s["issue_type"] for s in payload["skipped"]} >= {"class_imbalance", "underperforming_group"}
    assert payload["checks"]["label"]["info"]["task"] == "multilabel"
    rows = pd.read_csv(out / "issues.csv", keep_default_na=False)
    assert {"given_labels", "suggested_labels", "is_label_issue"} <= set(rows.columns)
    assert (out / "report.html").exists() and "Label issues per class" in (out / "report.md").read_text()
    _, recall = _precision_recall(set(rows.loc[rows.is_label_issue.astype(str) == "True", "id"]), planted)
    assert recall >= 0.6


@pytest.mark.parametrize("source", ["wine.csv", "wine.parquet"])
def test_clean_relabel_writes_corrected_sets_in_the_input_form(cli, tagged_wine, tmp_path, source):
    folder, _ = tagged_wine
    suffix = source.rsplit(".", 1)[1]
    output = tmp_path / f"cleaned.{suffix}"
    result = cli(
        "clean", folder / source, "-l", "tags", "--task", "multilabel", "--label-sep", "|", "-m", "logreg",
        "--strategy", "relabel", "--output", output, "--format", "json",
    )  # fmt: skip
    payload = _json(result)
    assert payload["relabelled"] > 0 and payload["rows_out"] == 178 - payload["removed"]
    assert payload["relabelled"] + payload["removed"] == payload["num_issues"]
    before = pd.read_csv(folder / "wine.csv", keep_default_na=False)
    manifest = pd.read_csv(tmp_path / "cleaned.manifest.csv", keep_default_na=False)
    if suffix == "csv":
        after = pd.read_csv(output, keep_default_na=False)["tags"].tolist()
    else:
        after = ["|".join(v) for v in pd.read_parquet(output)["tags"]]
    changed = manifest["action"] == "relabelled"
    kept = manifest["action"] != "removed"
    expected = [n if c else b for b, n, c in zip(before["tags"], manifest["new_labels"], changed)]
    assert after == [e for e, k in zip(expected, kept) if k]
    assert (
        before.drop(columns="tags").to_numpy() == pd.read_csv(folder / "wine.csv").drop(columns="tags").to_numpy()
    ).all()


def test_clean_drop_removes_the_flagged_rows(cli, tagged_wine, tmp_path):
    folder, _ = tagged_wine
    output = tmp_path / "dropped.csv"
    result = cli(
        "clean", folder / "wine.csv", "-l", "tags", "--task", "multilabel", "--label-sep", "|", "-m", "logreg",
        "--id-column", "wine_id", "--output", output, "--format", "json",
    )  # fmt: skip
    payload = _json(result)
    kept = pd.read_csv(output)
    assert len(kept) == payload["rows_out"] == 178 - payload["removed"] and payload["removed"] > 0


@pytest.mark.parametrize(
    "command, extra, words",
    [
        ("find-issues", ["--annotators", "r1,r2"], "--task multilabel and --annotators"),
        ("overlap", [], "overlap does not support --task multilabel"),
        ("noise-matrix", [], "noise-matrix does not support --task multilabel"),
        ("clean", ["--strategy", "weight", "--dry-run"], "--strategy weight is not available"),
        ("find-issues", ["-m", "logreg", "-m", "knn"], "several --model is not supported"),
        ("find-issues", ["--self-check", "auto"], "--self-check is not supported"),
    ],
)
def test_unsupported_combinations_exit_2_in_one_line(cli, tagged_wine, command, extra, words):
    folder, _ = tagged_wine
    result = cli(command, folder / "wine.csv", "-l", "tags", "--task", "multilabel", "--label-sep", "|", *extra)
    assert result.exit_code == 2, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # the error and its hint


def test_a_list_column_without_the_task_says_to_add_it(cli, tagged_wine):
    folder, _ = tagged_wine
    result = cli("find-issues", folder / "wine.parquet", "-l", "tags")
    assert result.exit_code == 2 and "--task multilabel" in result.stderr and "Traceback" not in result.stderr


def test_pred_probs_file_need_not_sum_to_one(cli, tagged_wine, tmp_path):
    folder, _ = tagged_wine
    frame = pd.read_csv(folder / "wine.csv", keep_default_na=False)
    sets = [set(t.split("|")) if t else set() for t in frame["tags"]]
    probs = np.array([[0.9 if t in s else 0.1 for t in TAGS] for s in sets])  # agrees with every given tag
    probs[0] = [0.1 if t in sets[0] else 0.9 for t in TAGS]  # row 0: every tag looks wrong
    path = tmp_path / "probs.csv"
    pd.DataFrame(probs, columns=TAGS).to_csv(path, index=False)
    args = ["-l", "tags", "--task", "multilabel", "--label-sep", "|", "--pred-probs", path, "--format", "json"]
    payload = _json(cli("find-issues", folder / "wine.csv", *args))
    assert [i["row"] for i in payload["issues"]] == [0]
    assert payload["run"]["pred_probs_source"] == str(path)


def test_second_run_reuses_the_cached_one_vs_rest_pred_probs(cli, tagged_wine, tmp_path):
    folder, _ = tagged_wine
    args = ["-l", "tags", "--task", "multilabel", "--label-sep", "|", "-m", "logreg", "--cache-dir", tmp_path]
    first = _json(cli("find-issues", folder / "wine.csv", *args, "--format", "json"))
    second = _json(cli("find-issues", folder / "wine.csv", *args, "--format", "json"))
    assert first["run"]["cache"]["hit"] is False and second["run"]["cache"]["hit"] is True
    assert first["issues"] == second["issues"]
    assert any(n["kind"] == "pred_probs_cache" for n in second["notes"])


def test_github_annotations_name_the_wrong_and_missing_tags_at_the_row_line(cli, tagged_wine):
    folder, _ = tagged_wine
    path = folder / "wine.csv"
    args = ["-l", "tags", "--task", "multilabel", "--label-sep", "|", "-m", "logreg", "--id-column", "wine_id"]
    result = cli("find-issues", path, *args, "--format", "github")
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert lines
    csv_lines = path.read_text().splitlines()
    for line in lines:
        number = int(line.split("line=", 1)[1].split(",", 1)[0])
        wine_id = line.split("in row ", 1)[1].split(":", 1)[0]
        assert csv_lines[number - 1].startswith(wine_id + ",")  # the annotation points at that row's record
        assert "probably wrong" in line or "probably missing" in line
