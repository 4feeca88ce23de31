"""audit on multi-label data (``--task multilabel``): the label check per class, the other checks as usual.

The label check is multi-label confident learning (:mod:`cleanaudit.workflows.multilabel`): a row is
an issue when any of its class labels looks wrong or missing, its score is the multi-label quality
score, and its info holds the per-class table and the health score. The checks that read only the
features (null, outlier, near_duplicate, non_iid) run as for single-label data; near duplicates
with different label sets count as conflicting. Class imbalance and underperforming groups are
defined on one label per row, so they are skipped with the reason (the per-class table shows how
many rows have each class).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.errors import ConfigError

if TYPE_CHECKING:
    from cleanaudit.events import Events
    from cleanaudit.workflows.audit_plan import AuditRequest, AuditResult

SINGLE_LABEL_CHECKS = {
    "class_imbalance": "defined on one label per row; with --task multilabel the label check's per-class table "
    "shows how many rows have each class",
    "underperforming_group": "defined on one label per row (--task multilabel)",
}


def run_multilabel_audit(request: AuditRequest, events: Events | None = None) -> AuditResult:
    """Audit one multi-label dataset (``request.task == "multilabel"``)."""
    from cleanaudit.checks.runner import ChecksResult, SkippedCheck, select_checks
    from cleanaudit.workflows.audit_payload import audit_measurements, audit_payload, complete_audit_payload
    from cleanaudit.workflows.audit_plan import (
        AuditResult,
        check_frame,
        note_checks,
        one_dataset,
        record_graph,
        validate_audit,
    )
    from cleanaudit.workflows.multilabel_prepare import check_multilabel_request, prepare_multilabel

    plan = validate_audit(request)
    check_multilabel_request(request, "audit")
    for option, given in (("--self-check", request.self_check is not None), ("--baseline", request.baseline)):
        if given:
            raise ConfigError(f"{option} is not supported with --task multilabel", hint=f"leave out {option}")
    request = one_dataset(request, plan)
    selected = select_checks(request.checks)
    prepared = prepare_multilabel(request, events, "audit", need_pred_probs="label" in selected)
    ds, log = prepared.dataset, prepared.log
    skipped = [SkippedCheck(name, why) for name, why in SINGLE_LABEL_CHECKS.items() if name in selected]
    feature_checks = [n for n in selected if n not in SINGLE_LABEL_CHECKS and n != "label"]
    results: dict[str, Any] = {}
    graph = None
    if feature_checks:
        codes, set_names = _set_codes(ds.labels)
        checks = check_frame(
            labels=codes,
            pred_probs=None,
            features=ds.features,
            class_names=set_names,
            checks=feature_checks,
            check_params=plan.check_params,
            progress=log.progress,
        )
        results, graph = dict(checks.results), checks.neighbour_graph
        skipped += checks.skipped
    if "label" in selected:
        results["label"] = label_check(prepared, plan.check_params.get("label", {}))
    order = [n for n in selected if n in results]
    checks = ChecksResult(
        ds.num_examples,
        list(ds.class_names),
        {n: results[n] for n in order},
        skipped,
        {n: dict(plan.check_params.get(n, {})) for n in order},
        graph,
    )
    note_checks(checks, log, str(ds.paths[0]) if ds.paths else "the data")
    record_graph(checks, prepared.run, log)
    payload = dict(audit_payload(checks, ds.ids, request.num_examples), task="multilabel")
    result = AuditResult(checks, request.num_examples)
    result.context = prepared.conclude(
        "audit", payload, measured=audit_measurements(checks), per_row=checks.per_row_columns()
    )
    complete_audit_payload(result)
    return result


def label_check(prepared: Any, params: dict[str, Any]) -> Any:
    """The label check's result from multi-label confident learning (``label.*`` check parameters apply)."""
    from cleanaudit.checks.base import CheckResult
    from cleanaudit.workflows.multilabel import multilabel_issues, note_sparse_classes

    ds = prepared.dataset
    settings: dict[str, Any] = {
        k: params[k] for k in ("filter_by", "min_examples_per_class", "frac_noise") if k in params
    }
    if "rank_by" in params:
        settings["rank_by"] = params["rank_by"]
    issues = multilabel_issues(ds.labels, prepared.pred_probs, ds.class_names, label_sep=ds.label_sep, **settings)
    note_sparse_classes(prepared, int(settings.get("min_examples_per_class", 1)))
    columns = issues.per_row_frame_columns()
    health = 1.0 - issues.num_issues / max(ds.num_examples, 1)
    info = {
        "task": "multilabel",
        "num_label_issues": issues.num_issues,
        "num_label_flags": int(issues.per_class.sum()),
        "average_label_quality": float(np.mean(issues.label_quality)),
        "per_class": issues.per_class_rows(),
    }
    kept = ("given_labels", "suggested_labels", "wrong_labels", "missing_labels")
    return CheckResult(
        "label",
        issues.is_issue,
        issues.label_quality,
        health,
        info,
        {k: np.asarray(columns[k], dtype=object) for k in kept},
    )


def _set_codes(onehot: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """One code per distinct label set (near duplicates with different sets conflict)."""
    _, first, codes = np.unique(np.asarray(onehot), axis=0, return_index=True, return_inverse=True)
    return codes.reshape(-1).astype(np.intp), [f"set {i}" for i in range(len(first))]
