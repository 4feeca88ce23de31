"""find-issues on one table read as partitions equals the local run (given pred_probs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from cleanaudit.distributed.table import run_table_find_issues  # noqa: E402
from cleanaudit.errors import InputError  # noqa: E402
from cleanaudit.workflows.find_issues import FindIssuesRequest, run_find_issues  # noqa: E402


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as connected:
            yield connected


def _noisy_table(n: int, k: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    given = np.where(rng.random(n) < 0.1, rng.integers(0, k, n), true)
    logits = rng.normal(size=(n, k)) + 2.5 * np.eye(k)[true]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    frame = pd.DataFrame({"f1": rng.normal(size=n), "f2": rng.normal(size=n), "y": [f"c{v}" for v in given]})
    return frame, probs


def _same(local, table) -> None:
    np.testing.assert_array_equal(table.is_issue, local.is_issue)
    np.testing.assert_array_equal(table.ranked_rows, local.ranked_rows)
    np.testing.assert_array_equal(table.label_quality, local.label_quality)
    assert table.num_issues == local.num_issues
    assert table.issues(top=20) == local.issues(top=20)
    assert table.dataset.sha256 == local.dataset.sha256
    assert table.context.payload["num_issues"] == local.context.payload["num_issues"]
    assert table.context.payload["not_analysed"] == local.context.payload["not_analysed"]


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "both"])
def test_200k_rows_in_row_groups_equal_the_local_run(tmp_path, client, filter_by):
    frame, probs = _noisy_table(200_000, 5)
    data, pp = tmp_path / "big.parquet", tmp_path / "pp.npy"
    frame.to_parquet(data, row_group_size=20_000)
    np.save(pp, probs)
    request = FindIssuesRequest(str(data), label="y", pred_probs=str(pp), filter_by=filter_by)
    local = run_find_issues(request)
    table = run_table_find_issues(request, client)
    assert table.context.run["partitions"]["count"] == 10
    _same(local, table)


def test_missing_labels_and_ids_are_left_out_as_locally(tmp_path, client):
    frame, probs = _noisy_table(3_000, 3, seed=1)
    frame["key"] = [f"r{i}" for i in range(len(frame))]
    frame.loc[[5, 1700, 2999], "y"] = None
    keep = frame["y"].notna().to_numpy()
    data, pp = tmp_path / "t.parquet", tmp_path / "pp.npy"
    frame.to_parquet(data, row_group_size=400)
    np.save(pp, probs[keep])
    request = FindIssuesRequest(str(data), label="y", id_column="key", pred_probs=str(pp))
    local = run_find_issues(request)
    table = run_table_find_issues(request, client)
    _same(local, table)
    assert [n.kind for n in table.notes] == [n.kind for n in local.notes if n.kind == "missing_labels"]
    assert table.issues(top=3)[0]["id"] == local.issues(top=3)[0]["id"]


def test_csv_blocks_equal_the_local_run(tmp_path, client):
    frame, probs = _noisy_table(20_000, 4, seed=2)
    data, pp = tmp_path / "t.csv", tmp_path / "pp.npy"
    frame.to_csv(data, index=False)
    np.save(pp, probs)
    request = FindIssuesRequest(str(data), label="y", pred_probs=str(pp))
    table = run_table_find_issues(request, client, blocksize=100_000)
    assert table.context.run["partitions"]["count"] >= 4
    _same(run_find_issues(request), table)


def test_pred_probs_of_another_length_fail_as_locally(tmp_path, client):
    frame, probs = _noisy_table(1_000, 3)
    data, pp = tmp_path / "t.parquet", tmp_path / "pp.npy"
    frame.to_parquet(data, row_group_size=100)
    np.save(pp, probs[:-1])
    request = FindIssuesRequest(str(data), label="y", pred_probs=str(pp))
    with pytest.raises(InputError) as local:
        run_find_issues(request)
    with pytest.raises(InputError) as table:
        run_table_find_issues(request, client)
    assert "999 x 3" in table.value.message and "999 x 3" in local.value.message


def test_a_missing_label_column_fails_before_any_pass(tmp_path, client):
    frame, _ = _noisy_table(100, 3)
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(InputError, match="label column 'Y' not found"):
        run_table_find_issues(FindIssuesRequest(str(tmp_path / "t.parquet"), label="Y", pred_probs="p.npy"), client)
