"""What every data command does around its own work: parse gates, load, get pred_probs, conclude.

:func:`prepare` parses the gates (a bad expression fails before anything is read), checks the
pred_probs sources, loads the dataset and obtains its pred_probs (see
:mod:`cleanaudit.workflows.sources`; several models make an ensemble). :meth:`Prepared.conclude`
evaluates the gates on what the command measured and returns the :class:`RunContext` of the
result. Nothing here prints: notes go to the :class:`NoteLog`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanaudit.workflows.result import NoteLog, RunContext

if TYPE_CHECKING:
    import numpy as np

    from cleanaudit.data.dataset import Dataset
    from cleanaudit.events import Events
    from cleanaudit.workflows.gates import Gate, Measurements
    from cleanaudit.workflows.request import DataRequest


def library_versions() -> dict[str, str]:
    """Versions that decide the numbers of a run, so it can be repeated exactly (they key the pred_probs cache)."""
    from cleanaudit.models.cache import library_versions as versions

    return versions()


def parse_request_gates(request: DataRequest, known: list[str] | None = None) -> list[Gate]:
    """The request's ``fail_on``/``fail_under`` gates, parsed (ConfigError on a bad expression)."""
    if not request.fail_on and request.fail_under is None:
        return []
    from cleanaudit.workflows.gates import parse_gates

    if known is None:
        from cleanaudit.checks import all_checks

        known = list(all_checks())
    return parse_gates(list(request.fail_on), request.fail_under, known=known)


@dataclass
class Prepared:
    """A loaded dataset, its pred_probs, and how they were obtained.

    With an ensemble, ``members`` holds each member's pred_probs and ``pred_probs`` their
    weighted mean; otherwise ``members`` holds the one source. ``pred_probs`` is ``None`` only
    for a command that needed none (``clean`` with ``--label-issues``).
    """

    request: DataRequest
    dataset: Dataset
    pred_probs: np.ndarray | None
    run: dict[str, Any]
    log: NoteLog
    started: float
    members: list[Any] = field(default_factory=list)
    gates: list[Any] = field(default_factory=list)

    def conclude(
        self,
        command: str,
        payload: dict[str, Any],
        *,
        measured: Measurements | None = None,
        per_row: dict[str, Any] | None = None,
        dataset: Dataset | None = None,
    ) -> RunContext:
        """Evaluate the gates on ``measured`` and record the run (its seconds end here).

        A command that measures nothing fails every gate given to it.
        """
        from cleanaudit.workflows.gates import Measurements, evaluate

        dataset = dataset if dataset is not None else self.dataset
        run = dict(self.run, versions=library_versions(), seconds=round(time.perf_counter() - self.started, 3))
        if measured is None:
            measured = Measurements(dataset.num_examples, command=command)
        gate_results = evaluate(self.gates, measured, dict(self.request.severity))
        if gate_results:
            payload = dict(payload, gates=[g.payload() for g in gate_results])
        if "not_analysed" not in payload:  # every command lists the input rows it left out (none: count 0)
            from cleanaudit.data.labels import not_analysed_payload

            payload = dict(payload, not_analysed=not_analysed_payload(dataset))
        return RunContext(
            command, dataset, run, self.log.notes, payload, measured, gate_results, per_row, self.pred_probs
        )


def start(
    request: DataRequest, events: Events | None = None, *, known_checks: list[str] | None = None
) -> tuple[NoteLog, list[Gate], float]:
    """The note log, the parsed gates and the start time of a run (gates fail fast)."""
    started = time.perf_counter()
    log = NoteLog(events)
    gates = parse_request_gates(request, known_checks)
    if request.scheduler is not None:  # never silently ignored: the note says what runs where
        log.note("scheduler_unused", scheduler_unused_message(request))
    return log, gates, started


def scheduler_unused_message(request: DataRequest) -> str:
    """What ``--scheduler`` does not do for this command on one dataset, and what it does.

    >>> from cleanaudit.workflows.clean_run import CleanRequest
    >>> scheduler_unused_message(CleanRequest("d.csv", label="y", scheduler="local"))[:43]
    'clean runs in this process: --scheduler run'
    """
    import re

    base = type(request).__name__.removesuffix("Request") or "Data"
    command = re.sub(r"(?<!^)(?=[A-Z])", "-", base).lower()
    on_table = {"find-issues": "table", "audit": "table_audit", "health": "table_labels"}
    on_table |= {"overlap": "table_labels", "noise-matrix": "table_labels"}
    if command in on_table:  # the CLI sends these to the cluster (cleanaudit.distributed)
        return (
            f"{command} runs in this process here: on a cluster, one table runs through "
            f"cleanaudit.distributed.{on_table[command]} (the CLI does so with --scheduler)"
        )
    return (
        f"{command} runs in this process: --scheduler runs find-issues, audit, health, overlap and "
        "noise-matrix on one table, and batches of datasets (audit with several files), on the cluster"
    )


def prepare(
    request: DataRequest,
    events: Events | None = None,
    *,
    ensemble_weighting: str | None = None,
    train: Path | None = None,
    need_pred_probs: bool = True,
) -> Prepared:
    """Load the request's data and obtain its pred_probs.

    Several models or pred_probs make an ensemble, allowed only when the command gives
    ``ensemble_weighting``; ``train`` fits the model on that file instead of cross-validating.
    ``need_pred_probs=False`` (and no ``save_pred_probs``): no model is fitted, ``pred_probs`` is ``None``.
    """
    from cleanaudit.workflows import sources

    log, gates, started = start(request, events)  # bad gate expressions fail before any loading or fitting
    sources.check_sources(request, ensemble=ensemble_weighting is not None, train=train)
    if request.annotators:  # several annotators per row: what cannot be combined with them fails here
        from cleanaudit.workflows.annotator_load import check_annotator_request

        check_annotator_request(request, train=train)
    if request.save_pred_probs is not None:
        from cleanaudit.data.pred_probs import check_pred_probs_target

        check_pred_probs_target(request.save_pred_probs)  # before any fitting
    dataset = sources.load_data(request)
    for note in dataset.notes:
        log.add(note)
    fit = need_pred_probs or request.save_pred_probs is not None
    if fit and not (request.pred_probs_list or request.from_model is not None):  # folds need cv rows per class
        from cleanaudit.workflows.rare_classes import leave_out_rare_classes

        dataset = leave_out_rare_classes(dataset, request, log, train=train)
    members, run = sources.obtain_members(dataset, request, log, train=train, fit=fit)
    if len(members) > 1:
        pred_probs, run["ensemble"] = sources.mixed_pred_probs(members, dataset.labels, str(ensemble_weighting))
        weights = ", ".join(f"{m['model']} {m['weight']:.3f}" for m in run["ensemble"]["members"])
        log.note("ensemble_weights", f"ensemble of {len(members)} ({ensemble_weighting} weights): {weights}")
    else:
        pred_probs = members[0].pred_probs if members else None
    if pred_probs is not None:
        note_model_check(dataset, pred_probs, run, log, seed=request.seed)
    if request.save_pred_probs is not None and pred_probs is not None:
        save_pred_probs(Path(request.save_pred_probs), dataset, pred_probs, run, log)
    return Prepared(request, dataset, pred_probs, run, log, started, members, gates)


def save_pred_probs(path: Path, dataset: Dataset, pred_probs: np.ndarray, run: dict[str, Any], log: NoteLog) -> None:
    """Write the pred_probs a command uses to ``path`` (``--save-pred-probs``), recorded in ``run`` and a note.

    They are the pred_probs of the analysed rows, in their order: for a dataset of which some rows
    were left out (``dataset.positions``), the note says how many of the input's rows they cover.
    """
    from cleanaudit.data.pred_probs import write_pred_probs

    write_pred_probs(path, pred_probs, dataset.class_names)
    if "ensemble" in run:
        members = len(run["ensemble"]["members"])
        what = f"the ensemble's pred_probs (mean of {members} members, {run['ensemble']['weighting']} weights)"
    elif run.get("pred_probs_source") == "cross-validation":
        what = f"the out-of-fold pred_probs of {run.get('model')}"
    else:
        what = f"the pred_probs from {run.get('pred_probs_source')}"
    rows, classes = pred_probs.shape
    total = dataset.num_input_rows
    of = f" of {total} input rows (the analysed ones, in order)" if total != rows else ""
    columns = "" if path.suffix.lower() == ".npy" else ", one column per class named by class"
    log.note("pred_probs_saved", f"wrote {what} to {path}: {rows} rows{of} x {classes} classes{columns}")
    run["saved_pred_probs"] = {"path": str(path), "rows": rows, "classes": classes, "what": what}


def note_model_check(dataset: Dataset, pred_probs: np.ndarray, run: dict[str, Any], log: NoteLog, *, seed: int) -> None:
    """The model against the class-prior baseline, and leaky columns: ``run["model_check"]`` and notes."""
    from cleanaudit.models.sanity import check_model

    check = check_model(dataset.labels, pred_probs, dataset.features, seed=seed)
    run["model_check"] = check.record()
    for note in check.notes():
        log.add(note)
