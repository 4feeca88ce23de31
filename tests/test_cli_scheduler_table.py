"""find-issues and audit on one table with --scheduler equal the local run; refusals, URLs and lost workers.

One ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` serves the module (the CLI
reaches it through ``--scheduler tcp://...``). Workers are killed for real (``os._exit``) by a
worker plugin that wraps the row-group reader on every worker, as in test_distributed_batch.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleanaudit.status import ExitStatus

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):  # one retry: fast fault tests
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as local:
            with distributed.Client(local) as client:
                yield local, client


def _noisy(n: int, k: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    given = np.where(rng.random(n) < 0.1, rng.integers(0, k, n), true)
    logits = rng.normal(size=(n, k)) + 2.5 * np.eye(k)[true]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    frame = pd.DataFrame({"f1": rng.normal(size=n) + true, "f2": rng.normal(size=n), "y": [f"c{v}" for v in given]})
    frame.loc[rng.choice(n, 50, replace=False), "f2"] = np.nan
    return frame, probs


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """200,000 rows in 10 row groups, and their pred_probs (.npy)."""
    folder = tmp_path_factory.mktemp("big")
    frame, probs = _noisy(200_000, 5)
    frame.to_parquet(folder / "big.parquet", row_group_size=20_000)
    np.save(folder / "pp.npy", probs)
    return folder / "big.parquet", folder / "pp.npy"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    frame, probs = _noisy(3_000, 3, seed=1)
    frame.to_parquet(folder / "victim.parquet", row_group_size=500)
    np.save(folder / "pp.npy", probs)
    return folder / "victim.parquet", folder / "pp.npy"


def _find(cli, data, pp, *args):
    return cli("find-issues", data, "-l", "y", "--pred-probs", pp, "-f", "json", "--fail-on", "label>0.05", *args)


def test_find_issues_on_a_cluster_equals_the_local_run(cli, big, cluster, tmp_path):
    data, pp = big
    local = _find(cli, data, pp, "--out", tmp_path / "local")
    remote = _find(cli, data, pp, "--scheduler", cluster[0].scheduler_address, "--out", tmp_path / "remote")
    assert local.exit_code == remote.exit_code == ExitStatus.GATE_FAILED, remote.stderr
    mine, theirs = json.loads(local.stdout), json.loads(remote.stdout)
    assert theirs["num_issues"] == mine["num_issues"] > 0
    assert theirs["issues"] == mine["issues"]  # rows, ids, labels, quality, in rank order
    assert theirs["gates"] == mine["gates"] and theirs["dataset"] == mine["dataset"]
    assert theirs["run"]["partitions"]["count"] == 10 and theirs["notes"][0]["kind"] == "cluster"
    parts = sorted((tmp_path / "remote" / "issues").glob("part-*.parquet"))
    assert len(parts) == 10 and theirs["rows_file"] == str(tmp_path / "remote" / "issues")
    rows = pd.read_parquet(tmp_path / "remote" / "issues")
    rows = rows.sort_values("row", kind="stable").reset_index(drop=True)
    expected = pd.read_parquet(tmp_path / "local" / "issues.parquet")
    pd.testing.assert_frame_equal(rows[expected.columns], expected, check_dtype=False)
    again = _find(cli, data, pp, "--scheduler", cluster[0].scheduler_address, "--out", tmp_path / "remote")
    assert again.exit_code == ExitStatus.GATE_FAILED, again.stderr  # an earlier table set is replaced whole


def test_scheduler_local_and_the_table_format(cli, small):
    data, pp = small
    local = cli("find-issues", data, "-l", "y", "--pred-probs", pp, "--top", "5")
    remote = cli("find-issues", data, "-l", "y", "--pred-probs", pp, "--top", "5", "--scheduler", "local")
    assert local.exit_code == remote.exit_code == ExitStatus.OK, remote.stderr
    assert remote.stdout == local.stdout
    assert "Dask cluster at" in remote.stderr


def test_audit_one_table_on_a_cluster(cli, small, cluster, tmp_path):
    data, pp = small
    args = ("audit", data, "-l", "y", "--pred-probs", pp, "-f", "json", "--checks", "label,null,class_imbalance")
    local = cli(*args)
    remote = cli(*args, "--scheduler", cluster[0].scheduler_address, "--out", tmp_path / "out")
    assert local.exit_code == remote.exit_code == ExitStatus.OK, remote.stderr
    mine, theirs = json.loads(local.stdout), json.loads(remote.stdout)
    assert theirs["summary"] == mine["summary"]
    assert theirs["dataset_issues"] == mine["dataset_issues"]
    assert theirs["checks"]["label"]["info"]["num_label_issues"] == mine["checks"]["label"]["info"]["num_label_issues"]
    assert theirs["exact_duplicates"]["num_issues"] == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["issues", "report.json", "report.md"]
    rows = pd.read_parquet(tmp_path / "out" / "issues")
    assert {"is_label_issue", "is_null_issue", "exact_duplicate_group"} <= set(rows.columns)
    every = cli("audit", data, "-l", "y", "--pred-probs", pp, "-f", "json", "--scheduler", cluster[0].scheduler_address)
    assert every.exit_code == ExitStatus.OK, every.stderr
    skipped = {s["issue_type"]: s["reason"] for s in json.loads(every.stdout)["skipped"]}
    assert skipped["outlier"].startswith("needs the neighbour graph")
    # --check-param reaches the checks computed over partitions, as locally.
    strict = ("--checks", "class_imbalance", "--check-param", "class_imbalance.threshold=0.99")
    here = cli("audit", data, "-l", "y", "--pred-probs", pp, "-f", "json", *strict)
    there = cli("audit", data, "-l", "y", "--pred-probs", pp, "-f", "json", *strict,
                "--scheduler", cluster[0].scheduler_address)  # fmt: skip
    assert here.exit_code == there.exit_code == ExitStatus.OK, there.stderr
    flagged = {r["issue_type"]: r["num_issues"] for r in json.loads(here.stdout)["summary"]}
    assert flagged["class_imbalance"] > 0  # the default threshold (0.1) flags none of these rows
    assert json.loads(there.stdout)["summary"] == json.loads(here.stdout)["summary"]
    assert json.loads(there.stdout)["checks"]["class_imbalance"] == json.loads(here.stdout)["checks"]["class_imbalance"]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (("--self-check", "auto"), "--self-check is not available for one table on a cluster"),
        (("--save-pred-probs", "x.npy"), "--save-pred-probs is not available"),
        (("--pred-probs", "PP"), "--pred-probs is given several times"),
    ],
)
def test_refused_options_fail_before_the_cluster_starts(cli, small, extra, says):
    data, pp = small
    extra = tuple(str(pp) if e == "PP" else e for e in extra)
    result = cli("find-issues", data, "-l", "y", "--pred-probs", pp, *extra, "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == ExitStatus.INPUT_ERROR
    assert says in result.stderr and "Dask scheduler" not in result.stderr  # refused before connecting
    assert len(result.stderr.strip().splitlines()) <= 2  # the error and its hint


def test_audit_with_given_pred_probs_leaves_out_the_columns_a_local_run_leaves_out(cli, cluster, tmp_path):
    """No model is trained, yet the null check reads the columns a local run keeps (an id column left out)."""
    rng = np.random.default_rng(3)
    n = 3_000
    y = rng.integers(0, 3, n)
    frame = pd.DataFrame({"customer_id": [f"u{i:05d}" for i in range(n)], "f1": rng.normal(size=n) + y,
                          "f2": rng.normal(size=n), "y": [f"c{v}" for v in y]})  # fmt: skip
    frame.loc[rng.choice(n, 40, replace=False), "f2"] = np.nan
    frame.loc[rng.choice(n, 25, replace=False), "customer_id"] = None  # would be null issues if it were kept
    frame.to_parquet(tmp_path / "ids.parquet", row_group_size=500)
    probs = np.full((n, 3), 0.1)
    probs[np.arange(n), y] = 0.8
    np.save(tmp_path / "pp.npy", probs)
    args = ("audit", tmp_path / "ids.parquet", "-l", "y", "--pred-probs", tmp_path / "pp.npy", "-f", "json",
            "--checks", "null,class_imbalance")  # fmt: skip
    local = cli(*args)
    remote = cli(*args, "--scheduler", cluster[0].scheduler_address)
    assert local.exit_code == remote.exit_code == ExitStatus.OK, remote.stderr
    here, there = json.loads(local.stdout), json.loads(remote.stdout)
    assert there["checks"]["null"] == here["checks"]["null"]
    assert there["checks"]["null"]["info"]["num_rows_some_null"] == 40
    assert "id_like_column" in [note["kind"] for note in there["notes"]]


@pytest.mark.parametrize(
    ("command", "data", "extra", "says"),
    [
        ("find-issues", "MISSING", (), "not found"),
        ("health", "DATA", ("-l", "nope"), "label column 'nope' not found"),
        ("audit", "DATA", ("-l", "y", "--id-column", "nope"), "id column 'nope' not found"),
    ],
)
def test_bad_input_fails_before_any_cluster_starts(cli, small, tmp_path, command, data, extra, says):
    """A missing file or column is one line, exit 2, found from the files (Parquet footers) before connecting."""
    table, pp = small
    path = tmp_path / "missing.parquet" if data == "MISSING" else table
    args = extra or ("-l", "y")
    # An address nobody answers at: had the run tried to connect first, the error would be about it.
    result = cli(command, path, *args, "--pred-probs", pp, "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == ExitStatus.INPUT_ERROR, result.stderr
    assert says in result.stderr and "Dask" not in result.stderr


def test_an_empty_scheduler_is_one_clear_line(cli, small):
    table, pp = small
    result = cli("find-issues", table, "-l", "y", "--pred-probs", pp, "--scheduler", " ")
    assert result.exit_code == ExitStatus.INPUT_ERROR
    assert "--scheduler is empty" in result.stderr


def test_urls_as_data(cli, small, cluster):
    import fsspec

    data, pp = small
    local = cli("find-issues", data, "-l", "y", "--pred-probs", pp, "-f", "json")
    with fsspec.open("memory://tables/victim.parquet", "wb") as handle:
        handle.write(data.read_bytes())
    in_memory = cli("find-issues", "memory://tables/victim.parquet", "-l", "y", "--pred-probs", pp, "-f", "json")
    url = f"file://{data.resolve()}"
    remote = cli("find-issues", url, "-l", "y", "--pred-probs", pp, "-f", "json", "--scheduler",
                 cluster[0].scheduler_address)  # fmt: skip
    assert local.exit_code == in_memory.exit_code == remote.exit_code == ExitStatus.OK, remote.stderr
    for other in (in_memory, remote):
        assert json.loads(other.stdout)["issues"] == json.loads(local.stdout)["issues"]
        assert json.loads(other.stdout)["dataset"]["sha256"] == json.loads(local.stdout)["dataset"]["sha256"]
    missing = cli("find-issues", "s3://bucket/t.parquet", "-l", "y", "--scheduler", "tcp://127.0.0.1:9")
    if missing.exit_code != ExitStatus.INPUT_ERROR:  # s3fs installed: the bucket is unreachable offline
        pytest.skip("s3fs is installed here")
    assert "needs s3fs" in missing.stderr and "pip install s3fs" in missing.stderr


class _KillReader(distributed.WorkerPlugin):
    """On each worker: reading row group 2 of ``victim`` ends the worker's process, once or every time."""

    def __init__(self, marker: Path, once: bool) -> None:
        self.marker, self.once = str(marker), once
        self.disarmed = str(marker) + ".disarmed"  # the fixture makes it at teardown

    def setup(self, worker) -> None:
        from cleanaudit.distributed import partitions

        original = getattr(partitions.read_row_group, "original", partitions.read_row_group)
        marker, once, disarmed = self.marker, self.once, self.disarmed

        def read_row_group(file, group, columns):
            if os.path.exists(disarmed):  # a worker that restarted while the plugin was removed keeps it: inert
                return original(file, group, columns)
            if Path(file).stem == "victim" and group == 2 and not (once and os.path.exists(marker)):
                Path(marker).touch()
                os._exit(1)
            return original(file, group, columns)

        read_row_group.original = original
        partitions.read_row_group = read_row_group

    def teardown(self, worker) -> None:
        from cleanaudit.distributed import partitions

        partitions.read_row_group = getattr(partitions.read_row_group, "original", partitions.read_row_group)


@pytest.fixture()
def kill(cluster):
    client = cluster[1]
    names = []

    plugins = []

    def register(marker: Path, *, once: bool) -> None:
        names.append(f"kill-reader-{once}")
        plugins.append(_KillReader(marker, once))
        client.register_plugin(plugins[-1], name=names[-1])

    yield register
    for plugin in plugins:  # first disarm (a worker restarting meanwhile would keep the plugin), then remove
        Path(plugin.disarmed).touch()
    for name in names:
        client.unregister_worker_plugin(name)
    client.wait_for_workers(2, timeout=60)


def test_a_worker_lost_once_is_retried_with_the_same_result(cli, small, cluster, kill, tmp_path):
    data, pp = small
    local = _find(cli, data, pp)
    kill(tmp_path / "killed", once=True)
    remote = _find(cli, data, pp, "--scheduler", cluster[0].scheduler_address)
    assert (tmp_path / "killed").exists()  # a worker did die reading the table
    assert remote.exit_code == local.exit_code, remote.stderr
    assert json.loads(remote.stdout)["issues"] == json.loads(local.stdout)["issues"]


def test_a_worker_lost_on_every_try_is_exit_3_and_no_output(cli, small, cluster, kill, tmp_path):
    data, pp = small
    kill(tmp_path / "killed", once=False)
    out = tmp_path / "out"
    result = _find(cli, data, pp, "--scheduler", cluster[0].scheduler_address, "--out", out)
    assert result.exit_code == ExitStatus.INTERNAL_ERROR, result.stderr
    assert "worker lost while finding label issues" in result.stderr and "more memory" in result.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert result.stdout == ""


def test_clean_says_it_runs_here(cli, small):
    data, pp = small
    result = cli("clean", data, "-l", "y", "--pred-probs", pp, "--dry-run", "--scheduler", "tcp://127.0.0.1:9",
                 "-f", "json")  # fmt: skip
    assert result.exit_code == ExitStatus.OK, result.stderr
    note = next(n for n in json.loads(result.stdout)["notes"] if n["kind"] == "scheduler_unused")
    assert note["message"].startswith("clean runs in this process: --scheduler runs find-issues, audit, health")


def test_train_rows_default_is_the_cross_validation_cap():
    from cleanaudit.cli.shared_options import SHARED_OPTIONS
    from cleanaudit.distributed.crossval import TRAIN_ROWS

    assert f"[default: {TRAIN_ROWS}]" in SHARED_OPTIONS["train_rows"][0].__metadata__[0].help.replace("\\", "")


def test_a_cross_validated_table_says_how_missing_values_are_imputed(cli, small, cluster):
    """As a local run: the missing_values_imputed note, its counts taken in the column-role sample."""
    data, _ = small
    result = cli("find-issues", data, "-l", "y", "--model", "logreg", "--cv", "3", "-f", "json",
                 "--scheduler", cluster[0].scheduler_address)  # fmt: skip
    assert result.exit_code == ExitStatus.OK, result.stderr
    notes = {n["kind"]: n for n in json.loads(result.stdout)["notes"]}
    imputed = notes["missing_values_imputed"]
    assert imputed["columns"] == ["f2"] and "f2 (50)" in imputed["message"]
    assert "counts in a sample of 3,000 of 3,000 rows" in imputed["message"]


def test_classes_too_small_for_the_folds_are_left_out_as_locally(cli, cluster, tmp_path):
    """Cross-validating on the cluster leaves out a 2-row class like a local run: noted, rows not analysed."""
    frame, _ = _noisy(1_200, 3, seed=4)
    frame.loc[[10, 700], "y"] = "rare"
    frame.to_parquet(tmp_path / "rare.parquet", row_group_size=150)
    args = ("find-issues", tmp_path / "rare.parquet", "-l", "y", "--model", "logreg", "--cv", "3", "-f", "json")
    local = cli(*args)
    remote = cli(*args, "--scheduler", cluster[0].scheduler_address)
    assert local.exit_code == remote.exit_code == ExitStatus.OK, remote.stderr
    here, there = json.loads(local.stdout), json.loads(remote.stdout)
    assert there["not_analysed"] == here["not_analysed"] and there["not_analysed"]["count"] == 2
    assert there["dataset"]["class_names"] == here["dataset"]["class_names"] == ["c0", "c1", "c2"]
    rare = [n["message"] for n in there["notes"] if n["kind"] == "rare_classes"]
    assert rare == [n["message"] for n in here["notes"] if n["kind"] == "rare_classes"] and "'rare' (2 rows)" in rare[0]
    assert {10, 700}.isdisjoint(issue["row"] for issue in there["issues"])
