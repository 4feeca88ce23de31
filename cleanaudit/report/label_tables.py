"""The tables of the label commands: find-issues, health, overlap and noise-matrix.

One function per result (:mod:`cleanaudit.workflows.labels`); the terminal, Markdown and
``--format csv`` read the same tables. The JSON payload is the result's own ``payload()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.report.tables import TableData

if TYPE_CHECKING:
    from cleanaudit.workflows.labels import FindIssuesResult, HealthResult, NoiseMatrixResult, OverlapResult

MAX_SQUARE_CLASSES = 50  # noise-matrix tables (terminal, Markdown) up to this many classes


def find_issues_tables(result: FindIssuesResult, top: int | None = None) -> list[TableData]:
    """The ``top`` most severe label issues (all with ``None``); an ensemble's caption names each member's weight."""
    from cleanaudit.workflows.labels import EnsembleIssuesResult

    columns = ["row", "id", "given_label", "predicted_label", "label_quality"]
    if result.ids is None:
        columns.remove("id")
    rows = [[issue[c] for c in columns] for issue in result.issues(top)]
    shown = len(rows)
    caption = f"{result.num_issues} label issues (filter_by={result.filter_by}, ranked by {result.rank_by})"
    if shown < result.num_issues:
        caption += f"; showing the {shown} most severe (--top to change)"
    if isinstance(result, EnsembleIssuesResult):
        weights = ", ".join(f"{m['model']} {m['weight']:.3f}" for m in result.ensemble["members"])
        caption += (
            f"; ensemble of {len(result.ensemble['members'])} ({result.ensemble['weighting']} weights: {weights})"
        )
    tables = [TableData("Label issues, most severe first", columns, rows, caption=caption)]
    if result.self_check is not None:
        tables.append(self_check_table(result.self_check))
    return tables


def self_check_table(check: Any) -> TableData:
    """``--self-check``: the errors planted, how many the rerun flagged and found, its precision and recall."""
    planted = "as estimated" if check.rate == "auto" else f"{float(check.rate):.1%} of rows"
    return TableData(
        "Self-check: this run's precision and recall, estimated",
        ["planted", "errors planted", "flagged", "found", "precision", "recall"],
        [[planted, check.num_flipped, check.num_flagged, check.num_found, *_or_na(check.precision, check.recall)]],
        caption=f"the {check.num_corrected} flagged labels corrected, errors planted with the estimated noise "
        f"matrix, detection rerun ({check.pred_probs}); optimistic where classes overlap (README: Self-check)",
    )


def _or_na(*values: float | None) -> list[Any]:
    return ["n/a" if v is None else v for v in values]


def health_tables(result: HealthResult) -> list[TableData]:
    """Label quality per class, worst first, under the overall health score."""
    columns = [
        "class",
        "label_issues",
        "inverse_label_issues",
        "label_noise",
        "inverse_label_noise",
        "label_quality_score",
    ]
    rows = [[c[k] for k in columns] for c in result.classes]
    caption = (
        f"health score {result.health_score:.4f}: about {result.num_label_issues} of {result.num_examples} labels "
        f"({result.num_label_issues / result.num_examples:.1%}) look wrong; classes worst first"
    )
    from cleanaudit.report.run_tables import confusion_tables

    return [TableData("Label quality per class", columns, rows, caption=caption), *confusion_tables(result.confusion)]


def overlap_tables(result: OverlapResult, top: int | None = None) -> list[TableData]:
    """The overlapping class pairs, the ``top`` largest (all the result holds with ``None`` or 0)."""
    columns = ["class_a", "class_b", "num_overlapping_examples", "joint_probability"]
    shown = result.pairs[:top] if top else result.pairs
    rows = [[p[c] for c in columns] for p in shown]
    caption = "pairs worth merging or relabelling are at the top"
    if result.asymmetric:
        caption += "; asymmetric: class_a is the given label, class_b the likely true one"
    if len(shown) < result.num_pairs:
        caption += f"; the {len(shown)} largest of {result.num_pairs:,} pairs (--top to change, 0 = all)"
    return [TableData("Overlapping classes", columns, rows, caption=caption)]


def noise_matrix_tables(result: NoiseMatrixResult) -> list[TableData]:
    """py, then the confident joint, joint, noise and inverse noise matrices (only py past
    :data:`MAX_SQUARE_CLASSES` classes)."""
    names = [str(_plain(c)) for c in result.class_names]

    def square(title: str, matrix: np.ndarray, corner: str, caption: str) -> TableData:
        rows = [[names[i], *matrix[i].tolist()] for i in range(len(names))]
        return TableData(title, [corner, *names], rows, caption=caption)

    py_table = TableData(
        "Prior of true labels (py)", ["class", "py"], [[n, float(v)] for n, v in zip(names, result.py)]
    )
    if len(names) > MAX_SQUARE_CLASSES:  # K x K tables this wide are unreadable and cost K^2 cells to render
        py_table.notes.append(
            f"the {len(names)} x {len(names)} matrices are too wide to show here (more than "
            f"{MAX_SQUARE_CLASSES} classes): --format json or --out DIR writes them in full"
        )
        return [py_table]
    return [
        py_table,
        square("Confident joint", result.confident_joint, "given \\ true", "counts; rows sum to the class sizes"),
        square("Joint", result.joint, "given \\ true", "P(given, true); sums to 1"),
        square("Noise matrix", result.noise_matrix, "given \\ true", "P(given | true); columns sum to 1"),
        square(
            "Inverse noise matrix", result.inverse_noise_matrix, "true \\ given", "P(true | given); columns sum to 1"
        ),
    ]


def noise_matrix_long_table(result: NoiseMatrixResult) -> TableData:
    """Every matrix of noise-matrix in one long table (``--format csv``), whatever the number of classes.

    >>> from cleanaudit.workflows.labels import noise_matrix_result
    >>> p = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.7, .3], [.1, .9]])
    >>> table = noise_matrix_long_table(noise_matrix_result(np.array([0, 0, 1, 1, 1, 0]), p, ["a", "b"]))
    >>> print(table.to_csv().splitlines()[:2], len(table.rows))
    ['matrix,row_class,column_class,value', 'py,a,,0.5'] 18
    """
    names = [_plain(c) for c in result.class_names]
    rows: list[list[Any]] = [["py", n, "", float(v)] for n, v in zip(names, result.py)]
    for title, matrix in (
        ("noise_matrix", result.noise_matrix),
        ("inverse_noise_matrix", result.inverse_noise_matrix),
        ("confident_joint", result.confident_joint),
        ("joint", result.joint),
    ):
        values = np.asarray(matrix).tolist()
        rows += [[title, names[i], names[j], values[i][j]] for i in range(len(names)) for j in range(len(names))]
    return TableData("noise-matrix", ["matrix", "row_class", "column_class", "value"], rows)


def _plain(value: Any) -> Any:
    """NumPy scalars to Python scalars."""
    return value.item() if isinstance(value, np.generic) else value
