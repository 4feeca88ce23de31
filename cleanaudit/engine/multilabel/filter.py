"""Multi-label label issues (spec §4, §5): one binary confident-learning problem per class.

An example's annotation of class c looks wrong when the binary problem "is it c?" flags it;
an example is a label issue when any class does. Rankings order the flagged examples by the
aggregated multi-label score (``rank.multilabel_scores``). The reference's quirks are kept,
notably the mis-aligned ranking of the ``low_*`` methods (§5.2a).
"""

from __future__ import annotations

import warnings
from functools import reduce

import numpy as np

from ..filter import FILTER_BY as SINGLE_LABEL_FILTER_BY
from . import _inputs
from .per_class import find_multilabel_issues_per_class
from .rank import multilabel_scores, score_method

__all__ = ["find_label_issues", "find_multilabel_issues_per_class"]

FILTER_BY = SINGLE_LABEL_FILTER_BY  # the same seven methods, each run per class
_DEFAULTS = {
    "filter_by": "prune_by_noise_rate",
    "num_to_remove_per_class": None,
    "confident_joint": None,
    "n_jobs": None,
    "frac_noise": 1.0,
    "min_examples_per_class": 1,
}


def _differs(value, default) -> bool:
    """``value != default`` as the reference evaluates it (an array with several entries is ambiguous)."""
    return bool(value != default)


def find_label_issues(
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
) -> np.ndarray:
    """Examples whose label set looks wrong: a bool mask, or indices ranked most severe first.

    An example is flagged when the binary problem of any class flags it (see
    :func:`find_multilabel_issues_per_class`). With ``low_normalized_margin`` or
    ``low_self_confidence`` the examples with the lowest multi-label scores are flagged, as
    many as ``confident_learning`` finds. ``low_memory=True`` uses the batched per-class
    estimator and ignores ``filter_by`` and the pruning options (with a warning).

    >>> P = np.array([[.9, .1, .2], [.8, .3, .1], [.2, .7, .1], [.1, .2, .15], [.6, .1, .8],
    ...               [.7, .2, .9], [.1, .8, .3], [.05, .9, .2], [.3, .6, .4], [.2, .3, .45]])
    >>> labels = [[0], [0, 1], [1], [], [2], [0, 2], [1, 2], [0], [1], [2]]
    >>> find_label_issues(labels, P, return_indices_ranked_by="self_confidence").tolist()
    [7, 1]
    """
    if low_memory:
        if rank_by_kwargs:
            warnings.warn("`rank_by_kwargs` is not used when `low_memory=True`.", stacklevel=2)
        given = {
            "filter_by": filter_by,
            "num_to_remove_per_class": num_to_remove_per_class,
            "confident_joint": confident_joint,
            "n_jobs": n_jobs,
            "frac_noise": frac_noise,
            "min_examples_per_class": min_examples_per_class,
        }
        for name, value in given.items():
            try:
                differs = _differs(value, _DEFAULTS[name])
            except ValueError as exc:
                raise ValueError(f"`{name}` is not used when `low_memory=True`; leave it at its default.") from exc
            if differs:
                warnings.warn(f"`{name}` is not used when `low_memory=True`.", stacklevel=2)
    return find_label_issues_multilabel(
        labels,
        pred_probs,
        return_indices_ranked_by=return_indices_ranked_by,
        rank_by_kwargs=rank_by_kwargs,
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        confident_joint=confident_joint,
        n_jobs=n_jobs,
        low_memory=low_memory,
    )


def find_label_issues_multilabel(
    labels,
    pred_probs,
    *,
    return_indices_ranked_by,
    rank_by_kwargs,
    filter_by,
    frac_noise,
    num_to_remove_per_class,
    min_examples_per_class,
    confident_joint,
    n_jobs,
    low_memory: bool = False,
) -> np.ndarray:
    """The shared routine of both entry points (spec §5.2)."""
    if filter_by in ("low_normalized_margin", "low_self_confidence") and not low_memory:
        return _lowest_scores(labels, pred_probs, return_indices_ranked_by, rank_by_kwargs, confident_joint)
    per_class = find_multilabel_issues_per_class(
        labels,
        pred_probs,
        return_indices_ranked_by,
        rank_by_kwargs,
        filter_by,
        frac_noise,
        num_to_remove_per_class,
        min_examples_per_class,
        confident_joint,
        n_jobs,
        False,
        low_memory,
    )
    if return_indices_ranked_by is None:
        return per_class.sum(axis=1) >= 1
    flagged = reduce(np.union1d, per_class[0])
    base = score_method(return_indices_ranked_by)
    scores = multilabel_scores(
        _inputs.onehot(labels, pred_probs), pred_probs, method=base, base_scorer_kwargs=rank_by_kwargs
    )
    return flagged[np.argsort(scores[flagged])]


def _lowest_scores(labels, pred_probs, return_indices_ranked_by, rank_by_kwargs, confident_joint) -> np.ndarray:
    """``low_*``: the lowest default scores, as many as ``confident_learning`` flags (spec §5.2a)."""
    flagged_by_cl = find_label_issues_checked(
        labels, pred_probs, confident_joint=confident_joint, filter_by="confident_learning"
    )
    count = int(np.sum(flagged_by_cl))
    onehot = _inputs.onehot(labels, pred_probs)
    chosen = np.argsort(multilabel_scores(onehot, pred_probs))[:count]
    mask = np.zeros(len(labels), dtype=bool)
    mask[chosen] = True
    if return_indices_ranked_by is None:
        return mask
    base = score_method(return_indices_ranked_by)
    # The reference's bug, kept: `chosen` is in score order, these scores in index order.
    flagged_scores = multilabel_scores(onehot[mask], pred_probs[mask], method=base, base_scorer_kwargs=rank_by_kwargs)
    return chosen[np.argsort(flagged_scores)]


def find_label_issues_checked(
    labels,
    pred_probs,
    *,
    return_indices_ranked_by=None,
    rank_by_kwargs=None,
    filter_by="prune_by_noise_rate",
    frac_noise=1.0,
    num_to_remove_per_class=None,
    min_examples_per_class=1,
    confident_joint=None,
    n_jobs=None,
) -> np.ndarray:
    """``cleanaudit.engine.find_label_issues(..., multi_label=True)`` (spec §5.1).

    Validates the whole input first (``labels`` must be a list of lists), refuses
    ``num_to_remove_per_class`` with the non-pruning methods (``low_*`` included, unlike
    :func:`find_label_issues`), then runs the same routine without ``low_memory``.
    """
    if filter_by not in FILTER_BY:
        raise ValueError(f"filter_by {filter_by!r} is not supported; choose one of: {', '.join(FILTER_BY)}")
    if isinstance(labels, np.ndarray):
        try:
            set(labels)  # the reference does this (and fails on a 2-D array) before validating
        except TypeError as exc:
            raise TypeError("labels must be a list of lists of class indices when multi_label=True.") from exc
    _inputs.validate(labels, pred_probs)
    if filter_by not in ("prune_by_noise_rate", "prune_by_class", "both"):
        if frac_noise != 1.0 or num_to_remove_per_class is not None:
            warnings.warn(
                "frac_noise and num_to_remove_per_class are only supported for filter_by 'prune_by_noise_rate', "
                "'prune_by_class' and 'both'.",
                stacklevel=3,
            )
        if num_to_remove_per_class is not None:
            raise ValueError(
                "filter_by 'confident_learning', 'predicted_neq_given', 'low_normalized_margin' "
                "or 'low_self_confidence' is not supported (yet) when setting 'num_to_remove_per_class'"
            )
    if filter_by == "confident_learning" and isinstance(confident_joint, np.ndarray):
        warnings.warn(
            "The supplied `confident_joint` is ignored when `filter_by = 'confident_learning'`.", stacklevel=3
        )
    if n_jobs is not None and not n_jobs >= 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs}.")
    return find_label_issues_multilabel(
        labels,
        pred_probs,
        return_indices_ranked_by=return_indices_ranked_by,
        rank_by_kwargs=rank_by_kwargs or {},
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        confident_joint=confident_joint,
        n_jobs=n_jobs,
    )
