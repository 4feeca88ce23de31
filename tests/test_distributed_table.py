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


def test_exact_checks_equal_the_local_checks(tmp_path, client):
    from cleanaudit.checks.base import CheckInputs
    from cleanaudit.checks.class_imbalance import run as class_imbalance
    from cleanaudit.checks.near_duplicate import conflicting_groups, exact_duplicate_groups
    from cleanaudit.checks.null import run as null
    from cleanaudit.data.load import load_dataset
    from cleanaudit.distributed.table import read_table_labels
    from cleanaudit.distributed.table_checks import run_table_checks

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.integers(0, 3, 4000).astype(float), "b": rng.choice(["p", "q"], 4000)})
    frame["c"] = rng.integers(0, 2, 4000).astype(float)
    frame.loc[rng.random(4000) < 0.2, "a"] = np.nan
    frame.loc[rng.random(4000) < 0.1, ["b", "c"]] = None
    frame.loc[[7, 3000], ["a", "b", "c"]] = None
    frame["y"] = rng.choice(["u", "v", "w"], 4000, p=[0.9, 0.08, 0.02])
    frame.loc[[11, 2222], "y"] = None
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, row_group_size=450)
    local = load_dataset([path], label="y")
    read = read_table_labels(FindIssuesRequest(str(path), label="y"), client)
    got = run_table_checks(read, client, feature_columns=list(local.features.columns))
    inputs = CheckInputs(local.num_examples, local.class_names, labels=local.labels, raw_features=local.features)
    want_null = null(inputs, {})
    assert got.results["null"].info == want_null.info
    np.testing.assert_array_equal(got.results["null"].score, want_null.score)
    np.testing.assert_array_equal(got.results["null"].is_issue, want_null.is_issue)
    assert got.results["class_imbalance"].info == class_imbalance(inputs, {"threshold": 0.1}).info
    groups = exact_duplicate_groups(inputs)
    np.testing.assert_array_equal(got.exact_duplicate_group, groups)
    assert got.has_conflicting_labels.sum() == conflicting_groups(groups, local.labels)[groups[groups >= 0]].sum()
    assert got.skipped["outlier"].startswith("needs the neighbour graph")


def test_rows_are_written_as_parquet_partitions_with_the_report(tmp_path, client):
    from cleanaudit.distributed.table import read_table_labels
    from cleanaudit.distributed.table_checks import write_table_rows

    frame, probs = _noisy_table(5_000, 3)
    data, pp = tmp_path / "t.parquet", tmp_path / "pp.npy"
    frame.to_parquet(data, row_group_size=1_000)
    np.save(pp, probs)
    request = FindIssuesRequest(str(data), label="y", pred_probs=str(pp))
    result = run_table_find_issues(request, client)
    read = read_table_labels(request, client)
    out = write_table_rows(tmp_path / "out", result, read, {"command": "find-issues", **result.context.payload})
    parts = sorted((out / "issues").glob("part-*.parquet"))
    assert len(parts) == 5 and (out / "report.json").exists()
    rows = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    assert rows["row"].tolist() == list(range(5_000))
    np.testing.assert_array_equal(rows["is_label_issue"].to_numpy(), result.is_issue)
    assert not list(tmp_path.glob(".out.*"))  # no temp folder left behind
