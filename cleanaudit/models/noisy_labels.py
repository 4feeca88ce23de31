"""Training on noisy labels: what ``CleanLearning`` (cleanaudit/learning.py) does besides being an estimator.

Its arguments checked and encoded (labels, pred_probs, noise matrices, given label issues, sample
weights, fit kwargs), its parameters turned into options of ``engine.issues.label_issues``, and the
class weights of the final fit. Errors name CleanLearning's parameters; nothing here prints.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import pandas as pd

from cleanaudit import engine
from cleanaudit.engine.issues import label_issues as find_issues
from cleanaudit.engine.issues import latent_from_noise_matrices
from cleanaudit.models.crossval import out_of_fold_pred_probs
from cleanaudit.models.estimator import (
    checked_clf,
    decode_labels,
    encode_labels,
    label_classes,
    label_values,
    num_rows,
    unfitted_copy,
)

MIN_NOISE_RATE_FOR_WEIGHTS = 1e-3  # caps a class weight at 1000 when its estimated noise-rate diagonal is ~0


def the_labels(args: tuple, y: Any, labels: Any) -> Any:
    """The labels of ``fit(X, y)``, ``fit(X, y=...)`` or ``fit(X, labels=...)``: exactly one of them.

    >>> the_labels((), None, [0, 1])
    [0, 1]
    """
    if len(args) > 1:
        raise TypeError(f"CleanLearning.fit() takes from 2 to 3 positional arguments but {2 + len(args)} were given")
    given = {
        name: value
        for name, value in (("positional y", args[0] if args else None), ("y=", y), ("labels=", labels))
        if value is not None
    }
    if len(given) > 1:
        raise ValueError(f"give the labels once: either y or labels, not both (got {' and '.join(given)})")
    y = next(iter(given.values()), None)
    if y is None:
        raise ValueError("CleanLearning requires y to be passed, but the target y is None")
    return y


def fit_kwargs(
    clf: Any, clf_kwargs: dict | None, clf_final_kwargs: dict | None, sample_weight: Any
) -> tuple[dict, dict, bool]:
    """``(kwargs of every fit, kwargs of the final fit, whether clf.fit takes sample_weight)``, checked.

    >>> from sklearn.linear_model import LogisticRegression
    >>> fit_kwargs(LogisticRegression(), None, {"check_input": True}, None)
    ({}, {'check_input': True}, True)
    """
    from sklearn.utils.validation import has_fit_parameter

    clf_kwargs = dict(clf_kwargs or {})
    final_kwargs = {**clf_kwargs, **(clf_final_kwargs or {})}
    if "sample_weight" in clf_kwargs:
        raise ValueError(
            "pass sample_weight to fit() or in clf_final_kwargs, not in clf_kwargs "
            "(it would be applied to the cross-validation folds)"
        )
    takes_weights = has_fit_parameter(clf, "sample_weight")
    if sample_weight is not None:
        if not takes_weights:
            raise ValueError(f"sample_weight was given but {type(clf).__name__}.fit has no sample_weight parameter")
        if "sample_weight" in final_kwargs:
            raise ValueError("sample_weight is given twice: in fit() and in clf_final_kwargs")
    return clf_kwargs, final_kwargs, takes_weights


def encode_inputs(
    X, labels, pred_probs, noise_matrix, inverse_noise_matrix, *, need_X: bool, cv_folds: int | None = None
):
    """Validate and encode: (label values, classes, codes, pred_probs, noise_matrix, inverse).

    Without ``pred_probs``, ``cv_folds`` (when given) must not exceed the examples per class.

    >>> values, classes, codes, *_ = encode_inputs(None, ["b", "a", "b"], None, None, None, need_X=False)
    >>> classes.tolist(), codes.tolist()
    (['a', 'b'], [1, 0, 1])
    """
    y_values = label_values(labels)
    pred_probs = None if pred_probs is None else np.asarray(pred_probs)
    if pred_probs is not None and (pred_probs.ndim != 2 or len(pred_probs) != len(y_values)):
        raise ValueError(
            f"pred_probs must have shape (N, K) with N={len(y_values)} rows like the labels, got {pred_probs.shape}"
        )
    matrices = [m for m in (noise_matrix, inverse_noise_matrix) if m is not None]
    width = pred_probs.shape[1] if pred_probs is not None else (np.shape(matrices[0])[0] if matrices else None)
    classes = label_classes(y_values, width)
    codes = encode_labels(y_values, classes)
    noise_matrix = _checked_matrix(noise_matrix, "noise_matrix", len(classes))
    inverse_noise_matrix = _checked_matrix(inverse_noise_matrix, "inverse_noise_matrix", len(classes))
    if X is None:
        if need_X:
            raise ValueError("X is needed to cross-validate clf; pass X, or pred_probs (then X may be None)")
    elif num_rows(X) != len(y_values):
        raise ValueError(f"X has {num_rows(X)} rows but labels have {len(y_values)}")
    n, k = len(codes), len(classes)
    if pred_probs is None and cv_folds is not None and n / k < cv_folds:
        raise ValueError(
            f"{n} examples of {k} classes are too few for {cv_folds}-fold cross-validation; "
            "lower cv_n_folds (e.g. to 2 or 3) or pass pred_probs"
        )
    return y_values, classes, codes, pred_probs, noise_matrix, inverse_noise_matrix


def _checked_matrix(matrix: Any, name: str, k: int) -> np.ndarray | None:
    if matrix is None:
        return None
    m = np.asarray(matrix, dtype=float)
    if m.shape != (k, k):
        raise ValueError(f"{name} must be {k} x {k} (one row and column per class), got shape {m.shape}")
    if np.trace(m) <= 1:
        # A trace of at most 1 means no class is more often right than wrong: nothing to learn from.
        raise ValueError(f"trace({name}) is {np.round(np.trace(m), 2)}, but it must exceed 1")
    return m


def label_issues_frame(label_issues: Any, values: np.ndarray) -> pd.DataFrame:
    """``fit(label_issues=...)`` as a frame: a DataFrame with ``is_label_issue``, a bool mask, or row indices.

    >>> label_issues_frame(np.array([2]), np.array([0, 0, 1]))["is_label_issue"].tolist()
    [False, False, True]
    """
    n = len(values)
    if isinstance(label_issues, pd.DataFrame):
        if "is_label_issue" not in label_issues.columns:
            raise ValueError(
                "a label_issues DataFrame must have an 'is_label_issue' column "
                "(as returned by CleanLearning.find_label_issues)"
            )
        if len(label_issues) != n:
            raise ValueError(f"label_issues has {len(label_issues)} rows but labels have {n}")
        if "given_label" in label_issues.columns and np.any(label_issues["given_label"].to_numpy() != values):
            raise ValueError("label_issues['given_label'] does not match the labels: were they found on other data?")
        # fit adds columns to a copy (the caller's frame stays as it was); a sample_weight column
        # from an earlier fit would be stale.
        return label_issues.drop(columns="sample_weight", errors="ignore").copy()
    issues = np.asarray(label_issues)
    if issues.dtype == bool:
        if issues.shape != (n,):
            raise ValueError(
                f"a boolean label_issues mask must have one entry per example ({n}), got shape {issues.shape}"
            )
        return pd.DataFrame({"is_label_issue": issues})
    if issues.size == 0 or issues.dtype.kind in "iu":
        rows = issues.astype(np.intp).ravel()
        if len(np.unique(rows)) != len(rows):
            raise ValueError("label_issues given as row indices must not repeat an index")
        if len(rows) and (rows.min() < 0 or rows.max() >= n):
            raise ValueError(f"label_issues holds row indices outside 0..{n - 1}")
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        return pd.DataFrame({"is_label_issue": mask})
    raise ValueError(
        "label_issues must be a DataFrame with an 'is_label_issue' column, "
        f"a boolean mask or integer row indices, got dtype {issues.dtype}"
    )


DEFAULT_FIND_LABEL_ISSUES_KWARGS = {"min_examples_per_class": 10}
_UNSUPPORTED_FIND_KWARGS = ("return_indices_ranked_by", "multi_label")
_NO_EFFECT_FIND_KWARGS = (
    "rank_by_kwargs",
    "n_jobs",
    "verbose",
)  # find_label_issues takes them; the mask stays the same


def label_issue_options(
    find_label_issues_kwargs: dict | None,
    label_quality_scores_kwargs: dict | None,
    *,
    low_memory: bool,
    thresholds,
    noise_matrix,
    inverse_noise_matrix,
    pulearning,
    converge_latent_estimates: bool,
) -> dict:
    """Keyword arguments of ``engine.issues.label_issues`` for CleanLearning's parameters (spec §5 steps 2-3).

    Checked before any cross-validation; with ``low_memory`` the options it leaves unused warn.

    >>> options = label_issue_options({"filter_by": "both"}, {"method": "normalized_margin"}, low_memory=False,
    ...     thresholds=None, noise_matrix=None, inverse_noise_matrix=None, pulearning=None,
    ...     converge_latent_estimates=False)
    >>> options["filter_by"], options["min_examples_per_class"], options["rank_by"], options["rank_by_kwargs"]
    ('both', 10, 'normalized_margin', {})
    """
    from cleanaudit.engine import find_label_issues

    quality_kwargs = dict(label_quality_scores_kwargs or {})
    scoring = {"rank_by": quality_kwargs.pop("method", "self_confidence"), "rank_by_kwargs": quality_kwargs}
    if low_memory:
        unused = {
            "find_label_issues_kwargs": find_label_issues_kwargs,
            "thresholds": thresholds,
            "noise_matrix": noise_matrix,
            "inverse_noise_matrix": inverse_noise_matrix,
        }
        for name, value in unused.items():
            if value is not None and (not isinstance(value, dict) or value):
                warnings.warn(f"{name} is not used when low_memory=True", stacklevel=3)
        return {"low_memory": True, **scoring}
    kwargs = {**DEFAULT_FIND_LABEL_ISSUES_KWARGS, **(find_label_issues_kwargs or {})}
    for name in _UNSUPPORTED_FIND_KWARGS:
        if name in kwargs:
            raise ValueError(
                f"find_label_issues_kwargs cannot contain {name!r} in CleanLearning "
                f"(unsupported: {', '.join(_UNSUPPORTED_FIND_KWARGS)})"
            )
    accepted = inspect.signature(find_label_issues).parameters
    for name in kwargs:
        if name not in accepted or name in ("labels", "pred_probs"):  # what find_label_issues would refuse
            raise TypeError(f"find_label_issues() got an unexpected keyword argument {name!r}")
    for name in _NO_EFFECT_FIND_KWARGS:
        kwargs.pop(name, None)
    return {
        **kwargs,
        **scoring,
        "estimate_noise": True,
        "thresholds": thresholds,
        "noise_matrix": noise_matrix,
        "inverse_noise_matrix": inverse_noise_matrix,
        "pulearning": pulearning,
        "converge_latent_estimates": converge_latent_estimates,
    }


def checked_sample_weights(sample_weight: Any, n: int) -> np.ndarray:
    """``sample_weight`` as a 1-D float array of ``n`` weights.

    >>> checked_sample_weights([1, 2], 2).tolist()
    [1.0, 2.0]
    """
    weights = np.asarray(sample_weight, dtype=float)
    if weights.ndim != 1 or len(weights) != n:
        raise ValueError(f"sample_weight must be 1-D with one weight per example ({n}), got shape {weights.shape}")
    return weights


def pruned_fit_weights(noise_matrix: np.ndarray, codes: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Per-example weight of the final fit: ``1 / max(noise_matrix[k, k], 1e-3)`` for a kept example of class k, else 0.

    Pruning removes more from noisier classes; weighting by 1/P(given=k|true=k) restores the class
    balance of the true labels in the final fit.

    >>> pruned_fit_weights(np.array([[0.8, 0.1], [0.2, 0.9]]), np.array([0, 1, 0]), np.array([0, 1])).round(4).tolist()
    [1.25, 1.1111, 0.0]
    """
    per_class = 1.0 / np.maximum(np.diagonal(noise_matrix), MIN_NOISE_RATE_FOR_WEIGHTS)
    expanded = np.zeros(len(codes))
    expanded[kept] = per_class[codes[kept]]
    return expanded


def with_y_second(fit: Any) -> inspect.Signature:
    """The signature ``fit(self, X, y=None, *, labels=None, ...)`` of ``fit(self, X, *args, y=None, ...)``.

    What inspect, scikit-learn (``check_fit_score_takes_y``) and documentation tools see.

    >>> def fit(self, X, *args, y=None, labels=None): ...
    >>> str(with_y_second(fit))
    '(self, X, y=None, *, labels=None)'
    """
    self_, X, _, y, *rest = inspect.signature(fit).parameters.values()
    return inspect.signature(fit).replace(
        parameters=[self_, X, y.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD), *rest]
    )


def find_label_issues_for(
    model: Any, X, labels, *, pred_probs, thresholds, noise_matrix, inverse_noise_matrix, clf_kwargs, validation_func
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``CleanLearning.find_label_issues`` for ``model`` without storing the frame; also the label values and codes.

    Sets ``model``'s estimates (``classes_``, ``py_``, ``noise_matrix_``, ``inverse_noise_matrix_``,
    ``confident_joint_``); cross-validates ``model.clf`` unless ``pred_probs`` are given.
    """
    clf_kwargs = dict(clf_kwargs or {})
    X = model._as_2d(X)
    y_values, classes, codes, pred_probs, noise_matrix, inverse_noise_matrix = encode_inputs(
        X,
        labels,
        pred_probs,
        noise_matrix,
        inverse_noise_matrix,
        need_X=pred_probs is None,
        cv_folds=model.cv_n_folds,
    )
    model.classes_ = classes
    model.py_ = model.noise_matrix_ = model.inverse_noise_matrix_ = model.confident_joint_ = None
    options = label_issue_options(
        model.find_label_issues_kwargs,
        model.label_quality_scores_kwargs,
        low_memory=model.low_memory,
        thresholds=thresholds,
        noise_matrix=noise_matrix,
        inverse_noise_matrix=inverse_noise_matrix,
        pulearning=model.pulearning,
        converge_latent_estimates=model.converge_latent_estimates,
    )
    if pred_probs is None:
        model._info(f"Computing out-of-sample pred_probs with {model.cv_n_folds}-fold cross-validation.")
        pred_probs, _ = out_of_fold_pred_probs(
            checked_clf(model._base_clf()),
            X,
            y_values,
            codes,
            classes,
            folds=model.cv_n_folds,
            seed=model.seed,
            sequential=True,
            borrow_for_missing_classes=True,
            copy=unfitted_copy,
            fit_kwargs=clf_kwargs,
            validation_func=validation_func,
        )
    if not model.low_memory:
        model._info("Finding label issues from pred_probs.")
    found = find_issues(codes, pred_probs, **options)
    model.py_, model.noise_matrix_, model.inverse_noise_matrix_ = (
        found.py,
        found.noise_matrix,
        found.inverse_noise_matrix,
    )
    model.confident_joint_ = found.confident_joint
    frame = pd.DataFrame(
        {
            "is_label_issue": found.is_issue,
            "label_quality": found.label_quality,
            "given_label": decode_labels(codes, classes),
            "predicted_label": decode_labels(found.predicted_labels, classes),
        }
    )
    model._info(f"Found {found.num_issues} examples with label issues.")
    return frame, y_values, codes


def given_label_issues(
    model: Any, X, y, label_issues, pred_probs, noise_matrix, inverse_noise_matrix
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``CleanLearning.fit(label_issues=...)``: the frame (with ``label_quality`` when it can), label values, codes.

    Sets ``model.classes_`` and its estimates: from the given matrices, else those of an earlier
    call on the same classes, else None.
    """
    model._info("Using the given label_issues instead of finding label issues.")
    y_values, classes, codes, pred_probs, noise_matrix, inverse_noise_matrix = encode_inputs(
        X, y, pred_probs, noise_matrix, inverse_noise_matrix, need_X=True
    )
    frame = label_issues_frame(label_issues, y_values)
    if noise_matrix is not None or inverse_noise_matrix is not None:
        model.py_, model.noise_matrix_, model.inverse_noise_matrix_ = latent_from_noise_matrices(
            codes, noise_matrix, inverse_noise_matrix, num_classes=len(classes)
        )
        model.confident_joint_ = None
    elif getattr(model, "noise_matrix_", None) is None or not np.array_equal(getattr(model, "classes_", None), classes):
        model.py_ = model.noise_matrix_ = model.inverse_noise_matrix_ = model.confident_joint_ = None
    model.classes_ = classes
    if "label_quality" not in frame.columns and pred_probs is not None:
        frame["label_quality"] = engine.get_label_quality_scores(
            codes, pred_probs, **(model.label_quality_scores_kwargs or {})
        )
    return frame, y_values, codes


def weigh_final_fit(model: Any, frame: pd.DataFrame, final_kwargs: dict, codes, kept, sample_weight, takes_weights):
    """Put the final fit's ``sample_weight`` in ``final_kwargs`` (and the class weights in ``frame``).

    A given ``sample_weight`` is restricted to the ``kept`` rows; else, when ``clf.fit`` takes one,
    ``final_kwargs`` has none and ``model.noise_matrix_`` is set, each kept example gets its class
    weight (:func:`pruned_fit_weights`).
    """
    if sample_weight is not None:
        weights = checked_sample_weights(sample_weight, len(codes))
        final_kwargs["sample_weight"] = weights[kept]
    elif takes_weights and "sample_weight" not in final_kwargs and model.noise_matrix_ is not None:
        frame["sample_weight"] = expanded = pruned_fit_weights(model.noise_matrix_, codes, kept)
        final_kwargs["sample_weight"] = expanded[kept]
