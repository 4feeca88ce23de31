"""The terminal renderings (Rich): a command's tables on stdout, the batch index, the list of
checks, and the ``--model auto`` comparison (on stderr).

Consoles are built per call (``CliRunner`` swaps ``sys.stdout`` for each invocation) with
``markup=False`` everywhere: class names, ids, file names and messages are data, and ``[red]`` in
a label is text. On a terminal a table is fitted to its width (and stderr says when one cannot fit
without cutting words); piped or redirected, a table is printed at its natural width, never cut.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from cleanaudit.report.tables import TableData, format_cell, headline, printable

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.report.index import IndexRow

EXAMPLE_TEXT_LIMIT = 40  # characters of a text value in an examples table (other formats show it whole)
EXAMPLE_COLUMN_LIMIT = 16  # columns of an examples table (the row's values past these: other formats)


def stdout_console() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, markup=False)


def stderr_console() -> Console:
    return Console(file=sys.stderr, highlight=False, markup=False)


def print_tables(dataset: Dataset, tables: Sequence[TableData], banner: Sequence[str] = ()) -> None:
    """The headline, the ``banner`` lines (findings unreliable), then each table with its caption and notes."""
    console = stdout_console()
    piped = not console.is_terminal  # lines of text are not broken for a pipe or a file either
    console.print(printable(headline(dataset)), soft_wrap=piped)
    for line in banner:
        console.print(printable(line), style="bold red", soft_wrap=True)
    for data in tables:
        notes = list(data.notes)
        if data.kind == "examples":
            data, left_out = terminal_examples(data)
            if left_out:
                more = f"{left_out} more column" + ("s" if left_out != 1 else "")
                notes.append(f"{more}: --format json, markdown or --out DIR show every value")
        table = rich_table(data)
        console.print()
        print_table(console, table, data.title)
        for note in notes:
            console.print(printable(note), soft_wrap=piped)


def terminal_examples(data: TableData) -> tuple[TableData, int]:
    """An examples table cut for a terminal: long text shortened, at most :data:`EXAMPLE_COLUMN_LIMIT` columns.

    >>> data = TableData("t", ["row", "text"], [[1, "x" * 50]], kind="examples")
    >>> short, left_out = terminal_examples(data)
    >>> len(short.rows[0][1]), left_out
    (40, 0)
    """
    keep = min(len(data.columns), EXAMPLE_COLUMN_LIMIT)

    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > EXAMPLE_TEXT_LIMIT:
            return value[: EXAMPLE_TEXT_LIMIT - 1] + "…"
        return value

    rows = [[cut(v) for v in row[:keep]] for row in data.rows]
    return replace(data, columns=data.columns[:keep], rows=rows), len(data.columns) - keep


def rich_table(data: TableData) -> Table:
    """A :class:`TableData` as a Rich table: numbers right-aligned, ``dim_rows`` dimmed."""
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
    return table


def print_table(console: Console, table: Table, title: str = "") -> None:
    """Print ``table`` whole: piped at its natural width; on a terminal fitted to it, with a hint
    on stderr when it cannot fit without cutting words."""
    natural = natural_width(console, table)
    if natural.maximum <= console.width:
        console.print(table)
    elif not console.is_terminal:
        width = console.width
        console.width = natural.maximum  # a pipe or a file has no width to fit: cut nothing
        try:
            console.print(table)
        finally:
            console.width = width
    else:
        console.print(table)
        if natural.minimum > console.width:
            what = f"table {printable(title)!r}" if title else "a table"
            print(
                f"cleanaudit: the {what} is {natural.minimum} columns wide at least, wider than this "
                f"terminal ({console.width}); --format csv or --format json shows it in full",
                file=sys.stderr,
            )


def natural_width(console: Console, table: Table) -> Measurement:
    """The least and the natural width of ``table`` in characters, whatever the console's width."""
    unbounded = console.options.update(width=1_000_000, max_width=1_000_000)
    return Measurement.get(console, unbounded, table)


def candidates_table(candidates: Sequence[dict[str, Any]], plan: str | None = None) -> Table:
    """The ``--model auto`` comparison (rows sorted by the clipped log loss, the chosen one marked).

    ``plan`` is the note's account of the large-data settings, shown under the caption.
    """
    table = Table(title="--model auto: out-of-fold scores against the given labels", title_justify="left")
    for column in ("model", "clipped log loss", "log loss", "accuracy", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for c in candidates:
        if c["error"]:
            table.add_row(c["model"], "failed", "-", "-", f"{c['seconds']:.1f}")
            continue
        mark = " (chosen)" if c["chosen"] else ""
        clipped = c.get("clipped_log_loss", c["log_loss"])
        row = [f"{clipped:.4f}", f"{c['log_loss']:.4f}", f"{c['accuracy']:.4f}", f"{c['seconds']:.1f}"]
        table.add_row(c["model"] + mark, *row)
    caption = "chosen: the lowest clipped log loss (probabilities below 0.001 count as 0.001)"
    table.caption = caption + (f"\n{plan}" if plan else "")
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
    print_table(stdout_console(), table, "Checks")


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
    print_table(console, table, "Datasets")
    for row in rows:
        if row.error:
            console.print(f"{row.dataset}: {row.error}", markup=False, soft_wrap=True)
