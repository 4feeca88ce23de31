"""What every data command does around its own work: load, get pred_probs, report.

``prepare`` loads the dataset and obtains pred_probs (cross-validation with progress on stderr,
``--pred-probs``, ``--from-model`` or ``--train``: see :mod:`cleanaudit.cli.sources`; several
models make an ensemble); ``emit`` prints the result in the chosen format and writes ``--out`` files.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
from rich.console import Console
from rich.table import Table

from cleanaudit.cli.options import DataOptions, OutputFormat
from cleanaudit.errors import InputError
from cleanaudit.workflows.gates import GateResult, Measurements
from cleanaudit.data.dataset import Dataset
from cleanaudit.report.envelope import build_envelope, library_versions, to_json
from cleanaudit.report.tables import TableData, format_cell, printable
from cleanaudit.status import ExitStatus


def stdout_console() -> Console:
    # Built per call: CliRunner swaps sys.stdout for each invocation. markup=False everywhere:
    # class names, ids, file names and messages are data, and '[red]' in a label is text.
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, markup=False)


def stderr_console() -> Console:
    return Console(file=sys.stderr, highlight=False, markup=False)


class Notes:
    """Diagnostics on stderr (notes, progress), silenced by ``--quiet``."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.console = stderr_console()

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(printable(message), style="dim")

    @contextmanager
    def progress(self) -> Iterator[Optional[Callable[[str, int, int], None]]]:
        """A ``progress(description, completed, total)`` callback: a bar on a terminal, else nothing."""
        if self.quiet or not self.console.is_terminal:
            yield None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        tasks: dict[str, Any] = {}
        with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=self.console, transient=True) as bar:
            def update(description: str, completed: int, total: int) -> None:
                if description not in tasks:
                    tasks[description] = bar.add_task(description, total=total)
                bar.update(tasks[description], completed=completed, total=total)

            yield update


@dataclass
class Prepared:
    """A loaded dataset, its pred_probs, and how they were obtained.

    With an ensemble, ``members`` holds each member's pred_probs and ``pred_probs`` their
    weighted mean; otherwise ``members`` holds the one source. ``pred_probs`` is ``None`` only
    for a command that needed none (``clean`` with ``--label-issues``).
    """

    dataset: Dataset
    pred_probs: Optional[np.ndarray]
    run: dict[str, Any]
    started: float
    notes: Notes
    members: list[Any] = field(default_factory=list)
    gates: list[Any] = field(default_factory=list)


def prepare(opts: DataOptions, *, ensemble_weighting: Optional[str] = None, train: Optional[Path] = None) -> Prepared:
    """Load the data named on the command line and obtain its pred_probs.

    Several ``--model``/``--pred-probs`` make an ensemble, allowed only when the command gives
    ``ensemble_weighting``; ``train`` fits the model on that file instead of cross-validating.
    """
    from cleanaudit.cli.sources import check_sources, load_data, mixed_pred_probs, obtain_members

    started = time.perf_counter()
    notes = Notes(opts.quiet)
    gates = parse_option_gates(opts)  # bad expressions fail before any loading or fitting
    check_sources(opts, ensemble=ensemble_weighting is not None, train=train)
    dataset = load_data(opts)
    for message in dataset.notes:
        notes.note(message)
    members, run = obtain_members(dataset, opts, notes, train=train)
    if len(members) > 1:
        pred_probs, run["ensemble"] = mixed_pred_probs(members, dataset.labels, str(ensemble_weighting))
        weights = ", ".join(f"{m['model']} {m['weight']:.3f}" for m in run["ensemble"]["members"])
        notes.note(f"ensemble of {len(members)} ({ensemble_weighting} weights): {weights}")
    else:
        pred_probs = members[0].pred_probs
    run["versions"] = library_versions()
    return Prepared(dataset, pred_probs, run, started, notes, members, gates)


def parse_option_gates(opts: DataOptions) -> list[Any]:
    """The ``--fail-on``/``--fail-under`` gates, parsed (ConfigError on a bad expression)."""
    if not opts.fail_on and opts.fail_under is None:
        return []
    from cleanaudit.checks import all_checks
    from cleanaudit.workflows.gates import parse_gates

    return parse_gates(opts.fail_on, opts.fail_under, known=all_checks())


def _describe_paths(dataset: Dataset) -> str:
    return ", ".join(str(p) for p in dataset.paths) or "the data"


def dataset_record(dataset: Dataset) -> dict[str, Any]:
    """The ``dataset`` object of the JSON contract."""
    paths = [str(p) for p in dataset.paths]
    return {
        "path": paths[0] if len(paths) == 1 else paths,
        "sha256": dataset.sha256,
        "num_examples": dataset.num_examples,
        "num_classes": dataset.num_classes,
        "class_names": [_plain(c) for c in dataset.class_names],
        "label_column": dataset.label_column,
        "id_column": dataset.id_column,
    }


@dataclass
class Outcome:
    """One dataset's finished run: its report, gates and exit status (batch runs collect these)."""

    name: str
    status: int
    envelope: Optional[dict[str, Any]] = None
    measured: Optional[Measurements] = None
    gates: list[GateResult] = field(default_factory=list)
    markdown: str = ""
    error: Optional[str] = None
    seconds: float = 0.0


def conclude(
    command: str,
    prepared: Prepared,
    opts: DataOptions,
    *,
    payload: dict[str, Any],
    tables: list[TableData],
    per_row: Optional[dict[str, Any]] = None,
    extra_files: Optional[Callable[[dict[str, Any]], dict[str, str]]] = None,
    measured: Optional[Measurements] = None,
    staging: Optional[Path] = None,
) -> Outcome:
    """Evaluate the gates, build the JSON envelope and Markdown, and write ``--out`` files.

    ``extra_files(envelope)`` returns more files for ``--out`` (name -> text); it is called only
    when ``--out`` is given, so costly renderings (plots) are skipped otherwise. ``measured`` is
    what the gates read (a command that measures nothing fails every gate given to it).
    ``staging`` is where a batch builds this dataset's ``--out`` folder (inside the batch's own
    temp folder); reports still name ``opts.out``. After a Ctrl-C nothing is written.
    """
    from cleanaudit.cli import signals
    from cleanaudit.workflows.gates import evaluate, gates_failed

    signals.check()  # a Ctrl-C some library swallowed still stops the run before any output
    run = dict(prepared.run, seconds=round(time.perf_counter() - prepared.started, 3))
    if measured is None:
        measured = Measurements(prepared.dataset.num_examples, command=command)
    gate_results = evaluate(prepared.gates, measured, opts_severity(opts))
    if gate_results:
        payload = dict(payload, gates=[g.payload() for g in gate_results])
    envelope = build_envelope(command, dataset=dataset_record(prepared.dataset), run=run, payload=payload)
    markdown = markdown_report(command, prepared.dataset, tables, gate_results)
    if opts.out is not None:
        _write_out_dir(opts.out, envelope, prepared, per_row, extra_files, staging=staging)
    status = ExitStatus.GATE_FAILED if gates_failed(gate_results) else ExitStatus.OK
    return Outcome(dataset_name(prepared.dataset), status, envelope, measured, gate_results, markdown,
                   seconds=run["seconds"])


def emit(
    command: str,
    prepared: Prepared,
    opts: DataOptions,
    *,
    tables: list[TableData],
    **kwargs: Any,
) -> int:
    """Print the result on stdout in ``opts.format`` (after :func:`conclude`) and return the exit status.

    GATE_FAILED when an error-severity gate did not pass; failed gates are listed on stderr.
    """
    outcome = conclude(command, prepared, opts, tables=tables, **kwargs)
    assert outcome.envelope is not None and outcome.measured is not None
    if opts.format is OutputFormat.json:
        sys.stdout.write(to_json(outcome.envelope))
    elif opts.format is OutputFormat.csv:
        sys.stdout.write(tables[0].to_csv())
    elif opts.format is OutputFormat.markdown:
        sys.stdout.write(outcome.markdown)
    elif opts.format is OutputFormat.junit:
        from cleanaudit.report.junit import junit_suite, render_junit

        sys.stdout.write(render_junit([junit_suite(outcome.name, outcome.measured, outcome.gates, outcome.seconds)]))
    else:
        _print_tables(prepared.dataset, tables)
    append_step_summary(outcome.markdown)
    report_gates(outcome.gates, prepared.notes)
    return outcome.status


def opts_severity(opts: DataOptions) -> dict[str, str]:
    """Per-check gate severity (from the config file; empty means every gate is an error)."""
    return dict(opts.severity)


def dataset_name(dataset: Dataset) -> str:
    """A short name for a dataset in reports: its file name, or the joined names of several."""
    return "+".join(p.name for p in dataset.paths) or "stdin"


def report_gates(results: list[GateResult], notes: Notes, prefix: str = "") -> None:
    """Failed gates always go to stderr (even with --quiet); passed ones are notes."""
    for r in results:
        if r.passed:
            notes.note(f"gate passed: {prefix}{r.message}")
        elif r.severity == "warn":
            print(f"cleanaudit: gate warning: {prefix}{r.message}", file=sys.stderr)
        else:
            print(f"cleanaudit: gate failed: {prefix}{r.message}", file=sys.stderr)


def append_step_summary(markdown: str) -> None:
    """Append the Markdown summary to $GITHUB_STEP_SUMMARY when GitHub Actions sets it."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError as exc:
        raise InputError(f"cannot append to GITHUB_STEP_SUMMARY file {target}: {exc.strerror}",
                         hint="check that the path is writable") from None


def _headline(dataset: Dataset) -> str:
    from cleanaudit.errors import name_list

    names = name_list(dataset.class_names, limit=20)  # thousands of class names would bury the report
    return f"{_describe_paths(dataset)}: {dataset.num_examples} rows, {dataset.num_classes} classes ({names})"


def markdown_report(command: str, dataset: Dataset, tables: list[TableData],
                    gates: Optional[list[GateResult]] = None) -> str:
    """The Markdown form of a command's tables (stdout with --format markdown; report.md).

    Gates come first, as a pull-request reader wants the verdict before the details.
    """
    from cleanaudit.report.tables import markdown_text

    parts = [f"## cleanaudit {command}", "", markdown_text(_headline(dataset))]
    if gates:
        failed = [g for g in gates if not g.passed and g.severity == "error"]
        verdict = f"**Gates: {len(failed)} of {len(gates)} failed**" if failed else f"**Gates: all {len(gates)} passed**"
        rows = [[g.expr, "-" if g.measured is None else g.measured,
                 "pass" if g.passed else ("warn" if g.severity == "warn" else "FAIL"), g.message] for g in gates]
        parts += ["", verdict, "", TableData("Gates", ["gate", "measured", "status", "detail"], rows).to_markdown()]
    parts += ["\n" + t.to_markdown() for t in tables]
    return "\n".join(parts) + "\n"


def _print_tables(dataset: Dataset, tables: list[TableData]) -> None:
    console = stdout_console()
    console.print(printable(_headline(dataset)))
    for data in tables:
        table = Table(title=printable(data.title), caption=printable(data.caption) or None, title_justify="left",
                      caption_justify="left")
        for column in data.columns:
            numeric = bool(data.rows) and isinstance(data.rows[0][data.columns.index(column)], (int, float))
            table.add_column(printable(column), justify="right" if numeric else "left")
        for position, row in enumerate(data.rows):
            table.add_row(*(format_cell(v) for v in row), style="dim" if position in data.dim_rows else None)
        console.print()
        console.print(table)
        for note in data.notes:
            console.print(printable(note))


def _write_out_dir(
    out: Path,
    envelope: dict[str, Any],
    prepared: Prepared,
    per_row: Optional[dict[str, Any]],
    extra_files: Optional[Callable[[dict[str, Any]], dict[str, str]]],
    *,
    staging: Optional[Path] = None,
) -> None:
    """Write the ``--out`` set (extra files, per-row files, report.json) as one.

    The set is built in a hidden folder beside ``out`` (or ``staging``) and moved into place when
    complete, replacing an earlier set in one step: a failure or Ctrl-C at any moment leaves the
    earlier complete set, or none, and no temp folder.
    """
    import pandas as pd

    from cleanaudit.cli import signals
    from cleanaudit.cli.outputs import OWN_NAMES
    from cleanaudit.data.write import FolderSet, atomic_write_text, write_frame

    inputs = [("DATA", p) for p in prepared.dataset.paths]
    with FolderSet(staging or out, inputs, option="--out", own_names=OWN_NAMES) as staged:
        extras = extra_files(envelope) if extra_files is not None else {}
        if set(extras) - OWN_NAMES:  # a later run must recognise every file of the set as its own
            raise RuntimeError(f"--out file names missing from OWN_NAMES: {sorted(set(extras) - OWN_NAMES)}")
        for name, text in extras.items():
            atomic_write_text(staged.path / name, text)
        if per_row is not None:
            dataset = prepared.dataset
            frame = pd.DataFrame({"row": np.arange(dataset.num_examples), "id": dataset.row_ids, **per_row})
            write_frame(frame, staged.path / "issues.parquet")
            write_frame(frame, staged.path / "issues.csv")
            envelope["rows_file"] = str(out / "issues.parquet")
        atomic_write_text(staged.path / "report.json", to_json(envelope))
        signals.check()
        staged.commit()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
