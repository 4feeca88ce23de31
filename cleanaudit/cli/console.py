"""The CLI's :class:`~cleanaudit.events.Events`: dim notes and a progress bar on stderr.

Notes are printed as they come, dim, each kind with its own lead (``note:``, ``model warning:``);
the ``--model auto`` comparison is a table. A progress bar is shown only on a terminal; with
``--quiet`` nothing is printed, but a dataset a batch could not audit is always reported.
"""

from __future__ import annotations

import sys
from typing import Any

from cleanaudit.events import Note

# How each kind of note starts on stderr (kinds not listed are printed as they are).
LEADS = {
    "columns_left_out": "note: ",
    "missing_values_imputed": "note: ",
    "id_like_column": "note: ",
    "in_sample_pred_probs": "note: ",
    "detection_warning": "note: ",
    "model_choice": "note: ",
    "plots_missing": "note: ",
    "model_warning": "model warning: ",
    "model_note": "model note: ",
}


class RichEvents:
    """Diagnostics on stderr (notes, progress), silenced by ``--quiet``; picklable for batch workers."""

    def __init__(self, quiet: bool = False, debug: bool = False) -> None:
        from cleanaudit.report.terminal import stderr_console

        self.quiet = quiet
        self.debug = debug
        self.console = stderr_console()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __reduce__(self) -> tuple[Any, ...]:  # a worker process builds its own console on its own stderr
        return (RichEvents, (self.quiet, self.debug))

    def note(self, note: Note) -> None:
        if note.kind == "dataset_failed":  # an error, not a note: shown even with --quiet
            trace = (note.details or {}).get("traceback")
            if self.debug and trace:
                print(trace, end="", file=sys.stderr)
            print(f"cleanaudit: error: {note.message}", file=sys.stderr)
            return
        if self.quiet:
            return
        from cleanaudit.report.tables import printable

        if note.kind == "model_selection" and note.details:
            from cleanaudit.report.terminal import candidates_table

            self.console.print(candidates_table(note.details["candidates"]))
            return
        self.console.print(printable(LEADS.get(note.kind, "") + note.message), style="dim")

    def progress(self, description: str, completed: int, total: int) -> None:
        """A bar per step on a terminal; it goes away when a step reaches its total."""
        if self.quiet or not self.console.is_terminal:
            return
        if self._bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.start()
        if description not in self._tasks:
            self._tasks[description] = self._bar.add_task(description, total=total)
        self._bar.update(self._tasks[description], completed=completed, total=total)
        if completed >= total:
            self.close()

    def close(self) -> None:
        """Take the progress bar off the terminal (before the result is printed)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar, self._tasks = None, {}

    def gates(self, results: list[Any], prefix: str = "") -> None:
        """Failed gates always go to stderr (even with --quiet); passed ones are notes."""
        for r in results:
            if r.passed:
                if not self.quiet:
                    from cleanaudit.report.tables import printable

                    self.console.print(printable(f"gate passed: {prefix}{r.message}"), style="dim")
            elif r.severity == "warn":
                print(f"cleanaudit: gate warning: {prefix}{r.message}", file=sys.stderr)
            else:
                print(f"cleanaudit: gate failed: {prefix}{r.message}", file=sys.stderr)
