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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.checks.runner import ChecksResult, SkippedCheck, resolve_params, run_checks, select_checks
from cleanaudit.errors import ConfigError, InputError
from cleanaudit.workflows.request import DataRequest
from cleanaudit.workflows.result import CommandOutcome, RunContext

if TYPE_CHECKING:
    import pandas as pd

    from cleanaudit.events import Events
    from cleanaudit.workflows.annotator_result import Crowd
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


@dataclass
class AuditRequest(DataRequest):
    """audit's own options. ``check_params`` maps check -> parameter -> value (a config file's);
    ``check_param`` holds ``check.param=value`` items as ``--check-param`` takes them (they win)."""

    checks: Sequence[str] | None = None
    check_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    check_param: Sequence[str] = ()
    num_examples: int = 5  # most severe examples per issue type in the report
    self_check: float | str | None = None  # 'auto' or a share of rows to flip (workflows.selfcheck)
    baseline: Path | None = None
    recursive: bool = False
    ensemble_weighting: str = "accuracy"


@dataclass
class AuditResult(CommandOutcome):
    """The checks' results, the baseline comparison and the self-check of one audited dataset."""

    checks: ChecksResult
    num_examples_shown: int = 5
    baseline: dict[str, Any] | None = None  # the payload's "baseline": path, matched_by, issues per type
    self_check: SelfCheckResult | None = None
    annotators: Crowd | None = None  # --annotators: the consensus the checks audit, and the annotator table
    context: RunContext | None = field(default=None, repr=False, compare=False)

    def summary(self) -> list[dict[str, Any]]:
        return self.checks.summary()

    @property
    def health_score(self) -> float | None:
        return self.checks.health_score


@dataclass
class AuditPlan:
    """A validated request: the dataset files and the merged check parameters."""

    files: list[Path | str]  # local paths, or fsspec URLs as text
    check_params: dict[str, dict[str, Any]]


def validate_audit(request: AuditRequest) -> AuditPlan:
    """Everything about the request that can be wrong, checked before any data is read or model fitted."""
    from cleanaudit.workflows.prepare import parse_request_gates

    select_checks(request.checks)  # fail fast on unknown names, before the model is fitted
    parse_request_gates(request)  # and on bad gate expressions, before any dataset is read
    overrides = {name: dict(values) for name, values in request.check_params.items()}
    for name, values in parse_check_params(list(request.check_param)).items():
        overrides.setdefault(name, {}).update(values)
    resolve_params(select_checks(request.checks), overrides)  # bad values fail here, before any data is read
    files: list[Path | str] = []
    if request.frame is None:
        from cleanaudit.data.load import expand_paths

        files = expand_paths(request.sources, recursive=request.recursive)  # URLs kept as text
    if request.baseline is not None and len(files) > 1 and not Path(request.baseline).is_dir():
        raise ConfigError(
            f"--baseline {request.baseline} is one report, but DATA names {len(files)} datasets",
            hint="give the --out folder of the earlier batch run (BASE/<dataset>/report.json)",
        )
    if request.self_check is not None:
        from cleanaudit.workflows.selfcheck import parse_rate

        parse_rate(request.self_check)  # before any fitting
    if request.annotators:
        from cleanaudit.workflows.annotator_load import check_annotator_request

        check_annotator_request(request, self_check=request.self_check)
    return AuditPlan(files, overrides)


def run_audit(request: AuditRequest, *, events: Events | None = None) -> AuditResult:
    """Audit one dataset (several files are a batch: :func:`cleanaudit.workflows.batch.run_batch`)."""
    from cleanaudit.workflows.audit_payload import audit_measurements, audit_payload, complete_audit_payload
    from cleanaudit.workflows.prepare import prepare

    if request.task == "multilabel":  # label sets: the label check per class (workflows.multilabel_audit)
        from cleanaudit.workflows.multilabel_audit import run_multilabel_audit

        return run_multilabel_audit(request, events)
    plan = validate_audit(request)
    if len(plan.files) > 1:
        raise ConfigError(
            f"{request.describe_data()} names {len(plan.files)} datasets; audit them as a batch",
            hint="use cleanaudit.workflows.batch.run_batch, or give one file",
        )
    if plan.files:
        request = replace(request, data=plan.files)  # one file, even found in a folder or by a glob
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
    for skipped in checks.skipped:
        log.note("check_skipped", f"skipped {skipped.name}: {skipped.reason}")
    if not checks.results:
        # Nothing was checked: passing would tell CI the data is fine when nobody looked.
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in checks.skipped) or "no checks selected"
        raise InputError(
            f"no check could run on {ds.paths[0] if ds.paths else 'the data'} ({reasons})",
            hint="give the inputs the checks need (features, --pred-probs) or choose --checks",
        )
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
    if checks.neighbour_graph is not None:  # how the graph was searched; an approximate one's recall
        prepared.run["neighbour_graph"] = checks.neighbour_graph
        if checks.neighbour_graph.get("note"):  # an approximate or a slower search was chosen: say so
            log.note("neighbour_graph", checks.neighbour_graph["note"])
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


def check_frame(
    *,
    labels: np.ndarray | None,
    pred_probs: np.ndarray | None,
    features: pd.DataFrame | None,
    class_names: Sequence[Any],
    checks: Sequence[str] | None = None,
    check_params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Any = None,
) -> ChecksResult:
    """The checks on arrays and a feature table (encoded here for the neighbour graph).

    >>> import pandas as pd
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 2)), columns=["a", "b"])
    >>> result = check_frame(labels=np.array([0, 1] * 30), pred_probs=None, features=X, class_names=["p", "q"],
    ...                      checks=["class_imbalance", "null"])
    >>> [row["issue_type"] for row in result.summary()]
    ['null', 'class_imbalance']
    """
    has_features = features is not None and features.shape[1] > 0
    encoded = None
    if has_features:
        from cleanaudit.data.features import distance_features, hashable_features

        # The roles decided at load travel with the features (features.attrs); text, dates and embeddings
        # get their own distance encoding, and vector columns become tuples so rows can be compared.
        encoded = np.ascontiguousarray(distance_features(features), dtype=np.float64)
        features = hashable_features(features)
    return run_checks(
        labels=labels,
        pred_probs=pred_probs,
        features=encoded,
        raw_features=features if has_features else None,
        class_names=class_names,
        checks=checks,
        check_params=check_params,
        progress=progress,
    )


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


def parse_check_params(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Parse ``check.param=value`` items (values as Python literals, else strings).

    >>> parse_check_params(["outlier.k=20", "label.filter_by=both"])
    {'outlier': {'k': 20}, 'label': {'filter_by': 'both'}}
    """
    from cleanaudit.models.specs import parse_model_params

    parsed: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, _ = item.partition("=")
        check, dot, param = key.strip().partition(".")
        if not sep or not dot or not check or not param:
            raise ConfigError(
                f"--check-param {item!r} is not of the form check.param=value", hint="e.g. --check-param outlier.k=20"
            )
        value = parse_model_params([f"{param}={item.split('=', 1)[1]}"])
        parsed.setdefault(check, {}).update(value)
    return parsed


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
