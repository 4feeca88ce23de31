"""health, overlap and noise-matrix on one table read as partitions, on a Dask cluster.

Each reads the table and its pred_probs as ``find-issues`` does there (:mod:`.table`: the label
column gathered and decided by the local code, pred_probs given or cross-validated per
partition), then computes the local workflow's result through the same code
(:mod:`cleanaudit.workflows.labels`) with the engine over the pred_probs blocks on the workers
(:class:`~cleanaudit.workflows.label_engine.LabelEngine`), and concludes it as the local workflow
does (gates, notes). Results equal the local run's on the same pred_probs, exactly.

>>> from cleanaudit.workflows.health import HealthRequest
>>> result = run_table_health(HealthRequest("big.parquet", label="y", pred_probs="p.npy"), client)  # doctest: +SKIP
>>> result.health_score  # doctest: +SKIP
0.91
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client

    from cleanaudit.events import Events
    from cleanaudit.workflows.health import HealthRequest
    from cleanaudit.workflows.labels import HealthResult, NoiseMatrixResult, OverlapResult
    from cleanaudit.workflows.noise_matrix import NoiseMatrixRequest
    from cleanaudit.workflows.overlap import OverlapRequest
    from cleanaudit.workflows.prepare import Prepared
    from cleanaudit.workflows.request import DataRequest


def run_table_health(
    request: HealthRequest,
    client: Client,
    *,
    events: Events | None = None,
    train_rows: int | None = None,
    blocksize: int | None = None,
) -> HealthResult:
    """health on one table on the cluster: the result, payload, gates and notes of ``run_health``."""
    from cleanaudit.workflows.health import conclude_health
    from cleanaudit.workflows.labels import health_result

    prepared, blocks = prepare_table(request, client, events=events, train_rows=train_rows, blocksize=blocksize)
    ds = prepared.dataset
    return conclude_health(prepared, health_result(ds.labels, None, ds.class_names, blocks=blocks))


def run_table_overlap(
    request: OverlapRequest,
    client: Client,
    *,
    events: Events | None = None,
    train_rows: int | None = None,
    blocksize: int | None = None,
) -> OverlapResult:
    """overlap on one table on the cluster: the result, payload and notes of ``run_overlap``."""
    from cleanaudit.workflows.labels import overlap_result
    from cleanaudit.workflows.overlap import conclude_overlap

    prepared, blocks = prepare_table(request, client, events=events, train_rows=train_rows, blocksize=blocksize)
    ds = prepared.dataset
    result = overlap_result(
        ds.labels, None, ds.class_names, asymmetric=request.asymmetric, top=request.top, blocks=blocks
    )
    return conclude_overlap(prepared, result)


def run_table_noise_matrix(
    request: NoiseMatrixRequest,
    client: Client,
    *,
    events: Events | None = None,
    train_rows: int | None = None,
    blocksize: int | None = None,
) -> NoiseMatrixResult:
    """noise-matrix on one table on the cluster: the result and payload of ``run_noise_matrix``."""
    from cleanaudit.workflows.labels import noise_matrix_result
    from cleanaudit.workflows.noise_matrix import conclude_noise_matrix

    prepared, blocks = prepare_table(request, client, events=events, train_rows=train_rows, blocksize=blocksize)
    ds = prepared.dataset
    result = noise_matrix_result(
        ds.labels,
        None,
        ds.class_names,
        converge_latent_estimates=request.converge_latent_estimates,
        py_method=request.py_method,
        blocks=blocks,
    )
    return conclude_noise_matrix(prepared, result)


def prepare_table(
    request: DataRequest,
    client: Client,
    *,
    events: Events | None = None,
    train_rows: int | None = None,
    blocksize: int | None = None,
) -> tuple[Prepared, Any]:
    """A table run's ``Prepared`` record (no pred_probs held here) and its pred_probs blocks on the workers.

    What ``prepare`` does locally, as ``find-issues`` on a table does it: refusals and gates before
    any read, the labels' notes, pred_probs given or cross-validated per partition.
    """
    from cleanaudit.distributed.engine import DaskBlocks
    from cleanaudit.distributed.table import (
        _start,
        check_table_request,
        read_table_labels,
        table_pred_probs,
        table_prepared,
    )

    check_table_request(request)
    log, gates, started = _start(request, events)
    read = read_table_labels(request, client, blocksize=blocksize)
    for note in read.dataset.notes:
        log.add(note)
    read, pred_probs, run = table_pred_probs(read, request, client, log, train_rows=train_rows)
    prepared = table_prepared(request, read, run, log, started, gates)
    return prepared, DaskBlocks(read.dataset.labels, pred_probs, client=client)
