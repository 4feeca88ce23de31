"""Read a known noise matrix (``clean --noise-matrix FILE``): K x K, ``P(given=i | true=j)``, columns sum to 1."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cleanaudit.data.columns import is_number
from cleanaudit.errors import InputError
from cleanaudit.errors import one_line as _one_line

COLUMN_SUM_TOLERANCE = 1e-4
_HINT = "noise_matrix[i][j] = P(given label i | true label j): K x K in sorted class order, each column summing to 1"


def read_noise_matrix(path: str | Path, class_names: Sequence) -> np.ndarray:
    """Read and validate a noise matrix from .npy or .csv (plain numbers, or with class names as header).

    >>> read_noise_matrix("nm.csv", ["a", "b"])  # doctest: +SKIP
    array([[0.9, 0.2],
           [0.1, 0.8]])
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"noise matrix file {name} not found", hint="check the --noise-matrix path")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            matrix = np.load(path, allow_pickle=False)
        except Exception as err:
            raise InputError(
                f"cannot read noise matrix {name} as .npy: {_one_line(err)}", hint="save a float array with np.save"
            ) from None
    elif suffix == ".csv":
        matrix = _read_csv(path, name, [str(c) for c in class_names])
    else:
        raise InputError(f"cannot tell the format of noise matrix file {name}", hint="use .npy or .csv")
    return validate_noise_matrix(matrix, len(class_names), name=name)


def validate_noise_matrix(matrix: np.ndarray, num_classes: int, *, name: str = "") -> np.ndarray:
    """Check shape K x K, finite values in [0, 1], columns summing to 1 and trace > 1.

    >>> validate_noise_matrix(np.array([[0.9, 0.2], [0.1, 0.8]]), 2).shape
    (2, 2)
    >>> validate_noise_matrix(np.array([[0.5, 0.6], [0.5, 0.4]]), 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cleanaudit.errors.InputError: the noise matrix has trace 0.9, at most 1: confident learning needs trace > 1 ...
    """
    what = f"noise matrix {name}" if name else "the noise matrix"
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape != (num_classes, num_classes):
        raise InputError(
            f"{what} has shape {' x '.join(map(str, matrix.shape))}, expected "
            f"{num_classes} x {num_classes} (one row and column per class)",
            hint=_HINT,
        )
    if not np.issubdtype(matrix.dtype, np.number):
        raise InputError(f"{what} holds non-numbers", hint=_HINT)
    matrix = matrix.astype(np.float64)
    if not np.isfinite(matrix).all() or (matrix < 0).any() or (matrix > 1).any():
        raise InputError(f"{what} holds values outside [0, 1]", hint=_HINT)
    sums = matrix.sum(axis=0)
    bad = np.flatnonzero(np.abs(sums - 1) > COLUMN_SUM_TOLERANCE)
    if bad.size:
        raise InputError(f"{what}: column {int(bad[0])} sums to {sums[bad[0]]:.6g}, not 1", hint=_HINT)
    trace = float(np.trace(matrix))
    if trace <= 1:
        raise InputError(
            f"{what} has trace {trace:.6g}, at most 1: confident learning needs trace > 1 "
            "(labels right more often than not)",
            hint="check that rows are given labels and columns true labels",
        )
    return matrix


def _read_csv(path: Path, name: str, labels: list[str]) -> np.ndarray:
    try:
        table = pd.read_csv(path, header=None, dtype=str, keep_default_na=False)
    except Exception as err:
        raise InputError(f"cannot read noise matrix {name} as CSV: {_one_line(err)}", hint=_HINT) from None
    if table.shape[0] and not all(is_number(v) for v in table.iloc[0]):  # a header row
        header = [v.strip() for v in table.iloc[0]]
        table = table.iloc[1:]
        if table.shape[1] and not all(is_number(v) for v in table.iloc[:, 0]):  # row names too
            rows = [v.strip() for v in table.iloc[:, 0]]
            table, header = table.iloc[:, 1:], header[1:]
            if sorted(rows) == sorted(labels):
                table = table.iloc[[rows.index(c) for c in labels]]
        if sorted(header) == sorted(labels):
            table = table.iloc[:, [header.index(c) for c in labels]]
    try:
        return table.to_numpy(dtype=np.float64)
    except ValueError:
        raise InputError(f"noise matrix {name} holds non-numbers", hint=_HINT) from None
