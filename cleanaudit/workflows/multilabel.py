"""find-issues and health for multi-label data (``--task multilabel``): which labels of which rows look wrong.

Each class is its own binary question ("is c among this row's labels?"), audited by confident
learning (:mod:`cleanaudit.engine.multilabel`). A flag on (row, class) means either a label the row
was given but probably should not have (``wrong_labels``), or one it lacks but probably should have
(``missing_labels``); the suggested set is the given set with those flags applied. A row is an
issue when any of its classes is; rows are ranked by the multi-label quality score (per-class
scores pooled with an exponential moving average that weighs the worst class most).

The spec's worked example 1 (``shared/spec/multilabel-and-multiannotator.md`` §17):

>>> import numpy as np
>>> from cleanaudit.data.label_sets import encode_label_sets
>>> import pandas as pd
>>> given, names = encode_label_sets(pd.Series(["a", "a,b", "b", "", "c", "a,c", "b,c", "a", "b", "c"]))
>>> P = np.array([[.9, .1, .2], [.8, .3, .1], [.2, .7, .1], [.1, .2, .15], [.6, .1, .8], [.7, .2, .9],
...               [.1, .8, .3], [.05, .9, .2], [.3, .6, .4], [.2, .3, .45]])
>>> r = multilabel_issues(given, P, names)
>>> [(i["row"], i["wrong_labels"], i["missing_labels"]) for i in r.issues()]
[(7, ['a'], ['b']), (1, ['b'], [])]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError
from cleanaudit.workflows.result import CommandOutcome, RunContext

if TYPE_CHECKING:
    from cleanaudit.events import Events
    from cleanaudit.workflows.prepare import Prepared

LOW_FILTERS = ("low_normalized_margin", "low_self_confidence")


@dataclass
class MultilabelIssues(CommandOutcome):
    """Per (row, class) flags, per-row flags and scores of a multi-label find-issues run."""

    given: np.ndarray  # (N, K) 0/1: the labels each row was given
    per_class: np.ndarray  # (N, K) bool: the row's class-c label (given or not) looks wrong
    is_issue: np.ndarray  # (N,) bool
    label_quality: np.ndarray  # (N,) multi-label quality score, lower is worse
    class_names: list[Any]
    ids: np.ndarray | None
    filter_by: str
    rank_by: str
    positions: np.ndarray | None = None
    label_sep: str = ","
    context: RunContext | None = field(default=None, repr=False, compare=False)

    @property
    def ranked_rows(self) -> np.ndarray:
        """The flagged rows, worst quality first (stable among equal scores)."""
        flagged = np.flatnonzero(self.is_issue)
        return flagged[np.argsort(self.label_quality[flagged], kind="stable")]

    @property
    def num_issues(self) -> int:
        return int(np.count_nonzero(self.is_issue))

    @property
    def suggested(self) -> np.ndarray:
        """The given sets with every flagged class flipped: (N, K) 0/1."""
        return np.where(self.per_class, 1 - self.given, self.given).astype(np.int8)

    def _names(self, row: np.ndarray) -> list[Any]:
        from cleanaudit.data.label_sets import label_set_names

        return [_plain(name) for name in label_set_names(row, self.class_names)]

    def issues(self, top: int | None = None) -> list[dict[str, Any]]:
        rows = self.ranked_rows if top is None else self.ranked_rows[:top]
        positions = self.positions if self.positions is not None else np.arange(len(self.given))
        suggested = self.suggested
        return [
            {
                "row": int(positions[r]),
                "id": _plain(self.ids[r]) if self.ids is not None else int(positions[r]),
                "given_labels": self._names(self.given[r]),
                "suggested_labels": self._names(suggested[r]),
                "wrong_labels": self._names(self.per_class[r] & (self.given[r] == 1)),
                "missing_labels": self._names(self.per_class[r] & (self.given[r] == 0)),
                "label_quality": float(self.label_quality[r]),
            }
            for r in rows
        ]

    def per_class_rows(self) -> list[dict[str, Any]]:
        """Per class: rows given it, flagged as wrongly given, flagged as missing."""
        given = self.given == 1
        return [
            {
                "class": _plain(name),
                "rows_given": int(given[:, k].sum()),
                "wrong": int((self.per_class[:, k] & given[:, k]).sum()),
                "missing": int((self.per_class[:, k] & ~given[:, k]).sum()),
            }
            for k, name in enumerate(self.class_names)
        ]

    def payload(self, top: int | None = None) -> dict[str, Any]:
        return {
            "task": "multilabel",
            "filter_by": self.filter_by,
            "rank_by": self.rank_by,
            "num_issues": self.num_issues,
            "num_label_flags": int(np.count_nonzero(self.per_class)),
            "per_class": self.per_class_rows(),
            "issues": self.issues(top),
        }

    def per_row_frame_columns(self) -> dict[str, Any]:
        """Columns of issues.csv / issues.parquet (one row per example); label sets as ``--label-sep`` text."""
        from cleanaudit.data.label_sets import format_label_set

        def text(matrix: np.ndarray) -> list[str]:
            return [format_label_set(self._names(row), self.label_sep) for row in matrix]

        given = self.given == 1
        return {
            "is_label_issue": self.is_issue,
            "label_score": self.label_quality,
            "given_labels": text(self.given),
            "suggested_labels": text(self.suggested),
            "wrong_labels": text(self.per_class & given),
            "missing_labels": text(self.per_class & ~given),
            "label_quality": self.label_quality,
        }


@dataclass
class MultilabelHealth(CommandOutcome):
    """Overall multi-label health and per-class label quality (the engine's tables, by class name)."""

    health_score: float
    classes: dict[str, list[Any]]  # rank_classes_by_multilabel_quality, as columns
    common_issues: dict[str, list[Any]]  # common_multilabel_issues, as columns
    context: RunContext | None = field(default=None, repr=False, compare=False)

    def payload(self) -> dict[str, Any]:
        return {
            "task": "multilabel",
            "health_score": self.health_score,
            "classes": _records(self.classes),
            "common_issues": _records(self.common_issues),
        }


def multilabel_issues(
    given: np.ndarray,
    pred_probs: np.ndarray,
    class_names: Sequence[Any],
    *,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    adjust_pred_probs: bool = False,
    min_examples_per_class: int = 1,
    frac_noise: float = 1.0,
    ids: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    label_sep: str = ",",
) -> MultilabelIssues:
    """Flag and score multi-label annotations with the engine (arrays in, a result out)."""
    import cleanaudit.engine.multilabel as ml
    from cleanaudit.data.label_sets import label_set_lists

    if adjust_pred_probs and rank_by == "confidence_weighted_entropy":
        raise ConfigError(
            "--adjust-pred-probs does not work with --rank-by confidence_weighted_entropy",
            hint="rank by self_confidence or normalized_margin, or leave out --adjust-pred-probs",
        )
    labels = label_set_lists(given)
    settings: dict[str, Any] = dict(
        filter_by=filter_by, min_examples_per_class=min_examples_per_class, frac_noise=frac_noise
    )
    with warnings.catch_warnings():  # "May not flag all label issues in class: 1" names a binary class: said below
        warnings.simplefilter("ignore")
        per_class = np.asarray(ml.find_multilabel_issues_per_class(labels, pred_probs, **settings), dtype=bool)
        is_issue: np.ndarray = (
            np.asarray(ml.find_label_issues(labels, pred_probs, **settings), dtype=bool)
            if filter_by in LOW_FILTERS
            else np.asarray(per_class.any(axis=1))
        )
        scores = ml.get_label_quality_scores(labels, pred_probs, method=rank_by, adjust_pred_probs=adjust_pred_probs)
    return MultilabelIssues(
        np.asarray(given, dtype=np.int8),
        per_class,
        is_issue,
        np.asarray(scores, dtype=np.float64),
        list(class_names),
        ids,
        filter_by,
        rank_by,
        positions,
        label_sep,
    )


def multilabel_health(given: np.ndarray, pred_probs: np.ndarray, class_names: Sequence[Any]) -> MultilabelHealth:
    """The engine's health score, class ranking and common issues, classes by name."""
    import cleanaudit.engine.multilabel as ml
    from cleanaudit.data.label_sets import label_set_lists

    labels = label_set_lists(given)
    names = [str(n) for n in class_names]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = float(ml.overall_multilabel_health_score(labels, pred_probs))
        classes = ml.rank_classes_by_multilabel_quality(labels, pred_probs, class_names=names)
        common = ml.common_multilabel_issues(labels, pred_probs, class_names=names)
    return MultilabelHealth(score, _columns(classes, class_names), _columns(common, class_names))


# The requests are typed Any: find_issues and health hand them over here, so importing their classes would
# close an import cycle. They are a FindIssuesRequest and a HealthRequest.
def run_multilabel_find_issues(request: Any, events: Events | None = None) -> MultilabelIssues:
    """find-issues on multi-label data (a ``FindIssuesRequest`` with ``task == "multilabel"``)."""
    from cleanaudit.workflows.gates import Measurements
    from cleanaudit.workflows.multilabel_prepare import check_multilabel_request, prepare_multilabel

    check_multilabel_request(request, "find-issues", train=request.train)
    if request.self_check is not None:
        raise ConfigError("--self-check is not supported with --task multilabel", hint="leave out --self-check")
    prepared = prepare_multilabel(request, events, "find-issues")
    ds = prepared.dataset
    result = multilabel_issues(
        ds.labels,
        prepared.pred_probs,
        ds.class_names,
        filter_by=request.filter_by,
        rank_by=request.rank_by,
        adjust_pred_probs=request.adjust_pred_probs,
        min_examples_per_class=request.min_examples_per_class,
        frac_noise=request.frac_noise,
        ids=ds.ids,
        positions=ds.positions,
        label_sep=ds.label_sep,
    )
    note_sparse_classes(prepared, request.min_examples_per_class)
    measured = Measurements(ds.num_examples, {"label": result.num_issues}, command="find-issues")
    result.context = prepared.conclude(
        "find-issues", result.payload(request.top or None), measured=measured, per_row=result.per_row_frame_columns()
    )
    return result


def run_multilabel_health(request: Any, events: Events | None = None) -> MultilabelHealth:
    """health on multi-label data."""
    from cleanaudit.workflows.gates import Measurements
    from cleanaudit.workflows.multilabel_prepare import prepare_multilabel

    prepared = prepare_multilabel(request, events, "health")
    ds = prepared.dataset
    result = multilabel_health(ds.labels, prepared.pred_probs, ds.class_names)
    issues = round((1.0 - result.health_score) * ds.num_examples)  # the score is 1 - flagged rows / N
    measured = Measurements(ds.num_examples, {"label": issues}, health=result.health_score, command="health")
    result.context = prepared.conclude("health", result.payload(), measured=measured)
    return result


def note_sparse_classes(prepared: Prepared, min_examples_per_class: int) -> None:
    """Say which classes are given to so few rows that their annotations are never flagged as wrong."""
    given = prepared.dataset.labels.sum(axis=0)
    few = [str(prepared.dataset.class_names[k]) for k in np.flatnonzero(given <= min_examples_per_class)]
    if few:
        prepared.log.note(
            "detection_warning",
            f"class(es) {', '.join(few)} are given to at most {min_examples_per_class} row(s) "
            "(--min-examples-per-class): those labels are never flagged as wrong, only as missing elsewhere",
        )


def _columns(frame: dict[str, Any], class_names: Sequence[Any]) -> dict[str, list[Any]]:
    """An engine table as plain columns; the class index column becomes the class name."""
    columns = {key: [_plain(v) for v in np.asarray(values).tolist()] for key, values in frame.items()}
    if "Class Index" in columns:
        columns["Class Name"] = [_plain(class_names[int(k)]) for k in columns.pop("Class Index")]
    return columns


def _records(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(columns)
    rename = {k: k.lower().replace(" ", "_") for k in keys}
    count = len(next(iter(columns.values()), []))
    return [{rename[k]: columns[k][i] for k in keys} for i in range(count)]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
