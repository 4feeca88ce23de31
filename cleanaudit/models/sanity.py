"""Is the model worth trusting? Its out-of-fold predictions against guessing, and leaky columns.

The baseline gives every row the class prior: the label frequencies of the whole table (with
stratified folds each fold's training part has the same frequencies to within one row per class,
and the full-data prior needs no folds, so it also works for ``--pred-probs FILE``). Its log loss
is the entropy of the prior; its accuracy is the majority-class rate.

- ``weak_model``: the model's log loss is less than ``WEAK_LOG_LOSS_GAIN`` below the baseline's
  *and* its accuracy does not clearly beat the majority rate: it fixes fewer than
  ``WEAK_ERROR_REDUCTION`` of the majority guess's errors, or beats the rate by less than
  ``WEAK_Z`` binomial standard errors.
- ``near_perfect``: out-of-fold accuracy of at least ``NEAR_PERFECT_ACCURACY`` on at least
  ``NEAR_PERFECT_ROWS`` rows (with no error in n rows the error rate is below 3/n at 95%).
- leaky column: a single feature column (its values, or only whether it is missing) that predicts
  the label for at least ``LEAK_ACCURACY`` of the rows and fixes at least ``LEAK_ERROR_REDUCTION``
  of the majority guess's errors, measured leave-one-out on at most ``SCAN_ROWS`` sampled rows.

>>> import numpy as np, pandas as pd
>>> labels = np.array([0, 1] * 200)
>>> check = check_model(labels, np.full((400, 2), 0.5), pd.DataFrame({"copy": labels}))
>>> check.weak_model, [c.column for c in check.leakage], check.reliable
(True, ['copy'], False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.events import Note

if TYPE_CHECKING:
    import pandas as pd

WEAK_LOG_LOSS_GAIN = 0.10  # below this share of the baseline's log loss, findings look like shuffled labels'
WEAK_ERROR_REDUCTION = 0.10
WEAK_Z = 2.0
NEAR_PERFECT_ACCURACY = 0.999
NEAR_PERFECT_ROWS = 300
LEAK_ACCURACY = 0.98  # a column agreeing this often leaves fewer disagreements than typical label noise
LEAK_ERROR_REDUCTION = 0.90
SCAN_ROWS = 20_000
ROWS_PER_BIN = 10  # numeric columns are cut into quantile bins of about this many sampled rows
RULE = (
    f"weak model: out-of-fold log loss less than {WEAK_LOG_LOSS_GAIN:.0%} below the class prior's AND "
    f"accuracy fixes fewer than {WEAK_ERROR_REDUCTION:.0%} of the majority-class guess's errors or is within "
    f"{WEAK_Z:g} binomial standard errors of the majority rate; near perfect: out-of-fold accuracy >= "
    f"{NEAR_PERFECT_ACCURACY} on >= {NEAR_PERFECT_ROWS} rows; leakage: one column alone (its values or "
    f"whether it is missing, leave-one-out on <= {SCAN_ROWS} rows) predicts >= {LEAK_ACCURACY:.0%} of labels "
    f"and fixes >= {LEAK_ERROR_REDUCTION:.0%} of the majority guess's errors"
)


@dataclass(frozen=True)
class ColumnScore:
    """How well one feature column alone predicts the label (leave-one-out accuracy)."""

    column: str
    accuracy: float
    source: str  # "values", or "missing_values": only whether the column is missing
    majority: float  # the accuracy of always guessing the most common class, on the same rows

    @property
    def error_reduction(self) -> float:
        """The share of the majority guess's errors this column fixes."""
        return (self.accuracy - self.majority) / (1 - self.majority) if self.majority < 1 else 0.0

    @property
    def reason(self) -> str:
        what = "whether it is missing alone gives" if self.source == "missing_values" else "its values alone give"
        return f"{what} {self.accuracy:.2%} accuracy vs {self.majority:.2%} for the majority class"

    def record(self) -> dict[str, Any]:
        return {"column": self.column, "accuracy": self.accuracy, "reason": self.reason, "source": self.source}


@dataclass
class ModelCheck:
    """The out-of-fold figures of the model and of the prior baseline, and what they say."""

    num_examples: int
    baseline_log_loss: float
    baseline_accuracy: float
    model_log_loss: float
    model_accuracy: float
    weak_model: bool
    near_perfect: bool
    leakage: list[ColumnScore] = field(default_factory=list)
    best_columns: list[ColumnScore] = field(default_factory=list)  # the most predictive columns, best first

    @property
    def reliable(self) -> bool:
        """False when the model guesses no better than the prior, or the features seem to hold the label."""
        return not (self.weak_model or self.near_perfect or self.leakage)

    def record(self) -> dict[str, Any]:
        """The JSON ``run.model_check`` record."""
        return {
            "baseline": {"log_loss": self.baseline_log_loss, "accuracy": self.baseline_accuracy},
            "model": {"log_loss": self.model_log_loss, "accuracy": self.model_accuracy},
            "weak_model": self.weak_model,
            "leakage": [c.record() for c in self.leakage],
            "near_perfect": self.near_perfect,
            "reliable": self.reliable,
            "rule": RULE,
            "most_predictive_columns": [c.record() for c in self.best_columns],
        }

    def notes(self) -> list[Note]:
        """A ``weak_model`` note and ``leakage`` notes, as the checks found them."""
        notes = []
        figures = (
            f"out-of-fold log loss {self.model_log_loss:.4f} vs {self.baseline_log_loss:.4f} for the class "
            f"frequencies, accuracy {self.model_accuracy:.4f} vs {self.baseline_accuracy:.4f} for always guessing "
            "the most common class"
        )
        if self.weak_model:
            notes.append(
                Note(
                    "weak_model",
                    f"the model is not clearly better than guessing from the class frequencies ({figures}): "
                    "the findings are unreliable; add informative features or try another --model",
                )
            )
        if self.near_perfect:
            named = self.leakage or self.best_columns[:3]
            columns = ", ".join(f"{c.column} ({c.accuracy:.4f} alone)" for c in named)
            notes.append(
                Note(
                    "leakage",
                    f"near-perfect out-of-fold accuracy {self.model_accuracy:.4f} (majority class "
                    f"{self.baseline_accuracy:.4f}): the features may contain the label, which hides label errors"
                    + (f"; most responsible: {columns}" if columns else ""),
                    columns=tuple(c.column for c in named),
                )
            )
        for column in self.leakage:
            what = f"feature column {column.column} alone"
            if column.source == "missing_values":
                what = f"whether feature column {column.column} is missing alone"
            notes.append(
                Note(
                    "leakage",
                    f"{what} predicts the label for {column.accuracy:.2%} of rows (always guessing the most common "
                    f"class: {self.baseline_accuracy:.2%}): it may encode the label and hide label errors; "
                    f"leave it out with --ignore {column.column}",
                    columns=(column.column,),
                )
            )
        return notes


def check_model(
    labels: np.ndarray, pred_probs: np.ndarray, features: pd.DataFrame | None = None, *, seed: int = 0
) -> ModelCheck:
    """Compare ``pred_probs`` with the class-prior baseline and scan ``features`` for leaky columns.

    >>> check_model(np.array([0, 0, 1, 1]), np.array([[.9, .1], [.8, .2], [.3, .7], [.1, .9]])).model_accuracy
    1.0
    """
    labels = np.asarray(labels, dtype=np.int64)
    pred_probs = np.asarray(pred_probs)
    n, num_classes = len(labels), pred_probs.shape[1]
    prior = np.bincount(labels, minlength=num_classes) / n
    baseline_loss = float(-np.sum(prior[prior > 0] * np.log(prior[prior > 0])))
    majority = float(prior.max())
    loss = log_loss(labels, pred_probs)
    accuracy = float(np.mean(pred_probs.argmax(axis=1) == labels))
    weak = is_weak(loss, accuracy, baseline_loss, majority, n)
    scores = scan_columns(features, labels, seed=seed) if features is not None else []
    leaks = [c for c in scores if is_leak(c)]
    near_perfect = accuracy >= NEAR_PERFECT_ACCURACY and n >= NEAR_PERFECT_ROWS
    return ModelCheck(n, baseline_loss, majority, loss, accuracy, weak, near_perfect, leaks, scores[:5])


def log_loss(labels: np.ndarray, pred_probs: np.ndarray) -> float:
    """Mean negative log probability of the given labels, clipped to [eps, 1 - eps] as scikit-learn does.

    >>> round(log_loss(np.array([0, 1]), np.array([[0.5, 0.5], [0.5, 0.5]])), 4)
    0.6931
    """
    dtype = pred_probs.dtype if np.issubdtype(pred_probs.dtype, np.floating) else np.float64
    eps = np.finfo(dtype).eps
    given = np.clip(pred_probs[np.arange(len(labels)), labels].astype(np.float64), eps, 1 - eps)
    return float(-np.mean(np.log(given)))


def is_weak(loss: float, accuracy: float, baseline_loss: float, majority: float, num_examples: int) -> bool:
    """The weak-model rule (see the module docstring).

    >>> is_weak(0.690, 0.505, 0.693, 0.503, 10_000), is_weak(0.25, 0.92, 0.693, 0.50, 300)
    (True, False)
    """
    gain = (baseline_loss - loss) / baseline_loss if baseline_loss > 0 else 0.0
    margin = max(WEAK_Z * np.sqrt(majority * (1 - majority) / num_examples), WEAK_ERROR_REDUCTION * (1 - majority))
    return bool(gain < WEAK_LOG_LOSS_GAIN and accuracy - majority < margin)


def is_leak(score: ColumnScore) -> bool:
    """The leak rule: the column alone predicts almost every label and fixes most majority-guess errors."""
    return score.accuracy >= LEAK_ACCURACY and score.error_reduction >= LEAK_ERROR_REDUCTION


def scan_columns(features: pd.DataFrame, labels: np.ndarray, *, seed: int = 0) -> list[ColumnScore]:
    """Each column's leave-one-out accuracy alone (values, or only missing-ness), best first.

    A categorical column predicts each row by the most common label among the other rows with
    its value; a numeric column does the same within quantile bins; a missing value is a value
    of its own. Columns that cannot be grouped (lists, embeddings) are skipped.

    >>> import pandas as pd
    >>> [(c.column, c.accuracy) for c in scan_columns(pd.DataFrame({"a": [1, 1, 2, 2]}), np.array([0, 0, 1, 1]))]
    [('a', 1.0)]
    """
    rows = np.arange(len(labels))
    if len(rows) > SCAN_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=SCAN_ROWS, replace=False))
    sampled, y = features.iloc[rows], np.asarray(labels)[rows]
    majority = np.bincount(y).max() / len(y)
    scores = []
    for name in sampled.columns:
        found = _column_scores(sampled[name], y)
        if not found:
            continue
        found_scores = [ColumnScore(str(name), accuracy, source, float(majority)) for source, accuracy in found]
        # missing-ness that alone leaks is the clearer explanation, even when the values do a little better
        leaky = [c for c in found_scores if c.source == "missing_values" and is_leak(c)]
        scores.append(leaky[0] if leaky else max(found_scores, key=lambda c: c.accuracy))
    return sorted(scores, key=lambda c: -c.accuracy)


def _column_scores(column: pd.Series, labels: np.ndarray) -> list[tuple[str, float]]:
    missing = column.isna().to_numpy()
    found = []
    if missing.any():
        found.append(("missing_values", _group_accuracy(missing.astype(np.int64), labels)))
    try:
        groups = _groups(column, missing)
    except (TypeError, ValueError):  # unhashable values (lists, embeddings): nothing to group by
        return found
    found.insert(0, ("values", _group_accuracy(groups, labels)))
    return found


def _groups(column: pd.Series, missing: np.ndarray) -> np.ndarray:
    """Integer group codes: one per value (categories, few numbers) or per quantile bin; missing apart."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(column):
        column = pd.Series(column.to_numpy(dtype="datetime64[ns]").astype(np.int64), index=column.index)
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    present = column[~missing]
    bins = max(2, len(column) // ROWS_PER_BIN)
    if numeric and present.nunique() > bins:
        values = present.to_numpy(dtype=np.float64)
        edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
        codes = np.full(len(column), len(edges) + 1, dtype=np.int64)
        codes[~missing] = np.searchsorted(edges, values, side="right")
        return codes
    codes = pd.factorize(column, use_na_sentinel=True)[0].astype(np.int64)
    codes[codes < 0] = codes.max() + 1
    return codes


def _group_accuracy(groups: np.ndarray, labels: np.ndarray) -> float:
    """Leave-one-out accuracy of predicting each row by its group's most common other label.

    A row alone in its group is predicted by the most common label overall; ties share the credit.
    """
    n, num_classes = len(labels), int(labels.max()) + 1
    group = np.unique(groups, return_inverse=True)[1].ravel()
    num_groups = int(group.max()) + 1
    pair, row_pair, pair_count = np.unique(group * num_classes + labels, return_inverse=True, return_counts=True)
    row_pair = row_pair.ravel()
    pair_group = pair // num_classes
    # per group, its largest class count (top pair) and the second largest: pairs by group, count descending
    order = np.lexsort((-pair_count, pair_group))
    starts = np.flatnonzero(np.r_[True, pair_group[order][1:] != pair_group[order][:-1]])
    top_pair = order[starts]
    has_second = (starts + 1 < len(order)) & (
        pair_group[order[np.minimum(starts + 1, len(order) - 1)]] == np.arange(num_groups)
    )
    second = np.where(has_second, pair_count[order[np.minimum(starts + 1, len(order) - 1)]], 0)
    own = pair_count[row_pair] - 1
    other = np.where(top_pair[group] == row_pair, second[group], pair_count[top_pair[group]])
    # other classes tied with the row's own leave-one-out count share the credit
    tie_key, tie_count = np.unique(pair_group * (n + 1) + pair_count, return_counts=True)
    wanted = group * (n + 1) + own
    at = np.minimum(np.searchsorted(tie_key, wanted), len(tie_key) - 1)
    ties = np.where(tie_key[at] == wanted, tie_count[at], 0)
    credit = np.where(own > other, 1.0, np.where(own == other, 1.0 / (1 + ties), 0.0))
    alone = (own == 0) & (other == 0)
    credit[alone] = labels[alone] == np.bincount(labels).argmax()
    return float(credit.mean())
