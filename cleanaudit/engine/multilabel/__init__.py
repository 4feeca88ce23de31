"""Multi-label confident learning on NumPy arrays: a drop-in for the reference's multi-label functions.

Same names, argument names, defaults and results as cleanlab 2.9's
``multilabel_classification.filter``, ``.rank`` and ``.dataset`` (spec:
``shared/spec/multilabel-and-multiannotator.md``, Part A). ``labels`` is a list with one list
of class indices per example (``[]`` = no class); ``pred_probs`` is N×K, one independent
probability per class. Each class c is a binary problem, "annotated with c or not", solved
with the single-label engine on ``[1 - P[:, c], P[:, c]]``. Pure NumPy.

Deliberate differences (everything else agrees bit for bit; see the tests):

* DataFrames become column dicts (``pandas.DataFrame(result)`` gives the reference's frame);
  ``verbose`` never prints; ``n_jobs`` is accepted and ignored.
* Where the reference uses a bare ``assert`` (a label row that is not a list, an unknown
  ``filter_by``, ``n_jobs < 1``, non-list labels in ``get_confident_thresholds``) a
  ``ValueError`` with a clear message is raised; the reference's ``DeprecationWarning`` for
  ``find_label_issues(multi_label=True)`` is not given (the engine supports that route).
* ``calibrate_confident_joint`` given fewer slices than classes leaves the missing slices at
  zero, where the reference leaves them uninitialised.
* Exact ties at a selection boundary may be broken differently (the reference's own unstable
  argsort makes those choices arbitrary); ``confidence_weighted_entropy`` on float32 agrees
  to about 1e-7 (see :mod:`cleanaudit.engine`).

>>> import numpy as np
>>> from cleanaudit.engine.multilabel import find_label_issues, labels_to_onehot
>>> labels = [[0], [0, 1], [1], [], [2], [0, 2], [1, 2], [0], [1], [2]]
>>> P = np.array([[.9, .1, .2], [.8, .3, .1], [.2, .7, .1], [.1, .2, .15], [.6, .1, .8],
...               [.7, .2, .9], [.1, .8, .3], [.05, .9, .2], [.3, .6, .4], [.2, .3, .45]])
>>> find_label_issues(labels, P).nonzero()[0].tolist()
[1, 7]
>>> labels_to_onehot(labels, 3)[1].tolist()
[1, 1, 0]
"""

from .._routes import register_multi_label
from . import count as _count
from ._inputs import labels_to_onehot
from .dataset import (
    common_multilabel_issues,
    multilabel_health_summary,
    overall_multilabel_health_score,
    rank_classes_by_multilabel_quality,
)
from .filter import find_label_issues, find_label_issues_checked
from .per_class import find_multilabel_issues_per_class
from .rank import (
    exponential_moving_average,
    get_label_quality_scores,
    get_label_quality_scores_per_class,
    softmin,
)

__all__ = [
    "labels_to_onehot",
    "find_label_issues",
    "find_multilabel_issues_per_class",
    "get_label_quality_scores",
    "get_label_quality_scores_per_class",
    "exponential_moving_average",
    "softmin",
    "common_multilabel_issues",
    "rank_classes_by_multilabel_quality",
    "overall_multilabel_health_score",
    "multilabel_health_summary",
]

# multi_label=True in cleanaudit.engine's count and filter functions is served from here.
register_multi_label(
    get_confident_thresholds=_count.get_confident_thresholds,
    compute_confident_joint=_count.compute_confident_joint,
    calibrate_confident_joint=_count.calibrate_confident_joint,
    estimate_joint=_count.estimate_joint,
    num_label_issues=_count.num_label_issues,
    find_label_issues=find_label_issues_checked,
)
