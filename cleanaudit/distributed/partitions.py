"""One table read as partitions: Parquet row groups, CSV blocks; local paths or fsspec URLs.

Each partition is a ``dask.delayed`` pandas DataFrame that a worker reads when a task needs it
(nothing is held in memory between passes), and knows its global row ``offset``, so row positions
equal a local run's 0-based rows. Parquet row counts come from the file footers (no data read);
CSV blocks are counted in one pass. The columns are checked from the schema before any data pass.

>>> parts = read_partitions(["sample_data/tutorial/train.parquet"])  # doctest: +SKIP
>>> parts.num_rows, parts.offsets[:2].tolist()  # doctest: +SKIP
(250, [0])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import InputError
from cleanaudit.errors import one_line as _one_line

if TYPE_CHECKING:
    import pandas as pd
    from dask.delayed import Delayed
    from distributed import Client

    from cleanaudit.data.dataset import Dataset

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".tab")
DEFAULT_BLOCKSIZE = 64 * 2**20  # bytes per CSV block


@dataclass
class TablePartitions:
    """A table as partitions: ``parts[i]`` holds rows ``offsets[i] .. offsets[i] + lengths[i]``."""

    paths: list[str]
    kind: str  # "parquet" or "csv"
    parts: list[Delayed]
    lengths: np.ndarray
    columns: list[str]

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    @property
    def num_rows(self) -> int:
        return int(self.lengths.sum())

    @property
    def num_partitions(self) -> int:
        return len(self.parts)

    def where(self) -> str:
        """The table in messages, as a local run names it."""
        return self.paths[0] if len(self.paths) == 1 else f"{self.paths[0]} (+{len(self.paths) - 1} more)"

    def map(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Delayed]:
        """``func(frame, index, offset, *args)`` on every partition, as delayed results (one task each)."""
        from dask import delayed

        task = delayed(func, pure=True)
        return [task(part, i, int(o), *args, **kwargs) for i, (part, o) in enumerate(zip(self.parts, self.offsets))]


def read_partitions(
    paths: Sequence[str | Path], *, client: Client | None = None, blocksize: int = DEFAULT_BLOCKSIZE
) -> TablePartitions:
    """The partitions of one table: Parquet files/folders (one per row group) or CSV files (blocks).

    Several paths (or a folder's files, sorted) are one table, in order, with the same columns.
    """
    files = expand_table_paths(paths)
    kinds = {_kind(f) for f in files}
    if len(kinds) > 1:
        raise InputError("the table's files mix Parquet and CSV", hint="give files of one format")
    kind = kinds.pop()
    if kind == "parquet":
        return _parquet_partitions(files)
    return _csv_partitions(files, client, blocksize)


def expand_table_paths(paths: Sequence[str | Path]) -> list[str]:
    """Files of the table: each path, or a folder's tables (sorted); fsspec URLs pass through."""
    files: list[str] = []
    for raw in paths:
        text = str(raw)
        fs, path = _filesystem(text)
        if not fs.exists(path):
            raise InputError(f"file {text} not found", hint="check the path (it is relative to the current folder)")
        if fs.isdir(path):
            found = sorted(p for p in fs.find(path) if _kind_or_none(p) is not None)
            if not found:
                raise InputError(f"folder {text} holds no tables", hint="put .parquet or .csv files there")
            files += [fs.unstrip_protocol(p) if "://" in text else p for p in found]
        elif _kind_or_none(text) is None:
            raise InputError(f"cannot tell the format of {text} from its name", hint="use .parquet or .csv")
        else:
            files.append(text)
    return files


def _parquet_partitions(files: list[str]) -> TablePartitions:
    from dask import delayed

    parts, lengths, columns = [], [], None
    for file in files:
        try:
            with _open(file) as handle:
                meta = _parquet_file(handle).metadata
                names = list(meta.schema.to_arrow_schema().names)
        except OSError as err:
            raise InputError(f"cannot read {file}: {_one_line(err)}", hint="check the file's permissions") from None
        except Exception as err:  # pyarrow raises ArrowInvalid on a corrupt footer
            raise InputError(
                f"cannot parse {file} as PARQUET: {_one_line(err)}", hint="check that it is a valid Parquet file"
            ) from None
        names = [n for n in names if not n.startswith("__index_level_")]
        if columns is None:
            columns = names
        elif set(names) != set(columns):
            raise InputError(f"{file} has different columns from {files[0]}", hint="all files need the same columns")
        for group in range(meta.num_row_groups):
            rows = meta.row_group(group).num_rows
            if rows:
                parts.append(delayed(read_row_group, pure=True)(file, group, columns))
                lengths.append(rows)
    if not parts:
        raise InputError(f"{files[0]} has a header but no rows", hint="pass a table with at least one data row")
    return TablePartitions(files, "parquet", parts, np.asarray(lengths, np.int64), list(columns or []))


def read_row_group(file: str, group: int, columns: list[str]) -> pd.DataFrame:
    """One row group of a Parquet file as pandas (on a worker), in the table's column order."""
    with _open(file) as handle:
        frame = _parquet_file(handle).read_row_group(group, columns=columns).to_pandas()
    return frame.reset_index(drop=True)


def _csv_partitions(files: list[str], client: Client | None, blocksize: int) -> TablePartitions:
    import dask
    import dask.dataframe as dd

    seps = {"\t" if _suffix(f) in (".tsv", ".tab") else "," for f in files}
    try:  # text stays the dtype pandas' own read_csv gives it, as in a local run
        with dask.config.set({"dataframe.convert-string": False}):
            frame = dd.read_csv(files, blocksize=blocksize, sep=seps.pop(), assume_missing=True)
    except Exception as err:  # dask reads the header and a sample here
        raise InputError(f"cannot parse {files[0]} as CSV: {_one_line(err)}", hint="check the file") from None
    parts = list(frame.to_delayed())
    counted = [dask.delayed(len)(p) for p in parts]
    lengths = client.gather(client.compute(counted)) if client is not None else dask.compute(*counted)
    keep = [i for i, n in enumerate(lengths) if n]
    if not keep:
        raise InputError(f"{files[0]} has a header but no rows", hint="pass a table with at least one data row")
    return TablePartitions(
        files, "csv", [parts[i] for i in keep], np.asarray([lengths[i] for i in keep], np.int64), list(frame.columns)
    )


# --- given pred_probs -----------------------------------------------------------------------


def given_pred_probs_blocks(source: Any, read: TableLabels) -> Any:
    """``--pred-probs`` in the partitions' chunks, checked against the analysed rows and classes.

    A ``.npy`` file is memory-mapped and each block read and checked on a worker; another file
    (Parquet, CSV: read by :func:`cleanaudit.data.pred_probs.read_pred_probs`) is read whole first.
    """
    import dask
    import dask.array as da

    from cleanaudit.data.pred_probs import read_pred_probs, validate_pred_probs

    names, rows = read.dataset.class_names, read.block_rows
    total = int(sum(rows))
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() == ".npy":
        path = Path(source)
        try:
            shape = np.load(path, mmap_mode="r").shape
        except (OSError, ValueError) as err:
            raise InputError(f"cannot read pred_probs {path}: {err}", hint="save them with numpy.save") from None
        if len(shape) != 2 or shape != (total, len(names)):
            validate_pred_probs(np.zeros(shape), class_names=names, num_examples=total, name=str(path))
        starts = np.concatenate([[0], np.cumsum(rows)[:-1]])
        task = dask.delayed(_npy_block, pure=True)
        blocks = [
            da.from_delayed(task(str(path), int(s), int(n), names), shape=(n, len(names)), dtype=np.float64)
            for s, n in zip(starts, rows)
        ]
        return da.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]
    if isinstance(source, (str, Path)):
        matrix = read_pred_probs(Path(source), class_names=names, num_examples=total)
    else:
        matrix = validate_pred_probs(np.asarray(source), class_names=names, num_examples=total)
    return da.from_array(matrix, chunks=(tuple(rows), len(names)))


def _npy_block(path: str, start: int, rows: int, names: list[Any]) -> np.ndarray:
    from cleanaudit.data.pred_probs import validate_pred_probs

    block = np.array(np.load(path, mmap_mode="r")[start : start + rows])
    checked = validate_pred_probs(block, class_names=names, num_examples=rows, name=f"{path} (rows {start}..)")
    return checked.astype(np.float64, copy=False)


def require_columns(table: TablePartitions, names: Sequence[str | None], options: Sequence[str]) -> None:
    """The same InputError a local run gives for a column not in the table, from the schema alone."""
    from cleanaudit.data.frame import _require_column

    what = {"--label": "label column", "--id-column": "id column", "--ignore": "ignored column"}
    for name, option in zip(names, options):
        if name is not None:
            _require_column(name, table.columns, table.where(), what=what.get(option, "feature column"), option=option)


def _parquet_file(handle: Any) -> Any:
    import pyarrow.parquet as pq

    return pq.ParquetFile(handle)


def _filesystem(text: str) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    return url_to_fs(text)


def _open(file: str) -> Any:
    fs, path = _filesystem(file)
    return fs.open(path, "rb")


def _suffix(name: str) -> str:
    return Path(name.split("?")[0]).suffix.lower()


def _kind_or_none(name: str) -> str | None:
    suffix = _suffix(name)
    return "parquet" if suffix in PARQUET_SUFFIXES else "csv" if suffix in CSV_SUFFIXES else None


def _kind(name: str) -> str:
    kind = _kind_or_none(name)
    if kind is None:
        raise InputError(f"cannot tell the format of {name} from its name", hint="use .parquet or .csv")
    return kind


@dataclass
class TableLabels:
    """The table's labels as a local run reads them, and where each partition's analysed rows are."""

    table: TablePartitions
    dataset: Dataset  # labels, class names, ids, positions, not_analysed (features: none, kept on the workers)
    analysed: list[np.ndarray | None]  # per partition: mask of rows with a label (None: every row)
    codes: list[np.ndarray]  # per partition: label codes of its analysed rows

    @property
    def block_rows(self) -> list[int]:
        return [len(c) for c in self.codes]
