"""find-issues: label errors, most severe first (one model, an ensemble, or a model fit on ``train``).

>>> from cleanaudit.workflows.find_issues import FindIssuesRequest, run_find_issues
>>> result = run_find_issues(FindIssuesRequest("sample_data/tutorial/train.csv", label="y", ignore=["y_int"],
...                                            pred_probs="sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy"))
>>> result.num_issues, result.issues(top=1)[0]["row"]
(64, 99)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleanaudit.workflows.request import DataRequest

if TYPE_CHECKING:
    import numpy as np

    from cleanaudit.events import Events
    from cleanaudit.workflows.annotator_result import AnnotatorIssuesResult
    from cleanaudit.workflows.labels import FindIssuesResult
    from cleanaudit.workflows.prepare import Prepared
    from cleanaudit.workflows.selfcheck import SelfCheckResult


@dataclass
class FindIssuesRequest(DataRequest):
    """find-issues' own options; ``top`` limits the issues listed in the payload (``None``: all)."""

    filter_by: str = "prune_by_noise_rate"
    rank_by: str = "self_confidence"
    adjust_pred_probs: bool = False
    min_examples_per_class: int = 1
    frac_noise: float = 1.0
    top: int | None = None
    train: Path | None = None  # fit the model on this file and score the data with it
    ensemble_weighting: str = "accuracy"
    self_check: float | str | None = None  # 'auto' or a share of rows to flip (workflows.selfcheck)
    active_learning: int | None = None  # --annotators: list this many rows where one more annotation helps most


def run_find_issues(
    request: FindIssuesRequest, *, events: Events | None = None
) -> FindIssuesResult | AnnotatorIssuesResult:
    """Flag and rank the label issues of the request's data; the result's ``context`` holds the run."""
    from cleanaudit.workflows import labels
    from cleanaudit.workflows.gates import Measurements
    from cleanaudit.workflows.prepare import prepare

    if request.task == "multilabel":  # label sets: one binary audit per class (workflows.multilabel)
        from cleanaudit.workflows.multilabel import run_multilabel_find_issues

        return run_multilabel_find_issues(request, events)  # type: ignore[return-value]
    if request.annotators or request.active_learning is not None:  # several annotators: CROWDLAB's consensus
        from cleanaudit.workflows.annotator_runs import run_annotator_issues

        return run_annotator_issues(request, events=events)
    train = Path(request.train) if request.train is not None else None
    rate = None
    if request.self_check is not None:
        from cleanaudit.workflows.selfcheck import parse_rate

        rate = parse_rate(request.self_check)  # before any fitting
    prepared = prepare(request, events, ensemble_weighting=request.ensemble_weighting, train=train)
    ds = prepared.dataset
    settings: dict[str, Any] = dict(
        filter_by=request.filter_by,
        rank_by=request.rank_by,
        adjust_pred_probs=request.adjust_pred_probs,
        min_examples_per_class=request.min_examples_per_class,
        frac_noise=request.frac_noise,
    )
    result: labels.FindIssuesResult
    if len(prepared.members) > 1:
        result = labels.ensemble_issues_result(
            ds.labels,
            prepared.members,
            ds.class_names,
            ids=ds.ids,
            positions=ds.positions,
            weighting=request.ensemble_weighting,
            **settings,
        )
    else:
        result = labels.find_issues_result(
            ds.labels, prepared.pred_probs, ds.class_names, ids=ds.ids, positions=ds.positions, **settings
        )
    payload = result.payload(request.top or None)
    if rate is not None:
        result.self_check = _self_check(prepared, request, rate, result.is_issue, settings, train is not None)
        payload["self_check"] = result.self_check.payload()
    measured = Measurements(ds.num_examples, {"label": result.num_issues}, command="find-issues")
    result.context = prepared.conclude(
        "find-issues", payload, measured=measured, per_row=result.per_row_frame_columns()
    )
    return result


def _self_check(
    prepared: Prepared,
    request: FindIssuesRequest,
    rate: float | str,
    flagged: np.ndarray,
    settings: dict[str, Any],
    train: bool,
) -> SelfCheckResult:
    """find-issues rerun, with the same settings, where the label errors are planted (:mod:`.selfcheck`)."""
    from cleanaudit.workflows import labels
    from cleanaudit.workflows.selfcheck import run_self_check

    names = prepared.dataset.class_names

    def detect(planted: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
        return labels.find_issues_result(planted, pred_probs, names, **settings).is_issue

    return run_self_check(
        prepared, request, flagged, detect, rate, ensemble_weighting=request.ensemble_weighting, train=train
    )
