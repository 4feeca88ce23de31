"""The Typer application: commands are registered here; errors become exit codes here.

Only this package talks to the terminal. Core modules raise :class:`CleanAuditError`; the
group below turns every failure into one line on stderr and an :class:`ExitStatus`. Before a
command runs, the group checks where it will write (:mod:`cleanaudit.cli.outputs`); an
interrupt, at any point, ends the run with 130 and the one line ``cleanaudit: interrupted``
(:mod:`cleanaudit.cli.signals`); a closed stdout ends it quietly with 141.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from cleanaudit import __version__
from cleanaudit.cli import signals
from cleanaudit.errors import CleanAuditError
from cleanaudit.status import ExitStatus

try:  # recent Typer vendors Click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older Typer with Click as a dependency
    from click.exceptions import ClickException


def _print_error(message: str) -> None:
    from cleanaudit.report.tables import printable

    try:  # one line, shown literally: a file name or label may hold newlines or escape sequences
        print(f"cleanaudit: error: {printable(message)}", file=sys.stderr)
    except (OSError, ValueError):  # stderr closed: the exit status still says it
        pass


class _Interrupted(BaseException):
    """A KeyboardInterrupt carried past Typer, which would turn it into a silent exit 130."""


class _StdoutClosed(BaseException):
    """A BrokenPipeError on stdout carried past Typer, which would turn it into exit 1."""


class CleanAuditGroup(TyperGroup):
    """A Typer group whose ``main`` maps every outcome to an :class:`ExitStatus`."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and command.callback is not None and not getattr(command, "_paths_checked", False):
            command.callback = _checking_paths(command.callback)
            command._paths_checked = True
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None
        except BrokenPipeError:
            if _stdout_closed():
                raise _StdoutClosed() from None
            raise
        except SystemExit as exc:  # Rich's answer to a closed stdout: SystemExit(1) while handling the EPIPE
            if isinstance(exc.__context__, BrokenPipeError):
                raise _StdoutClosed() from None
            raise

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in args or bool(os.environ.get("CLEANAUDIT_DEBUG"))
        interrupted = False
        try:
            result = super().main(args, prog_name or "cleanaudit", complete_var, standalone_mode=False, **extra)
            code = int(result) if isinstance(result, int) else ExitStatus.OK
            # Typer turns a KeyboardInterrupt outside the command (while parsing, say) into a silent 130.
            interrupted = code == ExitStatus.INTERRUPTED
        except (_Interrupted, KeyboardInterrupt, typer.Abort):
            interrupted = True
        except _StdoutClosed:
            code = signals.CLOSED_STDOUT
        except ClickException as exc:  # bad usage: unknown option, invalid choice, missing argument
            if debug:
                traceback.print_exc()
            ctx = getattr(exc, "ctx", None)
            command = ctx.command_path if ctx is not None else "cleanaudit"
            if not signals.seen():
                _print_error(f"{exc.format_message()} (see '{command} --help')")
            code = ExitStatus.INPUT_ERROR
        except CleanAuditError as exc:
            if debug:
                traceback.print_exc()
            if not signals.seen():  # after Ctrl-C, an error is its consequence: say "interrupted" only
                _print_error(str(exc))
            code = exc.exit_status
        except Exception as exc:  # a bug of ours: say so, keep the traceback for --debug
            if debug and not signals.seen():
                traceback.print_exc()
            if not signals.seen():
                _print_error(
                    f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback and report it)"
                )
            code = ExitStatus.INTERNAL_ERROR
        if interrupted or signals.seen():  # a Ctrl-C at any moment, even one some library swallowed
            signals.disarm()
            signals.report()
            code = ExitStatus.INTERRUPTED
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


def _checking_paths(callback: Callable[..., Any]) -> Callable[..., Any]:
    """``callback`` preceded by the check of its output paths against its inputs (before any loading)."""

    @functools.wraps(callback)
    def checked(*args: Any, **params: Any) -> Any:
        from cleanaudit.cli.outputs import check_command_paths

        check_command_paths(params)
        if params.get("jobs") not in (None, 1):  # worker processes: Ctrl-C is for this process to handle
            signals.quiet_workers()
        return callback(*args, **params)

    return checked


def _stdout_closed() -> bool:
    """Whether stdout is a pipe (or socket) whose reader went away, as ``| head -1`` leaves it."""
    try:
        import select

        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no real file behind stdout, or no poll(): trust the error
        return True


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
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version_callback, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Audit classification datasets."""


def _register() -> None:
    # The command modules define their commands; this module adds them (they never import it, so there
    # is no import cycle). They import only light modules at import time, so --help stays fast.
    from cleanaudit.cli import audit_command, clean_command, label_commands, review_command

    for module in (audit_command, clean_command, label_commands, review_command):
        module.register(app)


_register()


def run(argv: Sequence[str]) -> int:
    """Run the CLI with ``argv`` and return the exit status (used by ``__main__``)."""
    return typer.main.get_command(app).main(list(argv), prog_name="cleanaudit", standalone_mode=False)
