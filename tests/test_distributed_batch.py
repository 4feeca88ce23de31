"""A batch on a Dask cluster equals the local batch; a lost worker is retried, or the run fails whole.

One ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` serves the module; the CLI
reaches it through ``--scheduler <its address>``. Workers are killed for real (``os._exit``) by a
worker plugin that wraps ``run_audit`` on every worker, also on those Dask restarts.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleanaudit.status import ExitStatus

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    import dask

    # One lost worker is enough to give up on a task here (Dask's default allows 3): faster fault tests.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as local:
            with distributed.Client(local) as client:
                yield local, client


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three small real tables (iris, wine, a noisy breast_cancer sample) and a corrupt file."""
    from sklearn import datasets

    data = tmp_path_factory.mktemp("tables")
    datasets.load_iris(as_frame=True).frame.to_csv(data / "iris.csv", index=False)
    datasets.load_wine(as_frame=True).frame.to_parquet(data / "wine.parquet")
    cancer = datasets.load_breast_cancer(as_frame=True).frame.sample(200, random_state=0).reset_index(drop=True)
    flip = np.random.default_rng(0).choice(len(cancer), 20, replace=False)
    cancer.loc[flip, "target"] = 1 - cancer.loc[flip, "target"]
    cancer.to_csv(data / "cancer.csv", index=False)
    (data / "corrupt.parquet").write_bytes(b"PAR1 this is not parquet")
    return data


def _audit(cli, folder, out, *args):
    return cli(
        "audit", folder, "-l", "target", "--model", "logreg", "--cv", "3", "--fail-on", "label>0.05",
        "--out", out, "-f", "json", "--no-cache", *args,
    )  # fmt: skip


def _rows(index):
    return [{k: v for k, v in row.items() if k != "out_dir"} for row in index["datasets"]]


def test_cluster_batch_equals_local_batch(cli, folder, cluster, tmp_path):
    local = _audit(cli, folder, tmp_path / "local")
    remote = _audit(cli, folder, tmp_path / "remote", "--scheduler", cluster[0].scheduler_address)
    assert local.exit_code == remote.exit_code == ExitStatus.INPUT_ERROR, remote.stderr  # the corrupt file
    index, remote_index = json.loads(local.stdout), json.loads(remote.stdout)
    assert _rows(remote_index) == _rows(index)
    statuses = {row["dataset"]: row["exit_status"] for row in index["datasets"]}
    assert statuses == {"cancer": 1, "corrupt": 2, "iris": 0, "wine": 0}
    kinds = [n["kind"] for n in remote_index["notes"]]
    assert kinds[0] == "cluster" and [n for n in remote_index["notes"] if n["kind"] != "cluster"] == index["notes"]
    assert "dataset_failed" in kinds and "cleanaudit: error: corrupt:" in remote.stderr
    for name in ("cancer", "iris", "wine"):
        mine = json.loads((tmp_path / "local" / name / "report.json").read_text())
        theirs = json.loads((tmp_path / "remote" / name / "report.json").read_text())
        for key in ("summary", "dataset_issues", "notes", "gates", "dataset"):
            assert theirs[key] == mine[key], (name, key)
        issues = [pd.read_csv(tmp_path / where / name / "issues.csv") for where in ("local", "remote")]
        pd.testing.assert_frame_equal(*issues)
    assert not (tmp_path / "remote" / "corrupt").exists()
    for name in ("index.csv", "index.md"):
        assert (tmp_path / "remote" / name).read_text() == (tmp_path / "local" / name).read_text()


def test_python_api_takes_a_client(folder, cluster):
    from cleanaudit.events import CollectingEvents
    from cleanaudit.workflows.audit import AuditRequest
    from cleanaudit.workflows.batch import BatchRequest, run_batch

    files = [folder / "iris.csv", folder / "wine.parquet"]
    request = AuditRequest(files, label="target", model="logreg", cv=3, checks=["label", "class_imbalance"])
    events = CollectingEvents()
    result = run_batch(BatchRequest(request, files, client=cluster[1]), events=events)
    local = run_batch(BatchRequest(request, files))
    assert [i.status for i in result.items] == [i.status for i in local.items] == [0, 0]
    assert [i.measured for i in result.items] == [i.measured for i in local.items]
    assert events.steps["auditing datasets on the cluster"] == (2, 2)  # one step per finished dataset


class _KillWorkers(distributed.WorkerPlugin):
    """On each worker: auditing a file named ``victim`` ends the worker's process (``os._exit``) —
    the first time only when ``once`` (a marker file remembers it), else every time."""

    def __init__(self, victim: str, marker: Path, once: bool) -> None:
        self.victim, self.marker, self.once = victim, str(marker), once

    def setup(self, worker) -> None:
        from cleanaudit.workflows import audit

        original = getattr(audit.run_audit, "original", audit.run_audit)
        victim, marker, once = self.victim, self.marker, self.once

        def run_audit(request, *, events=None):
            if any(Path(p).stem == victim for p in request.paths) and not (once and os.path.exists(marker)):
                Path(marker).touch()
                os._exit(1)
            return original(request, events=events)

        run_audit.original = original
        audit.run_audit = run_audit

    def teardown(self, worker) -> None:
        from cleanaudit.workflows import audit

        audit.run_audit = getattr(audit.run_audit, "original", audit.run_audit)


@pytest.fixture()
def kill(cluster):
    client = cluster[1]
    names = []

    def register(victim: str, marker: Path, *, once: bool) -> None:
        names.append(f"kill-{victim}-{once}")
        client.register_plugin(_KillWorkers(victim, marker, once), name=names[-1])

    yield register
    for name in names:
        client.unregister_worker_plugin(name)
    client.wait_for_workers(2, timeout=60)


def test_a_worker_lost_once_is_retried_and_the_results_are_equal(cli, folder, cluster, kill, tmp_path):
    local = _audit(cli, folder, tmp_path / "local")
    kill("iris", tmp_path / "killed", once=True)
    remote = _audit(cli, folder, tmp_path / "remote", "--scheduler", cluster[0].scheduler_address, "--debug")
    assert (tmp_path / "killed").exists()  # a worker did die while auditing iris
    assert remote.exit_code == local.exit_code == ExitStatus.INPUT_ERROR, remote.stderr
    assert _rows(json.loads(remote.stdout)) == _rows(json.loads(local.stdout))


def test_a_worker_lost_on_every_try_fails_the_run_with_no_output(cli, folder, cluster, kill, tmp_path):
    kill("wine", tmp_path / "killed", once=False)
    out = tmp_path / "remote"
    result = _audit(cli, folder, out, "--scheduler", cluster[0].scheduler_address)
    assert result.exit_code == ExitStatus.INTERNAL_ERROR, result.stderr
    # The killed worker may also have held another dataset's task (running, or its finished result),
    # which Dask then counts as lost too: the message names whichever lost task ended the run first.
    lost = re.search(r"worker lost while auditing (\S+)", result.stderr)
    assert lost and lost.group(1).strip(":;,") in {p.name.split(".")[0] for p in folder.iterdir()}, result.stderr
    assert "more memory" in result.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".remote")]
    assert result.stdout == ""  # no index: a smaller result would look like a complete one


def test_scheduler_local_through_the_cli(cli, folder, tmp_path):
    files = [folder / "iris.csv", folder / "wine.parquet"]
    result = cli(
        "audit", *files, "-l", "target", "--model", "logreg", "--cv", "3", "--scheduler", "local", "-f", "json",
        "--jobs", "2",
    )  # fmt: skip
    assert result.exit_code == ExitStatus.OK, result.stderr
    index = json.loads(result.stdout)
    assert [row["dataset"] for row in index["datasets"]] == ["iris", "wine"]
    notes = {note["kind"]: note["message"] for note in index["notes"]}
    assert "workers" in notes["cluster"]
    assert notes["batch_jobs"].startswith("--jobs 2 is not used on a cluster")  # said, not silently ignored


def test_one_dataset_with_a_scheduler_runs_here_and_says_so(cli, folder):
    result = cli("clean", folder / "iris.csv", "-l", "target", "--model", "logreg", "--scheduler", "tcp://x:1",
                 "--dry-run", "-f", "json")  # fmt: skip
    assert result.exit_code == ExitStatus.OK, result.stderr
    assert "scheduler_unused" in [n["kind"] for n in json.loads(result.stdout)["notes"]]
