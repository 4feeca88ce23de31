"""The audit command: every data-quality check on one dataset."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from cleanaudit.cli.app import app
from cleanaudit.cli.options import DataOptions, EnsembleWeighting, data_command, split_columns


def _list_checks(value: bool) -> None:
    if not value:
        return
    from rich.console import Console
    from rich.table import Table

    from cleanaudit.checks import all_checks

    table = Table(title="Checks (run in this order)", title_justify="left")
    for column in ("check", "default", "needs", "parameters", "what it finds"):
        table.add_column(column)
    for name, spec in all_checks().items():
        needs = " or ".join(n.replace("+", " and ") for n in spec.needs) or "labels only"
        params = ", ".join(f"{k}={v!r}" for k, v in spec.params.items()) or "-"
        table.add_row(name, "yes" if spec.default else "no", needs, params, spec.description)
    Console().print(table)
    raise typer.Exit()


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cleanaudit audit data.csv --label y\n\n"
        "  cleanaudit audit data.parquet -l y --id-column id --out report/\n\n"
        "  cleanaudit audit data.csv -l y --pred-probs probs.npy --checks label,outlier --format json\n\n"
        "  cleanaudit audit data.csv -l y --check-param outlier.k=20\n\n"
        "  cleanaudit audit --list-checks"
    ),
)
@data_command
def audit(
    opts: DataOptions,
    checks: Annotated[Optional[str], typer.Option(
        help="Comma-separated checks to run \\[default: every default check whose inputs are present].",
        show_default=False)] = None,
    check_param: Annotated[Optional[list[str]], typer.Option(
        "--check-param", help="Check parameter check.name=value (repeatable), e.g. outlier.k=20.",
        show_default=False)] = None,
    num_examples: Annotated[int, typer.Option(
        min=0, help="Most severe examples shown per issue type.")] = 5,
    list_checks: Annotated[bool, typer.Option(
        "--list-checks", callback=_list_checks, is_eager=True, expose_value=False,
        help="List every check with its inputs and parameters, and exit.")] = False,
    ensemble_weighting: Annotated[EnsembleWeighting, typer.Option(
        help="With several --model or --pred-probs: how members are weighted; every check then uses the "
             "weighted mean of their pred_probs.")] = EnsembleWeighting.accuracy,
) -> None:
    """Audit a dataset: label errors, outliers, near duplicates, non-IID order, class imbalance,
    underperforming groups and missing values, in one report."""
    from cleanaudit.audit import parse_check_params, run_audit, select_checks
    from cleanaudit.cli.runtime import emit, markdown_report, prepare
    from cleanaudit.report.audit_report import audit_payload, audit_tables

    selected = split_columns(checks)
    select_checks(selected)  # fail fast on unknown names, before the model is fitted
    overrides = parse_check_params(check_param or [])
    prepared = prepare(opts, ensemble_weighting=ensemble_weighting.value)
    ds = prepared.dataset
    with prepared.notes.progress() as progress:
        result = run_audit(labels=ds.labels, pred_probs=prepared.pred_probs, features=ds.features,
                           class_names=ds.class_names, checks=selected, check_params=overrides, progress=progress)
    for skipped in result.skipped:
        prepared.notes.note(f"skipped {skipped.name}: {skipped.reason}")
    tables = audit_tables(result, ds.ids, num_examples)

    def report_files(envelope: dict[str, Any]) -> dict[str, str]:
        from cleanaudit.report.html import render_html

        return {
            "report.md": markdown_report("audit", ds, tables),
            "report.html": render_html(envelope, tables, result, ds, prepared.pred_probs, prepared.notes.note),
        }

    emit("audit", prepared, opts, payload=audit_payload(result, ds.ids, num_examples), tables=tables,
         per_row=result.per_row_columns(), extra_files=report_files)
