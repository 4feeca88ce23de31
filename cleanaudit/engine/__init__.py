"""Confident learning on NumPy arrays: a drop-in for the reference's array functions.

Same names, argument names and defaults as cleanlab 2.9's ``count``, ``filter``, ``rank``,
``dataset`` and noise-generation functions, with the same results (spec:
``shared/spec/confident-learning.md``). Pure NumPy: no pandas, no printing, no files.
Functions that return DataFrames in the reference return ``dict[str, np.ndarray]`` here
(``pandas.DataFrame(result)`` gives the same frame).

Deliberate differences (everything else agrees bit for bit; see the tests):

* DataFrames become column dicts; ``verbose`` never prints (reporting is the CLI's job);
  ``n_jobs`` is accepted and ignored (vectorised, no multiprocessing). ``multi_label=True``
  (``find_label_issues``, ``num_label_issues`` and the counting functions) runs the
  multi-label engine, :mod:`cleanaudit.engine.multilabel` (its own differences are listed
  there); the chunked ``blocks`` engine still refuses it.
* Bad arguments raise ``ValueError`` where the reference uses ``assert`` (unknown ``filter_by``,
  ensemble weights); the counting functions also check labels and shapes, which the reference
  leaves to crash; labels must be integers; ``num_label_issues`` returns a Python ``int``.
* ``rank_classes_by_label_quality`` and ``health_summary`` work from a confident joint alone
  (its total is N), where the reference raises.
* Exact ties at a selection boundary (equal margins or scores) may be broken differently: the
  reference's own unstable argsort makes those choices arbitrary.
* ``confidence_weighted_entropy`` on float32 input agrees to about 1e-7, not 1e-12: the
  reference's float32 entropy goes through the C library's ``logf`` (platform dependent).

>>> import numpy as np
>>> from cleanaudit.engine import find_label_issues
>>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
>>> find_label_issues(np.array([0, 0, 0, 1, 1, 1]), P, return_indices_ranked_by="self_confidence").tolist()
[2, 5]
"""

from .count import (
    calibrate_confident_joint,
    compute_confident_joint,
    estimate_joint,
    estimate_latent,
    estimate_py_and_noise_matrices_from_probabilities,
    get_confident_thresholds,
    num_label_issues,
)
from .dataset import find_overlapping_classes, overall_label_health_score, rank_classes_by_label_quality
from .filter import find_label_issues
from .noise import generate_noise_matrix_from_trace, generate_noisy_labels
from .rank import get_label_quality_ensemble_scores, get_label_quality_scores, order_label_issues

__all__ = [
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
]

# Serves multi_label=True in count and filter (it builds on them, so it comes last) and registers there.
from . import multilabel  # noqa: E402, F401
