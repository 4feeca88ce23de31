"""Several annotators' labels of each row (``--annotators``): the columns, the classes, the code matrix.

A crowd-labelled table holds one column per annotator (``rater_1 ... rater_5``); an empty cell
means that annotator did not label the row. The class names are the sorted union of every
annotator's values, ordered as a single label column's are (:func:`~cleanaudit.data.frame.encode_labels`:
whole numbers sort as numbers, text as text). The matrix holds the class codes as floats with NaN
for "not labelled": the engine's ``labels_multiannotator`` (:mod:`cleanaudit.engine.multiannotator`).

:func:`consensus_dataset` makes the :class:`~cleanaudit.data.dataset.Dataset` a command audits:
its label is the consensus (at first the majority vote the model is trained on, computed in
:mod:`cleanaudit.workflows.annotators`), the annotator columns, the id column and ``--label`` are
never features, and the rows nobody labelled are left out with a note.

>>> frame = pd.DataFrame({"x": [1.0, 2, 3], "rater_1": ["a", "b", None], "rater_2": ["a", None, "c"]})
>>> columns = resolve_annotator_columns("rater_*", list(frame.columns), where="t.csv")
>>> found = read_annotations(frame, columns, where="t.csv")
>>> columns, found.class_names, found.codes.tolist()
(['rater_1', 'rater_2'], ['a', 'b', 'c'], [[0.0, 0.0], [1.0, nan], [nan, 2.0]])
"""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cleanaudit.data.columns import refuse_nested
from cleanaudit.data.dataset import Dataset
from cleanaudit.data.frame import dataset_from_frame, encode_labels
from cleanaudit.data.labels import PREVIEW, missing_label_mask
from cleanaudit.errors import InputError
from cleanaudit.errors import name_list as _names
from cleanaudit.events import Note

NO_ANNOTATIONS = "no_annotations"  # the not-analysed reason of a row no annotator labelled
CONSENSUS_COLUMN = "consensus_label"  # the label column of the Dataset (and the column clean writes)


@dataclass(frozen=True)
class Annotations:
    """The annotators' labels of every input row: ``codes[i, m]`` is annotator ``columns[m]``'s class
    code for row ``i`` (into ``class_names``), NaN where that annotator did not label the row."""

    columns: list[str]
    codes: np.ndarray
    class_names: list[Any]

    @property
    def counts(self) -> np.ndarray:
        """How many annotators labelled each input row."""
        return np.sum(~np.isnan(self.codes), axis=1)

    def matrix(self, positions: np.ndarray, class_names: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """The rows at ``positions`` coded into ``class_names``, and how many labels per annotator had a
        class not among them (they become NaN: e.g. a class left out as too small for the folds).

        >>> a = Annotations(["r1", "r2"], np.array([[0.0, 2.0], [1.0, np.nan]]), ["a", "b", "c"])
        >>> L, dropped = a.matrix(np.array([0, 1]), ["a", "b"])
        >>> L.tolist(), dropped.tolist()
        ([[0.0, nan], [1.0, nan]], [0, 1])
        """
        where = {name: k for k, name in enumerate(class_names)}
        recode = np.array([where.get(name, -1) for name in self.class_names], dtype=np.float64)
        rows = self.codes[np.asarray(positions, dtype=np.intp)]
        labelled = ~np.isnan(rows)
        out = np.full(rows.shape, np.nan)
        out[labelled] = recode[rows[labelled].astype(np.intp)]
        lost = labelled & (out < 0)
        out[lost] = np.nan
        return out, lost.sum(axis=0)

    def labels_of(self, position: int) -> dict[str, Any]:
        """Each annotator's label of input row ``position`` (class name, ``None`` = not labelled)."""
        row = self.codes[int(position)]
        return {c: (None if np.isnan(v) else _plain(self.class_names[int(v)])) for c, v in zip(self.columns, row)}


def resolve_annotator_columns(spec: str | Sequence[str], columns: Sequence[str], *, where: str) -> list[str]:
    """The annotator columns ``spec`` names, in table order: names and globs, comma-separated (or a list).

    >>> resolve_annotator_columns("r*, x", ["x", "r2", "r1", "y"], where="t.csv")
    ['x', 'r2', 'r1']
    """
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else [str(s).strip() for s in spec]
    items = [s for s in items if s]
    columns = [str(c) for c in columns]
    if not items:
        raise InputError(
            "--annotators names no columns", hint="give the annotator columns, e.g. --annotators 'rater_*'"
        )
    chosen: set[str] = set()
    for item in items:
        if glob.has_magic(item):
            matched = [c for c in columns if fnmatch.fnmatchcase(c, item)]
            if not matched:
                raise InputError(
                    f"--annotators '{item}' matches no column of {where} (columns: {_names(columns)})",
                    hint="check the pattern (it is matched against the column names, case-sensitively)",
                )
            chosen.update(matched)
        elif item in columns:
            chosen.add(item)
        else:
            same = [c for c in columns if c.lower() == item.lower()]
            hint = f"did you mean '{same[0]}'? " if same else ""
            raise InputError(
                f"annotator column '{item}' not found in {where} (columns: {_names(columns)})",
                hint=f"{hint}pass --annotators the annotator columns, or a glob such as 'rater_*'",
            )
    found = [c for c in columns if c in chosen]
    if len(found) < 2:
        raise InputError(
            f"--annotators names one column of {where} ('{found[0]}'): several annotators are needed",
            hint="give two or more annotator columns, or audit that one column with --label",
        )
    return found


def read_annotations(frame: pd.DataFrame, columns: Sequence[str], *, where: str) -> Annotations:
    """The annotators' labels as class codes (NaN = not labelled) and the classes, sorted.

    An empty cell (NaN, ``None``, blank text) means "not labelled"; a column with no label at all,
    nested values or non-integer numbers is refused, naming the column.
    """
    values = []
    for column in columns:
        refuse_nested(frame, column, what="annotator column", option="--annotators", where=where)
        cells = frame[column]
        present = ~missing_label_mask(cells)
        if not present.any():
            raise InputError(
                f"annotator column '{column}' in {where} holds no labels: all {len(cells)} cells are empty",
                hint="leave that column out of --annotators",
            )
        values.append(_whole_numbers(cells[present], column, where))
    stacked = pd.concat(values, ignore_index=True)
    distinct = pd.unique(stacked.astype(str)) if stacked.dtype == object else pd.unique(stacked)
    if len(distinct) < 2:
        raise InputError(
            f"the annotator columns {_names(columns, limit=5)} in {where} hold a single class ({distinct[0]!r})",
            hint="an audit needs at least two classes; check the --annotators columns",
        )
    codes, class_names = encode_labels(stacked, column=str(columns[0]), where=where)
    matrix = np.full((len(frame), len(columns)), np.nan)
    start = 0
    for m, part in enumerate(values):
        rows = part.index.to_numpy()
        matrix[rows, m] = codes[start : start + len(part)]
        start += len(part)
    if np.sum(~np.isnan(matrix), axis=1).max() < 2:
        raise InputError(
            f"no row of {where} is labelled by two or more of the annotators ({_names(columns, limit=5)}): "
            "there is nothing to compare them on",
            hint="audit the labels as one column with --label, or have some rows labelled by several annotators",
        )
    return Annotations(list(columns), matrix, class_names)


def _whole_numbers(cells: pd.Series, column: str, where: str) -> pd.Series:
    """Numbers that are whole as integers (a column with empty cells is read as floats: 1.0 means 1)."""
    if not pd.api.types.is_float_dtype(cells.dtype):
        return cells
    numbers = cells.to_numpy(dtype="float64")
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
    if bad.any():
        raise InputError(
            f"annotator column '{column}' in {where} holds non-integer numbers (e.g. {numbers[bad][0]})",
            hint="an annotator's label is a class: text or whole numbers",
        )
    return pd.Series(numbers.astype("int64"), index=cells.index)


def consensus_dataset(
    frame: pd.DataFrame,
    annotations: Annotations,
    votes: np.ndarray,
    *,
    where: str,
    paths: Sequence[Path | str] = (),
    sha256: str | None = None,
    label: str | None = None,
    features: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    id_column: str | None = None,
    on_missing_label: str = "skip",
) -> Dataset:
    """The Dataset of an annotated table whose label is ``votes`` (class codes per input row, -1 = nobody
    labelled the row: it is left out with a ``no_annotations`` note, or refused with ``on_missing_label="error"``).

    Every annotator class is a class of the Dataset, even one ``votes`` never names. ``label``
    (``--label``), when given, is not used as the label: it is left out of the features with a note.

    >>> frame = pd.DataFrame({"x": [1.0, 2, 3], "r1": ["a", "b", None], "r2": ["a", "b", None]})
    >>> a = read_annotations(frame, ["r1", "r2"], where="t.csv")
    >>> ds = consensus_dataset(frame, a, np.array([0, 1, -1]), where="t.csv")
    >>> ds.labels.tolist(), list(ds.features.columns), ds.not_analysed.reasons, ds.notes[0].kind
    ([0, 1], ['x'], ['no_annotations'], 'no_annotations')
    """
    columns = list(annotations.columns)
    for name, option in ((label, "--label"), (id_column, "--id-column")):
        if name is not None and name in columns:
            raise InputError(
                f"column '{name}' is both an annotator (--annotators) and the {option} column",
                hint=f"leave it out of --annotators or of {option}",
            )
    for name in features or ():
        if name in columns or name == label:
            what = "an annotator (--annotators)" if name in columns else "the --label column"
            raise InputError(f"column '{name}' is both a feature and {what}", hint="remove it from --features")
    votes = np.asarray(votes, dtype=np.intp)
    nobody = np.flatnonzero(votes < 0)
    if nobody.size and on_missing_label == "error":
        raise InputError(
            f"{nobody.size} row(s) of {where} have no label in any annotator column (rows {_preview(nobody)})",
            hint="drop those rows or have them labelled, or pass --on-missing-label skip to leave them out",
        )
    target = CONSENSUS_COLUMN
    while target in frame.columns:
        target += "_"
    names = np.array([_plain(c) for c in annotations.class_names] + [None], dtype=object)
    table = frame.assign(**{target: names[votes]})
    notes = []
    if label is not None:
        if label not in frame.columns:
            raise InputError(
                f"label column '{label}' not found in {where} (columns: {_names(list(frame.columns))})",
                hint="leave out --label: with --annotators the label is the annotators' consensus",
            )
        notes.append(
            Note(
                "label_not_used",
                f"--label '{label}' is not used with --annotators: the label audited "
                "is the annotators' consensus; the column is left out of the features",
                columns=(label,),
            )
        )
    left_out = [*columns, *([label] if label is not None else []), *(ignore or ())]
    ds = dataset_from_frame(
        table,
        label=target,
        features=features,
        ignore=left_out,
        id_column=id_column,
        where=where,
        paths=paths,
        sha256=sha256,
    )
    own = [n for n in ds.notes if n.kind != "missing_labels"]
    record = ds.not_analysed
    if record is not None:
        record = replace(record, reasons=[NO_ANNOTATIONS] * record.count)
        notes.append(
            Note(
                "no_annotations",  # the note's kind, and the rows' NO_ANNOTATIONS reason
                f"left out {record.count} of {len(frame)} row(s) of {where} that no "
                f"annotator labelled (rows {_preview(record.positions)}); they are reported as not analysed",
                columns=tuple(columns),
                details={"count": record.count, "rows": record.positions[:PREVIEW].tolist()},
            )
        )
    codes = np.array([annotations.class_names.index(c) for c in ds.class_names], dtype=np.intp)
    return replace(
        ds,
        labels=codes[ds.labels],
        class_names=list(annotations.class_names),
        notes=notes + own,
        not_analysed=record,
        annotations=annotations,
    )


def _preview(values: np.ndarray) -> str:
    shown = ", ".join(str(int(v)) for v in values[:PREVIEW])
    return shown + (", ..." if len(values) > PREVIEW else "")


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
