"""Shared options for CI: ``--exit-zero``, and the ``--format`` help that lists the CI formats.

``GATE_OPTIONS`` is spliced into :data:`cleanaudit.cli.shared_options.SHARED_OPTIONS` after
``--fail-under`` (the order of ``--help``). Light imports only: ``cleanaudit --help`` reads this module.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

GATES_PANEL = "Gates (CI)"  # the panel of shared_options.GATES_PANEL (not imported: that module imports this one)

FORMAT_HELP = (
    "Output on stdout: table, json, csv, markdown, junit (JUnit XML), github (workflow-command annotations at "
    "each flagged row's CSV line, at most $CLEANAUDIT_MAX_ANNOTATIONS, default 50, 0 for all) or sarif "
    "(SARIF 2.1.0 for code scanning)."
)

GATE_OPTIONS: dict[str, tuple[Any, Any]] = {
    "exit_zero": (
        Annotated[
            bool,
            typer.Option(
                "--exit-zero",
                help="Report findings and failed gates but exit 0 even when a gate fails (bad input still "
                "exits 2), e.g. to show annotations on a pull request without failing the check.",
                rich_help_panel=GATES_PANEL,
            ),
        ],
        False,
    ),
}
