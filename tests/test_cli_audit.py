"""audit on the tutorial data reproduces the numbers the tutorial publishes; its files are right."""

from __future__ import annotations

import json

import numpy as np
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


def test_run_records_the_neighbour_graph(tutorial_audit):
    report, out = tutorial_audit
    graph = report["run"]["neighbour_graph"]
    assert graph["method"] == "sklearn" and graph["metric"] == "euclidean" and graph["exact"] is True
    assert graph["k"] >= 10 and graph["seconds"] >= 0
    assert graph["recall"] is None and graph["recall_sample"] is None and graph["note"] is None
    assert json.loads((out / "report.json").read_text())["run"]["neighbour_graph"] == graph


def test_an_approximate_neighbour_graph_is_a_note_with_its_recall(cli, tmp_path, monkeypatch):
    pytest.importorskip("faiss")
    from cleanaudit.checks.graph import cells, knn

    monkeypatch.setattr(knn, "SKLEARN_MAX_ROWS", 1000)
    monkeypatch.setattr(knn, "FLAT_MAX_ROWS", 1000)  # as if 6,000 rows were a large table
    monkeypatch.setattr(cells, "CELL_ROWS", 250)
    rng = np.random.default_rng(11)
    centres = rng.normal(0, 5, size=(12, 8))  # tight clusters: structure an approximate search finds
    cluster = rng.integers(0, 12, 6000)
    y = cluster % 3
    frame = pd.DataFrame(centres[cluster] + rng.normal(0, 0.2, size=(6000, 8)), columns=[f"x{i}" for i in range(8)])
    frame.assign(y=y).to_parquet(tmp_path / "t.parquet")
    probs = np.full((6000, 3), 0.1)
    probs[np.arange(6000), y] = 0.8
    np.save(tmp_path / "p.npy", probs)
    result = cli("audit", tmp_path / "t.parquet", "-l", "y", "--pred-probs", tmp_path / "p.npy", "-f", "json",
                 "--checks", "outlier,near_duplicate")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    graph = report["run"]["neighbour_graph"]
    assert graph["method"] == "cells" and graph["exact"] is False and graph["recall"] >= 0.95
    notes = [n["message"] for n in report["notes"] if n["kind"] == "neighbour_graph"]
    assert notes == [graph["note"]] and f"found {graph['recall']:.3f} of the exact neighbours" in notes[0]


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
    assert "neighbour_graph" not in report["run"]  # no features: no graph was built


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


@pytest.mark.parametrize(
    "checks", ["near_duplicate", "outlier", "null", "class_imbalance", "non_iid", "near_duplicate,outlier,non_iid"]
)
def test_checks_that_need_no_pred_probs_fit_no_model(cli, tutorial_dir, monkeypatch, checks):
    import cleanaudit.models.crossval as crossval

    def no_fitting(*args, **kwargs):
        raise AssertionError("cross-validation ran for checks that need no pred_probs")

    monkeypatch.setattr(crossval, "cross_val_pred_probs", no_fitting)
    result = cli("audit", tutorial_dir / "train.csv", "-l", "y", "--checks", checks, "-f", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {row["issue_type"] for row in report["summary"]} == set(checks.split(","))
    assert report["run"]["model"] is None and report["run"]["cv_folds"] is None
    assert report["run"]["pred_probs_source"] == "none (no selected check needs pred_probs)"
    assert "no_model_fitted" in [n["kind"] for n in report["notes"]]


def test_label_check_or_saving_still_fits(cli, tutorial_dir, tmp_path, monkeypatch):
    import cleanaudit.models.crossval as crossval

    calls = []
    real = crossval.cross_val_pred_probs
    monkeypatch.setattr(crossval, "cross_val_pred_probs", lambda *a, **k: calls.append(1) or real(*a, **k))
    base = ["audit", tutorial_dir / "train.csv", "-l", "y", "--ignore", "y_int", "-m", "logreg", "--no-cache"]
    for extra in (["--checks", "label"], ["--checks", "near_duplicate", "--save-pred-probs", tmp_path / "p.npy"]):
        result = cli(*base, *extra, "-f", "json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["run"]["model"] == "logreg"
    assert len(calls) == 2 and (tmp_path / "p.npy").is_file()


def test_no_model_report_files_are_written(cli, tutorial_dir, tmp_path):
    out = tmp_path / "report"
    result = cli("audit", tutorial_dir / "train.csv", "-l", "y", "--checks", "near_duplicate,outlier", "--out", out)
    assert result.exit_code == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["model"] is None and (out / "report.html").is_file() and (out / "report.md").is_file()


def test_wants_pred_probs_follows_the_registry():
    from cleanaudit.checks import all_checks
    from cleanaudit.workflows.audit import wants_pred_probs

    assert wants_pred_probs(None) and wants_pred_probs(["label"]) and wants_pred_probs(["underperforming_group"])
    free = [n for n in all_checks() if n not in ("label", "underperforming_group")]
    assert not wants_pred_probs(free)


# --- the report: flagged rows with their values, notes, the model, written files (issue 10) ---


@pytest.fixture(scope="module")
def mixed_table(tmp_path_factory):
    """A small table with numbers, missing values, dates and text, and some flipped labels."""
    import numpy as np

    rng = np.random.default_rng(3)
    n = 150
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    x2[::17] = np.nan
    label = np.where(x1 + 0.3 * np.nan_to_num(x2) > 0, "pos", "neg")
    label[::11] = np.where(label[::11] == "pos", "neg", "pos")
    frame = pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "when": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "y": label,
        }
    )
    path = tmp_path_factory.mktemp("mixed") / "mixed.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_examples_carry_their_values_in_every_format(cli, mixed_table, tmp_path):
    path, frame = mixed_table
    out = tmp_path / "report"
    args = ["audit", path, "-l", "y", "-m", "logreg", "--cv", "3", "--no-cache", "--num-examples", "2"]
    result = cli(*args, "--out", out, "-f", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    label = report["examples"]["label"]
    assert 0 < len(label) <= 2
    for example in label:
        values = example["values"]
        assert list(values) == list(frame.columns)
        expected = frame.iloc[example["row"]]
        assert values["x1"] == pytest.approx(expected["x1"])
        assert values["y"] == expected["y"] == example["given_label"]
        assert values["x2"] is None if pd.isna(expected["x2"]) else values["x2"] == pytest.approx(expected["x2"])
        assert str(values["when"]).startswith(expected["when"])
    first = label[0]
    markdown, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    cell = f"| {first['row']} | {first['score']:.4f} |"
    assert cell in markdown and f"{first['values']['x1']:.4f}" in markdown.split(cell)[1].splitlines()[0]
    assert f'<td class="num">{first["values"]["x1"]:.4f}</td>' in page
    assert markdown.count("| pos |") + markdown.count("| neg |") >= 1
    table = cli(*args)  # the terminal: the same rows with the same values
    assert table.exit_code == 0, table.stderr
    assert f"{first['values']['x1']:.4f}" in table.stdout and "when" in table.stdout
    assert "most severe" in table.stdout and "Confusion matrix" in table.stdout


def test_num_examples_reaches_every_format(cli, mixed_table, tmp_path):
    path, _ = mixed_table
    out = tmp_path / "report"
    args = ["audit", path, "-l", "y", "-m", "logreg", "--cv", "3", "--no-cache", "--num-examples", "1"]
    report = json.loads(cli(*args, "--out", out, "-f", "json").stdout)
    assert all(len(rows) <= 1 for rows in report["examples"].values())
    markdown = (out / "report.md").read_text()
    assert "### label issues" in markdown and "the 1 most severe" in markdown
    none = cli(*args[:-1], "0", "-f", "markdown")
    assert none.exit_code == 0, none.stderr
    assert "### label issues" not in none.stdout and "### Issues found" in none.stdout


def test_every_note_and_the_confusion_matrix_are_in_the_reports(cli, mixed_table, tmp_path):
    path, _ = mixed_table
    out = tmp_path / "report"
    result = cli("audit", path, "-l", "y", "-m", "logreg", "--cv", "3", "--no-cache", "--out", out, "-f", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["notes"], "the missing values in x2 are imputed: at least that note"
    markdown, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    import html

    from cleanaudit.report.tables import markdown_text

    for note in report["notes"]:
        assert markdown_text(note["message"]) in markdown
        if note["kind"] != "check_skipped":  # those are listed by check on the page
            assert html.escape(note["message"]) in page
    confusion = report["confusion_matrix"]
    assert sum(map(sum, confusion["matrix"])) == report["dataset"]["num_examples"]
    assert confusion["class_names"] == ["neg", "pos"]
    assert "Confusion matrix" in markdown and "Confusion matrix" in page


def test_audit_out_says_what_it_wrote(cli, mixed_table, tmp_path):
    path, _ = mixed_table
    out = tmp_path / "report"
    args = ["audit", path, "-l", "y", "--checks", "outlier,null", "--out", out]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    assert f"cleanaudit: wrote {out}/: report.json, report.md, report.html, issues.parquet, issues.csv" in result.stderr
    assert "wrote" not in cli(*args, "--quiet").stderr


def _label_audit(tutorial_dir):
    """The label check of an audit on the tutorial data, with its given pred_probs (no fitting)."""
    from cleanaudit.workflows.audit import AuditRequest, run_audit

    return run_audit(
        AuditRequest(
            tutorial_dir / "train.csv",
            label="y",
            features=["x1", "x2"],
            pred_probs=tutorial_dir / "pred_probs_cv3_logreg_by_name.npy",
            checks=["label"],
        )
    )


def test_model_comparison_sorted_with_the_chosen_marked(tutorial_dir, tmp_path):
    from cleanaudit.report.audit_report import audit_result_tables

    result = _label_audit(tutorial_dir)
    result.context.run["model"] = "auto:rf"
    result.context.run["model_candidates"] = [
        {"model": "logreg", "log_loss": 0.9, "accuracy": 0.6, "seconds": 1.0, "error": None},
        {"model": "rf", "log_loss": 0.5, "accuracy": 0.7, "seconds": 2.0, "error": None},
    ]
    tables = {t.title: t for t in audit_result_tables(result)}
    assert [r[0] for r in tables["Models compared (--model auto)"].rows] == ["rf (chosen)", "logreg"]


def test_unreliable_banner_from_the_run_record(tutorial_dir, tmp_path):
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.cli.render import audit_files, run_markdown
    from cleanaudit.report.audit_report import audit_result_tables
    from cleanaudit.report.envelope import context_envelope

    result = _label_audit(tutorial_dir)
    context = result.context
    tables = audit_result_tables(result)
    context.run.pop("model_check", None)
    page_of = audit_files(result, tables, RichEvents(quiet=True))
    assert "UNRELIABLE" not in run_markdown(context, tables)
    assert "UNRELIABLE" not in page_of(context_envelope(context))["report.html"]
    context.run["model_check"] = {
        "baseline": {"log_loss": 1.36, "accuracy": 0.336},
        "model": {"log_loss": 1.35, "accuracy": 0.34},
        "weak_model": True,
        "leakage": [],
        "near_perfect": False,
        "reliable": False,
        "rule": "a stated rule",
    }
    markdown = run_markdown(context, tables)
    page = page_of(context_envelope(context))["report.html"]
    assert markdown.index("FINDINGS UNRELIABLE") < markdown.index("### Issues found")
    assert "1.3500 vs 1.3600" in markdown
    assert page.index("FINDINGS UNRELIABLE") < page.index('id="summary"')
