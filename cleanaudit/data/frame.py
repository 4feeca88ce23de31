"""A table already in memory (a pandas DataFrame) → ``Dataset``: column roles, label codes, row ids.

:func:`cleanaudit.data.load.load_dataset` reads files and hands the table to
:func:`dataset_from_frame`; Python callers may pass a DataFrame straight to it. Everything here
raises ``InputError`` with one line naming the column; nothing prints.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cleanaudit.data.columns import refuse_nested
from cleanaudit.data.dataset import Dataset
from cleanaudit.data.labels import missing_label_mask, split_missing_labels
from cleanaudit.data.roles import plan_columns, plan_notes
from cleanaudit.errors import InputError
from cleanaudit.errors import name_list as _names
from cleanaudit.events import Note


def dataset_from_frame(
    frame: pd.DataFrame,
    *,
    label: str,
    features: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    id_column: str | None = None,
    where: str = "the DataFrame",
    paths: Sequence[Path | str] = (),
    sha256: str | None = None,
    on_missing_label: str = "skip",
    task: str = "multiclass",
    label_sep: str = ",",
) -> Dataset:
    """Split ``frame`` into features, label codes and ids (``where`` names it in messages).

    ``task="multilabel"``: the label column holds a set of labels per row (a list, or text split
    by ``label_sep``; :mod:`cleanaudit.data.label_sets`) and ``labels`` is the (N, K) 0/1 matrix;
    an empty set is an answer, not a missing label, so no row is left out for it.

    Rows with no label are left out with a ``missing_labels`` note (``on_missing_label="error"``:
    refused); the Dataset keeps their record and the input row of every analysed row.

    ``sha256`` is the digest of the bytes the frame was read from; a DataFrame given directly
    gets the digest of its contents (pandas' row hashes), so the same frame gives the same digest.

    >>> ds = dataset_from_frame(pd.DataFrame({"x": [0.1, 0.2, 0.3], "y": ["b", "a", "b"]}), label="y")
    >>> ds.class_names, ds.labels.tolist(), ds.paths, len(ds.sha256)
    (['a', 'b'], [1, 0, 1], [], 64)
    """
    frame = frame if all(isinstance(c, str) for c in frame.columns) else frame.rename(columns=str)
    columns = list(frame.columns)
    _require_column(label, columns, where, what="label column", option="--label")
    if id_column is not None:
        _require_column(id_column, columns, where, what="id column", option="--id-column")
    for name in ignore or ():
        _require_column(name, columns, where, what="ignored column", option="--ignore")
    feature_columns = _select_features(columns, label, features, ignore, id_column, where)
    if task != "multilabel":
        refuse_nested(frame, label, what="label column", option="--label", where=where, multilabel_hint=True)
    refuse_nested(frame, id_column, what="id column", option="--id-column", where=where)
    notes: list[Note] = []

    ids = _read_ids(frame[id_column], column=id_column, where=where) if id_column else None
    if task == "multilabel":
        has_label, not_analysed, missing_note = np.ones(len(frame), dtype=bool), None, None
    else:
        has_label, not_analysed, missing_note = split_missing_labels(
            frame[label], ids, column=label, where=where, on_missing=on_missing_label
        )
    source_frame, positions = None, None
    if missing_note is not None:  # analyse the labelled rows; the Dataset keeps the others' record
        notes.append(missing_note)
        source_frame, positions = frame, np.flatnonzero(has_label)
        frame = frame.iloc[positions].reset_index(drop=True)
        ids = ids[positions] if ids is not None else None
    if task == "multilabel":
        from cleanaudit.data.label_sets import encode_label_sets, label_sets_note

        labels, class_names = encode_label_sets(frame[label], sep=label_sep, column=label, where=where)
        notes += label_sets_note(labels, label)
    else:
        labels, class_names = encode_labels(frame[label], column=label, where=where)
    feature_frame, roles, role_notes = _plan_features(frame, feature_columns, label, features is not None, where)
    notes += role_notes
    _reject_infinite(feature_frame, where)
    return Dataset(
        frame=frame,
        features=feature_frame,
        labels=labels,
        class_names=class_names,
        label_column=label,
        ids=ids,
        id_column=id_column,
        paths=list(paths),
        sha256=sha256 if sha256 is not None else frame_digest(source_frame if source_frame is not None else frame),
        notes=notes,
        roles=roles,
        positions=positions,
        not_analysed=not_analysed,
        source_frame=source_frame,
        task=task,
        label_sep=label_sep,
    )


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's column names and row hashes (stands in for a file's digest)."""
    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    try:
        hashes = pd.util.hash_pandas_object(frame, index=False)
    except TypeError:  # nested cells (lists, arrays, structs) are unhashable: hash their text instead
        hashes = pd.util.hash_pandas_object(frame.map(lambda v: repr(v) if not np.isscalar(v) else v), index=False)
    digest.update(hashes.to_numpy().tobytes())
    return digest.hexdigest()


def encode_labels(values: pd.Series, *, column: str = "label", where: str = "the data") -> tuple[np.ndarray, list]:
    """Turn label values into codes 0..K-1 and the sorted class names (Python scalars).

    >>> encode_labels(pd.Series(["b", "a", "b"]))
    (array([1, 0, 1]), ['a', 'b'])
    """
    _refuse_missing(
        values,
        f"label column '{column}' in {where}",
        hint="drop those rows or fill in their labels",
        missing=missing_label_mask(values),
    )
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(values.cat.categories.dtype)
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64")
        if not np.all(np.isfinite(numbers)) or not np.all(numbers == np.round(numbers)):
            bad = numbers[~(np.isfinite(numbers) & (numbers == np.round(numbers)))][0]
            raise InputError(
                f"label column '{column}' in {where} holds non-integer numbers (e.g. {bad})",
                hint="a classification label needs discrete values; pick a categorical column or round them",
            )
        values = pd.Series(numbers.astype("int64"), index=values.index)
    if values.dtype == object and pd.api.types.infer_dtype(values).startswith("mixed"):
        values = values.astype(str)  # e.g. ints and strings in one column: only text sorts them all
    codes, uniques = pd.factorize(values, sort=True)
    class_names = [u.item() if isinstance(u, np.generic) else u for u in np.asarray(uniques, dtype=object)]
    if len(class_names) < 2:
        raise InputError(
            f"label column '{column}' in {where} has a single class ({class_names[0]!r})",
            hint="an audit needs at least two classes; check the --label column",
        )
    return codes.astype(np.intp, copy=False), class_names


def _require_column(name: str, columns: list[str], where: str, *, what: str, option: str) -> None:
    if name in columns:
        return
    close = _closest(name, columns)
    suggestion = f"did you mean '{close[0]}'? " if close else ""
    raise InputError(
        f"{what} '{name}' not found in {where} (columns: {_names(columns)})",
        hint=f"{suggestion}pass {option} with one of the columns listed",
    )


def _select_features(
    columns: list[str],
    label: str,
    features: Sequence[str] | None,
    ignore: Sequence[str] | None,
    id_column: str | None,
    where: str,
) -> list[str]:
    ignored = set(ignore or ())
    if features is None:
        return [c for c in columns if c != label and c != id_column and c not in ignored]
    chosen = list(dict.fromkeys(features))  # keep order, drop repeats
    for name in chosen:
        _require_column(name, columns, where, what="feature column", option="--features")
    for special, option in ((label, "--label"), (id_column, "--id-column")):
        if special in chosen:
            raise InputError(
                f"column '{special}' is both a feature and the {option} column",
                hint="remove it from --features",
            )
    return [c for c in chosen if c not in ignored]


def _plan_features(
    frame: pd.DataFrame, columns: list[str], label: str, chosen: bool, where: str
) -> tuple[pd.DataFrame, dict[str, str], list[Note]]:
    """Column roles (:mod:`cleanaudit.data.roles`): the feature table, its roles, and the notes on them."""
    plan = plan_columns(frame, columns, label=label, chosen=chosen)
    nested = [c for c, why in plan.left_out.items() if why == "nested"]
    if nested and chosen:
        raise InputError(
            f"feature column(s) {_names(nested)} in {where} hold nested values that are not vectors of numbers "
            "of one length (structs, lists of text, ragged lists), which cannot be used as features",
            hint="leave them out of --features",
        )
    return plan.features, plan.roles, plan_notes(plan, frame, where=where)


def _read_ids(values: pd.Series, *, column: str, where: str) -> np.ndarray:
    _refuse_missing(
        values,
        f"id column '{column}' in {where}",
        hint="give every row an id, or leave out --id-column to use row positions",
    )
    duplicated = values.duplicated(keep=False).to_numpy()
    if duplicated.any():
        repeats = pd.unique(values[duplicated])
        raise InputError(
            f"id column '{column}' in {where} has {len(repeats)} repeated value(s) (e.g. {_preview(repeats)})",
            hint="ids must be unique; pick another --id-column or leave it out to use row positions",
        )
    return values.to_numpy()


def _reject_infinite(features: pd.DataFrame, where: str) -> None:
    bad = []
    for name in features.columns:
        column = features[name]
        if pd.api.types.is_float_dtype(column.dtype):
            numbers = column.to_numpy(dtype="float64", na_value=np.nan)
            if np.isinf(numbers).any():
                bad.append(name)
    if bad:
        raise InputError(
            f"feature column(s) {_names(bad)} in {where} hold infinite values",
            hint="replace inf/-inf with a finite value or leave the cell empty, or --ignore the column",
        )


def _refuse_missing(values: pd.Series, what: str, *, hint: str, missing: np.ndarray | None = None) -> None:
    missing = values.isna().to_numpy() if missing is None else missing
    if missing.any():
        rows = np.flatnonzero(missing)
        raise InputError(f"{what} has {len(rows)} missing value(s) (rows {_preview(rows)})", hint=hint)


def _preview(values: Sequence | np.ndarray, limit: int = 5) -> str:
    values = list(values)
    shown = ", ".join(str(v.item() if isinstance(v, np.generic) else v) for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


def _closest(name: str, options: Sequence[str]) -> list[str]:
    """The option the user probably meant: same name in another case, else the nearest spelling."""
    same = [o for o in options if o.lower() == name.lower()]
    return same[:1] or difflib.get_close_matches(name, options, n=1)
