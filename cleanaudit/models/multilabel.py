"""Out-of-fold pred_probs for multi-label data: one binary model per class (one-vs-rest).

Each class c gets its own binary model ("is c among the row's labels?") inside scikit-learn's
``OneVsRestClassifier``, after the same feature encoding as a single-label run
(:func:`cleanaudit.models.specs.build_model`). ``predict_proba`` then gives K independent
probabilities per row, which is what multi-label confident learning takes (rows need not sum to 1).

Folds: ``StratifiedKFold`` on one group per row, the row's rarest label (rows with no label form a
group of their own), so every class, rare ones first, is spread over the folds as evenly as whole
rows allow; groups smaller than the folds share one group. ``--model auto`` compares the presets by
the mean over classes of the clipped binary log loss (:mod:`cleanaudit.models.select` says why
clipped). One-vs-rest multiplies every model's cost by the number of classes, so the tree models
run with the bounded settings ``auto`` uses on large single-label data
(:func:`cleanaudit.models.select.bounded_params`: about 50 boosting rounds with early stopping, 30
trees on 20% bootstrap samples), and from ``AUTO_LARGE`` rows on ``auto`` fits logistic regression
alone.

>>> import pandas as pd
>>> X = pd.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 1.0, 1.1, 1.2, 1.3]})
>>> Y = np.array([[1, 0], [1, 0], [1, 1], [1, 0], [0, 1], [0, 1], [1, 1], [0, 1]])
>>> r = cross_val_multilabel_pred_probs(X, Y, model="logreg", cv=2)
>>> r.pred_probs.shape, r.model
((8, 2), 'logreg')
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cleanaudit.errors import ConfigError, InputError, ModelError
from cleanaudit.models.select import (
    AUTO_CANDIDATES,
    AUTO_LARGE,
    KNN_MAX_ROWS,
    SELECTION_CLIP,
    bounded_params,
    counter,
)

Progress = Callable[[str, int, int], None]

__all__ = ["MultilabelPredProbs", "cross_val_multilabel_pred_probs", "fold_groups", "mean_binary_log_loss"]


@dataclass
class MultilabelPredProbs:
    """(N, K) independent per-class probabilities and how they were obtained."""

    pred_probs: np.ndarray
    model: str
    cv_folds: int
    seed: int
    candidates: list[dict[str, Any]] = field(default_factory=list)  # --model auto: each preset's score
    warnings: list[str] = field(default_factory=list)


def cross_val_multilabel_pred_probs(
    features: pd.DataFrame,
    onehot: np.ndarray,
    *,
    model: str = "auto",
    model_params: dict | None = None,
    cv: int = 5,
    seed: int = 0,
    jobs: int | None = None,
    progress: Progress | None = None,
    trusted_modules: Sequence[str] | None = None,
) -> MultilabelPredProbs:
    """Out-of-fold one-vs-rest ``predict_proba`` for every row, one column per class (class order)."""
    onehot = np.asarray(onehot)
    if len(onehot) < cv:
        raise InputError(
            f"{len(onehot)} rows cannot be split into {cv} cross-validation folds", hint="lower --cv or add rows"
        )
    groups = fold_groups(onehot, cv)
    if model != "auto":
        probs, messages = _cross_validate(
            model, features, onehot, groups, model_params, cv, seed, jobs, progress, trusted_modules
        )
        return MultilabelPredProbs(probs, model, cv, seed, warnings=messages)
    if model_params:
        raise ConfigError(
            "--model-param needs a specific --model, not auto", hint=f"pick one of: {', '.join(AUTO_CANDIDATES)}"
        )
    names = AUTO_CANDIDATES if len(onehot) < AUTO_LARGE else ("logreg",)
    names = tuple(n for n in names if n != "knn" or len(onehot) <= KNN_MAX_ROWS)
    candidates: list[dict[str, Any]] = []
    kept: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name in names:
        params = bounded_params(name, len(onehot), 2, cv)  # each binary model: two classes
        try:
            probs, messages = _cross_validate(
                name, features, onehot, groups, params, cv, seed, jobs, progress, None, what=f"auto: trying {name}"
            )
        except ModelError as err:
            candidates.append({"model": name, "log_loss": None, "error": err.message})
            continue
        kept[name] = (probs, messages)
        record: dict[str, Any] = {"model": name, "log_loss": round(mean_binary_log_loss(onehot, probs), 6)}
        candidates.append(dict(record, params=params) if params else record)
    if not kept:
        raise ModelError(
            "model 'auto': every candidate failed to fit ("
            + "; ".join(f"{c['model']}: {c['error']}" for c in candidates)
            + ")",
            hint="check the feature columns, or give --pred-probs FILE",
        )
    best = min(kept, key=lambda n: mean_binary_log_loss(onehot, kept[n][0]))  # ties: the earlier candidate
    probs, messages = kept[best]
    return MultilabelPredProbs(probs, f"auto:{best}", cv, seed, candidates, messages)


def fold_groups(onehot: np.ndarray, cv: int) -> np.ndarray:
    """One stratification group per row: its rarest label; -1 for no label or a group too small for the folds.

    >>> fold_groups(np.array([[1, 0], [1, 1], [1, 0], [0, 0], [1, 1], [0, 1]]), 2).tolist()
    [0, 1, 0, -1, 1, 1]
    """
    onehot = np.asarray(onehot)
    counts = onehot.sum(axis=0)
    masked = np.where(onehot > 0, counts[None, :], np.iinfo(np.int64).max)
    groups = np.where(onehot.any(axis=1), masked.argmin(axis=1), -1)
    values, sizes = np.unique(groups, return_counts=True)
    small = values[sizes < cv]
    groups[np.isin(groups, small)] = -1
    return groups


def mean_binary_log_loss(onehot: np.ndarray, pred_probs: np.ndarray, clip: float = SELECTION_CLIP) -> float:
    """Mean over classes of the binary log loss, each probability kept in [clip, 1 - clip].

    >>> round(mean_binary_log_loss(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.2], [0.1, 0.8]])), 4)
    0.1643
    """
    p = np.clip(np.asarray(pred_probs, dtype=np.float64), clip, 1 - clip)
    y = np.asarray(onehot, dtype=bool)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def _cross_validate(
    spec: str,
    features: pd.DataFrame,
    onehot: np.ndarray,
    groups: np.ndarray,
    params: dict | None,
    cv: int,
    seed: int,
    jobs: int | None,
    progress: Progress | None,
    trusted_modules: Sequence[str] | None,
    what: str | None = None,
) -> tuple[np.ndarray, list[str]]:
    from sklearn.multiclass import OneVsRestClassifier

    from cleanaudit.models.crossval import out_of_fold_pred_probs
    from cleanaudit.models.specs import build_model

    pipeline = build_model(spec, features, params=params, seed=seed, trusted_modules=trusted_modules)
    pipeline.steps[-1] = ("model", OneVsRestClassifier(pipeline.steps[-1][1]))
    tick = counter(progress, what or f"cross-validating {spec} (one-vs-rest)", cv)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*least populated class.*")
            return out_of_fold_pred_probs(
                pipeline, features, onehot, groups, np.arange(onehot.shape[1]), folds=cv, seed=seed, jobs=jobs,
                tick=tick,
            )  # fmt: skip
    except (ModelError, ConfigError, InputError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as err:
        message = " ".join(str(err).split())
        raise ModelError(
            f"model '{spec}' failed to fit one-vs-rest: {type(err).__name__}: {message}",
            hint="check --model-param values, or try another --model",
        ) from None
