"""Entry point for ``python -m cleanaudit`` and the ``cleanaudit`` console script; the only place that exits.

How the process ends is settled here, for every moment of the run:

- Ctrl-C (SIGINT) ends it with status 130 and the one line ``cleanaudit: interrupted`` on stderr,
  whenever it comes: while modules import, while folds fit in joblib workers, while outputs are
  written, during interpreter shutdown. The first Ctrl-C unwinds the run (temp folders removed,
  workers stopped) and, until that is done, SIGINT is ignored: a second Ctrl-C can break neither
  our clean-up nor the helpers joblib starts for its own (it kills worker trees with ``pgrep``,
  which inherits the ignored SIGINT). "Exception ignored" reports, thread tracebacks and warnings
  after a Ctrl-C are not printed. See :mod:`cleanaudit.cli.signals`. A Ctrl-C that the shell told us to ignore
  (a background job) stays ignored. To cover the very end too, the process leaves with
  ``os._exit`` once stdout is flushed and the atexit callbacks have run (see :func:`_leave`).
- A closed stdout (``cleanaudit ... | head -1``) ends it quietly with status 141 (128 + SIGPIPE).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from cleanaudit.cli import signals

_after_run = False  # the command returned: a Ctrl-C is recorded, no longer raised


def main() -> None:
    global _after_run
    installed = _install()
    code: Any = signals.INTERRUPTED
    try:
        try:
            from cleanaudit.cli.app import run

            code = run(sys.argv[1:])
        except SystemExit as exc:  # pragma: no cover - a library exiting on our behalf
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            _after_run = True
    except KeyboardInterrupt:  # arrived outside the CLI's own handling (while importing it, say)
        code = signals.INTERRUPTED
    code = _finish(int(code), installed)
    if not installed:
        sys.exit(code)
    _leave(code)


def _install() -> bool:
    """Our SIGINT handler and quiet hooks; False (no handler) when SIGINT is ignored or taken already."""
    import threading
    import warnings

    sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)
    threading.excepthook = _quiet_after_interrupt(threading.excepthook)  # joblib's threads, once interrupted
    warnings.showwarning = _quiet_after_interrupt(warnings.showwarning)
    # loky's resource tracker, a process of its own that joblib starts, warns at its exit about the
    # semaphores of workers a Ctrl-C stopped (it frees them all the same), after our one line.
    # Child processes read this; a PYTHONWARNINGS of the user's own is left as it is.
    os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning:joblib.externals.loky.backend.resource_tracker")
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    signal.signal(signal.SIGINT, _on_sigint)
    return True


def _on_sigint(signum: int, frame: Any) -> None:
    _, raise_now = signals.on_signal()
    if raise_now and not _after_run:
        # Ignored until the clean-up is done (:func:`_finish`); processes started meanwhile inherit that.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt


def _on_late_sigint(signum: int, frame: Any) -> None:
    # Everything is written and the workers are stopped: exit now, without interpreter shutdown
    # (whose atexit and thread joins would otherwise report the KeyboardInterrupt and exit 0).
    signals.on_signal()
    _exit_now()


def _exit_now() -> None:
    if not signals.reported():
        signals.report(raw=True)
    os._exit(signals.INTERRUPTED)


def _quiet_after_interrupt(default: Any) -> Any:
    def hook(*args: Any, **kwargs: Any) -> None:
        if not signals.seen():
            default(*args, **kwargs)

    return hook


def _quiet_unraisable(default: Any) -> Any:
    def hook(unraisable: Any) -> None:
        if issubclass(unraisable.exc_type, KeyboardInterrupt):
            signals.swallowed()  # lost inside a __del__ or the like: the next Ctrl-C raises again
            if not _after_run and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
                try:
                    signal.signal(signal.SIGINT, _on_sigint)
                except ValueError:  # not in the main thread: the CLI's checks still stop the run
                    pass
            return
        if signals.seen() or issubclass(unraisable.exc_type, BrokenPipeError):
            return  # a consequence of the interrupt or of a closed stdout, not news for the user
        default(unraisable)

    return hook


def _finish(code: int, installed: bool) -> int:
    """Stop workers, flush stdout, settle the status; from its end on, a Ctrl-C exits 130 at once."""
    _stop_workers(kill=signals.seen())
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = signals.CLOSED_STDOUT
    except (OSError, ValueError):
        pass
    if code == signals.CLOSED_STDOUT:
        _silence_stdout()
    if installed:
        signal.signal(signal.SIGINT, _on_late_sigint)
    if signals.seen() or code == signals.INTERRUPTED:
        if not signals.reported():
            signals.report()
        code = signals.INTERRUPTED
    return code


def _leave(code: int) -> None:
    """Exit with ``code`` after the atexit callbacks, without the interpreter's own shutdown.

    That shutdown puts SIGINT back to its default before it frees the modules (a Ctrl-C then kills
    the process without a word) and drops a Ctrl-C that comes while it flushes stdio (exit 0).
    Here every moment is covered: a Ctrl-C during the atexit callbacks exits 130 at once.
    """
    import atexit
    import threading

    for thread in threading.enumerate():  # what the interpreter would wait for
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    try:
        atexit._run_exitfuncs()  # joblib's temp folders, logging, multiprocessing finalizers
    except Exception:  # pragma: no cover - each callback's errors are already reported by atexit
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _stop_workers(*, kill: bool) -> None:
    """Shut joblib's worker processes down now, not during interpreter shutdown."""
    module = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(module, "_executor", None)
    if executor is None:
        return
    try:
        executor.shutdown(wait=True, kill_workers=kill)
    except Exception:  # pragma: no cover - already broken: the interpreter's own shutdown tries again
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not report the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _forget_working_folder() -> None:
    """``python -m`` puts the working folder first on ``sys.path``: a ``./sklearn.py`` or ``./typer.py``
    there would be imported instead of the installed package. Nothing is ever imported from it."""
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    if sys.path and sys.path[0] in ("", cwd):
        del sys.path[0]


if __name__ == "__main__":
    _forget_working_folder()
    main()
