"""Results of the label commands (find-issues, health, overlap, noise-matrix), as plain data.

The workflows ``run_find_issues``, ``run_health``, ``run_overlap`` and ``run_noise_matrix``
(:mod:`cleanaudit.workflows.find_issues`, ``.health``, ``.overlap``, ``.noise_matrix``) return these
results with their ``context`` (dataset, run record, notes, gates) set.

Each ``*_result`` function runs the engine on ``labels`` and ``pred_probs`` and returns a
dataclass; each dataclass knows its JSON payload (the keys of DESIGN.md's contract) and the
tables a person reads. Nothing here prints or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from cleanaudit import engine
from cleanaudit.engine.issues import label_issues
from cleanaudit.report.tables import TableData
from cleanaudit.workflows.result import CommandOutcome, RunContext


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
    context: RunContext | None = field(default=None, repr=False, compare=False)  # set by run_find_issues

    @property
    def num_issues(self) -> int:
        return int(self.ranked_rows.size)

    def issues(self, top: int | None = None) -> list[dict[str, Any]]:
        rows = self.ranked_rows if top is None else self.ranked_rows[:top]
        return [
            {
                "row": int(r),
                "id": _plain(self.ids[r]) if self.ids is not None else int(r),
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
        }

    def tables(self, top: int | None = None) -> list[TableData]:
        columns = ["row", "id", "given_label", "predicted_label", "label_quality"]
        if self.ids is None:
            columns.remove("id")
        rows = [[issue[c] for c in columns] for issue in self.issues(top)]
        shown = len(rows)
        caption = f"{self.num_issues} label issues (filter_by={self.filter_by}, ranked by {self.rank_by})"
        if shown < self.num_issues:
            caption += f"; showing the {shown} most severe (--top to change)"
        return [TableData("Label issues, most severe first", columns, rows, caption=caption)]

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
    rank_kwargs = {"adjust_pred_probs": adjust_pred_probs} if rank_by != "confidence_weighted_entropy" else {}
    found = label_issues(labels, pred_probs, filter_by=filter_by, min_examples_per_class=min_examples_per_class,
                         frac_noise=frac_noise, rank_by=rank_by, rank_by_kwargs=rank_kwargs)
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
    )


@dataclass
class HealthResult(CommandOutcome):
    """Overall label health score and per-class label quality."""

    health_score: float
    num_label_issues: int
    num_examples: int
    classes: list[dict[str, Any]]
    context: RunContext | None = field(default=None, repr=False, compare=False)  # set by run_health

    def payload(self) -> dict[str, Any]:
        return {"health_score": self.health_score, "num_label_issues": self.num_label_issues, "classes": self.classes}

    def tables(self) -> list[TableData]:
        columns = ["class", "label_issues", "inverse_label_issues", "label_noise", "inverse_label_noise",
                   "label_quality_score"]
        rows = [[c[k] for k in columns] for c in self.classes]
        caption = (
            f"health score {self.health_score:.4f}: about {self.num_label_issues} of {self.num_examples} labels "
            f"({self.num_label_issues / self.num_examples:.1%}) look wrong; classes worst first"
        )
        return [TableData("Label quality per class", columns, rows, caption=caption)]


def health_result(labels: np.ndarray, pred_probs: np.ndarray, class_names: Sequence[Any]) -> HealthResult:
    """Health score (1 - off-diagonal label issues / N) and the class ranking of the engine.

    >>> p = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> health_result(np.array([0, 0, 1, 1, 1, 0]), p, ["a", "b"]).health_score
    0.6666666666666667
    """
    score = engine.overall_label_health_score(labels, pred_probs, verbose=False)
    n_issues = engine.num_label_issues(labels, pred_probs)
    ranking = engine.rank_classes_by_label_quality(labels, pred_probs)
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
    return HealthResult(float(score), int(n_issues), int(len(labels)), classes)


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
        return {"asymmetric": self.asymmetric, "pairs_total": self.num_pairs,
                "pairs_left_out": self.num_pairs - len(shown), "pairs": shown}

    def tables(self, top: int | None = None) -> list[TableData]:
        columns = ["class_a", "class_b", "num_overlapping_examples", "joint_probability"]
        shown = self.pairs[:top] if top else self.pairs
        rows = [[p[c] for c in columns] for p in shown]
        caption = "pairs worth merging or relabelling are at the top"
        if self.asymmetric:
            caption += "; asymmetric: class_a is the given label, class_b the likely true one"
        if len(shown) < self.num_pairs:
            caption += f"; the {len(shown)} largest of {self.num_pairs:,} pairs (--top to change, 0 = all)"
        return [TableData("Overlapping classes", columns, rows, caption=caption)]


def overlap_result(
    labels: np.ndarray, pred_probs: np.ndarray, class_names: Sequence[Any], *, asymmetric: bool = False,
    top: int | None = None,
) -> OverlapResult:
    """Overlapping class pairs from the engine's estimated joint: the ``top`` largest (all with ``None``).

    The kept pairs are exactly the first rows of ``engine.find_overlapping_classes``; only
    they become records (K=5,000 classes have 12.5 million pairs).

    >>> p = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> overlap_result(np.array([0, 0, 1, 1, 1, 0]), p, ["a", "b"]).pairs[0]["num_overlapping_examples"]
    2
    """
    table, total = engine.dataset.top_overlapping_classes(labels, pred_probs, asymmetric=asymmetric, top=top)
    pairs = [
        {
            "class_a": _plain(class_names[int(a)]),
            "class_b": _plain(class_names[int(b)]),
            "num_overlapping_examples": int(n),
            "joint_probability": float(jp),
        }
        for a, b, n, jp in zip(
            table["Class Index A"], table["Class Index B"], table["Num Overlapping Examples"],
            table["Joint Probability"],
        )
    ]
    return OverlapResult(pairs, asymmetric, total)


MAX_SQUARE_CLASSES = 50  # noise-matrix tables (terminal, Markdown) up to this many classes


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

    def tables(self) -> list[TableData]:
        names = [str(_plain(c)) for c in self.class_names]

        def square(title: str, matrix: np.ndarray, corner: str, caption: str) -> TableData:
            rows = [[names[i], *matrix[i].tolist()] for i in range(len(names))]
            return TableData(title, [corner, *names], rows, caption=caption)

        py_table = TableData("Prior of true labels (py)", ["class", "py"],
                             [[n, float(v)] for n, v in zip(names, self.py)])
        if len(names) > MAX_SQUARE_CLASSES:  # K x K tables this wide are unreadable and cost K^2 cells to render
            py_table.notes.append(f"the {len(names)} x {len(names)} matrices are too wide to show here (more than "
                                  f"{MAX_SQUARE_CLASSES} classes): --format json or --out DIR writes them in full")
            return [py_table]
        return [
            py_table,
            square("Confident joint", self.confident_joint, "given \\ true", "counts; rows sum to the class sizes"),
            square("Joint", self.joint, "given \\ true", "P(given, true); sums to 1"),
            square("Noise matrix", self.noise_matrix, "given \\ true", "P(given | true); columns sum to 1"),
            square("Inverse noise matrix", self.inverse_noise_matrix, "true \\ given",
                   "P(true | given); columns sum to 1"),
        ]


def noise_matrix_result(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    class_names: Sequence[Any],
    *,
    converge_latent_estimates: bool = False,
    py_method: str = "cnt",
) -> NoiseMatrixResult:
    """Latent estimates of the label noise from the calibrated confident joint.

    >>> p = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> noise_matrix_result(np.array([0, 0, 1, 1, 1, 0]), p, ["a", "b"]).confident_joint.tolist()
    [[2, 1], [1, 2]]
    """
    py, nm, inv, cj = engine.estimate_py_and_noise_matrices_from_probabilities(
        labels, pred_probs, converge_latent_estimates=converge_latent_estimates, py_method=py_method
    )
    joint = engine.estimate_joint(labels, pred_probs, confident_joint=cj)
    settings = {"converge_latent_estimates": converge_latent_estimates, "py_method": py_method}
    return NoiseMatrixResult(list(class_names), py, nm, inv, np.asarray(cj), joint, settings)


def _plain(value: Any) -> Any:
    """NumPy scalars to Python scalars (for JSON and tables)."""
    return value.item() if isinstance(value, np.generic) else value
