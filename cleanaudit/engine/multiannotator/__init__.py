"""Several annotators per example: consensus labels, their quality, annotator quality (CROWDLAB) and
active learning scores (ActiveLab), as cleanlab 2.9's ``cleanlab.multiannotator``.

Same names, argument names and defaults, same results (spec: ``shared/spec/multilabel-and-multiannotator.md``
Part B), documented quirks included. ``labels_multiannotator`` is an N x M array with NaN where an
annotator gave no label, or a DataFrame (columns = annotator ids; never imported here: any object with
``columns`` and ``to_numpy`` works). Pure NumPy, silent.

Deliberate differences:

* DataFrames become ``dict[str, np.ndarray]`` of columns in the reference's order; ``annotator_stats``
  starts with an ``annotator`` column holding its index; ``convert_long_to_wide_dataset`` starts with
  ``task``. ``verbose`` never prints (warnings the reference issues with ``warnings.warn`` still are).
* Bare ``assert``-style failures and an empty ``consensus_method`` list raise ``ValueError``.

>>> import numpy as np
>>> from cleanaudit.engine.multiannotator import get_label_quality_multiannotator, get_majority_vote_label
>>> nan = np.nan
>>> L = np.array([[0, 0, 1], [1, 1, nan], [0, nan, 0], [1, 0, 1], [nan, 1, 1]])
>>> P = np.array([[.8, .2], [.3, .7], [.6, .4], [.4, .6], [.1, .9]])
>>> get_majority_vote_label(L, P).tolist()
[0, 1, 0, 1, 1]
>>> out = get_label_quality_multiannotator(L, P)
>>> [round(float(s), 3) for s in out["label_quality"]["consensus_quality_score"]]
[0.806, 0.716, 0.626, 0.626, 0.9]
"""

from .active import get_active_learning_scores, get_active_learning_scores_ensemble
from .crowdlab import get_label_quality_multiannotator, get_label_quality_multiannotator_ensemble
from .majority import get_majority_vote_label
from .temperature import find_best_temp, temp_scale
from .wide import convert_long_to_wide_dataset

__all__ = [
    "get_label_quality_multiannotator",
    "get_label_quality_multiannotator_ensemble",
    "get_active_learning_scores",
    "get_active_learning_scores_ensemble",
    "get_majority_vote_label",
    "convert_long_to_wide_dataset",
    "find_best_temp",
    "temp_scale",
]
