"""The Typer application: commands are registered here; errors become exit codes here.

Only this package talks to the terminal. Core modules raise :class:`CleanAuditError`; the
group below turns every failure into one line on stderr and an :class:`ExitStatus`.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Optional, Sequence

import typer
from typer.core import TyperGroup

from cleanaudit import __version__
from cleanaudit.errors import CleanAuditError
from cleanaudit.status import ExitStatus

try:  # recent Typer vendors Click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older Typer with Click as a dependency
    from click.exceptions import ClickException


def _print_error(message: str) -> None:
    print(f"cleanaudit: error: {message}", file=sys.stderr)


class CleanAuditGroup(TyperGroup):
    """A Typer group whose ``main`` maps every outcome to an :class:`ExitStatus`."""

    def main(  # type: ignore[override]
        self,
        args: Optional[Sequence[str]] = None,
        prog_name: Optional[str] = None,
        complete_var: Optional[str] = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in args or bool(os.environ.get("CLEANAUDIT_DEBUG"))
        try:
            result = super().main(args, prog_name or "cleanaudit", complete_var, standalone_mode=False, **extra)
            code = int(result) if isinstance(result, int) else ExitStatus.OK
        except ClickException as exc:  # bad usage: unknown option, invalid choice, missing argument
            if debug:
                traceback.print_exc()
            ctx = getattr(exc, "ctx", None)
            command = ctx.command_path if ctx is not None else "cleanaudit"
            _print_error(f"{exc.format_message()} (see '{command} --help')")
            code = ExitStatus.INPUT_ERROR
        except CleanAuditError as exc:
            if debug:
                traceback.print_exc()
            _print_error(str(exc))
            code = exc.exit_status
        except (KeyboardInterrupt, typer.Abort):
            _print_error("interrupted")
            code = ExitStatus.INTERRUPTED
        except Exception as exc:  # a bug of ours: say so, keep the traceback for --debug
            if debug:
                traceback.print_exc()
            _print_error(
                f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback "
                "and report it)"
            )
            code = ExitStatus.INTERNAL_ERROR
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


app = typer.Typer(
    cls=CleanAuditGroup,
    name="cleanaudit",
    help=(
        "Audit classification datasets: find label errors and data issues from a CSV or Parquet file.\n\n"
        "Examples:\n\n"
        "  cleanaudit find-issues data.csv --label y\n\n"
        "  cleanaudit health data.parquet --label y --pred-probs probs.npy\n\n"
        "  cleanaudit noise-matrix data.csv --label y --format json"
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        print(f"cleanaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_version_callback, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Audit classification datasets."""


def _register() -> None:
    # Command modules import only light modules at import time, so --help stays fast.
    from cleanaudit.cli import audit_command, clean_command, label_commands  # noqa: F401


_register()


def run(argv: Sequence[str]) -> int:
    """Run the CLI with ``argv`` and return the exit status (used by ``__main__``)."""
    return typer.main.get_command(app).main(list(argv), prog_name="cleanaudit", standalone_mode=False)
