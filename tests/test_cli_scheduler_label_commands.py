"""health, overlap and noise-matrix on one table with --scheduler equal the local run.

One ``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` serves the module (the CLI
reaches it through ``--scheduler tcp://...``). The engine over blocks is exact, so the payloads
are compared with ``==`` (floats included) on the same given pred_probs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cleanaudit.status import ExitStatus

distributed = pytest.importorskip("distributed")

# What a run computed (run, notes and the input's reading are compared separately).
LEFT_OUT = {"run", "notes", "schema_version", "command"}


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """30,000 rows in 10 row groups, 6 classes (one rare), 10% noisy labels, and their pred_probs (.npy)."""
    rng = np.random.default_rng(7)
    n, k = 30_000, 6
    true = rng.choice(k, n, p=[0.3, 0.25, 0.2, 0.15, 0.08, 0.02])
    given = np.where(rng.random(n) < 0.1, rng.integers(0, k, n), true)
    logits = rng.normal(size=(n, k)) + 2.0 * np.eye(k)[true] + 0.8 * np.eye(k)[(true + 1) % k]
    probs = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    frame = pd.DataFrame({"f1": rng.normal(size=n) + true, "f2": rng.normal(size=n), "y": [f"c{v}" for v in given]})
    folder = tmp_path_factory.mktemp("table")
    frame.to_parquet(folder / "t.parquet", row_group_size=3_000)
    np.save(folder / "pp.npy", probs)
    return folder / "t.parquet", folder / "pp.npy"


def _both(cli, scheduler, *args):
    local = cli(*args)
    remote = cli(*args, "--scheduler", scheduler)
    assert local.exit_code != ExitStatus.INPUT_ERROR, local.stderr
    assert remote.exit_code == local.exit_code, remote.stderr
    return local, remote


def _same_json(local, remote) -> dict:
    mine, theirs = json.loads(local.stdout), json.loads(remote.stdout)
    assert {k: theirs[k] for k in theirs if k not in LEFT_OUT} == {k: mine[k] for k in mine if k not in LEFT_OUT}
    assert theirs["notes"][0]["kind"] == "cluster"
    assert "scheduler_unused" not in [n["kind"] for n in theirs["notes"]]
    assert theirs["run"]["partitions"]["count"] == 10
    return theirs


def test_health_on_a_cluster_equals_the_local_run(cli, table, scheduler, tmp_path):
    data, pp = table
    args = ("health", data, "-l", "y", "--pred-probs", pp, "--fail-under", "0.99")
    local, remote = _both(cli, scheduler, *args, "-f", "json", "--out", tmp_path / "out")
    assert remote.exit_code == ExitStatus.GATE_FAILED  # the gate reads the same score
    theirs = _same_json(local, remote)
    assert 0.5 < theirs["health_score"] < 0.99 and theirs["num_label_issues"] > 0
    assert theirs["gates"][0]["passed"] is False and len(theirs["confusion_matrix"]["matrix"]) == 6
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json"]
    local, remote = _both(cli, scheduler, *args)  # the table format
    assert remote.stdout == local.stdout and "Label quality per class" in remote.stdout
    local, remote = _both(cli, scheduler, *args, "-f", "markdown")
    mine, theirs = local.stdout.split("\n### Notes"), remote.stdout.split("\n### Notes")
    assert theirs[0] == mine[0] and "Dask cluster at" in theirs[1]  # the notes also name the cluster


def test_overlap_on_a_cluster_equals_the_local_run(cli, table, scheduler):
    data, pp = table
    local, remote = _both(cli, scheduler, "overlap", data, "-l", "y", "--pred-probs", pp, "--asymmetric",
                          "--top", "4", "-f", "json")  # fmt: skip
    assert remote.exit_code == ExitStatus.OK
    theirs = _same_json(local, remote)
    assert theirs["pairs_total"] == 30 and theirs["pairs_left_out"] == 26 and len(theirs["pairs"]) == 4
    assert "pairs_left_out" in [n["kind"] for n in theirs["notes"]]
    local, remote = _both(cli, scheduler, "overlap", data, "-l", "y", "--pred-probs", pp, "-f", "csv")
    assert remote.stdout == local.stdout and len(remote.stdout.splitlines()) == 1 + 15


def test_noise_matrix_on_a_cluster_equals_the_local_run(cli, table, scheduler):
    data, pp = table
    args = ("noise-matrix", data, "-l", "y", "--pred-probs", pp, "--converge-latent-estimates", "--py-method", "eqn")
    local, remote = _both(cli, scheduler, *args, "-f", "json")
    assert remote.exit_code == ExitStatus.OK
    theirs = _same_json(local, remote)
    assert np.asarray(theirs["confident_joint"]).sum() == 30_000
    local, remote = _both(cli, scheduler, *args, "-f", "csv")
    assert remote.stdout == local.stdout and remote.stdout.startswith("matrix,row_class,column_class,value")


def test_health_with_a_model_cross_validated_on_the_cluster(cli, scheduler, tmp_path):
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True).frame  # a real table: 178 rows, 3 classes, in 8 row groups
    wine.to_parquet(tmp_path / "wine.parquet", row_group_size=23)
    args = ("health", tmp_path / "wine.parquet", "-l", "target", "-m", "logreg", "--cv", "3", "-f", "json")
    remote = cli(*args, "--scheduler", scheduler)
    local = cli(*args)
    assert remote.exit_code == local.exit_code == ExitStatus.OK, remote.stderr
    theirs, mine = json.loads(remote.stdout), json.loads(local.stdout)
    assert theirs["run"]["partitions"]["count"] == 8 and theirs["run"]["cv_folds"] == 3
    assert "table_training" in [n["kind"] for n in theirs["notes"]]
    # Folds differ from a local run's (assigned per row on the cluster): the same data, not the same numbers.
    assert theirs["health_score"] == 1 - theirs["num_label_issues"] / 178
    assert theirs["health_score"] == pytest.approx(mine["health_score"], abs=0.05) and theirs["health_score"] > 0.9
    confusion = theirs["confusion_matrix"]
    assert [sum(row) for row in confusion["matrix"]] == [59, 71, 48]  # given labels, whatever the model
    assert sorted(c["class"] for c in theirs["classes"]) == [0, 1, 2]
