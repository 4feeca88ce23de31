"""How the core reports while it works: notes (decisions taken for the user) and progress.

The core (workflows, models, data, checks) never prints. It reports through an :class:`Events`
object: ``note(Note)`` for every decision it takes for the user (a column left out, values
imputed, a model warning, a check skipped, ...) and ``progress(description, completed, total)``
for long steps. Every note also lands in the command's result, so JSON (``notes``), Markdown and
HTML carry them. The CLI passes an implementation that prints dim notes and a progress bar on
stderr; Python users get :data:`SILENT` by default, or :class:`CollectingEvents` to look at them.

>>> events = CollectingEvents()
>>> events.note(Note("id_like_column", "feature column ticket has a different value in every row",
...                  columns=("ticket",)))
>>> [n.kind for n in events.notes]
['id_like_column']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# Every kind of note, with what it says: a stable snake_case word per decision (README, "Notes").
KINDS: dict[str, str] = {
    "columns_left_out": "feature columns left out because they hold structs, lists of text or ragged lists (Parquet)",
    "missing_values_imputed": "feature columns with missing values, imputed before fitting the model",
    "id_like_column": "a column that identifies rows (unique, sequential or id-like name), left out of the features",
    "datetime_column": "text columns read as dates, encoded as epoch seconds plus the calendar parts that vary",
    "text_column": "free-text columns, encoded as TF-IDF word and character n-grams",
    "capped_categories": "a categorical column with more categories than the encoding keeps: the rest share one",
    "embedding_column": "a column of number vectors used as one vector feature (cosine for the neighbour graph)",
    "leakage": "a feature that gives the label away: a recoding left out, or one that alone predicts it",
    "missing_labels": "rows with no label, left out of the analysis",
    "rare_classes": "classes with fewer rows than the folds, left out of the analysis",
    "weak_model": "the model is not clearly better than the class prior: the findings are unreliable",
    "no_model_fitted": "no selected check needs pred_probs, so no model was fitted",
    "pred_probs_cache": "out-of-fold pred_probs reused from the cache of an earlier run",
    "pred_probs_cache_failed": "the pred_probs cache could not be read or written; the run went on without it",
    "pred_probs_saved": "--save-pred-probs: the file written and which pred_probs it holds",
    "model_selection": "--model auto: the presets compared and the one chosen",
    "model_warning": "a warning of the model while it was fitted",
    "in_sample_pred_probs": "--from-model on the rows the saved model was trained on: not out-of-sample",
    "ensemble_weights": "several models or --pred-probs files: each member's weight",
    "check_skipped": "an audit check that could not run, and why",
    "self_check_refit": "--self-check cross-validates again on the planted labels",
    "self_check_fallback": "--self-check auto flips 5% of rows where the run estimates almost no errors",
    "self_check_skipped": "--self-check did nothing because the label check did not run",
    "pairs_left_out": "overlap lists only the --top most overlapping class pairs",
    "detection_warning": "a warning of the label-issue detection (clean)",
    "model_choice": "clean chooses the model for --test/--save-model with --model auto",
    "model_note": "how the cleaned model was fitted (clean --test/--save-model)",
    "dry_run": "clean --dry-run: nothing was written",
    "plots_missing": "report.html has no plots because matplotlib is not installed",
    "batch_jobs": "a batch audits several datasets at a time (--jobs), or, on a cluster, does not use --jobs",
    "batch_dataset": "a batch starts auditing one dataset",
    "dataset_failed": "a dataset of a batch could not be audited (the others still run)",
    "neighbour_graph": "audit: how the neighbour graph was searched, when not exactly (an approximate search's recall) "
    "or more slowly than usual",
    "cluster": "--scheduler: the Dask cluster a run uses (address, workers, threads, memory)",
    "scheduler_unused": "--scheduler with clean on one dataset: it runs in this process (the cluster runs "
    "find-issues, audit, health, overlap and noise-matrix on one table, and batches)",
    "table_sample": "one table on a cluster: column roles and encoding decided on a seeded sample of rows",
    "empty_label_sets": "--task multilabel: rows with no labels, audited as having none of the classes",
    "multilabel_model": "--task multilabel: the model, fitted one-vs-rest (one binary model per class), and its folds",
    "uniform_class": "--task multilabel: a class in every row (or none), which no binary model can audit, left out",
    "table_training": "one table on a cluster: how each fold's model was trained (streamed, or on a capped sample)",
    "consensus": "--annotators: the label audited is the annotators' consensus (CROWDLAB); how the model was trained",
    "no_annotations": "--annotators: rows no annotator labelled, left out of the analysis",
    "label_not_used": "--label given with --annotators: not the label audited, and left out of the features",
    "annotations_left_out": "--annotators: labels of a class left out of the analysis, or an annotator left with none",
    "majority_vote_ties": "--annotators: votes still tied after every tie-break rule, broken at random (seeded)",
    "annotator_warning": "--annotators: a warning of the multi-annotator analysis",
    "annotation_lines_unknown": "--format github/sarif: the CSV's records did not match the rows read, so no lines",
}


@dataclass(frozen=True)
class Note:
    """One decision the tool took for the user.

    ``kind`` is one of :data:`KINDS`; ``message`` says it in a sentence; ``columns`` names the
    data columns it is about. ``details`` holds structured data a renderer may show instead of
    the sentence (the ``--model auto`` comparison as a table); it is not part of the JSON note.

    >>> Note("missing_values_imputed", "imputing x1 (3)", columns=["x1"]).record()
    {'kind': 'missing_values_imputed', 'message': 'imputing x1 (3)', 'columns': ['x1']}
    """

    kind: str
    message: str
    columns: tuple[str, ...] = ()
    details: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(str(c) for c in self.columns))

    def record(self) -> dict[str, Any]:
        """The note as JSON reports carry it: ``{kind, message, columns}``."""
        return {"kind": self.kind, "message": self.message, "columns": list(self.columns)}


@runtime_checkable
class Events(Protocol):
    """Where the core reports notes and progress while it works."""

    def note(self, note: Note) -> None: ...

    def progress(self, description: str, completed: int, total: int) -> None: ...


class SilentEvents:
    """Reports nothing (the default for Python callers; notes are still in the result)."""

    def note(self, note: Note) -> None:
        pass

    def progress(self, description: str, completed: int, total: int) -> None:
        pass


SILENT = SilentEvents()


class CollectingEvents(SilentEvents):
    """Keeps every note (and the last progress of each step), for tests and Python users."""

    def __init__(self) -> None:
        self.notes: list[Note] = []
        self.steps: dict[str, tuple[int, int]] = {}

    def note(self, note: Note) -> None:
        self.notes.append(note)

    def progress(self, description: str, completed: int, total: int) -> None:
        self.steps[description] = (completed, total)
