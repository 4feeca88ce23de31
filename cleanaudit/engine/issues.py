"""Label issues in one call: confident joint, filter, quality scores, ranking and predicted labels.

An internal composition helper, not part of the reference's array API. Every part of cleanaudit
that finds label issues (the find-issues and clean workflows, the ``label`` check, ensembles and
``CleanLearning``) calls :func:`label_issues` instead of chaining the drop-in functions itself.
It only composes the public functions of ``count``, ``filter`` and ``rank`` (plus, for
CleanLearning, known noise matrices, positive-unlabelled learning and the batched filter of
``chunked``), so its masks and scores are theirs, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chunked import low_self_confidence_issues
from .count import _compute_py, _inverse_from_noise, _noise_from_inverse, compute_confident_joint, estimate_latent
from .filter import find_label_issues
from .rank import get_label_quality_scores

__all__ = ["LabelIssueResult", "label_issues", "latent_from_noise_matrices"]


@dataclass
class LabelIssueResult:
    """What :func:`label_issues` found; each array has one entry per example unless said otherwise.

    ``confident_joint`` (K x K, rows = given label), ``py``, ``noise_matrix`` and
    ``inverse_noise_matrix`` are set only when the noise was estimated (see ``estimate_noise``).
    """

    is_issue: np.ndarray  # boolean mask
    label_quality: np.ndarray  # lower = the given label is more likely wrong
    predicted_labels: np.ndarray  # argmax of pred_probs
    ranked_indices: np.ndarray  # the flagged examples, lowest label quality first
    confident_joint: np.ndarray | None = None  # the joint the pruning was sized by (given, or estimated)
    py: np.ndarray | None = None  # prior of the true labels
    noise_matrix: np.ndarray | None = None  # P(given=i | true=j)
    inverse_noise_matrix: np.ndarray | None = None  # P(true=i | given=j)

    @property
    def num_issues(self) -> int:
        return int(self.ranked_indices.size)


def label_issues(
    labels,
    pred_probs: np.ndarray,
    *,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    rank_by: str = "self_confidence",
    rank_by_kwargs: dict | None = None,
    label_quality: np.ndarray | None = None,
    estimate_noise: bool = False,
    confident_joint: np.ndarray | None = None,
    thresholds: np.ndarray | list | None = None,
    noise_matrix: np.ndarray | None = None,
    inverse_noise_matrix: np.ndarray | None = None,
    converge_latent_estimates: bool = False,
    pulearning: int | None = None,
    low_memory: bool = False,
) -> LabelIssueResult:
    """Flag label issues, score every example, rank the flagged ones and predict each label.

    The filter options are :func:`~cleanaudit.engine.find_label_issues`'s; quality scores are
    :func:`~cleanaudit.engine.get_label_quality_scores` with ``method=rank_by`` and
    ``rank_by_kwargs`` (e.g. ``adjust_pred_probs``), unless ``label_quality`` gives them (an
    ensemble's); the flagged examples are ranked by them, lowest first.

    With ``estimate_noise`` (implied by ``confident_joint``, ``noise_matrix``,
    ``inverse_noise_matrix`` and ``pulearning``) the noise is estimated as ``CleanLearning`` does:
    the calibrated confident joint (from ``thresholds`` when given), or the given
    ``confident_joint``, sizes the pruning (``confident_learning`` recounts its own unless a joint
    is given); ``py`` and the noise matrices come from the given matrices, else from that joint
    (``estimate_latent``, ``converge_latent_estimates``). ``pulearning`` (binary labels only) is
    the class whose labels are known to be right: its noise rates are set to zero. Without it,
    the filter counts its own joint and those fields are None.

    ``low_memory`` flags with :func:`~cleanaudit.engine.chunked.low_self_confidence_issues`
    instead; the filter and noise options are then unused.

    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> found = label_issues(np.array([0, 0, 0, 1, 1, 1]), P, estimate_noise=True)
    >>> found.is_issue.tolist(), found.num_issues, found.confident_joint.tolist()
    ([False, False, True, False, False, True], 2, [[2, 1], [1, 2]])
    >>> found.predicted_labels.tolist(), found.noise_matrix.round(3).tolist()
    ([0, 0, 1, 1, 1, 0], [[0.667, 0.333], [0.333, 0.667]])
    """
    num_classes = pred_probs.shape[1]
    joint = py = estimated_noise = estimated_inverse = None
    if low_memory:
        is_issue = low_self_confidence_issues(labels, pred_probs)
    else:
        given = (confident_joint, noise_matrix, inverse_noise_matrix, pulearning)
        estimate_noise = estimate_noise or any(value is not None for value in given)
        if pulearning is not None:
            _check_positive_class(pulearning, num_classes)
        if confident_joint is not None:
            joint = np.array(confident_joint, copy=True)  # never modify the caller's array
        elif estimate_noise:
            joint = compute_confident_joint(labels, pred_probs, thresholds=thresholds)
        pruning_joint = joint if pulearning is None else _known_positive(joint, pulearning)
        # The pruning methods size their cuts by this joint; "confident_learning" recounts its own.
        handed = confident_joint is not None or (joint is not None and filter_by != "confident_learning")
        is_issue = find_label_issues(
            labels,
            pred_probs,
            filter_by=filter_by,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            min_examples_per_class=min_examples_per_class,
            confident_joint=pruning_joint if handed else None,
        )
        if noise_matrix is not None or inverse_noise_matrix is not None:
            py, estimated_noise, estimated_inverse = latent_from_noise_matrices(
                labels, noise_matrix, inverse_noise_matrix, num_classes=num_classes
            )
        elif joint is not None:
            py, estimated_noise, estimated_inverse = estimate_latent(
                joint, labels, converge_latent_estimates=converge_latent_estimates
            )
        if pulearning is not None:
            estimated_noise = _known_positive(estimated_noise, pulearning, dtype=float)
            estimated_inverse = _known_positive(estimated_inverse, pulearning, dtype=float, inverse=True)
        joint = pruning_joint
    if label_quality is None:
        label_quality = get_label_quality_scores(labels, pred_probs, method=rank_by, **(rank_by_kwargs or {}))
    is_issue = np.asarray(is_issue, dtype=bool)
    # What order_label_issues does, reusing the scores instead of computing them again.
    flagged = np.flatnonzero(is_issue)
    ranked = flagged[np.argsort(label_quality[flagged])]
    return LabelIssueResult(
        is_issue, label_quality, pred_probs.argmax(axis=1), ranked, joint, py, estimated_noise, estimated_inverse
    )


def latent_from_noise_matrices(
    labels,
    noise_matrix: np.ndarray | None = None,
    inverse_noise_matrix: np.ndarray | None = None,
    *,
    num_classes: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(py, noise_matrix, inverse_noise_matrix)`` from a known matrix and the given labels' prior.

    With ``noise_matrix``, ``py = inv(noise_matrix) · P(given)`` and the inverse is derived from it
    unless given too; with ``inverse_noise_matrix`` alone, ``py[j] = sum_i P(true=j | given=i) P(given=i)``.

    >>> nm = np.array([[0.8, 0.25], [0.2, 0.75]])
    >>> py, _, inv = latent_from_noise_matrices(np.array([0, 0, 0, 1, 1]), nm, num_classes=2)
    >>> py.round(3).tolist(), inv.round(3).tolist()
    ([0.636, 0.364], [[0.848, 0.318], [0.152, 0.682]])
    """
    y = np.asarray(labels)
    ps = np.bincount(y, minlength=num_classes) / float(len(y))
    if noise_matrix is not None:
        py = _compute_py(ps, noise_matrix, None, "eqn")  # P(true) = inv(noise_matrix) · P(given)
        inv = inverse_noise_matrix if inverse_noise_matrix is not None else _inverse_from_noise(py, noise_matrix, ps)
        return py, noise_matrix, inv
    py = (inverse_noise_matrix * ps).T.sum(axis=0)  # P(true=j) = sum_i P(true=j | given=i) P(given=i)
    return py, _noise_from_inverse(ps, inverse_noise_matrix, py), inverse_noise_matrix


def _check_positive_class(positive, num_classes: int) -> None:
    if num_classes != 2 or positive not in (0, 1) or isinstance(positive, bool):
        raise ValueError(
            f"pulearning must be 0 or 1 (an index of classes_) with exactly 2 classes; "
            f"got pulearning={positive!r} with {num_classes} classes"
        )


def _known_positive(matrix: np.ndarray, positive: int, *, dtype=None, inverse: bool = False) -> np.ndarray:
    """A copy of a 2 x 2 joint or noise matrix (``inverse``: inverse noise matrix) in which the
    labels of class ``positive`` are all right: its noise rates are 0 and the other class keeps 1."""
    other = 1 - positive
    out = np.array(matrix, dtype=dtype, copy=True)
    if inverse:
        out[other, positive], out[positive, positive] = 0, 1
    else:
        out[positive, other], out[other, other] = 0, 1
    return out
