"""``clean --corrections FILE``: apply the decisions a person made in ``cleanaudit review``.

Each reviewed row gets exactly its decision: ``relabel`` the new class, ``drop`` removed, ``keep``
kept as it is (even when flagged). Without ``--strategy`` nothing else changes and no model is
fitted for it; with ``--strategy S`` the automatic strategy decides only the rows not reviewed.
The manifest's ``source`` column says which ("reviewed", or the strategy's name).

Refused, one line each: corrections with ``--task multilabel`` or ``--annotators`` (their rows are
label sets or votes, not one class), and ``--label-issues`` without ``--strategy`` (it would decide
nothing; with ``--strategy`` it names the issues among the rows not reviewed).

>>> import numpy as np
>>> from cleanaudit.workflows.clean import detection_from_issues, plan_cleaning
>>> base = plan_cleaning(np.array([0, 0, 1]), ["a", "b"], detection_from_issues(np.array([True, True, False]),
...                      "f", labels=np.array([0, 0, 1])))
>>> plan = with_decisions(base, np.array(["keep", "", "relabel"], dtype=object), np.array([-1, -1, 0]), "c.csv",
...                       np.array([2, 0, 3]))
>>> plan.actions.tolist(), plan.new_labels.tolist(), plan.sources.tolist()
(['kept', 'removed', 'relabelled'], [0, 0, 0], ['reviewed', 'drop', 'reviewed'])
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError

if TYPE_CHECKING:
    from cleanaudit.data.corrections import Corrections
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.workflows.clean import CleaningPlan
    from cleanaudit.workflows.merging import ClassMerge

REVIEWED = "reviewed"  # the manifest's source (and the strategy of a plan with no automatic one)
_DONE = {"relabel": "relabelled", "drop": "removed", "keep": "kept"}


# Requests are typed Any: clean_run calls us with its CleanRequest (importing it would close a cycle).
def check_request(request: Any) -> None:
    """Refuse option combinations that make no sense with ``--corrections`` (before anything is read)."""
    if request.corrections is None:
        return
    if request.task == "multilabel":
        raise ConfigError(
            "--corrections is not available with --task multilabel", hint="review single-label data, or leave it out"
        )
    if request.annotators or request.strategy == "consensus":
        raise ConfigError(
            "--corrections cannot be combined with --annotators / --strategy consensus",
            hint="clean the consensus first, then review and clean its output",
        )
    if request.label_issues is not None and request.strategy is None:
        raise ConfigError(
            "--label-issues with --corrections needs --strategy: the reviewed rows are decided by the corrections",
            hint="add --strategy drop (or relabel, weight) to clean the other flagged rows, or drop --label-issues",
        )


def only_decisions(working: Dataset, detection: Any, corrections: Corrections, merged: ClassMerge) -> CleaningPlan:
    """A plan that keeps every row but the reviewed ones (no automatic strategy)."""
    from cleanaudit.workflows.clean import CleaningPlan, detection_from_issues

    n = working.num_examples
    action, codes = _in_working_classes(corrections, merged)
    confirmed = (action == "drop") | ((action == "relabel") & (codes != working.labels))
    if detection is None:  # no pred_probs: the reviewer's confirmed issues are the issues
        detection = detection_from_issues(confirmed, f"reviewed in {corrections.source}", labels=working.labels)
    base = CleaningPlan(
        REVIEWED,
        list(working.class_names),
        working.labels,
        working.labels.copy(),
        np.ones(n, dtype=bool),
        np.full(n, "kept", dtype=object),
        ["" for _ in range(n)],
        detection,
        None,
        None,
        0.5,
        sources=np.full(n, "not reviewed", dtype=object),
    )
    return with_decisions(base, action, codes, corrections.source, corrections.line)


def over_strategy(plan: CleaningPlan, corrections: Corrections, merged: ClassMerge) -> CleaningPlan:
    """``plan`` (an automatic strategy's) with every reviewed row decided by its correction instead."""
    action, codes = _in_working_classes(corrections, merged)
    return with_decisions(plan, action, codes, corrections.source, corrections.line)


def with_decisions(
    plan: CleaningPlan, action: np.ndarray, codes: np.ndarray, source: str, lines: np.ndarray
) -> CleaningPlan:
    """Override ``plan`` where ``action`` is set (codes: the new class for relabel)."""
    from cleanaudit.workflows.clean import class_weights

    reviewed = action != ""
    new_labels, keep, actions = plan.new_labels.copy(), plan.keep.copy(), plan.actions.copy()
    reasons = list(plan.reasons)
    sources = plan.sources.copy() if plan.sources is not None else np.full(len(action), plan.strategy, dtype=object)
    names = plan.class_names
    for i in np.flatnonzero(reviewed):
        what = str(action[i])
        new_labels[i] = codes[i] if what == "relabel" else plan.given[i]
        keep[i] = what != "drop"
        actions[i] = "relabelled" if what == "relabel" and new_labels[i] != plan.given[i] else _DONE[what]
        if actions[i] == "kept" and plan.strategy == "weight":
            actions[i] = "weighted"
        done = f"relabelled to {names[new_labels[i]]}" if actions[i] == "relabelled" else _DONE[what]
        flagged = f"{reasons[i]}; " if plan.detection.is_issue[i] and reasons[i] else ""
        reasons[i] = f"{flagged}{REVIEWED} ({source} line {int(lines[i])}): {done}"
        sources[i] = REVIEWED
    sample_weight, train_weight = plan.sample_weight, plan.train_weight
    if plan.detection.noise_matrix is not None and (sample_weight is not None or train_weight is not None):
        weights = class_weights(plan.detection.noise_matrix)[new_labels]  # a relabelled row weighs as its new class
        sample_weight = weights if sample_weight is not None else None
        train_weight = weights if plan.strategy == "weight" else np.where(keep, weights, 0.0)
    return replace(
        plan,
        new_labels=new_labels,
        keep=keep,
        actions=actions,
        reasons=reasons,
        sources=sources,
        sample_weight=sample_weight,
        train_weight=train_weight,
    )


def outside_decisions(plan: CleaningPlan, corrections: Corrections, original: Dataset, merged: ClassMerge) -> None:
    """Record the decisions about input rows the analysis left out (``plan.outside``, for the output and manifest)."""
    for i in corrections.outside.tolist():
        row, what, name = int(corrections.rows[i]), str(corrections.actions[i]), corrections.new_labels[i]
        if name is not None and name in original.class_names:  # a class merged into another takes that one's name
            name = merged.class_names[int(merged.code_map[original.class_names.index(name)])]
        done = f"relabelled to {name}" if what == "relabel" else _DONE[what]
        reason = f"not analysed; {REVIEWED} ({corrections.source} line {int(corrections.lines[i])}): {done}"
        plan.outside[row] = (_DONE[what], name, reason)


def input_rows(original: Dataset, working: Dataset, plan: CleaningPlan) -> tuple[list[Any], list[Any], Any, Any]:
    """Old and new class, keep and weight per input row: a row not analysed is kept as it is, unless reviewed."""
    total, rows = original.num_input_rows, original.row_positions
    old = np.full(total, None, dtype=object)  # None == None: unchanged
    new = np.full(total, None, dtype=object)
    old[rows] = [original.class_names[k] for k in original.labels]
    new[rows] = [working.class_names[k] for k in plan.new_labels]
    record = original.not_analysed
    if record is not None and plan.outside:  # a left-out class's rows give its label text to a row relabelled to it
        named = np.array([v is not None for v in record.labels], dtype=bool)
        old[record.positions[named]] = new[record.positions[named]] = [v for v in record.labels if v is not None]
    keep = np.ones(total, dtype=bool)
    keep[rows] = plan.keep
    for row, (action, name, _) in plan.outside.items():
        keep[row] = action != "removed"
        if action == "relabelled":
            new[row] = name
    weight = None
    if plan.sample_weight is not None:
        weight = np.full(total, np.nan)  # not judged: no weight
        weight[rows] = plan.sample_weight
    return list(old), list(new), keep, weight


def passed_through(original: Dataset, plan: CleaningPlan) -> int:
    """Rows not analysed that the cleaned table still holds."""
    count = original.not_analysed.count if original.not_analysed is not None else 0
    return count - sum(action == "removed" for action, _, _ in plan.outside.values())


def payload(corrections: Corrections, request: Any) -> dict[str, Any]:
    """The JSON ``corrections`` object: the file, decisions per action, and what decided the other rows."""
    return {
        "file": corrections.source,
        "reviewed": len(corrections.rows),
        **corrections.counts(),
        "not_analysed": int(len(corrections.outside)),
        "other_rows": request.strategy if request.strategy is not None else "kept",
    }


def _in_working_classes(corrections: Corrections, merged: ClassMerge) -> tuple[np.ndarray, np.ndarray]:
    codes = np.where(corrections.new_label >= 0, merged.code_map[np.maximum(corrections.new_label, 0)], -1)
    return corrections.action, codes
