"""noise-matrix: the prior of true labels, noise matrices, confident joint and joint.

>>> from cleanaudit.workflows.noise_matrix import NoiseMatrixRequest, run_noise_matrix
>>> result = run_noise_matrix(NoiseMatrixRequest("sample_data/tutorial/train.csv", label="y", ignore=["y_int"],
...                                              pred_probs="sample_data/tutorial/pred_probs_cv3_logreg_by_name.npy"))
>>> result.confident_joint.shape, result.class_names[0]
((4, 4), 'blue')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cleanaudit.workflows.request import DataRequest

if TYPE_CHECKING:
    from cleanaudit.events import Events
    from cleanaudit.workflows.labels import NoiseMatrixResult
    from cleanaudit.workflows.prepare import Prepared


@dataclass
class NoiseMatrixRequest(DataRequest):
    """noise-matrix's own options (as the engine's ``estimate_py_and_noise_matrices_from_probabilities``)."""

    converge_latent_estimates: bool = False
    py_method: str = "cnt"


def run_noise_matrix(request: NoiseMatrixRequest, *, events: Events | None = None) -> NoiseMatrixResult:
    """Estimate the label noise of the request's data; the result's ``context`` holds the run."""
    from cleanaudit.workflows import labels
    from cleanaudit.workflows.prepare import prepare

    prepared = prepare(request, events)
    if request.annotators:  # several annotators per row: their consensus is the label (workflows.annotators)
        from cleanaudit.workflows.annotators import consensus_prepared

        prepared = consensus_prepared(prepared)
    ds = prepared.dataset
    result = labels.noise_matrix_result(
        ds.labels,
        prepared.pred_probs,
        ds.class_names,
        converge_latent_estimates=request.converge_latent_estimates,
        py_method=request.py_method,
    )
    return conclude_noise_matrix(prepared, result)


def conclude_noise_matrix(prepared: Prepared, result: NoiseMatrixResult) -> NoiseMatrixResult:
    """The run's ``context`` (a local run's or a cluster's)."""
    result.context = prepared.conclude("noise-matrix", result.payload())
    return result
