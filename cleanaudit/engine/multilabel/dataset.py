"""Dataset-level multi-label summaries (spec §7): common issues, class ranking, health score.

The reference returns DataFrames; these return ``dict[str, np.ndarray]`` of the same columns
in the same order, rows in the same order (``pandas.DataFrame(result)`` gives its frame).
Sorting reproduces pandas' single-column ``sort_values`` (an unstable quicksort; for descending
order it reverses, sorts, reverses back), so ties come out as in the reference.
"""

from __future__ import annotations

import numpy as np

from . import _inputs
from .filter import find_label_issues
from .per_class import find_multilabel_issues_per_class

__all__ = [
    "common_multilabel_issues",
    "rank_classes_by_multilabel_quality",
    "overall_multilabel_health_score",
    "multilabel_health_summary",
]

Columns = dict[str, np.ndarray]


def _sort_order(values: np.ndarray, *, ascending: bool) -> np.ndarray:
    """Row order of pandas' ``sort_values`` on one float column without NaN (quicksort)."""
    if ascending:
        return np.argsort(values, kind="quicksort")
    reversed_idx = np.arange(len(values))[::-1]
    return reversed_idx[values[::-1].argsort(kind="quicksort")][::-1]


def _num_examples(labels, confident_joint=None) -> int:
    if labels is None and confident_joint is None:
        raise ValueError("labels are needed (or a confident_joint to count the examples from).")
    return len(labels) if labels is not None else int(np.sum(np.asarray(confident_joint)[0]))


def _take(columns: dict[str, list], order: np.ndarray, names: list[str]) -> Columns:
    return {name: np.asarray(columns[name])[order] for name in names}


def common_multilabel_issues(labels=list, pred_probs=None, *, class_names=None, confident_joint=None) -> Columns:
    """Per class, how many examples look wrongly annotated with it and wrongly without it.

    Two rows per class: ``In Given Label=True`` (annotated with c, c looks wrong) and
    ``In Suggested Label=True`` (not annotated with c, c looks missing), with ``Num Examples``
    and ``Issue Probability`` (= count / N); sorted by ``Issue Probability``, largest first.

    >>> P = np.array([[.9, .2], [.8, .3], [.7, .1], [.2, .9], [.1, .8], [.3, .7], [.6, .8], [.85, .1]])
    >>> out = common_multilabel_issues([[0], [0], [0], [1], [1], [1], [1], [1]], P)
    >>> out["Class Index"].tolist(), out["In Given Label"].tolist(), out["Num Examples"].tolist()
    ([0, 1, 0, 1], [False, True, True, False], [1, 1, 0, 0])
    """
    num_examples = _num_examples(labels, confident_joint)
    onehot = _inputs.onehot(labels, pred_probs)
    issues_list, _, _ = find_multilabel_issues_per_class(
        labels, pred_probs, confident_joint=confident_joint, return_indices_ranked_by="self_confidence"
    )
    cols: dict[str, list] = {name: [] for name in ("Class Name", "Class Index", "In Given Label", "In Suggested Label")}
    cols.update({"Num Examples": [], "Issue Probability": []})
    for c, flagged in enumerate(issues_list):
        is_issue = np.zeros(len(onehot), dtype=bool)
        is_issue[flagged] = True
        for annotated in (True, False):
            count = int(np.count_nonzero(is_issue & (onehot[:, c] == (1 if annotated else 0))))
            if class_names is not None:
                cols["Class Name"].append(class_names[c])
            cols["Class Index"].append(c)
            cols["In Given Label"].append(annotated)
            cols["In Suggested Label"].append(not annotated)
            cols["Num Examples"].append(count)
            cols["Issue Probability"].append(np.int64(count) / num_examples)
    names = list(cols)[0 if class_names is not None else 1 :]
    order = _sort_order(np.asarray(cols["Issue Probability"], dtype=np.float64), ascending=False)
    out = _take(cols, order, names)
    out["Class Index"] = out["Class Index"].astype(np.int64)
    out["Num Examples"] = out["Num Examples"].astype(np.int64)
    return out


def rank_classes_by_multilabel_quality(
    labels=None, pred_probs=None, *, class_names=None, joint=None, confident_joint=None
) -> Columns:
    """One row per class, worst first: ``Label Issues`` (annotated but looks wrong), ``Inverse Label
    Issues`` (missing), their shares of all N examples (``Label Noise``, ``Inverse Label Noise``)
    and ``Label Quality Score = 1 - Label Noise``.

    As in the reference, the issue counts are truncated (``int(share · N)``) and ``joint`` (not
    ``confident_joint``, which only counts N) is the (K, 2, 2) joint the filter uses.

    >>> P = np.array([[.9, .2], [.8, .3], [.7, .1], [.2, .9], [.1, .8], [.3, .7], [.6, .8], [.85, .1]])
    >>> rank_classes_by_multilabel_quality([[0], [0], [0], [1], [1], [1], [1], [1]], P)["Label Quality Score"].tolist()
    [0.875, 1.0]
    """
    issues = common_multilabel_issues(labels, pred_probs, class_names=class_names, confident_joint=joint)
    num_examples = _num_examples(labels, confident_joint)
    rows: dict[int, dict] = {}  # by class, in order of first appearance in the sorted issues
    for r in range(len(issues["Class Index"])):
        entry = rows.setdefault(int(issues["Class Index"][r]), {})
        if class_names is not None:
            entry["Class Name"] = issues["Class Name"][r]
        share = float(issues["Issue Probability"][r])
        if issues["In Given Label"][r]:
            entry["Label Issues"] = int(share * num_examples)
            entry["Label Noise"] = share
            entry["Label Quality Score"] = 1 - share
        else:
            entry["Inverse Label Issues"] = int(share * num_examples)
            entry["Inverse Label Noise"] = share
    names = ["Class Name"] if class_names is not None else []
    names += ["Class Index", "Label Issues", "Inverse Label Issues", "Label Noise", "Inverse Label Noise"]
    names += ["Label Quality Score"]
    cols: dict[str, list] = {name: [] for name in names}
    for c, entry in rows.items():
        for name in names:
            cols[name].append(c if name == "Class Index" else entry[name])
    order = _sort_order(np.asarray(cols["Label Quality Score"], dtype=np.float64), ascending=True)
    out = _take(cols, order, names)
    for name in ("Class Index", "Label Issues", "Inverse Label Issues"):
        out[name] = out[name].astype(np.int64)
    return out


def overall_multilabel_health_score(labels=None, pred_probs=None, *, confident_joint=None) -> float:
    """``1 - (examples flagged in any class) / N``, with the default ``prune_by_noise_rate``.

    >>> P = np.array([[.9, .2], [.8, .3], [.7, .1], [.2, .9], [.1, .8], [.3, .7], [.6, .8], [.85, .1]])
    >>> float(overall_multilabel_health_score([[0], [0], [0], [1], [1], [1], [1], [1]], P))
    0.875
    """
    num_examples = _num_examples(labels)
    issues = find_label_issues(labels, pred_probs, confident_joint=confident_joint)
    return float(1.0 - np.sum(issues) / num_examples)


def multilabel_health_summary(
    labels=None, pred_probs=None, *, class_names=None, num_examples=None, confident_joint=None, verbose=True
) -> dict:
    """The three summaries in one dict (``verbose`` is accepted; nothing is printed).

    Keys: ``overall_multilabel_health_score``, ``classes_by_multilabel_quality`` and
    ``common_multilabel_issues``. As in the reference, the class ranking ignores ``confident_joint``.

    >>> P = np.array([[.9, .2], [.8, .3], [.7, .1], [.2, .9], [.1, .8], [.3, .7], [.6, .8], [.85, .1]])
    >>> sorted(multilabel_health_summary([[0], [0], [0], [1], [1], [1], [1], [1]], P))
    ['classes_by_multilabel_quality', 'common_multilabel_issues', 'overall_multilabel_health_score']
    """
    if num_examples is None:
        _num_examples(labels)
    classes = rank_classes_by_multilabel_quality(
        labels, pred_probs, class_names=class_names, confident_joint=confident_joint
    )
    common = common_multilabel_issues(labels, pred_probs, class_names=class_names, confident_joint=confident_joint)
    score = overall_multilabel_health_score(labels, pred_probs, confident_joint=confident_joint)
    return {
        "overall_multilabel_health_score": score,
        "classes_by_multilabel_quality": classes,
        "common_multilabel_issues": common,
    }
