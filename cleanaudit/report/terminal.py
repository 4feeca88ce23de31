"""The terminal renderings (Rich): a command's tables on stdout, the batch index, the list of
checks, and the ``--model auto`` comparison (on stderr).

Consoles are built per call (``CliRunner`` swaps ``sys.stdout`` for each invocation) with
``markup=False`` everywhere: class names, ids, file names and messages are data, and ``[red]`` in
a label is text.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from cleanaudit.report.tables import TableData, format_cell, headline, printable

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.report.index import IndexRow


def stdout_console() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, markup=False)


def stderr_console() -> Console:
    return Console(file=sys.stderr, highlight=False, markup=False)


def print_tables(dataset: Dataset, tables: Sequence[TableData]) -> None:
    """The headline, then each table with its caption and notes, on stdout."""
    console = stdout_console()
    console.print(printable(headline(dataset)))
    for data in tables:
        table = Table(
            title=printable(data.title),
            caption=printable(data.caption) or None,
            title_justify="left",
            caption_justify="left",
        )
        for column in data.columns:
            numeric = bool(data.rows) and isinstance(data.rows[0][data.columns.index(column)], (int, float))
            table.add_column(printable(column), justify="right" if numeric else "left")
        for position, row in enumerate(data.rows):
            table.add_row(*(format_cell(v) for v in row), style="dim" if position in data.dim_rows else None)
        console.print()
        console.print(table)
        for note in data.notes:
            console.print(printable(note))


def candidates_table(candidates: Sequence[dict[str, Any]]) -> Table:
    """The ``--model auto`` comparison (rows sorted by log loss, the chosen one marked)."""
    table = Table(title="--model auto: out-of-fold scores against the given labels", title_justify="left")
    for column in ("model", "log loss", "accuracy", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for c in candidates:
        if c["error"]:
            table.add_row(c["model"], "failed", "-", f"{c['seconds']:.1f}")
            continue
        mark = " (chosen)" if c["chosen"] else ""
        table.add_row(c["model"] + mark, f"{c['log_loss']:.4f}", f"{c['accuracy']:.4f}", f"{c['seconds']:.1f}")
    return table


def print_checks(catalogue: Sequence[dict[str, Any]]) -> None:
    """``audit --list-checks``: every check with its inputs and parameters."""
    table = Table(title="Checks (run in this order)", title_justify="left")
    for column in ("check", "default", "needs", "parameters", "what it finds"):
        table.add_column(column)
    for spec in catalogue:
        needs = " or ".join(n.replace("+", " and ") for n in spec["needs"]) or "labels only"
        params = ", ".join(f"{k}={v!r}" for k, v in spec["params"].items()) or "-"
        table.add_row(spec["check"], "yes" if spec["default"] else "no", needs, params, spec["description"])
    Console().print(table)


def print_index(rows: Sequence[IndexRow], caption: str) -> None:
    """The batch index in a narrow form: issue types with issues in one column, errors under the table."""
    from cleanaudit.report.index import STATUS_NAMES

    table = Table(title="Datasets", caption=caption, title_justify="left", caption_justify="left")
    for column in ("dataset", "status", "rows", "classes", "health", "gates", "issues (rows flagged)"):
        table.add_column(
            column,
            justify="right" if column in ("rows", "classes", "health") else "left",
            no_wrap=column != "issues (rows flagged)",
        )
    for row in rows:
        issues = ", ".join(f"{t} {n}" for t, n in row.issues.items() if n) or ("-" if row.error else "none")
        table.add_row(
            row.dataset,
            STATUS_NAMES.get(row.exit_status, str(row.exit_status)),
            *(format_cell(v) if v is not None else "-" for v in (row.rows, row.classes, row.health)),
            row.gates,
            issues,
        )
    console = stdout_console()
    console.print(table)
    for row in rows:
        if row.error:
            console.print(f"{row.dataset}: {row.error}", markup=False, soft_wrap=True)
