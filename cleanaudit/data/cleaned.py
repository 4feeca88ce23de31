"""Build and write the cleaned table: the input's rows and columns, minus removed rows, with new labels.

For CSV input written as CSV, cells are copied as the text they were read from (``007`` stays
``007``, ``3`` does not become ``3.0``); a changed label takes the exact text that class has
elsewhere in the input. Other combinations write the typed table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cleanaudit.errors import ConfigError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def check_output_path(path: Path) -> None:
    """Raise ``ConfigError`` unless ``path`` names a table cleanaudit can write (.csv, .parquet)."""
    if Path(path).suffix.lower() not in TABLE_SUFFIXES:
        raise ConfigError(
            f"--output {path}: cannot tell the table format from its name", hint="name it .csv or .parquet"
        )


def manifest_path(output: Path) -> Path:
    """``cleaned.parquet`` -> ``cleaned.manifest.csv`` (beside it).

    >>> manifest_path(Path("out/cleaned.parquet")).as_posix()
    'out/cleaned.manifest.csv'
    """
    output = Path(output)
    return output.with_name(f"{output.stem}.manifest.csv")


def source_table(frame: pd.DataFrame, paths: Sequence[Path | str], output: Path) -> pd.DataFrame:
    """The table to clean: the inputs re-read as text when CSV goes to CSV, else the loaded ``frame``.

    ``frame`` is the whole table as read, with the rows that were not analysed (clean keeps them).
    """
    from cleanaudit.data.load import _kind_of, read_csv_source

    if Path(output).suffix.lower() != ".csv" or not paths or any(str(p) == "-" or isinstance(p, str) for p in paths):
        return frame  # stdin and URLs (text paths) are not re-read
    kinds = [_kind_of(Path(p)) for p in paths]
    if any(kind != "csv" for kind, _ in kinds):
        return frame
    try:
        parts = [
            read_csv_source(Path(p), dtype=str, keep_default_na=False, compression=compression, low_memory=False)
            for p, (_, compression) in zip(paths, kinds)
        ]
    except Exception:  # unreadable as text after all: fall back to the typed table
        return frame
    text = parts[0] if len(parts) == 1 else pd.concat([t[list(parts[0].columns)] for t in parts], ignore_index=True)
    text.columns = [str(c) for c in text.columns]
    if text.shape != frame.shape or list(text.columns) != list(frame.columns):
        return frame
    return text


def write_table_and_manifest(
    output: Path, table: pd.DataFrame, manifest: pd.DataFrame, checkpoint: Any = None
) -> dict[str, str | None]:
    """Write the cleaned ``table`` to ``output`` and ``manifest`` beside it, together or neither.

    ``checkpoint()``, when given, runs after both are written and before they are moved into place
    (the CLI raises there after a Ctrl-C). Returns the payload's ``output_file`` and ``manifest_file``.
    """
    from cleanaudit.data.write import FileSet, write_frame

    target = manifest_path(output)
    with FileSet() as staged:
        staged.write(output, lambda temp: write_frame(table, temp))
        staged.write(target, lambda temp: write_frame(manifest, temp))
        if checkpoint is not None:
            checkpoint()
        staged.commit()
    return {"output_file": str(output), "manifest_file": str(target)}


def cleaned_table(
    table: pd.DataFrame,
    label_column: str,
    old_names: Sequence[Any],
    new_names: Sequence[Any],
    keep: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """``table`` with the label of each row set to ``new_names[i]``, the kept rows only, and a ``sample_weight`` column.

    ``old_names[i]`` is row i's class as read; a row whose class changes takes the label cell of a
    row that had the new class, so the column's type and spelling are kept.

    >>> t = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "b"]})
    >>> cleaned_table(t, "y", ["a", "b", "b"], ["b", "b", "b"], np.array([True, False, True])).to_dict("list")
    {'x': [1, 3], 'y': ['b', 'b']}
    """
    if sample_weight is not None and "sample_weight" in table.columns:
        raise ConfigError(
            "the input already has a column 'sample_weight'",
            hint="rename or drop it before --strategy weight, which writes that column",
        )
    old = np.asarray(old_names, dtype=object)
    new = np.asarray(new_names, dtype=object)
    changed = np.array([a != b for a, b in zip(old, new)], dtype=bool)
    out = table.copy()
    if changed.any():
        column = table[label_column]
        first_row: dict[Any, int] = {}
        for i, name in enumerate(old):
            first_row.setdefault(name, i)
        values = column.to_numpy(dtype=object).copy()
        values[changed] = [column.iloc[first_row[name]] for name in new[changed]]
        try:
            out[label_column] = pd.Series(values, index=table.index).astype(column.dtype)
        except (TypeError, ValueError):
            out[label_column] = pd.Series(values, index=table.index)
    out = out.loc[np.asarray(keep, dtype=bool)].reset_index(drop=True)
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)[np.asarray(keep, dtype=bool)]
        out["sample_weight"] = [repr(float(w)) for w in weights] if _is_text(table) else weights
    return out


def _is_text(table: pd.DataFrame) -> bool:
    return all(pd.api.types.is_object_dtype(t) or pd.api.types.is_string_dtype(t) for t in table.dtypes)
