"""The JSON envelope every report shares: schema version, dataset, run and notes (DESIGN.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from cleanaudit.workflows.prepare import library_versions  # noqa: F401 - re-exported: part of the envelope's run

if TYPE_CHECKING:
    from cleanaudit.data.dataset import Dataset
    from cleanaudit.events import Note
    from cleanaudit.workflows.result import RunContext

SCHEMA_VERSION = 1


def build_envelope(
    command: str,
    *,
    dataset: dict[str, Any],
    run: dict[str, Any],
    payload: dict[str, Any],
    notes: Iterable[Note] = (),
) -> dict[str, Any]:
    """The whole JSON object of one command: every note the run made comes before the command's keys.

    >>> from cleanaudit.events import Note
    >>> env = build_envelope("health", dataset={"num_examples": 3}, run={"seed": 0}, payload={"health_score": 1.0},
    ...                      notes=[Note("id_like_column", "x is like an id", columns=["x"])])
    >>> list(env), env["notes"]
    (['schema_version', 'command', 'dataset', 'run', 'notes', 'health_score'], [{'kind': 'id_like_column', \
'message': 'x is like an id', 'columns': ['x']}])
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "dataset": dataset,
        "run": run,
        "notes": [n.record() for n in notes],
        **payload,
    }


def context_envelope(context: RunContext) -> dict[str, Any]:
    """The JSON object of a finished run (``report.json``, ``--format json``)."""
    return build_envelope(
        context.command,
        dataset=dataset_record(context.dataset),
        run=context.run,
        payload=context.payload,
        notes=context.notes,
    )


def dataset_record(dataset: Dataset) -> dict[str, Any]:
    """The ``dataset`` object of the JSON contract (``path`` is a list for several files, null for a DataFrame)."""
    paths = [str(p) for p in dataset.paths]
    return {
        "path": paths[0] if len(paths) == 1 else paths or None,
        "sha256": dataset.sha256,
        "num_examples": dataset.num_examples,
        "num_classes": dataset.num_classes,
        "class_names": [_plain(c) for c in dataset.class_names],
        "label_column": dataset.label_column,
        "id_column": dataset.id_column,
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


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
