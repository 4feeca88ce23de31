"""The audit command: every data-quality check on one dataset (several datasets make a batch).

It parses the options, validates the request before anything is read
(:func:`cleanaudit.workflows.audit.validate_audit`), then calls ``run_audit`` for one dataset or
the batch (:mod:`cleanaudit.cli.batch`), and renders the result.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cleanaudit.cli.options import (
    DataOptions,
    EnsembleWeighting,
    SelfCheckOption,
    data_command,
    data_request,
    examples,
    split_columns,
)

if TYPE_CHECKING:
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.workflows.audit import AuditRequest, AuditResult


def _list_checks(value: bool) -> None:
    if not value:
        return
    from cleanaudit.report.terminal import print_checks
    from cleanaudit.workflows.audit import check_catalogue

    print_checks(check_catalogue())
    raise typer.Exit()


@data_command
def audit(
    opts: DataOptions,
    checks: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated checks to run \\[default: every default check whose inputs are present].",
            show_default=False,
        ),
    ] = None,
    check_param: Annotated[
        list[str] | None,
        typer.Option(
            "--check-param",
            help="Check parameter check.name=value (repeatable), e.g. outlier.k=20.",
            show_default=False,
        ),
    ] = None,
    num_examples: Annotated[int, typer.Option(min=0, help="Most severe examples shown per issue type.")] = 5,
    list_checks: Annotated[
        bool,
        typer.Option(
            "--list-checks",
            callback=_list_checks,
            is_eager=True,
            expose_value=False,
            help="List every check with its inputs and parameters, and exit.",
        ),
    ] = False,
    self_check: SelfCheckOption = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="An earlier run's report.json (from --out): report new, fixed and unchanged issues "
            "per type; gates may then count new issues only, e.g. --fail-on 'new:label>0'.",
            show_default=False,
        ),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="With folders in DATA: audit the tables in their subfolders too.")
    ] = False,
    ensemble_weighting: Annotated[
        EnsembleWeighting,
        typer.Option(
            help="With several --model or --pred-probs: how members are weighted; every check then uses the "
            "weighted mean of their pred_probs."
        ),
    ] = EnsembleWeighting.accuracy,
) -> int:
    """Audit a dataset: label errors, outliers, near duplicates, non-IID order, class imbalance,
    underperforming groups and missing values, in one report.

    Several files, a folder of several or a glob make a batch: each dataset is audited on its
    own and an index lists them all (with --out DIR: DIR/<dataset>/ and DIR/index.*)."""
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.workflows.audit import AuditRequest, run_audit, validate_audit

    request = data_request(
        opts,
        AuditRequest,
        checks=split_columns(checks) if checks is not None else opts.checks,  # flag > config
        check_params=opts.check_params,
        check_param=list(check_param or []),
        num_examples=num_examples,
        self_check=self_check,
        baseline=baseline,
        recursive=recursive,
        ensemble_weighting=ensemble_weighting.value,
    )
    files = validate_audit(request).files  # every bad option fails here, before any data is read
    if len(files) > 1:
        from cleanaudit.cli.batch import run_batch

        return run_batch(request, files, opts)
    if opts.scheduler is not None and opts.task != "multilabel":  # one table: read as partitions on the cluster
        from cleanaudit.cli.cluster_table import audit_on_cluster

        return audit_on_cluster(request if files == [] or _has_url(request) else replace(request, data=files), opts)
    # One file (even found in a folder or by a glob) keeps the single-dataset report.
    events = RichEvents(opts.quiet, opts.debug)
    try:
        result = run_audit(replace(request, data=files), events=events)
    finally:
        events.close()
    return emit_audit(result, opts, events)


def _has_url(request: AuditRequest) -> bool:
    return any(isinstance(s, str) for s in request.sources)


def emit_audit(result: AuditResult, opts: DataOptions, events: RichEvents) -> int:
    """Render one audit: the tables, and report.md and report.html in the ``--out`` set."""
    from cleanaudit.cli.render import audit_files, emit
    from cleanaudit.report.audit_report import audit_result_tables

    tables = audit_result_tables(result)
    return emit(result.context, opts, events, tables=tables, extra_files=audit_files(result, tables, events))


def register(app: typer.Typer) -> None:
    """Add the audit command to ``app``."""
    app.command(
        epilog=examples(
            "cleanaudit audit data.csv --label y",
            "cleanaudit audit data.parquet -l y --id-column id --out report/",
            "cleanaudit audit data.csv -l y --pred-probs probs.npy --checks label,outlier --format json",
            "cleanaudit audit data.csv -l y --check-param outlier.k=20",
            "cleanaudit audit data_dir/ -l y --fail-on 'label>0.1' --format junit > results.xml",
            "cleanaudit audit big.parquet -l y --scheduler local --out report/",
            "cleanaudit audit --list-checks",
        )
    )(audit)
