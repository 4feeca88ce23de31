"""Any classifier, used the same way: fresh copies to fit, rows by position, columns in class order.

What :func:`cleanaudit.models.crossval.out_of_fold_pred_probs` and ``CleanLearning`` need to work
with a scikit-learn estimator or any object with ``fit``/``predict``/``predict_proba``, and with
labels that are any sortable values (classes in sorted order, codes 0..K-1 for the engine).
scikit-learn is imported where it is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def checked_clf(clf: Any) -> Any:
    """``clf`` itself, once it is known to define ``fit``, ``predict`` and ``predict_proba``.

    >>> checked_clf(object())
    Traceback (most recent call last):
    ...
    TypeError: clf must define fit(), predict() and predict_proba(); object lacks fit(), predict(), predict_proba()
    """
    missing = [name for name in ("fit", "predict", "predict_proba") if not hasattr(clf, name)]
    if missing:
        raise TypeError(
            f"clf must define fit(), predict() and predict_proba(); {type(clf).__name__} lacks "
            + ", ".join(f"{name}()" for name in missing)
        )
    return clf


def unfitted_copy(clf: Any) -> Any:
    """A fresh copy of clf to fit (the user's object is never fitted in place).

    >>> from sklearn.linear_model import LogisticRegression
    >>> unfitted_copy(LogisticRegression(C=2.0))
    LogisticRegression(C=2.0)
    """
    from sklearn.base import clone

    try:
        # clone rebuilds anything with get_params from its parameters, BaseEstimator or not; safe=False
        # deep-copies an object without get_params instead, as sklearn documents for non-estimators.
        return clone(clf, safe=False)
    except Exception as err:
        raise TypeError(
            f"clf could not be copied for fitting ({err}); give it a get_params() that returns "
            "its constructor's arguments, or make it deep-copyable"
        ) from err


def num_rows(X: Any) -> int:
    """Number of rows of an array, DataFrame, sparse matrix or sequence.

    >>> num_rows([[1, 2], [3, 4], [5, 6]]), num_rows(np.zeros((4, 2)))
    (3, 4)
    """
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    return len(X) if hasattr(X, "__len__") else len(np.asarray(X))


def take_rows(X: Any, rows: np.ndarray) -> Any:
    """Rows of X by position, keeping its type where possible (DataFrame, sparse, array, list).

    >>> take_rows([[1], [2], [3]], np.array([2, 0]))
    [[3], [1]]
    """
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if hasattr(X, "tocsr") and hasattr(X, "format"):  # scipy sparse: only CSR/CSC index rows
        return (X if X.format in ("csr", "csc") else X.tocsr())[rows]
    if isinstance(X, np.ndarray):
        return X[rows]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in rows]
    return np.asarray(X)[rows]


def align_columns(model: Any, probs: Any, classes: np.ndarray) -> np.ndarray:
    """predict_proba columns in ``classes`` order, zeros for classes the model never saw.

    >>> class Fitted:
    ...     classes_ = np.array([0, 2])
    >>> align_columns(Fitted(), np.array([[0.3, 0.7]]), np.arange(3)).tolist()
    [[0.3, 0.0, 0.7]]
    """
    probs = np.asarray(probs)
    seen = getattr(model, "classes_", None)
    if seen is None or (len(seen) == len(classes) and np.array_equal(seen, classes)):
        if probs.ndim != 2 or probs.shape[1] != len(classes):
            raise ValueError(
                f"{type(model).__name__}.predict_proba returned shape {probs.shape}, "
                f"expected one column per class ({len(classes)})"
            )
        return probs
    seen = np.asarray(seen)
    where = np.searchsorted(classes, seen).clip(0, len(classes) - 1)
    if not np.array_equal(classes[where], seen):
        raise ValueError(
            f"{type(model).__name__} predicts classes {preview(seen)} that are not in classes_ ({preview(classes)})"
        )
    out = np.zeros((len(probs), len(classes)), dtype=probs.dtype)
    out[:, where] = probs
    return out


def with_input_tags_of(clf: Any, tags: Any) -> Any:
    """A wrapper's scikit-learn tags (>= 1.6) taking what X may hold from the wrapped ``clf``.

    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> tags = with_input_tags_of(HistGradientBoostingClassifier(), LogisticRegression().__sklearn_tags__())
    >>> tags.input_tags.allow_nan
    True
    """
    from sklearn.utils import get_tags

    try:
        inner = get_tags(clf)
    except AttributeError:  # a duck-typed clf (not a BaseEstimator) declares no tags: keep the defaults
        return tags
    # What X may hold is the wrapped classifier's business.
    tags.input_tags.sparse = inner.input_tags.sparse
    tags.input_tags.allow_nan = inner.input_tags.allow_nan
    tags.input_tags.string = inner.input_tags.string
    tags.input_tags.categorical = inner.input_tags.categorical
    return tags


def preview(values: np.ndarray, limit: int = 5) -> str:
    """The first ``limit`` values, for messages.

    >>> preview(np.arange(7))
    '0, 1, 2, 3, 4, ...'
    """
    shown = ", ".join(repr(v) for v in values[:limit].tolist())
    return shown + (", ..." if len(values) > limit else "")


# --- labels as class values ------------------------------------------------------------------


def label_values(labels: Any) -> np.ndarray:
    """Labels as a 1-D array of class values (a column vector is raveled with a warning, like sklearn).

    >>> label_values(("b", "a")).tolist()
    ['b', 'a']
    """
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import column_or_1d

    values = column_or_1d(labels, warn=True)
    if len(values) == 0:
        raise ValueError("labels are empty: at least 2 examples of 2 classes are needed")
    check_classification_targets(values)  # rejects continuous targets, NaN and inf
    return values


def label_classes(values: np.ndarray, width: int | None) -> np.ndarray:
    """Sorted class values; integer labels 0..K-1 may leave classes of a K-column pred_probs unseen.

    >>> label_classes(np.array(["b", "a", "b"]), None).tolist(), label_classes(np.array([0, 2]), 4).tolist()
    (['a', 'b'], [0, 1, 2, 3])
    """
    classes = np.unique(values)
    if width is not None and width != len(classes):
        fits_codes = values.dtype.kind in "iu" and classes[0] >= 0 and classes[-1] < width
        if not (width > len(classes) and fits_codes):
            raise ValueError(
                f"pred_probs/noise matrices have {width} classes but the labels have {len(classes)} "
                f"distinct values ({preview(classes)}); give one column per class, in sorted order"
            )
        classes = np.arange(width)
    if len(classes) < 2:
        raise ValueError(f"labels must have at least 2 classes; only one class is present: {classes[0]!r}")
    return classes


def encode_labels(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Codes 0..K-1 of label values (their positions in the sorted ``classes``).

    >>> encode_labels(np.array(["b", "a"]), np.array(["a", "b"])).tolist()
    [1, 0]
    """
    return np.searchsorted(classes, values).astype(np.intp)


def decode_labels(codes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Class values for codes; int16 codes when the classes are 0..K-1 (as the reference returns).

    >>> decode_labels(np.array([1, 0]), np.array(["a", "b"])).tolist(), decode_labels(np.array([1]), np.arange(2)).dtype
    (['b', 'a'], dtype('int16'))
    """
    k = len(classes)
    if classes.dtype.kind in "iu" and np.array_equal(classes, np.arange(k)):
        return codes.astype(np.int16 if k < np.iinfo(np.int16).max else np.int32)
    return classes[codes]
