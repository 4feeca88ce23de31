"""What every command's result holds besides its own findings, and how notes are kept.

Each ``run_<command>`` returns a ``<Command>Result`` whose :class:`RunContext` holds what a
renderer needs to report the run: the dataset, the ``run`` record of the JSON contract, the
notes, the JSON payload (with the gates), the gates' results, the per-row columns of
``issues.csv`` and the pred_probs (for plots). :class:`CommandOutcome` gives every result the
same short names for them (``result.notes``, ``result.dataset``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cleanaudit.events import SILENT, Events, Note

if TYPE_CHECKING:
    import numpy as np

    from cleanaudit.data.dataset import Dataset
    from cleanaudit.workflows.gates import GateResult, Measurements


@dataclass
class RunContext:
    """One finished run of a command on one dataset, as every renderer reads it."""

    command: str
    dataset: Dataset
    run: dict[str, Any]  # the JSON ``run`` record: model, cv_folds, seed, pred_probs_source, versions, seconds
    notes: list[Note]
    payload: dict[str, Any]  # the command's JSON keys (DESIGN.md), with ``gates`` when any were given
    measured: Measurements
    gates: list[GateResult] = field(default_factory=list)
    per_row: dict[str, Any] | None = None  # columns of issues.parquet / issues.csv
    pred_probs: np.ndarray | None = None

    @property
    def gates_failed(self) -> bool:
        """True when a gate of severity ``error`` did not pass."""
        from cleanaudit.workflows.gates import gates_failed

        return gates_failed(self.gates)

    @property
    def seconds(self) -> float:
        return float(self.run.get("seconds") or 0.0)


class CommandOutcome:
    """Short names for a result's :class:`RunContext` (every ``<Command>Result`` has a ``context``)."""

    context: RunContext | None

    def _context(self) -> RunContext:
        if self.context is None:
            raise ValueError(f"this {type(self).__name__} was not made by a run_* workflow (no context)")
        return self.context

    @property
    def dataset(self) -> Dataset:
        return self._context().dataset

    @property
    def notes(self) -> list[Note]:
        return self._context().notes

    @property
    def run(self) -> dict[str, Any]:
        return self._context().run

    @property
    def gates(self) -> list[GateResult]:
        return self._context().gates

    @property
    def gates_failed(self) -> bool:
        return self._context().gates_failed


class NoteLog:
    """Sends notes and progress to ``events`` and keeps the notes for the result.

    >>> from cleanaudit.events import CollectingEvents
    >>> seen = CollectingEvents()
    >>> log = NoteLog(seen)
    >>> log.note("dry_run", "dry run: nothing written")
    >>> log.note("dry_run", "dry run: nothing written")  # said twice, kept once
    >>> len(seen.notes), [n.message for n in log.notes]
    (2, ['dry run: nothing written'])
    """

    def __init__(self, events: Events | None = None) -> None:
        self.events: Events = events if events is not None else SILENT
        self._notes: dict[Note, None] = {}

    def add(self, note: Note) -> None:
        """Keep ``note`` and send it to the events."""
        self.keep(note)
        self.events.note(note)

    def keep(self, note: Note | None) -> None:
        """Keep ``note`` for the result without sending it (it was sent already)."""
        if note is not None:
            self._notes.setdefault(note, None)

    def note(self, kind: str, message: str, columns: Any = (), details: Any = None) -> None:
        self.add(Note(kind, message, tuple(columns), details))

    def progress(self, description: str, completed: int, total: int) -> None:
        self.events.progress(description, completed, total)

    @property
    def notes(self) -> list[Note]:
        return list(self._notes)
