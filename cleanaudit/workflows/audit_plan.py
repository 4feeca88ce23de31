"""What audit is asked and what it returns: the request, the result, the validated plan, the checks on a frame.

Kept apart from :mod:`cleanaudit.workflows.audit` (which re-exports all of it) so that the audit of
other label forms (:mod:`cleanaudit.workflows.multilabel_audit`) can build on them without an import
cycle: ``audit`` hands those runs over, and they need these pieces back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.checks.runner import ChecksResult, resolve_params, run_checks, select_checks
from cleanaudit.errors import ConfigError, InputError
from cleanaudit.workflows.request import DataRequest
from cleanaudit.workflows.result import CommandOutcome, RunContext

if TYPE_CHECKING:
    import pandas as pd

    from cleanaudit.workflows.annotator_result import Crowd
    from cleanaudit.workflows.selfcheck import SelfCheckResult

__all__ = [
    "AuditRequest",
    "AuditResult",
    "AuditPlan",
    "validate_audit",
    "one_dataset",
    "check_frame",
    "note_checks",
    "record_graph",
    "parse_check_params",
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


def one_dataset(request: AuditRequest, plan: AuditPlan) -> AuditRequest:
    """The request on its one dataset file (found in a folder or by a glob); several are a batch, refused here."""
    if len(plan.files) > 1:
        raise ConfigError(
            f"{request.describe_data()} names {len(plan.files)} datasets; audit them as a batch",
            hint="use cleanaudit.workflows.batch.run_batch, or give one file",
        )
    return replace(request, data=plan.files) if plan.files else request


def note_checks(checks: ChecksResult, log: Any, where: str) -> None:
    """A note per skipped check; an ``InputError`` when no check ran on ``where``.

    Nothing checked must not pass: a green run would tell CI the data is fine when nobody looked.
    """
    for skipped in checks.skipped:
        log.note("check_skipped", f"skipped {skipped.name}: {skipped.reason}")
    if not checks.results:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in checks.skipped) or "no checks selected"
        raise InputError(
            f"no check could run on {where} ({reasons})",
            hint="give the inputs the checks need (features, --pred-probs) or choose --checks",
        )


def record_graph(checks: ChecksResult, run: dict[str, Any], log: Any) -> None:
    """How the shared neighbour graph was searched, in ``run``; a note when not the usual exact search."""
    if checks.neighbour_graph is None:
        return
    run["neighbour_graph"] = checks.neighbour_graph
    if checks.neighbour_graph.get("note"):  # an approximate or a slower search was chosen: say so
        log.note("neighbour_graph", checks.neighbour_graph["note"])


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
