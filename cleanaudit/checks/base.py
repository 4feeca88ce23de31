"""What every data-quality check shares: its inputs, its result, and its registry entry.

A check is a function ``run(inputs, params) -> CheckResult`` registered once with
:func:`register`, together with the inputs it needs and its parameters' defaults. The audit
(``cleanaudit.audit``) decides which checks can run, gives them one :class:`CheckInputs`
(whose neighbour graph is built once and shared) and collects their results. Checks never
print, never read files, and raise :class:`CheckSkipped` when they cannot say anything useful.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from cleanaudit.checks.knn import SharedKnn


class CheckSkipped(Exception):
    """A check could not run on this data; the message says why (shown to the user)."""


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
    raw_features: "pd.DataFrame | None" = None
    knn: "SharedKnn | None" = None

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
) -> Callable[[Callable[[CheckInputs, Mapping[str, Any]], CheckResult]], Callable[..., CheckResult]]:
    """Decorator that adds a check to :data:`REGISTRY` under ``name``.

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
        REGISTRY[name] = CheckSpec(name, run, description, tuple(needs), dict(params or {}), default, needs_labels)
        return run

    return decorate
