"""The annotator matrix: conversion, validation (spec §9) and small exact helpers shared by the package.

A DataFrame is recognised by duck typing (``.columns`` and ``.to_numpy``) so the engine never imports
pandas. An ndarray keeps its dtype: with integer labels the reference's per-row ``value_counts`` puts
counts at their class positions, with float labels it does not (spec §11), and :func:`row_label_counts`
reproduces both.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

SMALL_CONST = 1e-30  # lower clip of probabilities in temperature scaling (spec, preamble)
FRAME_OR_ARRAY = "labels_multiannotator must be either a NumPy array or Pandas DataFrame."
NOT_2D = (
    "labels_multiannotator must be a 2D array or dataframe, each row represents an example and each column "
    "represents an annotator."
)


def is_frame(obj) -> bool:
    """A pandas-like DataFrame: has ``columns`` and ``to_numpy`` (pandas itself is never imported)."""
    return hasattr(obj, "columns") and hasattr(obj, "to_numpy") and not isinstance(obj, np.ndarray)


def as_annotator_matrix(labels_multiannotator) -> tuple[np.ndarray, np.ndarray | None]:
    """``(L, annotator_ids)``: a DataFrame becomes a float matrix (NaN = not labelled) plus its column
    names; an ndarray is used as is, with ids ``None``. Anything else raises ``ValueError``."""
    if is_frame(labels_multiannotator):
        ids = np.asarray(labels_multiannotator.columns)
        return labels_multiannotator.to_numpy(dtype=float, na_value=np.nan), ids
    if isinstance(labels_multiannotator, np.ndarray):
        return labels_multiannotator, None
    raise ValueError(FRAME_OR_ARRAY)


def annotator_names(annotator_ids: np.ndarray | None, num_annotators: int) -> np.ndarray:
    """The ids the reference uses: the DataFrame's column names, else ``0..M-1``."""
    return np.arange(num_annotators) if annotator_ids is None else annotator_ids


def _has_strings(L: np.ndarray) -> bool:
    if L.dtype.kind in "US":
        return L.size > 0
    return L.dtype.kind == "O" and any(isinstance(v, str) for v in L.ravel())


def _check_class_labels(values: np.ndarray) -> None:
    """The non-NaN labels must be non-negative integers (the reference's class-label check)."""
    if not np.equal(np.mod(values, 1), 0).all():
        raise ValueError("Labels must be zero-indexed integers corresponding to class indices.")
    if len(values) and values.min() < 0:
        raise ValueError("Labels must be positive integers corresponding to class indices.")


def _check_agreement(L: np.ndarray) -> None:
    """Warn when no example has two equal labels (NaN never equals NaN)."""
    ordered = np.sort(L, axis=1)
    if ordered.shape[1] < 2 or not (ordered[:, 1:] == ordered[:, :-1]).any():
        warnings.warn("Annotators do not agree on any example. Check input data.", stacklevel=3)


def validate_annotator_matrix(
    L: np.ndarray,
    pred_probs=None,
    *,
    ensemble: bool = False,
    allow_single_label: bool = False,
    annotator_ids: np.ndarray | None = None,
) -> None:
    """The reference's checks of spec §9, in its order and with its error types and messages."""
    if L.ndim != 2:
        raise ValueError(NOT_2D)
    if _has_strings(L):
        raise ValueError("Labels cannot be strings, they must be zero-indexed integers corresponding to class indices.")
    missing = np.isnan(L)
    empty_rows = missing.all(axis=1)
    if empty_rows.any():
        raise ValueError(
            "labels_multiannotator cannot have rows with all NaN, each example must have at least one label.\n"
            f"Examples {np.flatnonzero(empty_rows).tolist()} do not have any labels."
        )
    empty_cols = np.flatnonzero(missing.all(axis=0))
    if len(empty_cols):
        names = annotator_names(annotator_ids, L.shape[1])[empty_cols].tolist()
        raise ValueError(
            "labels_multiannotator cannot have columns with all NaN, each annotator must annotator at least one "
            f"example.\nAnnotators {names} did not label any examples."
        )
    observed = ~missing
    if not allow_single_label:
        if L.shape[1] <= 1:
            raise ValueError(
                "labels_multiannotator must have more than one column.\n"
                "If there is only one annotator, use cleanlab.rank.get_label_quality_scores instead"
            )
        if (observed.sum(axis=1) == 1).all():
            raise ValueError(
                "Each example only has one label, collapse the labels into a 1-D array and use "
                "cleanlab.rank.get_label_quality_scores instead"
            )
        _check_agreement(L)
    _check_class_labels(L[observed])
    if pred_probs is not None:
        _check_pred_probs_for(L, pred_probs, ensemble=ensemble)


def _check_pred_probs_for(L: np.ndarray, pred_probs, *, ensemble: bool) -> None:
    if not isinstance(pred_probs, np.ndarray):
        raise TypeError("pred_probs must be a numpy array.")
    if ensemble:
        if pred_probs.ndim != 3:
            extra = " If you have a 2d pred_probs array, use the non-ensemble version of this function."
            raise ValueError("pred_probs must be a 3d array." + (extra if pred_probs.ndim == 2 else ""))
        if pred_probs.shape[1] != len(L):
            raise ValueError("each pred_probs and labels_multiannotator must have same length.")
    else:
        if pred_probs.ndim != 2:
            extra = " If you have a 3d pred_probs array, use the ensemble version of this function."
            raise ValueError("pred_probs must be a 2d array." + (extra if pred_probs.ndim == 3 else ""))
        if len(pred_probs) != len(L):
            raise ValueError("pred_probs and labels_multiannotator must have same length.")
    highest_class = np.nanmax(L) + 1
    if pred_probs.shape[-1] < highest_class:
        raise ValueError(
            f"pred_probs must have at least {int(highest_class)} columns based on the largest class label which "
            "appears in labels_multiannotator. Perhaps some rarely-annotated classes were lost while establishing "
            "consensus labels used to train your classifier."
        )


def validate_probability_inputs(pred_probs=None, pred_probs_unlabeled=None, *, ensemble: bool = False) -> None:
    """ActiveLab's checks of ``pred_probs`` / ``pred_probs_unlabeled``: type, dimension, equal K."""
    if pred_probs is None and pred_probs_unlabeled is None:
        raise ValueError("pred_probs and pred_probs_unlabeled cannot both be None, specify at least one of the two.")
    ndim = 3 if ensemble else 2
    for name, arr in (("pred_probs", pred_probs), ("pred_probs_unlabeled", pred_probs_unlabeled)):
        if arr is None:
            continue
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a numpy array.")
        if arr.ndim != ndim:
            raise ValueError(f"{name} must be a {ndim}d array.")
    if pred_probs is not None and pred_probs_unlabeled is not None:
        if pred_probs.shape[-1] != pred_probs_unlabeled.shape[-1]:
            raise ValueError("pred_probs and pred_probs_unlabeled must have the same number of classes")


# ---------------------------------------------------------------------------------------------
# Exact helpers


def row_label_counts(L: np.ndarray, num_classes: int) -> np.ndarray:
    """Per row, the reference's ``value_counts(row labels, num_classes=K)`` as an int (N, K) matrix.

    Integer labels: counts at their class positions (a ``ValueError`` if a row misses a class and uses
    one >= K). Float labels (the quirk of spec §11): the counts of the row's distinct classes, in
    ascending class order, fill positions ``0..u-1`` (correct only when all K classes occur).
    """
    observed = ~np.isnan(L)
    values = L[observed]
    if len(values) and (not np.equal(np.mod(values, 1), 0).all() or values.min() < 0):
        raise ValueError("value_counts needs non-negative integer class labels here.")
    width = max(num_classes, int(values.max()) + 1 if len(values) else 0)
    counts = np.zeros((L.shape[0], width), dtype=int)
    rows = np.broadcast_to(np.arange(L.shape[0])[:, None], L.shape)[observed]
    np.add.at(counts, (rows, values.astype(int)), 1)
    distinct = (counts > 0).sum(axis=1)
    compact = np.take_along_axis(counts, np.argsort(counts == 0, axis=1, kind="stable"), axis=1)
    if np.issubdtype(L.dtype, np.integer):
        beyond = (distinct != num_classes) & (counts[:, num_classes:] > 0).any(axis=1)
        if beyond.any():
            raise ValueError(f"Required: num_classes > max(x), but {num_classes} <= {int(values.max())}.")
        out = np.where((distinct == num_classes)[:, None], compact[:, :num_classes], counts[:, :num_classes])
        return out
    if (distinct > num_classes).any():
        raise ValueError(f"could not broadcast the counts of more than {num_classes} classes into {num_classes}")
    return compact[:, :num_classes]


def masked_row_sums(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``[np.sum(values[i][mask[i]]) for i in rows]``, bit for bit, without a Python loop over rows.

    NumPy sums short runs left to right and long ones in 8 strided lanes, so padding with zeros would
    change roundings: rows are grouped by how many entries they keep and summed at that exact length.
    """
    values = np.broadcast_to(values, mask.shape)
    out = np.zeros(mask.shape[0], dtype=np.result_type(values.dtype, np.float64))
    kept = mask.sum(axis=1)
    for length in np.unique(kept):
        rows = np.flatnonzero(kept == length)
        if length:
            out[rows] = values[rows][mask[rows]].reshape(len(rows), length).sum(axis=1)
    return out


def stack_by_length(mask: np.ndarray) -> Sequence[tuple[np.ndarray, int]]:
    """Rows grouped by their number of True entries: ``[(row indices, length), ...]``."""
    kept = mask.sum(axis=1)
    return [(np.flatnonzero(kept == length), int(length)) for length in np.unique(kept)]
