"""find-issues, audit, health, overlap, noise-matrix on one table with ``--scheduler``: run on the cluster,
render as a local run.

The cheap checks come first (options a table on a cluster refuses, URLs whose fsspec package is
missing), so a bad request fails with one line and exit 2 before a cluster starts. Then the table
is read as partitions on the cluster (:mod:`cleanaudit.distributed.table`,
:mod:`cleanaudit.distributed.table_audit`), and the result is rendered by the same renderers as
a local run; ``--out`` holds ``report.json``, ``report.md`` and ``issues/part-*.parquet`` (one file
per partition), written as one set once every task has finished. A worker lost on every try
ends the run with exit 3 and no ``--out`` set.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cleanaudit.cli.options import DataOptions
    from cleanaudit.workflows.audit import AuditRequest
    from cleanaudit.workflows.find_issues import FindIssuesRequest


def check_urls(sources: list[Any]) -> None:
    """One line (exit 2) for a URL whose fsspec package is not installed, before anything starts."""
    from cleanaudit.data.load import is_url, url_filesystem

    for source in sources:
        if is_url(source):
            url_filesystem(str(source))


def find_issues_on_cluster(request: FindIssuesRequest, opts: DataOptions, tables: Callable[[Any], Any]) -> int:
    """``find-issues DATA --scheduler ADDRESS``: the table's label issues, rendered as locally."""
    from cleanaudit.distributed.table import preflight_table, table_find_issues
    from cleanaudit.distributed.table_checks import write_table_rows

    preflight_table(request)
    check_urls(request.sources)

    def run(client: Any, events: Any) -> int:
        result, read = table_find_issues(request, client, events=events, train_rows=opts.train_rows)
        writer = _writer(lambda out, envelope, md: write_table_rows(out, result, read, envelope, **md))
        return _emit(client, result.context, opts, events, tables(result), writer)

    return _on_cluster(opts, f"finding label issues in {request.describe_data()}", run)


def audit_on_cluster(request: AuditRequest, opts: DataOptions) -> int:
    """``audit DATA --scheduler ADDRESS`` (one table): the exact checks and the label check, rendered as locally."""
    from cleanaudit.distributed.table import preflight_table
    from cleanaudit.distributed.table_audit import run_table_audit
    from cleanaudit.distributed.table_checks import write_table_rows
    from cleanaudit.report.audit_report import audit_result_tables

    preflight_table(request)
    check_urls(request.sources)

    def run(client: Any, events: Any) -> int:
        audit = run_table_audit(request, client, events=events, train_rows=opts.train_rows)
        context = audit.result.context
        per_row = audit.result.checks.per_row_columns()

        def write(out: Path, envelope: dict[str, Any], md: dict[str, Any]) -> Path:
            return write_table_rows(out, None, audit.read, envelope, audit.exact, per_row=per_row, **md)  # type: ignore[arg-type]

        return _emit(client, context, opts, events, audit_result_tables(audit.result), _writer(write))

    return _on_cluster(opts, f"auditing {request.describe_data()}", run)


LABEL_COMMANDS = {  # command: (its run on a table in cleanaudit.distributed.table_labels, what it does to DATA)
    "health": ("run_table_health", "scoring the label health of"),
    "overlap": ("run_table_overlap", "finding overlapping classes in"),
    "noise-matrix": ("run_table_noise_matrix", "estimating the label noise of"),
}


def label_command_on_cluster(
    command: str, request: Any, opts: DataOptions, tables: Callable[[Any], Any], csv_table: Any = None
) -> int:
    """``health``, ``overlap`` or ``noise-matrix`` on one table with ``--scheduler``: rendered as a local run.

    ``--out`` holds what a local run's holds (``report.json``: these commands have no per-row results).
    """
    from cleanaudit.distributed import table_labels
    from cleanaudit.distributed.table import preflight_table

    preflight_table(request)
    check_urls(request.sources)
    name, what = LABEL_COMMANDS[command]

    def run(client: Any, events: Any) -> int:
        result = getattr(table_labels, name)(request, client, events=events, train_rows=opts.train_rows)
        csv_text = (lambda: csv_table(result).to_csv()) if csv_table is not None else None
        return _emit(client, result.context, opts, events, tables(result), None, csv_text=csv_text)

    return _on_cluster(opts, f"{what} {request.describe_data()}", run)


def _writer(write: Callable[[Path, dict[str, Any], dict[str, Any]], Path]) -> Callable[[Any], Any]:
    """The ``--out`` writer ``emit`` calls: the table's per-row parts, report.md and report.json, as one set."""
    from cleanaudit.report.outdir import OWN_NAMES

    def bind(opts: DataOptions) -> Callable[[dict[str, Any], str], list[str]]:
        def out_writer(envelope: dict[str, Any], markdown: str) -> list[str]:
            assert opts.out is not None
            write(Path(opts.out), envelope, {"extra_files": {"report.md": markdown}, "own_names": OWN_NAMES})
            return ["report.json", "report.md", "issues/part-*.parquet"]

        return out_writer

    return bind


def _emit(
    client: Any,
    context: Any,
    opts: DataOptions,
    events: Any,
    tables: Any,
    writer: Callable[[Any], Any] | None,
    csv_text: Callable[[], str] | None = None,
) -> int:
    """Render as a local run; ``writer`` (None: a local run's ``--out`` set) writes the table's per-row parts."""
    from cleanaudit.cli.render import emit
    from cleanaudit.distributed.cluster import describe_cluster
    from cleanaudit.events import Note

    # The cluster the run used leads the report's notes, as a cluster batch's index (said on stderr already).
    context.notes.insert(0, Note("cluster", describe_cluster(client.scheduler_info(), client.scheduler.address)))
    out_writer = writer(opts) if writer is not None else None
    return emit(context, opts, events, tables=tables, out_writer=out_writer, csv_text=csv_text)


def _on_cluster(opts: DataOptions, what: str, run: Callable[[Any, Any], int]) -> int:
    """Connect to ``--scheduler``, run, and close; a worker lost on every try is exit 3 (nothing written)."""
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.distributed.cluster import connect
    from cleanaudit.distributed.table_audit import worker_lost_fails

    assert opts.scheduler is not None
    events = RichEvents(opts.quiet, opts.debug)
    try:
        with connect(opts.scheduler, events=events) as client, worker_lost_fails(what):
            return run(client, events)
    finally:
        events.close()
