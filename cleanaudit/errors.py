"""Exceptions raised by the core; only ``cleanaudit.cli`` turns them into exit codes."""

from __future__ import annotations

from collections.abc import Sequence

from cleanaudit.status import ExitStatus


class CleanAuditError(Exception):
    """Base class: a problem the user can fix, described in one line.

    ``message`` says what is wrong (naming the file, column or option);
    ``hint`` says what to do about it.

    >>> str(InputError("column 'y' not found in data.csv", hint="pass --label with one of: a, b"))
    "column 'y' not found in data.csv; pass --label with one of: a, b"
    """

    exit_status: ExitStatus = ExitStatus.INPUT_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message}; {hint}" if hint else message)


class InputError(CleanAuditError):
    """Bad data: missing or unreadable file, unknown column, a single class, bad pred_probs."""


class ConfigError(CleanAuditError):
    """Bad option or configuration value."""


class ModelError(CleanAuditError):
    """The model could not be built or fitted (bad spec, bad parameter, too few examples per fold)."""


def one_line(err: object) -> str:
    """An exception's message folded onto one line (errors are one line on stderr).

    >>> one_line(ValueError("bad\\n  value"))
    'bad value'
    """
    return " ".join(str(err).split()) or type(err).__name__


def name_list(items: Sequence, limit: int = 20) -> str:
    """Items for an error message, comma-separated, at most ``limit`` of them.

    >>> name_list(["a", "b", "c"], limit=2)
    'a, b, ... (1 more)'
    """
    items = list(items)
    shown = ", ".join(str(i) for i in items[:limit])
    more = len(items) - limit
    return (shown + f", ... ({more} more)") if more > 0 else (shown or "none")
