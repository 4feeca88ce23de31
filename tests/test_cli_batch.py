"""Batch audits: a folder with a good dataset, a noisy one and a corrupt file."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from cleanaudit.status import ExitStatus


@pytest.fixture()
def folder(tmp_path, tutorial_dir):
    data = tmp_path / "data"
    data.mkdir()
    train = pd.read_csv(tutorial_dir / "train.csv")
    truth = pd.read_csv(tutorial_dir / "true_labels.csv")
    good = train.assign(y=truth.true_label)[["x1", "x2", "y"]]
    good.to_csv(data / "good.csv", index=False)
    rng = np.random.default_rng(0)
    noisy = good.copy()
    flip = rng.choice(len(noisy), 75, replace=False)
    noisy.loc[flip, "y"] = rng.permutation(noisy.loc[flip, "y"].to_numpy())
    noisy.to_parquet(data / "noisy.parquet")
    (data / "corrupt.parquet").write_bytes(b"PAR1 this is not parquet")
    return data


def _batch(cli, folder, *args, **kwargs):
    return cli("audit", folder, "-l", "y", "--model", "logreg", "--fail-on", "label>0.1", *args, **kwargs)


def test_worst_status_and_every_dataset_reported(cli, folder, tmp_path):
    out = tmp_path / "out"
    result = _batch(cli, folder, "--out", out, "-f", "json", "-q")
    # The corrupt file is an input error (2), worse than the noisy file's failed gate (1).
    assert result.exit_code == ExitStatus.INPUT_ERROR, result.stderr
    index = json.loads(result.stdout)
    rows = {d["dataset"]: d for d in index["datasets"]}
    assert set(rows) == {"good", "noisy", "corrupt"}
    assert rows["good"]["exit_status"] == 0 and rows["good"]["gates"] == "pass" and rows["good"]["rows"] == 250
    assert rows["noisy"]["exit_status"] == 1 and rows["noisy"]["gates"] == "fail"
    assert rows["noisy"]["issues"]["label"] > rows["good"]["issues"]["label"]
    assert rows["noisy"]["health"] < rows["good"]["health"]
    assert rows["corrupt"]["exit_status"] == 2 and "corrupt.parquet" in rows["corrupt"]["error"]
    assert index["exit_status"] == 2 and index["num_errors"] == 1 and index["num_failed_gates"] == 1
    # Per-dataset outputs and the index files.
    for name in ("good", "noisy"):
        report = json.loads((out / name / "report.json").read_text())
        assert report["dataset"]["num_examples"] == 250 and report["gates"][0]["expr"] == "label>0.1"
        assert (out / name / "issues.csv").exists()
    assert not (out / "corrupt").exists()
    assert json.loads((out / "index.json").read_text())["datasets"] == index["datasets"]
    csv = pd.read_csv(out / "index.csv")
    assert csv.dataset.tolist() == ["corrupt", "good", "noisy"] and "label" in csv.columns
    md = (out / "index.md").read_text()
    assert "**2 of 3 datasets not ok**" in md and "`noisy`: error: label>0.1" in md
    # stderr names each failure with its dataset.
    assert "cleanaudit: error: corrupt:" in result.stderr and "gate failed: noisy: label>0.1" in result.stderr


def test_without_the_corrupt_file_worst_is_gate_failure(cli, folder):
    (folder / "corrupt.parquet").unlink()
    result = _batch(cli, folder, "-q")
    assert result.exit_code == ExitStatus.GATE_FAILED
    assert "good" in result.stdout and "noisy" in result.stdout and "gate failed" in result.stdout


def test_all_pass(cli, folder):
    (folder / "corrupt.parquet").unlink()
    result = cli("audit", folder, "-l", "y", "--model", "logreg", "--fail-on", "label>0.5", "-q")
    assert result.exit_code == ExitStatus.OK, result.stderr


def test_junit_one_suite_per_dataset(cli, folder):
    result = _batch(cli, folder, "-f", "junit", "-q")
    assert result.exit_code == ExitStatus.INPUT_ERROR
    root = ET.fromstring(result.stdout)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"good", "noisy", "corrupt"}
    for suite in suites.values():
        for attr in ("name", "tests", "failures", "errors", "skipped"):
            assert attr in suite.attrib
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert all(c.get("classname") and c.get("name") for c in suite.findall("testcase"))
    assert suites["corrupt"].get("errors") == "1" and suites["corrupt"].find("testcase/error") is not None
    assert suites["noisy"].get("failures") == "1" and suites["good"].get("failures") == "0"
    assert root.get("tests") == str(sum(int(s.get("tests")) for s in suites.values()))
    assert root.get("failures") == "1" and root.get("errors") == "1"


def test_glob_and_several_files(cli, folder):
    result = cli("audit", folder / "*.csv", folder / "noisy.parquet", "-l", "y", "--model", "logreg", "-f", "csv", "-q")
    assert result.exit_code == ExitStatus.OK, result.stderr
    index = pd.read_csv(__import__("io").StringIO(result.stdout))
    assert index.dataset.tolist() == ["good", "noisy"]


def test_recursive(cli, folder):
    (folder / "corrupt.parquet").unlink()
    sub = folder / "more"
    sub.mkdir()
    (folder / "good.csv").rename(sub / "good.csv")
    flat = cli("audit", folder, "-l", "y", "--model", "logreg", "-f", "json", "-q")
    assert flat.exit_code == 0 and json.loads(flat.stdout)["dataset"]["num_examples"] == 250  # one file: single run
    deep = cli("audit", folder, "-l", "y", "--model", "logreg", "-f", "json", "-q", "--recursive")
    assert deep.exit_code == 0, deep.stderr
    assert [d["dataset"] for d in json.loads(deep.stdout)["datasets"]] == ["good", "noisy"]


def test_step_summary_gets_the_index(cli, folder, tmp_path):
    summary = tmp_path / "summary.md"
    result = _batch(cli, folder, "-q", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == ExitStatus.INPUT_ERROR
    assert summary.read_text().count("## cleanaudit audit") == 1 and "| noisy | gate failed |" in summary.read_text()


def test_parallel_jobs_same_index(cli, folder, tmp_path):
    serial = _batch(cli, folder, "-f", "json", "-q")
    parallel = _batch(cli, folder, "-f", "json", "-q", "--jobs", "2", "--out", tmp_path / "par")
    assert serial.exit_code == parallel.exit_code == ExitStatus.INPUT_ERROR
    strip = lambda rows: [{k: v for k, v in r.items() if k != "out_dir"} for r in rows]  # noqa: E731
    assert strip(json.loads(serial.stdout)["datasets"]) == strip(json.loads(parallel.stdout)["datasets"])
    assert (tmp_path / "par" / "noisy" / "report.json").exists() and (tmp_path / "par" / "index.md").exists()


def test_batch_baseline_is_the_earlier_out_folder(cli, folder, tmp_path):
    (folder / "corrupt.parquet").unlink()
    first = _batch(cli, folder, "--out", tmp_path / "run1", "-q")
    assert first.exit_code == ExitStatus.GATE_FAILED
    again = cli(
        "audit",
        folder,
        "-l",
        "y",
        "--model",
        "logreg",
        "--baseline",
        tmp_path / "run1",
        "--fail-on",
        "new:label>0",
        "-f",
        "json",
        "-q",
    )
    assert again.exit_code == ExitStatus.OK, again.stderr  # same data, same seed: nothing new
    assert all(r["gates"] == "pass" for r in json.loads(again.stdout)["datasets"])
    one_report = cli("audit", folder, "-l", "y", "--baseline", tmp_path / "run1" / "good" / "report.json")
    assert one_report.exit_code == ExitStatus.INPUT_ERROR and "--baseline" in one_report.stderr


# --- the batch's --out set: index and per-dataset folders land together, never over an input ----


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_out_over_the_input_folder_is_refused(cli, folder, monkeypatch):
    # An input named index.csv was replaced by the batch index (exit 0, input gone).
    import cleanaudit.workflows.sources

    (folder / "index.csv").write_bytes((folder / "good.csv").read_bytes())
    before = _snapshot(folder)

    def refuse(*args, **kwargs):
        raise AssertionError("data loaded before the output paths were checked")

    monkeypatch.setattr(cleanaudit.workflows.sources, "load_data", refuse)
    result = _batch(cli, folder, "--out", folder)
    assert result.exit_code == ExitStatus.INPUT_ERROR, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cleanaudit: error: --out ") and str(folder) in lines[0]
    assert "input file" in lines[0] and "Traceback" not in result.stderr and result.stdout == ""
    assert _snapshot(folder) == before


def test_a_failure_before_the_index_is_written_keeps_the_earlier_batch(cli, folder, tmp_path, monkeypatch):
    import cleanaudit.report.outdir

    (folder / "corrupt.parquet").unlink()
    out = tmp_path / "out"
    assert _batch(cli, folder, "--out", out, "-q").exit_code == ExitStatus.GATE_FAILED
    before = _snapshot(out)
    assert {"index.json", "index.csv", "index.md", "good/report.json", "noisy/issues.parquet"} <= set(before)
    for failure, status in (
        (RuntimeError("index broke"), ExitStatus.INTERNAL_ERROR),
        (KeyboardInterrupt(), ExitStatus.INTERRUPTED),
    ):

        def broken(*args, failure=failure, **kwargs):
            raise failure

        monkeypatch.setattr(cleanaudit.report.outdir, "index_table", broken)
        result = _batch(cli, folder, "--out", out, "--seed", "1", "-q")  # another seed: another report
        assert result.exit_code == status, result.stderr
        assert _snapshot(out) == before
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_rerun_replaces_the_whole_batch(cli, folder, tmp_path):
    out = tmp_path / "out"
    assert _batch(cli, folder, "--out", out, "-q").exit_code == ExitStatus.INPUT_ERROR
    (folder / "corrupt.parquet").unlink()
    (folder / "good.csv").rename(folder / "fine.csv")
    assert _batch(cli, folder, "--out", out, "-q").exit_code == ExitStatus.GATE_FAILED
    assert sorted(p.name for p in out.iterdir()) == ["fine", "index.csv", "index.json", "index.md", "noisy"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert json.loads((out / "fine" / "report.json").read_text())["rows_file"] == str(out / "fine" / "issues.parquet")


def test_a_url_folder_is_listed_through_fsspec_and_audited_like_the_local_folder(cli, folder, tmp_path):
    """DATA as an fsspec URL (memory:// here; s3:// works the same with s3fs): same index as the folder."""
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    for path in folder.iterdir():
        with fs.open(f"/batch-folder/{path.name}", "wb") as handle:
            handle.write(path.read_bytes())
    try:
        local = _batch(cli, folder, "-f", "json", "-q")
        remote = _batch(cli, "memory://batch-folder", "-f", "json", "-q", "--out", tmp_path / "out")
        one = cli("audit", "memory://batch-folder/good.csv", "-l", "y", "--model", "logreg", "-f", "json", "-q")
    finally:
        fs.rm("/batch-folder", recursive=True)
    assert remote.exit_code == local.exit_code == ExitStatus.INPUT_ERROR, remote.stderr
    rows = {d["dataset"]: d for d in json.loads(remote.stdout)["datasets"]}
    expected = {d["dataset"]: d for d in json.loads(local.stdout)["datasets"]}
    assert set(rows) == set(expected) == {"good", "noisy", "corrupt"}
    for name in ("good", "noisy"):
        assert rows[name]["issues"] == expected[name]["issues"]
        assert rows[name]["exit_status"] == expected[name]["exit_status"]
        assert rows[name]["path"] == f"memory://batch-folder/{name}.{'csv' if name == 'good' else 'parquet'}"
    report = json.loads((tmp_path / "out" / "good" / "report.json").read_text())
    assert report["dataset"]["num_examples"] == 250 and report["dataset"]["path"] == "memory://batch-folder/good.csv"
    assert one.exit_code == ExitStatus.OK, one.stderr
    assert json.loads(one.stdout)["dataset"]["num_examples"] == 250
