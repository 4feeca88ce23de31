"""Majority vote with the reference's three tie-breaks, then a seeded random pick (spec §10)."""

from __future__ import annotations

import warnings

import numpy as np

from ._inputs import as_annotator_matrix, validate_annotator_matrix

__all__ = ["get_majority_vote_label"]


def vote_counts(L: np.ndarray, num_classes: int) -> np.ndarray:
    """``cnt[i, k]`` = how many annotators gave class k to example i (a float matrix, as the reference)."""
    counts = np.zeros((L.shape[0], num_classes))
    rows = np.arange(L.shape[0])
    for m in range(L.shape[1]):
        labelled = ~np.isnan(L[:, m])
        counts[rows[labelled], L[labelled, m].astype(int)] += 1
    return counts


def _narrow(ties: dict[int, np.ndarray], votes: np.ndarray, key) -> None:
    """Keep, per tied row, the candidates maximising ``key(row, candidates)``; settle rows left with one."""
    for row, candidates in list(ties.items()):
        scores = key(row, candidates)
        best = np.flatnonzero(scores == np.max(scores))
        if len(best) == 1:
            votes[row] = candidates[best[0]]
            del ties[row]
        else:
            ties[row] = candidates[best]


def _annotator_accuracy_on_settled_rows(L: np.ndarray, votes: np.ndarray, settled: np.ndarray) -> np.ndarray:
    """Each annotator's agreement with the vote on the rows without a tie; NaN → the others' mean."""
    sub, sub_votes = L[settled], votes[settled]
    accuracy = np.zeros(L.shape[1])
    for m in range(L.shape[1]):
        labelled = ~np.isnan(sub[:, m])
        accuracy[m] = np.mean(sub[labelled, m] == sub_votes[labelled]) if labelled.any() else np.nan
    unknown = np.isnan(accuracy)
    accuracy[unknown] = np.mean(accuracy[~unknown])
    return accuracy


def majority_vote(L: np.ndarray, pred_probs: np.ndarray | None, num_classes: int) -> np.ndarray:
    """The majority-vote labels (int64) of a validated annotator matrix."""
    counts = vote_counts(L, num_classes)
    is_mode = counts == np.max(counts, axis=1).reshape(-1, 1)
    single = is_mode.sum(axis=1) == 1
    votes = np.full(len(L), np.nan)
    votes[single] = np.argmax(is_mode[single], axis=1)
    ties = {int(i): np.flatnonzero(is_mode[i]) for i in np.flatnonzero(~single)}
    if pred_probs is not None and ties:  # 1: the model's most likely candidate
        _narrow(ties, votes, lambda row, cand: pred_probs[row, cand])
    if ties:  # 2: the class with the fewest annotations in the whole dataset
        frequency = counts.sum(axis=0)
        _narrow(ties, votes, lambda row, cand: -frequency[cand])
    if ties:  # 3: the candidate whose annotators agree most with the vote elsewhere
        accuracy = _annotator_accuracy_on_settled_rows(L, votes, np.flatnonzero(single))
        _narrow(ties, votes, lambda row, cand: np.array([np.mean(accuracy[np.where(L[row] == c)[0]]) for c in cand]))
    if ties:
        warnings.warn(
            f"breaking ties of examples {list(ties)} by random selection, you may want to set seed for reproducability",
            stacklevel=3,
        )
        for row, candidates in ties.items():
            votes[row] = np.random.choice(candidates)  # the legacy global RNG, as the reference
    return votes.astype(int)


def get_majority_vote_label(labels_multiannotator, pred_probs: np.ndarray | None = None, verbose: bool = True):
    """Consensus by majority vote; ties go to the model's most likely class, then the rarer class, then the
    class of the annotators who agree most with the vote elsewhere, then a random pick (``np.random``).

    ``verbose`` also validates the input (and never prints).

    >>> nan = np.nan
    >>> L = np.array([[0, 0, 1], [1, nan, 1], [0, 1, nan]])
    >>> get_majority_vote_label(L, np.array([[.6, .4], [.3, .7], [.2, .8]])).tolist()
    [0, 1, 1]
    """
    L, annotator_ids = as_annotator_matrix(labels_multiannotator)
    if verbose:
        validate_annotator_matrix(L, pred_probs, annotator_ids=annotator_ids)
    num_classes = pred_probs.shape[1] if pred_probs is not None else int(np.nanmax(L) + 1)
    return majority_vote(L, pred_probs, num_classes)
