"""Per-class multi-label issues (spec §4): one binary confident-learning problem per class."""

from __future__ import annotations

import warnings

import numpy as np

from . import _inputs
from ._binary import find_binary_issues, find_binary_issues_low_memory

__all__ = ["find_multilabel_issues_per_class"]


def _per_class_joint(confident_joint, num_classes: int):
    """The (K, 2, 2) joint to use per class, or None (an old-style K×K joint is ignored)."""
    if confident_joint is None:
        return None
    cj = np.asarray(confident_joint)
    if cj.shape == (num_classes, num_classes):
        warnings.warn(
            "The new recommended format for `confident_joint` in multi_label settings is (num_classes,2,2) as "
            "output by compute_confident_joint(...,multi_label=True). Your K x K confident_joint in the old "
            "format is being ignored.",
            stacklevel=3,
        )
        return None
    if cj.shape != (num_classes, 2, 2):
        raise ValueError("confident_joint should be of shape (num_classes, 2, 2)")
    return cj


def find_multilabel_issues_per_class(
    labels: list,
    pred_probs: np.ndarray,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = {},  # noqa: B006 - read only, the reference's default
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | None = None,
    n_jobs: int | None = None,
    verbose: bool = False,
    low_memory: bool = False,
):
    """Per class, which examples' annotation of that class looks wrong.

    Returns an N×K bool array (column c: class c wrongly present or wrongly missing), or with
    ``return_indices_ranked_by`` a tuple ``(issues_list, labels_list, pred_probs_list)`` of
    K-lists: the flagged indices ranked by the binary score (ascending indices with
    ``low_memory``), ``Y[:, c]`` and the binary view ``[1 - P[:, c], P[:, c]]``.
    ``num_to_remove_per_class[c]`` asks for that many examples probably *missing* class c.

    >>> P = np.array([[.9, .2], [.8, .3], [.7, .1], [.2, .9], [.1, .8], [.3, .7], [.6, .8], [.85, .1]])
    >>> find_multilabel_issues_per_class([[0], [0], [0], [1], [1], [1], [1], [1]], P).nonzero()
    (array([7, 7]), array([0, 1]))
    """
    onehot = _inputs.onehot(labels, pred_probs)
    num_classes = pred_probs.shape[1]
    cj = None if low_memory else _per_class_joint(confident_joint, num_classes)
    ranked = return_indices_ranked_by is not None
    mask = np.zeros(onehot.shape, dtype=bool)
    issues_list, labels_list, pred_probs_list = [], [], []
    for c in range(num_classes):
        y, q = onehot[:, c], _inputs.binary_view(pred_probs[:, c])
        if low_memory:
            found = find_binary_issues_low_memory(y, q, return_indices_ranked_by=return_indices_ranked_by)
        else:
            found = find_binary_issues(
                y,
                q,
                return_indices_ranked_by=return_indices_ranked_by,
                rank_by_kwargs=rank_by_kwargs,
                filter_by=filter_by,
                frac_noise=frac_noise,
                num_to_remove_per_class=None if num_to_remove_per_class is None else [num_to_remove_per_class[c], 0],
                min_examples_per_class=min_examples_per_class,
                confident_joint=None if cj is None else cj[c],
                n_jobs=n_jobs,
            )
        if ranked:
            issues_list.append(found)
            labels_list.append(y)
            pred_probs_list.append(q)
        else:
            mask[:, c] = found
    return (issues_list, labels_list, pred_probs_list) if ranked else mask
