"""Batch runs: audit several datasets one by one in this process, then print an index.

One dataset's failure (unreadable file, bad column, a bug) is recorded in its index row and the
others still run; the exit status is the worst of all datasets. Everything runs in one process,
so a folder of many small files pays the start-up cost (imports, model presets) once.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from cleanaudit.cli.options import DataOptions, OutputFormat
from cleanaudit.cli.runtime import (Notes, Outcome, Prepared, append_step_summary, conclude, report_gates,
                                    stdout_console)
from cleanaudit.errors import CleanAuditError
from cleanaudit.report.envelope import build_envelope, library_versions, to_json
from cleanaudit.report.index import STATUS_NAMES, IndexRow, index_markdown, index_payload, index_table
from cleanaudit.status import ExitStatus

# run_one(opts for one dataset, its index name) -> what conclude() takes
RunOne = Callable[[DataOptions, str], tuple[Prepared, DataOptions, dict[str, Any]]]


def dataset_names(files: list[Path]) -> list[str]:
    """Unique, folder-safe names for ``--out DIR/<name>/``: the file stem, made longer on a clash.

    >>> dataset_names([Path("a/x.csv"), Path("b/x.csv"), Path("y.parquet")])
    ['x', 'x-2', 'y']
    """
    names: list[str] = []
    for path in files:
        base = path.name.split(".")[0] or "data"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}-{n}"
        names.append(name)
    return names


def run_batch(files: list[Path], opts: DataOptions, run_one: RunOne) -> int:
    """Audit each of ``files`` with ``run_one``; print and write the index; return the worst status.

    With ``--out DIR`` the per-dataset folders and the index are one set: built in a hidden folder
    beside DIR and moved into place once all are written, so DIR holds the earlier batch or this
    one, complete, whatever happens meanwhile (an error, Ctrl-C).
    """
    started = time.perf_counter()
    names = dataset_names(files)
    if opts.out is None:
        rows, outcomes = _audit_all(files, names, opts, run_one, None)
        text = index_markdown(rows)
    else:
        from cleanaudit.cli import signals
        from cleanaudit.cli.outputs import OWN_NAMES
        from cleanaudit.data.write import FolderSet

        with FolderSet(opts.out, [("DATA", f) for f in files], option="--out", own_names=OWN_NAMES) as staged:
            rows, outcomes = _audit_all(files, names, opts, run_one, staged.path)
            text = index_markdown(rows)
            _write_index(staged.path, rows, text, started)
            signals.check()
            staged.commit()
    _print(opts, rows, outcomes, text, started)
    append_step_summary(text)
    return max((r.exit_status for r in rows), default=int(ExitStatus.OK))


def _audit_all(files: list[Path], names: list[str], opts: DataOptions, run_one: RunOne,
               staging: Path | None) -> tuple[list[IndexRow], list[Outcome]]:
    """Each dataset's outcome and index row; with ``staging``, its --out folder is built at staging/<name>."""
    notes = Notes(opts.quiet)
    outs = [opts.out / name if opts.out is not None else None for name in names]  # as the reports name them
    stages = [staging / name if staging is not None else None for name in names]
    jobs = opts.jobs or 1
    if jobs != 1 and len(files) > 1:
        # Datasets in parallel worker processes (each pays the imports once, not once per file);
        # folds inside a dataset then run one at a time so the cores are not oversubscribed.
        from joblib import Parallel, delayed

        notes.note(f"auditing {len(files)} datasets with --jobs {jobs}")
        outcomes = Parallel(n_jobs=jobs)(
            delayed(_audit_one)(name, replace(opts, data=[path], out=out, jobs=1), run_one, stage)
            for path, name, out, stage in zip(files, names, outs, stages))
    else:
        outcomes = []
        for path, name, out, stage in zip(files, names, outs, stages):
            notes.note(f"auditing {path}")
            outcomes.append(_audit_one(name, replace(opts, data=[path], out=out), run_one, stage))
    rows = [_row(name, path, outcome, out) for path, name, out, outcome in zip(files, names, outs, outcomes)]
    return rows, outcomes


def _audit_one(name: str, opts: DataOptions, run_one: RunOne, staging: Path | None = None) -> Outcome:
    # Errors are caught per dataset so that one bad file does not stop the batch; Ctrl-C still does,
    # also when it surfaces as another error (a library that turned the KeyboardInterrupt into one).
    from cleanaudit.cli import signals

    signals.check()
    try:
        prepared, opts, emit_args = run_one(opts, name)
        outcome = conclude("audit", prepared, opts, staging=staging, **emit_args)
        outcome.name = name  # the index name, unique within the batch
        report_gates(outcome.gates, prepared.notes, prefix=f"{name}: ")
        return outcome
    except CleanAuditError as exc:
        signals.check()
        _error(name, str(exc))
        return Outcome(name, int(exc.exit_status), error=str(exc))
    except Exception as exc:  # a bug of ours on this dataset: record it, go on with the others
        signals.check()
        if opts.debug:
            traceback.print_exc()
        message = f"internal error: {type(exc).__name__}: {exc}"
        _error(name, message + " (rerun with --debug for the traceback and report it)")
        return Outcome(name, int(ExitStatus.INTERNAL_ERROR), error=message)


def _error(name: str, message: str) -> None:
    print(f"cleanaudit: error: {name}: {message}", file=sys.stderr)


def _row(name: str, path: Path, outcome: Outcome, out: Path | None) -> IndexRow:
    row = IndexRow(name, str(path), int(outcome.status), error=outcome.error,
                   out_dir=str(out) if out is not None and outcome.error is None else None)
    if outcome.envelope is not None:
        row.rows = outcome.envelope["dataset"]["num_examples"]
        row.classes = outcome.envelope["dataset"]["num_classes"]
    if outcome.measured is not None:
        row.health = outcome.measured.health
        row.issues = dict(outcome.measured.counts)
    if outcome.gates:
        failed = [g for g in outcome.gates if not g.passed]
        row.failed_gates = [f"{g.severity}: {g.message}" for g in failed]
        row.gates = ("fail" if any(g.severity == "error" for g in failed) else "warn") if failed else "pass"
    return row


def _index_envelope(rows: list[IndexRow], started: float) -> dict[str, Any]:
    run = {"versions": library_versions(), "seconds": round(time.perf_counter() - started, 3)}
    return build_envelope("audit", dataset={"batch": True, "num_datasets": len(rows)}, run=run,
                          payload=index_payload(rows))


def _write_index(out: Path, rows: list[IndexRow], markdown: str, started: float) -> None:
    from cleanaudit.data.write import atomic_write_text

    atomic_write_text(out / "index.json", to_json(_index_envelope(rows, started)))
    atomic_write_text(out / "index.csv", index_table(rows).to_csv())
    atomic_write_text(out / "index.md", markdown)


def _print(opts: DataOptions, rows: list[IndexRow], outcomes: list[Outcome], markdown: str, started: float) -> None:
    if opts.format is OutputFormat.json:
        sys.stdout.write(to_json(_index_envelope(rows, started)))
    elif opts.format is OutputFormat.csv:
        sys.stdout.write(index_table(rows).to_csv())
    elif opts.format is OutputFormat.markdown:
        sys.stdout.write(markdown)
    elif opts.format is OutputFormat.junit:
        from cleanaudit.report.junit import error_suite, junit_suite, render_junit

        suites = [junit_suite(o.name, o.measured, o.gates, o.seconds) if o.measured is not None
                  else error_suite(o.name, o.error or "failed") for o in outcomes]
        sys.stdout.write(render_junit(suites))
    else:
        # The terminal gets a narrow form: issue types with issues in one column, errors under the table.
        from rich.table import Table

        from cleanaudit.report.tables import format_cell

        table = Table(title="Datasets", caption=index_table(rows).caption, title_justify="left", caption_justify="left")
        for column in ("dataset", "status", "rows", "classes", "health", "gates", "issues (rows flagged)"):
            table.add_column(column, justify="right" if column in ("rows", "classes", "health") else "left",
                             no_wrap=column != "issues (rows flagged)")
        for row in rows:
            issues = ", ".join(f"{t} {n}" for t, n in row.issues.items() if n) or ("-" if row.error else "none")
            table.add_row(row.dataset, STATUS_NAMES.get(row.exit_status, str(row.exit_status)),
                          *(format_cell(v) if v is not None else "-" for v in (row.rows, row.classes, row.health)),
                          row.gates, issues)
        console = stdout_console()
        console.print(table)
        for row in rows:
            if row.error:
                console.print(f"{row.dataset}: {row.error}", markup=False, soft_wrap=True)
