"""Process exit codes, in one place (see DESIGN.md, "The command line")."""

from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit codes of the ``cleanaudit`` command.

    >>> int(ExitStatus.INPUT_ERROR)
    2
    """

    OK = 0
    GATE_FAILED = 1
    INPUT_ERROR = 2
    INTERNAL_ERROR = 3
    INTERRUPTED = 130
