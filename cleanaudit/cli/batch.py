"""Batch runs from the command line: :func:`cleanaudit.workflows.batch.run_batch`, then the index.

With ``--out DIR`` the per-dataset folders and the index are one set: built in a hidden folder
beside DIR and moved into place once all are written, so DIR holds the earlier batch or this
one, complete, whatever happens meanwhile (an error, Ctrl-C). Each dataset's folder is written
(and its gates reported) as soon as it is audited; the index is printed at the end.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanaudit.cli.options import DataOptions, OutputFormat
from cleanaudit.status import ExitStatus

if TYPE_CHECKING:
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.report.index import IndexRow
    from cleanaudit.workflows.audit import AuditRequest, AuditResult
    from cleanaudit.workflows.batch import BatchResult


def run_batch(request: AuditRequest, files: list[Path | str], opts: DataOptions) -> int:
    """Audit each of ``files``; print (and with ``--out`` write) the index; return the worst status."""
    from cleanaudit.cli import signals
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.cli.render import append_step_summary
    from cleanaudit.report.index import index_envelope, index_markdown, index_row
    from cleanaudit.workflows import batch

    events = RichEvents(opts.quiet, opts.debug)
    finish = _Finish(opts, events)
    if opts.out is None:
        result = batch.run_batch(
            batch.BatchRequest(request, files), events=events, finish=finish, checkpoint=signals.check
        )
        rows = [index_row(item) for item in result.items]
    else:
        from cleanaudit.data.write import FolderSet
        from cleanaudit.report.outdir import OWN_NAMES, write_index

        with FolderSet(opts.out, [("DATA", f) for f in files], option="--out", own_names=OWN_NAMES) as staged:
            result = batch.run_batch(
                batch.BatchRequest(request, files, out=opts.out, staging=staged.path),
                events=events,
                finish=finish,
                checkpoint=signals.check,
            )
            rows = [index_row(item) for item in result.items]
            write_index(staged.path, rows, index_envelope(result, rows), index_markdown(rows))
            signals.check()
            staged.commit()
        folders = [f"{item.name}/" for item in result.items if (opts.out / item.name).is_dir()]
        events.wrote(f"{opts.out}{os.sep}", ["index.json", "index.csv", "index.md", *folders])
    text = index_markdown(rows)
    _print(opts, result, rows, text, finish)
    append_step_summary(text)
    if opts.exit_zero and result.status == ExitStatus.GATE_FAILED:
        return int(ExitStatus.OK)  # a dataset that could not be read still exits 2
    return result.status


class _Finish:
    """After each dataset: write its ``--out`` folder (inside the batch's set) and report its gates."""

    def __init__(self, opts: DataOptions, events: RichEvents) -> None:
        self.opts, self.events = opts, events
        self.contexts: list[Any] = []

    def __call__(self, result: AuditResult, name: str, staging: Path | None) -> None:
        from dataclasses import replace

        from cleanaudit.cli.render import audit_files, write_out
        from cleanaudit.report.audit_report import audit_result_tables

        context = result.context
        assert context is not None
        opts = replace(self.opts, out=self.opts.out / name if self.opts.out is not None else None)
        tables = audit_result_tables(result)
        write_out(context, opts, tables, extra_files=audit_files(result, tables, self.events), staging=staging)
        self.contexts.append(context)  # --format github / sarif annotate every dataset's rows at the end
        self.events.gates(context.gates, prefix=f"{name}: ")


def _print(opts: DataOptions, result: BatchResult, rows: list[IndexRow], markdown: str, finish: _Finish) -> None:
    from cleanaudit.report.envelope import to_json
    from cleanaudit.report.index import index_envelope, index_table

    if opts.format is OutputFormat.json:
        sys.stdout.write(to_json(index_envelope(result, rows)))
    elif opts.format is OutputFormat.csv:
        sys.stdout.write(index_table(rows).to_csv())
    elif opts.format is OutputFormat.markdown:
        sys.stdout.write(markdown)
    elif opts.format is OutputFormat.junit:
        from cleanaudit.report.junit import error_suite, junit_suite, render_junit

        suites: list[Any] = [
            junit_suite(i.name, i.measured, i.gates, i.seconds)
            if i.measured is not None
            else error_suite(i.name, i.error or "failed")
            for i in result.items
        ]
        sys.stdout.write(render_junit(suites))
    elif opts.format in (OutputFormat.github, OutputFormat.sarif):
        from cleanaudit.cli.annotations import github_text, sarif_text

        text = github_text if opts.format is OutputFormat.github else sarif_text
        sys.stdout.write(text(finish.contexts, finish.events.note))
    else:
        from cleanaudit.report.terminal import print_index

        print_index(rows, index_table(rows).caption)
