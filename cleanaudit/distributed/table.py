"""find-issues (and audit's exact checks) on one table read as partitions, on a Dask cluster.

:func:`run_table_find_issues` makes the decisions a local ``run_find_issues`` makes, on the
same rows and in the same words where it can: the label column is gathered (one small column)
and goes through the local code (missing labels, label codes, class order, ids), pred_probs are
read (``--pred-probs``) or cross-validated per partition (:mod:`.crossval`), and the engine runs
over the blocks on the workers (:func:`_label_results`, identical to the in-memory engine). The
result is a ``FindIssuesResult`` with its ``context``, so the CLI renders it exactly as a local
run's. :func:`write_table_rows` writes the
per-row results as Parquet partitions (``issues/part-*.parquet``) plus ``report.json``, atomically.

>>> from cleanaudit.workflows.find_issues import FindIssuesRequest
>>> r = run_table_find_issues(FindIssuesRequest("big.parquet", label="y", pred_probs="p.npy"),
...                           client)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.distributed.partitions import TableLabels, read_partitions, require_columns
from cleanaudit.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from cleanaudit.events import Events
    from cleanaudit.workflows.find_issues import FindIssuesRequest
    from cleanaudit.workflows.labels import FindIssuesResult
    from cleanaudit.workflows.request import DataRequest
    from cleanaudit.workflows.result import NoteLog


def read_table_labels(request: DataRequest, client: Client, *, blocksize: int | None = None) -> TableLabels:
    """Partitions of the request's table and its labels: bad columns fail from the schema, before any pass."""
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.data.frame import _read_ids, encode_labels
    from cleanaudit.data.labels import split_missing_labels

    if not request.label:
        raise ConfigError("missing option '--label'", hint="name the column holding the class labels, e.g. --label y")
    if request.frame is not None:
        raise ConfigError("a table on a cluster is read from files", hint="pass a Parquet or CSV path")
    options = {} if blocksize is None else {"blocksize": blocksize}
    table = read_partitions([str(p) for p in request.sources], client=client, **options)
    require_columns(table, *_named_columns(request))
    wanted = [request.label] + ([request.id_column] if request.id_column else [])
    import pandas as pd

    pieces = client.gather(client.compute(table.map(_columns_of, wanted)))
    frame = pd.concat(pieces, ignore_index=True)
    where = table.where()
    ids = _read_ids(frame[request.id_column], column=request.id_column, where=where) if request.id_column else None
    has_label, not_analysed, note = split_missing_labels(
        frame[request.label], ids, column=request.label, where=where, on_missing=request.on_missing_label
    )
    positions = None if note is None else np.flatnonzero(has_label)
    labelled = frame[request.label] if positions is None else frame[request.label].iloc[positions]
    labels, class_names = encode_labels(labelled.reset_index(drop=True), column=request.label, where=where)
    bounds = np.cumsum(table.lengths)[:-1]
    masks = np.split(has_label, bounds)
    counts = [int(m.sum()) for m in masks]
    codes = np.split(labels, np.cumsum(counts)[:-1])
    dataset = Dataset(
        frame=pd.DataFrame({request.label: labelled.to_numpy()}),
        features=pd.DataFrame(index=pd.RangeIndex(len(labels))),
        labels=labels,
        class_names=class_names,
        label_column=request.label,
        ids=ids[positions] if ids is not None and positions is not None else ids,
        id_column=request.id_column,
        paths=[Path(p) for p in table.paths],
        sha256=table_digest(table.paths, client),
        notes=[note] if note is not None else [],
        positions=positions,
        not_analysed=not_analysed,
    )
    analysed = [None if m.all() else m for m in masks]
    return TableLabels(table, dataset, analysed, codes)


def _columns_of(frame: pd.DataFrame, index: int, offset: int, columns: list[str]) -> pd.DataFrame:
    return frame[columns]


def table_digest(paths: list[str], client: Client) -> str:
    """SHA-256 of the files' bytes, as a local run's (several files: the digest of their digests)."""
    from cleanaudit.data.load import _combine_digests

    digests = client.gather(client.map(_file_digest, paths, pure=False))
    return digests[0] if len(digests) == 1 else _combine_digests(digests)


def _file_digest(path: str) -> str:
    import hashlib

    from cleanaudit.distributed.partitions import _open

    digest = hashlib.sha256()
    with _open(path) as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def run_table_find_issues(
    request: FindIssuesRequest,
    client: Client,
    *,
    events: Events | None = None,
    train_rows: int | None = None,
    blocksize: int | None = None,
) -> FindIssuesResult:
    """find-issues on one table on the cluster: the same result, payload and notes as ``run_find_issues``.

    ``train_rows`` caps the training rows of a model without ``partial_fit`` (``--train-rows``).
    """
    return table_find_issues(request, client, events=events, train_rows=train_rows, blocksize=blocksize)[0]


def table_find_issues(
    request: FindIssuesRequest,
    client: Client,
    *,
    events: Events | None = None,
    train_rows: int | None = None,
    blocksize: int | None = None,
) -> tuple[FindIssuesResult, TableLabels]:
    """:func:`run_table_find_issues` and the table it read (the ``--out`` writer needs its partitions)."""
    from cleanaudit.workflows.gates import Measurements

    check_table_request(request)
    log, gates, started = _start(request, events)
    read = read_table_labels(request, client, blocksize=blocksize)
    for note in read.dataset.notes:
        log.add(note)
    read, blocks, run = table_pred_probs(read, request, client, log, train_rows=train_rows)
    settings = dict(
        filter_by=request.filter_by,
        rank_by=request.rank_by,
        adjust_pred_probs=request.adjust_pred_probs,
        min_examples_per_class=request.min_examples_per_class,
        frac_noise=request.frac_noise,
    )
    ds = read.dataset
    result = _label_results(
        ds.labels, blocks, ds.class_names, client=client, ids=ds.ids, positions=ds.positions, **settings
    )
    prepared = table_prepared(request, read, run, log, started, gates)
    measured = Measurements(ds.num_examples, {"label": result.num_issues}, command="find-issues")
    payload = result.payload(request.top or None)
    result.context = prepared.conclude("find-issues", payload, measured=measured, per_row=None)
    return result, read


def _start(request: DataRequest, events: Events | None, known_checks: list[str] | None = None) -> Any:
    from dataclasses import replace

    from cleanaudit.workflows import sources
    from cleanaudit.workflows.prepare import start

    started = start(replace(request, scheduler=None), events, known_checks=known_checks)  # it runs on the cluster
    sources.check_sources(request, ensemble=False)
    return started


def table_prepared(
    request: DataRequest, read: TableLabels, run: dict[str, Any], log: NoteLog, started: float, gates: list[Any]
) -> Any:
    """The ``Prepared`` record of a table run (no pred_probs held here), its partitions in ``run``."""
    from cleanaudit.workflows.prepare import Prepared

    run["partitions"] = {"count": read.table.num_partitions, "kind": read.table.kind, "rows": read.table.num_rows}
    return Prepared(request, read.dataset, None, run, log, started, [], gates)


def _label_results(
    labels: np.ndarray,
    pred_probs_blocks: Any,
    class_names: list[Any],
    *,
    client: Client,
    ids: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    not_analysed: dict[str, Any] | None = None,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    adjust_pred_probs: bool = False,
    min_examples_per_class: int = 1,
    frac_noise: float = 1.0,
) -> FindIssuesResult:
    """The engine over the pred_probs blocks on the workers: the in-memory engine's result, exactly.

    Only O(N) values reach the client (labels, the mask, one score and one prediction per row);
    pred_probs stay in their blocks (:mod:`cleanaudit.engine.blocks`).
    """
    from cleanaudit.distributed.engine import DaskBlocks
    from cleanaudit.engine import blocks
    from cleanaudit.workflows.labels import issues_result, label_issue_settings

    settings = label_issue_settings(filter_by, rank_by, adjust_pred_probs, min_examples_per_class, frac_noise)
    # The run's own client: the one that persisted the blocks (another client's request could reach
    # the scheduler before the persist did, and find their keys missing).
    found = blocks.label_issues(DaskBlocks(labels, pred_probs_blocks, client=client), **settings)
    return issues_result(
        found, labels, class_names, filter_by, rank_by, ids=ids, positions=positions, not_analysed=not_analysed
    )


def table_pred_probs(
    read: TableLabels, request: DataRequest, client: Client, log: NoteLog, *, train_rows: int | None = None
) -> tuple[TableLabels, Any, dict[str, Any]]:
    """The rows analysed, their pred_probs (a dask array chunked like them) and the ``run`` record.

    Before cross-validating, the classes too small for the folds are left out as a local run leaves
    them out (``--on-rare-class``, noted; their rows are reported as not analysed).
    """
    from cleanaudit.distributed import crossval
    from cleanaudit.distributed.partitions import given_pred_probs_blocks

    given = request.pred_probs_list
    if given:
        source = given[0]
        blocks = given_pred_probs_blocks(source, read)
        return read, blocks, {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": str(source)}
    read = leave_out_rare_classes(read, request, log)
    blocks, run = crossval.cross_val_table(read, request, client, log, train_rows=train_rows)
    # The engine reads pred_probs several times: predict once and keep the blocks on the workers
    # (Dask spills them to disk under memory pressure), not once per pass.
    return read, client.persist(blocks), run


def leave_out_rare_classes(read: TableLabels, request: DataRequest, log: NoteLog) -> TableLabels:
    """``read`` without the classes that have fewer rows than the ``--cv`` folds (the local rule and note)."""
    from cleanaudit.workflows.rare_classes import leave_out_rare_classes as leave_out

    kept = leave_out(read.dataset, request, log)
    if kept is read.dataset:
        return read
    keep = np.zeros(int(np.sum(read.table.lengths)), dtype=bool)
    keep[kept.row_positions] = True
    masks = np.split(keep, np.cumsum(read.table.lengths)[:-1])
    codes = np.split(kept.labels, np.cumsum([int(m.sum()) for m in masks])[:-1])
    return TableLabels(read.table, kept, [None if m.all() else m for m in masks], codes)


def check_table_request(request: DataRequest) -> None:
    """ConfigError for what one table on a cluster cannot do, checked before the cluster starts."""
    if request.frame is not None or any(str(p) == "-" for p in request.sources):
        raise ConfigError("a table on a cluster is read from files, not stdin", hint="pass a Parquet or CSV path")
    for option, on in (
        ("--train", getattr(request, "train", None) is not None),
        ("--self-check", getattr(request, "self_check", None) is not None),
        ("--baseline", getattr(request, "baseline", None) is not None),
        ("--from-model", request.from_model is not None),
        ("--save-pred-probs", request.save_pred_probs is not None),
    ):
        if on:
            raise ConfigError(
                f"{option} is not available for one table on a cluster yet",
                hint="run without --scheduler, or leave the option out",
            )
    if len(request.models) > 1 and request.model_given:
        raise ConfigError("several --model options make an ensemble, not available on a cluster yet", hint="give one")
    if len(request.pred_probs_list) > 1:
        raise ConfigError("--pred-probs is given several times", hint="a table on a cluster takes one")


def _named_columns(request: DataRequest) -> tuple[list[str | None], list[str]]:
    """The columns the options name, and the option naming each (for the error that names a missing one)."""
    ignore, features = list(request.ignore or ()), list(request.features or ())
    names = [request.label, request.id_column, *ignore, *features]
    return names, ["--label", "--id-column", *["--ignore"] * len(ignore), *["--features"] * len(features)]


def preflight_table(request: DataRequest) -> None:
    """:func:`check_table_request`, then missing local files and columns missing from local Parquet.

    For the CLI, before it starts or reaches a cluster (footers only: cheap). A workflow given a
    client reads the schema itself first thing, so it calls only :func:`check_table_request`.
    """
    check_table_request(request)
    from cleanaudit.data.load import is_url
    from cleanaudit.distributed.cluster import require_dask
    from cleanaudit.distributed.partitions import PARQUET_SUFFIXES, expand_table_paths

    require_dask()
    if not request.label:
        raise ConfigError("missing option '--label'", hint="name the column holding the class labels, e.g. --label y")
    local = [str(p) for p in request.sources if not is_url(str(p))]
    if not local:
        return  # URLs are checked by the run (a remote listing can be slow)
    files = expand_table_paths(local)
    if len(local) == len(request.sources) and all(Path(f).suffix.lower() in PARQUET_SUFFIXES for f in files):
        require_columns(read_partitions(local), *_named_columns(request))
