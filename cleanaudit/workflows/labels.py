"""Results of the label commands (find-issues, health, overlap, noise-matrix), as plain data.

The workflows ``run_find_issues``, ``run_health``, ``run_overlap`` and ``run_noise_matrix``
(:mod:`cleanaudit.workflows.find_issues`, ``.health``, ``.overlap``, ``.noise_matrix``) return these
results with their ``context`` (dataset, run record, notes, gates) set.

Each ``*_result`` function runs the engine on ``labels`` and ``pred_probs`` and returns a
dataclass; each dataclass knows its JSON payload (the keys of DESIGN.md's contract). The tables a
person reads are built from these results by :mod:`cleanaudit.report.label_tables`. Nothing here
prints or writes files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit import engine
from cleanaudit.engine.issues import LabelIssueResult, label_issues
from cleanaudit.models.ensemble import Member, describe_members, member_weights, mix_pred_probs
from cleanaudit.workflows.label_engine import LabelEngine
from cleanaudit.workflows.result import CommandOutcome, RunContext

if TYPE_CHECKING:
    from cleanaudit.workflows.selfcheck import SelfCheckResult


def _names(class_names: Sequence[Any], codes: np.ndarray) -> list[Any]:
    return [class_names[int(c)] for c in codes]


@dataclass
class FindIssuesResult(CommandOutcome):
    """Label issues ranked most severe first, with per-row scores for every example."""

    ranked_rows: np.ndarray
    is_issue: np.ndarray
    label_quality: np.ndarray
    given: np.ndarray
    predicted: np.ndarray
    class_names: list[Any]
    ids: np.ndarray | None
    filter_by: str
    rank_by: str
    positions: np.ndarray | None = None  # input row of each analysed row (None: all rows, in order)
    not_analysed: dict[str, Any] | None = None  # the JSON record of the input rows left out
    self_check: SelfCheckResult | None = None  # with --self-check
    context: RunContext | None = field(default=None, repr=False, compare=False)  # set by run_find_issues

    @property
    def num_issues(self) -> int:
        return int(self.ranked_rows.size)

    def issues(self, top: int | None = None) -> list[dict[str, Any]]:
        rows = self.ranked_rows if top is None else self.ranked_rows[:top]
        positions = self.positions if self.positions is not None else np.arange(len(self.given))
        return [
            {
                "row": int(positions[r]),
                "id": _plain(self.ids[r]) if self.ids is not None else int(positions[r]),
                "given_label": _plain(self.class_names[self.given[r]]),
                "predicted_label": _plain(self.class_names[self.predicted[r]]),
                "label_quality": float(self.label_quality[r]),
            }
            for r in rows
        ]

    def payload(self, top: int | None = None) -> dict[str, Any]:
        return {
            "filter_by": self.filter_by,
            "rank_by": self.rank_by,
            "num_issues": self.num_issues,
            "issues": self.issues(top),
            **({"not_analysed": self.not_analysed} if self.not_analysed is not None else {}),
        }

    def per_row_frame_columns(self) -> dict[str, Any]:
        """Columns of issues.csv / issues.parquet (one row per example)."""
        return {
            "is_label_issue": self.is_issue,
            "label_score": self.label_quality,
            "given_label": _names(self.class_names, self.given),
            "predicted_label": _names(self.class_names, self.predicted),
            "label_quality": self.label_quality,
        }


def find_issues_result(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    class_names: Sequence[Any],
    *,
    ids: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    not_analysed: dict[str, Any] | None = None,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    adjust_pred_probs: bool = False,
    min_examples_per_class: int = 1,
    frac_noise: float = 1.0,
) -> FindIssuesResult:
    """Flag label issues with ``filter_by`` and rank them by ``rank_by`` (lowest quality first).

    >>> p = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> r = find_issues_result(np.array([0, 0, 1, 1, 1, 0]), p, ["a", "b"])
    >>> r.ranked_rows.tolist()
    [5, 4]
    """
    settings = label_issue_settings(filter_by, rank_by, adjust_pred_probs, min_examples_per_class, frac_noise)
    found = label_issues(labels, pred_probs, **settings)
    return issues_result(
        found, labels, class_names, filter_by, rank_by, ids=ids, positions=positions, not_analysed=not_analysed
    )


def label_issue_settings(
    filter_by: str, rank_by: str, adjust_pred_probs: bool, min_examples_per_class: int, frac_noise: float
) -> dict[str, Any]:
    """The engine's ``label_issues`` keywords for find-issues' options (in memory or over blocks).

    >>> label_issue_settings("both", "normalized_margin", True, 1, 1.0)["rank_by_kwargs"]
    {'adjust_pred_probs': True}
    """
    rank_kwargs = {"adjust_pred_probs": adjust_pred_probs} if rank_by != "confidence_weighted_entropy" else {}
    return {
        "filter_by": filter_by,
        "min_examples_per_class": min_examples_per_class,
        "frac_noise": frac_noise,
        "rank_by": rank_by,
        "rank_by_kwargs": rank_kwargs,
    }


def issues_result(
    found: LabelIssueResult,
    labels: np.ndarray,
    class_names: Sequence[Any],
    filter_by: str,
    rank_by: str,
    *,
    ids: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    not_analysed: dict[str, Any] | None = None,
) -> FindIssuesResult:
    """The find-issues result of the engine's ``label_issues`` output, found with ``filter_by`` and ``rank_by``."""
    return FindIssuesResult(
        ranked_rows=found.ranked_indices,
        is_issue=found.is_issue,
        label_quality=found.label_quality,
        given=np.asarray(labels),
        predicted=found.predicted_labels,
        class_names=list(class_names),
        ids=ids,
        filter_by=filter_by,
        rank_by=rank_by,
        positions=positions,
        not_analysed=not_analysed,
    )


@dataclass
class EnsembleIssuesResult(FindIssuesResult):
    """Label issues found with an ensemble; ``ensemble`` names each member's weight (table caption, JSON)."""

    ensemble: dict[str, Any] = field(default_factory=dict)  # also in the JSON ``run.ensemble``


def ensemble_issues_result(
    labels: np.ndarray,
    members: Sequence[Member],
    class_names: Sequence[Any],
    *,
    ids: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    not_analysed: dict[str, Any] | None = None,
    weighting: str = "accuracy",
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    adjust_pred_probs: bool = False,
    min_examples_per_class: int = 1,
    frac_noise: float = 1.0,
) -> EnsembleIssuesResult:
    """Flag issues on the weighted mean pred_probs; score and rank them by the ensembled label quality.

    >>> P1 = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> r = ensemble_issues_result(np.array([0, 0, 1, 1, 1, 0]), [Member("a", P1), Member("b", P1)], ["x", "y"])
    >>> r.ranked_rows.tolist(), r.ensemble["members"][0]["weight"]
    ([5, 4], 0.5)
    """
    labels = np.asarray(labels)
    pred_probs_list = [m.pred_probs for m in members]
    weights = member_weights(labels, pred_probs_list, weighting)
    mixed = mix_pred_probs(pred_probs_list, weights)
    rank_kwargs: dict[str, Any] = (
        {"adjust_pred_probs": adjust_pred_probs} if rank_by != "confidence_weighted_entropy" else {}
    )
    quality = engine.get_label_quality_ensemble_scores(
        labels,
        list(pred_probs_list),
        method=rank_by,
        weight_ensemble_members_by=weighting,
        verbose=False,
        **rank_kwargs,
    )
    found = label_issues(
        labels,
        mixed,
        filter_by=filter_by,
        min_examples_per_class=min_examples_per_class,
        frac_noise=frac_noise,
        label_quality=quality,
    )
    return EnsembleIssuesResult(
        ranked_rows=found.ranked_indices,
        is_issue=found.is_issue,
        label_quality=found.label_quality,
        given=labels,
        predicted=found.predicted_labels,
        class_names=list(class_names),
        ids=ids,
        filter_by=filter_by,
        rank_by=f"ensemble {rank_by}",
        positions=positions,
        not_analysed=not_analysed,
        ensemble=describe_members(labels, members, weights, weighting),
    )


@dataclass
class HealthResult(CommandOutcome):
    """Overall label health score and per-class label quality."""

    health_score: float
    num_label_issues: int
    num_examples: int
    classes: list[dict[str, Any]]
    confusion: dict[str, Any] | None = None  # the out-of-fold confusion matrix (workflows.confusion)
    context: RunContext | None = field(default=None, repr=False, compare=False)  # set by run_health

    def payload(self) -> dict[str, Any]:
        found = {"health_score": self.health_score, "num_label_issues": self.num_label_issues, "classes": self.classes}
        if self.confusion is not None:
            found["confusion_matrix"] = self.confusion
        return found


def health_result(
    labels: np.ndarray, pred_probs: np.ndarray | None, class_names: Sequence[Any], *, blocks: Any = None
) -> HealthResult:
    """Health score (1 - off-diagonal label issues / N) and the class ranking of the engine.

    ``blocks`` (pred_probs in row blocks, ``pred_probs=None``): the same result through
    :mod:`cleanaudit.engine.blocks` (:class:`~cleanaudit.workflows.label_engine.LabelEngine`).

    >>> p = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> health_result(np.array([0, 0, 1, 1, 1, 0]), p, ["a", "b"]).health_score
    0.6666666666666667
    """
    on = LabelEngine(labels, pred_probs, blocks=blocks)
    n_issues = on.num_label_issues()
    score = on.health_score(n_issues)
    ranking = on.classes_by_label_quality()
    classes = [
        {
            "class": _plain(class_names[int(k)]),
            "label_issues": int(ranking["Label Issues"][i]),
            "inverse_label_issues": int(ranking["Inverse Label Issues"][i]),
            "label_noise": float(ranking["Label Noise"][i]),
            "inverse_label_noise": float(ranking["Inverse Label Noise"][i]),
            "label_quality_score": float(ranking["Label Quality Score"][i]),
        }
        for i, k in enumerate(ranking["Class Index"])
    ]
    from cleanaudit.workflows.confusion import confusion_summary

    confusion = confusion_summary(labels, pred_probs, class_names, predicted=on.predicted_labels())
    return HealthResult(float(score), int(n_issues), int(len(labels)), classes, confusion)


@dataclass
class OverlapResult(CommandOutcome):
    """Class pairs that the model confuses, largest joint probability first."""

    pairs: list[dict[str, Any]]
    asymmetric: bool
    pairs_total: int | None = None  # every class pair, listed or not (None: all are listed)
    context: RunContext | None = field(default=None, repr=False, compare=False)  # set by run_overlap

    @property
    def num_pairs(self) -> int:
        return len(self.pairs) if self.pairs_total is None else int(self.pairs_total)

    def payload(self, top: int | None = None) -> dict[str, Any]:
        shown = self.pairs[:top] if top else self.pairs
        return {
            "asymmetric": self.asymmetric,
            "pairs_total": self.num_pairs,
            "pairs_left_out": self.num_pairs - len(shown),
            "pairs": shown,
        }


def overlap_result(
    labels: np.ndarray,
    pred_probs: np.ndarray | None,
    class_names: Sequence[Any],
    *,
    asymmetric: bool = False,
    top: int | None = None,
    blocks: Any = None,
) -> OverlapResult:
    """Overlapping class pairs from the engine's estimated joint: the ``top`` largest (all with ``None``).

    The kept pairs are exactly the first rows of ``engine.find_overlapping_classes``; only
    they become records (K=5,000 classes have 12.5 million pairs). ``blocks``: as :func:`health_result`.

    >>> p = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> overlap_result(np.array([0, 0, 1, 1, 1, 0]), p, ["a", "b"]).pairs[0]["num_overlapping_examples"]
    2
    """
    table, total = LabelEngine(labels, pred_probs, blocks=blocks).top_overlapping_classes(
        asymmetric=asymmetric, top=top
    )
    pairs = [
        {
            "class_a": _plain(class_names[int(a)]),
            "class_b": _plain(class_names[int(b)]),
            "num_overlapping_examples": int(n),
            "joint_probability": float(jp),
        }
        for a, b, n, jp in zip(
            table["Class Index A"],
            table["Class Index B"],
            table["Num Overlapping Examples"],
            table["Joint Probability"],
        )
    ]
    return OverlapResult(pairs, asymmetric, total)


@dataclass
class NoiseMatrixResult(CommandOutcome):
    """Prior of true labels, noise matrices, confident joint and joint (rows/columns in class order)."""

    class_names: list[Any]
    py: np.ndarray
    noise_matrix: np.ndarray
    inverse_noise_matrix: np.ndarray
    confident_joint: np.ndarray
    joint: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)
    context: RunContext | None = field(default=None, repr=False, compare=False)  # set by run_noise_matrix

    def payload(self) -> dict[str, Any]:
        return {
            **self.settings,
            "py": self.py.tolist(),
            "noise_matrix": self.noise_matrix.tolist(),
            "inverse_noise_matrix": self.inverse_noise_matrix.tolist(),
            "confident_joint": self.confident_joint.tolist(),
            "joint": self.joint.tolist(),
        }


def noise_matrix_result(
    labels: np.ndarray,
    pred_probs: np.ndarray | None,
    class_names: Sequence[Any],
    *,
    converge_latent_estimates: bool = False,
    py_method: str = "cnt",
    blocks: Any = None,
) -> NoiseMatrixResult:
    """Latent estimates of the label noise from the calibrated confident joint (``blocks``: as :func:`health_result`).

    >>> p = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> noise_matrix_result(np.array([0, 0, 1, 1, 1, 0]), p, ["a", "b"]).confident_joint.tolist()
    [[2, 1], [1, 2]]
    """
    on = LabelEngine(labels, pred_probs, blocks=blocks)
    py, nm, inv, cj = on.py_and_noise_matrices(converge_latent_estimates=converge_latent_estimates, py_method=py_method)
    joint = on.joint_of(cj)
    settings = {"converge_latent_estimates": converge_latent_estimates, "py_method": py_method}
    return NoiseMatrixResult(list(class_names), py, nm, inv, np.asarray(cj), joint, settings)


def _plain(value: Any) -> Any:
    """NumPy scalars to Python scalars (for JSON and tables)."""
    return value.item() if isinstance(value, np.generic) else value
