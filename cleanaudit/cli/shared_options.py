"""The options shared by every command that reads data, as Typer declares them.

:func:`cleanaudit.cli.options.data_command` appends them to each such command's signature (in
this order, which is the order in ``--help``) and gathers them into one ``DataOptions``. Light
imports only: ``cleanaudit --help`` reads this module.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from cleanaudit import choices
from cleanaudit.cli.ci_options import FORMAT_HELP, GATE_OPTIONS
from cleanaudit.cli.label_form_options import LABEL_FORM_OPTIONS
from cleanaudit.workflows.request import DEFAULT_CV, DEFAULT_SEED

__all__ = [
    "DATA_ARGUMENT",
    "DATA_PANEL",
    "GATES_PANEL",
    "MAX_SEED",
    "MODEL_PANEL",
    "OUTPUT_PANEL",
    "SHARED_OPTIONS",
    "OutputFormat",
]


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    junit = "junit"
    github = "github"
    sarif = "sarif"


OnBadLabels = Enum("OnBadLabels", {v: v for v in choices.ON_BAD_LABELS}, type=str)  # type: ignore[misc]

MAX_SEED = 2**32 - 1  # NumPy's RandomState, which scikit-learn seeds, takes 0 .. 2**32 - 1

DATA_PANEL = "Data"
MODEL_PANEL = "Model and pred_probs"
OUTPUT_PANEL = "Output"
GATES_PANEL = "Gates (CI)"


# Each shared option: name -> (annotation, default). The order is the order in --help.
SHARED_OPTIONS: dict[str, tuple[Any, Any]] = {
    "label": (
        Annotated[
            str | None,
            typer.Option(
                "--label",
                "-l",
                help="Column holding the class labels (required).",
                rich_help_panel=DATA_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "features": (
        Annotated[
            str | None,
            typer.Option(
                help="Comma-separated feature columns \\[default: all other columns].",
                rich_help_panel=DATA_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "ignore": (
        Annotated[
            str | None,
            typer.Option(
                help="Comma-separated columns to leave out of the features.",
                rich_help_panel=DATA_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    **LABEL_FORM_OPTIONS,  # --task, --label-sep, --annotators (cli/label_form_options.py)
    "id_column": (
        Annotated[
            str | None,
            typer.Option(
                "--id-column",
                help="Column identifying rows in reports \\[default: row position].",
                rich_help_panel=DATA_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "on_missing_label": (
        Annotated[
            OnBadLabels,
            typer.Option(
                "--on-missing-label",
                help="Rows with no label: skip them (a note counts them) or stop with an error.",
                rich_help_panel=DATA_PANEL,
            ),
        ],
        OnBadLabels("skip"),
    ),
    "on_rare_class": (
        Annotated[
            OnBadLabels,
            typer.Option(
                "--on-rare-class",
                help="Classes with fewer rows than the --cv folds: leave their rows out of the analysis "
                "(a note lists them all; they are reported as not analysed) or stop with an error.",
                rich_help_panel=DATA_PANEL,
            ),
        ],
        OnBadLabels("skip"),
    ),
    "model": (
        Annotated[
            list[str] | None,
            typer.Option(
                "--model",
                "-m",
                help="auto (pick the preset with the lowest out-of-fold log loss), a preset "
                "(logreg, random-forest, hist-gb, knn) or package.module:Class "
                "\\[default: auto]. Repeat it for an ensemble (find-issues, audit). A class is "
                "imported only from an installed, trusted package (sklearn, xgboost, lightgbm, "
                "catboost, or --trust-module), never from the working folder.",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "model_param": (
        Annotated[
            list[str] | None,
            typer.Option(
                "--model-param",
                help="Model parameter key=value (repeatable), e.g. C=0.5.",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "trust_module": (
        Annotated[
            list[str] | None,
            typer.Option(
                "--trust-module",
                metavar="NAME",
                help="Also allow --model package.module:Class from this installed top-level package "
                "(repeatable), e.g. mymodels \\[default: sklearn, xgboost, lightgbm, catboost].",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    # cv and seed default to None so that a value from the config file can be told from a flag.
    "cv": (
        Annotated[
            int | None,
            typer.Option(
                "--cv",
                min=2,
                help=f"Cross-validation folds \\[default: {DEFAULT_CV}].",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "seed": (
        Annotated[
            int | None,
            typer.Option(
                min=0,
                max=MAX_SEED,
                help=f"Random seed for folds and models, 0 to 2**32-1 \\[default: {DEFAULT_SEED}].",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "jobs": (
        Annotated[
            int | None,
            typer.Option(
                "--jobs",
                "-j",
                help="Parallel jobs for cross-validation: 1 or more, or -1 for all cores \\[default: 1].",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    # Typer reads CLEANAUDIT_SCHEDULER when the flag is absent; apply_config fills in the config's value after.
    "scheduler": (
        Annotated[
            str | None,
            typer.Option(
                "--scheduler",
                metavar="ADDRESS",
                envvar="CLEANAUDIT_SCHEDULER",
                help="Run on a Dask cluster (needs the dask extra: pip install \"cleanaudit\\[dask]\"): 'local' "
                "starts one on this machine (a worker per core), else tcp://host:8786 or a scheduler JSON file "
                "(dask scheduler --scheduler-file). A batch of datasets runs one task per dataset; one table is "
                "read as partitions (Parquet row groups, CSV blocks; clean runs here). Precedence: "
                "--scheduler > env CLEANAUDIT_SCHEDULER > scheduler in the config file \\[default: no cluster].",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "train_rows": (
        Annotated[
            int | None,
            typer.Option(
                "--train-rows",
                metavar="N",
                min=1,
                help="Used with --scheduler on one table: the most rows a model without partial_fit trains on "
                "per fold (a stratified sample; a note says so) \\[default: 200000].",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "pred_probs": (
        Annotated[
            list[Path] | None,
            typer.Option(
                "--pred-probs",
                help="Out-of-sample predicted probabilities (.npy, .csv, .parquet; N x K, columns in "
                "sorted class order or named by class) instead of fitting a model. Repeat it "
                "for an ensemble (find-issues, audit).",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "from_model": (
        Annotated[
            Path | None,
            typer.Option(
                "--from-model",
                help="Score the data with a model saved by 'cleanaudit clean --save-model' "
                "(predict_proba; not out-of-sample for rows it was trained on) instead of "
                "cross-validation.",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "save_pred_probs": (
        Annotated[
            Path | None,
            typer.Option(
                "--save-pred-probs",
                metavar="FILE",
                help="Also write the out-of-fold pred_probs used (.npy, .csv or .parquet; CSV and Parquet "
                "columns named by class), to pass later with --pred-probs FILE.",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "cache_dir": (
        Annotated[
            Path | None,
            typer.Option(
                "--cache-dir",
                metavar="DIR",
                envvar="CLEANAUDIT_CACHE_DIR",
                help="Where out-of-fold pred_probs are cached, keyed by the input's SHA-256, columns, model, "
                "folds, seed and library versions \\[default: the user cache folder, e.g. ~/.cache/cleanaudit].",
                rich_help_panel=MODEL_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "no_cache": (
        Annotated[
            bool,
            typer.Option(
                "--no-cache", help="Neither read nor write the pred_probs cache.", rich_help_panel=MODEL_PANEL
            ),
        ],
        False,
    ),
    "format": (
        Annotated[
            OutputFormat,
            typer.Option("--format", "-f", help=FORMAT_HELP, rich_help_panel=OUTPUT_PANEL),
        ],
        OutputFormat.table,
    ),
    "out": (
        Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                help="Also write report.json (and per-row files) to this folder, as one "
                "set: built beside it and moved into place when complete, replacing "
                "an earlier report as a whole. The folder must be new, empty or hold "
                "only an earlier report; other files make it refuse (exit 2).",
                rich_help_panel=OUTPUT_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "fail_on": (
        Annotated[
            list[str] | None,
            typer.Option(
                "--fail-on",
                help="Exit 1 when this holds (repeatable): 'label>0.05' (share of rows), 'label>100' "
                "(count), 'health<0.8', 'near_duplicate>0', 'non_iid' (flagged at all).",
                rich_help_panel=GATES_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "fail_under": (
        Annotated[
            float | None,
            typer.Option(
                "--fail-under",
                help="Exit 1 when the label health score is below this (same as --fail-on 'health<X').",
                rich_help_panel=GATES_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    **GATE_OPTIONS,  # --exit-zero (cli/ci_options.py)
    "quiet": (
        Annotated[
            bool,
            typer.Option(
                "--quiet", "-q", help="No progress or notes on stderr; only the result.", rich_help_panel=OUTPUT_PANEL
            ),
        ],
        False,
    ),
    "debug": (
        Annotated[
            bool,
            typer.Option("--debug", help="Show tracebacks for errors.", rich_help_panel=OUTPUT_PANEL),
        ],
        False,
    ),
    "config": (
        Annotated[
            Path | None,
            typer.Option(
                "--config",
                help="Settings file (cleanaudit.toml, or pyproject.toml with "
                "\\[tool.cleanaudit]) \\[default: the nearest one from the working folder up].",
                rich_help_panel=OUTPUT_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
}

# Text, not Path: an fsspec URL (s3://bucket/key.parquet) must keep its "//" (options.data_command makes Paths).
DATA_ARGUMENT = Annotated[
    list[str],
    typer.Argument(
        help="CSV or Parquet file(s), folders, globs or fsspec URLs (s3://, gs://, file://); several files are "
        "concatenated (audit: each is audited on its own, with an index).",
        show_default=False,
        metavar="DATA",
    ),
]
