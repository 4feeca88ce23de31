"""CROWDLAB on a table labelled by several annotators (``--annotators``): the consensus and the annotator table.

The table was loaded by :mod:`cleanaudit.workflows.annotator_load` (its label: the majority vote the
model is cross-validated on); :func:`crowdlab` weighs every annotator and the model
(``get_label_quality_multiannotator``, consensus ``best_quality``, quality ``crowdlab``) into the
consensus label, its quality score and the annotator table (:class:`~.annotator_result.Crowd`), and
:func:`with_consensus` makes the consensus the label the commands audit. Nothing here prints: the
engine runs with ``verbose=False`` and its warnings become notes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cleanaudit.errors import InputError, one_line
from cleanaudit.workflows.annotator_load import engine_call
from cleanaudit.workflows.annotator_result import CONSENSUS_METHOD, QUALITY_METHOD, Crowd

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.workflows.prepare import Prepared
    from cleanaudit.workflows.result import NoteLog


def crowdlab(prepared: Prepared, *, active_learning: bool = False) -> Crowd:
    """CROWDLAB on the prepared dataset's annotations and pred_probs: consensus, quality, annotator table.

    Labels of a class the dataset no longer has (left out as too small for the folds) count as not
    labelled, and an annotator left with none is left out; each is a note.
    """
    from cleanaudit.engine.multiannotator import get_active_learning_scores, get_label_quality_multiannotator

    ds, log = prepared.dataset, prepared.log
    if ds.annotations is None or prepared.pred_probs is None:
        raise ValueError("crowdlab needs a dataset loaded with --annotators, and its pred_probs")
    matrix, columns = _usable_matrix(ds, log)
    pred_probs = np.asarray(prepared.pred_probs, dtype=np.float64)
    with engine_call(prepared.request.seed) as said:
        try:
            found = get_label_quality_multiannotator(
                matrix,
                pred_probs,
                consensus_method=CONSENSUS_METHOD,
                quality_method=QUALITY_METHOD,
                verbose=False,
                return_weights=True,
            )
            scores = get_active_learning_scores(matrix, pred_probs)[0] if active_learning else None
        except ValueError as err:  # the engine's checks of the annotations (spec Part B, section 9)
            where = ", ".join(str(p) for p in ds.paths) or "the data"
            raise InputError(
                f"the annotators' labels of {where} cannot be analysed: {one_line(err)}",
                hint="check the --annotators columns",
            ) from None
    for note in said.notes("CROWDLAB"):
        log.add(note)
    crowd = Crowd.from_engine(found, columns, ds, matrix, majority=ds.labels, active_learning=scores)
    _note_consensus(prepared, crowd, log)
    return crowd


def consensus_prepared(prepared: Prepared) -> Prepared:
    """``prepared`` with CROWDLAB's consensus as its labels (overlap and noise-matrix audit the consensus)."""
    return with_consensus(prepared, crowdlab(prepared))


def with_consensus(prepared: Prepared, crowd: Crowd) -> Prepared:
    """``prepared`` whose dataset's labels are the consensus (the checks then audit it)."""
    from dataclasses import replace

    dataset = replace(prepared.dataset, labels=crowd.consensus.astype(np.intp))
    return replace(prepared, dataset=dataset)


def _usable_matrix(ds: Dataset, log: NoteLog) -> tuple[np.ndarray, list[str]]:
    """The N x M matrix of the analysed rows in the dataset's classes, without annotators left with no label."""
    matrix, lost = ds.annotations.matrix(ds.row_positions, ds.class_names)
    columns = list(ds.annotations.columns)
    if lost.sum():
        gone = [c for c in ds.annotations.class_names if c not in ds.class_names]
        per = ", ".join(f"{c} {int(n)}" for c, n in zip(columns, lost) if n)
        log.note(
            "annotations_left_out",
            f"{int(lost.sum())} annotation(s) of class(es) {', '.join(map(repr, gone))}, which the analysis left "
            f"out, count as not labelled ({per})",
            columns=[c for c, n in zip(columns, lost) if n],
        )
    empty = np.isnan(matrix).all(axis=0)
    if empty.any():
        names = [c for c, e in zip(columns, empty) if e]
        if (~empty).sum() < 2:
            raise InputError(
                f"only {int((~empty).sum())} annotator column(s) have labels of the classes analysed "
                f"({', '.join(names)} have none left)",
                hint="give two or more annotators, or --cv fewer folds so that fewer classes are left out",
            )
        log.note("annotations_left_out", f"left out annotator(s) {', '.join(names)}: no label left", columns=names)
        matrix, columns = matrix[:, ~empty], [c for c, e in zip(columns, empty) if not e]
    return matrix, columns


def _note_consensus(prepared: Prepared, crowd: Crowd, log: NoteLog) -> None:
    run = prepared.run
    source = run.get("pred_probs_source")
    if source == "cross-validation":
        what = f"the model ({run.get('model')}) was cross-validated on the annotators' majority vote, as CROWDLAB does"
    else:
        what = f"the pred_probs come from {source}"
    changed = int(np.sum(crowd.consensus != crowd.majority))
    run["annotators"] = {
        "columns": crowd.columns,
        "trained_on": "majority vote" if source == "cross-validation" else None,
    }
    log.note(
        "consensus",
        f"the label audited is the consensus of {len(crowd.columns)} annotators ({', '.join(crowd.columns)}): {what}; "
        f"CROWDLAB ({CONSENSUS_METHOD}, {QUALITY_METHOD}) then weighs each annotator and the model; the consensus "
        f"differs from the majority vote on {changed} of {len(crowd.consensus)} rows",
        columns=crowd.columns,
    )
