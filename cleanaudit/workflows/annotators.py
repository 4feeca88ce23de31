"""Several annotators per row (``--annotators``): load the table, vote, and find the consensus with CROWDLAB.

The flow, as the reference's multi-annotator tutorial runs it: the annotators' majority vote
(:func:`~cleanaudit.engine.multiannotator.get_majority_vote_label`) is the label the model is
cross-validated on (:func:`load_annotated`, reached through ``sources.load_data``, so the usual
cross-validation, model selection and cache apply); then :func:`crowdlab` weighs every annotator and
the model (``get_label_quality_multiannotator``, consensus ``best_quality``, quality ``crowdlab``)
into the consensus label, its quality score and the annotator table. Nothing here prints: the
engine runs with ``verbose=False``, its warnings become notes and any stray output is caught.

Ties of the vote the engine breaks at random draw from NumPy's global RNG; it is seeded with the
run's ``--seed`` for the call and restored after, so a run repeats exactly.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError, InputError

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.workflows.annotator_result import Crowd
    from cleanaudit.workflows.prepare import Prepared
    from cleanaudit.workflows.request import DataRequest
    from cleanaudit.workflows.result import NoteLog

CONSENSUS_METHOD = "best_quality"
QUALITY_METHOD = "crowdlab"


def check_annotator_request(request: DataRequest, *, train: Path | None = None, self_check: Any = None) -> None:
    """Refuse, before anything is read, what ``--annotators`` cannot be combined with."""
    given = [
        (request.task == "multilabel", "--task multilabel", "the annotators give one class per row"),
        (request.scheduler is not None, "--scheduler", "the multi-annotator analysis runs in this process"),
        (train is not None, "--train", "the model is cross-validated on the annotators' majority vote"),
        (self_check is not None, "--self-check", "it plants errors in one label column"),
        (len(request.models) > 1 or len(request.pred_probs_list) > 1, "an ensemble", "CROWDLAB weighs one model"),
    ]
    for on, option, why in given:
        if on:
            raise ConfigError(
                f"{option} cannot be combined with --annotators: {why}",
                hint=f"leave out {option}, or audit one label column with --label instead of --annotators",
            )


def load_annotated(request: DataRequest, paths: list[Path | str] | None = None) -> Dataset:
    """The request's table with its annotators' labels; the label is their majority vote (what the model learns).

    >>> from cleanaudit.workflows.request import DataRequest
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "r1": ["a", "b", "a", None], "r2": ["a", "b", "b", "b"]})
    >>> ds = load_annotated(DataRequest(frame, annotators="r*"))  # doctest: +SKIP
    >>> ds.class_names, ds.labels.tolist()  # doctest: +SKIP
    (['a', 'b'], [0, 1, 1, 1])
    """
    from cleanaudit.data import annotators as data
    from cleanaudit.data.load import read_tables

    if paths is None and request.frame is not None:
        frame, where, read, sha256 = request.frame.rename(columns=str), "the DataFrame", [], None
    else:
        frame, where, read, sha256 = read_tables(paths if paths is not None else request.sources)
    assert request.annotators is not None
    if getattr(request, "strategy", None) == "consensus" and data.CONSENSUS_COLUMN in frame.columns:
        raise ConfigError(
            f"{where} already has a column '{data.CONSENSUS_COLUMN}'",
            hint="rename or drop it before clean --strategy consensus, which writes that column",
        )
    columns = data.resolve_annotator_columns(request.annotators, list(frame.columns), where=where)
    annotations = data.read_annotations(frame, columns, where=where)
    votes, notes = majority_vote(annotations.codes, seed=request.seed)
    dataset = data.consensus_dataset(
        frame,
        annotations,
        votes,
        where=where,
        paths=read,
        sha256=sha256,
        label=request.label,
        features=list(request.features) if request.features is not None else None,
        ignore=list(request.ignore) if request.ignore is not None else None,
        id_column=request.id_column,
        on_missing_label=request.on_missing_label,
    )
    dataset.notes.extend(notes)
    return dataset


def majority_vote(codes: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, list[Any]]:
    """Each row's majority vote (class code; -1 where nobody labelled it) and the notes on ties.

    >>> votes, _ = majority_vote(np.array([[0.0, 0.0, 1.0], [1.0, np.nan, 1.0], [np.nan, np.nan, np.nan]]))
    >>> votes.tolist()  # doctest: +SKIP
    [0, 1, -1]
    """
    from cleanaudit.engine.multiannotator import get_majority_vote_label

    labelled = ~np.isnan(codes).all(axis=1)
    votes = np.full(len(codes), -1, dtype=np.intp)
    with engine_call(seed) as said:
        try:
            votes[labelled] = get_majority_vote_label(codes[labelled], verbose=False)
        except ValueError as err:  # every row tied: the reference's last tie-break has nothing to learn from
            raise InputError(
                f"the annotators' majority vote is tied on every row ({err})",
                hint="give rows where the annotators agree, or more annotators per row",
            ) from None
    return votes, said.notes("majority vote")


def crowdlab(prepared: Prepared, *, active_learning: bool = False) -> Crowd:
    """CROWDLAB on the prepared dataset's annotations and pred_probs: consensus, quality, annotator table.

    Labels of a class the dataset no longer has (left out as too small for the folds) count as not
    labelled, and an annotator left with none is left out; each is a note.
    """
    from cleanaudit.engine.multiannotator import get_active_learning_scores, get_label_quality_multiannotator
    from cleanaudit.workflows.annotator_result import Crowd

    ds, log = prepared.dataset, prepared.log
    if ds.annotations is None or prepared.pred_probs is None:
        raise ValueError("crowdlab needs a dataset loaded with --annotators, and its pred_probs")
    matrix, columns = _usable_matrix(ds, log)
    pred_probs = np.asarray(prepared.pred_probs, dtype=np.float64)
    with engine_call(prepared.request.seed) as said:
        found = get_label_quality_multiannotator(
            matrix,
            pred_probs,
            consensus_method=CONSENSUS_METHOD,
            quality_method=QUALITY_METHOD,
            verbose=False,
            return_weights=True,
        )
        scores = get_active_learning_scores(matrix, pred_probs)[0] if active_learning else None
    for note in said.notes("CROWDLAB"):
        log.add(note)
    crowd = Crowd.from_engine(found, columns, ds, matrix, majority=ds.labels, active_learning=scores)
    _note_consensus(prepared, crowd, log)
    return crowd


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


class _Said:
    """What the engine said during a call: its warnings (and anything it printed), as notes."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.printed = ""

    def notes(self, step: str) -> list[Any]:
        from cleanaudit.errors import one_line
        from cleanaudit.events import Note

        found = []
        for message in dict.fromkeys(self.warnings):
            kind = "majority_vote_ties" if "random" in message.lower() else "annotator_warning"
            text = (
                f"{step}: some rows' votes stay tied after every rule (the model, the rarer class, the more "
                "reliable annotators): they are broken at random, seeded by --seed"
                if kind == "majority_vote_ties"
                else f"{step}: {one_line(message)}"
            )
            found.append(Note(kind, text))
        if self.printed.strip():
            found.append(Note("annotator_warning", f"{step}: {one_line(self.printed)}"))
        return found


@contextlib.contextmanager
def engine_call(seed: int) -> Iterator[_Said]:
    """Run engine code with NumPy's global RNG seeded (restored after), warnings and prints caught."""
    said = _Said()
    state = np.random.get_state()
    np.random.seed(seed)
    printed = io.StringIO()
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed):
            warnings.simplefilter("always")
            yield said
        said.warnings = [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
        said.printed = printed.getvalue()
    finally:
        np.random.set_state(state)
