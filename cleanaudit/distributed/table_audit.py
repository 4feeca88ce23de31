"""audit on one table read as partitions, and what a lost worker does to a table run.

:func:`run_table_audit` gives an ``AuditResult`` the local renderers take: the label check (on
the table's pred_probs, given or cross-validated per partition) and the checks that are exact over
partitions (null, class imbalance; exact duplicates per row beside them, :mod:`.table_checks`);
the checks that need the neighbour graph are skipped with the reason, as a local audit skips a
check. :func:`worker_lost_fails` turns a task Dask gave up on (its worker lost on every try) into
:class:`~cleanaudit.distributed.cluster.WorkerLostError`: exit 3, and no ``--out`` set.

>>> with worker_lost_fails("auditing big.parquet"):  # doctest: +SKIP
...     run = run_table_audit(AuditRequest("big.parquet", label="y"), client)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import InputError

if TYPE_CHECKING:
    from distributed import Client

    from cleanaudit.checks.base import CheckResult
    from cleanaudit.distributed.partitions import TableLabels
    from cleanaudit.distributed.table_checks import TableChecks
    from cleanaudit.events import Events
    from cleanaudit.workflows.audit import AuditRequest, AuditResult


@dataclass
class TableAudit:
    """An audit of a table: the result the renderers read, the table, and the exact checks per row."""

    result: AuditResult
    read: TableLabels
    exact: TableChecks


@contextmanager
def worker_lost_fails(what: str) -> Iterator[None]:
    """Raise ``WorkerLostError`` (exit 3) when Dask gives up on a task because its worker died on every try.

    Dask itself runs a lost worker's tasks again (``distributed.scheduler.allowed-failures`` times).
    """
    from distributed import KilledWorker

    from cleanaudit.distributed.cluster import WorkerLostError

    try:
        yield
    except KilledWorker as err:
        raise WorkerLostError(
            f"worker lost while {what}: the cluster lost the worker running one of its tasks on every try "
            f"({str(err).split(',')[0][:120]})",
            hint="a worker that runs out of memory is restarted by Dask: give the workers more memory "
            "(dask worker --memory-limit) or fewer threads, then retry",
        ) from None


def run_table_audit(
    request: AuditRequest,
    client: Client,
    *,
    events: Events | None = None,
    train_rows: int | None = None,
    blocksize: int | None = None,
) -> TableAudit:
    """audit on one table on the cluster: label, null and class imbalance as a local audit; graph checks skipped."""
    from cleanaudit.checks.runner import ChecksResult, SkippedCheck, resolve_params, select_checks
    from cleanaudit.distributed.table import (
        _start,
        check_table_request,
        read_table_labels,
        table_pred_probs,
        table_prepared,
    )
    from cleanaudit.distributed.table_checks import GRAPH_SKIP, run_table_checks
    from cleanaudit.workflows.audit import AuditResult, validate_audit
    from cleanaudit.workflows.audit_payload import audit_measurements, audit_payload, complete_audit_payload

    plan = validate_audit(request)
    check_table_request(request)
    selected = select_checks(request.checks)
    params = resolve_params(selected, plan.check_params)
    log, gates, started = _start(request, events)
    read = read_table_labels(request, client, blocksize=blocksize)
    ds = read.dataset
    for note in ds.notes:
        log.add(note)
    blocks, run = None, {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": None}
    if "label" in selected:
        read, blocks, run = table_pred_probs(read, request, client, log, train_rows=train_rows)
        ds = read.dataset  # without the classes too small for the folds, as locally
    features = (run.get("table_training") or {}).get("feature_columns")
    if features is None:  # pred_probs given: the features a local run keeps, decided on a sample as for training
        from cleanaudit.distributed.crossval import plan_features

        features = list(plan_features(read, request, client, log).features.columns)
    exact = run_table_checks(read, client, feature_columns=list(features), params=params)
    results: dict[str, CheckResult] = {}
    skipped: list[SkippedCheck] = []
    for name in selected:
        if name == "label" and blocks is not None:
            results[name] = _label_check(ds.labels, blocks, ds.class_names, params.get("label", {}), client)
        elif name in exact.results:
            results[name] = exact.results[name]
        else:
            reason = exact.skipped.get(name, GRAPH_SKIP if name != "null" else "needs feature columns")
            skipped.append(SkippedCheck(name, reason))
            log.note("check_skipped", f"skipped {name}: {reason}")
    if not results:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped) or "no checks selected"
        raise InputError(
            f"no check could run on {read.table.where()} ({reasons})",
            hint="choose checks a table on a cluster runs (label, null, class_imbalance), or run without --scheduler",
        )
    checks = ChecksResult(
        ds.num_examples, list(ds.class_names), results, skipped, params={n: params[n] for n in results}
    )
    payload = audit_payload(checks, ds.ids, request.num_examples)
    payload["exact_duplicates"] = next(r for r in exact.summary() if r["issue_type"] == "exact_duplicate")
    result = AuditResult(checks, request.num_examples)
    prepared = table_prepared(request, read, run, log, started, gates)
    result.context = prepared.conclude("audit", payload, measured=audit_measurements(checks), per_row=None)
    complete_audit_payload(result)
    return TableAudit(result, read, exact)


def _label_check(
    labels: np.ndarray, blocks: Any, class_names: list[Any], params: dict[str, Any], client: Client
) -> CheckResult:
    """The local label check over the pred_probs blocks on the workers (the same result, exactly)."""
    from cleanaudit.checks.label import run_over_blocks
    from cleanaudit.distributed.engine import DaskBlocks

    return run_over_blocks(labels, DaskBlocks(labels, blocks, client=client), class_names, params)
