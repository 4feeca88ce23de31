"""The classes too small for the cross-validation folds, left out before a command cross-validates.

:func:`leave_out_rare_classes` applies ``--on-rare-class`` to the data (or, with ``--train``, to the
training file, whose folds they are), noting what it left out; :mod:`cleanaudit.data.labels` holds
the rule and the record of the rows not analysed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.workflows.request import DataRequest
    from cleanaudit.workflows.result import NoteLog


def leave_out_rare_classes(
    dataset: Dataset, request: DataRequest, log: NoteLog, *, train: Path | None = None
) -> Dataset:
    """``dataset`` without the classes too small for the ``--cv`` folds (``--on-rare-class``), noted.

    With ``train`` the folds are those of the training file: its small classes are left out of
    the fit, so the data's rows of those classes cannot be scored and are left out too.
    """
    from cleanaudit.data.labels import RARE_CLASS, leave_out_classes
    from cleanaudit.data.labels import leave_out_rare_classes as leave_out

    if train is None:
        kept, note = leave_out(dataset, cv=request.cv, on_rare_class=request.on_rare_class)
        if note is not None:
            log.add(note)
        return kept
    from cleanaudit.workflows.sources import load_data

    training = load_data(request, [train])
    kept_train, note = leave_out(training, cv=request.cv, on_rare_class=request.on_rare_class, where=f"--train {train}")
    if note is None:
        return dataset
    log.add(note)
    gone = [k for k, name in enumerate(dataset.class_names) if name not in kept_train.class_names]
    kept = leave_out_classes(dataset, gone, reason=RARE_CLASS)
    if kept.num_examples < dataset.num_examples:
        where = ", ".join(str(p) for p in dataset.paths) or "the data"
        log.note(
            "rare_classes",
            f"left out {dataset.num_examples - kept.num_examples} row(s) of {where} whose class is left out of "
            f"--train {train}: the model cannot score them; they are reported as not analysed",
            columns=[dataset.label_column],
        )
    return kept
