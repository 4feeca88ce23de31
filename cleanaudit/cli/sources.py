"""Where a command's pred_probs come from: cross-validation (one model or several), ``--pred-probs``
files, a saved model (``--from-model``) or a model fit on another file (``find-issues --train``).

Each source yields one :class:`~cleanaudit.models.ensemble.Member` per model or file, and the ``run``
record of the JSON contract saying how they were obtained.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
from rich.table import Table

from cleanaudit.cli.options import DataOptions, split_columns
from cleanaudit.errors import ConfigError, InputError

if TYPE_CHECKING:
    from cleanaudit.cli.runtime import Notes
    from cleanaudit.models.ensemble import Member
    from cleanaudit.data.dataset import Dataset

IN_SAMPLE_NOTE = ("pred_probs come from a saved model's predict_proba, not from cross-validation: for rows "
                  "the model was trained on they are not out-of-sample, so their label issues are underestimated")


def check_sources(opts: DataOptions, *, ensemble: bool, train: Optional[Path] = None,
                  model_needed: bool = False) -> None:
    """Fail fast (before any fitting) on option combinations that cannot work together.

    ``model_needed`` says the command fits ``--model`` for something else than pred_probs
    (``clean --test``), so a model beside ``--pred-probs`` is not ignored there.
    """
    given = [name for name, on in (("--pred-probs", bool(opts.pred_probs)), ("--from-model", opts.from_model),
                                   ("--train", train)) if on]
    if len(given) > 1:
        raise ConfigError(f"{' and '.join(given)} both say where the probabilities come from",
                          hint="pass only one of them")
    given_probs = "--pred-probs" if opts.pred_probs else "--from-model" if opts.from_model else None
    if given_probs and not model_needed and (opts.model_given or opts.model_param):
        # The model would be silently ignored: the probabilities are given, nothing is fitted.
        option = "--model" if opts.model_given else "--model-param"
        raise ConfigError(f"{option} has no effect with {given_probs}: the probabilities are given, no model "
                          "is fitted", hint=f"pass either {option} or {given_probs}")
    for option, values in (("--model", opts.model), ("--pred-probs", [str(p) for p in opts.pred_probs])):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ConfigError(f"{option} {repeated[0]} is given twice", hint=f"give each {option} once")
    members = len(opts.pred_probs) if opts.pred_probs else 1 if opts.from_model else len(opts.model)
    if members > 1 and not ensemble:
        option = "--pred-probs" if opts.pred_probs else "--model"
        raise ConfigError(f"{option} is given {members} times, but this command uses one model",
                          hint="ensembles of several models are for find-issues and audit; give one")
    if len(opts.model) > 1 and opts.model_param and not (opts.pred_probs or opts.from_model):
        raise ConfigError("--model-param with several --model options is ambiguous",
                          hint="give parameters to one model at a time, or use presets without --model-param")
    from cleanaudit.models.specs import check_model_spec, trusted_module_list

    # Every model spec (from --model or a config file) that will be fitted, before any data is read:
    # a module:Class is imported only from a trusted, installed package, and nothing is constructed here.
    trusted = trusted_module_list(opts.trust_module)
    if model_needed or not (opts.pred_probs or opts.from_model):
        for spec in opts.model:
            check_model_spec(spec, trusted_modules=trusted)


def load_data(opts: DataOptions, paths: Optional[list[Path]] = None, *, features: Optional[list[str]] = None) -> Dataset:
    """Load ``paths`` (default: the DATA arguments) with the shared label, feature and id options."""
    from cleanaudit.data.load import load_dataset

    if not opts.label:
        raise ConfigError("missing option '--label'", hint="name the column holding the class labels, e.g. --label y")
    return load_dataset(
        paths if paths is not None else opts.data,
        label=opts.label,
        features=features if features is not None else split_columns(opts.features),
        ignore=None if features is not None else split_columns(opts.ignore),
        id_column=opts.id_column,
    )


def obtain_members(
    dataset: Dataset, opts: DataOptions, notes: Notes, *, train: Optional[Path] = None
) -> tuple[list[Member], dict[str, Any]]:
    """The pred_probs of ``dataset`` from the source the options name, and the ``run`` record."""
    if opts.from_model is not None:
        return _from_model(dataset, opts.from_model, notes)
    if opts.pred_probs:
        return _from_files(dataset, opts.pred_probs)
    if train is not None:
        return _from_training_file(dataset, opts, train, notes)
    _require_features(dataset, ", ".join(str(p) for p in dataset.paths) or "the data")
    _note_missing_values(dataset, notes)
    members, runs = [], []
    for spec in opts.model:
        member, run = _cross_validate(dataset, opts, notes, spec)
        members.append(member)
        runs.append(run)
    if len(runs) == 1:
        return members, runs[0]
    return members, {"model": [m.name for m in members], "cv_folds": opts.cv, "seed": opts.seed,
                     "pred_probs_source": "cross-validation"}


def _from_files(dataset: Dataset, paths: list[Path]) -> tuple[list[Member], dict[str, Any]]:
    from cleanaudit.models.ensemble import Member
    from cleanaudit.data.pred_probs import read_pred_probs

    members = [Member(str(p), read_pred_probs(p, class_names=dataset.class_names, num_examples=dataset.num_examples),
                      str(p)) for p in paths]
    source: Any = str(paths[0]) if len(paths) == 1 else [str(p) for p in paths]
    return members, {"model": None, "cv_folds": None, "seed": None, "pred_probs_source": source}


def _from_model(dataset: Dataset, path: Path, notes: Notes) -> tuple[list[Member], dict[str, Any]]:
    from cleanaudit.models.ensemble import Member
    from cleanaudit.models.persist import load_model, pred_probs_from_saved

    saved = load_model(path)
    pred_probs = pred_probs_from_saved(saved, dataset, path=path)
    if saved.info.get("trained_on_sha256") == dataset.sha256:
        notes.note(f"note: this is the data the model in {path} was trained on: {IN_SAMPLE_NOTE}")
    run = {
        "model": saved.spec,
        "cv_folds": None,
        "seed": None,
        "pred_probs_source": f"model file {path}",
        "out_of_sample": False,
        "note": IN_SAMPLE_NOTE,
        "model_file": {"path": str(path), "label_column": saved.label_column,
                       "feature_columns": saved.feature_columns, **saved.info},
    }
    return [Member(saved.spec, pred_probs, f"model file {path}")], run


def _from_training_file(
    dataset: Dataset, opts: DataOptions, train_path: Path, notes: Notes
) -> tuple[list[Member], dict[str, Any]]:
    from cleanaudit.models.ensemble import Member
    from cleanaudit.models.specs import parse_model_params
    from cleanaudit.models.fit import score_with_training_data

    train = load_data(opts, [train_path])
    _require_features(train, "--train " + str(train_path))
    _note_missing_values(train, notes)
    params = parse_model_params(opts.model_param or [])
    members = []
    for spec in opts.model:
        with notes.progress() as progress:
            probs, resolved, messages = score_with_training_data(train, dataset, spec, model_params=params, cv=opts.cv,
                                                                 seed=opts.seed, jobs=opts.jobs, progress=progress)
        _show_warnings(notes, messages)
        if resolved.candidates:
            show_candidates(notes, resolved.label, resolved.candidates)
        members.append(Member(resolved.label, probs, f"fit on {train_path}"))
    names = [m.name for m in members]
    run = {
        "model": names[0] if len(names) == 1 else names,
        "cv_folds": None,
        "seed": opts.seed,
        "pred_probs_source": f"model fit on {train_path}",
        "train": {"path": str(train_path), "sha256": train.sha256, "num_examples": train.num_examples},
    }
    return members, run


def _cross_validate(dataset: Dataset, opts: DataOptions, notes: Notes, spec: str) -> tuple[Member, dict[str, Any]]:
    from cleanaudit.models.ensemble import Member
    from cleanaudit.models.specs import parse_model_params, trusted_module_list
    from cleanaudit.models.crossval import cross_val_pred_probs

    params = parse_model_params(opts.model_param or [])
    with notes.progress() as progress:
        result = cross_val_pred_probs(dataset.features, dataset.labels, model=spec, model_params=params,
                                      cv=opts.cv, seed=opts.seed, jobs=opts.jobs, progress=progress,
                                      class_names=dataset.class_names,
                                      trusted_modules=trusted_module_list(opts.trust_module))
    _show_warnings(notes, result.warnings)
    if result.candidates:
        show_candidates(notes, result.model, result.candidates)
    run: dict[str, Any] = {
        "model": result.model,
        "cv_folds": result.cv_folds,
        "seed": result.seed,
        "pred_probs_source": result.source,
    }
    if result.candidates:
        run["model_candidates"] = [
            {"model": c.name, "log_loss": c.log_loss, "accuracy": c.accuracy, "seconds": c.seconds,
             "error": c.error}
            for c in result.candidates
        ]
    return Member(result.model, result.pred_probs, result.source), run


def _note_missing_values(dataset: Dataset, notes: Notes) -> None:
    """Notes on features the model will see: imputed values, and id-like columns worth leaving out."""
    from cleanaudit.data.features import id_like_columns, missing_value_summary

    missing = missing_value_summary(dataset.features)
    if missing:
        columns = ", ".join(f"{c} ({n})" for c, n in missing.items())
        notes.note(f"note: imputing missing feature values in {columns}: median for numbers, most frequent "
                   "for categories")
    for column in id_like_columns(dataset.features):
        notes.note(f"note: feature column {column} has a different value in every row, like an id, and only "
                   f"adds noise to the model; pass --id-column {column} (or --ignore {column}) to leave it out")


def _require_features(dataset: Dataset, where: str) -> None:
    if dataset.features.shape[1] == 0:
        raise InputError(
            f"no feature columns left in {where} to train a model on",
            hint="pass --features, or give out-of-sample probabilities with --pred-probs FILE",
        )


def _show_warnings(notes: Notes, messages: list[str]) -> None:
    for warning in messages:
        notes.note(f"model warning: {warning}")


def show_candidates(notes: Notes, chosen_label: str, candidates: list[Any]) -> None:
    """The ``--model auto`` comparison, on stderr."""
    if notes.quiet:
        return
    table = Table(title="--model auto: out-of-fold scores against the given labels", title_justify="left")
    for column in ("model", "log loss", "accuracy", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    chosen = chosen_label.split(":", 1)[-1]
    for c in sorted(candidates, key=lambda c: c.log_loss):
        mark = " (chosen)" if c.name == chosen else ""
        if c.error:
            table.add_row(c.name, "failed", "-", f"{c.seconds:.1f}")
            continue
        table.add_row(c.name + mark, f"{c.log_loss:.4f}", f"{c.accuracy:.4f}", f"{c.seconds:.1f}")
    notes.console.print(table)


def mixed_pred_probs(members: list[Member], labels: np.ndarray, weighting: str) -> tuple[np.ndarray, dict[str, Any]]:
    """The ensemble's weighted mean pred_probs and its ``run.ensemble`` record."""
    from cleanaudit.models.ensemble import describe_members, member_weights, mix_pred_probs

    weights = member_weights(labels, [m.pred_probs for m in members], weighting)
    return mix_pred_probs([m.pred_probs for m in members], weights), describe_members(labels, members, weights,
                                                                                       weighting)
