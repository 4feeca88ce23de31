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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cleanaudit.errors import ConfigError, ModelError
from cleanaudit.models.specs import build_model

Progress = Callable[[str, int, int], None]
# (pipeline, name, features, labels, num_classes, cv, seed, jobs, tick) -> (pred_probs, warnings)
CrossValidate = Callable[..., tuple[np.ndarray, list[str]]]

AUTO_CANDIDATES: tuple[str, ...] = ("logreg", "hist-gb", "random-forest", "knn")
AUTO_SUBSAMPLE_ABOVE = 20_000  # with more rows than this, "auto" selects on a stratified subsample
AUTO_SUBSAMPLE_SIZE = 10_000
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

    def record(self) -> dict[str, Any]:
        """The candidate as JSON ``run.model_candidates`` and the comparison table hold it."""
        return {
            "model": self.name,
            "log_loss": self.log_loss,
            "clipped_log_loss": self.clipped_log_loss,
            "accuracy": self.accuracy,
            "seconds": self.seconds,
            "error": self.error,
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
) -> Selection:
    """``--model auto``: cross-validate every candidate, keep the one with the lowest out-of-fold log loss.

    Above ``AUTO_SUBSAMPLE_ABOVE`` rows the candidates are compared on a stratified subsample
    and the winner is then cross-validated on all rows. ``cross_validate`` is the run's own
    cross-validation (:mod:`cleanaudit.models.crossval` passes it), so both use the same folds.
    """
    from sklearn.metrics import accuracy_score, log_loss

    _cross_validate = cross_validate

    if model_params:
        raise ConfigError(
            "--model-param needs a specific --model, not auto", hint=f"pick one of: {', '.join(AUTO_CANDIDATES)}"
        )
    rows = _selection_rows(labels, num_classes, cv, seed)
    subsampled = len(rows) < len(labels)
    sel_features, sel_labels = (features.iloc[rows], labels[rows]) if subsampled else (features, labels)
    total = cv * (len(AUTO_CANDIDATES) + (1 if subsampled else 0))
    done = [0]

    candidates: list[Candidate] = []
    kept: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name in AUTO_CANDIDATES:
        tick = counter(progress, f"auto: trying {name}", total, done)
        start = time.perf_counter()
        try:
            pipeline = build_model(name, sel_features, seed=seed)
            probs, messages = _cross_validate(
                pipeline, name, sel_features, sel_labels, num_classes, cv, seed, jobs, tick
            )
        except ModelError as err:
            candidates.append(Candidate(name, float("inf"), float("nan"), time.perf_counter() - start, err.message))
            done[0] = cv * len(candidates)
            continue
        loss = float(log_loss(sel_labels, probs, labels=np.arange(num_classes)))
        accuracy = float(accuracy_score(sel_labels, probs.argmax(axis=1)))
        score = clipped_log_loss(sel_labels, probs)
        candidates.append(Candidate(name, loss, accuracy, time.perf_counter() - start, clipped_log_loss=score))
        kept[name] = (probs, messages)
    fitted = [c for c in candidates if c.error is None]
    if not fitted:
        raise ModelError(
            "model 'auto': every candidate failed to fit ("
            + "; ".join(f"{c.name}: {c.error}" for c in candidates)
            + ")",
            hint="check the feature columns, or give --pred-probs FILE",
        )
    winner = min(fitted, key=lambda c: c.clipped_log_loss).name  # ties: the earlier candidate wins

    if subsampled:
        pipeline = build_model(winner, features, seed=seed)
        probs, messages = _cross_validate(
            pipeline,
            winner,
            features,
            labels,
            num_classes,
            cv,
            seed,
            jobs,
            counter(progress, f"cross-validating {winner}", total, done),
        )
    else:
        probs, messages = kept[winner]
    return Selection(winner, probs, messages, candidates)


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


def _selection_rows(labels: np.ndarray, num_classes: int, cv: int, seed: int) -> np.ndarray:
    """All rows, or (above ``AUTO_SUBSAMPLE_ABOVE``) a stratified sample with >= cv rows per class."""
    if len(labels) <= AUTO_SUBSAMPLE_ABOVE:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    fraction = AUTO_SUBSAMPLE_SIZE / len(labels)
    chosen = []
    for code in range(num_classes):
        members = np.flatnonzero(labels == code)
        take = min(len(members), max(cv, round(len(members) * fraction)))
        chosen.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(chosen))
