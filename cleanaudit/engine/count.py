"""Counting: per-class thresholds, the confident joint, calibration, joint and noise matrices (spec §1).

The confident joint ``cj[i, j]`` counts examples whose given label is ``i`` and whose guessed
true label is ``j``. Everything here agrees exactly with the reference, quirks included.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._group import class_thresholds
from ._routes import multi_label as _multi_label
from ._scan import scan
from ._util import (
    CLIPPING_LOWER_BOUND,
    CONFIDENT_THRESHOLDS_LOWER_BOUND,
    TINY_VALUE,
    as_labels,
    check_labels_match,
    check_pred_probs,
    check_prob_range,
    clip_noise_rates,
    clip_values,
    label_counts,
    prob_extremes,
    round_preserving_row_totals,
    validate,
)

__all__ = [
    "get_confident_thresholds",
    "compute_confident_joint",
    "calibrate_confident_joint",
    "estimate_joint",
    "estimate_latent",
    "estimate_py_and_noise_matrices_from_probabilities",
    "num_label_issues",
]

PY_METHODS = ("cnt", "eqn", "marginal", "marginal_ps")
ESTIMATION_METHODS = ("off_diagonal", "off_diagonal_calibrated", "off_diagonal_custom")


def _prepare(labels, pred_probs) -> np.ndarray:
    """Shape and label checks for the counting functions (the reference does not range-check here)."""
    check_pred_probs(pred_probs)
    y = as_labels(labels)
    check_labels_match(y, pred_probs, allow_one_class=True)
    return y


def _thresholds(y: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """Mean self-confidence per class, bit-identical to the reference (see ``class_thresholds``)."""
    return np.clip(class_thresholds(y, pred_probs), CONFIDENT_THRESHOLDS_LOWER_BOUND, None)


def get_confident_thresholds(labels, pred_probs: np.ndarray, multi_label: bool = False) -> np.ndarray:
    """Per-class threshold: the average predicted probability of class k over examples labelled k.

    Classes absent from ``labels`` get threshold 2 (never reached); all are clipped below at 2e-6.

    >>> P = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    >>> get_confident_thresholds(np.array([0, 0, 1]), P).round(3).tolist()
    [0.7, 0.7]
    """
    if multi_label:
        return _multi_label("get_confident_thresholds")(labels, pred_probs)
    y = _prepare(labels, pred_probs)
    return _thresholds(y, pred_probs)


def _as_thresholds(thresholds, y: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    return _thresholds(y, pred_probs) if thresholds is None else np.asarray(thresholds)


def _force_diagonal(cj: np.ndarray) -> np.ndarray:
    # Every class keeps at least one confident self-count, even a missing class.
    np.fill_diagonal(cj, np.maximum(cj.diagonal(), 1))
    return cj


def compute_confident_joint(
    labels,
    pred_probs: np.ndarray,
    *,
    thresholds: np.ndarray | list | None = None,
    calibrate: bool = True,
    multi_label: bool = False,
    return_indices_of_off_diagonals: bool = False,
):
    """K×K counts of (given label, confidently guessed true label); rows are the given label.

    Example i is confident in class k when ``P[i, k] >= t_k - 1e-6``. With one confident class,
    that class is the guess; with several, the reference takes the unrestricted argmax.
    With ``return_indices_of_off_diagonals`` also return the indices counted off the diagonal
    (always from the uncalibrated counting). With ``multi_label=True`` (``labels`` a list of
    label lists) every function here answers per class from :mod:`cleanaudit.engine.multilabel`:
    a (K, 2, 2) joint, (K, 2) thresholds.

    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> compute_confident_joint(np.array([0, 0, 0, 1, 1, 1]), P).tolist()
    [[2, 1], [1, 2]]
    """
    if multi_label:
        return _multi_label("compute_confident_joint")(
            labels,
            pred_probs,
            thresholds=thresholds,
            calibrate=calibrate,
            return_indices_of_off_diagonals=return_indices_of_off_diagonals,
        )
    y = _prepare(labels, pred_probs)
    t = _as_thresholds(thresholds, y, pred_probs)
    counts = scan(y, pred_probs, t, off_diagonal=return_indices_of_off_diagonals)
    cj = _force_diagonal(counts.cj)
    if calibrate:
        cj = calibrate_confident_joint(cj, y)
    return (cj, counts.off_diagonal) if return_indices_of_off_diagonals else cj


def calibrate_confident_joint(confident_joint: np.ndarray, labels, *, multi_label: bool = False) -> np.ndarray:
    """Scale each row of the confident joint to the number of examples with that given label.

    Rows are rescaled to ``n_k``, the matrix to ``N``, then rounded so each row sums exactly to ``n_k``.

    >>> calibrate_confident_joint(np.array([[2, 0], [1, 1]]), np.array([0, 0, 0, 1, 1])).tolist()
    [[3, 0], [1, 1]]
    """
    if multi_label:
        return _multi_label("calibrate_confident_joint")(confident_joint, labels)
    cj = np.asarray(confident_joint)
    return calibrate_by_counts(cj, label_counts(as_labels(labels), cj.shape[0]))


def calibrate_by_counts(cj: np.ndarray, n_k: np.ndarray) -> np.ndarray:
    """:func:`calibrate_confident_joint` from the per-class label counts ``n_k`` alone."""
    row_sums = cj.sum(axis=1)
    scaled = (cj.T / np.clip(row_sums, TINY_VALUE, None) * n_k).T
    # The total is clipped like the rows: an all-zero joint stays zero (0/0 would give INT_MIN counts).
    scaled = scaled / np.clip(scaled.sum(), TINY_VALUE, None) * n_k.sum()
    return round_preserving_row_totals(scaled)


def estimate_joint(
    labels, pred_probs: np.ndarray, *, confident_joint: np.ndarray | None = None, multi_label: bool = False
) -> np.ndarray:
    """Joint distribution p(given label, true label): the calibrated confident joint over its total.

    A given ``confident_joint`` is re-calibrated when ``labels`` is given, else used as is.

    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> estimate_joint(np.array([0, 0, 0, 1, 1, 1]), P).round(3).tolist()
    [[0.333, 0.167], [0.167, 0.333]]
    """
    if multi_label:
        return _multi_label("estimate_joint")(labels, pred_probs, confident_joint=confident_joint)
    if confident_joint is None:
        cal = compute_confident_joint(labels, pred_probs, calibrate=True)
    elif labels is not None:
        cal = calibrate_confident_joint(confident_joint, labels)
    else:
        cal = np.asarray(confident_joint)
    return cal / np.clip(float(np.sum(cal)), TINY_VALUE, None)


def _compute_py(ps, nm, inv, py_method: str, true_counts=None) -> np.ndarray:
    """Prior of the true labels (spec §1.5), clipped to [1e-6, 1] and renormalised."""
    if py_method == "cnt":
        py = inv.diagonal() / np.clip(nm.diagonal(), TINY_VALUE, None) * ps
    elif py_method == "eqn":
        py = np.linalg.inv(nm).dot(ps)
    elif py_method == "marginal":
        py = true_counts / float(np.sum(true_counts))
    elif py_method == "marginal_ps":
        py = np.dot(inv, ps)
    else:
        raise ValueError(f"py_method {py_method} should be in [{', '.join(PY_METHODS)}]")
    return clip_values(py, low=CLIPPING_LOWER_BOUND, high=1.0, new_sum=1.0)


def _inverse_from_noise(py, nm, ps):
    # inv[j, i] = P(true=j | given=i) = nm[i, j] * py_j / ps_i
    return clip_noise_rates((nm * py).T / np.clip(ps, TINY_VALUE, None))


def _noise_from_inverse(ps, inv, py):
    # nm[i, j] = P(given=i | true=j) = inv[j, i] * ps_i / py_j
    return clip_noise_rates((inv * ps).T / np.clip(py, TINY_VALUE, None))


def _converge(ps, py, nm, inv):
    """Alternate the latent estimates towards agreement (3 outer × 5 inner steps)."""
    for _ in range(3):
        for _ in range(5):
            inv = _inverse_from_noise(py, nm, ps)
            py = _compute_py(ps, nm, inv, "cnt")
        nm = _noise_from_inverse(ps, inv, py)
    py = clip_values(py, low=1e-5, high=1.0, new_sum=1.0)
    return py, clip_noise_rates(nm), clip_noise_rates(inv)


def estimate_latent(
    confident_joint: np.ndarray, labels, *, py_method: str = "cnt", converge_latent_estimates: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(py, noise_matrix, inverse_noise_matrix)`` from a confident joint.

    ``noise_matrix[i, j] = P(given=i | true=j)``, ``inverse_noise_matrix[j, i] = P(true=j | given=i)``;
    both have columns summing to 1.

    >>> py, nm, inv = estimate_latent(np.array([[3, 1], [1, 3]]), np.array([0] * 4 + [1] * 4))
    >>> py.tolist(), nm.tolist()
    ([0.5, 0.5], [[0.75, 0.25], [0.25, 0.75]])
    """
    cj = np.asarray(confident_joint)
    return latent_by_counts(cj, label_counts(as_labels(labels), cj.shape[0]), py_method, converge_latent_estimates)


def latent_by_counts(
    cj: np.ndarray, n_k: np.ndarray, py_method: str = "cnt", converge_latent_estimates: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`estimate_latent` from the per-class label counts ``n_k`` alone."""
    if py_method not in PY_METHODS:
        raise ValueError(f"py_method {py_method} should be in [{', '.join(PY_METHODS)}]")
    ps = n_k / float(n_k.sum())
    col_sums, row_sums = cj.sum(axis=0), cj.sum(axis=1)
    nm = cj / np.clip(col_sums, TINY_VALUE, None)
    inv = cj.T / np.clip(row_sums, TINY_VALUE, None)
    py = _compute_py(ps, nm, inv, py_method, true_counts=col_sums)
    nm, inv = clip_noise_rates(nm), clip_noise_rates(inv)
    if converge_latent_estimates:
        py, nm, inv = _converge(ps, py, nm, inv)
    return py, nm, inv


def estimate_py_and_noise_matrices_from_probabilities(
    labels,
    pred_probs: np.ndarray,
    *,
    thresholds: np.ndarray | list | None = None,
    converge_latent_estimates: bool = True,
    py_method: str = "cnt",
    calibrate: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(py, noise_matrix, inverse_noise_matrix, confident_joint)`` straight from pred_probs.

    Note the default ``converge_latent_estimates=True`` (unlike :func:`estimate_latent`).

    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> py, nm, inv, cj = estimate_py_and_noise_matrices_from_probabilities(np.array([0, 0, 0, 1, 1, 1]), P)
    >>> cj.tolist(), py.tolist()
    ([[2, 1], [1, 2]], [0.5, 0.5])
    """
    cj = compute_confident_joint(labels, pred_probs, thresholds=thresholds, calibrate=calibrate)
    py, nm, inv = estimate_latent(cj, labels, py_method=py_method, converge_latent_estimates=converge_latent_estimates)
    return py, nm, inv, cj


def _off_diagonal_issues(y: np.ndarray, pred_probs: np.ndarray, *, check_range: bool) -> np.ndarray:
    """Indices counted off the diagonal, minus those whose given label is (within 1e-6) the argmax."""
    counts = scan(y, pred_probs, _thresholds(y, pred_probs), off_diagonal_kept=True, extremes=check_range)
    if check_range:
        check_prob_range(*counts.extremes)
    return counts.off_diagonal_kept


def num_label_issues(
    labels,
    pred_probs: np.ndarray,
    *,
    confident_joint: np.ndarray | None = None,
    estimation_method: str = "off_diagonal",
    multi_label: bool = False,
) -> int:
    """Estimated number of label issues.

    ``off_diagonal`` (default) counts the off-diagonal examples of the raw confident counting
    whose given label is not the argmax (equal to ``find_label_issues(filter_by="confident_learning")``);
    ``off_diagonal_calibrated`` is ``rint(N * (1 - trace(joint)))``; ``off_diagonal_custom`` does the
    same from the caller's ``confident_joint``.

    >>> P = np.array([[.9, .1], [.8, .2], [.3, .7], [.2, .8], [.1, .9], [.7, .3]])
    >>> num_label_issues(np.array([0, 0, 0, 1, 1, 1]), P)
    2
    """
    if multi_label:
        return _multi_label("num_label_issues")(
            labels, pred_probs, confident_joint=confident_joint, estimation_method=estimation_method
        )
    y = validate(labels, pred_probs, check_range=False)
    if estimation_method == "off_diagonal":
        if confident_joint is not None:
            warnings.warn(
                "confident_joint is ignored when estimation_method='off_diagonal'; it is recomputed.",
                stacklevel=2,
            )
        return int(len(_off_diagonal_issues(y, pred_probs, check_range=True)))
    if estimation_method not in ESTIMATION_METHODS:
        raise ValueError(
            f"{estimation_method!r} is not a valid estimation method; choose one of: {', '.join(ESTIMATION_METHODS)}"
        )
    check_prob_range(*prob_extremes(pred_probs))
    if estimation_method == "off_diagonal_custom":
        if confident_joint is None:
            raise ValueError(
                "estimation_method='off_diagonal_custom' needs a pre-computed confident_joint; "
                "pass confident_joint=... or use another estimation_method."
            )
        cj = confident_joint
    else:
        cj = compute_confident_joint(y, pred_probs, calibrate=True)
    joint = estimate_joint(y, pred_probs, confident_joint=cj)
    return int(np.rint(len(y) * (1 - np.trace(joint))))
