"""--annotators from the command line: find-issues, health, audit and clean --strategy consensus, their outputs in
every format, and every bad input refused with one line (exit 2) before any model is fitted."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from annotator_cases import ACCURACY, CLASSES, crowd_table

RATERS = ",".join(ACCURACY)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A crowd table (row 7 labelled by nobody) and pred_probs for its 299 labelled rows."""
    folder = tmp_path_factory.mktemp("crowd-cli")
    frame, _ = crowd_table(n=200, seed=1)
    frame.to_csv(folder / "crowd.csv", index=False)
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=199)
    np.save(folder / "probs.npy", probs)
    pd.DataFrame(probs, columns=list(CLASSES)).to_csv(folder / "probs.csv", index=False)
    return folder


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("cleanaudit: error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_find_issues_json_names_classes_and_annotators(cli, files):
    result = cli(
        "find-issues", files / "crowd.csv", "--annotators", RATERS, "--id-column", "key",
        "--pred-probs", files / "probs.npy", "--active-learning", "3", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["command"] == "find-issues" and out["dataset"]["label_column"] == "consensus_label"
    assert out["dataset"]["class_names"] == list(CLASSES) and out["dataset"]["num_examples"] == 199
    assert {"rule", "num_issues", "issues", "annotators", "consensus", "active_learning"} <= set(out)
    assert [a["annotator"] for a in out["annotators"]][0] == "dee"
    assert set(out["annotators"][0]) == {
        "annotator",
        "annotator_quality",
        "agreement_with_consensus",
        "worst_class",
        "num_examples_labeled",
    }
    assert all(i["consensus_label"] in CLASSES and i["id"].startswith("k") for i in out["issues"])
    assert len(out["active_learning"]) == 3 and out["not_analysed"]["by_reason"] == {"no_annotations": 1}
    assert {"consensus", "no_annotations"} <= {n["kind"] for n in out["notes"]}


def test_find_issues_table_shows_annotators_labels(cli, files):
    result = cli(
        "find-issues", files / "crowd.csv", "--annotators", "ann,bob,cyd,dee", "--pred-probs", files / "probs.csv",
        "--top", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Doubtful consensus labels" in result.stdout and "Annotators, lowest quality first" in result.stdout
    assert "consensus" in result.stdout and " dee " in result.stdout


def test_health_markdown_has_the_annotator_table(cli, files):
    result = cli(
        "health", files / "crowd.csv", "--annotators", RATERS, "--pred-probs", files / "probs.npy", "-f", "markdown"
    )
    assert result.exit_code == 0, result.stderr
    assert "### Label quality per class" in result.stdout and "### Annotators, lowest quality first" in result.stdout


def test_audit_out_writes_the_annotators_in_every_report(cli, files, tmp_path):
    out = tmp_path / "report"
    result = cli(
        "audit", files / "crowd.csv", "--annotators", RATERS, "--pred-probs", files / "probs.npy", "--out", out,
        "--checks", "label,class_imbalance", "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["annotators"][0]["annotator"] == "dee" and report["consensus"]["method"] == "best_quality"
    assert 'id="annotators"' in (out / "report.html").read_text()
    assert "### Annotators, lowest quality first" in (out / "report.md").read_text()
    rows = pd.read_csv(out / "issues.csv")
    assert {"consensus_label", "consensus_quality_score", "annotator_agreement", "num_annotations"} <= set(rows)


def test_find_issues_out_rows_carry_the_consensus(cli, files, tmp_path):
    out = tmp_path / "fi"
    result = cli("find-issues", files / "crowd.csv", "--annotators", RATERS, "--pred-probs", files / "probs.npy",
                 "--out", out, "-q")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = pd.read_csv(out / "issues.csv")
    assert len(rows) == 199 and 7 not in rows["row"].tolist()
    assert set(rows["consensus_label"]) <= set(CLASSES) and {"ann", "dee", "majority_vote"} <= set(rows)


def test_clean_consensus_writes_the_column_and_a_manifest(cli, files, tmp_path):
    output = tmp_path / "consensus.parquet"
    result = cli(
        "clean", files / "crowd.csv", "--annotators", RATERS, "--strategy", "consensus", "--pred-probs",
        files / "probs.npy", "--output", output, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["strategy"] == "consensus" and payload["rows_out"] == 200 and payload["passed_through"] == 1
    written = pd.read_parquet(output)
    assert written.columns[-1] == "consensus_label" and len(written) == 200
    assert written["consensus_label"].isna().tolist() == [i == 7 for i in range(200)]
    assert set(written["consensus_label"].dropna()) <= set(CLASSES)
    assert (tmp_path / "consensus.manifest.csv").exists()


def test_clean_consensus_cross_validates_on_the_majority_vote(cli, files, tmp_path):
    result = cli("clean", files / "crowd.csv", "--annotators", RATERS, "--strategy", "consensus", "-m", "logreg",
                 "--cv", "3", "--dry-run", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["run"]["pred_probs_source"] == "cross-validation" and payload["output_file"] is None
    assert payload["run"]["annotators"]["trained_on"] == "majority vote"


def _bad_tables(folder):
    frame, _ = crowd_table(n=60, seed=3)
    empty = frame.assign(eve=None)
    empty.to_csv(folder / "empty_rater.csv", index=False)
    frame.assign(consensus_label="x").to_csv(folder / "taken.csv", index=False)
    pd.DataFrame(np.full((59, 4), 0.25), columns=[*CLASSES, "emu"]).to_csv(folder / "extra_class.csv", index=False)
    np.save(folder / "two_columns.npy", np.full((59, 2), 0.5))
    frame.to_csv(folder / "small.csv", index=False)
    alone = frame.copy()  # each row keeps one rater's label: no two annotators ever label the same row
    for i, kept in enumerate(np.arange(len(frame)) % 4):
        alone.loc[i, [c for m, c in enumerate(ACCURACY) if m != kept]] = None
    alone.to_csv(folder / "alone_rater.csv", index=False)


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--annotators", "judge_*"], ["--annotators 'judge_*' matches no column"]),
        (["--annotators", "ann"], ["--annotators names one column", "'ann'"]),
        (["--annotators", "ann,bobby"], ["annotator column 'bobby' not found"]),
        (["--annotators", "ann,bob,eve", "@empty_rater.csv"], ["annotator column 'eve'", "holds no labels"]),
        (["--annotators", RATERS, "--task", "multilabel"], ["--task multilabel and --annotators cannot be combined"]),
        (["--annotators", RATERS, "--pred-probs", "@extra_class.csv"], ["extra_class.csv", "not class names: emu"]),
        (["--annotators", RATERS, "--pred-probs", "@two_columns.npy"], ["two_columns.npy", "expected 59 x 3"]),
        (["-l", "ann", "--active-learning", "2"], ["--active-learning needs --annotators"]),
        (["--annotators", RATERS, "--filter-by", "both"], ["--filter-by has no effect with --annotators"]),
        (["--annotators", RATERS, "--features", "x1,dee"], ["column 'dee' is both a feature and an annotator"]),
        (["--annotators", RATERS, "--scheduler", "local"], ["--scheduler cannot be combined with --annotators"]),
        (["--annotators", RATERS, "-m", "logreg", "-m", "knn"], ["an ensemble cannot be combined with --annotators"]),
        (["--annotators", RATERS, "--on-missing-label", "error"], ["have no label in any annotator column"]),
        (["--annotators", RATERS, "@alone_rater.csv"], ["is labelled by two or more of the annotators"]),
    ],
)
def test_bad_inputs_fail_with_one_line(cli, tmp_path, args, needles, monkeypatch):
    _bad_tables(tmp_path)
    data = next((a for a in args if a.startswith("@") and a.endswith("rater.csv")), "@small.csv")
    args = [str(tmp_path / a[1:]) if a.startswith("@") else a for a in args if a != data]
    fitted = []
    monkeypatch.setattr("cleanaudit.models.crossval.out_of_fold_pred_probs", lambda *a, **k: fitted.append(1))
    _one_line_error(cli("find-issues", tmp_path / data[1:], *args, "--id-column", "key", "-q"), *needles)
    assert not fitted  # refused before any model was fitted


@pytest.mark.parametrize(
    "args, needles",
    [
        (["-l", "ann", "--strategy", "consensus"], ["--strategy consensus needs --annotators"]),
        (["--annotators", RATERS], ["--strategy drop cleans one label column", "pass --strategy consensus"]),
        (["--annotators", RATERS, "--strategy", "consensus", "--merge", "cat=dog"], ["--merge has no effect"]),
        (["--annotators", RATERS, "--strategy", "consensus", "@taken.csv"], ["already has a column 'consensus_label'"]),
    ],
)
def test_bad_clean_options_fail_with_one_line(cli, tmp_path, args, needles):
    _bad_tables(tmp_path)
    data = next((a for a in args if a.startswith("@")), "@small.csv")
    args = [a for a in args if a != data]
    _one_line_error(cli("clean", tmp_path / data[1:], *args, "--dry-run", "-m", "logreg", "-q"), *needles)


@pytest.mark.parametrize("command", ["overlap", "noise-matrix"])
def test_overlap_and_noise_matrix_read_the_consensus(cli, files, command):
    result = cli(
        command, files / "crowd.csv", "--annotators", RATERS, "--pred-probs", files / "probs.npy", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["dataset"]["label_column"] == "consensus_label" and "consensus" in {n["kind"] for n in out["notes"]}
