"""What every ``--task multilabel`` command does before its own work: load the label sets, get pred_probs.

:func:`prepare_multilabel` is :func:`cleanaudit.workflows.prepare.prepare` for multi-label data: the
label column is read as a set of labels per row (:mod:`cleanaudit.data.label_sets`), and pred_probs
are K independent per-class probabilities, from ``--pred-probs FILE`` (rows need not sum to 1) or
from a one-vs-rest model cross-validated here (:mod:`cleanaudit.models.multilabel`). A class in
every row (or in none) gives a binary problem with one side only, which confident learning cannot
audit: it is left out of the analysis with a note (``uniform_class``) and reported as such.

Ensembles, ``--from-model`` and ``find-issues --train`` are single-label features for now and are
refused before anything is read.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError, InputError

if TYPE_CHECKING:
    from cleanaudit.events import Events
    from cleanaudit.workflows.prepare import Prepared
    from cleanaudit.workflows.request import DataRequest


def check_multilabel_request(request: DataRequest, command: str, *, train: Any = None) -> None:
    """Refuse, before reading anything, what ``--task multilabel`` does not support."""
    if request.annotators:
        raise ConfigError(
            "--task multilabel and --annotators cannot be combined",
            hint="audit multi-label sets from one --label column, or several annotators' single labels",
        )
    unsupported = [
        name
        for name, on in (
            ("--from-model", request.from_model is not None),
            ("--train", train is not None),
            ("several --model", len(request.models) > 1),
            ("several --pred-probs", len(request.pred_probs_list) > 1),
        )
        if on
    ]
    if unsupported:
        raise ConfigError(
            f"{unsupported[0]} is not supported with --task multilabel ({command})",
            hint="give one --model, or one --pred-probs FILE with one probability column per class",
        )


def prepare_multilabel(
    request: DataRequest, events: Events | None, command: str, *, need_pred_probs: bool = True
) -> Prepared:
    """Load ``request``'s multi-label data and obtain its (N, K) pred_probs; a :class:`Prepared` run."""
    from cleanaudit.workflows import sources
    from cleanaudit.workflows.prepare import Prepared, start

    check_multilabel_request(request, command)
    scheduler = request.scheduler
    log, gates, started = start(replace(request, scheduler=None), events)
    if scheduler is not None:  # never silently ignored
        log.note(
            "scheduler_unused",
            f"--task multilabel runs {command} in this process: --scheduler {scheduler} is not used for one table "
            "of label sets (a batch of several datasets still runs one task per dataset on the cluster)",
        )
    sources.check_sources(request, ensemble=False)
    if request.save_pred_probs is not None:
        from cleanaudit.data.pred_probs import check_pred_probs_target

        check_pred_probs_target(request.save_pred_probs)
    dataset = sources.load_data(request)
    for note in dataset.notes:
        log.add(note)
    pred_probs: np.ndarray | None = None
    run: dict[str, Any] = {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": None}
    if request.pred_probs_list:
        pred_probs, run = _given(dataset, request.pred_probs_list[0]), dict(run)
        run["pred_probs_source"] = (
            str(request.pred_probs_list[0]) if not _is_array(request.pred_probs_list[0]) else ("pred_probs array")
        )
    dataset, kept = _leave_out_uniform_classes(dataset, log)
    if pred_probs is not None:
        pred_probs = np.ascontiguousarray(pred_probs[:, kept])
    elif need_pred_probs or request.save_pred_probs is not None:
        pred_probs, run = _cross_validate(dataset, request, log)
    run["task"] = "multilabel"
    if pred_probs is not None:
        note_weak_classes(dataset, pred_probs, run, log)
    if request.save_pred_probs is not None and pred_probs is not None:
        from cleanaudit.workflows.prepare import save_pred_probs

        save_pred_probs(Path(request.save_pred_probs), dataset, pred_probs, run, log)
    prepared = Prepared(request, dataset, pred_probs, run, log, started, [], gates)
    return prepared


def _is_array(source: Any) -> bool:
    return isinstance(source, np.ndarray)


def _given(dataset: Any, source: Any) -> np.ndarray:
    from cleanaudit.data.pred_probs import read_pred_probs, validate_pred_probs

    shape: dict[str, Any] = dict(class_names=dataset.class_names, num_examples=dataset.num_examples, row_sums=False)
    if isinstance(source, (str, Path)):
        return read_pred_probs(Path(source), **shape)
    return validate_pred_probs(np.asarray(source), name="pred_probs array", **shape)


def _leave_out_uniform_classes(dataset: Any, log: Any) -> tuple[Any, np.ndarray]:
    """The dataset without classes in every row or in none, and the kept class codes."""
    counts = dataset.labels.sum(axis=0)
    n = dataset.num_examples
    uniform = np.flatnonzero((counts == 0) | (counts == n))
    kept = np.setdiff1d(np.arange(dataset.num_classes), uniform)
    if not len(uniform):
        return dataset, kept
    if len(kept) < 2:
        raise InputError(
            f"label column '{dataset.label_column}': only {len(kept)} class(es) are in some rows but not all",
            hint="a multi-label audit needs at least two classes that some rows have and others lack",
        )
    names = ", ".join(str(dataset.class_names[k]) for k in uniform)
    log.note(
        "uniform_class",
        f"class(es) {names} are in every row, so no row can be told apart on them: left out of the analysis "
        f"(the other {len(kept)} classes are audited)",
        columns=[dataset.label_column],
    )
    labels = np.ascontiguousarray(dataset.labels[:, kept])
    return replace(dataset, labels=labels, class_names=[dataset.class_names[k] for k in kept]), kept


def _cross_validate(dataset: Any, request: DataRequest, log: Any) -> tuple[np.ndarray, dict[str, Any]]:
    from cleanaudit.models.multilabel import cross_val_multilabel_pred_probs
    from cleanaudit.models.specs import trusted_module_list
    from cleanaudit.workflows.sources import _note_warnings, _require_features, note_features

    _require_features(dataset, ", ".join(str(p) for p in dataset.paths) or "the data")
    note_features(dataset, log)
    from cleanaudit.models.cache import through_request_cache
    from cleanaudit.models.crossval import PredProbsResult

    spec, params = request.models[0], request.model_param_dict()
    trusted = trusted_module_list(list(request.trusted_modules))
    fitted: list[Any] = []  # the fresh result (its --model auto comparison), when the cache had none

    def compute() -> PredProbsResult:
        fresh = cross_val_multilabel_pred_probs(
            dataset.features,
            dataset.labels,
            model=spec,
            model_params=params,
            cv=request.cv,
            seed=request.seed,
            jobs=request.jobs,
            progress=log.progress,
            trusted_modules=trusted,
        )
        fitted.append(fresh)
        return PredProbsResult(fresh.pred_probs, fresh.model, fresh.cv_folds, fresh.seed, SOURCE, [], fresh.warnings)

    outcome = through_request_cache(
        compute, dataset, request, log, spec=spec, params=params, trusted=trusted, extra={"task": "multilabel"}
    )
    result: Any = fitted[0] if fitted else outcome.result
    _note_warnings(log, result.warnings)
    rare = [str(dataset.class_names[k]) for k in np.flatnonzero(dataset.labels.sum(axis=0) < request.cv)]
    rare_text = (
        f"; class(es) {', '.join(rare)} have fewer rows than folds, so some folds' models never saw them"
        if rare
        else ""
    )
    chosen = ""
    if getattr(result, "candidates", None):
        scores = ", ".join(f"{c['model']} {c['log_loss']}" for c in result.candidates if c.get("log_loss") is not None)
        chosen = f"; --model auto chose {result.model.split(':', 1)[1]} by mean binary log loss ({scores})"
    log.note(
        "multilabel_model",
        f"{result.model} fitted one-vs-rest (one binary model per class, {dataset.num_classes} classes) with "
        f"{request.cv}-fold cross-validation, folds stratified by each row's rarest label{chosen}{rare_text}",
    )
    run: dict[str, Any] = {
        "model": result.model,
        "cv_folds": result.cv_folds,
        "seed": result.seed,
        "pred_probs_source": SOURCE,
    }
    if getattr(result, "candidates", None):
        run["model_candidates"] = result.candidates
    if outcome.record is not None:
        run["cache"] = outcome.record
    return result.pred_probs, run


SOURCE = "cross-validation (one-vs-rest)"
WEAK_GAIN = 0.10  # as models.sanity: less than this share below the prevalence's log loss looks like noise


def note_weak_classes(dataset: Any, pred_probs: np.ndarray, run: dict[str, Any], log: Any) -> None:
    """Classes whose binary model is not clearly better than guessing the class's prevalence: a note.

    The baseline gives every row the share of rows with the class; a class whose out-of-fold binary
    log loss is less than ``WEAK_GAIN`` below the baseline's has findings no better than chance.
    All of them weak makes the run's findings unreliable (the report's banner).
    """
    from cleanaudit.models.multilabel import mean_binary_log_loss

    Y = np.asarray(dataset.labels)
    prevalence = np.broadcast_to(Y.mean(axis=0), Y.shape)
    weak = []
    for k, name in enumerate(dataset.class_names):
        model = mean_binary_log_loss(Y[:, [k]], pred_probs[:, [k]])
        baseline = mean_binary_log_loss(Y[:, [k]], prevalence[:, [k]])
        if model > (1 - WEAK_GAIN) * baseline:
            weak.append(str(name))
    run["model_check"] = {
        "reliable": len(weak) < dataset.num_classes,
        "weak_classes": weak,
        "rule": (
            f"a class is weak when its out-of-fold binary log loss is less than {WEAK_GAIN:.0%} below that of "
            "predicting the class's prevalence for every row"
        ),
    }
    if weak:
        log.note(
            "weak_model",
            f"the model is not clearly better than the class prevalence for {len(weak)} of {dataset.num_classes} "
            f"classes ({', '.join(weak[:10])}{', ...' if len(weak) > 10 else ''}): their findings are unreliable",
        )
