"""Long (task, annotator, label) records to the wide annotator matrix (spec §16)."""

from __future__ import annotations

import numpy as np

__all__ = ["convert_long_to_wide_dataset"]


def _column(records, name: str) -> np.ndarray:
    values = records[name]
    return values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)


def _with_gaps(values: np.ndarray) -> np.ndarray:
    """The dtype a column takes once missing cells are NaN (as ``DataFrame.pivot`` does)."""
    if values.dtype.kind == "f":
        return values
    if values.dtype.kind in "iu":
        return values.astype(np.float64)
    return values.astype(object)


def convert_long_to_wide_dataset(labels_multiannotator_long) -> dict[str, np.ndarray]:
    """One row per task, one column per annotator (both sorted), NaN where an annotator gave no label.

    ``labels_multiannotator_long``: anything indexable by ``"task"``, ``"annotator"`` and ``"label"``
    (a DataFrame or a dict of arrays). Returns ``{"task": tasks, <annotator>: labels, ...}``.

    >>> wide = convert_long_to_wide_dataset({"task": [0, 0, 1], "annotator": ["a", "b", "a"], "label": [1, 0, 1]})
    >>> wide["task"].tolist(), wide["a"].tolist(), wide["b"].tolist()
    ([0, 1], [1.0, 1.0], [0.0, nan])
    """
    tasks = _column(labels_multiannotator_long, "task")
    annotators = _column(labels_multiannotator_long, "annotator")
    labels = _column(labels_multiannotator_long, "label")
    task_ids, row = np.unique(tasks, return_inverse=True)
    annotator_ids, col = np.unique(annotators, return_inverse=True)
    cell = row.ravel() * len(annotator_ids) + col.ravel()
    if len(np.unique(cell)) != len(cell):
        raise ValueError("Index contains duplicate entries, cannot reshape")
    full = len(cell) == len(task_ids) * len(annotator_ids)
    grid = np.empty(len(task_ids) * len(annotator_ids), dtype=labels.dtype if full else _with_gaps(labels).dtype)
    if not full:
        grid[:] = np.nan
    grid[cell] = labels
    grid = grid.reshape(len(task_ids), len(annotator_ids))
    wide: dict = {"task": task_ids}
    for j, name in enumerate(annotator_ids.tolist()):
        wide[name] = grid[:, j]
    return wide
