"""Where a command's pred_probs come from: cross-validation (one model or several), given
pred_probs (files or arrays), a saved model (``from_model``) or a model fit on another file
(``find-issues --train``).

Each source yields one :class:`~cleanaudit.models.ensemble.Member` per model or file, and the ``run``
record of the JSON contract saying how they were obtained. What the sources decide for the user
(imputed values, id-like columns, model warnings, the ``--model auto`` comparison, in-sample
probabilities) becomes a note.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError, InputError

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.models.ensemble import Member
    from cleanaudit.workflows.request import DataRequest
    from cleanaudit.workflows.result import NoteLog

NOT_FITTED = "no selected check needs pred_probs"
IN_SAMPLE_NOTE = (
    "pred_probs come from a saved model's predict_proba, not from cross-validation: for rows "
    "the model was trained on they are not out-of-sample, so their label issues are underestimated"
)


def check_sources(
    request: DataRequest, *, ensemble: bool, train: Path | None = None, model_needed: bool = False
) -> None:
    """Fail fast (before any fitting) on option combinations that cannot work together.

    ``model_needed`` says the command fits the model for something else than pred_probs
    (``clean --test``), so a model beside given pred_probs is not ignored there.
    """
    given_pred_probs = request.pred_probs_list
    models = request.models
    given = [
        name
        for name, on in (
            ("--pred-probs", bool(given_pred_probs)),
            ("--from-model", request.from_model),
            ("--train", train),
        )
        if on
    ]
    if len(given) > 1:
        raise ConfigError(
            f"{' and '.join(given)} both say where the probabilities come from", hint="pass only one of them"
        )
    given_probs = "--pred-probs" if given_pred_probs else "--from-model" if request.from_model else None
    if given_probs and not model_needed and (request.model_given or request.model_params):
        # The model would be silently ignored: the probabilities are given, nothing is fitted.
        option = "--model" if request.model_given else "--model-param"
        raise ConfigError(
            f"{option} has no effect with {given_probs}: the probabilities are given, no model is fitted",
            hint=f"pass either {option} or {given_probs}",
        )
    files = [str(p) for p in given_pred_probs if isinstance(p, Path)]
    for option, values in (("--model", models), ("--pred-probs", files)):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ConfigError(f"{option} {repeated[0]} is given twice", hint=f"give each {option} once")
    members = len(given_pred_probs) if given_pred_probs else 1 if request.from_model else len(models)
    if members > 1 and not ensemble:
        option = "--pred-probs" if given_pred_probs else "--model"
        raise ConfigError(
            f"{option} is given {members} times, but this command uses one model",
            hint="ensembles of several models are for find-issues and audit; give one",
        )
    if len(models) > 1 and request.model_params and not (given_pred_probs or request.from_model):
        raise ConfigError(
            "--model-param with several --model options is ambiguous",
            hint="give parameters to one model at a time, or use presets without --model-param",
        )
    from cleanaudit.models.specs import check_model_spec, trusted_module_list

    # Every model spec (from --model or a config file) that will be fitted, before any data is read:
    # a module:Class is imported only from a trusted, installed package, and nothing is constructed here.
    trusted = trusted_module_list(list(request.trusted_modules))
    if model_needed or not (given_pred_probs or request.from_model):
        for spec in models:
            check_model_spec(spec, trusted_modules=trusted)


def load_data(request: DataRequest, paths: list[Path] | None = None, *, features: list[str] | None = None) -> Dataset:
    """Load ``paths`` (default: the request's data) with the request's label, feature and id columns."""
    from cleanaudit.data.load import dataset_from_frame, load_dataset

    if request.annotators:  # several annotators' columns: the label is their majority vote, then the consensus
        from cleanaudit.workflows.annotator_load import load_annotated

        return load_annotated(request, paths)
    if not request.label:
        raise ConfigError(
            "missing option '--label'",
            hint="name the column holding the class labels, e.g. --label y (several annotators' columns: --annotators)",
        )
    columns: dict[str, Any] = dict(
        label=request.label,
        features=features if features is not None else _listed(request.features),
        ignore=None if features is not None else _listed(request.ignore),
        id_column=request.id_column,
        on_missing_label=request.on_missing_label,
    )
    if request.task == "multilabel":
        columns.update(task="multilabel", label_sep=request.label_sep)
    if paths is None and request.frame is not None:
        return dataset_from_frame(request.frame, **columns)
    return load_dataset(paths if paths is not None else request.sources, **columns)


def obtain_members(
    dataset: Dataset, request: DataRequest, log: NoteLog, *, train: Path | None = None, fit: bool = True
) -> tuple[list[Member], dict[str, Any]]:
    """The pred_probs of ``dataset`` from the source the request names, and the ``run`` record.

    With ``fit=False`` (nothing the command runs uses pred_probs) no model is fitted: given
    pred_probs are still read, else there are no members and ``run`` says why.
    """
    if request.from_model is not None:
        return _from_model(dataset, Path(request.from_model), log)
    if request.pred_probs_list:
        return _from_given(dataset, request.pred_probs_list)
    if not fit:
        log.note("no_model_fitted", f"no model fitted: {NOT_FITTED}, so no cross-validation was run")
        return [], {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": f"none ({NOT_FITTED})"}
    if train is not None:
        return _from_training_file(dataset, request, train, log)
    _require_features(dataset, ", ".join(str(p) for p in dataset.paths) or "the data")
    note_features(dataset, log)
    members, runs = [], []
    for spec in request.models:
        member, run = _cross_validate(dataset, request, log, spec)
        members.append(member)
        runs.append(run)
    if len(runs) == 1:
        return members, runs[0]
    return members, {
        "model": [m.name for m in members],
        "cv_folds": request.cv,
        "seed": request.seed,
        "pred_probs_source": "cross-validation",
    }


def _from_given(dataset: Dataset, sources: list[Any]) -> tuple[list[Member], dict[str, Any]]:
    from cleanaudit.data.pred_probs import read_pred_probs, validate_pred_probs
    from cleanaudit.models.ensemble import Member

    members, names = [], []
    for position, source in enumerate(sources):
        shape: dict[str, Any] = dict(class_names=dataset.class_names, num_examples=dataset.num_examples)
        if isinstance(source, Path):
            name, probs = str(source), read_pred_probs(source, **shape)
        else:
            name = "pred_probs array" if len(sources) == 1 else f"pred_probs array {position}"
            probs = validate_pred_probs(np.asarray(source), name=name, **shape)
        members.append(Member(name, probs, name))
        names.append(name)
    described: Any = names[0] if len(names) == 1 else names
    return members, {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": described}


def _from_model(dataset: Dataset, path: Path, log: NoteLog) -> tuple[list[Member], dict[str, Any]]:
    from cleanaudit.models.ensemble import Member
    from cleanaudit.models.persist import load_model, pred_probs_from_saved

    saved = load_model(path)
    pred_probs = pred_probs_from_saved(saved, dataset, path=path)
    if saved.info.get("trained_on_sha256") == dataset.sha256:
        log.note("in_sample_pred_probs", f"this is the data the model in {path} was trained on: {IN_SAMPLE_NOTE}")
    run = {
        "model": saved.spec,
        "cv_folds": None,
        "seed": None,
        "pred_probs_source": f"model file {path}",
        "out_of_sample": False,
        "note": IN_SAMPLE_NOTE,
        "model_file": {
            "path": str(path),
            "label_column": saved.label_column,
            "feature_columns": saved.feature_columns,
            **saved.info,
        },
    }
    return [Member(saved.spec, pred_probs, f"model file {path}")], run


def _from_training_file(
    dataset: Dataset, request: DataRequest, train_path: Path, log: NoteLog
) -> tuple[list[Member], dict[str, Any]]:
    from cleanaudit.models.ensemble import Member
    from cleanaudit.models.fit import score_with_training_data

    train = load_data(request, [train_path])
    if request.on_rare_class == "skip":  # as leave_out_rare_classes decided (and noted) before
        from cleanaudit.data.labels import leave_out_rare_classes as leave_out

        train = leave_out(train, cv=request.cv, where=f"--train {train_path}")[0]
    _require_features(train, "--train " + str(train_path))
    note_features(train, log)
    params = request.model_param_dict()
    members = []
    for spec in request.models:
        probs, resolved, messages = score_with_training_data(
            train,
            dataset,
            spec,
            model_params=params,
            cv=request.cv,
            seed=request.seed,
            jobs=request.jobs,
            progress=log.progress,
        )
        _note_warnings(log, messages)
        if resolved.candidates:
            note_candidates(log, resolved.label, resolved.candidates)
        members.append(Member(resolved.label, probs, f"fit on {train_path}"))
    names = [m.name for m in members]
    run = {
        "model": names[0] if len(names) == 1 else names,
        "cv_folds": None,
        "seed": request.seed,
        "pred_probs_source": f"model fit on {train_path}",
        "train": {"path": str(train_path), "sha256": train.sha256, "num_examples": train.num_examples},
    }
    return members, run


def _cross_validate(dataset: Dataset, request: DataRequest, log: NoteLog, spec: str) -> tuple[Member, dict[str, Any]]:
    from cleanaudit.models.cache import through_request_cache
    from cleanaudit.models.crossval import cross_val_pred_probs
    from cleanaudit.models.ensemble import Member
    from cleanaudit.models.specs import trusted_module_list

    params, trusted = request.model_param_dict(), trusted_module_list(list(request.trusted_modules))
    outcome = through_request_cache(
        lambda: cross_val_pred_probs(
            dataset.features,
            dataset.labels,
            model=spec,
            model_params=params,
            cv=request.cv,
            seed=request.seed,
            jobs=request.jobs,
            progress=log.progress,
            class_names=dataset.class_names,
            trusted_modules=trusted,
        ),
        dataset,
        request,
        log,
        spec=spec,
        params=params,
        trusted=trusted,
    )
    result = outcome.result
    _note_warnings(log, result.warnings)
    if result.candidates:
        note_candidates(log, result.model, result.candidates)
    run: dict[str, Any] = {
        "model": result.model,
        "cv_folds": result.cv_folds,
        "seed": result.seed,
        "pred_probs_source": result.source,
    }
    if result.candidates:
        run["model_candidates"] = [c.record() for c in result.candidates]
    if outcome.record is not None:
        run["cache"] = outcome.record
    return Member(result.model, result.pred_probs, result.source), run


def note_features(dataset: Dataset, log: NoteLog) -> None:
    """Notes on features the model will see: how missing values are imputed, by column role.

    The notes loading made (ids, leakage, roles) are added too when the log lacks them (the --train file).
    """
    for note in dataset.notes:
        if note not in log.notes:
            log.add(note)
    note_imputation(dataset, log)


def note_imputation(dataset: Dataset, log: NoteLog, *, sample_of: int | None = None, where: str | None = None) -> None:
    """The ``missing_values_imputed`` note: which feature columns miss values, and how each role is imputed.

    ``sample_of``: ``dataset`` is a sample of that many rows of ``where`` (one table on a cluster),
    and the counts say so.
    """
    from cleanaudit.data.features import missing_value_summary
    from cleanaudit.data.roles import roles_for

    missing = missing_value_summary(dataset.features)
    if missing:
        roles = roles_for(dataset.features, dataset.roles or None)
        present = {roles.get(c) for c in missing}
        how = {
            "numeric": "median for numbers",
            "datetime": "median for dates",
            "boolean": "most frequent for booleans",
            "categorical": "in a categorical column a missing value is a category of its own",
            "text": "missing text is empty text",
            "embedding": "a missing vector is the mean vector",
        }
        said = "; ".join(text for role, text in how.items() if role in present)
        where = where or ", ".join(str(p) for p in dataset.paths) or "the data"
        columns = ", ".join(f"{c} ({n})" for c, n in missing.items())
        if sample_of is not None:
            columns += f" (counts in a sample of {dataset.num_examples:,} of {sample_of:,} rows)"
        log.note(
            "missing_values_imputed",
            f"imputing missing feature values in {columns} of {where}: {said}",
            columns=list(missing),
        )


def _require_features(dataset: Dataset, where: str) -> None:
    if dataset.features.shape[1] == 0:
        raise InputError(
            f"no feature columns left in {where} to train a model on",
            hint="pass --features, or give out-of-sample probabilities with --pred-probs FILE",
        )


def _note_warnings(log: NoteLog, messages: list[str]) -> None:
    for warning in messages:
        log.note("model_warning", warning)


def note_candidates(log: NoteLog, chosen_label: str, candidates: list[Any]) -> None:
    """The ``--model auto`` comparison: a sentence, and the scores for a table (``details``).

    On large data (candidates scored on one fold, with bounded settings) the sentence says so.
    """
    from cleanaudit.models.select import AUTO_LARGE, SELECTION_CLIP

    chosen = chosen_label.split(":", 1)[-1]
    ranked = sorted(candidates, key=lambda c: c.clipped_log_loss)
    scores = ", ".join(f"{c.name} failed" if c.error else f"{c.name} {c.clipped_log_loss:.4f}" for c in ranked)
    rows = [dict(c.record(), chosen=c.name == chosen) for c in ranked]
    details: dict[str, Any] = {"candidates": rows}
    plan = ""
    bounded = [c for c in candidates if c.params or c.max_train_rows]
    if bounded:  # the table's caption shows the same words (details["plan"])
        settings = "; ".join(
            f"{c.name} " + ", ".join([f"{k}={v}" for k, v in c.params.items()] + _cap(c.max_train_rows))
            for c in bounded
        )
        details["plan"] = f"scored on one fold ({candidates[0].rows:,} rows), with bounded settings: {settings}"
        plan = (
            f". From {AUTO_LARGE:,} rows on it scores each candidate on one fold ({candidates[0].rows:,} rows), "
            f"then cross-validates the chosen one, with bounded settings ({settings}); "
            "--model NAME runs a preset as it is"
        )
    log.note(
        "model_selection",
        f"--model auto chose {chosen}, the lowest out-of-fold log loss against the given labels, with "
        f"probabilities clipped at {SELECTION_CLIP:g} ({scores}){plan}",
        details=details,
    )


def _cap(max_train_rows: int | None) -> list[str]:
    return [f"each fold fit on at most {max_train_rows:,} rows"] if max_train_rows else []


def mixed_pred_probs(members: list[Member], labels: np.ndarray, weighting: str) -> tuple[np.ndarray, dict[str, Any]]:
    """The ensemble's weighted mean pred_probs and its ``run.ensemble`` record."""
    from cleanaudit.models.ensemble import describe_members, member_weights, mix_pred_probs

    weights = member_weights(labels, [m.pred_probs for m in members], weighting)
    return mix_pred_probs([m.pred_probs for m in members], weights), describe_members(
        labels, members, weights, weighting
    )


def _listed(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)
