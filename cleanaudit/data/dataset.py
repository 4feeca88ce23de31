"""The ``Dataset``: a loaded table split into features, encoded labels and row ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cleanaudit.events import Note


@dataclass(frozen=True)
class NotAnalysed:
    """Rows of the input left out of the analysis, in file order.

    ``positions`` are 0-based rows of the input; ``ids`` their ``--id-column`` values (``None``:
    rows are identified by position); ``labels`` the label values as read (``None`` when missing).

    >>> r = NotAnalysed(np.array([4]), None, [None], ["missing_label"])
    >>> r.count, r.payload()["by_reason"]
    (1, {'missing_label': 1})
    """

    positions: np.ndarray
    ids: np.ndarray | None
    labels: list[Any]
    reasons: list[str]

    @property
    def count(self) -> int:
        return int(len(self.positions))

    def row_ids(self) -> np.ndarray:
        return self.ids if self.ids is not None else self.positions

    def payload(self) -> dict[str, Any]:
        """The JSON ``not_analysed`` object: how many, per reason, and every row."""
        ids = self.row_ids()
        by_reason: dict[str, int] = {}
        for reason in self.reasons:
            by_reason[reason] = by_reason.get(reason, 0) + 1
        rows = [
            {"row": int(p), "id": _plain(i), "label": _plain(v), "reason": r}
            for p, i, v, r in zip(self.positions, ids, self.labels, self.reasons)
        ]
        return {"count": self.count, "by_reason": by_reason, "rows": rows}

    def joined(self, other: NotAnalysed | None) -> NotAnalysed:
        """Both records as one, in file order."""
        if other is None or other.count == 0:
            return self
        positions = np.concatenate([self.positions, other.positions])
        order = np.argsort(positions, kind="stable")
        ids = None if self.ids is None or other.ids is None else np.concatenate([self.ids, other.ids])[order]
        labels, reasons = self.labels + other.labels, self.reasons + other.reasons
        return NotAnalysed(positions[order], ids, [labels[i] for i in order], [reasons[i] for i in order])


@dataclass
class Dataset:
    """A table ready for auditing.

    ``labels`` holds integer codes 0..K-1 into ``class_names`` (sorted label values, as
    scikit-learn's ``classes_``). ``features`` holds the raw (not yet encoded) feature columns.
    With ``task="multilabel"`` ``labels`` is instead the (N, K) 0/1 matrix of each row's labels.
    ``ids`` holds the ``--id-column`` values, or ``None`` (rows are then identified by position).
    Rows whose label cannot be analysed (:mod:`cleanaudit.data.labels`) are left out of every
    array here: ``positions`` holds the input row of each analysed row (``None``: every row, in
    order), ``not_analysed`` the rows left out, and ``source_frame`` the whole table as read.

    >>> ds = Dataset(frame=pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]}),
    ...              features=pd.DataFrame({"x": [1.0, 2.0]}), labels=np.array([0, 1]),
    ...              class_names=["a", "b"], label_column="y")
    >>> ds.num_examples, ds.num_classes
    (2, 2)
    """

    frame: pd.DataFrame
    features: pd.DataFrame
    labels: np.ndarray
    class_names: list
    label_column: str
    ids: np.ndarray | None = None
    id_column: str | None = None
    paths: list[Path | str] = field(default_factory=list)  # fsspec URLs stay text (a Path folds "//")
    sha256: str = ""
    notes: list[Note] = field(default_factory=list)  # what loading decided for the user (columns left out)
    roles: dict[str, str] = field(default_factory=dict)  # feature column -> role (cleanaudit.data.roles)
    positions: np.ndarray | None = None  # 0-based input row of each analysed row; None: all rows in order
    not_analysed: NotAnalysed | None = None  # input rows left out (missing label, rare class)
    source_frame: pd.DataFrame | None = None  # the whole table as read, when rows were left out
    task: str = "multiclass"  # "multilabel": labels is the (N, K) 0/1 matrix of each row's label set
    label_sep: str = ","  # multilabel: the separator of a text label column (corrected sets are written with it)
    annotations: Any = None  # --annotators: every input row's labels (cleanaudit.data.annotators.Annotations)

    @property
    def num_examples(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def row_positions(self) -> np.ndarray:
        """The 0-based input row of each analysed row."""
        return self.positions if self.positions is not None else np.arange(self.num_examples)

    @property
    def num_input_rows(self) -> int:
        """Rows of the input: the analysed ones and those left out."""
        return self.num_examples + (self.not_analysed.count if self.not_analysed is not None else 0)

    @property
    def input_frame(self) -> pd.DataFrame:
        """The whole table as read (with the rows not analysed)."""
        return self.source_frame if self.source_frame is not None else self.frame

    @property
    def row_ids(self) -> np.ndarray:
        """The user's ids when given, else the 0-based input row positions."""
        return self.ids if self.ids is not None else self.row_positions


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
