"""The label commands: find-issues, health, overlap, noise-matrix.

Each parses its options, builds its request, calls its workflow (``cleanaudit.workflows.find_issues``,
``.health``, ``.overlap``, ``.noise_matrix``) and renders the result. :func:`register` adds them to the app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cleanaudit import choices
from cleanaudit.cli.options import (
    DataOptions,
    EnsembleWeighting,
    SelfCheckOption,
    choice_enum,
    data_command,
    data_request,
    examples,
)

FilterBy = choice_enum("FilterBy", choices.FILTER_BY)
RankBy = choice_enum("RankBy", choices.RANK_BY)
PyMethod = choice_enum("PyMethod", choices.PY_METHODS)

TABLE_TOP_DEFAULT = 20
PAIRS_TOP_DEFAULT = 100  # overlap lists this many pairs unless --top says otherwise (K classes make K(K-1)/2)


@data_command
def find_issues(
    opts: DataOptions,
    filter_by: Annotated[FilterBy, typer.Option(help="How label issues are flagged.")] = FilterBy.prune_by_noise_rate,
    rank_by: Annotated[RankBy, typer.Option(help="Label-quality score used to rank issues.")] = RankBy.self_confidence,
    adjust_pred_probs: Annotated[
        bool, typer.Option(help="Subtract per-class thresholds before scoring (accounts for class imbalance).")
    ] = False,
    min_examples_per_class: Annotated[
        int, typer.Option(min=0, help="Never flag so many rows that a class keeps fewer than this.")
    ] = 1,
    frac_noise: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Flag only this fraction of the estimated label errors (prune_* methods)."),
    ] = 1.0,
    top: Annotated[
        int | None,
        typer.Option(
            min=0,
            help=f"Show the N most severe issues \\[default: {TABLE_TOP_DEFAULT} in a table, all in "
            "json/csv/markdown; 0 = all].",
            show_default=False,
        ),
    ] = None,
    train: Annotated[
        Path | None,
        typer.Option(
            help="Fit the model on this file (same columns) and score DATA's labels with it, without "
            "cross-validating DATA: audits a test set.",
            show_default=False,
        ),
    ] = None,
    ensemble_weighting: Annotated[
        EnsembleWeighting,
        typer.Option(
            help="With several --model or --pred-probs: how members are weighted (issues are flagged on the "
            "weighted mean pred_probs and ranked by the ensembled label quality)."
        ),
    ] = EnsembleWeighting.accuracy,
    self_check: SelfCheckOption = None,
    active_learning: Annotated[
        int | None,
        typer.Option(
            "--active-learning",
            metavar="N",
            min=1,
            help="With --annotators: also list the N rows where one more annotation helps most (lowest "
            "ActiveLab scores).",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Find label errors: rows whose given label is probably wrong, most severe first.

    With --annotators (several annotators' columns): the rows whose consensus label is doubtful
    (CROWDLAB's quality score below 0.5), with the annotators' labels, and the annotator table."""
    from cleanaudit.cli.render import table_top
    from cleanaudit.report.label_tables import find_issues_tables
    from cleanaudit.workflows.find_issues import FindIssuesRequest, run_find_issues

    request = data_request(
        opts,
        FindIssuesRequest,
        filter_by=filter_by.value,
        rank_by=rank_by.value,
        adjust_pred_probs=adjust_pred_probs,
        min_examples_per_class=min_examples_per_class,
        frac_noise=frac_noise,
        top=top,
        train=train,
        ensemble_weighting=ensemble_weighting.value,
        self_check=self_check,
        active_learning=active_learning,
    )

    # Machine-readable output lists every issue unless --top says otherwise; tables default to a screenful.
    def tables(result: Any) -> Any:
        return find_issues_tables(result, table_top(top, opts.format, TABLE_TOP_DEFAULT))

    if opts.task == "multilabel":  # label sets: one binary audit per class, in this process
        from cleanaudit.report.multilabel_tables import multilabel_issue_tables

        return _run(
            run_find_issues,
            request,
            opts,
            lambda r: multilabel_issue_tables(r, table_top(top, opts.format, TABLE_TOP_DEFAULT)),
        )
    if opts.annotators or active_learning is not None:  # several annotators per row: their consensus (CROWDLAB)
        from cleanaudit.report.annotator_tables import consensus_issues_tables

        return _run(
            run_find_issues,
            request,
            opts,
            lambda r: consensus_issues_tables(r, table_top(top, opts.format, TABLE_TOP_DEFAULT)),
        )
    if opts.scheduler is not None:  # the DATA files are one table: read as partitions on the cluster
        from cleanaudit.cli.cluster_table import find_issues_on_cluster

        return find_issues_on_cluster(request, opts, tables)
    return _run(run_find_issues, request, opts, tables)


@data_command
def health(opts: DataOptions) -> int:
    """Overall label health score (share of labels that look right) and label quality per class."""
    from cleanaudit.report.label_tables import health_tables
    from cleanaudit.workflows.health import HealthRequest, run_health

    request = data_request(opts, HealthRequest)
    if opts.task == "multilabel":  # label sets: one binary audit per class, in this process
        from cleanaudit.report.multilabel_tables import multilabel_health_tables

        return _run(run_health, request, opts, multilabel_health_tables)
    if opts.annotators:  # several annotators per row: the health of their consensus, and the annotator table
        from cleanaudit.report.annotator_tables import annotated_health_tables

        return _run(run_health, request, opts, annotated_health_tables)
    if opts.scheduler is not None:  # the DATA files are one table: read as partitions on the cluster
        from cleanaudit.cli.cluster_table import label_command_on_cluster

        return label_command_on_cluster("health", request, opts, health_tables)
    return _run(run_health, request, opts, health_tables)


@data_command
def overlap(
    opts: DataOptions,
    asymmetric: Annotated[bool, typer.Option(help="Count (given=a, true=b) and (given=b, true=a) separately.")] = False,
    top: Annotated[
        int | None,
        typer.Option(
            min=0,
            help=f"Show the N most overlapping pairs \\[default: {PAIRS_TOP_DEFAULT}; 0 = all]. JSON says how "
            "many pairs were left out (pairs_total, pairs_left_out).",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Class pairs that overlap: candidates to merge, relabel, or define better."""
    from cleanaudit.report.label_tables import overlap_tables
    from cleanaudit.workflows.overlap import OverlapRequest, run_overlap

    refuse_multilabel(opts, "overlap")
    keep = PAIRS_TOP_DEFAULT if top is None else (top or None)
    request = data_request(opts, OverlapRequest, asymmetric=asymmetric, top=keep)
    if opts.scheduler is not None and not opts.annotators:  # --annotators runs here (and refuses --scheduler)
        from cleanaudit.cli.cluster_table import label_command_on_cluster

        return label_command_on_cluster("overlap", request, opts, overlap_tables)
    return _run(run_overlap, request, opts, overlap_tables)


@data_command
def noise_matrix(
    opts: DataOptions,
    converge_latent_estimates: Annotated[
        bool, typer.Option(help="Make py and the two noise matrices mutually consistent by iteration.")
    ] = False,
    py_method: Annotated[PyMethod, typer.Option(help="How the prior of true labels is estimated.")] = PyMethod.cnt,
) -> int:
    """Estimate label noise: py, noise matrix, inverse noise matrix, confident joint and joint.

    --format csv writes every matrix as one long table with the columns matrix, row_class,
    column_class, value: py (row_class is the class, column_class empty), confident_joint and
    joint (row = given label, column = true label), noise_matrix (P(given=row | true=column)) and
    inverse_noise_matrix (P(true=row | given=column)); one row per cell, for any number of classes."""
    from cleanaudit.report.label_tables import noise_matrix_long_table, noise_matrix_tables
    from cleanaudit.workflows.noise_matrix import NoiseMatrixRequest, run_noise_matrix

    refuse_multilabel(opts, "noise-matrix")
    request = data_request(
        opts, NoiseMatrixRequest, converge_latent_estimates=converge_latent_estimates, py_method=py_method.value
    )
    if opts.scheduler is not None and not opts.annotators:  # --annotators runs here (and refuses --scheduler)
        from cleanaudit.cli.cluster_table import label_command_on_cluster

        return label_command_on_cluster(
            "noise-matrix", request, opts, noise_matrix_tables, csv_table=noise_matrix_long_table
        )
    return _run(run_noise_matrix, request, opts, noise_matrix_tables, csv_table=noise_matrix_long_table)


def refuse_multilabel(opts: DataOptions, command: str) -> None:
    """``--task multilabel`` is for find-issues, health, audit and clean: say so before anything is read."""
    if opts.task == "multilabel":
        from cleanaudit.errors import ConfigError

        raise ConfigError(
            f"{command} does not support --task multilabel (its class pairs and matrices are single-label)",
            hint="use find-issues, health, audit or clean with --task multilabel",
        )


def _run(workflow: Any, request: Any, opts: DataOptions, tables: Any, csv_table: Any = None) -> int:
    """Run ``workflow`` with notes and progress on stderr, then render its result.

    ``csv_table(result)``, when given, is the table ``--format csv`` prints (else the first of ``tables``).
    """
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.cli.render import emit

    events = RichEvents(opts.quiet, opts.debug)
    try:
        result = workflow(request, events=events)
    finally:
        events.close()
    csv_text = (lambda: csv_table(result).to_csv()) if csv_table is not None else None
    return emit(result.context, opts, events, tables=tables(result), csv_text=csv_text)


def register(app: typer.Typer) -> None:
    """Add the label commands to ``app``."""
    app.command(
        "find-issues",
        epilog=examples(
            "cleanaudit find-issues data.csv --label y",
            "cleanaudit find-issues data.parquet -l y --pred-probs probs.npy --top 10",
            "cleanaudit find-issues data.csv -l y --filter-by both --format json > issues.json",
            "cleanaudit find-issues test.csv -l y --train train.csv",
            "cleanaudit find-issues data.csv -l y -m logreg -m random-forest --ensemble-weighting accuracy",
            "cleanaudit find-issues new.csv -l y --from-model model.skops",
            "cleanaudit find-issues data.csv -l y --self-check auto",
            "cleanaudit find-issues s3://bucket/big.parquet -l y --scheduler tcp://scheduler:8786 --out report/",
            "cleanaudit find-issues crowd.csv --annotators 'rater_*' --active-learning 20",
        ),
    )(find_issues)
    app.command(
        epilog=examples(
            "cleanaudit health data.csv --label y",
            "cleanaudit health data.csv -l y --pred-probs probs.npy --format json",
            "cleanaudit health new.csv -l y --from-model model.skops",
            "cleanaudit health crowd.csv --annotators rater_1,rater_2,rater_3 --format json",
        )
    )(health)
    app.command(
        epilog=examples(
            "cleanaudit overlap data.csv --label y",
            "cleanaudit overlap data.csv -l y --asymmetric --top 5",
        )
    )(overlap)
    app.command(
        "noise-matrix",
        epilog=examples(
            "cleanaudit noise-matrix data.csv --label y",
            "cleanaudit noise-matrix data.csv -l y --converge-latent-estimates --format json",
        ),
    )(noise_matrix)
