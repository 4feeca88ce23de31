"""Rows that are exact copies of each other: found by sorting, then made each other's first neighbours.

The neighbour graph's exact-duplicate correction (spec §6.2): a group of copies is never split by
distance ties, because its members are each other's first neighbours at distance 0.
"""

from __future__ import annotations

import numpy as np


def duplicate_groups(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group id of every row (rows with identical values share it) and each group's size.

    >>> ids, sizes = duplicate_groups(np.array([[1.0, 2], [3, 4], [1, 2]]))
    >>> bool(ids[0] == ids[2] != ids[1]), sizes[ids].tolist()
    (True, [2, 1, 2])
    """
    # "+ 0.0" turns -0.0 into 0.0, which compare equal but differ in bytes.
    x = np.ascontiguousarray(features) + 0.0
    if x.shape[1] == 0:
        return np.zeros(len(x), np.int64), np.array([len(x)])
    # One opaque item per row: sorting them is much faster than np.unique(axis=0), same groups.
    rows = x.view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()
    _, inverse, counts = np.unique(rows, return_inverse=True, return_counts=True)
    return inverse.ravel().astype(np.int64), counts


def fix_exact_duplicates(
    indices: np.ndarray, distances: np.ndarray, group: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Make copies of a row its first neighbours at distance 0 (spec §6.2), in place.

    A group of s <= k copies: each member's first s-1 slots are the other members (by index),
    followed by its former non-member neighbours in their order. A group larger than k: its
    first k+1 members neighbour each other, every later member neighbours the first k.
    """
    n, k = indices.shape
    row_size = sizes[group]
    dup_rows = np.flatnonzero(row_size > 1)
    if len(dup_rows) == 0:
        return indices, distances
    # Members of each group, sorted by group then by index.
    order = dup_rows[np.argsort(group[dup_rows], kind="stable")]
    g_sorted = group[order]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    pos_in_group = np.empty(n, np.int64)
    pos_in_group[order] = rank
    first_member = np.empty(n, np.int64)
    first_member[order] = np.repeat(starts, np.diff(np.r_[starts, len(order)]))  # offset into `order`

    for s in np.unique(row_size[dup_rows]):
        rows = dup_rows[row_size[dup_rows] == s]
        m = int(min(s, k + 1))  # members that neighbour each other
        # Columns 0..m-1: the group's first m members (positions within `order`).
        base = first_member[rows][:, None] + np.arange(m)[None, :]
        members = order[base]  # len(rows) x m, ascending index
        inner = pos_in_group[rows] < m
        if s <= k:
            others = members[members != rows[:, None]].reshape(len(rows), m - 1)
            old_ind, old_dist = indices[rows], distances[rows]
            is_member = group[old_ind] == group[rows][:, None]
            keep = np.argsort(is_member, axis=1, kind="stable")[:, : k - m + 1]
            indices[rows] = np.hstack([others, np.take_along_axis(old_ind, keep, 1)])
            distances[rows] = np.hstack([np.zeros((len(rows), m - 1)), np.take_along_axis(old_dist, keep, 1)])
        else:
            r_in, r_out = rows[inner], rows[~inner]
            mem_in = members[inner]
            indices[r_in] = mem_in[mem_in != r_in[:, None]].reshape(len(r_in), k)
            indices[r_out] = members[~inner][:, :k]
            distances[rows] = 0.0
    return indices, distances
