"""Train on the original and on the cleaned data, and compare both models on a test set whose labels are the truth.

The cleaned fit is ``CleanLearning``'s final fit: the wrapped model refit on the kept rows (with
relabelled labels for ``relabel``), with the plan's sample weights when the model takes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from cleanaudit.models.fit import fit_model, run_quietly, supports_sample_weight
from cleanaudit.models.specs import build_model


class CleaningPlan(Protocol):
    """What a fit needs of ``clean``'s plan (:class:`cleanaudit.workflows.clean.CleaningPlan`)."""

    given: np.ndarray  # the labels as given, one per row
    new_labels: np.ndarray  # the labels after relabelling
    keep: np.ndarray  # rows the cleaned model trains on
    train_weight: np.ndarray | None  # their weights (CleanLearning's rule), or None


@dataclass
class Evaluation:
    """Test accuracy and macro F1 of the baseline (all rows) and the cleaned model."""

    model: str
    test_path: str
    num_test: int
    train_rows: dict[str, int]
    accuracy: dict[str, float]
    macro_f1: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "test_accuracy": dict(self.accuracy),
            "test_macro_f1": dict(self.macro_f1),
            "evaluation": {
                "model": self.model,
                "test_file": self.test_path,
                "num_test_examples": self.num_test,
                "train_rows": dict(self.train_rows),
                "notes": list(self.notes),
            },
        }  # its table is cleanaudit.report.clean_tables.evaluation_table


def fit_cleaned_model(
    spec: str, features: pd.DataFrame, plan: CleaningPlan, *, model_params: dict | None = None, seed: int = 0
) -> tuple[Any, list[str]]:
    """Fit ``spec`` as ``CleanLearning`` does on the plan's kept rows; returns the fitted pipeline and notes.

    >>> fit_cleaned_model("logreg", X, plan)  # doctest: +SKIP
    """
    from cleanaudit.learning import CleanLearning

    pipeline = build_model(spec, features, params=model_params, seed=seed)
    notes: list[str] = []
    final: dict[str, Any] = {}
    if plan.train_weight is not None:
        if supports_sample_weight(pipeline):
            final["model__sample_weight"] = plan.train_weight[plan.keep]
        else:
            notes.append(f"model {spec} takes no sample weights: the cleaned model was trained without them")
    learner = CleanLearning(clf=pipeline, seed=seed)
    fitted, messages = run_quietly(
        lambda: learner.fit(features, labels=plan.new_labels, label_issues=~plan.keep, clf_final_kwargs=final), spec
    )
    return fitted.clf_, notes + messages


def evaluate(
    spec: str,
    features: pd.DataFrame,
    plan: CleaningPlan,
    test_features: pd.DataFrame,
    test_labels: np.ndarray,
    *,
    test_path: str,
    model_params: dict | None = None,
    seed: int = 0,
    cleaned_model: Any = None,
) -> tuple[Evaluation, Any]:
    """Fit the baseline on every row and the cleaned model on the plan; score both on the test rows.

    Returns the evaluation and the cleaned model (``cleaned_model`` when already fitted).
    """
    from sklearn.metrics import accuracy_score, f1_score

    baseline, notes = fit_model(spec, features, plan.given, model_params=model_params, seed=seed)
    if cleaned_model is None:
        cleaned_model, more = fit_cleaned_model(spec, features, plan, model_params=model_params, seed=seed)
        notes = notes + more
    accuracy, macro_f1 = {}, {}
    for key, model in (("baseline", baseline), ("cleaned", cleaned_model)):
        predicted, _ = run_quietly(lambda m=model: np.asarray(m.predict(test_features)), spec)
        accuracy[key] = float(accuracy_score(test_labels, predicted))
        macro_f1[key] = float(f1_score(test_labels, predicted, average="macro", zero_division=0))
    train_rows = {"baseline": len(plan.given), "cleaned": int(plan.keep.sum())}
    unique = list(dict.fromkeys(notes))
    return Evaluation(spec, test_path, len(test_labels), train_rows, accuracy, macro_f1, unique), cleaned_model
