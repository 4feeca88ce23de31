"""cleanaudit: audit classification datasets for label errors and other data issues.

The engine's array functions, ``load_dataset``, ``cross_val_pred_probs``, one ``run_<command>``
workflow per command (with its request class) and ``CleanLearning`` are importable from here;
they load on first use so that ``cleanaudit --help`` stays fast.

>>> import cleanaudit
>>> callable(cleanaudit.find_label_issues)
True
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_ENGINE = (
    "get_confident_thresholds",
    "compute_confident_joint",
    "calibrate_confident_joint",
    "estimate_joint",
    "estimate_latent",
    "estimate_py_and_noise_matrices_from_probabilities",
    "num_label_issues",
    "find_label_issues",
    "get_label_quality_scores",
    "get_label_quality_ensemble_scores",
    "order_label_issues",
    "rank_classes_by_label_quality",
    "find_overlapping_classes",
    "overall_label_health_score",
    "generate_noise_matrix_from_trace",
    "generate_noisy_labels",
)
_LOCATIONS = {
    **{name: "cleanaudit.engine" for name in _ENGINE},
    "load_dataset": "cleanaudit.data.load",
    "Dataset": "cleanaudit.data.dataset",
    "cross_val_pred_probs": "cleanaudit.models.crossval",
    "run_audit": "cleanaudit.workflows.audit",
    "AuditRequest": "cleanaudit.workflows.audit",
    "run_find_issues": "cleanaudit.workflows.find_issues",
    "FindIssuesRequest": "cleanaudit.workflows.find_issues",
    "run_health": "cleanaudit.workflows.health",
    "HealthRequest": "cleanaudit.workflows.health",
    "run_overlap": "cleanaudit.workflows.overlap",
    "OverlapRequest": "cleanaudit.workflows.overlap",
    "run_noise_matrix": "cleanaudit.workflows.noise_matrix",
    "NoiseMatrixRequest": "cleanaudit.workflows.noise_matrix",
    "run_clean": "cleanaudit.workflows.clean_run",
    "CleanRequest": "cleanaudit.workflows.clean_run",
    "run_batch": "cleanaudit.workflows.batch",
    "BatchRequest": "cleanaudit.workflows.batch",
    "Note": "cleanaudit.events",
    "CollectingEvents": "cleanaudit.events",
    "CleanLearning": "cleanaudit.learning",
}

__all__ = ["__version__", *_LOCATIONS]


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        return getattr(import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module 'cleanaudit' has no attribute {name!r}")
