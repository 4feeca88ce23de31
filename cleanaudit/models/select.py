"""``--model auto``: choose the preset whose out-of-fold predictions fit the given labels best.

The comparison is by log loss with the probabilities clipped at ``SELECTION_CLIP`` (then
renormalised), on the same folds as the final run (``StratifiedKFold`` with the run's seed), on a
stratified subsample for large data; ties go to the earlier candidate.

Why clipped: the labels being audited are noisy, so a good model *should* give some given labels
a probability near 0 — those are the label errors. Plain log loss charges such a row without
bound (a tree or neighbour model that outputs an exact 0 scores ~34 on it), so one mislabelled
row can rule out the model that separates the classes best. Clipped, a row costs at most
``-ln(SELECTION_CLIP)`` (6.9) and the score measures how well the model fits the bulk of the
labels. On the detection benchmark's noisy tables (bench/detection.py) choosing by the clipped
score was never worse than logistic regression and found more label errors on average than
choosing by plain log loss.

From ``AUTO_LARGE`` rows on, the run must stay within a few logistic regressions' CPU time (the
trees of an unbounded random forest alone cost 40x one on 50,000 rows), so ``auto`` changes in
three ways, each recorded with the candidates and said in a note:

- each candidate is scored on one fold (fold 1 of ``cv``: a fifth of the rows at 5 folds), and only
  the winner fits the other folds, whose out-of-fold predictions then complete fold 1's. The
  result is exactly what cross-validating the winner (with the same settings) would give;
- the tree models run with bounded settings (``bounded_params``): hist-gb with at most about 100
  trees in all (one per class per round) and early stopping, random-forest with 30 trees grown on
  20% bootstrap samples, and both fit each fold on at most ``TREE_MAX_TRAIN_ROWS`` of its training
  rows (a stratified sample), so their cost stops growing with the rows;
- knn, whose cost grows with the square of the rows, is left out above ``KNN_MAX_ROWS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleanaudit.errors import ConfigError, ModelError
from cleanaudit.models.specs import build_model

Progress = Callable[[str, int, int], None]
# (pipeline, name, features, labels, num_classes, cv, seed, jobs, tick) -> (pred_probs, warnings)
CrossValidate = Callable[..., tuple[np.ndarray, list[str]]]

AUTO_CANDIDATES: tuple[str, ...] = ("logreg", "hist-gb", "random-forest", "knn")
AUTO_LARGE = 10_000  # from this many rows on, "auto" scores candidates on one fold, with bounded settings
KNN_MAX_ROWS = 25_000  # above this, knn's all-pairs distances cost more than the budget: left out
HIST_GB_MAX_TREES = 100  # bounded hist-gb: rounds x trees per round (1 for two classes, else one per class)
TREE_MAX_TRAIN_ROWS = 15_000  # bounded tree models fit each fold on a stratified sample of at most this many rows
SELECTION_CLIP = 1e-3  # probabilities below this count as this in the selection score


@dataclass
class Candidate:
    """One model tried by ``--model auto``, scored on the selection rows."""

    name: str
    log_loss: float
    accuracy: float
    seconds: float
    error: str | None = None  # why it failed to fit (its log_loss is then inf)
    clipped_log_loss: float = float("inf")  # the selection score: log loss of probabilities clipped at SELECTION_CLIP
    rows: int = 0  # rows it was scored on (all of them, or one fold's on large data)
    params: dict[str, Any] = field(default_factory=dict)  # settings beyond the preset's (bounded, on large data)
    max_train_rows: int | None = None  # each fold fit on at most this many training rows (bounded tree models)

    def record(self) -> dict[str, Any]:
        """The candidate as JSON ``run.model_candidates`` and the comparison table hold it."""
        return {
            "model": self.name,
            "log_loss": self.log_loss,
            "clipped_log_loss": self.clipped_log_loss,
            "accuracy": self.accuracy,
            "seconds": self.seconds,
            "error": self.error,
            "rows": self.rows,
            "params": self.params,
            "max_train_rows": self.max_train_rows,
        }


@dataclass
class Selection:
    """The chosen preset's out-of-fold pred_probs on all rows, and every candidate's scores."""

    winner: str
    pred_probs: np.ndarray
    warnings: list[str]
    candidates: list[Candidate]


def select_model(
    features: Any,
    labels: np.ndarray,
    num_classes: int,
    model_params: Any,
    cv: int,
    seed: int,
    jobs: Any,
    progress: Progress | None,
    *,
    cross_validate: CrossValidate,
    complete: bool = True,
) -> Selection:
    """``--model auto``: cross-validate every candidate, keep the one with the lowest clipped log loss.

    ``cross_validate`` is the run's own cross-validation (:mod:`cleanaudit.models.crossval` passes
    it), so both use the same folds; it takes ``only_folds`` (fold indices) for the large-data plan.
    From ``AUTO_LARGE`` rows on, candidates are scored on fold 1 alone, with ``bounded_params``;
    ``complete=False`` then stops at the choice (only fold 1's rows of ``pred_probs`` are out-of-fold
    predictions), for a caller that fits the winner its own way.
    """
    if model_params:
        raise ConfigError(
            "--model-param needs a specific --model, not auto", hint=f"pick one of: {', '.join(AUTO_CANDIDATES)}"
        )
    large = len(labels) >= AUTO_LARGE
    names = large_candidates(len(labels)) if large else AUTO_CANDIDATES
    scored_folds = [0] if large else None  # None: every fold
    total = len(names) * (1 if large else cv) + (cv - 1 if large else 0)
    done = [0]
    rows = np.arange(len(labels)) if not large else fold_rows(labels, cv, seed, 0)

    candidates: list[Candidate] = []
    kept: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name in names:
        params = bounded_params(name, len(labels), num_classes, cv) if large else {}
        plan = _plan(large, name, scored_folds)
        tick = counter(progress, f"auto: trying {name}", total, done)
        start = time.perf_counter()
        try:
            pipeline = build_model(name, features, params=params, seed=seed)
            probs, messages = cross_validate(
                pipeline, name, features, labels, num_classes, cv, seed, jobs, tick, **plan
            )
        except ModelError as err:
            seconds = time.perf_counter() - start
            failed = Candidate(
                name,
                float("inf"),
                float("nan"),
                seconds,
                err.message,
                rows=len(rows),
                params=params,
                max_train_rows=plan.get("max_train_rows"),
            )
            candidates.append(failed)
            done[0] = (1 if large else cv) * len(candidates)
            continue
        seconds = time.perf_counter() - start
        candidates.append(_scored(name, labels[rows], probs[rows], seconds, params, plan.get("max_train_rows")))
        kept[name] = (probs, messages)
    fitted = [c for c in candidates if c.error is None]
    if not fitted:
        raise ModelError(
            "model 'auto': every candidate failed to fit ("
            + "; ".join(f"{c.name}: {c.error}" for c in candidates)
            + ")",
            hint="check the feature columns, or give --pred-probs FILE",
        )
    best = min(fitted, key=lambda c: c.clipped_log_loss)  # ties: the earlier candidate wins
    probs, messages = kept[best.name]
    if large and complete:  # the winner's other folds complete fold 1's predictions
        pipeline = build_model(best.name, features, params=best.params, seed=seed)
        rest, more = cross_validate(
            pipeline,
            best.name,
            features,
            labels,
            num_classes,
            cv,
            seed,
            jobs,
            counter(progress, f"cross-validating {best.name}", total, done),
            **_plan(large, best.name, list(range(1, cv))),
        )
        probs = probs.copy()
        others = np.ones(len(labels), dtype=bool)
        others[rows] = False
        probs[others] = rest[others]
        messages = list(dict.fromkeys(messages + more))
    return Selection(best.name, probs, messages, candidates)


def large_candidates(num_rows: int) -> tuple[str, ...]:
    """The presets ``auto`` tries on ``num_rows`` rows from ``AUTO_LARGE`` on (knn only up to ``KNN_MAX_ROWS``).

    >>> large_candidates(20_000), large_candidates(50_000)
    (('logreg', 'hist-gb', 'random-forest', 'knn'), ('logreg', 'hist-gb', 'random-forest'))
    """
    return tuple(name for name in AUTO_CANDIDATES if name != "knn" or num_rows <= KNN_MAX_ROWS)


def bounded_params(name: str, num_rows: int, num_classes: int, cv: int) -> dict[str, Any]:
    """The settings ``auto`` gives a preset on large data, so that its cost grows no faster than logreg's.

    hist-gb: learning rate 0.2 with early stopping, and at most ``HIST_GB_MAX_TREES`` trees in all
    (it grows one per class per round, one for two classes); random-forest: 30 trees, each on a 20%
    bootstrap sample. The others as they are. (Both tree models also fit each fold on at most
    ``TREE_MAX_TRAIN_ROWS`` rows: a ``cross_validate`` option, not an estimator parameter.)

    >>> bounded_params("hist-gb", 50_000, 4, 5)["max_iter"], bounded_params("random-forest", 50_000, 2, 5)
    (25, {'n_estimators': 30, 'max_samples': 0.2})
    """
    if name == "hist-gb":
        per_round = 1 if num_classes <= 2 else num_classes
        rounds = max(10, min(50, HIST_GB_MAX_TREES // per_round))
        return {"learning_rate": 0.2, "max_iter": rounds, "early_stopping": True, "n_iter_no_change": 3}
    if name == "random-forest":
        return {"n_estimators": 30, "max_samples": 0.2}
    return {}


def _plan(large: bool, name: str, folds: list[int] | None) -> dict[str, Any]:
    """The ``cross_validate`` options of a candidate: which folds, and the training-row bound of tree models."""
    if not large:
        return {}
    bounded = name in ("hist-gb", "random-forest")
    return {"only_folds": folds, "max_train_rows": TREE_MAX_TRAIN_ROWS if bounded else None}


def fold_rows(labels: np.ndarray, cv: int, seed: int, index: int) -> np.ndarray:
    """The rows held out by fold ``index`` of the run's folds (``StratifiedKFold(cv, shuffle=True, seed)``).

    >>> fold_rows(np.array([0, 1] * 5), 5, 0, 0).size
    2
    """
    from sklearn.model_selection import StratifiedKFold

    splits = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed).split(np.zeros((len(labels), 1)), labels)
    for position, (_, holdout) in enumerate(splits):
        if position == index:
            return holdout
    raise IndexError(f"fold {index} of {cv}")


def _scored(
    name: str, labels: np.ndarray, probs: np.ndarray, seconds: float, params: dict[str, Any], max_train_rows: int | None
) -> Candidate:
    from sklearn.metrics import accuracy_score, log_loss

    return Candidate(
        name,
        float(log_loss(labels, probs, labels=np.arange(probs.shape[1]))),
        float(accuracy_score(labels, probs.argmax(axis=1))),
        seconds,
        clipped_log_loss=clipped_log_loss(labels, probs),
        rows=len(labels),
        params=params,
        max_train_rows=max_train_rows,
    )


def clipped_log_loss(labels: np.ndarray, pred_probs: np.ndarray, clip: float = SELECTION_CLIP) -> float:
    """Mean negative log-likelihood of ``labels`` with each probability at least ``clip`` (rows renormalised).

    >>> y = np.array([0, 0, 1])
    >>> confident = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])  # sure, and wrong on the last row
    >>> round(clipped_log_loss(y, confident), 3)  # plain log loss: about 12.0
    2.304
    """
    clipped = np.clip(np.asarray(pred_probs, dtype=np.float64), clip, None)
    clipped /= clipped.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(clipped[np.arange(len(labels)), labels])))


def counter(progress: Progress | None, description: str, total: int, done: list[int] | None = None):
    """A callback that advances a shared count and reports it to ``progress``."""
    done = done if done is not None else [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(description, done[0], total)

    return tick
