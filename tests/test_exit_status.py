"""Every way a run can end maps to the exit code DESIGN.md promises, with one clear stderr line."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest

from cleanaudit.status import ExitStatus

COMMANDS = ["find-issues", "health", "overlap", "noise-matrix"]


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == ExitStatus.INPUT_ERROR, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cleanaudit: error: ")
    assert "Traceback" not in result.stderr and result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture()
def small(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40), "y": ["p", "q"] * 20})
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    probs = np.array([[0.7, 0.3], [0.3, 0.7]] * 20)  # a model clearly better than the prior: no weak_model note
    return path, probs


@pytest.mark.parametrize("command", COMMANDS)
def test_ok(cli, small, tmp_path, command):
    path, probs = small
    np.save(tmp_path / "p.npy", probs)
    result = cli(command, path, "-l", "y", "--pred-probs", tmp_path / "p.npy", "-q")
    assert result.exit_code == ExitStatus.OK, result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_file(cli, tmp_path, command):
    _one_line_error(cli(command, tmp_path / "nope.csv", "-l", "y"), "nope.csv")


def test_missing_label_column(cli, small):
    _one_line_error(cli("health", small[0], "-l", "label"), "label")


def test_missing_label_option(cli, small):
    _one_line_error(cli("health", small[0]), "--label")


def test_missing_feature_column(cli, small):
    _one_line_error(cli("health", small[0], "-l", "y", "--features", "a,zz"), "zz")


def test_single_class(cli, tmp_path):
    path = tmp_path / "one.csv"
    pd.DataFrame({"a": range(10), "y": ["p"] * 10}).to_csv(path, index=False)
    _one_line_error(cli("find-issues", path, "-l", "y"), "class")


def test_empty_file(cli, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    _one_line_error(cli("health", path, "-l", "y"), "empty.csv")


def test_corrupt_parquet(cli, tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    _one_line_error(cli("health", path, "-l", "y"), "bad.parquet")


@pytest.mark.parametrize(
    "probs, needle",
    [
        (np.full((40, 2), np.nan), "NaN"),
        (np.tile([0.5, 0.3, 0.2], (40, 1)), "3"),
        (np.tile([0.7, 0.3], (39, 1)), "39"),
        (np.tile([1.2, -0.2], (40, 1)), "negative"),
        (np.tile([0.7, 0.7], (40, 1)), "sum"),
    ],
    ids=["nan", "columns", "rows", "negative", "sum"],
)
def test_bad_pred_probs(cli, small, tmp_path, probs, needle):
    np.save(tmp_path / "p.npy", probs)
    _one_line_error(cli("find-issues", small[0], "-l", "y", "--pred-probs", tmp_path / "p.npy"), "p.npy")
    assert needle.lower() in cli("find-issues", small[0], "-l", "y", "--pred-probs", tmp_path / "p.npy").stderr.lower()


def test_inf_feature(cli, tmp_path):
    path = tmp_path / "inf.csv"
    # (not a recoding of the label: that column would be left out as a leak before the check)
    pd.DataFrame({"a": [1.0, np.inf, 2.0, 3.0] * 5, "y": ["p", "q"] * 10}).to_csv(path, index=False)
    _one_line_error(cli("health", path, "-l", "y"), "a")


def test_unknown_option_value(cli, small):
    _one_line_error(cli("find-issues", small[0], "-l", "y", "--filter-by", "magic"), "--filter-by")


def test_unknown_option(cli, small):
    _one_line_error(cli("find-issues", small[0], "-l", "y", "--frobnicate"), "--frobnicate")


def test_unknown_model(cli, small):
    _one_line_error(cli("health", small[0], "-l", "y", "--model", "deep-magic"), "deep-magic")


def test_too_many_folds_suggests_smaller_cv(cli, tmp_path):
    path = tmp_path / "rare.csv"
    a = np.random.default_rng(0).normal(size=30)  # not range(30): a row number is left out, with a note
    pd.DataFrame({"a": a, "y": ["p"] * 27 + ["q"] * 3}).to_csv(path, index=False)
    _one_line_error(cli("health", path, "-l", "y", "--model", "logreg", "--cv", "5"), "--cv")


def test_no_features_without_pred_probs(cli, tmp_path):
    path = tmp_path / "labels_only.csv"
    pd.DataFrame({"y": ["p", "q"] * 10}).to_csv(path, index=False)
    _one_line_error(cli("health", path, "-l", "y"), "--pred-probs")


def test_debug_shows_traceback(cli, tmp_path):
    result = cli("health", tmp_path / "nope.csv", "-l", "y", "--debug")
    assert result.exit_code == ExitStatus.INPUT_ERROR
    assert "Traceback" in result.stderr


def test_internal_error_is_3(cli, small, tmp_path, monkeypatch):
    import cleanaudit.workflows.labels

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cleanaudit.workflows.labels, "health_result", boom)
    np.save(tmp_path / "p.npy", small[1])
    result = cli("health", small[0], "-l", "y", "--pred-probs", tmp_path / "p.npy")
    assert result.exit_code == ExitStatus.INTERNAL_ERROR
    assert "kaboom" in result.stderr and "--debug" in result.stderr and "Traceback" not in result.stderr


def test_inputs_never_modified(cli, small, tmp_path):
    path, probs = small
    np.save(tmp_path / "p.npy", probs)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (path, tmp_path / "p.npy")}
    result = cli("find-issues", path, "-l", "y", "--pred-probs", tmp_path / "p.npy", "--out", tmp_path / "o", "-q")
    assert result.exit_code == 0, result.stderr
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before}


def test_out_over_input_refused(cli, small, tmp_path):
    path, probs = small
    np.save(tmp_path / "p.npy", probs)
    _one_line_error(cli("find-issues", path, "-l", "y", "--pred-probs", tmp_path / "p.npy", "--out", path), "--out")


# --- gates (--fail-on / --fail-under): 1 when a gate fails, 0 when all pass, 2 on a bad expression ----


def _with_probs(cli, small, tmp_path, command, *args):
    path, probs = small
    probs = probs.copy()
    probs[:10] = [0.1, 0.9]  # rows 0, 2, 4, ... labelled p but predicted q: some label issues
    np.save(tmp_path / "p.npy", probs)
    return cli(command, path, "-l", "y", "--pred-probs", tmp_path / "p.npy", "-q", *args)


@pytest.mark.parametrize(
    "command, gate, expected",
    [
        ("find-issues", "label>0", ExitStatus.GATE_FAILED),
        ("find-issues", "label>0.5", ExitStatus.OK),
        ("find-issues", "label>1000", ExitStatus.OK),
        ("health", "health<0.99", ExitStatus.GATE_FAILED),
        ("health", "health<0.01", ExitStatus.OK),
        ("health", "label>=1", ExitStatus.GATE_FAILED),
        ("audit", "label>0.01", ExitStatus.GATE_FAILED),
        ("audit", "near_duplicate>0", ExitStatus.GATE_FAILED),
        ("audit", "near_duplicate>5", ExitStatus.OK),
        ("audit", "outlier>1000", ExitStatus.OK),
        ("audit", "class_imbalance", ExitStatus.OK),
        ("audit", "health<0.99", ExitStatus.GATE_FAILED),
        ("overlap", "label>0", ExitStatus.GATE_FAILED),  # overlap measures no issues: fails loudly
        ("noise-matrix", "health<0.5", ExitStatus.GATE_FAILED),
    ],
)
def test_gate_exit_codes(cli, small, tmp_path, command, gate, expected):
    result = _with_probs(cli, small, tmp_path, command, "--fail-on", gate)
    assert result.exit_code == expected, (result.stdout, result.stderr)
    failed = [line for line in result.stderr.splitlines() if line.startswith("cleanaudit: gate failed: ")]
    assert bool(failed) == (expected == ExitStatus.GATE_FAILED)
    if failed:
        assert gate in failed[0]


def test_non_iid_gate(cli, tmp_path):
    # Labels sorted by a drifting feature: the order is not IID, and the gate says so.
    rng = np.random.default_rng(0)
    n = 200
    a = np.linspace(0, 10, n) + rng.normal(scale=0.1, size=n)
    frame = pd.DataFrame({"a": a, "b": rng.normal(size=n), "y": np.where(np.arange(n) < n // 2, "p", "q")})
    path = tmp_path / "drift.csv"
    frame.to_csv(path, index=False)
    result = cli("audit", path, "-l", "y", "--model", "logreg", "--checks", "non_iid", "--fail-on", "non_iid", "-q")
    assert result.exit_code == ExitStatus.GATE_FAILED, result.stderr
    assert "gate failed: non_iid" in result.stderr


def test_fail_under(cli, small, tmp_path):
    assert _with_probs(cli, small, tmp_path, "health", "--fail-under", "0.99").exit_code == ExitStatus.GATE_FAILED
    assert _with_probs(cli, small, tmp_path, "health", "--fail-under", "0.1").exit_code == ExitStatus.OK


def test_gate_on_skipped_check_fails(cli, tmp_path):
    path = tmp_path / "labels_only.csv"
    pd.DataFrame({"y": ["p", "q"] * 20}).to_csv(path, index=False)
    np.save(tmp_path / "p.npy", np.tile([0.6, 0.4], (40, 1)))
    result = cli("audit", path, "-l", "y", "--pred-probs", tmp_path / "p.npy", "--fail-on", "near_duplicate>0", "-q")
    assert result.exit_code == ExitStatus.GATE_FAILED
    assert "not checked" in result.stderr and "skipped" in result.stderr


@pytest.mark.parametrize("gate", ["label>>1", "nosuchcheck>0", "label>1.5", "health"])
def test_bad_gate_is_usage_error(cli, small, gate):
    _one_line_error(cli("find-issues", small[0], "-l", "y", "--fail-on", gate), "--fail-on")


def test_bad_fail_under_is_usage_error(cli, small):
    _one_line_error(cli("health", small[0], "-l", "y", "--fail-under", "2"), "--fail-under")


def test_bad_input_is_never_a_pass(cli, tmp_path):
    # A gate that would pass does not turn an unreadable input into success.
    result = cli("audit", tmp_path / "nope.csv", "-l", "y", "--fail-on", "label>0.99")
    assert result.exit_code == ExitStatus.INPUT_ERROR


def test_interrupted_is_130(cli, small, tmp_path, monkeypatch):
    import cleanaudit.workflows.labels

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cleanaudit.workflows.labels, "health_result", interrupt)
    np.save(tmp_path / "p.npy", small[1])
    result = cli("health", small[0], "-l", "y", "--pred-probs", tmp_path / "p.npy")
    assert result.exit_code == ExitStatus.INTERRUPTED


# --- outputs: checked before any work, never over an input, written as one set -----------------

REPORT_SET = {"report.json", "report.md", "report.html", "issues.parquet", "issues.csv"}


@pytest.fixture()
def no_loading(monkeypatch):
    """Fail the command if it gets as far as reading its data (the checks must come first)."""
    import cleanaudit.workflows.sources

    def refuse(*args, **kwargs):
        raise AssertionError("data loaded before the output paths were checked")

    monkeypatch.setattr(cleanaudit.workflows.sources, "load_data", refuse)


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _beside(folder):
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith("." + folder.name))


@pytest.fixture()
def earlier_report(cli, small, tmp_path):
    """An audit --out folder from an earlier run, and the options to run it again."""
    path, probs = small
    np.save(tmp_path / "p.npy", probs)
    args = ("audit", path, "-l", "y", "--pred-probs", tmp_path / "p.npy", "-q", "-f", "json")
    out = tmp_path / "report"
    result = cli(*args, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in out.iterdir()} == REPORT_SET
    return out, args


def test_out_holding_the_baseline_is_refused_before_any_work(cli, earlier_report, no_loading):
    out, args = earlier_report
    before = _snapshot(out)
    _one_line_error(
        cli(*args, "--baseline", out / "report.json", "--out", out), "--out", "--baseline", str(out / "report.json")
    )
    assert _snapshot(out) == before


@pytest.mark.parametrize("where", ["parent is a file", "out is a file", "read-only parent"])
@pytest.mark.parametrize("command", ["audit", "health", "clean"])
def test_unwritable_output_is_exit_2_before_any_work(cli, small, tmp_path, monkeypatch, no_loading, where, command):
    path, _ = small
    blocker = tmp_path / "blocker"
    if where == "read-only parent":
        blocker.mkdir(mode=0o500)
        if os.access(blocker, os.W_OK):  # root writes through permission bits: make the probe meet EACCES
            import cleanaudit.data.targets

            def denied(*args, **kwargs):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(cleanaudit.data.targets.tempfile, "mkdtemp", denied)
            monkeypatch.setattr(cleanaudit.data.targets.tempfile, "mkstemp", denied)
    else:
        blocker.write_text("not a folder")
    option = "--output" if command == "clean" else "--out"
    if command == "clean":  # the file case for --output: it names a folder
        target = blocker / "c.csv" if where != "out is a file" else tmp_path / "folder.csv"
        if where == "out is a file":
            target.mkdir()
    else:
        target = blocker if where == "out is a file" else blocker / "out"
    _one_line_error(cli(command, path, "-l", "y", option, target), option, str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["small.csv", "blocker"] + (["folder.csv"] if command == "clean" and where == "out is a file" else [])
    )
    if blocker.is_dir():
        assert list(blocker.iterdir()) == []


def test_out_with_files_of_yours_is_refused_and_they_stay(cli, small, tmp_path, no_loading):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    _one_line_error(cli("health", small[0], "-l", "y", "--out", mine), "--out", "notes.txt")
    assert _snapshot(mine) == {"notes.txt": b"keep me"}


def test_clean_outputs_must_not_collide(cli, small, tmp_path, no_loading):
    path, _ = small
    report = tmp_path / "rep"
    _one_line_error(
        cli("clean", path, "-l", "y", "--output", report / "c.csv", "--out", report), "--output", "inside --out"
    )
    _one_line_error(
        cli("clean", path, "-l", "y", "--output", tmp_path / "c.csv", "--save-model", tmp_path / "c.manifest.csv"),
        "--save-model",
        "manifest",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.csv"]


def test_rerun_replaces_the_earlier_set(cli, earlier_report):
    out, args = earlier_report
    (out / "report.md").unlink()  # even a set left incomplete by an old version is ours to replace
    result = cli(*args, "--checks", "label", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in out.iterdir()} == REPORT_SET and _beside(out) == []
    assert json.loads((out / "report.json").read_text())["rows_file"] == str(out / "issues.parquet")


@pytest.mark.parametrize(
    "failure, status",
    [(RuntimeError("renderer broke"), ExitStatus.INTERNAL_ERROR), (KeyboardInterrupt(), ExitStatus.INTERRUPTED)],
    ids=["error", "ctrl-c"],
)
@pytest.mark.parametrize("moment", ["rendering", "writing rows"])
def test_failure_while_writing_keeps_the_earlier_set(cli, earlier_report, monkeypatch, failure, status, moment):
    import cleanaudit.data.write
    import cleanaudit.report.html

    out, args = earlier_report
    before = _snapshot(out)
    if moment == "rendering":

        def broken(*a, **k):
            raise failure

        monkeypatch.setattr(cleanaudit.report.html, "render_html", broken)
    else:  # issues.parquet is written into the new set, then writing issues.csv fails
        real = cleanaudit.data.write.write_frame

        def write_frame(frame, path):
            if str(path).endswith(".csv"):
                raise failure
            real(frame, path)

        monkeypatch.setattr(cleanaudit.data.write, "write_frame", write_frame)
    result = cli(*args, "--checks", "label", "--out", out)
    assert result.exit_code == status, (result.exit_code, result.stderr)
    assert _snapshot(out) == before and _beside(out) == []
    if status == ExitStatus.INTERRUPTED:
        assert result.stderr.strip().splitlines() == ["cleanaudit: interrupted"]


def test_interrupted_says_so_in_one_line(cli, small, tmp_path, monkeypatch):
    import cleanaudit.workflows.labels

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cleanaudit.workflows.labels, "health_result", interrupt)
    np.save(tmp_path / "p.npy", small[1])
    result = cli("health", small[0], "-l", "y", "--pred-probs", tmp_path / "p.npy", "--out", tmp_path / "o")
    assert result.exit_code == ExitStatus.INTERRUPTED
    assert result.stderr.strip().splitlines() == ["cleanaudit: interrupted"] and result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.npy", "small.csv"]


def test_a_swallowed_interrupt_still_stops_the_run(cli, small, tmp_path, monkeypatch):
    # Ctrl-C was recorded but its KeyboardInterrupt got lost (in a __del__, say): nothing is written, exit 130.
    import cleanaudit.cli.signals

    monkeypatch.setattr(cleanaudit.cli.signals, "_signals", 1)
    np.save(tmp_path / "p.npy", small[1])
    result = cli("find-issues", small[0], "-l", "y", "--pred-probs", tmp_path / "p.npy", "--out", tmp_path / "o")
    assert result.exit_code == ExitStatus.INTERRUPTED and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == "cleanaudit: interrupted"
    assert not (tmp_path / "o").exists() and _beside(tmp_path / "o") == []


def test_closed_stdout_is_141_and_quiet(cli, small, tmp_path, monkeypatch):
    import cleanaudit.report.terminal

    def closed(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cleanaudit.report.terminal, "print_tables", closed)
    np.save(tmp_path / "p.npy", small[1])
    result = cli("health", small[0], "-l", "y", "--pred-probs", tmp_path / "p.npy")
    assert result.exit_code == 141 and result.stderr == ""
