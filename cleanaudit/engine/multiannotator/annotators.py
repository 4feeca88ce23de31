"""Per-annotator statistics (spec §12.7): quality, agreement with the consensus, worst class, count.

Returned as a dict of columns, first ``annotator`` (the ids), rows sorted by quality then agreement
(a stable lexsort, NaN last), so ``pandas.DataFrame(d).set_index("annotator")`` is the reference's frame.
"""

from __future__ import annotations

import numpy as np

from .. import rank

__all__ = ["annotator_stats"]


def _agreement_on(L: np.ndarray, consensus: np.ndarray) -> np.ndarray:
    """Each annotator's share of labels equal to the consensus; NaN for one who labelled no row here."""
    agreement = np.zeros(L.shape[1])
    for m in range(L.shape[1]):
        labelled = ~np.isnan(L[:, m])
        agreement[m] = np.mean(L[labelled, m] == consensus[labelled]) if labelled.any() else np.nan
    return agreement


def annotator_quality(
    L: np.ndarray,
    post_pred_probs: np.ndarray,
    consensus: np.ndarray,
    num_annotations: np.ndarray,
    model_weight,
    annotator_weight: np.ndarray | None,
    detailed_label_quality: np.ndarray | None,
    quality_method: str,
) -> np.ndarray:
    """``crowdlab``: a weighted mix of the mean label quality of the annotator's labels under the posterior
    and their agreement with the consensus on rows with several labels; ``agreement``: that agreement."""
    multi = num_annotations != 1
    agreement = _agreement_on(L[multi], consensus[multi])
    if quality_method == "agreement":
        return agreement
    if quality_method != "crowdlab":
        raise ValueError(
            f"{quality_method} is not a valid annotator quality method! "
            "Please choose a valid quality_method: ['crowdlab', 'agreement']"
        )
    if detailed_label_quality is None:
        scores = np.zeros(L.shape[1])
        for m in range(L.shape[1]):
            labelled = ~np.isnan(L[:, m])
            scores[m] = np.mean(rank.get_label_quality_scores(L[labelled, m].astype(int), post_pred_probs[labelled]))
    else:  # Fortran-ordered: each column is reduced contiguously, as in the reference
        scores = np.nanmean(detailed_label_quality, axis=0)
    annotators_total = np.sum(annotator_weight) * (np.mean(num_annotations) / len(annotator_weight))
    w = model_weight / (model_weight + annotators_total)
    return w * scores + (1 - w) * agreement


def _kahan_mean(values: np.ndarray) -> float:
    """pandas' grouped mean outside its sorted fast path: compensated sum in row order, NaN skipped."""
    total = compensation = 0.0
    count = 0
    for v in values.tolist():
        if v != v:
            continue
        count += 1
        y = v - compensation
        t = total + y
        compensation = (t - total) - y
        if compensation != compensation:
            compensation = 0.0
        total = t
    return total / count if count else np.nan


def _group_means(values: np.ndarray, groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``DataFrame({'g': groups, 'v': values}).groupby('g').mean()['v'][keys]`` as pandas 3 computes it:
    ``np.add.reduceat`` when the groups come sorted and nothing is NaN, else a compensated sum."""
    sorted_rows = bool(np.all(groups[1:] >= groups[:-1]))
    if sorted_rows and not np.isnan(values).any():
        return np.array([np.add.reduceat(values[groups == k], [0])[0] / float(np.sum(groups == k)) for k in keys])
    return np.array([_kahan_mean(values[groups == k]) for k in keys])


def _worst_class(labels: np.ndarray, consensus: np.ndarray, quality: np.ndarray) -> int:
    """The class this annotator agrees least with the consensus on; ties: most used, then the best mean
    consensus quality, then the smallest class."""
    labelled = ~np.isnan(labels)
    given, cons, q = labels[labelled], consensus[labelled], quality[labelled]
    classes = np.unique(given)
    accuracy = np.array([np.mean(given[given == c] == cons[given == c]) for c in classes])
    worst = classes[accuracy == np.min(accuracy)]
    if len(worst) == 1:
        return int(worst[0])
    used = np.array([np.sum(given == c) for c in worst])
    worst = worst[used == np.max(used)]
    if len(worst) == 1:
        return int(worst[0])
    mean_quality = _group_means(q, given, worst)
    return int(worst[mean_quality == np.max(mean_quality)][0])


def annotator_stats(
    L: np.ndarray,
    post_pred_probs: np.ndarray,
    consensus: np.ndarray,
    num_annotations: np.ndarray,
    model_weight,
    annotator_weight: np.ndarray | None,
    consensus_quality_score: np.ndarray,
    detailed_label_quality: np.ndarray | None,
    annotator_ids: np.ndarray,
    quality_method: str = "crowdlab",
) -> dict[str, np.ndarray]:
    """The annotator table as columns, sorted by ``(annotator_quality, agreement_with_consensus)``."""
    quality = annotator_quality(
        L, post_pred_probs, consensus, num_annotations, model_weight, annotator_weight,
        detailed_label_quality, quality_method,
    )  # fmt: skip
    agreement = _agreement_on(L, consensus)
    worst = np.array([_worst_class(L[:, m], consensus, consensus_quality_score) for m in range(L.shape[1])])
    labelled = np.sum(~np.isnan(L), axis=0)
    order = np.lexsort((agreement, quality))
    return {
        "annotator": np.asarray(annotator_ids)[order],
        "annotator_quality": quality[order],
        "agreement_with_consensus": agreement[order],
        "worst_class": worst.astype(int)[order],
        "num_examples_labeled": labelled[order],
    }
