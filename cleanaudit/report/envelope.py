"""The JSON envelope every report shares: schema version, dataset and run (DESIGN.md)."""

from __future__ import annotations

import json
import platform
from typing import Any

import numpy as np

SCHEMA_VERSION = 1


def library_versions() -> dict[str, str]:
    """Versions that decide the numbers of a run, so it can be repeated exactly."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for dist in ("cleanaudit", "numpy", "scikit-learn", "pandas", "pyarrow"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            found[dist] = "unknown"
    return found


def build_envelope(
    command: str,
    *,
    dataset: dict[str, Any],
    run: dict[str, Any],
    payload: dict[str, Any],
) -> dict[str, Any]:
    """The whole JSON object of one command.

    >>> env = build_envelope("health", dataset={"num_examples": 3}, run={"seed": 0}, payload={"health_score": 1.0})
    >>> list(env)
    ['schema_version', 'command', 'dataset', 'run', 'health_score']
    """
    return {"schema_version": SCHEMA_VERSION, "command": command, "dataset": dataset, "run": run, **payload}


def to_json(obj: Any) -> str:
    """JSON text of ``obj``, accepting NumPy scalars and arrays; NaN becomes null."""
    return json.dumps(_clean(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj
