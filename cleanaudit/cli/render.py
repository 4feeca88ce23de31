"""What every data command does after its workflow: render the result, write ``--out``, say the gates.

:func:`emit` prints the result on stdout in the chosen ``--format`` (renderers in ``report/``),
writes the ``--out`` set, appends the Markdown to ``$GITHUB_STEP_SUMMARY`` and returns the exit
status: GATE_FAILED when an error-severity gate did not pass (failed gates are listed on stderr).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanaudit.cli.options import DataOptions, OutputFormat
from cleanaudit.errors import InputError
from cleanaudit.status import ExitStatus

if TYPE_CHECKING:
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.report.tables import TableData
    from cleanaudit.workflows.audit import AuditResult
    from cleanaudit.workflows.result import RunContext

ExtraFiles = Callable[[dict[str, Any]], dict[str, str]] | None


def dataset_name(context: RunContext) -> str:
    """A short name for a dataset in reports: its file name, or the joined names of several."""
    return "+".join(p.name for p in context.dataset.paths) or "stdin"


def write_out(
    context: RunContext,
    opts: DataOptions,
    tables: Sequence[TableData],
    *,
    extra_files: ExtraFiles = None,
    staging: Path | None = None,
) -> tuple[dict[str, Any], str]:
    """The JSON envelope and Markdown of a run; with ``--out``, its files written as one set."""
    from cleanaudit.cli import signals
    from cleanaudit.report.envelope import context_envelope
    from cleanaudit.report.markdown import markdown_report
    from cleanaudit.report.outdir import write_report_set

    signals.check()  # a Ctrl-C some library swallowed still stops the run before any output
    envelope = context_envelope(context)
    markdown = markdown_report(context.command, context.dataset, tables, context.gates, context.notes)
    if opts.out is not None:
        write_report_set(opts.out, envelope, context, extra_files, staging=staging, checkpoint=signals.check)
    return envelope, markdown


def emit(
    context: RunContext,
    opts: DataOptions,
    events: RichEvents,
    *,
    tables: Sequence[TableData],
    extra_files: ExtraFiles = None,
) -> int:
    """Print the result on stdout in ``opts.format`` (after writing ``--out``); return the exit status."""
    from cleanaudit.report import terminal
    from cleanaudit.report.envelope import to_json

    events.close()
    envelope, markdown = write_out(context, opts, tables, extra_files=extra_files)
    if opts.format is OutputFormat.json:
        sys.stdout.write(to_json(envelope))
    elif opts.format is OutputFormat.csv:
        sys.stdout.write(tables[0].to_csv())
    elif opts.format is OutputFormat.markdown:
        sys.stdout.write(markdown)
    elif opts.format is OutputFormat.junit:
        from cleanaudit.report.junit import junit_suite, render_junit

        suite = junit_suite(dataset_name(context), context.measured, context.gates, context.seconds)
        sys.stdout.write(render_junit([suite]))
    else:
        terminal.print_tables(context.dataset, tables)
    append_step_summary(markdown)
    events.gates(context.gates)
    return ExitStatus.GATE_FAILED if context.gates_failed else ExitStatus.OK


def audit_files(result: AuditResult, tables: Sequence[TableData], events: RichEvents) -> ExtraFiles:
    """The Markdown and HTML pages of an audit's ``--out`` set (rendered only when it is written)."""

    def files(envelope: dict[str, Any]) -> dict[str, str]:
        from cleanaudit.events import Note
        from cleanaudit.report import html
        from cleanaudit.report.markdown import markdown_report
        from cleanaudit.workflows.audit_payload import estimated_joint
        from cleanaudit.workflows.projection import data_projection

        context = result.context
        assert context is not None
        # What the plots show is computed here, in the workflow layer, only when the page is written.
        has_plots = importlib.util.find_spec("matplotlib") is not None
        projection = data_projection(context.dataset) if has_plots else None
        joint = estimated_joint(result.checks, context.dataset.labels, context.pred_probs) if has_plots else None
        return {
            "report.md": markdown_report("audit", context.dataset, tables, context.gates, context.notes),
            "report.html": html.render_html(
                envelope,
                list(tables),
                result.checks,
                context.dataset,
                context.pred_probs,
                lambda message: events.note(Note("plots_missing", message)),
                projection=projection,
                joint=joint,
            ),
        }

    return files


def append_step_summary(markdown: str) -> None:
    """Append the Markdown summary to $GITHUB_STEP_SUMMARY when GitHub Actions sets it."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        raise InputError(
            f"cannot append to GITHUB_STEP_SUMMARY file {target}: {exc.strerror}",
            hint="check that the path is writable",
        ) from None


def table_top(top: int | None, fmt: OutputFormat, default: int) -> int | None:
    """Rows a table shows: ``--top``, else a screenful in the terminal and all in other formats (0 = all)."""
    if top is None:
        return default if fmt is OutputFormat.table else None
    return top or None
