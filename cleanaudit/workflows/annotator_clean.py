"""clean ``--strategy consensus``: write the table with each row's consensus label (``--annotators``).

The consensus is CROWDLAB's (:func:`cleanaudit.workflows.annotators.crowdlab`), from the annotators'
labels and a model cross-validated on their majority vote (or ``--pred-probs``). Every row of the
input is written, in order, with its columns as read plus ``consensus_label`` (the class name; empty
for a row no annotator labelled); ``<name>.manifest.csv`` beside it lists per row the majority vote,
the consensus, its quality score, the annotators' agreement and whether the consensus is doubtful.
Both files are staged and moved into place together, never over an input.

>>> from cleanaudit.workflows.clean_run import CleanRequest
>>> request = CleanRequest("sample_data/annotators/ticket_raters.csv", annotators="rater_*", strategy="consensus",
...                        dry_run=True)
>>> run_consensus_clean(request).payload["num_differs_from_majority_vote"]  # doctest: +SKIP
106
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cleanaudit.errors import ConfigError
from cleanaudit.workflows.result import CommandOutcome, RunContext

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.events import Events
    from cleanaudit.workflows.annotator_result import Crowd
    from cleanaudit.workflows.request import DataRequest

STRATEGY = "consensus"
# clean's options about label issues of one label column: they have no meaning for the consensus.
_OTHER_OPTIONS = (
    ("merge", "--merge"),
    ("noise_matrix", "--noise-matrix"),
    ("label_issues", "--label-issues"),
    ("test", "--test"),
    ("save_model", "--save-model"),
)


@dataclass
class ConsensusCleanResult(CommandOutcome):
    """The consensus written for every row, the manifest, and the files written."""

    crowd: Crowd
    manifest: pd.DataFrame  # one row per input row
    files: dict[str, str | None] = field(default_factory=dict)
    context: RunContext | None = field(default=None, repr=False, compare=False)

    @property
    def payload(self) -> dict[str, Any]:
        return self.context.payload if self.context is not None else {}


def check_consensus_request(request: DataRequest) -> None:
    """Refuse, before anything is read, a consensus clean that cannot run (or a consensus without annotators).

    ``request`` is clean's (a :class:`~cleanaudit.workflows.clean_run.CleanRequest`).
    """
    from cleanaudit.workflows.annotator_load import check_annotator_request

    strategy = getattr(request, "strategy", STRATEGY)
    if strategy == STRATEGY and not request.annotators:
        raise ConfigError(
            "--strategy consensus needs --annotators", hint="name the annotator columns, e.g. --annotators 'rater_*'"
        )
    if strategy != STRATEGY:
        raise ConfigError(
            f"--strategy {strategy} cleans one label column; with --annotators clean writes their consensus",
            hint="pass --strategy consensus",
        )
    check_annotator_request(request)
    for name, option in _OTHER_OPTIONS:
        if getattr(request, name, None) not in (None, [], ()):
            raise ConfigError(f"{option} has no effect with --strategy consensus", hint=f"leave out {option}")
    output = getattr(request, "output", None)
    if output is None and not getattr(request, "dry_run", False):
        raise ConfigError(
            "missing option '--output'",
            hint="name the table to write, e.g. --output consensus.csv, or pass --dry-run to only report",
        )
    if output is not None:
        from cleanaudit.data.cleaned import check_output_path

        check_output_path(Path(output))


def run_consensus_clean(
    request: DataRequest, *, events: Events | None = None, checkpoint: Callable[[], None] | None = None
) -> ConsensusCleanResult:
    """Find the consensus of the request's annotators and write it (``checkpoint()`` runs before the move)."""
    from cleanaudit.workflows.annotators import crowdlab, with_consensus
    from cleanaudit.workflows.prepare import prepare

    check_consensus_request(request)
    prepared = prepare(request, events)
    crowd = crowdlab(prepared)
    prepared = with_consensus(prepared, crowd)
    ds = prepared.dataset
    manifest = consensus_manifest(ds, crowd)
    files: dict[str, str | None] = {"output_file": None, "manifest_file": None}
    dry_run = bool(getattr(request, "dry_run", False))
    if dry_run:
        prepared.log.note("dry_run", "dry run: nothing written")
    else:
        files = _write(ds, manifest, Path(getattr(request, "output", None) or ""), checkpoint)
    passed = ds.not_analysed.count if ds.not_analysed is not None else 0
    payload: dict[str, Any] = {
        "strategy": STRATEGY,
        "rows_out": ds.num_input_rows,
        "passed_through": passed,
        "num_differs_from_majority_vote": int(np.sum(crowd.consensus != crowd.majority)),
        "num_doubtful": int(crowd.doubtful.sum()),
        "dry_run": dry_run,
        **files,
        **crowd.payload(),
    }
    context = prepared.conclude("clean", payload, per_row=crowd.per_row_columns())
    return ConsensusCleanResult(crowd, manifest, files, context)


def consensus_manifest(dataset: Dataset, crowd: Crowd) -> pd.DataFrame:
    """One row per input row: row, id, action, majority vote, consensus, its quality, agreement, annotations."""
    from cleanaudit.data.labels import full_file_columns

    names = np.array([_plain(c) for c in crowd.class_names], dtype=object)
    doubtful = crowd.doubtful
    columns = {
        "action": np.full(dataset.num_examples, STRATEGY, dtype=object),
        "majority_vote": names[crowd.majority],
        "consensus_label": names[crowd.consensus],
        "consensus_quality_score": crowd.quality,
        "annotator_agreement": crowd.agreement,
        "num_annotations": crowd.num_annotations,
        "is_doubtful": doubtful,
        "reason": np.where(crowd.consensus != crowd.majority, "consensus differs from the majority vote", "").astype(
            object
        ),
    }
    full = pd.DataFrame(full_file_columns(dataset, columns))
    if dataset.not_analysed is not None and dataset.not_analysed.count:
        left = ~full["analysed"].to_numpy()
        full.loc[left, "action"] = "not_analysed"
        full.loc[left, "reason"] = "no annotator labelled this row: passed through with no consensus"
        full.loc[left, "num_annotations"] = 0
    return full.drop(columns=["analysed", "not_analysed_reason"])


def _write(dataset: Dataset, manifest: pd.DataFrame, output: Path, checkpoint: Callable[[], None] | None) -> dict:
    from cleanaudit.data.annotators import CONSENSUS_COLUMN
    from cleanaudit.data.cleaned import source_table, write_table_and_manifest

    frame = dataset.input_frame.drop(columns=[dataset.label_column])  # the vote the model was trained on
    table = source_table(frame, dataset.paths, output).copy()
    table[CONSENSUS_COLUMN] = manifest["consensus_label"].to_numpy()
    return write_table_and_manifest(output, table, manifest, checkpoint)  # together, or neither


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
