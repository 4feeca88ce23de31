"""audit: every data-quality check on one dataset, with an optional baseline and self-check.

:func:`run_audit` validates the request before any data is read (check names and parameters,
gates, the self-check rate), loads the data, obtains pred_probs, runs the checks (through
:func:`cleanaudit.checks.runner.run_checks`), compares with ``--baseline`` and runs
``--self-check``. Several data files make a batch (:mod:`cleanaudit.workflows.batch`).

>>> from cleanaudit.workflows.audit import AuditRequest, run_audit
>>> result = run_audit(AuditRequest("sample_data/tutorial/train.csv", label="y", features=["x1", "x2"],
...                                 pred_probs="sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy"))
>>> [row["issue_type"] for row in result.summary()][:3], round(result.health_score, 3)
(['null', 'label', 'outlier'], 0.756)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.checks.runner import ChecksResult, SkippedCheck, run_checks, select_checks
from cleanaudit.workflows.audit_plan import (
    AuditRequest,
    AuditResult,
    check_frame,
    note_checks,
    one_dataset,
    parse_check_params,
    record_graph,
    validate_audit,
)

if TYPE_CHECKING:
    from cleanaudit.events import Events
    from cleanaudit.workflows.prepare import Prepared
    from cleanaudit.workflows.selfcheck import SelfCheckResult

__all__ = [
    "AuditRequest",
    "AuditResult",
    "ChecksResult",
    "SkippedCheck",
    "run_audit",
    "check_frame",
    "validate_audit",
    "wants_pred_probs",
    "parse_check_params",
    "check_catalogue",
]


def run_audit(request: AuditRequest, *, events: Events | None = None) -> AuditResult:
    """Audit one dataset (several files are a batch: :func:`cleanaudit.workflows.batch.run_batch`)."""
    from cleanaudit.workflows.audit_payload import audit_measurements, audit_payload, complete_audit_payload
    from cleanaudit.workflows.prepare import prepare

    if request.task == "multilabel":  # label sets: the label check per class (workflows.multilabel_audit)
        from cleanaudit.workflows.multilabel_audit import run_multilabel_audit

        return run_multilabel_audit(request, events)
    plan = validate_audit(request)
    request = one_dataset(request, plan)
    earlier = None
    if request.baseline is not None:  # read before fitting: a bad baseline should fail fast
        from cleanaudit.workflows.baseline import load_baseline

        earlier = load_baseline(Path(request.baseline), id_column=request.id_column)
    need = wants_pred_probs(request.checks) or bool(request.annotators)  # decided before any model is fitted
    prepared = prepare(request, events, ensemble_weighting=request.ensemble_weighting, need_pred_probs=need)
    crowd = None
    if request.annotators:  # several annotators per row: the checks audit their consensus (workflows.annotators)
        from cleanaudit.workflows.annotators import crowdlab, with_consensus

        crowd = crowdlab(prepared)
        prepared = with_consensus(prepared, crowd)
    ds, log = prepared.dataset, prepared.log
    checks = check_frame(
        labels=ds.labels,
        pred_probs=prepared.pred_probs,
        features=ds.features,
        class_names=ds.class_names,
        checks=request.checks,
        check_params=plan.check_params,
        progress=log.progress,
    )
    note_checks(checks, log, str(ds.paths[0]) if ds.paths else "the data")
    measured = audit_measurements(checks)
    payload = audit_payload(checks, ds.ids, request.num_examples)
    result = AuditResult(checks, request.num_examples, annotators=crowd)
    if crowd is not None:
        payload.update(crowd.payload())
    if earlier is not None:
        from cleanaudit.workflows.baseline import compare

        keys = ds.ids if request.id_column is not None and ds.ids is not None else np.arange(ds.num_examples)
        changes = compare(earlier, {name: r.is_issue for name, r in checks.results.items()}, keys)
        measured.new_counts = {name: c["new"] for name, c in changes.items()}
        result.baseline = payload["baseline"] = {
            "path": str(earlier.path),
            "matched_by": earlier.matched_by,
            "issues": changes,
        }
    if request.self_check is not None and "label" in checks.results:
        result.self_check = _self_check(prepared, request, checks)
        payload["self_check"] = result.self_check.payload()
    elif request.self_check is not None:
        log.note("self_check_skipped", "self-check skipped: the label check did not run")
    record_graph(checks, prepared.run, log)
    per_row = {**checks.per_row_columns(), **(crowd.consensus_columns() if crowd is not None else {})}
    result.context = prepared.conclude("audit", payload, measured=measured, per_row=per_row)
    complete_audit_payload(result)  # example rows with their values, the confusion matrix (Python callers too)
    return result


def wants_pred_probs(checks: Sequence[str] | None) -> bool:
    """Whether any of ``checks`` (``None``: the defaults) would use pred_probs given features.

    A check lists the inputs it can work from in order of preference (``needs``): it uses
    pred_probs when its first choice includes them (label, underperforming_group). Checks that
    prefer the features (outlier, non_iid) use pred_probs only without features, and without
    features no model can be fitted anyway. Gates and the self-check rely on the label check.

    >>> wants_pred_probs(["near_duplicate", "outlier", "null"]), wants_pred_probs(None)
    (False, True)
    """
    return any(spec.needs and "pred_probs" in spec.needs[0].split("+") for spec in select_checks(checks).values())


def _self_check(prepared: Prepared, request: AuditRequest, result: ChecksResult) -> SelfCheckResult:
    """The label check rerun on labels with errors planted as this run estimates them (:mod:`.selfcheck`)."""
    from cleanaudit.workflows.selfcheck import parse_rate, run_self_check

    params = {"label": result.params.get("label", {})}

    def detect(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
        again = run_checks(
            labels=labels,
            pred_probs=pred_probs,
            features=None,
            class_names=prepared.dataset.class_names,
            checks=["label"],
            check_params=params,
        )
        return again.results["label"].is_issue

    flagged = result.results["label"].is_issue
    rate = parse_rate(request.self_check)
    return run_self_check(prepared, request, flagged, detect, rate, ensemble_weighting=request.ensemble_weighting)


def check_catalogue() -> list[dict[str, Any]]:
    """Every check in run order: name, whether it runs by default, its inputs, parameters and purpose.

    >>> [c["check"] for c in check_catalogue()][:2]
    ['null', 'label']
    """
    from cleanaudit.checks import all_checks

    return [
        {
            "check": name,
            "default": spec.default,
            "needs": list(spec.needs),
            "params": dict(spec.params),
            "description": spec.description,
        }
        for name, spec in all_checks().items()
    ]
