"""Load a table labelled by several annotators (``--annotators``): its label is their majority vote.

``sources.load_data`` hands a request with ``annotators`` to :func:`load_annotated`: the annotator
columns become the N x M code matrix (:mod:`cleanaudit.data.annotators`), and each row's majority
vote (:func:`~cleanaudit.engine.multiannotator.get_majority_vote_label`) is the label the model is
cross-validated on, as the reference's multi-annotator tutorial does, so the usual cross-validation,
model selection and cache apply. CROWDLAB then finds the consensus (:mod:`cleanaudit.workflows.annotators`).

Ties of the vote the engine breaks at random draw from NumPy's global RNG: :func:`engine_call`
seeds it with the run's ``--seed`` for the call and restores it after, so a run repeats exactly;
it also turns the engine's warnings (and any stray output) into notes, so nothing is printed.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError, InputError

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.workflows.request import DataRequest


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
            what = "give one --model or --pred-probs" if option == "an ensemble" else f"leave out {option}"
            raise ConfigError(
                f"{option} cannot be combined with --annotators: {why}",
                hint=f"{what}, or audit one label column with --label instead of --annotators",
            )


def load_annotated(request: DataRequest, paths: Sequence[Path | str] | None = None) -> Dataset:
    """The request's table with its annotators' labels; the label is their majority vote (what the model learns).

    >>> from cleanaudit.workflows.request import DataRequest
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "r1": ["a", "b", "a", None], "r2": ["a", "b", "b", "b"]})
    >>> ds = load_annotated(DataRequest(frame, annotators="r*"))
    >>> ds.class_names, ds.labels.tolist(), list(ds.features.columns)
    (['a', 'b'], [0, 1, 0, 1], ['x'])
    """
    from cleanaudit.data import annotators as data
    from cleanaudit.data.load import read_tables

    read: list[Path | str] = []
    sha256: str | None = None
    if paths is None and request.frame is not None:
        frame, where = request.frame.rename(columns=str), "the DataFrame"
    else:
        frame, where, read, sha256 = read_tables(list(paths) if paths is not None else request.sources)
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
    >>> votes.tolist()
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
            if "random" in message.lower():  # the engine's last tie-break
                tied = (
                    f"{step}: some rows' votes stay tied after every rule (the model, the rarer class, the more "
                    "reliable annotators): they are broken at random, seeded by --seed"
                )
                found.append(Note("majority_vote_ties", tied))
            else:
                found.append(Note("annotator_warning", f"{step}: {one_line(message)}"))
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
