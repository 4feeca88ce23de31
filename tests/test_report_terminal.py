"""Terminal tables: whole when piped, fitted (with a hint when they cannot fit) on a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from cleanaudit.report.tables import TableData
from cleanaudit.report.terminal import print_table, rich_table, terminal_examples

LONG = [f"a rather long class name number {i}" for i in range(8)]


def _wide() -> TableData:
    return TableData("Wide", ["given \\ true", *LONG], [[n, *range(8)] for n in LONG])


def test_piped_table_is_printed_whole():
    out = io.StringIO()
    console = Console(file=out, width=80, markup=False)  # not a terminal, as in a pipe
    print_table(console, rich_table(_wide()), "Wide")
    text = out.getvalue()
    assert "…" not in text
    for name in LONG:
        assert text.count(name) == 2  # header and row, both complete
    assert max(len(line) for line in text.splitlines()) > 80
    assert console.width == 80  # the console is left as it was


def test_terminal_table_fits_and_says_to_use_format(capsys):
    out = io.StringIO()
    console = Console(file=out, width=60, force_terminal=True, markup=False, color_system=None)
    print_table(console, rich_table(_wide()), "Wide")
    assert max(len(line) for line in out.getvalue().splitlines()) <= 60
    assert "--format csv" in capsys.readouterr().err


def test_examples_cut_for_the_terminal_only():
    data = TableData("label issues", [f"c{i}" for i in range(20)], [["t" * 80] * 20], kind="examples")
    short, left_out = terminal_examples(data)
    assert left_out == 4 and len(short.columns) == 16
    assert short.rows[0][0].endswith("…") and len(short.rows[0][0]) == 40
    assert data.rows[0][0] == "t" * 80  # Markdown, HTML and JSON keep the whole text


def test_large_data_plan_is_in_the_note_and_under_the_candidates_table():
    # The note says how --model auto ran on large data; the table on stderr shows the same words.
    from rich.console import Console

    from cleanaudit.models.select import Candidate
    from cleanaudit.report.terminal import candidates_table
    from cleanaudit.workflows.result import NoteLog
    from cleanaudit.workflows.sources import note_candidates

    log = NoteLog()
    candidates = [
        Candidate("logreg", 0.9, 0.6, 1.0, clipped_log_loss=0.9, rows=2000),
        Candidate(
            "hist-gb", 0.7, 0.7, 2.0, clipped_log_loss=0.7, rows=2000, params={"max_iter": 25}, max_train_rows=15000
        ),
    ]
    note_candidates(log, "auto:hist-gb", candidates)
    (note,) = log.notes
    plan = note.details["plan"]
    assert (
        plan == "scored on one fold (2,000 rows), with bounded settings: "
        "hist-gb max_iter=25, each fold fit on at most 15,000 rows"
    )
    assert "hist-gb max_iter=25, each fold fit on at most 15,000 rows" in note.message
    console = Console(width=300, record=True)
    console.print(candidates_table(note.details["candidates"], note.details.get("plan")))
    assert plan in " ".join(console.export_text().split())  # the caption wraps at the table's width
    small = NoteLog()
    note_candidates(small, "auto:logreg", candidates[:1])
    assert "plan" not in small.notes[0].details and "bounded" not in small.notes[0].message
