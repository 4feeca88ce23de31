"""Decide what ``clean`` does to each row: keep, remove, relabel or weight (no I/O, no printing).

Detection follows the reference's ``CleanLearning.find_label_issues`` (spec §5): the calibrated
confident joint from pred_probs, ``find_label_issues(..., min_examples_per_class=10)``, and the
noise matrix estimated from the same pred_probs (or the known one given). The strategies:

* ``drop``: remove the flagged rows. As in ``CleanLearning.fit``, a model trained on the rest
  weights class k by ``1 / max(noise_matrix[k, k], 1e-3)`` when the noise matrix is known.
* ``relabel``: give a flagged row the predicted class where the model's probability for it is at
  least ``relabel_threshold``; remove the other flagged rows.
* ``weight``: keep every row and give it the weight of its class, ``1 / max(noise_matrix[k, k], 1e-3)``.
* ``consensus`` (several annotators per row, ``--annotators``): write their consensus label, in
  :mod:`cleanaudit.workflows.annotator_clean`; it plans nothing per row here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cleanaudit.choices import CLEAN_STRATEGIES
from cleanaudit.data.labels import NotAnalysed
from cleanaudit.engine.issues import label_issues
from cleanaudit.errors import ConfigError

STRATEGIES = CLEAN_STRATEGIES  # the CLI's --strategy choices are built from the same tuple
MIN_EXAMPLES_PER_CLASS = 10  # CleanLearning's default for find_label_issues
MIN_NOISE_RATE_FOR_WEIGHTS = 1e-3


@dataclass
class Detection:
    """Label issues and what is known about each row (arrays of length N; ``predicted`` -1 = unknown)."""

    is_issue: np.ndarray
    label_quality: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray  # the probability of the predicted class (NaN = unknown)
    noise_matrix: np.ndarray | None
    source: str
    notes: list[str] = field(default_factory=list)  # warnings of the engine, for the user


def detect_label_issues(
    labels: np.ndarray, pred_probs: np.ndarray, *, noise_matrix: np.ndarray | None = None
) -> Detection:
    """Flag label issues as ``CleanLearning`` does from pred_probs; keep a known ``noise_matrix`` if given.

    >>> p = np.array([[.9, .1]] * 12 + [[.1, .9]] * 12 + [[.2, .8]] * 3 + [[.6, .4]] * 3)
    >>> d = detect_label_issues(np.array([0] * 12 + [1] * 12 + [0] * 3 + [1] * 3), p)
    >>> int(d.is_issue.sum()), int(d.predicted[-1])
    (3, 0)
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = label_issues(labels, pred_probs, estimate_noise=True, min_examples_per_class=MIN_EXAMPLES_PER_CLASS)
    return Detection(
        is_issue=found.is_issue,
        label_quality=np.asarray(found.label_quality, dtype=np.float64),
        predicted=found.predicted_labels.astype(np.intp),
        confidence=pred_probs.max(axis=1).astype(np.float64),
        noise_matrix=noise_matrix if noise_matrix is not None else np.asarray(found.noise_matrix),
        source="confident learning, as CleanLearning",
        notes=list(dict.fromkeys(str(w.message) for w in caught)),
    )


def detection_from_issues(
    is_issue: np.ndarray,
    source: str,
    *,
    labels: np.ndarray,
    pred_probs: np.ndarray | None = None,
    label_quality: np.ndarray | None = None,
    suggested: np.ndarray | None = None,
    noise_matrix: np.ndarray | None = None,
) -> Detection:
    """A ``Detection`` from issues found earlier; pred_probs, when given, fill in scores and the noise matrix.

    >>> d = detection_from_issues(np.array([False, True]), "issues.csv", labels=np.array([0, 1]))
    >>> d.is_issue.tolist(), d.noise_matrix is None
    ([False, True], True)
    """
    n = len(is_issue)
    if pred_probs is not None:
        found = detect_label_issues(labels, pred_probs, noise_matrix=noise_matrix)
        return Detection(
            np.asarray(is_issue, dtype=bool),
            found.label_quality,
            found.predicted,
            found.confidence,
            found.noise_matrix,
            source,
        )  # found.notes are about a detection not used
    return Detection(
        is_issue=np.asarray(is_issue, dtype=bool),
        label_quality=label_quality if label_quality is not None else np.full(n, np.nan),
        predicted=suggested if suggested is not None else np.full(n, -1, dtype=np.intp),
        confidence=np.full(n, np.nan),
        noise_matrix=noise_matrix,
        source=source,
    )


def class_weights(noise_matrix: np.ndarray) -> np.ndarray:
    """Per-class weight ``1 / max(noise_matrix[k, k], 1e-3)`` (CleanLearning's final-fit weights).

    >>> class_weights(np.array([[0.8, 0.1], [0.2, 0.9]])).round(4).tolist()
    [1.25, 1.1111]
    """
    return 1.0 / np.maximum(np.diagonal(noise_matrix), MIN_NOISE_RATE_FOR_WEIGHTS)


@dataclass
class CleaningPlan:
    """What happens to each row, and the labels and weights of the cleaned data."""

    strategy: str
    class_names: list[Any]
    given: np.ndarray
    new_labels: np.ndarray
    keep: np.ndarray
    actions: np.ndarray  # "kept" | "removed" | "relabelled" | "weighted"
    reasons: list[str]
    detection: Detection
    sample_weight: np.ndarray | None  # the output's sample_weight column (strategy weight)
    train_weight: np.ndarray | None  # weights of a model trained on the kept rows (CleanLearning's rule)
    relabel_threshold: float
    sources: np.ndarray | None = None  # per row: "reviewed" or the strategy that decided it (clean --corrections)
    outside: dict[int, tuple[str, Any, str]] = field(default_factory=dict)  # reviewed rows not analysed:
    # input row -> (action, new class name or None, reason)

    def count(self, action: str) -> int:
        return int(np.sum(self.actions == action))

    @property
    def num_label_issues(self) -> int:
        return int(self.detection.is_issue.sum())

    def manifest(
        self, ids: np.ndarray, positions: np.ndarray | None = None, not_analysed: NotAnalysed | None = None
    ) -> pd.DataFrame:
        """One row per input row: row, id, action, given/suggested label, label quality, reason.

        ``positions`` are the input rows of the judged rows; the rows ``not_analysed`` (no label,
        a rare class) are listed too, with action ``not_analysed``: clean passes them through unchanged.
        """
        names = np.array(self.class_names + [None], dtype=object)
        predicted = self.detection.predicted
        suggested = np.where(self.detection.is_issue & (predicted >= 0) & (predicted != self.new_labels), predicted, -1)
        suggested = np.where(self.actions == "relabelled", self.new_labels, suggested)
        frame = pd.DataFrame(
            {
                "row": np.arange(len(self.given)) if positions is None else np.asarray(positions),
                "id": ids,
                "action": self.actions,
                "given_label": names[self.given],
                "suggested_label": names[suggested],
                "label_quality": self.detection.label_quality,
                "is_label_issue": self.detection.is_issue,
                "reason": self.reasons,
            }
        )
        if self.sample_weight is not None:
            frame.insert(frame.columns.get_loc("reason"), "sample_weight", self.sample_weight)
        if self.sources is not None:
            frame.insert(frame.columns.get_loc("reason"), "source", self.sources)
        if not_analysed is None or not_analysed.count == 0:
            return frame
        reasons = {"missing_label": "no label", "rare_class": "class too small for the cross-validation folds"}
        unjudged = pd.DataFrame(
            {
                "row": not_analysed.positions,
                "id": not_analysed.row_ids(),
                "action": "not_analysed",
                "given_label": not_analysed.labels,
                "suggested_label": None,
                "label_quality": np.nan,
                "is_label_issue": False,
                "reason": [
                    f"not analysed ({reasons.get(r, r)}): passed through unchanged" for r in not_analysed.reasons
                ],
            }
        )
        if self.sources is not None:
            unjudged["source"] = "not analysed"
        for i, row in enumerate(not_analysed.positions.tolist()):
            if row in self.outside:  # the reviewer decided about a row the analysis left out
                action, name, reason = self.outside[row]
                unjudged.loc[i, ["action", "suggested_label", "reason", "source"]] = [action, name, reason, "reviewed"]
        both = pd.concat([frame, unjudged.reindex(columns=frame.columns)], ignore_index=True)
        return both.sort_values("row", kind="stable").reset_index(drop=True)

    def payload(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "num_label_issues": self.num_label_issues,
            "removed": self.count("removed"),
            "relabelled": self.count("relabelled"),
            "kept": int(self.keep.sum()) - self.count("relabelled"),
            "weighted": self.count("weighted"),
            "rows_out": int(self.keep.sum()),
            "detection": self.detection.source,
            **({"relabel_threshold": self.relabel_threshold} if self.strategy == "relabel" else {}),
        }  # the plan's tables (summary, rows that change) are in cleanaudit.report.clean_tables


def plan_cleaning(
    labels: np.ndarray,
    class_names: Sequence[Any],
    detection: Detection,
    *,
    strategy: str = "drop",
    relabel_threshold: float = 0.5,
) -> CleaningPlan:
    """Apply ``strategy`` to the detected issues.

    >>> d = detection_from_issues(np.array([False, True, False]), "f", labels=np.array([0, 0, 1]))
    >>> p = plan_cleaning(np.array([0, 0, 1]), ["a", "b"], d)
    >>> p.actions.tolist(), p.keep.tolist()
    (['kept', 'removed', 'kept'], [True, False, True])
    """
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown --strategy {strategy!r}", hint=f"choose one of: {', '.join(STRATEGIES)}")
    if strategy == "consensus":
        raise ConfigError("--strategy consensus needs --annotators", hint="name the annotator columns")
    labels = np.asarray(labels, dtype=np.intp)
    names = list(class_names)
    issue = detection.is_issue
    n = len(labels)
    actions = np.full(n, "kept", dtype=object)
    new_labels = labels.copy()
    keep = np.ones(n, dtype=bool)
    reasons = ["" for _ in range(n)]
    weights = class_weights(detection.noise_matrix) if detection.noise_matrix is not None else None
    sample_weight = train_weight = None

    for i in np.flatnonzero(issue):
        reasons[i] = _issue_reason(detection, names, labels[i], int(i))
    if strategy == "drop":
        actions[issue] = "removed"
        keep = ~issue
        if weights is not None:
            train_weight = np.where(keep, weights[labels], 0.0)
    elif strategy == "relabel":
        confident = (
            issue
            & (detection.predicted >= 0)
            & (detection.predicted != labels)
            & (np.nan_to_num(detection.confidence, nan=-1.0) >= relabel_threshold)
        )
        new_labels[confident] = detection.predicted[confident]
        actions[confident] = "relabelled"
        removed = issue & ~confident
        actions[removed] = "removed"
        keep = ~removed
        for i in np.flatnonzero(confident):
            reasons[i] += f"; relabelled (p={detection.confidence[i]:.3f} >= {relabel_threshold:g})"
        for i in np.flatnonzero(removed):
            p = detection.confidence[i]
            reasons[i] += "; removed: model not confident enough to relabel" + (
                f" (p={p:.3f} < {relabel_threshold:g})" if np.isfinite(p) else ""
            )
    else:
        if weights is None:
            raise ConfigError(
                "--strategy weight needs a noise matrix",
                hint="give --noise-matrix FILE, or let cleanaudit estimate it (no --label-issues)",
            )
        actions[:] = "weighted"
        sample_weight = train_weight = weights[labels]
        for row in range(n):
            prefix = reasons[row] + "; kept" if issue[row] else "class weight"
            given = names[labels[row]]
            reasons[row] = f"{prefix}: weight {sample_weight[row]:.4g} = 1/P(given={given}|true={given})"
    return CleaningPlan(
        strategy,
        names,
        labels,
        new_labels,
        keep,
        actions,
        reasons,
        detection,
        sample_weight,
        train_weight,
        relabel_threshold,
    )


def _issue_reason(detection: Detection, names: list[Any], given: int, i: int) -> str:
    text = "label issue"
    predicted = int(detection.predicted[i])
    if predicted >= 0 and predicted != given:
        p = detection.confidence[i]
        text += f": model predicts {names[predicted]}" + (f" (p={p:.3f})" if np.isfinite(p) else "")
    quality = detection.label_quality[i]
    if np.isfinite(quality):
        text += f", label quality {quality:.4f}"
    return text
