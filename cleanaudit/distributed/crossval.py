"""Out-of-fold pred_probs of one table read as partitions, computed on the workers.

Folds are assigned per row from the seed and the row's 0-based input position alone, so they do
not depend on how the table is partitioned: ``fold = splitmix64(position + seed * 2**32) % cv``
(:func:`fold_of`). One model per fold is trained on the other folds' rows across partitions:

* a model with ``partial_fit`` (``--model auto`` on a table: ``SGDClassifier(loss="log_loss")``
  with scaled features) streams over the partitions, ``EPOCHS`` passes in a seeded partition order,
  every class given to the first call; features are encoded by a preprocessor fitted on a
  seeded sample of ``SAMPLE_ROWS`` rows;
* any other model trains on a stratified sample capped at ``train_rows`` (``--train-rows``).

Each row is then predicted by the model of its own fold, per partition, on the workers: the
pred_probs are a dask array chunked like the partitions (their analysed rows). Every choice is a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError, InputError

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from cleanaudit.data.dataset import Dataset
    from cleanaudit.distributed.partitions import TableLabels
    from cleanaudit.workflows.request import DataRequest
    from cleanaudit.workflows.result import NoteLog

SAMPLE_ROWS = 100_000  # rows the column roles and the preprocessor are decided on
TRAIN_ROWS = 200_000  # default cap of the training sample of a model without partial_fit
EPOCHS = 3  # passes over the partitions of a model with partial_fit
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser of unsigned 64-bit integers (a fixed, well-mixed hash).

    >>> splitmix64(np.array([0, 1], np.uint64)).tolist()
    [16294208416658607535, 10451216379200822465]
    """
    with np.errstate(over="ignore"):
        z = np.asarray(values, np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def fold_of(positions: np.ndarray, seed: int, cv: int) -> np.ndarray:
    """The fold (0..cv-1) of each row from its input position and the seed; partitioning plays no part.

    >>> fold_of(np.arange(6), seed=0, cv=3).tolist() == fold_of(np.arange(6), seed=0, cv=3).tolist()
    True
    """
    key = np.asarray(positions, np.uint64) + (np.uint64(seed & 0xFFFFFFFF) << np.uint64(32))
    return (splitmix64(key) % np.uint64(cv)).astype(np.int64)


def uniform_of(positions: np.ndarray, seed: int, stream: int) -> np.ndarray:
    """A seeded number in [0, 1) per row (``stream`` keeps samples independent of the folds)."""
    key = splitmix64(
        np.asarray(positions, np.uint64) ^ np.uint64(0xD1B54A32D192ED03 * (stream + 1) & 0xFFFFFFFFFFFFFFFF)
    )
    return (splitmix64(key + np.uint64(seed & 0xFFFFFFFF)) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


# --- cross-validation -----------------------------------------------------------------------


@dataclass
class TableFit:
    """The fold models of a table and how they were trained (one ``(preprocessor, estimator)`` per fold)."""

    models: list[tuple[Any, Any]]
    feature_columns: list[str]
    cv: int
    seed: int
    streamed: bool
    record: dict[str, Any] = field(default_factory=dict)


def cross_val_table(
    read: TableLabels, request: DataRequest, client: Client, log: NoteLog, *, train_rows: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """Out-of-fold pred_probs (a dask array in the partitions' chunks) and the ``run`` record."""
    fit = fit_fold_models(read, request, client, log, train_rows=train_rows)
    blocks = predict_blocks(read, fit, client)
    run = {"model": fit.record["model"], "cv_folds": fit.cv, "seed": fit.seed, "pred_probs_source": "cross-validation"}
    training = dict(fit.record)
    if "model_candidates" in training:  # the comparison table and JSON run.model_candidates, as locally
        run["model_candidates"] = training.pop("model_candidates")
    run["table_training"] = training
    return blocks, run


def plan_features(read: TableLabels, request: DataRequest, client: Client, log: NoteLog) -> Dataset:
    """Column roles and encoding decided on a seeded sample of rows (note ``table_sample``), as a local run does.

    The sample's ``features`` hold the raw feature columns a local run would keep (id-like, constant
    and leaking columns left out, each with the local run's note).
    """
    from cleanaudit.data.frame import dataset_from_frame

    sample = _gather_rows(read, client, _sample_rates(read, SAMPLE_ROWS), int(request.seed), stream=1)
    columns: dict[str, Any] = dict(
        features=_listed(request.features), ignore=_listed(request.ignore), id_column=request.id_column
    )
    sample = sample.drop(columns="__position__")
    planned = dataset_from_frame(sample, label=read.dataset.label_column, where=read.table.where(), **columns)
    for note in planned.notes:
        if note.kind != "missing_labels":
            log.add(note)
    log.note(
        "table_sample",
        f"column roles and feature encoding decided on a seeded sample of {len(sample):,} of "
        f"{read.dataset.num_examples:,} rows, then applied per partition on the workers",
        details={"sample_rows": len(sample)},
    )
    return planned


def fit_fold_models(
    read: TableLabels, request: DataRequest, client: Client, log: NoteLog, *, train_rows: int | None = None
) -> TableFit:
    """Decide the features on a sample, then train one model per fold (streamed, or on a capped sample)."""
    from cleanaudit.models.specs import build_model, check_model_spec, trusted_module_list

    cv, seed, names = int(request.cv), int(request.seed), read.dataset.class_names
    if isinstance(cv, bool) or cv < 2:
        raise ConfigError(f"--cv must be a whole number of folds, at least 2 (got {cv!r})", hint="use e.g. --cv 5")
    spec = request.models[0]
    trusted = trusted_module_list(list(request.trusted_modules))
    if spec != "auto":
        check_model_spec(spec, trusted_modules=trusted)
    planned = plan_features(read, request, client, log)
    features = planned.features
    if features.shape[1] == 0:
        raise InputError(
            f"no feature columns left in {read.table.where()} to train a model on",
            hint="pass --features, or give out-of-sample probabilities with --pred-probs FILE",
        )
    from cleanaudit.workflows.sources import note_imputation

    note_imputation(planned, log, sample_of=read.dataset.num_examples, where=read.table.where())
    params = request.model_param_dict()
    cap = int(train_rows or TRAIN_ROWS)
    train = None
    record: dict[str, Any] = {"feature_columns": list(features.columns)}
    if spec == "auto":
        # The local choice, on the training sample: every candidate scored by out-of-fold log loss
        # (one fold, bounded settings from AUTO_LARGE rows on); the winner then trains each fold.
        if params:
            raise ConfigError("--model-param needs a specific --model, not auto", hint="pick a preset")
        train = _gather_rows(read, client, _sample_rates(read, cap, stratified=True), seed, stream=2)
        winner, params, candidates = _choose_on_sample(train, list(features.columns), read, cv, seed)
        record["model_candidates"] = [c.record() for c in candidates]
        from cleanaudit.workflows.sources import note_candidates

        note_candidates(log, f"auto:{winner}", candidates)
        pipeline = build_model(winner, features, params=params, seed=seed, roles=planned.roles)
        label = f"auto:{winner}"
    else:
        pipeline = build_model(spec, features, params=params, seed=seed, trusted_modules=trusted, roles=planned.roles)
        label = spec
    estimator = pipeline.named_steps["model"]
    record["model"] = label
    if hasattr(estimator, "partial_fit"):
        pre = pipeline.named_steps["features"].fit(features)
        models = _stream_fit(read, client, pre, estimator, list(features.columns), cv, seed, len(names))
        record.update(streamed=True, epochs=EPOCHS, rows_used=read.dataset.num_examples)
        log.note(
            "table_training",
            f"{label} trained with partial_fit streaming over {read.table.num_partitions} partitions, "
            f"{EPOCHS} passes, one model per fold on its training rows ({read.dataset.num_examples:,} rows)",
            details=dict(record),
        )
        return TableFit(models, list(features.columns), cv, seed, True, record)
    if train is None:
        train = _gather_rows(read, client, _sample_rates(read, cap, stratified=True), seed, stream=2)
    models = _sample_fit(train, pipeline, list(features.columns), read.dataset.label_column, names, cv, seed)
    record.update(streamed=False, rows_used=len(train), rows_available=read.dataset.num_examples, train_rows=cap)
    log.note(
        "table_training",
        f"{label} has no partial_fit: each fold model trained on a stratified sample of {len(train):,} of "
        f"{read.dataset.num_examples:,} rows (--train-rows {cap:,}), less the fold's own rows",
        details=dict(record),
    )
    return TableFit(models, list(features.columns), cv, seed, False, record)


def _choose_on_sample(
    train: pd.DataFrame, columns: list[str], read: TableLabels, cv: int, seed: int
) -> tuple[str, dict[str, Any], list[Any]]:
    """``--model auto`` as a local run decides it, on the stratified training sample.

    Returns the winner, its settings (bounded on large samples) and every candidate's scores.
    """
    from cleanaudit.models.crossval import _cross_validate
    from cleanaudit.models.select import select_model

    lookup = {name: i for i, name in enumerate(read.dataset.class_names)}
    codes = np.asarray([lookup[v] for v in train[read.dataset.label_column].tolist()], dtype=np.int64)
    # complete=False: the winner then trains each fold of the table; its folds of the sample would be thrown away.
    chosen = select_model(
        train[columns], codes, len(lookup), {}, cv, seed, 1, None, cross_validate=_cross_validate, complete=False
    )
    best = next(c for c in chosen.candidates if c.name == chosen.winner)
    return chosen.winner, dict(best.params), chosen.candidates


def _sample_rates(read: TableLabels, cap: int, *, stratified: bool = False) -> np.ndarray:
    """Per class, the share of its rows to keep so about ``cap`` rows are kept (each class at its share)."""
    counts = np.bincount(read.dataset.labels, minlength=len(read.dataset.class_names)).astype(float)
    rate = min(1.0, cap / max(1.0, counts.sum()))
    rates = np.full(len(counts), rate)
    if stratified:  # classes too small for their share of the folds keep every row
        rates = np.where(counts * rate < 10, 1.0, rates)
    return rates


def _gather_rows(read: TableLabels, client: Client, rates: np.ndarray, seed: int, stream: int) -> pd.DataFrame:
    import dask
    import pandas as pd

    task = dask.delayed(_take_sample, pure=True)
    tasks = [
        task(part, int(offset), read.analysed[i], read.codes[i], rates, seed, stream)
        for i, (part, offset) in enumerate(zip(read.table.parts, read.table.offsets))
    ]
    return pd.concat(client.gather(client.compute(tasks)), ignore_index=True)


def _take_sample(
    frame: pd.DataFrame, offset: int, mask: Any, codes: np.ndarray, rates: np.ndarray, seed: int, stream: int
) -> pd.DataFrame:
    positions, kept = _analysed_rows(frame, offset, mask)
    chosen = uniform_of(positions, seed, stream) < rates[codes]
    rows = kept.iloc[np.flatnonzero(chosen)].copy()
    rows["__position__"] = positions[chosen]
    return rows.reset_index(drop=True)


def _analysed_rows(frame: pd.DataFrame, offset: int, mask: np.ndarray | None) -> tuple[np.ndarray, pd.DataFrame]:
    positions = offset + np.arange(len(frame), dtype=np.int64)
    if mask is None:
        return positions, frame
    return positions[mask], frame.iloc[np.flatnonzero(mask)].reset_index(drop=True)


def _stream_fit(
    read: TableLabels, client: Client, pre: Any, estimator: Any, columns: list[str], cv: int, seed: int, k: int
) -> list[tuple[Any, Any]]:
    """One chain of partial_fit tasks per fold (the folds train in parallel), each over every partition per pass."""
    import dask
    from sklearn.base import clone

    step = dask.delayed(_partial_fit_step, pure=True)
    offsets, rng = read.table.offsets, np.random.default_rng(seed)
    orders = [rng.permutation(read.table.num_partitions) for _ in range(EPOCHS)]
    chains = []
    for fold in range(cv):
        model = dask.delayed(clone(estimator))
        for order in orders:
            for i in order:
                part, mask, codes = read.table.parts[i], read.analysed[i], read.codes[i]
                model = step(model, part, int(offsets[i]), mask, codes, pre, columns, fold, cv, seed, k)
        chains.append(model)
    fitted = client.gather(client.compute(chains))
    return [(pre, m) for m in fitted]


def _partial_fit_step(
    model: Any,
    frame: pd.DataFrame,
    offset: int,
    mask: Any,
    codes: np.ndarray,
    pre: Any,
    columns: list[str],
    fold: int,
    cv: int,
    seed: int,
    k: int,
) -> Any:
    positions, kept = _analysed_rows(frame, offset, mask)
    rows = np.flatnonzero(fold_of(positions, seed, cv) != fold)
    if len(rows):
        model.partial_fit(pre.transform(kept[columns].iloc[rows]), codes[rows], classes=np.arange(k))
    return model


def _sample_fit(
    train: pd.DataFrame, pipeline: Any, columns: list[str], label: str, names: list[Any], cv: int, seed: int
) -> list[tuple[Any, Any]]:
    from sklearn.base import clone

    lookup = {name: i for i, name in enumerate(names)}
    codes = np.asarray([lookup[v] for v in train[label].tolist()], dtype=np.int64)
    folds = fold_of(train["__position__"].to_numpy(), seed, cv)
    models = []
    for fold in range(cv):
        rows = np.flatnonzero(folds != fold)
        fitted = clone(pipeline).fit(train[columns].iloc[rows], codes[rows])
        models.append((fitted.named_steps["features"], fitted.named_steps["model"]))
    return models


def predict_blocks(read: TableLabels, fit: TableFit, client: Client) -> Any:
    """pred_probs per partition, each row by the model of its own fold: a dask array with known chunks."""
    import dask
    import dask.array as da

    k = len(read.dataset.class_names)
    models = client.scatter(fit.models, broadcast=True)
    task = dask.delayed(_predict_part, pure=True)
    blocks = [
        da.from_delayed(
            task(part, int(offset), read.analysed[i], models, fit.feature_columns, fit.cv, fit.seed, k),
            shape=(read.block_rows[i], k),
            dtype=np.float64,
        )
        for i, (part, offset) in enumerate(zip(read.table.parts, read.table.offsets))
    ]
    return da.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]


def _predict_part(
    frame: pd.DataFrame,
    offset: int,
    mask: Any,
    models: list[tuple[Any, Any]],
    columns: list[str],
    cv: int,
    seed: int,
    k: int,
) -> np.ndarray:
    from cleanaudit.models.estimator import align_columns

    positions, kept = _analysed_rows(frame, offset, mask)
    folds = fold_of(positions, seed, cv)
    out = np.zeros((len(kept), k), dtype=np.float64)
    for fold, (pre, model) in enumerate(models):
        rows = np.flatnonzero(folds == fold)
        if len(rows):
            probs = model.predict_proba(pre.transform(kept[columns].iloc[rows]))
            out[rows] = align_columns(model, probs, np.arange(k))
    return out


def _listed(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)
