"""Dataset-level summaries: per-class label quality, overlapping classes, overall health (spec §4).

The reference returns pandas DataFrames; the engine never imports pandas, so these return
``dict[str, np.ndarray]`` with the same column names, order and row order:
``pandas.DataFrame(result)`` equals the reference's DataFrame.
"""

from __future__ import annotations

import numpy as np

from .count import estimate_joint, num_label_issues

__all__ = [
    "rank_classes_by_label_quality",
    "find_overlapping_classes",
    "top_overlapping_classes",
    "overall_label_health_score",
    "health_summary",
]

_NUM_EXAMPLES_MISSING = (
    "num_examples is None: pass confident_joint, or both joint and num_examples, or labels and pred_probs."
)


def _pandas_sort_order(values: np.ndarray, *, ascending: bool) -> np.ndarray:
    """Row order of ``DataFrame.sort_values`` on one column (default unstable quicksort).

    pandas reverses the data before an ascending argsort when asked for descending order, and
    reverses the result again; ties therefore come out exactly as pandas puts them. NaNs go last.
    """
    values = np.asarray(values)
    nan = np.isnan(values)
    idx = np.arange(len(values))[~nan]
    items = values[~nan]
    if not ascending:
        items, idx = items[::-1], idx[::-1]
    order = idx[items.argsort(kind="quicksort")]
    if not ascending:
        order = order[::-1]
    return np.concatenate([order, np.flatnonzero(nan)])


def _joint_and_count(labels, pred_probs, num_examples, joint, confident_joint) -> tuple[np.ndarray, int]:
    """The joint and the example count from whichever of the three input forms was given."""
    if joint is None:
        if labels is None and pred_probs is None and confident_joint is None:
            raise ValueError("Pass labels and pred_probs, or joint and num_examples, or confident_joint.")
        joint = estimate_joint(labels, pred_probs, confident_joint=confident_joint)
    if num_examples is None:
        if labels is not None:
            num_examples = len(labels)
        elif confident_joint is not None:
            num_examples = np.sum(confident_joint)
        else:
            raise ValueError(_NUM_EXAMPLES_MISSING)
    return np.asarray(joint), num_examples


def _check_finite(joint: np.ndarray) -> None:
    if not np.isfinite(joint).all():
        raise ValueError("The joint contains NaN or infinity (was the confident_joint all zeros?).")


def _take(columns: dict[str, np.ndarray], order: np.ndarray) -> dict[str, np.ndarray]:
    return {name: np.asarray(col)[order] for name, col in columns.items()}


def rank_classes_by_label_quality(
    labels=None,
    pred_probs: np.ndarray | None = None,
    *,
    class_names=None,
    num_examples: int | None = None,
    joint: np.ndarray | None = None,
    confident_joint: np.ndarray | None = None,
    multi_label: bool = False,
) -> dict[str, np.ndarray]:
    """Per-class label noise, one row per class, worst ``Label Quality Score`` first.

    Columns: ``Class Name`` (if ``class_names``), ``Class Index``, ``Label Issues``,
    ``Inverse Label Issues``, ``Label Noise``, ``Inverse Label Noise``, ``Label Quality Score``.

    >>> cj = np.array([[8, 2], [1, 9]])
    >>> out = rank_classes_by_label_quality(confident_joint=cj)
    >>> out["Class Index"].tolist(), out["Label Issues"].tolist()
    ([0, 1], [2, 1])
    """
    if multi_label:
        raise ValueError("multi_label is not supported by rank_classes_by_label_quality.")
    joint, n = _joint_and_count(labels, pred_probs, num_examples, joint, confident_joint)
    _check_finite(joint)
    given = joint.sum(axis=1) - joint.diagonal()  # p(given=k) - p(given=k, true=k)
    true = joint.sum(axis=0) - joint.diagonal()
    given_noise = given / np.clip(joint.sum(axis=1), 1e-6, None)
    true_noise = true / np.clip(joint.sum(axis=0), 1e-6, None)
    columns = {}
    if class_names is not None:
        columns["Class Name"] = np.asarray(class_names)
    columns["Class Index"] = np.arange(len(joint))
    columns["Label Issues"] = (given * n).round().astype(int)
    columns["Inverse Label Issues"] = (true * n).round().astype(int)
    columns["Label Noise"] = given_noise
    columns["Inverse Label Noise"] = true_noise
    columns["Label Quality Score"] = 1 - given_noise
    return _take(columns, _pandas_sort_order(columns["Label Quality Score"], ascending=True))


def find_overlapping_classes(
    labels=None,
    pred_probs: np.ndarray | None = None,
    *,
    asymmetric: bool = False,
    class_names=None,
    num_examples: int | None = None,
    joint: np.ndarray | None = None,
    confident_joint: np.ndarray | None = None,
    multi_label: bool = False,
) -> dict[str, np.ndarray]:
    """Pairs of classes that the labels confuse, most overlapping first.

    Symmetric (default): each pair a < b once, with ``J[a, b] + J[b, a]``; ``asymmetric`` lists
    every ordered pair (a, b), a != b, with ``J[a, b]``. Columns: ``Class Name A/B`` (if
    ``class_names``), ``Class Index A``, ``Class Index B``, ``Num Overlapping Examples``,
    ``Joint Probability``. With many classes, :func:`top_overlapping_classes` gives the first rows.

    >>> cj = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 10]])
    >>> out = find_overlapping_classes(confident_joint=cj)
    >>> out["Class Index A"][0], out["Class Index B"][0], out["Num Overlapping Examples"][0]
    (np.int64(0), np.int64(1), np.int64(3))
    """
    if multi_label:
        raise ValueError("multi_label is not supported by find_overlapping_classes.")
    columns, _ = top_overlapping_classes(
        labels,
        pred_probs,
        top=None,
        asymmetric=asymmetric,
        class_names=class_names,
        num_examples=num_examples,
        joint=joint,
        confident_joint=confident_joint,
    )
    return columns


def top_overlapping_classes(
    labels=None,
    pred_probs: np.ndarray | None = None,
    *,
    top: int | None = 100,
    asymmetric: bool = False,
    class_names=None,
    num_examples: int | None = None,
    joint: np.ndarray | None = None,
    confident_joint: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], int]:
    """The first ``top`` rows of :func:`find_overlapping_classes` (all with ``None``), and the number of pairs.

    The rows are exactly the reference's first rows, ties included: pairs of equal joint
    probability (common: the calibrated confident joint holds whole counts, and most pairs are
    0) come out in the order of the reference's unstable sort, which needs every pair's value.
    So one array of the K(K-1)/2 values and its argsort are made (8 bytes each per pair: 200 MB
    at 5,000 classes), but no per-pair index or name arrays: those exist for the kept rows only.

    >>> cj = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 10]])
    >>> out, num_pairs = top_overlapping_classes(confident_joint=cj, top=1)
    >>> out["Class Index A"].tolist(), out["Class Index B"].tolist(), num_pairs
    ([0], [1], 3)
    """
    joint, n = _joint_and_count(labels, pred_probs, num_examples, joint, confident_joint)
    _check_finite(joint)
    k = len(joint)
    num_pairs = k * (k - 1) if asymmetric else k * (k - 1) // 2
    keep = num_pairs if top is None else max(0, min(int(top), num_pairs))
    linear = _head_of_sorted_pairs(joint, asymmetric, keep)
    a, b = _pair_indices(linear, k, asymmetric)
    prob = joint[a, b] if asymmetric else joint[a, b] + joint[b, a]
    columns = {}
    if class_names is not None:
        names = np.asarray(class_names)
        columns["Class Name A"], columns["Class Name B"] = names[a], names[b]
    columns["Class Index A"] = a
    columns["Class Index B"] = b
    columns["Num Overlapping Examples"] = (prob * n).round().astype(int)
    columns["Joint Probability"] = prob
    return columns, num_pairs


def _row_offsets(k: int, asymmetric: bool) -> np.ndarray:
    """Where each class's pairs start in the row-major pair order (length k + 1)."""
    rows = np.arange(k + 1, dtype=np.int64)
    return rows * (k - 1) if asymmetric else rows * k - rows * (rows + 1) // 2


def _reversed_pair_values(joint: np.ndarray, asymmetric: bool) -> np.ndarray:
    """Every pair's joint probability, last pair first: the reference's pair order reversed, as pandas sorts it.

    Built one class at a time (no K x K temporaries) straight into one contiguous array, so the
    argsort makes no copy of it.
    """
    k = len(joint)
    offsets = _row_offsets(k, asymmetric)
    total = int(offsets[-1])
    values = np.empty(total, dtype=(joint[:1, :1] + joint[:1, :1]).dtype)
    for a in range(k):
        if asymmetric:
            row = np.concatenate([joint[a, :a], joint[a, a + 1 :]])
        else:
            row = joint[a, a + 1 :] + joint[a + 1 :, a]
        values[total - offsets[a + 1] : total - offsets[a]] = row[::-1]
    return values


def _head_of_sorted_pairs(joint: np.ndarray, asymmetric: bool, keep: int) -> np.ndarray:
    """Positions (row-major pair order) of the first ``keep`` pairs as pandas sorts them, largest first.

    Same arithmetic as ``_pandas_sort_order(values, ascending=False)`` (no NaN: checked before),
    keeping only the head.
    """
    reversed_values = _reversed_pair_values(joint, asymmetric)
    total = len(reversed_values)
    order = reversed_values.argsort(kind="quicksort")
    del reversed_values
    return (total - 1 - order[total - keep :])[::-1]


def _pair_indices(linear: np.ndarray, k: int, asymmetric: bool) -> tuple[np.ndarray, np.ndarray]:
    """Class indices (a, b) of pairs given by their row-major positions."""
    linear = np.asarray(linear, dtype=np.int64)
    if asymmetric:
        a = linear // max(k - 1, 1)
        r = linear - a * (k - 1)
        return a, r + (r >= a)
    offsets = _row_offsets(k, asymmetric)
    a = np.searchsorted(offsets, linear, side="right") - 1
    return a, linear - offsets[a] + a + 1


def overall_label_health_score(
    labels=None,
    pred_probs: np.ndarray | None = None,
    *,
    num_examples: int | None = None,
    confident_joint: np.ndarray | None = None,
    joint: np.ndarray | None = None,
    multi_label: bool = False,
    verbose: bool = True,
) -> float:
    """One number in [0, 1]: the estimated fraction of correct labels.

    With labels and pred_probs: ``1 - num_label_issues(labels, pred_probs) / N``; otherwise the
    trace of the joint. ``verbose`` is accepted for compatibility; the engine never prints
    (the CLI reports the score).

    >>> overall_label_health_score(confident_joint=np.array([[8, 2], [2, 8]]))
    0.8
    """
    if multi_label:
        raise ValueError("multi_label is not supported by overall_label_health_score.")
    if labels is not None and pred_probs is not None:
        n = len(labels) if num_examples is None else num_examples
        return 1 - num_label_issues(labels, pred_probs) / n
    joint, _ = _joint_and_count(labels, pred_probs, num_examples, joint, confident_joint)
    return float(np.trace(joint))


def health_summary(
    labels=None,
    pred_probs: np.ndarray | None = None,
    *,
    asymmetric: bool = False,
    class_names=None,
    num_examples: int | None = None,
    joint: np.ndarray | None = None,
    confident_joint: np.ndarray | None = None,
    multi_label: bool = False,
    verbose: bool = True,
) -> dict:
    """Everything above in one dict: ``overall_label_health_score``, ``joint``,
    ``classes_by_label_quality`` and ``overlapping_classes`` (the latter two as column dicts).

    The reference also prints a report when ``verbose``; here printing is the CLI's job, so
    ``verbose`` is accepted and ignored.

    >>> out = health_summary(confident_joint=np.array([[8, 2], [2, 8]]))
    >>> sorted(out), out["overall_label_health_score"]
    (['classes_by_label_quality', 'joint', 'overall_label_health_score', 'overlapping_classes'], 0.8)
    """
    if multi_label:
        raise ValueError("multi_label is not supported by health_summary.")
    joint, n = _joint_and_count(labels, pred_probs, num_examples, joint, confident_joint)
    common = dict(class_names=class_names, num_examples=n, joint=joint, confident_joint=confident_joint)
    classes = rank_classes_by_label_quality(labels, pred_probs, **common)
    overlap = find_overlapping_classes(labels, pred_probs, asymmetric=asymmetric, **common)
    score = overall_label_health_score(labels, pred_probs, num_examples=n, confident_joint=confident_joint, joint=joint)
    return {
        "overall_label_health_score": score,
        "joint": joint,
        "classes_by_label_quality": classes,
        "overlapping_classes": overlap,
    }
