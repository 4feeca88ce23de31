"""Fit one model on training rows and score other rows with it (no cross-validation).

Used by ``find-issues TEST --train TRAIN``, by ``clean --test`` (the baseline and cleaned fits)
and by ``--from-model``. Out-of-sample probabilities for the training rows themselves come from
:mod:`cleanaudit.models.crossval` instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cleanaudit.errors import InputError, ModelError
from cleanaudit.errors import name_list as _names
from cleanaudit.errors import one_line as _one_line
from cleanaudit.models.specs import build_model

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.models.select import Candidate, Progress

_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


@dataclass
class ResolvedModel:
    """A concrete model spec; for ``auto``, the preset that won the cross-validated comparison."""

    spec: str
    label: str  # how reports name it: "logreg", or "auto:logreg"
    candidates: list[Candidate] = field(default_factory=list)


def resolve_model(
    spec: str,
    features: pd.DataFrame,
    labels: np.ndarray,
    *,
    cv: int = 5,
    seed: int = 0,
    jobs: int | None = None,
    progress: Progress | None = None,
    class_names: Sequence | None = None,
) -> ResolvedModel:
    """``spec`` itself, or for ``"auto"`` the preset with the lowest out-of-fold log loss.

    >>> resolve_model("logreg", pd.DataFrame({"x": [0.0, 1.0]}), np.array([0, 1])).spec
    'logreg'
    """
    if spec != "auto":
        return ResolvedModel(spec, spec)
    from cleanaudit.models.crossval import cross_val_pred_probs

    result = cross_val_pred_probs(
        features, labels, model="auto", cv=cv, seed=seed, jobs=jobs, progress=progress, class_names=class_names
    )
    return ResolvedModel(model_spec(result.model), result.model, result.candidates)


def model_spec(name: str) -> str:
    """The buildable spec behind a reported model name (``auto:logreg`` -> ``logreg``).

    >>> model_spec("auto:hist-gb"), model_spec("sklearn.svm:SVC")
    ('hist-gb', 'sklearn.svm:SVC')
    """
    return name.split(":", 1)[1] if name.startswith("auto:") else name


def supports_sample_weight(model: Any) -> bool:
    """Whether the final estimator of ``model`` (a cleanaudit pipeline or a bare estimator) takes sample weights.

    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> logreg = build_model("logreg", pd.DataFrame({"x": [0.0]}))
    >>> supports_sample_weight(logreg), supports_sample_weight(KNeighborsClassifier())
    (True, False)
    """
    from sklearn.utils.validation import has_fit_parameter

    estimator = getattr(model, "named_steps", {}).get("model", model)
    return has_fit_parameter(estimator, "sample_weight")


def fit_model(
    spec: str,
    features: pd.DataFrame,
    labels: np.ndarray,
    *,
    model_params: dict | None = None,
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
) -> tuple[Any, list[str]]:
    """A fresh pipeline for ``spec`` fitted on all rows; returns it and the distinct warnings it raised.

    ``sample_weight`` goes to the final estimator (raises ``ModelError`` if it takes none).

    >>> model, notes = fit_model("logreg", pd.DataFrame({"x": [0.0, 0.1, 1.0, 1.1]}), np.array([0, 0, 1, 1]))
    >>> model.predict(pd.DataFrame({"x": [1.2]})).tolist()
    [1]
    """
    pipeline = build_model(spec, features, params=model_params, seed=seed)
    kwargs: dict[str, Any] = {}
    if sample_weight is not None:
        if not supports_sample_weight(pipeline):
            raise ModelError(
                f"model '{spec}' does not accept sample weights",
                hint="choose a model that does (logreg, random-forest, hist-gb)",
            )
        kwargs["model__sample_weight"] = np.asarray(sample_weight, dtype=np.float64)
    return run_quietly(lambda: pipeline.fit(features, labels, **kwargs), spec)


def predict_pred_probs(model: Any, features: pd.DataFrame, num_classes: int) -> np.ndarray:
    """``predict_proba`` as an N x K matrix in class-code order (a class the model never saw gets 0).

    >>> model, _ = fit_model("logreg", pd.DataFrame({"x": [0.0, 1.0]}), np.array([0, 2]))
    >>> predict_pred_probs(model, pd.DataFrame({"x": [0.0]}), 3).shape
    (1, 3)
    """
    probs, _ = run_quietly(lambda: np.asarray(model.predict_proba(features), dtype=np.float64), "model")
    classes = np.asarray(model.classes_).astype(np.intp)
    out = np.zeros((len(features), num_classes), dtype=np.float64)
    out[:, classes] = probs
    return out


def score_with_training_data(
    train: Dataset,
    data: Dataset,
    spec: str,
    *,
    model_params: dict | None = None,
    cv: int = 5,
    seed: int = 0,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> tuple[np.ndarray, ResolvedModel, list[str]]:
    """Fit ``spec`` on ``train`` and return ``data``'s pred_probs (not cross-validated), the model and warnings.

    Both datasets must have the same classes and feature columns (``InputError`` otherwise).
    ``auto`` is resolved by cross-validation on ``train`` only.

    >>> from cleanaudit.data.load import load_dataset
    >>> tr = load_dataset(["sample_data/tutorial/train.csv"], label="y", ignore=["y_int"])  # doctest: +SKIP
    >>> te = load_dataset(["sample_data/tutorial/test.csv"], label="y", ignore=["y_int"])  # doctest: +SKIP
    >>> score_with_training_data(tr, te, "logreg")[0].shape  # doctest: +SKIP
    (250, 4)
    """
    check_same_classes(train, data, option="--train")
    train_columns, data_columns = list(train.features.columns), list(data.features.columns)
    if train_columns != data_columns:
        missing = [c for c in train_columns if c not in data_columns]
        extra = [c for c in data_columns if c not in train_columns]
        raise InputError(
            f"--train {_where(train)} and {_where(data)} have different feature columns "
            f"(only in train: {_names(missing)}; only in data: {_names(extra)})",
            hint="give both files the same columns, or choose them with --features / --ignore",
        )
    resolved = resolve_model(
        spec,
        train.features,
        train.labels,
        cv=cv,
        seed=seed,
        jobs=jobs,
        progress=progress,
        class_names=train.class_names,
    )
    model, messages = fit_model(resolved.spec, train.features, train.labels, model_params=model_params, seed=seed)
    return predict_pred_probs(model, data.features, train.num_classes), resolved, messages


def check_same_classes(reference: Dataset, data: Dataset, *, option: str) -> None:
    """Raise ``InputError`` unless both datasets have exactly the same class names."""
    if list(reference.class_names) == list(data.class_names):
        return
    only_ref = [c for c in reference.class_names if c not in data.class_names]
    only_data = [c for c in data.class_names if c not in reference.class_names]
    raise InputError(
        f"{option} {_where(reference)} and {_where(data)} have different classes "
        f"(only in {option}: {_names(only_ref)}; only in {_where(data)}: {_names(only_data)})",
        hint="both must hold the same label values; check --label, or merge or drop classes first",
    )


def run_quietly(step: Any, name: str) -> tuple[Any, list[str]]:
    """Run ``step()``, collecting its warnings as text; a failure becomes a one-line ``ModelError``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = step()
        except (ModelError, InputError, KeyboardInterrupt, MemoryError):
            raise
        except Exception as err:
            raise ModelError(
                f"model '{name}' failed: {type(err).__name__}: {_one_line(err)}",
                hint="check --model-param values, or try another --model",
            ) from None
    messages = dict.fromkeys(
        f"{w.category.__name__}: {_one_line(w.message)}"
        for w in caught
        if not issubclass(w.category, _DEVELOPER_WARNINGS)
    )
    return result, list(messages)


def _where(dataset: Dataset) -> str:
    return ", ".join(str(p) for p in dataset.paths) or "the data"
