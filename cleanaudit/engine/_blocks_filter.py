"""``find_label_issues`` and ``label_issues`` over row blocks (see ``blocks``).

Every flagged example is one whose given label is not the tolerant argmax ("beaten"), found per
block. The pruning methods then keep the beaten rows that the whole data's selection picks:
``prune_by_class`` takes, per class, the ``num`` smallest self-confidences with the in-memory
``top`` on the very same array (the grouped self-confidences kept for the thresholds), and
``prune_by_noise_rate`` merges each block's best ``m`` margins per class pair (ties: lowest index).
"""

from __future__ import annotations

import numpy as np

from ._blocks import Request, Totals
from ._blocks_passes import (
    calibrated,
    check_scores,
    counted,
    no_multi_label,
    num_issues,
    run,
    source_of,
    stats,
    thresholds_of,
)
from ._prune import top
from ._util import check_prob_range
from .count import latent_by_counts
from .filter import _apply_num_to_remove, _check_options, _keep_at_least_n_per_class, _prunable
from .issues import LabelIssueResult

_ENTROPY_RANGE = "All probabilities are required to be in the interval [0, 1]."


def _keep_by_class(st: Totals, pcm, n_k, prunable, labels: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Per beaten row (given label, rank within its class): chosen by ``prune_by_class``?"""
    keep = np.zeros(len(labels), dtype=bool)
    for k in np.flatnonzero(prunable):
        num = int(n_k[k] - pcm[k, k])
        if num >= 1:
            values = np.array(st.grouped_self_conf[st.bounds[k] : st.bounds[k + 1]])  # = pred_probs[idx, k]
            chosen = np.zeros(len(values), dtype=bool)
            chosen[top(values, num, largest=False)] = True
            rows = labels == k
            keep[rows] = chosen[ranks[rows]]
    return keep


def _keep_by_noise_rate(src, pcm, n_k, prunable, beaten: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per beaten row: chosen by ``prune_by_noise_rate``? One pass (two if a count exceeds the candidates)."""
    pairs = {
        (int(k), int(j)): int(pcm[j, k])
        for k in np.flatnonzero(prunable)
        for j in np.flatnonzero(pcm[:, k] > 0)
        if j != k
    }
    if not pairs:
        return np.zeros(len(beaten), dtype=bool)
    found = run(src, Request(noise=pairs))
    whole_class = np.zeros(len(n_k), dtype=bool)
    chosen, fallback = [], {}
    for (k, j), m in pairs.items():
        idx, reached = found.noise((k, j))
        if m <= reached:
            chosen.append(idx)
        elif m >= n_k[k]:
            whole_class[k] = True
        else:
            fallback[(k, j)] = m  # the count reaches past the non-negative margins: rank the whole class (rare)
    if fallback:
        again = run(src, Request(whole_class=fallback))
        chosen.extend(again.whole_class(pair) for pair in fallback)
    picked = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.intp)
    return whole_class[labels] | np.isin(beaten, picked)


def find_label_issues(
    source,
    *,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = None,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | None = None,
    n_jobs: int | None = None,
    verbose: bool = False,
    multi_label: bool = False,
) -> np.ndarray:
    """:func:`cleanaudit.engine.find_label_issues` over blocks: the same mask (or ranked indices)."""
    no_multi_label(multi_label)
    _check_options(filter_by, return_indices_ranked_by, frac_noise, num_to_remove_per_class)
    src = source_of(source)
    ranked = return_indices_ranked_by
    adjust = ranked is not None and bool(dict(rank_by_kwargs or {}).get("adjust_pred_probs", False))
    if ranked is not None:
        check_scores(ranked, adjust)
    low = filter_by in ("low_normalized_margin", "low_self_confidence")
    counting = low or confident_joint is None or filter_by == "confident_learning"
    by_class = filter_by in ("prune_by_class", "both")
    st = stats(src, self_conf=counting or by_class or adjust)
    st.check_labels(allow_one_class=st.hi_label == 0 and filter_by != "predicted_neq_given")
    t = thresholds_of(st) if (counting or by_class or adjust) else None
    rank_spec = ((ranked, t if adjust else None, "all" if low else "beaten"),) if ranked is not None else ()
    mask = np.zeros(st.rows, dtype=bool)
    if low:
        req = Request(thresholds=t, off_kept=True, scores=((filter_by[len("low_") :], None, "all"), *rank_spec))
        cnt = run(src, req)
        st.check_labels(allow_one_class=False)  # num_label_issues' own check
        mask[np.argsort(cnt.scores(0))[: num_issues(st, cnt, "off_diagonal", None)]] = True
        flagged, flagged_scores = np.flatnonzero(mask), (cnt.scores(1)[mask] if ranked is not None else None)
    else:
        cl = filter_by == "confident_learning"
        req = Request(
            thresholds=t if counting else None, off_kept=cl, beaten=not cl or ranked is not None, scores=rank_spec
        )
        cnt = run(src, req)
        check_prob_range(*st.extremes)
        beaten, labels = cnt.indices("beaten"), cnt.indices("beaten_label")
        if cl:
            flagged = cnt.indices("off_kept")
            keep = np.isin(beaten, flagged)
        else:
            keep = np.ones(len(beaten), dtype=bool)
            if filter_by != "predicted_neq_given":
                cj = calibrated(st, cnt) if counting else np.asarray(confident_joint)
                n_k = st.label_counts
                pcm = _keep_at_least_n_per_class(cj.T, n=min_examples_per_class, frac_noise=frac_noise)
                if num_to_remove_per_class is not None:
                    pcm = _apply_num_to_remove(pcm, num_to_remove_per_class, n_k)
                prunable = _prunable(n_k, min_examples_per_class)
                if by_class:
                    keep &= _keep_by_class(st, pcm, n_k, prunable, labels, cnt.indices("beaten_rank"))
                if filter_by in ("prune_by_noise_rate", "both"):
                    keep &= _keep_by_noise_rate(src, pcm, n_k, prunable, beaten, labels)
            flagged = beaten[keep]
        mask[flagged] = True
        flagged_scores = cnt.scores(0)[keep] if ranked is not None else None
    if ranked is None:
        return mask
    if ranked == "confidence_weighted_entropy" and (st.extremes[0] < 0 or st.extremes[1] > 1):
        raise ValueError(_ENTROPY_RANGE)
    return flagged[np.argsort(flagged_scores)]


def label_issues(
    source,
    *,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    rank_by: str = "self_confidence",
    rank_by_kwargs: dict | None = None,
    estimate_noise: bool = False,
    confident_joint: np.ndarray | None = None,
    thresholds: np.ndarray | list | None = None,
    converge_latent_estimates: bool = False,
) -> LabelIssueResult:
    """:func:`cleanaudit.engine.issues.label_issues` over blocks (without pulearning, known noise
    matrices or ``low_memory``): mask, N quality scores, N predicted labels, ranking, noise estimates."""
    src = source_of(source)
    kwargs = dict(rank_by_kwargs or {})
    adjust = bool(kwargs.get("adjust_pred_probs", False))
    check_scores(rank_by, adjust)
    joint = py = noise = inverse = None
    n_k = None
    if confident_joint is not None:
        joint = np.array(confident_joint, copy=True)
    elif estimate_noise:
        st, cnt, _ = counted(src, thresholds)
        joint, n_k = calibrated(st, cnt), st.label_counts
    handed = joint is not None and (confident_joint is not None or filter_by != "confident_learning")
    is_issue = find_label_issues(
        src,
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        confident_joint=joint if handed else None,
    )
    st = stats(src, self_conf=adjust)
    if joint is not None:
        py, noise, inverse = latent_by_counts(
            joint, st.label_counts if n_k is None else n_k, "cnt", converge_latent_estimates
        )
    scored = run(src, Request(scores=((rank_by, thresholds_of(st) if adjust else None, "all"),), argmax=True))
    check_prob_range(*st.extremes)
    quality = scored.scores(0)
    flagged = np.flatnonzero(is_issue)
    ranked = flagged[np.argsort(quality[flagged])]
    return LabelIssueResult(is_issue, quality, scored.indices("argmax"), ranked, joint, py, noise, inverse)
