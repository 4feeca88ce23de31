"""Data-quality checks, one module each, registered in :data:`cleanaudit.checks.base.REGISTRY`.

>>> from cleanaudit.checks import all_checks
>>> list(all_checks())[:3]
['null', 'label', 'outlier']
"""

from __future__ import annotations

from importlib import import_module

from cleanaudit.checks.base import REGISTRY, CheckSpec

# Run order of the default audit (as the reference's Datalab); data_valuation is opt-in.
CHECK_ORDER = (
    "null",
    "label",
    "outlier",
    "near_duplicate",
    "non_iid",
    "class_imbalance",
    "underperforming_group",
    "data_valuation",
)


def all_checks() -> dict[str, CheckSpec]:
    """Every registered check, in run order (modules are imported on first call)."""
    for name in CHECK_ORDER:
        import_module(f"cleanaudit.checks.{name}")
    return {name: REGISTRY[name] for name in CHECK_ORDER if name in REGISTRY}
