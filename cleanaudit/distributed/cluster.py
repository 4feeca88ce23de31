"""Connecting to a Dask cluster: ``--scheduler ADDRESS`` to a ``distributed.Client``.

``local`` starts a ``LocalCluster`` sized to this machine: one worker process per core this
process may use, one thread each (our models and the engine are NumPy-heavy: processes, not
threads, sidestep the GIL), each with an equal share of the RAM. Anything else is a scheduler's
address (``tcp://host:8786``) or the JSON file ``dask scheduler --scheduler-file`` writes.

Dask is imported only here, inside :func:`connect`: without the ``dask`` extra, asking for a
cluster is one line and exit 2, before any data is read or model fitted.

>>> describe_cluster({"workers": {"w1": {"nthreads": 1, "memory_limit": 2**30},
...                               "w2": {"nthreads": 1, "memory_limit": 2**30}}}, "tcp://h:8786")
'Dask cluster at tcp://h:8786: 2 workers, 2 threads, 2.0 GiB memory'
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanaudit.errors import CleanAuditError, ConfigError
from cleanaudit.events import Note
from cleanaudit.status import ExitStatus

if TYPE_CHECKING:
    from distributed import Client

    from cleanaudit.events import Events

LOCAL = "local"
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before giving up (a typo should not hang a CI job)
INSTALL_HINT = 'install the dask extra: pip install "cleanaudit[dask]"'


class WorkerLostError(CleanAuditError):
    """The cluster lost the worker running a task, more times than Dask retries: our side, exit 3."""

    exit_status = ExitStatus.INTERNAL_ERROR


def require_dask() -> None:
    """Fail with one line (exit 2) when ``dask.distributed`` cannot be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"--scheduler needs Dask, which is not installed ({exc})", hint=INSTALL_HINT) from None


@contextmanager
def connect(address: str, *, events: Events, timeout: float | None = None) -> Iterator[Client]:
    """A ``Client`` for ``address`` (``local``, ``tcp://...`` or a scheduler file), closed on exit.

    A LocalCluster started here is closed with it. ``events`` gets one ``cluster`` note naming
    the cluster: its address, workers, threads and memory.
    """
    require_dask()
    if not address.strip():
        raise ConfigError(
            "--scheduler is empty", hint='give "local", tcp://host:8786 or a scheduler JSON file, or leave it out'
        )
    from distributed import Client

    wait = CONNECT_TIMEOUT if timeout is None else timeout
    cluster = _local_cluster() if address.strip() == LOCAL else None
    try:
        try:
            if cluster is not None:
                client = Client(cluster, timeout=wait)
            elif _is_scheduler_file(address):
                client = Client(scheduler_file=str(_scheduler_file(address)), timeout=wait)
            else:
                client = Client(address, timeout=wait)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(
                f"cannot reach the Dask scheduler at --scheduler {address} within {wait:g} s ({_reason(exc)})",
                hint="start one (dask scheduler), check the address and port, or use --scheduler local",
            ) from None
        try:
            events.note(Note("cluster", describe_cluster(client.scheduler_info(), client.scheduler.address)))
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def describe_cluster(info: dict[str, Any], address: str) -> str:
    """One sentence on a cluster from ``Client.scheduler_info()``: workers, threads, memory."""
    workers = list(info.get("workers", {}).values())
    threads = sum(int(w.get("nthreads", 0)) for w in workers)
    memory = sum(int(w.get("memory_limit") or 0) for w in workers) / 2**30
    waiting = " (tasks wait until workers join)" if not workers else ""
    return f"Dask cluster at {address}: {len(workers)} workers, {threads} threads, {memory:.1f} GiB memory{waiting}"


def local_cluster_size() -> tuple[int, int]:
    """``(workers, memory limit per worker in bytes)`` for a LocalCluster on this machine.

    >>> workers, memory = local_cluster_size()
    >>> workers >= 1 and memory > 0
    True
    """
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (a container's, a taskset's)
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    import psutil  # a dependency of distributed

    return max(cores, 1), int(psutil.virtual_memory().total // max(cores, 1))


def _local_cluster() -> Any:
    import logging
    import warnings

    from distributed import LocalCluster

    workers, memory = local_cluster_size()
    with warnings.catch_warnings(), _sigint_ignored_by_children():
        # "Port 8787 is already in use": its HTTP server moves to a free port.
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory,
            dashboard_address=None,  # no dashboard: nobody would know its address
            silence_logs=logging.ERROR,
        )


@contextmanager
def _sigint_ignored_by_children() -> Iterator[None]:
    """SIGINT ignored while the LocalCluster's processes start, so they inherit that (main thread only).

    A Ctrl-C in a terminal reaches every process of the foreground group: the workers would each
    print a KeyboardInterrupt traceback. Ignoring it there leaves the interrupt to this process,
    which cancels the tasks and closes the cluster (exit 130).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _is_scheduler_file(address: str) -> bool:
    return "://" not in address and (address.endswith(".json") or Path(address).is_file())


def _scheduler_file(address: str) -> Path:
    path = Path(address).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"--scheduler {address}: no such scheduler file",
            hint="give the file dask scheduler --scheduler-file wrote, tcp://host:8786, or local",
        )
    return path


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
