"""Partitions of one table: row offsets equal a local read's rows, bad columns fail from the schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from cleanaudit.distributed.partitions import read_partitions, require_columns  # noqa: E402
from cleanaudit.errors import InputError  # noqa: E402


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.integers(0, 5, n), "y": rng.choice(["a", "b", "c"], n)})


def _rows(table) -> pd.DataFrame:
    import dask

    parts = dask.compute(*table.parts, scheduler="sync")
    return pd.concat(parts, ignore_index=True)


def test_parquet_row_groups_keep_the_local_row_order(tmp_path):
    frame = _frame(1000)
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, row_group_size=120)
    table = read_partitions([path])
    assert table.num_partitions == 9 and table.num_rows == 1000
    assert table.offsets.tolist() == list(range(0, 1000, 120))
    pd.testing.assert_frame_equal(_rows(table), pd.read_parquet(path))


def test_a_folder_of_parquet_files_is_one_table_in_name_order(tmp_path):
    frame = _frame(600)
    (tmp_path / "d").mkdir()
    for i, start in enumerate(range(0, 600, 200)):
        frame.iloc[start : start + 200].to_parquet(tmp_path / "d" / f"part-{i}.parquet", row_group_size=50)
    table = read_partitions([tmp_path / "d"])
    assert table.num_partitions == 12
    pd.testing.assert_frame_equal(_rows(table), frame)


def test_csv_blocks_count_their_rows(tmp_path):
    frame = _frame(3000)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    table = read_partitions([path], blocksize=20_000)
    assert table.num_partitions >= 3
    assert int(table.offsets[-1] + table.lengths[-1]) == 3000
    got = _rows(table)
    pd.testing.assert_frame_equal(got[["y"]], frame[["y"]])
    np.testing.assert_allclose(got["x1"].to_numpy(), frame["x1"].to_numpy())


def test_a_missing_label_column_fails_as_a_local_run_does(tmp_path):
    from cleanaudit.data.load import load_dataset

    path = tmp_path / "t.parquet"
    _frame(50).to_parquet(path)
    with pytest.raises(InputError) as local:
        load_dataset([path], label="Y")
    with pytest.raises(InputError) as table:
        require_columns(read_partitions([path]), ["Y"], ["--label"])
    assert table.value.message == local.value.message


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_partitions([tmp_path / "nope.parquet"])
