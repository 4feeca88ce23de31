"""health: the overall label health score and label quality per class.

>>> from cleanaudit.workflows.health import HealthRequest, run_health
>>> result = run_health(HealthRequest("sample_data/tutorial/train.csv", label="y", ignore=["y_int"],
...                                   pred_probs="sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy"))
>>> round(result.health_score, 3), result.classes[0]["class"]
(0.756, 'seafoam green')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cleanaudit.workflows.request import DataRequest

if TYPE_CHECKING:
    from cleanaudit.events import Events
    from cleanaudit.workflows.annotator_result import AnnotatedHealthResult
    from cleanaudit.workflows.labels import HealthResult
    from cleanaudit.workflows.prepare import Prepared


@dataclass
class HealthRequest(DataRequest):
    """health takes only the shared options."""


def run_health(request: HealthRequest, *, events: Events | None = None) -> HealthResult | AnnotatedHealthResult:
    """Score the label health of the request's data; the result's ``context`` holds the run."""
    from cleanaudit.workflows import labels
    from cleanaudit.workflows.prepare import prepare

    if request.task == "multilabel":  # label sets: one binary audit per class (workflows.multilabel)
        from cleanaudit.workflows.multilabel import run_multilabel_health

        return run_multilabel_health(request, events)  # type: ignore[return-value]
    if request.annotators:  # several annotators per row: the health of their consensus (workflows.annotator_runs)
        from cleanaudit.workflows.annotator_runs import run_annotator_health

        return run_annotator_health(request, events=events)
    prepared = prepare(request, events)
    ds = prepared.dataset
    return conclude_health(prepared, labels.health_result(ds.labels, prepared.pred_probs, ds.class_names))


def conclude_health(prepared: Prepared, result: HealthResult) -> HealthResult:
    """Gates on the score and the label issues, and the run's ``context`` (a local run's or a cluster's)."""
    from cleanaudit.workflows.gates import Measurements

    ds = prepared.dataset
    measured = Measurements(
        ds.num_examples, {"label": result.num_label_issues}, health=result.health_score, command="health"
    )
    result.context = prepared.conclude("health", result.payload(), measured=measured)
    return result
