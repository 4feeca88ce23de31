"""What CROWDLAB found on a table labelled by several annotators, as plain data (no I/O, no printing).

:class:`Crowd` holds the consensus label of every analysed row, its quality score, the share of
annotators agreeing with it, the number of annotations, the majority vote, and the annotator table
(worst annotator first). :class:`AnnotatorIssuesResult` is find-issues' result with ``--annotators``;
:class:`AnnotatedHealthResult` health's. Their ``payload()`` is the JSON of DESIGN.md's contract with
these keys (class names, never codes):

* ``annotators``: ``[{annotator, annotator_quality, agreement_with_consensus, worst_class,
  num_examples_labeled}]``, lowest quality first (``annotator`` is the column name);
* ``consensus``: ``{method, quality_method, annotator_columns, doubtful_below, num_differs_from_majority_vote,
  model_weight, annotator_weights}``;
* find-issues: ``num_issues`` and ``issues``: ``[{row, id, consensus_label, consensus_quality_score,
  annotator_agreement, num_annotations, majority_vote, annotators: {column: label or null}}]``, lowest
  quality first; with ``--active-learning N`` also ``active_learning``: the N rows (same keys plus
  ``active_learning_score``) where one more annotation helps most, lowest score first.

A consensus label is **doubtful** when its quality score, CROWDLAB's posterior probability of that
label, is below one half: the label is then more likely wrong than right. No threshold is tuned:
the rule is the posterior's own even odds. Measured against the truth:

* ``sample_data/annotators`` (1,000 tickets, 5 raters, one careless): 106 rows flagged, holding 25 of
  the 38 wrong consensus labels (precision 0.24, recall 0.66; the score's ROC AUC 0.92). Confident
  learning on the consensus with the model's pred_probs flags 19 rows, 2 of them wrong: the
  consensus already follows the model where it is sure, so that rule cannot see its mistakes.
* scikit-learn's wine, breast_cancer, iris and digits with 5 simulated raters (2-4 per row, one
  careless), two seeds each: 58 of 111 wrong consensus labels caught in 391 rows flagged (recall
  0.52, precision 0.15; ROC AUC 0.83-0.97), the consensus right on 0.96-0.99 of the rows against
  0.83-0.92 for the majority vote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.workflows.labels import HealthResult
from cleanaudit.workflows.result import CommandOutcome, RunContext

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset

DOUBTFUL_BELOW = 0.5  # a consensus label whose posterior is below this is more likely wrong than right
CONSENSUS_METHOD = "best_quality"  # the engine's consensus_method and quality_method for every command
QUALITY_METHOD = "crowdlab"


@dataclass
class Crowd:
    """CROWDLAB's consensus of the analysed rows (codes into ``class_names``) and the annotator table."""

    columns: list[str]
    class_names: list[Any]
    consensus: np.ndarray
    quality: np.ndarray
    agreement: np.ndarray
    num_annotations: np.ndarray
    majority: np.ndarray
    annotators: list[dict[str, Any]]  # the annotator table, lowest quality first
    labels: list[dict[str, Any]]  # each analysed row's labels by annotator column (class names, None)
    model_weight: float | None = None
    annotator_weights: dict[str, float] = field(default_factory=dict)
    active_learning: np.ndarray | None = None  # ActiveLab scores (lower: one more annotation helps more)

    @classmethod
    def from_engine(
        cls,
        found: Mapping[str, Any],
        columns: list[str],
        dataset: Dataset,
        matrix: np.ndarray,
        *,
        majority: np.ndarray,
        active_learning: np.ndarray | None = None,
    ) -> Crowd:
        """The engine's ``get_label_quality_multiannotator`` output, with names for annotators and classes."""
        names = list(dataset.class_names)
        quality = found["label_quality"]
        stats = found["annotator_stats"]
        table = [
            {
                "annotator": columns[int(a)],
                "annotator_quality": float(q),
                "agreement_with_consensus": float(g),
                "worst_class": _plain(names[int(w)]),
                "num_examples_labeled": int(n),
            }
            for a, q, g, w, n in zip(
                stats["annotator"],
                stats["annotator_quality"],
                stats["agreement_with_consensus"],
                stats["worst_class"],
                stats["num_examples_labeled"],
            )
        ]
        given = dataset.annotations
        labels = [{c: v for c, v in given.labels_of(p).items() if c in columns} for p in dataset.row_positions]
        weights = found.get("annotator_weight")
        return cls(
            columns=list(columns),
            class_names=names,
            consensus=np.asarray(quality["consensus_label"], dtype=np.intp),
            quality=np.asarray(quality["consensus_quality_score"], dtype=np.float64),
            agreement=np.asarray(quality["annotator_agreement"], dtype=np.float64),
            num_annotations=np.asarray(quality["num_annotations"], dtype=np.intp),
            majority=np.asarray(majority, dtype=np.intp),
            annotators=table,
            labels=labels,
            model_weight=float(found["model_weight"]) if found.get("model_weight") is not None else None,
            annotator_weights={c: float(w) for c, w in zip(columns, weights)} if weights is not None else {},
            active_learning=None if active_learning is None else np.asarray(active_learning, dtype=np.float64),
        )

    @property
    def doubtful(self) -> np.ndarray:
        """Rows whose consensus label is more likely wrong than right (quality below :data:`DOUBTFUL_BELOW`)."""
        return self.quality < DOUBTFUL_BELOW

    def summary(self) -> dict[str, Any]:
        """The JSON ``consensus`` object: how the consensus was reached."""
        return {
            "method": CONSENSUS_METHOD,
            "quality_method": QUALITY_METHOD,
            "annotator_columns": list(self.columns),
            "doubtful_below": DOUBTFUL_BELOW,
            "num_differs_from_majority_vote": int(np.sum(self.consensus != self.majority)),
            "model_weight": self.model_weight,
            "annotator_weights": dict(self.annotator_weights),
        }

    def payload(self) -> dict[str, Any]:
        """The keys every command with ``--annotators`` adds: ``annotators`` and ``consensus``."""
        return {"annotators": [dict(a) for a in self.annotators], "consensus": self.summary()}

    def row(self, r: int, dataset: Dataset) -> dict[str, Any]:
        """One analysed row (index ``r``) as the reports list it."""
        position = int(dataset.row_positions[r])
        return {
            "row": position,
            "id": _plain(dataset.ids[r]) if dataset.ids is not None else position,
            "consensus_label": _plain(self.class_names[int(self.consensus[r])]),
            "consensus_quality_score": float(self.quality[r]),
            "annotator_agreement": float(self.agreement[r]),
            "num_annotations": int(self.num_annotations[r]),
            "majority_vote": _plain(self.class_names[int(self.majority[r])]),
            "annotators": dict(self.labels[r]),
        }

    def per_row_columns(self) -> dict[str, Any]:
        """find-issues' columns of issues.csv / issues.parquet: the doubtful flag, then :meth:`consensus_columns`."""
        return {"is_label_issue": self.doubtful, "label_score": self.quality, **self.consensus_columns()}

    def consensus_columns(self) -> dict[str, Any]:
        """The consensus columns of the per-row files (one row per analysed row), each annotator's label last."""
        names = np.array([_plain(c) for c in self.class_names], dtype=object)
        columns: dict[str, Any] = {
            "consensus_label": names[self.consensus],
            "consensus_quality_score": self.quality,
            "annotator_agreement": self.agreement,
            "num_annotations": self.num_annotations,
            "majority_vote": names[self.majority],
        }
        if self.active_learning is not None:
            columns["active_learning_score"] = self.active_learning
        for c in self.columns:
            columns[c] = np.array([labels.get(c) for labels in self.labels], dtype=object)
        return columns


def lowest_first(scores: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """``rows`` (default: all) ordered by ``scores``, lowest first; ties keep row order.

    >>> lowest_first(np.array([0.5, 0.1, 0.5, 0.3])).tolist()
    [1, 3, 0, 2]
    """
    rows = np.arange(len(scores)) if rows is None else np.asarray(rows)
    return rows[np.argsort(scores[rows], kind="stable")]


@dataclass
class AnnotatorIssuesResult(CommandOutcome):
    """find-issues with ``--annotators``: the rows whose consensus label is doubtful, lowest quality first."""

    crowd: Crowd
    source: Dataset = field(repr=False)  # the analysed rows (ids, input positions)
    active_learning_rows: np.ndarray | None = None  # --active-learning N: lowest ActiveLab scores first
    context: RunContext | None = field(default=None, repr=False, compare=False)

    @property
    def ranked_rows(self) -> np.ndarray:
        return lowest_first(self.crowd.quality, np.flatnonzero(self.crowd.doubtful))

    @property
    def num_issues(self) -> int:
        return int(self.crowd.doubtful.sum())

    def issues(self, top: int | None = None) -> list[dict[str, Any]]:
        rows = self.ranked_rows if top is None else self.ranked_rows[:top]
        return [self.crowd.row(int(r), self.source) for r in rows]

    def active_learning(self) -> list[dict[str, Any]] | None:
        if self.active_learning_rows is None or self.crowd.active_learning is None:
            return None
        scores = self.crowd.active_learning
        return [
            {**self.crowd.row(int(r), self.source), "active_learning_score": float(scores[r])}
            for r in self.active_learning_rows
        ]

    def payload(self, top: int | None = None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "rule": f"consensus_quality_score < {DOUBTFUL_BELOW:g}",
            "num_issues": self.num_issues,
            "issues": self.issues(top),
            **self.crowd.payload(),
        }
        listed = self.active_learning()
        if listed is not None:
            found["active_learning"] = listed
        return found

    def per_row_frame_columns(self) -> dict[str, Any]:
        return self.crowd.per_row_columns()


@dataclass
class AnnotatedHealthResult(HealthResult):
    """health with ``--annotators``: the label health of the consensus, and the annotator table."""

    crowd: Crowd | None = None

    def payload(self) -> dict[str, Any]:
        found = super().payload()
        if self.crowd is not None:
            found.update(self.crowd.payload())
        return found


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
