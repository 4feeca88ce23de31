"""Read a ``--pred-probs`` file (.npy, .csv, .parquet) and check it is a valid N x K matrix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cleanaudit.data.columns import is_number
from cleanaudit.errors import InputError
from cleanaudit.errors import name_list as _names
from cleanaudit.errors import one_line as _one_line

ROW_SUM_TOLERANCE = 1e-4
_SUPPORTED = ".npy, .csv, .parquet, .pq"


def read_pred_probs(
    path: str | Path,
    *,
    class_names: Sequence,
    num_examples: int,
    positions: np.ndarray | None = None,
    num_input_rows: int | None = None,
    row_sums: bool = True,
) -> np.ndarray:
    """Read out-of-sample predicted probabilities: one row per example, one column per class.

    ``row_sums=False`` (multi-label: one independent probability per class) skips the check that
    each row sums to 1.

    When some input rows are not analysed (a missing label, a rare class), ``positions`` are the
    input rows of the ``num_examples`` analysed ones: a file with one row per input row
    (``num_input_rows``) is cut to them; a file with one row per analysed row is taken as is.

    CSV/Parquet columns named by the class names (compared as text) are put in class order;
    a header ``0..K-1``, a CSV without a header, or a .npy is taken in class order. Any other
    names are refused, as a typo would otherwise pair probabilities with the wrong classes.
    float32 stays float32; anything else becomes float64.

    >>> p = read_pred_probs("pred_probs.npy", class_names=["a", "b"], num_examples=3)  # doctest: +SKIP
    >>> p.shape  # doctest: +SKIP
    (3, 2)
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError(f"pred_probs file {name} not found", hint="check the --pred-probs path")
    if path.is_dir():
        raise InputError(
            f"pred_probs path {name} is a folder", hint="pass a .npy, .csv or .parquet file to --pred-probs"
        )
    suffix = path.suffix.lower()
    if suffix == ".npy":
        matrix = _read_npy(path, name)
    elif suffix in (".csv", ".parquet", ".pq"):
        matrix = _read_table(path, name, suffix, class_names, num_examples)
    else:
        raise InputError(f"cannot tell the format of pred_probs file {name}", hint=f"use one of: {_SUPPORTED}")
    matrix = analysed_rows(matrix, positions, num_examples, num_input_rows)
    return validate_pred_probs(matrix, class_names=class_names, num_examples=num_examples, name=name, row_sums=row_sums)


def analysed_rows(
    matrix: np.ndarray, positions: np.ndarray | None, num_examples: int, num_input_rows: int | None
) -> np.ndarray:
    """The rows of the analysed examples, when ``matrix`` has one row per input row.

    >>> analysed_rows(np.eye(3), np.array([0, 2]), 2, 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if positions is None or num_input_rows is None or num_input_rows == num_examples:
        return matrix
    if matrix.ndim == 2 and matrix.shape[0] == num_input_rows:
        return matrix[np.asarray(positions, dtype=np.intp)]
    return matrix


def validate_pred_probs(
    matrix: np.ndarray, *, class_names: Sequence, num_examples: int, name: str = "pred_probs", row_sums: bool = True
) -> np.ndarray:
    """Check shape, finiteness, range [0, 1] and row sums; return a C-contiguous float array.

    >>> validate_pred_probs(np.array([[0.2, 0.8]]), class_names=["a", "b"], num_examples=1)
    array([[0.2, 0.8]])
    """
    num_classes = len(class_names)
    order = _names(class_names, limit=10)
    expected = f"expected {num_examples} x {num_classes} (one row per example; columns in class order: {order})"
    if matrix.ndim != 2:
        raise InputError(
            f"pred_probs in {name} has {matrix.ndim} dimension(s), shape {matrix.shape}; {expected}",
            hint="save a 2-D array of probabilities",
        )
    if not (np.issubdtype(matrix.dtype, np.number) or matrix.dtype == np.bool_) or np.iscomplexobj(matrix):
        raise InputError(f"pred_probs in {name} are not numbers (dtype {matrix.dtype})", hint="save a float array")
    if matrix.dtype != np.float32:
        matrix = matrix.astype(np.float64)
    rows, columns = matrix.shape
    if (rows, columns) != (num_examples, num_classes):
        transposed = (rows, columns) == (num_classes, num_examples)
        raise InputError(
            f"pred_probs in {name} has shape {rows} x {columns}; {expected}",
            hint="transpose it" if transposed else "compute pred_probs on the same rows and classes as the data",
        )
    finite = np.isfinite(matrix)
    if not finite.all():
        raise InputError(
            f"pred_probs in {name} hold {int((~finite).sum())} NaN or infinite value(s)",
            hint="every entry must be a probability between 0 and 1",
        )
    if (matrix < 0).any() or (matrix > 1).any():
        low, high = float(matrix.min()), float(matrix.max())
        raise InputError(
            f"pred_probs in {name} hold values outside [0, 1] (min {low:.6g}, max {high:.6g})",
            hint="pass probabilities (softmax outputs), not logits or scores",
        )
    errors = np.abs(matrix.sum(axis=1, dtype=np.float64) - 1.0) if row_sums else np.zeros(rows)
    off = errors > ROW_SUM_TOLERANCE
    if off.any():
        worst = int(np.argmax(errors))
        total = float(matrix[worst].sum(dtype=np.float64))
        raise InputError(
            f"{int(off.sum())} row(s) of pred_probs in {name} do not sum to 1 within {ROW_SUM_TOLERANCE:g} "
            f"(worst: row {worst} sums to {total:.6g})",
            hint="each row must hold every class's probability (softmax outputs, all classes, class order)",
        )
    return np.ascontiguousarray(matrix)


def _read_npy(path: Path, name: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise InputError(
                f"pred_probs file {name} holds Python objects, not numbers", hint="save a numeric array with np.save"
            ) from None
        raise InputError(
            f"cannot read pred_probs file {name} as .npy: {_one_line(err)}", hint="save the array with np.save"
        ) from None
    except (OSError, EOFError) as err:
        raise InputError(
            f"cannot read pred_probs file {name} as .npy: {_one_line(err)}", hint="save the array with np.save"
        ) from None


def _read_table(path: Path, name: str, suffix: str, class_names: Sequence, num_examples: int) -> np.ndarray:
    from cleanaudit.data.load import read_table

    table = read_table(path)
    labels = [str(c) for c in class_names]
    columns = [str(c) for c in table.columns]
    if suffix == ".csv" and _looks_headerless(columns, labels, len(table), num_examples):
        table = pd.read_csv(path, header=None)
        columns = [str(c) for c in table.columns]
    table.columns = columns
    table = table[_class_columns(columns, labels, name)]
    non_numeric = [
        c
        for c in table.columns
        if not pd.api.types.is_numeric_dtype(table[c].dtype) or pd.api.types.is_bool_dtype(table[c].dtype)
    ]
    if non_numeric:
        raise InputError(
            f"pred_probs in {name} have non-numeric column(s): {_names(non_numeric, limit=10)}",
            hint="every column must hold one class's probabilities",
        )
    all_float32 = all(table[c].dtype == np.float32 for c in table.columns)
    return table.to_numpy(dtype=np.float32 if all_float32 else np.float64, na_value=np.nan)


def _class_columns(columns: list[str], labels: list[str], name: str) -> list[str]:
    """The file's columns in class order.

    Names must be the class names (any order; an index column beside them is dropped), or
    ``0..K-1`` meaning class order. Reading other names by position would silently pair
    probabilities with the wrong classes, so a typo or unrelated names are refused.
    """
    extra = [c for c in columns if c not in labels and not _INDEX_NAME.fullmatch(c)]
    if set(labels) <= set(columns) and not extra:
        return labels
    if columns == [str(k) for k in range(len(labels))]:
        return columns
    missing = [c for c in labels if c not in columns]
    found = f"missing class(es): {_names(missing, limit=5)}; " if missing else ""
    raise InputError(
        f"pred_probs columns in {name} do not match the class names ({found}not class names: {_names(extra, limit=5)})",
        hint=f"name the columns by class ({_names(labels, limit=5)}), or 0..{len(labels) - 1} for sorted class order, "
        "or save a .npy",
    )


# Columns that number or identify rows (pandas' unnamed index, an explicit row/id column).
_INDEX_NAME = re.compile(r"(Unnamed: \d+|index|row|id|)", re.IGNORECASE)


def _looks_headerless(columns: list[str], labels: list[str], rows: int, num_examples: int) -> bool:
    """A CSV written without a header: its first data row was taken as column names."""
    if set(labels) <= set(columns) or rows != num_examples - 1:
        return False
    return all(is_number(re.sub(r"\.\d+$", "", c)) or is_number(c) for c in columns)  # pandas renames repeats "x.1"


# --- writing (--save-pred-probs) ---------------------------------------------------------

WRITABLE_SUFFIXES = (".npy", ".csv", ".parquet", ".pq")


def check_pred_probs_target(path: str | Path, *, option: str = "--save-pred-probs") -> None:
    """Refuse, before any work, a pred_probs output whose suffix names no format we write.

    >>> check_pred_probs_target("p.csv")
    >>> try:
    ...     check_pred_probs_target("p.txt")
    ... except Exception as err:
    ...     print(err.message)
    --save-pred-probs p.txt: cannot tell the format from the suffix '.txt'
    """
    from cleanaudit.errors import ConfigError

    suffix = Path(path).suffix.lower()
    if suffix not in WRITABLE_SUFFIXES:
        raise ConfigError(
            f"{option} {path}: cannot tell the format from the suffix '{suffix}'",
            hint=f"name the file with one of: {', '.join(WRITABLE_SUFFIXES)}",
        )


def write_pred_probs(path: str | Path, pred_probs: np.ndarray, class_names: Sequence) -> None:
    """Atomically write pred_probs so that :func:`read_pred_probs` reads them back unchanged.

    ``.npy``: the N x K float64 array. ``.csv``/``.parquet``: one column per class, named by the
    class (as text), in class order.

    >>> write_pred_probs("p.csv", np.array([[0.2, 0.8]]), [0, 1])  # doctest: +SKIP
    """
    import io

    from cleanaudit.data.write import atomic_write_bytes, write_frame

    path = Path(path)
    check_pred_probs_target(path)
    matrix = np.ascontiguousarray(pred_probs, dtype=np.float64)
    if path.suffix.lower() == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, matrix, allow_pickle=False)
        atomic_write_bytes(path, buffer.getvalue())
        return
    columns = [str(c) for c in class_names]
    write_frame(pd.DataFrame(matrix, columns=columns), path)
