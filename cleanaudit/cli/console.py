"""The CLI's :class:`~cleanaudit.events.Events`: dim notes and progress on stderr.

Notes are printed as they come, dim, each kind with its own lead (``note:``, ``model warning:``);
the ``--model auto`` comparison is a table. Progress is a bar on a terminal and, when stderr is
not a terminal (a CI log), a plain line per step at its start, its end and at most every
:data:`PLAIN_INTERVAL` seconds between (:class:`PlainProgress`). With ``--quiet`` nothing is
printed, but a dataset a batch could not audit is always reported. :meth:`RichEvents.wrote`
says which files a command wrote.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from cleanaudit.events import Note

# How each kind of note starts on stderr: "note: " unless listed (the --model auto table has its own title).
LEADS = {
    "model_warning": "model warning: ",
    "model_note": "model note: ",
    "weak_model": "warning: ",
    "leakage": "warning: ",
}
DEFAULT_LEAD = "note: "
PLAIN_INTERVAL = 10.0  # seconds between two plain progress lines of one step


class PlainProgress:
    """Progress as plain lines (``cleanaudit: cross-validating logreg 3/5 (12 s)``) for logs.

    A step (one description) gets a line when it starts, when it ends and, between, at most one
    every ``interval`` seconds of ``clock`` (injectable, so tests need not sleep).

    >>> import io
    >>> now = [0.0]
    >>> out = io.StringIO()
    >>> plain = PlainProgress(out, clock=lambda: now[0])
    >>> for done in range(6):
    ...     now[0] = done * 4.0
    ...     plain.update("cross-validating logreg", done, 5)
    >>> print(out.getvalue(), end="")
    cleanaudit: cross-validating logreg 0/5 (0 s)
    cleanaudit: cross-validating logreg 3/5 (12 s)
    cleanaudit: cross-validating logreg 5/5 (20 s)
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = PLAIN_INTERVAL,
    ) -> None:
        self.stream, self.clock, self.interval = stream, clock, interval
        self._steps: dict[str, tuple[float, float | None]] = {}  # description -> (started, last line)

    def update(self, description: str, completed: int, total: int) -> None:
        now = self.clock()
        started, last = self._steps.get(description, (now, None))
        finished = completed >= total
        if last is None or finished or now - last >= self.interval:
            stream = self.stream if self.stream is not None else sys.stderr  # CliRunner swaps sys.stderr
            print(f"cleanaudit: {description} {completed}/{total} ({now - started:.0f} s)", file=stream, flush=True)
            last = now
        if finished:
            self._steps.pop(description, None)
        else:
            self._steps[description] = (started, last)


class RichEvents:
    """Diagnostics on stderr (notes, progress), silenced by ``--quiet``; picklable for batch workers."""

    def __init__(
        self, quiet: bool = False, debug: bool = False, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        from cleanaudit.report.terminal import stderr_console

        self.quiet = quiet
        self.debug = debug
        self.console = stderr_console()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._plain = PlainProgress(clock=clock)

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

            self.console.print(candidates_table(note.details["candidates"], note.details.get("plan")))
            return
        # A log (stderr not a terminal) gets each note on one line, unbroken, as grep wants it.
        piped = not self.console.is_terminal
        self.console.print(printable(LEADS.get(note.kind, DEFAULT_LEAD) + note.message), style="dim", soft_wrap=piped)

    def progress(self, description: str, completed: int, total: int) -> None:
        """A bar per step on a terminal (it goes away when a step reaches its total), else plain lines."""
        if self.quiet:
            return
        if not self.console.is_terminal:
            self._plain.update(description, completed, total)
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

    def wrote(self, where: str, names: Sequence[str] = ()) -> None:
        """One line saying what a command wrote: ``where`` (a file or folder) and the files in it."""
        if self.quiet:
            return
        from cleanaudit.report.tables import printable

        listed = f": {', '.join(names)}" if names else ""
        print(printable(f"cleanaudit: wrote {where}{listed}"), file=sys.stderr)

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
