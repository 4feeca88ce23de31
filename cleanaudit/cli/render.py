"""What every data command does after its workflow: render the result, write ``--out``, say the gates.

:func:`emit` prints the result on stdout in the chosen ``--format`` (renderers in ``report/``),
writes the ``--out`` set (and says on stderr what it wrote), appends the Markdown to
``$GITHUB_STEP_SUMMARY`` and returns the exit status: GATE_FAILED when an error-severity gate did
not pass (failed gates are listed on stderr), unless ``--exit-zero``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
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
CsvText = Callable[[], str] | None
# Writes the --out set from the envelope and the Markdown, returns the file names (one table on a cluster).
OutWriter = Callable[[dict[str, Any], str], list[str]] | None


def dataset_name(context: RunContext) -> str:
    """A short name for a dataset in reports: its file name, or the joined names of several."""
    names = [PurePosixPath(p.split("://", 1)[1]).name if isinstance(p, str) else p.name for p in context.dataset.paths]
    return "+".join(names) or "stdin"


def write_out(
    context: RunContext,
    opts: DataOptions,
    tables: Sequence[TableData],
    *,
    extra_files: ExtraFiles = None,
    staging: Path | None = None,
    out_writer: OutWriter = None,
) -> tuple[dict[str, Any], str, list[str]]:
    """The JSON envelope and Markdown of a run, and the names of the ``--out`` files (written as one set)."""
    from cleanaudit.cli import signals
    from cleanaudit.report.envelope import context_envelope
    from cleanaudit.report.outdir import write_report_set

    signals.check()  # a Ctrl-C some library swallowed still stops the run before any output
    envelope = context_envelope(context)
    markdown = run_markdown(context, tables)
    written: list[str] = []
    if opts.out is not None and out_writer is not None:
        written = out_writer(envelope, markdown)
    elif opts.out is not None:
        written = write_report_set(opts.out, envelope, context, extra_files, staging=staging, checkpoint=signals.check)
    return envelope, markdown, written


def run_markdown(context: RunContext, tables: Sequence[TableData]) -> str:
    """The Markdown page of a run: banner (findings unreliable), gates, tables and every note."""
    from cleanaudit.report.markdown import markdown_report
    from cleanaudit.report.run_tables import unreliable_banner

    banner = unreliable_banner(context.run)
    return markdown_report(context.command, context.dataset, tables, context.gates, context.notes, banner=banner)


def emit(
    context: RunContext,
    opts: DataOptions,
    events: RichEvents,
    *,
    tables: Sequence[TableData],
    extra_files: ExtraFiles = None,
    csv_text: CsvText = None,
    out_writer: OutWriter = None,
) -> int:
    """Print the result on stdout in ``opts.format`` (after writing ``--out``); return the exit status.

    ``--format csv`` prints the first table, or ``csv_text()`` when the command gives one;
    ``out_writer(envelope, markdown)``, when given, writes the ``--out`` set instead of the usual one.
    """
    from cleanaudit.report import terminal
    from cleanaudit.report.envelope import to_json
    from cleanaudit.report.run_tables import unreliable_banner

    events.close()
    envelope, markdown, written = write_out(context, opts, tables, extra_files=extra_files, out_writer=out_writer)
    if opts.out is not None:
        events.wrote(f"{opts.out}{os.sep}", written)
    for path in saved_files(context):
        events.wrote(path)
    if opts.format is OutputFormat.json:
        sys.stdout.write(to_json(envelope))
    elif opts.format is OutputFormat.csv:
        sys.stdout.write(csv_text() if csv_text is not None else tables[0].to_csv())
    elif opts.format is OutputFormat.markdown:
        sys.stdout.write(markdown)
    elif opts.format is OutputFormat.junit:
        from cleanaudit.report.junit import junit_suite, render_junit

        suite = junit_suite(dataset_name(context), context.measured, context.gates, context.seconds)
        sys.stdout.write(render_junit([suite]))
    elif opts.format in (OutputFormat.github, OutputFormat.sarif):
        from cleanaudit.cli.annotations import github_text, sarif_text

        text = github_text if opts.format is OutputFormat.github else sarif_text
        sys.stdout.write(text([context], events.note))
    else:
        terminal.print_tables(context.dataset, tables, banner=unreliable_banner(context.run))
    append_step_summary(markdown)
    events.gates(context.gates)
    return ExitStatus.GATE_FAILED if context.gates_failed and not opts.exit_zero else ExitStatus.OK


def saved_files(context: RunContext) -> list[str]:
    """Files a workflow wrote besides the report (``--save-pred-probs``), as its run record names them.

    The workflow records them as ``run["saved_pred_probs"]`` (a path, or ``{"path": ...}``) or in a
    ``run["written"]`` list; a file a ``pred_probs_saved`` note already names is not repeated.
    """
    found: list[str] = []
    saved = [] if any(n.kind == "pred_probs_saved" for n in context.notes) else [context.run.get("saved_pred_probs")]
    for item in [*saved, *(context.run.get("written") or [])]:
        path = item.get("path") if isinstance(item, dict) else item
        if path and str(path) not in found:
            found.append(str(path))
    return found


def audit_files(result: AuditResult, tables: Sequence[TableData], events: RichEvents) -> ExtraFiles:
    """The Markdown and HTML pages of an audit's ``--out`` set (rendered only when it is written)."""

    def files(envelope: dict[str, Any]) -> dict[str, str]:
        from cleanaudit.events import Note
        from cleanaudit.report import html
        from cleanaudit.workflows.audit_payload import estimated_joint
        from cleanaudit.workflows.projection import data_projection

        context = result.context
        assert context is not None
        # What the plots show is computed here, in the workflow layer, only when the page is written.
        # Label sets have no one class per row to colour a point by, nor one joint of given and true labels.
        has_plots = importlib.util.find_spec("matplotlib") is not None and context.dataset.task != "multilabel"
        projection = data_projection(context.dataset) if has_plots else None
        joint = estimated_joint(result.checks, context.dataset.labels, context.pred_probs) if has_plots else None
        return {
            "report.md": run_markdown(context, tables),
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
