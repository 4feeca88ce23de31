"""CROWDLAB: consensus labels, their quality and the annotators' quality (spec §12, §13).

Where the reference returns DataFrames these return ``dict[str, np.ndarray]`` of columns in its order:
``label_quality`` (rows in input order), ``detailed_label_quality`` (``quality_annotator_<id>``) and
``annotator_stats`` (first key ``annotator``, rows sorted as the reference sorts them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import rank
from ._inputs import annotator_names, as_annotator_matrix, validate_annotator_matrix
from ._stats import NO_KWARGS, ConsensusStats, consensus_stats
from .annotators import annotator_stats
from .majority import majority_vote
from .temperature import find_best_temp, temp_scale

__all__ = ["get_label_quality_multiannotator", "get_label_quality_multiannotator_ensemble"]

CONSENSUS_METHODS = ["majority_vote", "best_quality"]


def best_quality_label(post_pred_probs: np.ndarray, majority: np.ndarray) -> np.ndarray:
    """The posterior's most likely class where it is unique (exact equality), else the majority vote."""
    is_max = post_pred_probs == np.max(post_pred_probs, axis=1, keepdims=True)
    return np.where(is_max.sum(axis=1) == 1, np.argmax(post_pred_probs, axis=1), majority).astype(int)


def detailed_quality(L: np.ndarray, post_pred_probs: np.ndarray, label_quality_score_kwargs: Mapping) -> np.ndarray:
    """N x M, Fortran-ordered (as the reference's ``apply_along_axis``): the quality of each annotator's
    label under the posterior, NaN where the annotator gave none."""
    out = np.full(L.shape, np.nan, order="F")
    for m in range(L.shape[1]):
        labelled = ~np.isnan(L[:, m])
        out[labelled, m] = rank.get_label_quality_scores(
            L[labelled, m].astype(int), post_pred_probs[labelled], **label_quality_score_kwargs
        )
    return out


def _detailed_columns(detailed: np.ndarray, names: np.ndarray) -> dict[str, np.ndarray]:
    return {f"quality_annotator_{name}": detailed[:, m] for m, name in enumerate(names.tolist())}


def _label_quality(stats: ConsensusStats, consensus: np.ndarray, num_annotations: np.ndarray) -> dict[str, Any]:
    return {
        "consensus_label": consensus,
        "consensus_quality_score": stats.consensus_quality_score,
        "annotator_agreement": stats.annotator_agreement,
        "num_annotations": num_annotations,
    }


def get_label_quality_multiannotator(
    labels_multiannotator,
    pred_probs: np.ndarray,
    *,
    consensus_method: str | list[str] = "best_quality",
    quality_method: str = "crowdlab",
    calibrate_probs: bool = False,
    return_detailed_quality: bool = True,
    return_annotator_stats: bool = True,
    return_weights: bool = False,
    verbose: bool = True,
    label_quality_score_kwargs: Mapping = NO_KWARGS,
) -> dict[str, Any]:
    """Consensus label, consensus quality and annotator agreement per example (CROWDLAB), plus optionally
    each annotator's label quality, an annotator table and the model/annotator weights.

    ``labels_multiannotator``: an N x M array (NaN = not labelled) or a DataFrame (columns = annotators).
    ``verbose`` is accepted for compatibility; the engine never prints.

    >>> nan = np.nan
    >>> L = np.array([[0, 0, 1], [1, 1, nan], [0, nan, 0], [1, 0, 1]])
    >>> P = np.array([[.8, .2], [.3, .7], [.6, .4], [.4, .6]])
    >>> out = get_label_quality_multiannotator(L, P)
    >>> out["label_quality"]["consensus_label"].tolist()
    [0, 1, 0, 1]
    >>> out["annotator_stats"]["annotator"].tolist()
    [2, 1, 0]
    """
    L, annotator_ids = as_annotator_matrix(labels_multiannotator)
    if return_weights and quality_method != "crowdlab":
        raise ValueError(
            "Model and annotator weights are only applicable to the crowdlab quality method. "
            "Either set return_weights=False or quality_method='crowdlab'."
        )
    validate_annotator_matrix(L, pred_probs, annotator_ids=annotator_ids)
    num_annotations = np.sum(~np.isnan(L), axis=1)
    if calibrate_probs:
        pred_probs = temp_scale(pred_probs, find_best_temp(L, pred_probs))
    methods = consensus_method if isinstance(consensus_method, list) else [consensus_method]
    kwargs: dict[str, Any] = dict(
        quality_method=quality_method, verbose=verbose, label_quality_score_kwargs=label_quality_score_kwargs
    )
    if "best_quality" in methods or "majority_vote" in methods:
        majority = majority_vote(L, pred_probs, pred_probs.shape[1])
        majority_stats = consensus_stats(L, pred_probs, num_annotations, majority, **kwargs)
    out: dict[str, Any] = {}
    if not methods:  # the reference then fails on an unset variable unless nothing else is requested
        if return_detailed_quality or return_annotator_stats or return_weights:
            raise ValueError(f"consensus_method is empty; choose from {CONSENSUS_METHODS}")
        return {"label_quality": {"num_annotations": num_annotations}}
    for position, method in enumerate(methods):
        if method == "majority_vote":
            consensus, stats = majority, majority_stats
        elif method == "best_quality":
            consensus = best_quality_label(majority_stats.post_pred_probs, majority)
            stats = consensus_stats(L, pred_probs, num_annotations, consensus, **kwargs)
        else:
            raise ValueError(
                f"{method} is not a valid consensus method! Please choose a valid consensus_method: {CONSENSUS_METHODS}"
            )
        if position > 0:
            out["label_quality"].update({
                f"consensus_label_{method}": consensus,
                f"consensus_quality_score_{method}": stats.consensus_quality_score,
                f"annotator_agreement_{method}": stats.annotator_agreement,
            })  # fmt: skip
            continue
        out["label_quality"] = _label_quality(stats, consensus, num_annotations)
        detailed = None
        if return_detailed_quality:
            detailed = detailed_quality(L, stats.post_pred_probs, label_quality_score_kwargs)
            out["detailed_label_quality"] = _detailed_columns(detailed, annotator_names(annotator_ids, L.shape[1]))
        if return_annotator_stats:
            out["annotator_stats"] = annotator_stats(
                L, stats.post_pred_probs, consensus, num_annotations, stats.model_weight, stats.annotator_weight,
                stats.consensus_quality_score, detailed, annotator_names(annotator_ids, L.shape[1]), quality_method,
            )  # fmt: skip
    if return_weights:
        out["model_weight"] = stats.model_weight
        out["annotator_weight"] = stats.annotator_weight
    return out


def get_label_quality_multiannotator_ensemble(
    labels_multiannotator,
    pred_probs: np.ndarray,
    *,
    calibrate_probs: bool = False,
    return_detailed_quality: bool = True,
    return_annotator_stats: bool = True,
    return_weights: bool = False,
    verbose: bool = True,
    label_quality_score_kwargs: Mapping = NO_KWARGS,
) -> dict[str, Any]:
    """CROWDLAB with an ensemble: ``pred_probs`` is (E, N, K), each member weighted by its own accuracy.

    As in the reference, ``calibrate_probs`` overwrites ``pred_probs`` in place, and any non-empty
    ``label_quality_score_kwargs`` raises ``TypeError`` (it is unpacked into an internal call).

    >>> nan = np.nan
    >>> L = np.array([[0, 0, 1], [1, 1, nan], [0, nan, 0], [1, 0, 1]])
    >>> P = np.array([[[.8, .2], [.3, .7], [.6, .4], [.4, .6]], [[.7, .3], [.2, .8], [.9, .1], [.5, .5]]])
    >>> get_label_quality_multiannotator_ensemble(L, P)["label_quality"]["consensus_label"].tolist()
    [0, 1, 0, 1]
    """
    L, annotator_ids = as_annotator_matrix(labels_multiannotator)
    validate_annotator_matrix(L, pred_probs, ensemble=True, annotator_ids=annotator_ids)
    num_annotations = np.sum(~np.isnan(L), axis=1)
    if calibrate_probs:
        for e in range(len(pred_probs)):
            pred_probs[e] = temp_scale(pred_probs[e], find_best_temp(L, pred_probs[e]))
    majority = majority_vote(L, np.mean(pred_probs, axis=0), pred_probs.shape[2])
    majority_stats = consensus_stats(
        L, pred_probs, num_annotations, majority, verbose=verbose, ensemble=True, **label_quality_score_kwargs
    )
    consensus = best_quality_label(majority_stats.post_pred_probs, majority)
    stats = consensus_stats(
        L, pred_probs, num_annotations, consensus, verbose=verbose, ensemble=True, **label_quality_score_kwargs
    )
    out: dict[str, Any] = {"label_quality": _label_quality(stats, consensus, num_annotations)}
    names = annotator_names(annotator_ids, L.shape[1])
    detailed = None
    if return_detailed_quality:
        detailed = detailed_quality(L, stats.post_pred_probs, label_quality_score_kwargs)
        out["detailed_label_quality"] = _detailed_columns(detailed, names)
    if return_annotator_stats:
        out["annotator_stats"] = annotator_stats(
            L, stats.post_pred_probs, consensus, num_annotations, np.mean(stats.model_weight), stats.annotator_weight,
            stats.consensus_quality_score, detailed, names,
        )  # fmt: skip
    if return_weights:
        out["model_weight"] = stats.model_weight
        out["annotator_weight"] = stats.annotator_weight
    return out
