"""What every data-quality check shares: its inputs, its result, and its registry entry.

A check is a function ``run(inputs, params) -> CheckResult`` registered once with
:func:`register`, together with the inputs it needs and its parameters' defaults. The audit
(:mod:`cleanaudit.checks.runner`) decides which checks can run, gives them one :class:`CheckInputs`
(whose neighbour graph is built once and shared) and collects their results. Checks never
print, never read files, and raise :class:`CheckSkipped` when they cannot say anything useful.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.checks.skipped import CheckSkipped  # noqa: F401 - re-exported: every check imports it from here

if TYPE_CHECKING:
    import pandas as pd

    from cleanaudit.checks.graph.knn import SharedKnn


@dataclass
class CheckInputs:
    """Everything a check may read. Any of the optional inputs can be ``None``.

    ``features`` is the encoded dense float matrix (imputed, scaled, one-hot) used for the
    neighbour graph; ``raw_features`` keeps the original columns (with their missing values)
    for the null check. ``knn`` builds the neighbour graph on first use and shares it.
    """

    num_examples: int
    class_names: list[Any]
    labels: np.ndarray | None = None
    pred_probs: np.ndarray | None = None
    features: np.ndarray | None = None
    raw_features: pd.DataFrame | None = None
    knn: SharedKnn | None = None

    def has(self, name: str) -> bool:
        return getattr(self, name) is not None


@dataclass
class CheckResult:
    """Per-row flags and scores of one check, its dataset-level score, and what explains it.

    ``score`` is in [0, 1], lower is worse. ``columns`` holds extra per-row columns for
    issues.csv (e.g. ``given_label``); ``info`` holds JSON-able details for the report.
    """

    name: str
    is_issue: np.ndarray
    score: np.ndarray
    summary_score: float
    info: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_issues(self) -> int:
        return int(np.count_nonzero(self.is_issue))


@dataclass(frozen=True)
class Limit:
    """What values a check parameter accepts, beyond the type of its default.

    ``low``/``high`` bound numbers (inclusive unless ``open_low``); ``choices`` lists the
    allowed strings; ``optional`` lets ``None`` through (the check then picks a value itself).

    >>> Limit(low=1).problem(0)
    'must be at least 1'
    >>> Limit(choices=("a", "b")).problem("c")
    "must be one of: 'a', 'b'"
    """

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is out of range, or ``None`` when it is fine (the type is checked elsewhere)."""
        if value is None:
            return None if self.optional else "must be given"
        if self.choices:
            return None if value in self.choices else "must be one of: " + ", ".join(repr(c) for c in self.choices)
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return f"must be {'greater than' if self.open_low else 'at least'} {self.low:g}"
        if self.high is not None and value > self.high:
            return f"must be at most {self.high:g}"
        return None


COUNT = Limit(low=1)  # k, numbers of samples or permutations
FRACTION = Limit(low=0, high=1)
SEED = Limit(low=0, high=2**32 - 1)  # what NumPy's RandomState accepts


def validate_param(check: str, key: str, value: Any, default: Any, limit: Limit | None) -> Any:
    """``value`` for parameter ``key`` of ``check``, checked against its default's type and ``limit``.

    Raises ``ValueError`` with the reason (the caller names where the value came from).

    >>> validate_param("outlier", "k", 20, 10, COUNT)
    20
    >>> validate_param("outlier", "k", -5, 10, COUNT)
    Traceback (most recent call last):
    ...
    ValueError: outlier.k must be at least 1, got -5
    """
    name = f"{check}.{key}"
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = number and float(value).is_integer()
        value = int(value) if ok else value
    elif isinstance(default, float) or (default is None and limit is not None and not limit.choices):
        ok = number or (value is None and default is None)
        value = float(value) if number else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:
        ok = True
    if ok and number and value != value:  # NaN passes every comparison
        ok = False
    if not ok:
        kind = (
            "true or false"
            if isinstance(default, bool)
            else "a whole number"
            if isinstance(default, int)
            else "a number"
            if isinstance(default, float) or default is None
            else "text"
        )
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    why = limit.problem(value) if limit is not None else None
    if why:
        raise ValueError(f"{name} {why}, got {value!r}")
    return value


@dataclass(frozen=True)
class CheckSpec:
    """A registered check.

    ``needs`` lists alternatives: each entry is a ``+``-joined set of inputs that together
    suffice, e.g. ``("pred_probs", "features")`` means either one, and
    ``("pred_probs+features",)`` means both. ``()`` means it needs nothing beyond labels.
    """

    name: str
    run: Callable[[CheckInputs, Mapping[str, Any]], CheckResult]
    description: str
    needs: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    default: bool = True
    needs_labels: bool = True
    limits: Mapping[str, Limit] = field(default_factory=dict)

    def missing_inputs(self, inputs: CheckInputs) -> str | None:
        """Why this check cannot run on ``inputs``, or ``None`` when it can."""
        if self.needs_labels and inputs.labels is None:
            return "needs labels"
        if not self.needs:
            return None
        for alternative in self.needs:
            if all(inputs.has(part) for part in alternative.split("+")):
                return None
        wanted = " or ".join(alt.replace("+", " and ") for alt in self.needs)
        return f"needs {wanted}"


REGISTRY: dict[str, CheckSpec] = {}


def register(
    name: str,
    *,
    description: str,
    needs: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    default: bool = True,
    needs_labels: bool = True,
    limits: Mapping[str, Limit] | None = None,
) -> Callable[[Callable[[CheckInputs, Mapping[str, Any]], CheckResult]], Callable[..., CheckResult]]:
    """Decorator that adds a check to :data:`REGISTRY` under ``name``.

    Rules: every parameter has a default (its type is the type values must have) and may have
    a :class:`Limit`; values are validated before any work, so a bad one is a usage error.

    >>> @register("always_fine", description="example", default=False, needs_labels=False)
    ... def _always_fine(inputs, params):
    ...     n = inputs.num_examples
    ...     return CheckResult("always_fine", np.zeros(n, bool), np.ones(n), 1.0)
    >>> REGISTRY.pop("always_fine").name
    'always_fine'
    """

    def decorate(run: Callable[[CheckInputs, Mapping[str, Any]], CheckResult]) -> Callable[..., CheckResult]:
        if name in REGISTRY:
            raise ValueError(f"check {name!r} is registered twice")
        unknown = set(limits or {}) - set(params or {})
        if unknown:
            raise ValueError(f"check {name!r} has limits for unknown parameters {sorted(unknown)}")
        REGISTRY[name] = CheckSpec(
            name, run, description, tuple(needs), dict(params or {}), default, needs_labels, dict(limits or {})
        )
        return run

    return decorate
