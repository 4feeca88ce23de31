"""Batch runs: audit several datasets one by one (or several at a time with ``jobs``).

One dataset's failure (unreadable file, bad column, a bug) is recorded in its item and the others
still run; the batch's status is the worst of all datasets. Everything runs in one process (or in
``jobs`` worker processes), so a folder of many small files pays the start-up cost once. Each
dataset goes through :func:`~cleanaudit.workflows.audit.run_audit`, so a check that needs no
pred_probs fits no model there either, and the pred_probs cache (``use_cache``) serves each one.

After each dataset, ``finish(result, name, staging)`` is called (the CLI writes the dataset's
``--out`` folder and reports its gates there); a failure in it counts as the dataset's failure.

>>> dataset_names([Path("a/x.csv"), Path("b/x.csv"), Path("y.parquet"), "s3://bucket/z.csv.gz"])
['x', 'x-2', 'y', 'z']
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from cleanaudit.errors import CleanAuditError, ConfigError
from cleanaudit.status import ExitStatus
from cleanaudit.workflows.result import NoteLog

if TYPE_CHECKING:
    from cleanaudit.events import Events, Note
    from cleanaudit.workflows.audit import AuditRequest, AuditResult
    from cleanaudit.workflows.gates import GateResult, Measurements

# finish(result, the dataset's index name, where to build its --out folder or None)
Finish = Callable[["AuditResult", str, Path | None], None]


@dataclass
class BatchRequest:
    """Audit each of ``files`` with ``audit`` (its data is replaced by each file).

    ``out`` is where the reports will be (``out/<name>/``, named in the index and the reports);
    ``staging`` is where they are built meanwhile (``staging/<name>/``). With a ``baseline``
    folder, each dataset is compared with ``baseline/<name>/report.json``. With a ``scheduler``
    or a ``client``, the datasets are audited on a Dask cluster, with the same items.
    """

    audit: AuditRequest
    files: list[Path | str]  # local paths, or fsspec URLs as text
    out: Path | None = None
    staging: Path | None = None
    # A Dask scheduler ("local", tcp://host:8786, a scheduler file; else the audit request's), or a
    # connected distributed.Client: each dataset is then one task on the cluster (cleanaudit.distributed).
    scheduler: str | None = None
    client: Any = None


@dataclass
class BatchItem:
    """One dataset of a batch: its status and what was measured, or the error that stopped it."""

    name: str
    path: Path | str
    status: int
    out_dir: Path | None = None
    num_examples: int | None = None
    num_classes: int | None = None
    measured: Measurements | None = None
    gates: list[GateResult] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    traceback: str | None = None  # for an internal error (a bug of ours)
    failure: Note | None = field(default=None, repr=False)  # the dataset_failed note, as emitted


@dataclass
class BatchResult:
    """Every dataset's item, in input order, and the batch's own run record and notes."""

    items: list[BatchItem]
    run: dict[str, Any]
    notes: list[Note]

    @property
    def status(self) -> int:
        return max((i.status for i in self.items), default=int(ExitStatus.OK))


def dataset_names(files: list[Path | str]) -> list[str]:
    """Unique, folder-safe names for ``--out DIR/<name>/``: the file stem, made longer on a clash."""
    names: list[str] = []
    for path in files:
        text = str(path)
        file_name = PurePosixPath(text.split("://", 1)[1]).name if "://" in text else Path(text).name
        base = file_name.split(".")[0] or "data"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}-{n}"
        names.append(name)
    return names


def run_batch(
    request: BatchRequest,
    *,
    events: Events | None = None,
    finish: Finish | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> BatchResult:
    """Audit each file; ``checkpoint()`` is called before each dataset and after each failure
    (the CLI raises there after a Ctrl-C, which stops the whole batch)."""
    from cleanaudit.workflows.prepare import library_versions

    saved = request.audit.save_pred_probs
    if saved is not None and len(request.files) > 1:
        raise ConfigError(
            f"--save-pred-probs {saved} is one file, but DATA names {len(request.files)} datasets",
            hint="save the pred_probs of one dataset at a time",
        )
    started = time.perf_counter()
    log = NoteLog(events)
    names = dataset_names(request.files)
    jobs = request.audit.jobs or 1
    scheduler = request.scheduler or request.audit.scheduler
    work = []
    for path, name in zip(request.files, names):
        baseline = request.audit.baseline
        one = replace(
            request.audit,
            data=[path],
            baseline=Path(baseline) / name / "report.json" if baseline else None,
            scheduler=None,  # each dataset is audited in one process (a worker's, with a scheduler)
        )
        out = request.out / name if request.out is not None else None
        stage = request.staging / name if request.staging is not None else None
        work.append((name, path, one, out, stage))
    if request.client is not None or scheduler is not None:
        from cleanaudit.distributed.batch import audit_on_cluster

        if jobs != 1:
            log.note(
                "batch_jobs",
                f"--jobs {jobs} is not used on a cluster: each dataset is one task, and the cluster's workers "
                "set how many run at a time",
            )
        items = audit_on_cluster(
            work, log, _audit_one, finish=finish, checkpoint=checkpoint, scheduler=scheduler, client=request.client
        )
    elif jobs != 1 and len(request.files) > 1:
        # Datasets in parallel worker processes (each pays the imports once, not once per file);
        # folds inside a dataset then run one at a time so the cores are not oversubscribed.
        from joblib import Parallel, delayed

        log.note("batch_jobs", f"auditing {len(request.files)} datasets with --jobs {jobs}")
        items = list(
            Parallel(n_jobs=jobs)(
                delayed(_audit_one)(name, path, replace(one, jobs=1), out, stage, log.events, finish, checkpoint)
                for name, path, one, out, stage in work
            )
        )
        for item in items:
            log.keep(item.failure)
    else:
        items = []
        for name, path, one, out, stage in work:
            log.note("batch_dataset", f"auditing {path}")
            items.append(_audit_one(name, path, one, out, stage, log.events, finish, checkpoint))
            log.keep(items[-1].failure)
    run = {"versions": library_versions(), "seconds": round(time.perf_counter() - started, 3)}
    return BatchResult(items, run, log.notes)


def _audit_one(
    name: str,
    path: Path | str,
    request: AuditRequest,
    out: Path | None,
    staging: Path | None,
    events: Events,
    finish: Finish | None,
    checkpoint: Callable[[], None] | None,
    audited: AuditResult | None = None,
) -> BatchItem:
    # Errors are caught per dataset so that one bad file does not stop the batch; Ctrl-C still does,
    # also when it surfaces as another error (a library that turned the KeyboardInterrupt into one).
    # ``audited``: the audit already ran (on a cluster's worker); only ``finish`` and the item remain.
    from cleanaudit.workflows.audit import run_audit

    if checkpoint is not None:
        checkpoint()
    try:
        result = audited if audited is not None else run_audit(request, events=events)
        if finish is not None:
            finish(result, name, staging)
        context = result.context
        assert context is not None
        status = ExitStatus.GATE_FAILED if context.gates_failed else ExitStatus.OK
        return BatchItem(
            name,
            path,
            int(status),
            out,
            context.dataset.num_examples,
            context.dataset.num_classes,
            context.measured,
            list(context.gates),
            context.seconds,
        )
    except CleanAuditError as exc:
        return _failed(name, path, int(exc.exit_status), str(exc), events, checkpoint)
    except Exception as exc:  # a bug of ours on this dataset: record it, go on with the others
        message = f"internal error: {type(exc).__name__}: {exc}"
        return _failed(
            name,
            path,
            int(ExitStatus.INTERNAL_ERROR),
            message,
            events,
            checkpoint,
            trace=traceback.format_exc(),
            hint=" (rerun with --debug for the traceback and report it)",
        )


def _failed(
    name: str,
    path: Path | str,
    status: int,
    message: str,
    events: Events,
    checkpoint: Callable[[], None] | None,
    *,
    trace: str | None = None,
    hint: str = "",
) -> BatchItem:
    from cleanaudit.events import Note

    if checkpoint is not None:
        checkpoint()
    note = Note("dataset_failed", f"{name}: {message}{hint}", details={"traceback": trace} if trace else None)
    events.note(note)
    return BatchItem(name, path, status, error=message, traceback=trace, failure=note)
