"""The shared options that say what form the labels take: one per row, a set per row, or several annotators'.

Declared here and spliced into :data:`cleanaudit.cli.shared_options.SHARED_OPTIONS` after ``--label``
(the order of ``--help``). Light imports only: ``cleanaudit --help`` reads this module.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from cleanaudit import choices

DATA_PANEL = "Data"  # the panel of shared_options.DATA_PANEL (not imported: that module imports this one)

Task = Enum("Task", {v: v for v in choices.TASKS}, type=str)  # type: ignore[misc]

LABEL_FORM_OPTIONS: dict[str, tuple[Any, Any]] = {
    "task": (
        Annotated[
            Task,
            typer.Option(
                "--task",
                help="multiclass: one label per row. multilabel: each row holds a set of labels (a Parquet "
                "list column, or text split by --label-sep); models are fitted one-vs-rest.",
                rich_help_panel=DATA_PANEL,
            ),
        ],
        Task("multiclass"),
    ),
    "label_sep": (
        Annotated[
            str,
            typer.Option(
                "--label-sep",
                help="--task multilabel: the separator between labels in a text label column "
                "(an empty cell: no labels).",
                rich_help_panel=DATA_PANEL,
            ),
        ],
        ",",
    ),
    "annotators": (
        Annotated[
            str | None,
            typer.Option(
                "--annotators",
                help="Columns holding several annotators' labels, as a comma list or a glob ('rater_*'); an "
                "empty cell means that annotator did not label the row. The consensus label is audited "
                "(--label is then not needed).",
                rich_help_panel=DATA_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
}
