"""clean on multi-label data (``--task multilabel``): drop the rows with label issues, or correct their sets.

``--strategy drop`` removes every row with a flagged label; ``--strategy relabel`` writes the
suggested set (the given labels without those flagged as wrong, plus those flagged as missing)
where the model is confident: when, for every flagged label, it gives the suggested state (absent
for a wrong label, present for a missing one) at least ``--relabel-threshold``; the other flagged
rows are removed, as in single-label ``relabel``. The corrections are only as good as the flags:
on the sample tickets (``sample_data/multilabel``, logistic regression, where about half the flags
are planted errors) the 138 rows relabelled at 0.5 held 72 right sets before and 54 after; at 0.8,
102 rows are relabelled (46 right before, 47 after) and 36 removed. Review before relabelling.

The label column keeps its form: a list column stays a list, text is joined with
``--label-sep``. Classes left out of the analysis (in every row) are kept in every set as given.
The cleaned table and its manifest (one row per input row: action, given and new set, flags) are
written together or not at all, never over an input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError
from cleanaudit.workflows.result import CommandOutcome, RunContext

if TYPE_CHECKING:
    import pandas as pd

    from cleanaudit.events import Events
    from cleanaudit.workflows.multilabel import MultilabelIssues

STRATEGIES = ("drop", "relabel")


@dataclass
class MultilabelCleanResult(CommandOutcome):
    """What cleaning did to each row of multi-label data, and the files written."""

    issues: MultilabelIssues
    strategy: str
    actions: np.ndarray  # per row: "kept", "removed" or "relabelled"
    new_sets: list[list[Any]]  # per row: the label set written (class names)
    files: dict[str, str | None] = field(default_factory=dict)
    relabel_threshold: float = 0.5
    context: RunContext | None = field(default=None, repr=False, compare=False)

    def count(self, action: str) -> int:
        return int(np.count_nonzero(self.actions == action))

    def payload(self) -> dict[str, Any]:
        return {
            "task": "multilabel",
            "strategy": self.strategy,
            "rows_in": len(self.actions),
            "rows_out": len(self.actions) - self.count("removed"),
            "removed": self.count("removed"),
            "relabelled": self.count("relabelled"),
            "num_issues": self.issues.num_issues,
            "relabel_threshold": self.relabel_threshold if self.strategy == "relabel" else None,
        }


# Requests are typed Any: clean_run hands them over here (a CleanRequest; importing it would close a cycle).
def check_multilabel_clean(request: Any) -> None:
    """Refuse clean's single-label options with --task multilabel, before anything is read."""
    if request.strategy not in STRATEGIES:
        raise ConfigError(
            f"--strategy {request.strategy} is not available with --task multilabel",
            hint=f"use one of: {', '.join(STRATEGIES)}",
        )
    for option, given in (
        ("--merge", bool(request.merge)),
        ("--noise-matrix", request.noise_matrix is not None),
        ("--label-issues", request.label_issues is not None),
        ("--test", request.test is not None),
        ("--save-model", request.save_model is not None),
    ):
        if given:
            raise ConfigError(f"{option} is not supported with --task multilabel", hint=f"leave out {option}")


def run_multilabel_clean(
    request: Any, events: Events | None = None, checkpoint: Callable[[], None] | None = None
) -> MultilabelCleanResult:
    """Clean multi-label data: find the label issues, then drop those rows or write the suggested sets."""
    from cleanaudit.data.cleaned import check_output_path
    from cleanaudit.workflows.multilabel import multilabel_issues, note_sparse_classes
    from cleanaudit.workflows.multilabel_prepare import check_multilabel_request, prepare_multilabel

    check_multilabel_request(request, "clean")
    check_multilabel_clean(request)
    output = Path(request.output) if request.output is not None else None
    if output is None and not request.dry_run:
        raise ConfigError(
            "missing option '--output'",
            hint="name the cleaned file, e.g. --output cleaned.csv, or pass --dry-run to only report",
        )
    if output is not None:
        check_output_path(output)
    prepared = prepare_multilabel(request, events, "clean")
    ds = prepared.dataset
    issues = multilabel_issues(
        ds.labels, prepared.pred_probs, ds.class_names, ids=ds.ids, positions=ds.positions, label_sep=ds.label_sep
    )
    note_sparse_classes(prepared, 1)
    actions = np.full(ds.num_examples, "kept", dtype=object)
    actions[issues.is_issue] = "removed"
    if request.strategy == "relabel":
        confident = np.where(issues.given == 1, 1.0 - prepared.pred_probs, prepared.pred_probs) >= (
            request.relabel_threshold
        )
        sure = issues.is_issue & (confident | ~issues.per_class).all(axis=1)
        actions[sure] = "relabelled"
    new_sets = _new_sets(ds, issues, actions == "relabelled")
    result = MultilabelCleanResult(
        issues, request.strategy, actions, new_sets, relabel_threshold=request.relabel_threshold
    )
    files: dict[str, str | None] = {"output_file": None, "manifest_file": None}
    manifest = _manifest(ds, issues, actions, new_sets)
    if request.dry_run:
        prepared.log.note("dry_run", "dry run: nothing written")
    else:
        assert output is not None
        files = _write(ds, output, actions, new_sets, manifest, checkpoint)
    result.files = files
    payload = {**result.payload(), **files, "dry_run": request.dry_run}
    per_row = dict(issues.per_row_frame_columns(), action=actions)
    result.context = prepared.conclude("clean", payload, per_row=per_row)
    return result


def _new_sets(ds: Any, issues: MultilabelIssues, relabel: np.ndarray) -> list[list[Any]]:
    """Each row's set as written: as given (all classes, also those left out), or corrected where ``relabel``."""
    from cleanaudit.data.label_sets import encode_label_sets, label_set_names

    full, names = encode_label_sets(ds.frame[ds.label_column], sep=ds.label_sep, column=ds.label_column)
    sets = [label_set_names(row, names) for row in full]
    audited = {name: k for k, name in enumerate(ds.class_names)}
    suggested = issues.suggested
    for i in np.flatnonzero(relabel):
        sets[i] = [
            n for n in names if (n in audited and suggested[i, audited[n]]) or (n not in audited and n in sets[i])
        ]
    return sets


def _cells(column: pd.Series, sets: list[list[Any]], sep: str) -> list[Any]:
    """The label cells to write: lists for a list column, else text joined with ``sep``."""
    from cleanaudit.data.label_sets import format_label_set

    if any(isinstance(v, (list, tuple, np.ndarray)) for v in column.tolist()):
        return [list(s) for s in sets]
    return [format_label_set(s, sep) for s in sets]


def _manifest(ds: Any, issues: MultilabelIssues, actions: np.ndarray, new_sets: list[list[Any]]) -> pd.DataFrame:
    import pandas as pd

    from cleanaudit.data.label_sets import format_label_set

    columns = issues.per_row_frame_columns()
    return pd.DataFrame(
        {
            "row": ds.row_positions,
            "id": ds.row_ids,
            "action": actions,
            "given_labels": columns["given_labels"],
            "new_labels": [format_label_set(s, ds.label_sep) for s in new_sets],
            "wrong_labels": columns["wrong_labels"],
            "missing_labels": columns["missing_labels"],
            "label_quality": issues.label_quality,
            "is_label_issue": issues.is_issue,
        }
    )


def _write(
    ds: Any,
    output: Path,
    actions: np.ndarray,
    new_sets: list[list[Any]],
    manifest: pd.DataFrame,
    checkpoint: Callable[[], None] | None,
) -> dict[str, str | None]:
    import pandas as pd

    from cleanaudit.data.cleaned import source_table, write_table_and_manifest

    table = source_table(ds.input_frame, ds.paths, output).copy()
    column = table[ds.label_column]
    cells = column.to_numpy(dtype=object).copy()  # rows left as they are keep their cell exactly as read
    changed = np.flatnonzero(actions == "relabelled")
    written = _cells(column, [new_sets[i] for i in changed], ds.label_sep)
    for i, cell in zip(changed, written):
        cells[i] = cell
    table[ds.label_column] = pd.Series(cells, index=table.index)
    cleaned = table.loc[actions != "removed"].reset_index(drop=True)
    return write_table_and_manifest(output, cleaned, manifest, checkpoint)  # together, or neither
