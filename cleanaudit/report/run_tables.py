"""Tables and lines about how a run's findings were reached, shared by every format.

* :func:`model_table`: the ``--model auto`` candidates, best out-of-fold log loss first, the
  chosen one marked.
* :func:`confusion_tables`: the out-of-fold confusion matrix (given x predicted) with the accuracy
  per class; past :data:`MAX_CONFUSION_CLASSES` classes the accuracy per class (worst first) and
  the most confused pairs instead of a K x K table.
* :func:`unreliable_banner`: the lines that open a report whose findings are unreliable (the run's
  ``model_check`` says so: a model no better than the class prior, or a leaked label).

Everything is read from the run record and the payload (computed in the workflow layer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cleanaudit.report.tables import TableData

MAX_CONFUSION_CLASSES = 20  # a K x K table up to this many classes; past it, accuracy per class and pairs
MAX_ACCURACY_ROWS = 30  # past MAX_CONFUSION_CLASSES: the worst classes by accuracy


def model_table(run: Mapping[str, Any]) -> TableData | None:
    """The ``--model auto`` comparison, sorted by log loss (failed candidates last), chosen one marked.

    >>> run = {"model": "auto:rf", "model_candidates": [
    ...     {"model": "logreg", "log_loss": 0.9, "accuracy": 0.6, "seconds": 1.0, "error": None},
    ...     {"model": "rf", "log_loss": 0.5, "accuracy": 0.8, "seconds": 2.0, "error": None}]}
    >>> [row[0] for row in model_table(run).rows]
    ['rf (chosen)', 'logreg']
    """
    candidates = list(run.get("model_candidates") or [])
    if not candidates:
        return None
    chosen = str(run.get("model") or "").split(":", 1)[-1]

    def key(c: Mapping[str, Any]) -> tuple[int, float]:
        loss = c.get("clipped_log_loss", c.get("log_loss"))  # the selection score (older runs: plain log loss)
        ok = not c.get("error") and isinstance(loss, (int, float)) and math.isfinite(loss)
        return (0, float(loss)) if ok else (1, math.inf)

    rows = []
    for c in sorted(candidates, key=key):
        name = str(c.get("model")) + (" (chosen)" if c.get("model") == chosen else "")
        if c.get("error"):
            rows.append([name, "failed", "-", "-", c.get("seconds")])
        else:
            clipped = c.get("clipped_log_loss", c.get("log_loss"))
            rows.append([name, clipped, c.get("log_loss"), c.get("accuracy"), c.get("seconds")])
    return TableData(
        "Models compared (--model auto)",
        ["model", "clipped log loss", "log loss", "accuracy", "seconds"],
        rows,
        caption="out-of-fold scores against the given labels, lowest clipped log loss (probabilities below "
        "0.001 count as 0.001) first; the lowest is chosen",
        kind="run",
    )


def confusion_tables(confusion: Mapping[str, Any] | None) -> list[TableData]:
    """The confusion matrix with the accuracy per class, or (many classes) accuracy and top pairs."""
    if not confusion:
        return []
    names = [str(c) for c in confusion["class_names"]]
    per_class = list(confusion["per_class"])
    overall = confusion.get("accuracy")
    lead = "out-of-fold: the given label (row) against the model's most likely class (column)"
    if overall is not None:
        lead += f"; accuracy {overall:.4f}"
    matrix = confusion.get("matrix")
    if matrix is not None and len(names) <= MAX_CONFUSION_CLASSES:
        rows = [[names[i], *matrix[i], _accuracy(per_class[i])] for i in range(len(names))]
        return [
            TableData(
                "Confusion matrix",
                ["given \\ predicted", *names, "accuracy"],
                rows,
                caption=lead + "; accuracy: share of the class's rows predicted as the class",
                kind="run",
            )
        ]
    worst = sorted(per_class, key=lambda c: (c["accuracy"] is None, c["accuracy"] or 0.0))[:MAX_ACCURACY_ROWS]
    accuracy = TableData(
        "Accuracy per class",
        ["class", "rows", "correct", "accuracy"],
        [[c["class"], c["rows"], c["correct"], _accuracy(c)] for c in worst],
        caption=f"{lead}; {len(names):,} classes, too many for a matrix: the {len(worst)} least accurate",
        kind="run",
    )
    pairs = TableData(
        "Most confused pairs",
        ["given_label", "predicted_label", "rows", "share of given"],
        [[p["given_label"], p["predicted_label"], p["rows"], p["share_of_given"]] for p in confusion["top_confused"]],
        caption="rows given one class that the model predicts as another, most first",
        kind="run",
    )
    return [accuracy, pairs]


def unreliable_banner(run: Mapping[str, Any]) -> list[str]:
    """The lines opening a report whose findings are unreliable; none without ``run["model_check"]``.

    >>> check = {"reliable": False, "weak_model": True, "near_perfect": False, "leakage": [],
    ...          "baseline": {"log_loss": 0.69, "accuracy": 0.50}, "model": {"log_loss": 0.70, "accuracy": 0.51},
    ...          "rule": "5% below"}
    >>> for line in unreliable_banner({"model_check": check}):
    ...     print(line.replace(" (", "\\n("))
    FINDINGS UNRELIABLE: the model is not clearly better than always predicting the class prior
    (log loss 0.7000 vs 0.6900, accuracy 0.5100 vs 0.5000; rule: 5% below)
    """
    check = run.get("model_check")
    if not isinstance(check, Mapping) or check.get("reliable", True):
        return []
    reasons = []
    model, baseline = check.get("model") or {}, check.get("baseline") or {}
    if check.get("weak_model"):
        reasons.append(
            "the model is not clearly better than always predicting the class prior ("
            f"log loss {_num(model.get('log_loss'))} vs {_num(baseline.get('log_loss'))}, "
            f"accuracy {_num(model.get('accuracy'))} vs {_num(baseline.get('accuracy'))}"
            + (f"; rule: {check['rule']}" if check.get("rule") else "")
            + ")"
        )
    for leak in check.get("leakage") or []:
        reason = f": {leak['reason']}" if leak.get("reason") else ""
        reasons.append(
            f"column {leak.get('column')} alone predicts the label (accuracy {_num(leak.get('accuracy'))}){reason}"
        )
    if check.get("near_perfect"):
        reasons.append(
            f"out-of-fold accuracy is near perfect ({_num(model.get('accuracy'))}): a feature probably leaks the "
            "label, which hides label errors"
        )
    if not reasons:
        reasons.append(str(check.get("rule") or "the model check failed"))
    lines = [f"FINDINGS UNRELIABLE: {reasons[0]}"]
    return lines + [f"FINDINGS UNRELIABLE: {r}" for r in reasons[1:]]


def _accuracy(per_class: Mapping[str, Any]) -> Any:
    return per_class["accuracy"] if per_class["accuracy"] is not None else "-"


def _num(value: Any) -> str:
    return f"{float(value):.4f}" if isinstance(value, (int, float)) else "?"
