"""The Python API: run_* workflows take requests, return results with their notes, and never print.

Notes reach the events object as they are made, land in the result, and every rendering carries
them: JSON ``notes``, the Markdown and HTML "Notes".
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import cleanaudit
from cleanaudit.events import KINDS, SILENT, CollectingEvents, Events, Note

TRAIN = "sample_data/tutorial/train.csv"
PRED_PROBS = "sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy"


@pytest.fixture()
def in_repo(monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[1])


def test_workflows_import_neither_typer_nor_rich():
    code = (
        "import sys, pkgutil, importlib, cleanaudit.workflows as w\n"
        "for m in pkgutil.iter_modules(w.__path__): importlib.import_module('cleanaudit.workflows.' + m.name)\n"
        "import cleanaudit.events, cleanaudit.checks.runner\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'click'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_package_exports_every_workflow_lazily():
    code = (
        "import sys, cleanaudit\nassert 'cleanaudit.workflows.audit' not in sys.modules\n"
        "names = ['run_audit', 'run_find_issues', 'run_health', 'run_overlap', 'run_noise_matrix', 'run_clean']\n"
        "print(all(callable(getattr(cleanaudit, n)) and n in cleanaudit.__all__ for n in names))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_events_protocol_and_implementations():
    assert isinstance(SILENT, Events) and isinstance(CollectingEvents(), Events)
    note = Note("id_like_column", "x looks like an id", columns=["x"])
    assert note.columns == ("x",) and note.record() == {
        "kind": "id_like_column",
        "message": "x looks like an id",
        "columns": ["x"],
    }
    assert all(kind == kind.lower() and kind.replace("_", "").isalpha() for kind in KINDS)


def test_a_workflow_never_prints(in_repo, capsys):
    events = CollectingEvents()
    result = cleanaudit.run_overlap(
        cleanaudit.OverlapRequest(TRAIN, label="y", ignore=["y_int"], pred_probs=PRED_PROBS, top=1), events=events
    )
    assert capsys.readouterr() == ("", "")
    assert [n.kind for n in events.notes] == [n.kind for n in result.notes] == ["pairs_left_out"]
    assert result.context.payload["pairs_left_out"] == 5


def test_a_dataframe_and_an_array_instead_of_files(in_repo):
    frame = pd.read_csv(TRAIN)
    from_files = cleanaudit.run_health(
        cleanaudit.HealthRequest(TRAIN, label="y", ignore=["y_int"], pred_probs=PRED_PROBS)
    )
    in_memory = cleanaudit.run_health(
        cleanaudit.HealthRequest(frame, label="y", ignore=["y_int"], pred_probs=np.load(PRED_PROBS))
    )
    assert in_memory.health_score == from_files.health_score and in_memory.classes == from_files.classes
    assert in_memory.dataset.paths == [] and in_memory.run["pred_probs_source"] == "pred_probs array"
    again = cleanaudit.run_health(
        cleanaudit.HealthRequest(frame.copy(), label="y", ignore=["y_int"], pred_probs=np.load(PRED_PROBS))
    )
    assert again.dataset.sha256 == in_memory.dataset.sha256  # same frame, same digest


def test_notes_in_json_markdown_and_the_progress_seen(cli, in_repo, tmp_path):
    frame = pd.read_csv(TRAIN)
    frame.loc[[3, 7], "x1"] = np.nan
    frame.to_csv(tmp_path / "gaps.csv", index=False)
    events = CollectingEvents()
    result = cleanaudit.run_find_issues(
        cleanaudit.FindIssuesRequest(tmp_path / "gaps.csv", label="y", ignore=["y_int"], model="logreg", cv=3),
        events=events,
    )
    assert [n.kind for n in result.notes] == ["missing_values_imputed"] and result.notes[0].columns == ("x1",)
    assert any(step.startswith("cross-validating") for step in events.steps)

    args = ("find-issues", tmp_path / "gaps.csv", "-l", "y", "--ignore", "y_int", "-m", "logreg", "--cv", "3")
    report = json.loads(cli(*args, "-f", "json", "-q").stdout)
    assert list(report)[:5] == ["schema_version", "command", "dataset", "run", "notes"]
    assert report["notes"] == [n.record() for n in result.notes]
    markdown = cli(*args, "-f", "markdown", "-q").stdout
    assert "### Notes" in markdown and "imputing missing feature values in x1 (2)" in markdown
    shown = cli(*args)
    assert "note: imputing missing feature values in x1 (2)" in shown.stderr


def test_audit_reports_list_the_notes_once(cli, in_repo, tmp_path):
    frame = pd.read_csv(TRAIN).drop(columns=["x2", "y_int"])
    frame["emb"] = [[f"{v:.3f}", "tag"] for v in frame["x1"]]  # lists of text: left out (number vectors are used)
    frame.to_parquet(tmp_path / "nested.parquet")
    out = tmp_path / "report"
    result = cli(
        "audit",
        tmp_path / "nested.parquet",
        "-l",
        "y",
        "--pred-probs",
        PRED_PROBS,
        "--checks",
        "label,null,underperforming_group",
        "--out",
        out,
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert [n["kind"] for n in report["notes"]] == ["columns_left_out"]
    assert report["notes"][0]["columns"] == ["emb"]
    markdown, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert "left out column emb" in markdown.split("### Notes")[1]
    assert '<section id="notes">' in page and "left out column emb" in page
    skipped = cli(
        "audit", TRAIN, "-l", "y", "--ignore", "x1,x2,y_int", "--pred-probs", PRED_PROBS, "-q", "-f", "markdown"
    ).stdout
    assert skipped.count("skipped near_duplicate: needs features") == 1  # under the summary table only


def test_every_envelope_has_notes(cli, in_repo, tmp_path):
    (tmp_path / "two").mkdir()
    for name in ("a", "b"):
        pd.read_csv(TRAIN).to_csv(tmp_path / "two" / f"{name}.csv", index=False)
    batch = json.loads(
        cli(
            "audit", tmp_path / "two", "-l", "y", "--ignore", "y_int", "-m", "logreg", "--cv", "3", "-f", "json", "-q"
        ).stdout
    )
    assert [n["kind"] for n in batch["notes"]] == ["batch_dataset", "batch_dataset"]
    clean = json.loads(
        cli(
            "clean", TRAIN, "-l", "y", "--ignore", "y_int", "--pred-probs", PRED_PROBS, "--dry-run", "-f", "json"
        ).stdout
    )
    assert [n["kind"] for n in clean["notes"]] == ["dry_run"]


def test_run_audit_refuses_several_datasets(in_repo, tmp_path):
    from cleanaudit.errors import ConfigError

    for name in ("a", "b"):
        pd.read_csv(TRAIN).to_csv(tmp_path / f"{name}.csv", index=False)
    with pytest.raises(ConfigError, match="batch"):
        cleanaudit.run_audit(cleanaudit.AuditRequest(tmp_path, label="y", pred_probs=PRED_PROBS))


def test_run_batch_records_each_dataset_and_goes_on_after_a_failure(in_repo, tmp_path):
    from cleanaudit.workflows.batch import BatchRequest, run_batch

    pd.read_csv(TRAIN).to_csv(tmp_path / "good.csv", index=False)
    (tmp_path / "broken.csv").write_text("y\n")  # a header and no rows
    events, finished = CollectingEvents(), []
    template = cleanaudit.AuditRequest(tmp_path, label="y", ignore=["y_int"], model="logreg", cv=3)
    result = run_batch(
        BatchRequest(template, [tmp_path / "broken.csv", tmp_path / "good.csv"]),
        events=events,
        finish=lambda audit, name, staging: finished.append((name, audit.health_score is not None)),
    )
    assert [(i.name, i.status, i.error is not None) for i in result.items] == [("broken", 2, True), ("good", 0, False)]
    assert finished == [("good", True)] and result.status == 2
    assert [n.kind for n in result.notes] == ["batch_dataset", "dataset_failed", "batch_dataset"]
    assert [n.kind for n in events.notes if n.kind.startswith(("batch", "dataset"))] == [
        "batch_dataset",
        "dataset_failed",
        "batch_dataset",
    ]


def test_the_cli_events_print_notes_tables_and_errors(capsys):
    import io

    from rich.console import Console

    from cleanaudit.cli.console import RichEvents

    events = RichEvents(quiet=False)
    events.note(Note("model_warning", "ConvergenceWarning: lbfgs failed"))
    candidates = [{"model": "logreg", "log_loss": 0.5, "accuracy": 0.8, "seconds": 0.1, "error": None, "chosen": True}]
    events.note(Note("model_selection", "--model auto chose logreg", details={"candidates": candidates}))
    err = capsys.readouterr().err
    assert "model warning: ConvergenceWarning: lbfgs failed" in err and "logreg (chosen)" in err
    quiet = RichEvents(quiet=True)
    quiet.note(Note("id_like_column", "x is like an id"))
    quiet.note(Note("dataset_failed", "bad: cannot parse bad.csv"))
    assert capsys.readouterr().err == "cleanaudit: error: bad: cannot parse bad.csv\n"
    terminal = RichEvents()
    terminal.console = Console(file=io.StringIO(), force_terminal=True)
    terminal.progress("cross-validating logreg", 1, 5)
    assert terminal._bar is not None
    terminal.progress("cross-validating logreg", 5, 5)  # a finished step takes its bar away
    assert terminal._bar is None
