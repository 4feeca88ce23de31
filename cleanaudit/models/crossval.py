"""Out-of-sample predicted probabilities: K-fold cross-validation, or a ``--pred-probs`` file.

Folds come from ``StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)`` and the model
gets ``random_state=seed``, so the same inputs and seed give the same ``pred_probs`` to the bit,
whatever the number of parallel jobs. :func:`out_of_fold_pred_probs` is the one cross-validation:
the commands reach it through :func:`cross_val_pred_probs`, ``CleanLearning`` calls it directly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cleanaudit.errors import ConfigError, InputError, ModelError
from cleanaudit.errors import one_line as _one_line
from cleanaudit.models.estimator import align_columns, preview, take_rows
from cleanaudit.models.select import Candidate, Progress, counter, select_model
from cleanaudit.models.specs import build_model

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset


# Addressed to library developers, not to someone auditing data: not passed on.
_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


@dataclass
class PredProbsResult:
    """Predicted probabilities (N x K, class order) and how they were obtained."""

    pred_probs: np.ndarray
    model: str
    cv_folds: int | None
    seed: int | None
    source: str  # "cross-validation" or the --pred-probs file path
    candidates: list[Candidate] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # distinct warnings the model raised while fitting


def cross_val_pred_probs(
    features: pd.DataFrame,
    labels: np.ndarray,
    *,
    model: str = "auto",
    model_params: dict | None = None,
    cv: int = 5,
    seed: int = 0,
    jobs: int | None = None,
    progress: Progress | None = None,
    class_names: Sequence | None = None,
    trusted_modules: Sequence[str] | None = None,
) -> PredProbsResult:
    """Out-of-fold ``predict_proba`` for every row, columns in class order 0..K-1.

    ``model`` is a preset, ``package.module:Class``, or ``"auto"`` (:mod:`cleanaudit.models.select`:
    try ``AUTO_CANDIDATES``, keep the lowest out-of-fold log loss). ``class_names`` only make error messages clearer.
    ``trusted_modules`` go to ``build_model``: give them when ``model`` comes from a user.

    >>> X = pd.DataFrame({"x": [0.0, 0.1, 0.2, 1.0, 1.1, 1.2]})
    >>> r = cross_val_pred_probs(X, np.array([0, 0, 0, 1, 1, 1]), model="logreg", cv=3)
    >>> r.pred_probs.shape, r.model, r.source
    ((6, 2), 'logreg', 'cross-validation')
    """
    labels = _check_inputs(features, labels, cv)
    num_classes = max(int(labels.max()) + 1, len(class_names or ()))
    _check_class_counts(labels, num_classes, cv, class_names)
    if model == "auto":
        chosen = select_model(
            features, labels, num_classes, model_params, cv, seed, jobs, progress, cross_validate=_cross_validate
        )
        return PredProbsResult(
            chosen.pred_probs, f"auto:{chosen.winner}", cv, seed, "cross-validation", chosen.candidates, chosen.warnings
        )
    pipeline = build_model(model, features, params=model_params, seed=seed, trusted_modules=trusted_modules)
    pred_probs, messages = _cross_validate(
        pipeline,
        model,
        features,
        labels,
        num_classes,
        cv,
        seed,
        jobs,
        counter(progress, f"cross-validating {model}", cv),
    )
    return PredProbsResult(pred_probs, model, cv, seed, "cross-validation", warnings=messages)


def cross_val_pred_probs_for_dataset(dataset: Dataset, **options: Any) -> PredProbsResult:
    """``cross_val_pred_probs`` on a loaded ``Dataset`` (its features, labels and class names).

    >>> from cleanaudit.data.load import load_dataset
    >>> ds = load_dataset(["sample_data/tutorial/train.csv"], label="y", ignore=["y_int"])  # doctest: +SKIP
    >>> cross_val_pred_probs_for_dataset(ds, model="logreg").pred_probs.shape  # doctest: +SKIP
    (250, 4)
    """
    return cross_val_pred_probs(dataset.features, dataset.labels, class_names=dataset.class_names, **options)


def pred_probs_from_file(path: str | Path, *, class_names: Sequence, num_examples: int) -> PredProbsResult:
    """Read ``--pred-probs FILE`` into a ``PredProbsResult`` (model "precomputed", no folds or seed).

    >>> pred_probs_from_file("p.npy", class_names=["a", "b"], num_examples=3).model  # doctest: +SKIP
    'precomputed'
    """
    from cleanaudit.data.pred_probs import read_pred_probs

    matrix = read_pred_probs(path, class_names=class_names, num_examples=num_examples)
    return PredProbsResult(matrix, "precomputed", None, None, str(path))


# --- checks before any fitting ----------------------------------------------------------


def _check_inputs(features: pd.DataFrame, labels: np.ndarray, cv: int) -> np.ndarray:
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ConfigError(f"--cv must be a whole number of folds, at least 2 (got {cv!r})", hint="use e.g. --cv 5")
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or labels.size == 0 or labels.min() < 0:
        raise InputError(
            "labels must be a non-empty 1-D array of integer class codes 0..K-1",
            hint="encode them with load_dataset or np.unique(values, return_inverse=True)",
        )
    if len(features) != len(labels):
        raise InputError(
            f"features have {len(features)} rows but labels have {len(labels)}",
            hint="pass features and labels of the same rows",
        )
    if features.shape[1] == 0:
        raise InputError(
            "no feature columns to train a model on",
            hint="choose columns with --features, or give precomputed --pred-probs FILE",
        )
    return labels


def _check_class_counts(labels: np.ndarray, num_classes: int, cv: int, class_names: Sequence | None) -> None:
    """Refuse, naming them all at once, the classes with fewer examples than the folds."""
    counts = np.bincount(labels, minlength=num_classes)
    small = np.flatnonzero(counts < cv)
    if small.size == 0:
        return
    names = [repr(class_names[int(k)]) if class_names is not None else str(k) for k in small]
    fewest = int(counts[small].min())
    hint = (
        f"use --cv {fewest} (the smallest class count) or fewer folds"
        if fewest >= 2
        else "a class needs at least 2 examples to be cross-validated; relabel or drop its rows"
    )
    if small.size == 1:
        message = f"class {names[0]} has {fewest} example(s), fewer than the {cv} cross-validation folds (--cv)"
    else:
        listed = ", ".join(f"class {n} ({int(counts[k])} example(s))" for n, k in zip(names, small))
        message = f"{small.size} classes have fewer examples than the {cv} cross-validation folds (--cv): {listed}"
    raise ModelError(message, hint=hint)


# --- cross-validation ------------------------------------------------------------------


def out_of_fold_pred_probs(
    model: Any,
    X: Any,
    targets: np.ndarray,
    codes: np.ndarray,
    classes: np.ndarray,
    *,
    folds: int,
    seed: int | None,
    jobs: int | None = None,
    sequential: bool = False,
    borrow_for_missing_classes: bool = False,
    copy: Callable[[Any], Any] | None = None,
    fit_kwargs: dict | None = None,
    validation_func: Callable[[Any, np.ndarray], dict] | None = None,
    tick: Callable[[], None] | None = None,
    only_folds: Collection[int] | None = None,
    max_train_rows: int | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold ``predict_proba`` of ``model`` for every row (spec §1.7): the one cross-validation.

    Folds are ``StratifiedKFold(folds, shuffle=True, random_state=seed)`` on ``codes`` (0..K-1).
    Each fold fits ``copy(model)`` (default ``sklearn.base.clone``) on the rows of ``X`` and
    ``targets`` (what the model learns: the codes, or the label values), with ``fit_kwargs`` and
    what ``validation_func(X_holdout, targets_holdout)`` returns; columns follow ``classes`` (the
    values of ``model.classes_``), zeros for a class the fold's model never saw. With
    ``borrow_for_missing_classes``, a class absent from a training fold borrows its first holdout
    example (with a warning), whose out-of-fold prediction is then one-hot on its given label.

    Each fold is a joblib task on ``jobs`` workers with one BLAS thread, and the model's warnings
    come back as distinct messages (the second item); ``sequential`` fits the folds here, in order,
    and lets warnings reach the caller (no messages). ``tick`` is called after each fold.
    ``only_folds`` (fold indices from 0) fits those folds alone: the other rows stay all zero.
    ``max_train_rows`` fits each fold on a stratified sample of at most that many of its training
    rows (seeded by ``seed`` and the fold), for models whose cost grows faster than the rows.

    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]]); y = np.array([0, 0, 0, 1, 1, 1])
    >>> probs, _ = out_of_fold_pred_probs(LogisticRegression(), X, y, y, np.arange(2), folds=3, seed=0)
    >>> probs.shape, bool((probs.argmax(axis=1) == y).all())
    ((6, 2), True)
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    if validation_func is not None and not callable(validation_func):
        raise TypeError("validation_func must be a callable taking (X_holdout, y_holdout) and returning fit kwargs")
    codes = np.asarray(codes)
    if borrow_for_missing_classes:
        _check_every_class_present(codes, classes)
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros((len(codes), 1)), codes)
    holdouts: dict[int, tuple[np.ndarray, list[tuple[int, int]]]] = {}

    def fold_tasks():
        for index, (train, holdout) in enumerate(splits):
            if only_folds is not None and index not in only_folds:
                continue
            if max_train_rows is not None and len(train) > max_train_rows:
                train = stratified_sample(train, codes[train], max_train_rows, seed=(seed or 0) * 1000 + index)
            lent = _borrowed(codes, train, holdout, classes, folds) if borrow_for_missing_classes else []
            if lent:
                train = np.concatenate([train, holdout[[pos for _, pos in lent]]])
            holdouts[index] = (holdout, lent)
            yield index, train, holdout

    pred_probs = np.zeros((len(codes), len(classes)), dtype=np.float64)
    messages: dict[str, None] = {}  # ordered set
    fold_args = (model, X, targets, classes, copy or clone, dict(fit_kwargs or {}), validation_func)
    results: Any
    if sequential:
        results = ((index, _fold(train, holdout, *fold_args), []) for index, train, holdout in fold_tasks())
    else:
        from joblib import Parallel, delayed

        tasks = (delayed(_isolated_fold)(index, train, holdout, *fold_args) for index, train, holdout in fold_tasks())
        results = Parallel(n_jobs=jobs, return_as="generator_unordered")(tasks)
    for index, probs, fold_messages in results:
        holdout, lent = holdouts[index]
        for c, pos in lent:
            probs[pos] = 0.0
            probs[pos, c] = 1.0
        pred_probs[holdout] = probs
        messages.update(dict.fromkeys(fold_messages))
        if tick is not None:
            tick()
    return pred_probs, list(messages)


def stratified_sample(rows: np.ndarray, codes: np.ndarray, size: int, *, seed: int) -> np.ndarray:
    """About ``size`` of ``rows``, each class in proportion and at least once, sorted.

    >>> stratified_sample(np.arange(100), np.repeat([0, 1], [90, 10]), 20, seed=0).size
    20
    """
    rng = np.random.default_rng(seed)
    fraction = size / len(rows)
    chosen = []
    for code in np.unique(codes):
        members = rows[codes == code]
        take = min(len(members), max(1, round(len(members) * fraction)))
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen))


def _check_every_class_present(codes: np.ndarray, classes: np.ndarray) -> None:
    counts = np.bincount(codes, minlength=len(classes))
    if counts.min() == 0:
        raise ValueError(
            f"class {preview(classes[counts == 0])} has no examples, so it cannot be "
            "cross-validated; pass pred_probs instead"
        )


def _borrowed(
    codes: np.ndarray, train: np.ndarray, holdout: np.ndarray, classes: np.ndarray, folds: int
) -> list[tuple[int, int]]:
    """(class, position in holdout) of the first holdout example of each class missing from ``train``.

    A class missing from the training fold would leave the fold's model unable to predict it: that
    example is also trained on, and its prediction is its given label outright.
    """
    present = np.zeros(len(classes), dtype=bool)
    present[codes[train]] = True
    lent = [(int(c), int(np.flatnonzero(codes[holdout] == c)[0])) for c in np.flatnonzero(~present)]
    if lent:
        warnings.warn(
            f"classes {[classes[c] for c, _ in lent]} have too few examples for "
            f"{folds}-fold cross-validation: one example each was also put in the training fold",
            stacklevel=5,
        )
    return lent


def _fold(train, holdout, model, X, targets, classes, copy, fit_kwargs, validation_func) -> np.ndarray:
    """Fit a copy of ``model`` on ``train``, predict ``holdout`` (columns in ``classes`` order)."""
    fitted = copy(model)
    X_holdout = take_rows(X, holdout)
    extra = validation_func(X_holdout, targets[holdout]) if validation_func is not None else {}
    fitted.fit(take_rows(X, train), targets[train], **fit_kwargs, **extra)  # fit's return value may be None
    return np.array(align_columns(fitted, fitted.predict_proba(X_holdout), classes), dtype=float)


def _isolated_fold(index: int, *args: Any) -> tuple[int, np.ndarray, list[str]]:
    """``_fold`` in a joblib worker: it returns warnings instead of showing them.

    One thread per fold: parallelism comes from running folds side by side (``jobs``). Nested
    BLAS/OpenMP thread pools oversubscribe the cores, and on a busy machine that makes small
    fits (hist-gb above all) tens of times slower.
    """
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        warnings.simplefilter("always")
        probs = _fold(*args)
    messages = [
        f"{w.category.__name__}: {_one_line(w.message)}"
        for w in caught
        if not issubclass(w.category, _DEVELOPER_WARNINGS)
    ]
    return index, probs, messages


def _cross_validate(
    pipeline: Any,
    name: str,
    features: pd.DataFrame,
    labels: np.ndarray,
    num_classes: int,
    cv: int,
    seed: int,
    jobs: int | None,
    tick: Callable[[], None],
    only_folds: Collection[int] | None = None,
    max_train_rows: int | None = None,
) -> tuple[np.ndarray, list[str]]:
    """The CLI's cross-validation: codes as targets, joblib folds, failures as one-line ``ModelError``."""
    try:
        # A class missing from a training fold keeps probability 0 (cannot happen after
        # _check_class_counts, since every class has >= cv examples).
        return out_of_fold_pred_probs(
            pipeline,
            features,
            labels,
            labels,
            np.arange(num_classes),
            folds=cv,
            seed=seed,
            jobs=jobs,
            tick=tick,
            only_folds=only_folds,
            max_train_rows=max_train_rows,
        )
    except (ModelError, ConfigError, InputError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as err:
        raise ModelError(
            f"model '{name}' failed to fit: {type(err).__name__}: {_one_line(err)}",
            hint="check --model-param values, or try another --model",
        ) from None
