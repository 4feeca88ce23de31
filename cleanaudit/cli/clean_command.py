"""The clean command: find label issues, then drop, relabel or weight those rows; write the cleaned
table and a manifest; optionally compare test accuracy before and after, and save the cleaned model.

It parses the options, calls :func:`cleanaudit.workflows.clean_run.run_clean` and renders the result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cleanaudit import choices
from cleanaudit.cli.options import DataOptions, choice_enum, data_command, data_request, examples

Strategy = choice_enum("Strategy", choices.CLEAN_STRATEGIES)
CLEAN_PANEL = "Cleaning"
TABLE_TOP_DEFAULT = 10


@data_command
def clean(
    opts: DataOptions,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Write the cleaned table here (.csv or .parquet; never over an input), and "
            "<name>.manifest.csv beside it; both (and --save-model) are moved into place "
            "together once all are written. Required unless --dry-run.",
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
    strategy: Annotated[
        Strategy | None,
        typer.Option(
            help="drop: remove flagged rows; relabel: give them the predicted class where the model is "
            "confident (others are removed); weight: keep every row, add a sample_weight column; consensus "
            "(with --annotators): keep every row, add a consensus_label column. With --corrections it decides "
            "only the rows not reviewed. \\[default: drop; with --corrections: none, the other rows are kept]",
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
    relabel_threshold: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="--strategy relabel: least probability of the predicted class to relabel.",
            rich_help_panel=CLEAN_PANEL,
        ),
    ] = 0.5,
    merge: Annotated[
        list[str] | None,
        typer.Option(
            help='Merge classes first: "FROM=TO" makes class FROM part of class TO (repeatable).',
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
    noise_matrix: Annotated[
        Path | None,
        typer.Option(
            help="Known noise matrix (.npy or .csv, K x K, P(given=i | true=j), columns sum to 1, in sorted "
            "class order after --merge): used for the sample weights.",
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
    label_issues: Annotated[
        Path | None,
        typer.Option(
            help="Use label issues found earlier (issues.parquet/.csv from find-issues or audit --out, "
            "matched by id or row) instead of finding them.",
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
    corrections: Annotated[
        Path | None,
        typer.Option(
            help="Apply the decisions made in cleanaudit review (corrections.csv: row,id,action,new_label,"
            "reviewed_at): relabel to the new class, drop, or keep as is. Without --strategy no model is "
            "fitted and every other row is kept; the manifest's source column says which rows were reviewed.",
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
    test: Annotated[
        Path | None,
        typer.Option(
            help="Test table with the same columns, its labels taken as the truth: compare the model trained "
            "on the original and on the cleaned data.",
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
    save_model: Annotated[
        Path | None,
        typer.Option(
            help="Save the model trained on the cleaned data (skops format, safe to load; needs "
            'pip install "cleanaudit\\[model]"), for --from-model.',
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Report what would change; write no cleaned table, manifest or model.",
            rich_help_panel=CLEAN_PANEL,
        ),
    ] = False,
    top: Annotated[
        int | None,
        typer.Option(
            min=0,
            help=f"Rows shown in the table of changes \\[default: {TABLE_TOP_DEFAULT}; 0 = all].",
            rich_help_panel=CLEAN_PANEL,
            show_default=False,
        ),
    ] = None,
) -> int:
    """Clean a dataset: drop, relabel or weight rows with label issues; write the cleaned table and a manifest."""
    from cleanaudit.cli import signals
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.cli.render import emit, table_top
    from cleanaudit.report import clean_tables
    from cleanaudit.workflows.clean_reviewed import passed_through as passed_through_rows
    from cleanaudit.workflows.clean_run import CleanRequest, CleanResult, run_clean

    request = data_request(
        opts,
        CleanRequest,
        output=output,
        strategy=strategy.value if strategy is not None else (None if corrections is not None else "drop"),
        relabel_threshold=relabel_threshold,
        merge=list(merge or []),
        noise_matrix=noise_matrix,
        label_issues=label_issues,
        corrections=corrections,
        test=test,
        save_model=save_model,
        dry_run=dry_run,
    )
    consensus = strategy is not None and strategy.value == "consensus"
    if (opts.annotators or consensus) and corrections is None:  # several annotators per row: write their consensus
        from cleanaudit.cli.annotator_clean import clean_by_consensus

        return clean_by_consensus(request, opts, table_top(top, opts.format, TABLE_TOP_DEFAULT))
    events = RichEvents(opts.quiet, opts.debug)
    try:
        result = run_clean(request, events=events, checkpoint=signals.check)
    finally:
        events.close()
    if opts.task == "multilabel":
        return _emit_multilabel(result, opts, events, table_top(top, opts.format, TABLE_TOP_DEFAULT))
    assert isinstance(result, CleanResult)
    passed_through = passed_through_rows(result.original, result.plan)
    tables = [clean_tables.summary_table(result.plan, result.merged.describe(), passed_through)]
    if result.evaluation is not None:
        tables.append(clean_tables.evaluation_table(result.evaluation))
    tables.append(
        clean_tables.changes_table(
            result.plan,
            result.original.ids,
            table_top(top, opts.format, TABLE_TOP_DEFAULT),
            positions=result.original.positions,
        )
    )
    status = emit(result.context, opts, events, tables=tables)
    files = result.files
    if files.get("output_file"):
        rows = result.plan.payload()["rows_out"] + passed_through
        extra = [f"manifest {files['manifest_file']}"] if files.get("manifest_file") else []
        extra += [f"model {files['model_file']}"] if files.get("model_file") else []
        events.wrote(f"{files['output_file']} ({rows} rows)" + (f", {', '.join(extra)}" if extra else ""))
    return status


def _emit_multilabel(result: Any, opts: DataOptions, events: Any, top: int | None) -> int:
    from cleanaudit.cli.render import emit
    from cleanaudit.report.multilabel_tables import multilabel_clean_tables

    status = emit(result.context, opts, events, tables=multilabel_clean_tables(result, top))
    if result.files.get("output_file"):
        rows = result.payload()["rows_out"]
        events.wrote(f"{result.files['output_file']} ({rows} rows), manifest {result.files['manifest_file']}")
    return status


def register(app: typer.Typer) -> None:
    """Add the clean command to ``app``."""
    app.command(
        epilog=examples(
            "cleanaudit clean data.csv -l y --output cleaned.csv",
            "cleanaudit clean train.parquet -l y --test test.parquet --output cleaned.parquet --save-model model.skops",
            "cleanaudit clean data.csv -l y --strategy relabel --relabel-threshold 0.8 --dry-run",
            'cleanaudit clean data.csv -l y --merge "seafoam green=yellow" --output merged.csv',
            "cleanaudit clean data.csv -l y --label-issues report/issues.parquet --output cleaned.csv",
            "cleanaudit clean data.csv -l y --corrections report/corrections.csv --output cleaned.csv",
            "cleanaudit clean crowd.csv --annotators 'rater_*' --strategy consensus --output consensus.csv",
        )
    )(clean)
