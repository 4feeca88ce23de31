"""find-issues and health on a table labelled by several annotators (``--annotators``).

``run_find_issues`` and ``run_health`` hand a request with ``annotators`` to :func:`run_annotator_issues`
and :func:`run_annotator_health`. Both load the table with the majority vote as the label, get
pred_probs as every command does (a model cross-validated on that vote, or ``--pred-probs``), run
CROWDLAB (:func:`cleanaudit.workflows.annotators.crowdlab`) and report on the consensus:

* find-issues lists the rows whose consensus label is doubtful (its quality score below one half,
  :mod:`cleanaudit.workflows.annotator_result`), lowest quality first, and with ``active_learning``
  the N rows where one more annotation helps most (the lowest ActiveLab scores);
* health scores the label health of the consensus with the model's pred_probs.

Both add the annotator table (quality, agreement with the consensus, worst class, rows labelled).

>>> from cleanaudit.workflows.find_issues import FindIssuesRequest
>>> request = FindIssuesRequest("sample_data/annotators/ticket_raters.csv", annotators="rater_*", model="logreg")
>>> result = run_annotator_issues(request)  # doctest: +SKIP
>>> result.crowd.annotators[0]["annotator"], result.num_issues  # doctest: +SKIP
('rater_4', 106)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cleanaudit.errors import ConfigError

if TYPE_CHECKING:
    from cleanaudit.events import Events
    from cleanaudit.workflows.annotator_result import AnnotatedHealthResult, AnnotatorIssuesResult
    from cleanaudit.workflows.request import DataRequest

# find-issues options of single-label confident learning: the consensus is judged by CROWDLAB instead.
_SINGLE_LABEL_OPTIONS = {
    "filter_by": ("--filter-by", "prune_by_noise_rate"),
    "rank_by": ("--rank-by", "self_confidence"),
    "adjust_pred_probs": ("--adjust-pred-probs", False),
    "min_examples_per_class": ("--min-examples-per-class", 1),
    "frac_noise": ("--frac-noise", 1.0),
    "ensemble_weighting": ("--ensemble-weighting", "accuracy"),
}


def run_annotator_issues(request: DataRequest, *, events: Events | None = None) -> AnnotatorIssuesResult:
    """The rows whose consensus label is doubtful, the annotator table, and ``active_learning`` rows.

    ``request`` is find-issues' (a :class:`~cleanaudit.workflows.find_issues.FindIssuesRequest`).
    """
    from cleanaudit.workflows.annotator_load import check_annotator_request
    from cleanaudit.workflows.annotator_result import AnnotatorIssuesResult, lowest_first
    from cleanaudit.workflows.annotators import crowdlab, with_consensus
    from cleanaudit.workflows.gates import Measurements
    from cleanaudit.workflows.prepare import prepare

    if not request.annotators:
        raise ConfigError("--active-learning needs --annotators", hint="name the annotator columns, e.g. 'rater_*'")
    check_annotator_request(
        request, train=getattr(request, "train", None), self_check=getattr(request, "self_check", None)
    )
    for name, (option, default) in _SINGLE_LABEL_OPTIONS.items():
        if getattr(request, name, default) != default:
            raise ConfigError(
                f"{option} has no effect with --annotators: the consensus labels are judged by CROWDLAB",
                hint=f"leave out {option}",
            )
    wanted: int | None = getattr(request, "active_learning", None)
    if wanted is not None and wanted < 1:
        raise ConfigError(f"--active-learning {wanted} lists no rows", hint="give a number of rows, 1 or more")
    prepared = prepare(request, events)
    crowd = crowdlab(prepared, active_learning=wanted is not None)
    prepared = with_consensus(prepared, crowd)
    picked = None
    if wanted is not None and crowd.active_learning is not None:
        picked = lowest_first(crowd.active_learning)[:wanted]
    result = AnnotatorIssuesResult(crowd, prepared.dataset, picked)
    payload = result.payload(getattr(request, "top", None) or None)
    measured = Measurements(prepared.dataset.num_examples, {"label": result.num_issues}, command="find-issues")
    result.context = prepared.conclude(
        "find-issues", payload, measured=measured, per_row=result.per_row_frame_columns()
    )
    return result


def run_annotator_health(request: DataRequest, *, events: Events | None = None) -> AnnotatedHealthResult:
    """The label health of the consensus (with the model's pred_probs), and the annotator table."""
    from dataclasses import fields

    from cleanaudit.workflows import labels
    from cleanaudit.workflows.annotator_load import check_annotator_request
    from cleanaudit.workflows.annotator_result import AnnotatedHealthResult
    from cleanaudit.workflows.annotators import crowdlab, with_consensus
    from cleanaudit.workflows.gates import Measurements
    from cleanaudit.workflows.prepare import prepare

    check_annotator_request(request)
    prepared = prepare(request, events)
    crowd = crowdlab(prepared)
    prepared = with_consensus(prepared, crowd)
    ds = prepared.dataset
    health = labels.health_result(ds.labels, prepared.pred_probs, ds.class_names)
    values: dict[str, Any] = {f.name: getattr(health, f.name) for f in fields(health) if f.name != "context"}
    result = AnnotatedHealthResult(**values, crowd=crowd)
    measured = Measurements(
        ds.num_examples, {"label": result.num_label_issues}, health=result.health_score, command="health"
    )  # as health's own gates (workflows.health.conclude_health)
    result.context = prepared.conclude("health", result.payload(), measured=measured)
    return result
