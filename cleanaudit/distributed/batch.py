"""A batch of datasets on a Dask cluster: one task per dataset, results equal to a local batch.

Each task runs the local batch's own per-dataset function (``cleanaudit.workflows.batch._audit_one``,
passed in by that module) on a worker, with the notes collected there; the client then replays the notes,
writes the dataset's ``--out`` folder (``finish``, on this machine: the workers need not see it)
and builds the same :class:`~cleanaudit.workflows.batch.BatchItem` a local batch would. One bad
dataset is its own error item, as locally; a worker lost more often than Dask retries is ours,
not the input's, so the whole run fails (:class:`~cleanaudit.distributed.cluster.WorkerLostError`,
exit 3) and no partial output set is committed. Ctrl-C cancels the tasks.

Workers read the files themselves, so local paths are made absolute before they are sent (a
shared filesystem serves them); URLs such as ``s3://bucket/x.parquet`` go as they are.

>>> portable_path(Path("s3://bucket/x.parquet")), portable_path(Path("/data/x.csv"))
('s3://bucket/x.parquet', '/data/x.csv')
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanaudit.events import CollectingEvents, Note

if TYPE_CHECKING:
    from collections.abc import Callable

    from distributed import Client

    from cleanaudit.workflows.audit import AuditRequest, AuditResult
    from cleanaudit.workflows.result import NoteLog

    Work = tuple[str, Path | str, AuditRequest, Path | None, Path | None]
    AuditOne = Callable[..., Any]  # cleanaudit.workflows.batch._audit_one (passed in: no import cycle)
    BatchItem = Any  # a cleanaudit.workflows.batch.BatchItem
    Finish = Callable[[AuditResult, str, Path | None], None]

RETRIES = 2  # a task that raised on its worker runs again this often (a lost worker: Dask's allowed-failures)
PROGRESS = "auditing datasets on the cluster"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/+")  # s3://b/k, which pathlib folds to s3:/b/k


def audit_on_cluster(
    work: list[Work],
    log: NoteLog,
    audit_one: AuditOne,
    *,
    finish: Finish | None,
    checkpoint: Callable[[], None] | None,
    scheduler: str | None = None,
    client: Client | None = None,
) -> list[BatchItem]:
    """Audit each ``(name, path, request, out, staging)`` of ``work`` as one task; items in input order.

    With ``client`` the tasks go to it; else :func:`~cleanaudit.distributed.cluster.connect` opens
    ``scheduler`` for this batch and closes it after.
    """
    if client is not None:
        return _run(client, work, log, audit_one, finish, checkpoint)
    from cleanaudit.distributed.cluster import connect

    with connect(str(scheduler), events=_Keeping(log)) as opened:
        return _run(opened, work, log, audit_one, finish, checkpoint)


def audit_task(
    audit_one: AuditOne, name: str, path: Path, request: AuditRequest, out: Path | None
) -> tuple[Any, BatchItem, list[Note]]:
    """On a worker: the local batch's audit of one dataset (``audit_one``), without its ``--out`` folder.

    Returns ``(the AuditResult or None, the item, the notes made)``; the client finishes the rest.
    """
    events, kept = CollectingEvents(), _KeepResult()
    item = audit_one(name, path, request, out, None, events, kept, None)
    return kept.result, item, events.notes


def portable_path(path: Path | str) -> str:
    """``path`` as a worker reads it: a URL as it was written, a local path made absolute."""
    text = str(path)
    if _URL.match(text):
        scheme, rest = text.split(":", 1)
        return f"{scheme}://{rest.lstrip('/')}"
    return str(Path(text).expanduser().resolve())


def _portable(request: AuditRequest) -> AuditRequest:
    def local(value: Any) -> Any:
        return Path(portable_path(value)) if isinstance(value, (str, Path)) else value

    pred_probs = request.pred_probs
    if isinstance(pred_probs, (list, tuple)):
        pred_probs = [local(p) for p in pred_probs]
    return replace(
        request,
        data=[portable_path(p) for p in request.paths],
        baseline=local(request.baseline),
        cache_dir=local(request.cache_dir),
        from_model=local(request.from_model),
        pred_probs=local(pred_probs),
        jobs=1,  # one thread per worker: the folds of a dataset run one after another there
    )


def _run(
    client: Client,
    work: list[Work],
    log: NoteLog,
    audit_one: AuditOne,
    finish: Finish | None,
    checkpoint: Callable[[], None] | None,
) -> list[BatchItem]:
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]  # keys stay unique when several runs share a cluster
    futures, started = {}, []
    for index, (name, path, request, out, _) in enumerate(work):
        started.append(Note("batch_dataset", f"auditing {path}"))
        log.events.note(started[-1])
        key = f"cleanaudit-audit-{name}-{run}"
        task = (audit_one, name, path, _portable(request), out)
        future = client.submit(audit_task, *task, key=key, pure=False, retries=RETRIES)
        futures[future] = index
    items: list[BatchItem | None] = [None] * len(work)
    try:
        # with_results: each result is fetched on the client's event loop as its task ends (a result
        # left on a worker that is then lost is recomputed by Dask, and fetched again there).
        for done, (future, outcome) in enumerate(as_completed(futures, with_results=True, raise_errors=False), 1):
            index = futures[future]
            items[index] = _collect(outcome, work[index], log, audit_one, finish, checkpoint)
            log.progress(PROGRESS, done, len(work))
            if checkpoint is not None:
                checkpoint()
    except BaseException:  # an error, a lost worker or Ctrl-C: nothing more runs for this batch
        client.cancel(list(futures), force=True)
        raise
    done_items = [item for item in items if item is not None]
    assert len(done_items) == len(work)
    for note, item in zip(started, done_items):  # kept in input order, as a local batch keeps them
        log.keep(note)
        log.keep(item.failure)
    return done_items


def _collect(
    outcome: Any,
    work: Work,
    log: NoteLog,
    audit_one: AuditOne,
    finish: Finish | None,
    checkpoint: Callable[[], None] | None,
) -> BatchItem:
    from distributed import KilledWorker

    from cleanaudit.distributed.cluster import WorkerLostError

    name, path, request, out, staging = work
    # A failed task's outcome is (type, exception, traceback) or a CancelledError; ours never holds one.
    error = outcome[1] if isinstance(outcome, tuple) and len(outcome) == 3 else outcome
    if isinstance(error, BaseException):
        if not isinstance(error, KilledWorker):
            raise error  # not the dataset's error (the task catches those): a bug of ours, exit 3
        raise WorkerLostError(
            f"worker lost while auditing {name} ({path}): the cluster lost the worker running it on every try",
            hint="a worker that runs out of memory is restarted by Dask: give the workers more memory "
            "(dask worker --memory-limit) or fewer threads, then retry",
        ) from None
    result, item, notes = outcome
    for note in notes:  # said on the worker: said again here, where the user reads stderr
        log.events.note(note)
    if result is None:  # the dataset's own error, already in its item (and its note among those replayed)
        return item
    return audit_one(name, path, request, out, staging, log.events, finish, checkpoint, audited=result)


class _KeepResult:
    """A ``finish`` that keeps the result for the task to return (the client writes the outputs)."""

    result: AuditResult | None = None

    def __call__(self, result: AuditResult, name: str, staging: Path | None) -> None:
        self.result = result


class _Keeping:
    """Events that keep each note in the batch's log (so the ``cluster`` note lands in index.json)."""

    def __init__(self, log: NoteLog) -> None:
        self.log = log

    def note(self, note: Note) -> None:
        self.log.add(note)

    def progress(self, description: str, completed: int, total: int) -> None:
        self.log.progress(description, completed, total)
