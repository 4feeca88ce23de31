"""Run the selected data-quality checks on arrays and collect a :class:`ChecksResult`.

The checks share one neighbour graph (built on first use with the largest ``k`` any selected
check asked for). A check whose inputs are absent, or that cannot say anything useful on this
data, is recorded as skipped with its reason; the others still run. The audit workflow
(:mod:`cleanaudit.workflows.audit`) encodes the features and calls :func:`run_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.checks import all_checks
from cleanaudit.checks.base import CheckInputs, CheckResult, CheckSkipped, CheckSpec, validate_param
from cleanaudit.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[str, int, int], None]


@dataclass
class SkippedCheck:
    name: str
    reason: str


@dataclass
class ChecksResult:
    """The outcome of the checks: one :class:`CheckResult` per check that ran, and the skipped ones."""

    num_examples: int
    class_names: list[Any]
    results: dict[str, CheckResult]
    skipped: list[SkippedCheck] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    neighbour_graph: dict[str, Any] | None = None  # how the shared graph was searched (SharedKnn.record)

    def summary(self) -> list[dict[str, Any]]:
        """One row per check that ran: issue type, number of issues, dataset-level score."""
        return [
            {"issue_type": name, "num_issues": r.num_issues, "score": float(r.summary_score)}
            for name, r in self.results.items()
        ]

    @property
    def health_score(self) -> float | None:
        """The label check's score (1 - estimated label errors / N), when it ran."""
        label = self.results.get("label")
        return float(label.summary_score) if label is not None else None

    def per_row_columns(self) -> dict[str, np.ndarray]:
        """Every check's per-row columns, for issues.csv: ``is_<type>_issue``, ``<type>_score``, extras."""
        columns: dict[str, np.ndarray] = {}
        for name, r in self.results.items():
            columns[f"is_{name}_issue"] = np.asarray(r.is_issue, dtype=bool)
            columns[f"{name}_score"] = np.asarray(r.score, dtype=float)
            columns.update(r.columns)
        return columns


def select_checks(names: Sequence[str] | None) -> dict[str, CheckSpec]:
    """The checks to run: the defaults, or ``names`` in run order (unknown names raise ConfigError)."""
    registry = all_checks()
    if names is None:
        return {name: spec for name, spec in registry.items() if spec.default}
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ConfigError(
            f"unknown check {', '.join(repr(n) for n in unknown)} in --checks",
            hint=f"choose from: {', '.join(registry)}",
        )
    return {name: spec for name, spec in registry.items() if name in names}


def resolve_params(
    specs: Mapping[str, CheckSpec], overrides: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Each check's parameters: its defaults updated by ``overrides`` (validated by name)."""
    registry = all_checks()
    params = {name: dict(spec.params) for name, spec in specs.items()}
    for check, values in (overrides or {}).items():
        if check not in registry:
            raise ConfigError(f"unknown check {check!r} in --check-param", hint=f"choose from: {', '.join(registry)}")
        if check not in params:
            continue  # a parameter for a check that is not selected changes nothing
        for key, value in values.items():
            if key not in params[check]:
                valid = ", ".join(params[check]) or "none"
                raise ConfigError(f"check {check!r} has no parameter {key!r}", hint=f"its parameters: {valid}")
            spec = specs[check]
            try:
                params[check][key] = validate_param(check, key, value, spec.params[key], spec.limits.get(key))
            except ValueError as err:
                raise ConfigError(
                    f"check parameter {err}",
                    hint=f"fix --check-param {check}.{key} (or "
                    f"check_params.{check}.{key} in the config file); see 'cleanaudit audit "
                    "--list-checks'",
                ) from None
    return params


def run_checks(
    *,
    labels: np.ndarray | None,
    pred_probs: np.ndarray | None,
    features: np.ndarray | None,
    raw_features: pd.DataFrame | None = None,
    class_names: Sequence[Any],
    checks: Sequence[str] | None = None,
    check_params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Progress | None = None,
) -> ChecksResult:
    """Run the checks whose inputs are present and return their results.

    ``features`` is the encoded float matrix the neighbour graph is built on, ``raw_features``
    the original columns (for the null check); either may be ``None``.

    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"])
    >>> y = np.array([0, 1] * 30)
    >>> result = run_checks(labels=y, pred_probs=None, features=X.to_numpy(), raw_features=X,
    ...                     class_names=["p", "q"], checks=["class_imbalance", "null"])
    >>> [row["issue_type"] for row in result.summary()]
    ['null', 'class_imbalance']
    """
    from cleanaudit.checks.graph.knn import SharedKnn

    specs = select_checks(checks)
    params = resolve_params(specs, check_params)
    n = len(labels) if labels is not None else len(pred_probs) if pred_probs is not None else len(features)
    inputs = CheckInputs(
        num_examples=int(n),
        class_names=list(class_names),
        labels=labels,
        pred_probs=pred_probs,
        features=features,
        raw_features=raw_features,
        knn=SharedKnn(features, progress=progress) if features is not None else None,
    )
    runnable: dict[str, CheckSpec] = {}
    skipped: list[SkippedCheck] = []
    for name, spec in specs.items():
        reason = spec.missing_inputs(inputs)
        if reason:
            skipped.append(SkippedCheck(name, reason))
        else:
            runnable[name] = spec
            if inputs.knn is not None and "k" in params[name]:
                inputs.knn.reserve(int(params[name]["k"]))
    results: dict[str, CheckResult] = {}
    for done, (name, spec) in enumerate(runnable.items()):
        if progress:
            progress(f"Checking {name}", done, len(runnable))
        try:
            results[name] = spec.run(inputs, params[name])
        except CheckSkipped as exc:
            skipped.append(SkippedCheck(name, str(exc)))
    if progress:
        progress("Checks done", len(runnable), len(runnable))
    graph = inputs.knn.record() if inputs.knn is not None else None
    return ChecksResult(int(n), list(class_names), results, skipped, params, graph)
