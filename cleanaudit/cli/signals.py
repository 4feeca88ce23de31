"""How the process ends on a signal: Ctrl-C (exit 130, one line) and a closed stdout (exit 141).

Ctrl-C, one way everywhere: the run stops, leaves nothing partial, and exits 130 with one line.

``python -m cleanaudit`` installs a SIGINT handler (see :mod:`cleanaudit.__main__`) that calls
:func:`on_signal`: the signal is recorded here, and the first one raises ``KeyboardInterrupt``,
so the run unwinds through its ``finally`` blocks (temporary folders removed, joblib workers
stopped); SIGINT is then ignored until that is done, so a second Ctrl-C cannot break the clean-up.

Because the signal is recorded, an interrupt still ends the run when the ``KeyboardInterrupt``
itself got lost: raised inside a ``__del__`` or a library that swallowed it or turned it into
another error. The CLI calls :func:`check` before it commits any output, and maps every outcome
to 130 when :func:`seen` says so. Stdlib only: ``__main__`` imports this before anything else.

A closed stdout (``cleanaudit ... | head -1``) ends quietly with 141, 128 + SIGPIPE: the status
``cat`` or ``git log`` get in that case, so a pipeline (and ``set -o pipefail`` in CI) sees that
the output was cut short rather than a pass.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

MESSAGE = "cleanaudit: interrupted"
INTERRUPTED = 130  # ExitStatus.INTERRUPTED
CLOSED_STDOUT = 141  # 128 + SIGPIPE: stdout was closed before the result was written

_signals = 0  # SIGINTs received by the handler
_armed = True  # whether the next SIGINT raises KeyboardInterrupt
_reported = False  # MESSAGE printed


def on_signal() -> tuple[int, bool]:
    """Record one SIGINT; return ``(signals so far, whether to raise KeyboardInterrupt now)``."""
    global _signals, _armed
    _signals += 1
    raise_now, _armed = _armed, False
    return _signals, raise_now


def seen() -> bool:
    """Whether a SIGINT arrived at any time during this process (only with the handler installed)."""
    return _signals > 0


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a SIGINT was recorded: call it before committing output.

    >>> check()  # nothing recorded
    """
    if _signals:
        raise KeyboardInterrupt


def swallowed() -> None:
    """A KeyboardInterrupt was lost (e.g. raised in a ``__del__``): let the next SIGINT raise again."""
    global _armed
    if _signals:
        _armed = True


def disarm() -> None:
    """The run is winding down after an interrupt: later SIGINTs are only recorded."""
    global _armed
    _armed = False


def report(stream: TextIO | None = None, *, raw: bool = False) -> None:
    """Print the one line that says the run was interrupted (``raw``: straight to fd 2, for a signal handler)."""
    global _reported
    _reported = True
    try:
        if raw:
            os.write(2, (MESSAGE + "\n").encode())
        else:
            print(MESSAGE, file=stream if stream is not None else sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed: the exit status still says it
        pass


def reported() -> bool:
    """Whether :func:`report` printed the line in this process."""
    return _reported


def quiet_workers() -> None:
    """Start joblib's worker processes with SIGINT blocked: a terminal's Ctrl-C reaches this process only.

    A Ctrl-C goes to the whole foreground process group; workers that got it would print their own
    tracebacks (while importing, say) over ours. Blocked instead, it stays with this process, whose
    handler stops the workers. The mask is set only while joblib starts workers (``configure`` and
    ``submit`` run in the calling thread; loky's manager thread, made there, inherits it). A signal
    arriving meanwhile is held and handled right after, not lost. For the CLI process only, and
    only with ``--jobs``.
    """
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        return
    try:
        from joblib import register_parallel_backend
        from joblib._parallel_backends import LokyBackend
    except ImportError:  # pragma: no cover - another joblib layout: workers keep the default
        return

    class SigintBlockedLoky(LokyBackend):
        def configure(self, *args: object, **kwargs: object) -> int:
            with _sigint_blocked(signal):
                return super().configure(*args, **kwargs)

        def submit(self, *args: object, **kwargs: object) -> object:
            with _sigint_blocked(signal):
                return super().submit(*args, **kwargs)

    register_parallel_backend("cleanaudit-loky", SigintBlockedLoky, make_default=True)
    try:  # started lazily, each resource tracker would *unblock* SIGINT after spawning: start them first
        from multiprocessing import resource_tracker

        from joblib.externals.loky.backend import resource_tracker as loky_tracker

        loky_tracker.ensure_running()
        resource_tracker.ensure_running()
    except Exception:  # pragma: no cover - workers then may see Ctrl-C: noisier, not wrong
        pass


class _sigint_blocked:
    def __init__(self, signal: object) -> None:
        self.signal = signal

    def __enter__(self) -> None:
        self.old = self.signal.pthread_sigmask(self.signal.SIG_BLOCK, {self.signal.SIGINT})

    def __exit__(self, *exc: object) -> None:
        self.signal.pthread_sigmask(self.signal.SIG_SETMASK, self.old)
