"""The ``Dataset``: a loaded table split into features, encoded labels and row ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cleanaudit.events import Note


@dataclass
class Dataset:
    """A table ready for auditing.

    ``labels`` holds integer codes 0..K-1 into ``class_names`` (sorted label values, as
    scikit-learn's ``classes_``). ``features`` holds the raw (not yet encoded) feature columns.
    ``ids`` holds the ``--id-column`` values, or ``None`` (rows are then identified by position).

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
    paths: list[Path] = field(default_factory=list)
    sha256: str = ""
    notes: list[Note] = field(default_factory=list)  # what loading decided for the user (columns left out)

    @property
    def num_examples(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def row_ids(self) -> np.ndarray:
        """The user's ids when given, else 0-based row positions."""
        return self.ids if self.ids is not None else np.arange(self.num_examples)
