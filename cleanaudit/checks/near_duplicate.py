"""``near_duplicate``: rows that are (nearly) copies of other rows (spec §6.5).

Let ``r`` be each row's distance to its nearest neighbour and ``m`` the median of ``r``. Row j
is a near duplicate of row i when it is one of i's ``k`` neighbours at distance below
``threshold * m`` (default 0.13), or the other way round; a row is flagged when it has any
near duplicate. Its score is ``1 - exp(-r / m)`` (0 for an exact copy, about 0.63 at the median).

On top of the reference, the check names **exact duplicates** (identical raw feature rows,
missing values included; the encoded rows when the raw table is not given) and **conflicting
labels** (identical rows with different labels). Per-row columns:

* ``near_duplicate_set``: the row's near duplicates as space-separated row positions in
  ascending order, e.g. ``"3 17"`` (``""`` when none; the reference keeps discovery order);
* ``distance_to_nearest_neighbor``;
* ``exact_duplicate_group``: the group id shared by identical rows (numbered by first
  appearance), or -1;
* ``has_conflicting_labels``: the row's exact-duplicate group holds more than one label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cleanaudit.checks.base import COUNT, CheckInputs, CheckResult, Limit, register

NAME = "near_duplicate"
MAX_EXAMPLES = 10


def near_duplicate_pairs(indices: np.ndarray, distances: np.ndarray, limit: float) -> np.ndarray:
    """Symmetric (i, j) pairs with j among i's neighbours closer than ``limit``, sorted, unique.

    >>> near_duplicate_pairs(np.array([[1], [0], [1]]), np.array([[0.0], [0.0], [5.0]]), 0.1).tolist()
    [[0, 1], [1, 0]]
    """
    n, k = indices.shape
    rows, cols = np.nonzero(distances < limit)
    src = np.concatenate([rows, indices[rows, cols]])
    dst = np.concatenate([indices[rows, cols], rows])
    # One int64 key per pair: sorts and de-duplicates in one pass.
    keys = np.unique(src.astype(np.int64) * n + dst)
    return np.stack([keys // n, keys % n], axis=1)


def sets_as_strings(pairs: np.ndarray, n: int) -> np.ndarray:
    """Per row, its partners from ``pairs`` as a space-separated string (object array).

    >>> sets_as_strings(np.array([[0, 1], [0, 2], [1, 0]]), 3).tolist()
    ['1 2', '0', '']
    """
    out = np.full(n, "", dtype=object)
    if len(pairs) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    ends = np.r_[starts[1:], len(pairs)]
    partners = pairs[:, 1].astype(str)
    for a, b in zip(starts, ends):
        out[pairs[a, 0]] = " ".join(partners[a:b])
    return out


def exact_duplicate_groups(inputs: CheckInputs) -> np.ndarray:
    """Group id per row for rows that occur more than once (numbered by first appearance), else -1.

    Raw rows are compared when given (so missing values count as equal to missing values);
    otherwise the encoded features.
    """
    if inputs.raw_features is not None:
        import pandas as pd

        hashes = pd.util.hash_pandas_object(inputs.raw_features, index=False).to_numpy()
        _, first, inverse, counts = np.unique(hashes, return_index=True, return_inverse=True, return_counts=True)
    else:
        from cleanaudit.checks.graph.copies import duplicate_groups

        inverse, counts = inputs.knn.duplicate_groups() if inputs.knn is not None else duplicate_groups(inputs.features)
        first = np.full(len(counts), len(inverse), np.int64)
        np.minimum.at(first, inverse, np.arange(len(inverse)))
    inverse = inverse.ravel()
    repeated = counts > 1
    # Renumber the repeated groups 0.. in order of their first row.
    order = np.argsort(np.where(repeated, first, len(inverse) + 1), kind="stable")
    new_id = np.full(len(counts), -1, np.int64)
    new_id[order[: int(repeated.sum())]] = np.arange(int(repeated.sum()))
    return new_id[inverse]


def conflicting_groups(groups: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """Per group id, whether its rows carry more than one distinct label.

    >>> conflicting_groups(np.array([0, 0, -1, 1, 1]), np.array([1, 2, 3, 4, 4])).tolist()
    [True, False]
    """
    num = int(groups.max()) + 1 if len(groups) else 0
    if labels is None or num == 0:
        return np.zeros(num, bool)
    member = groups >= 0
    g, y = groups[member], np.asarray(labels)[member]
    lo = np.full(num, np.iinfo(np.int64).max)
    hi = np.full(num, np.iinfo(np.int64).min)
    codes = np.unique(y, return_inverse=True)[1].ravel().astype(np.int64)
    np.minimum.at(lo, g, codes)
    np.maximum.at(hi, g, codes)
    return lo != hi


@register(
    NAME,
    description="Rows that are exact or near copies of other rows, and copies with conflicting labels.",
    needs=("features",),
    params={"k": 10, "threshold": 0.13},
    limits={"k": COUNT, "threshold": Limit(low=0)},
    needs_labels=False,
)
def run(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    """Flag rows with a neighbour much closer than the typical nearest-neighbour distance.

    >>> X = np.array([[0.0, 0], [0, 0], [1, 0], [3, 1], [0, 5], [6, 6]])
    >>> r = run(CheckInputs(6, ["a", "b"], labels=np.array([0, 1, 0, 0, 1, 1]), features=X), {"k": 2})
    >>> r.is_issue.tolist(), r.columns["near_duplicate_set"][:2].tolist()
    ([True, True, False, False, False, False], ['1', '0'])
    >>> r.columns["has_conflicting_labels"][:3].tolist()  # rows 0 and 1 are copies labelled 0 and 1
    [True, True, False]
    """
    from cleanaudit.checks.graph.knn import SharedKnn

    knn = inputs.knn if inputs.knn is not None else SharedKnn(inputs.features)
    k = int(params.get("k", 10))
    threshold = max(float(params.get("threshold", 0.13)), 0.0)  # negative counts as 0, as the reference
    graph = knn.graph(k)
    n = graph.num_rows
    nearest = graph.distances[:, 0]
    m = max(float(np.median(nearest)), 1e-6)  # floored so exact copies still count as near
    pairs = near_duplicate_pairs(graph.indices, graph.distances, threshold * m)
    is_issue = np.zeros(n, bool)
    is_issue[pairs[:, 0]] = True
    scores = 1 - np.exp(-(1.0 / m) * nearest)  # as a temperature, to match the reference bit for bit
    scores[np.isclose(nearest, 0)] = 0.0

    groups = exact_duplicate_groups(inputs)
    conflicts = conflicting_groups(groups, inputs.labels)
    has_conflict = np.zeros(n, bool)
    has_conflict[groups >= 0] = conflicts[groups[groups >= 0]]
    sets = sets_as_strings(pairs, n)
    info = {
        "num_exact_duplicate_groups": int(len(conflicts)),
        "num_rows_in_exact_duplicates": int(np.count_nonzero(groups >= 0)),
        "num_conflicting_label_groups": int(conflicts.sum()),
        "median_distance_to_nearest_neighbor": m,
        "threshold": threshold,
        "k": graph.k,
        "metric": graph.metric,
        "example_sets": _examples(sets, scores, is_issue),
    }
    if graph.k < k:
        info["k_requested"] = k
    columns = {
        "near_duplicate_set": sets,
        "distance_to_nearest_neighbor": nearest.copy(),
        "exact_duplicate_group": groups,
        "has_conflicting_labels": has_conflict,
    }
    return CheckResult(NAME, is_issue, scores, float(scores.mean()), info, columns)


def _examples(sets: np.ndarray, scores: np.ndarray, is_issue: np.ndarray) -> list[list[int]]:
    """Up to MAX_EXAMPLES sets (a row plus its near duplicates), closest first, each new row once."""
    flagged = np.flatnonzero(is_issue)
    out: list[list[int]] = []
    shown: set[int] = set()
    for i in flagged[np.argsort(scores[flagged], kind="stable")]:
        if int(i) in shown:
            continue
        members = sorted([int(i), *map(int, sets[i].split())])
        shown.update(members)
        out.append(members)
        if len(out) == MAX_EXAMPLES:
            break
    return out
