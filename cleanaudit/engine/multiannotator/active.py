"""ActiveLab: which examples gain most from one more annotation (spec §15); lower score = label next.

Labelled examples mix their CROWDLAB consensus quality with the uninformative 1/K, weighted by how
much evidence (annotator and model weights) stands behind them; unlabelled ones use the model alone.
As in the reference, the ensemble variant temperature-scales its inputs in place.
"""

from __future__ import annotations

import numpy as np

from .. import rank
from ._inputs import (
    FRAME_OR_ARRAY,
    NOT_2D,
    is_frame,
    masked_row_sums,
    validate_annotator_matrix,
    validate_probability_inputs,
)
from .crowdlab import get_label_quality_multiannotator, get_label_quality_multiannotator_ensemble
from .majority import get_majority_vote_label, majority_vote
from .temperature import find_best_temp, temp_scale

__all__ = ["get_active_learning_scores", "get_active_learning_scores_ensemble"]


def _labelled_matrix(labels_multiannotator) -> np.ndarray:
    if labels_multiannotator is None:
        raise ValueError(
            "labels_multiannotator cannot be None when passing in pred_probs. Either provide labels_multiannotator "
            "to obtain active learning scores for the labeled examples, or just pass in pred_probs_unlabeled to get "
            "active learning scores for unlabeled examples."
        )
    if is_frame(labels_multiannotator):
        L = labels_multiannotator.to_numpy(dtype=float, na_value=np.nan)
    elif isinstance(labels_multiannotator, np.ndarray):
        L = labels_multiannotator
    else:
        raise ValueError(FRAME_OR_ARRAY)
    if L.ndim != 2:
        raise ValueError(NOT_2D)
    return L


def _labelled_scores(L: np.ndarray, quality, model_weight_total, annotator_weight, num_classes: int) -> np.ndarray:
    """Per example ``np.average([q_i, 1/K], weights=[sum of its annotators' weights + model, mean weight])``."""
    evidence = masked_row_sums(annotator_weight, ~np.isnan(L)) + model_weight_total
    prior_weight = np.mean(annotator_weight)
    q = np.asarray(quality, dtype=np.float64)
    return (q * evidence + (1 / num_classes) * prior_weight) / (evidence + prior_weight)


def _single_labels(L: np.ndarray) -> bool:
    return bool((np.sum(~np.isnan(L), axis=1) == 1).all())


def get_active_learning_scores(
    labels_multiannotator=None, pred_probs: np.ndarray | None = None, pred_probs_unlabeled: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(scores_labeled, scores_unlabeled)``: the lowest scores mark the examples to annotate next.

    >>> nan = np.nan
    >>> L = np.array([[0, 0, nan], [1, 0, 1], [nan, 1, 1]])
    >>> labeled, unlabeled = get_active_learning_scores(L, np.array([[.9, .1], [.4, .6], [.2, .8]]))
    >>> int(np.argmin(labeled)), unlabeled.tolist()
    (1, [])
    """
    validate_probability_inputs(pred_probs, pred_probs_unlabeled)
    if pred_probs is not None:
        L = _labelled_matrix(labels_multiannotator)
        num_classes = pred_probs.shape[1]
        if _single_labels(L):
            temperature = 1.0
            validate_annotator_matrix(L, pred_probs, allow_single_label=True)
            quality = rank.get_label_quality_scores(majority_vote(L, pred_probs, num_classes), pred_probs)
            model_weight, annotator_weight = 1, np.full(L.shape[1], 1)
        else:
            temperature = find_best_temp(L, pred_probs)
            pred_probs = temp_scale(pred_probs, temperature)
            info = get_label_quality_multiannotator(
                L, pred_probs, return_annotator_stats=False, return_detailed_quality=False, return_weights=True
            )
            quality = info["label_quality"]["consensus_quality_score"]
            model_weight, annotator_weight = info["model_weight"], info["annotator_weight"]
        prior_weight = np.mean(annotator_weight)
        scores = _labelled_scores(L, quality, model_weight, annotator_weight, num_classes)
    else:
        num_classes = pred_probs_unlabeled.shape[1]
        temperature, model_weight, prior_weight, scores = 1, 1, 1, np.array([])
    if pred_probs_unlabeled is None:
        return scores, np.array([])
    scaled = temp_scale(pred_probs_unlabeled, temperature)
    top = np.max(scaled, axis=1)
    unlabeled = np.average(
        np.stack([top, np.full(len(top), 1 / num_classes)]), weights=[model_weight, prior_weight], axis=0
    )
    return scores, unlabeled


def get_active_learning_scores_ensemble(
    labels_multiannotator=None, pred_probs: np.ndarray | None = None, pred_probs_unlabeled: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """ActiveLab with an ensemble: ``pred_probs`` and ``pred_probs_unlabeled`` are (E, N, K) and are
    temperature-scaled in place, as in the reference.

    >>> nan = np.nan
    >>> L = np.array([[0, 0, nan], [1, 0, 1], [nan, 1, 1]])
    >>> P = np.array([[[.9, .1], [.4, .6], [.2, .8]], [[.8, .2], [.5, .5], [.3, .7]]])
    >>> int(np.argmin(get_active_learning_scores_ensemble(L, P)[0]))
    1
    """
    validate_probability_inputs(pred_probs, pred_probs_unlabeled, ensemble=True)
    if pred_probs is not None:
        L = _labelled_matrix(labels_multiannotator)
        num_classes = pred_probs[0].shape[1]
        if _single_labels(L):
            temperatures = np.full(len(pred_probs), 1.0)
            validate_annotator_matrix(L, pred_probs, ensemble=True, allow_single_label=True)
            mean_probs = np.mean(pred_probs, axis=0)
            quality = rank.get_label_quality_scores(majority_vote(L, mean_probs, num_classes), mean_probs)
            model_weight, annotator_weight = np.full(len(pred_probs), 1), np.full(L.shape[1], 1)
        else:
            temperatures = np.full(len(pred_probs), np.nan)
            for e in range(len(pred_probs)):
                temperatures[e] = find_best_temp(L, pred_probs[e])
                pred_probs[e] = temp_scale(pred_probs[e], temperatures[e])
            info = get_label_quality_multiannotator_ensemble(
                L, pred_probs, return_annotator_stats=False, return_detailed_quality=False, return_weights=True
            )
            quality = info["label_quality"]["consensus_quality_score"]
            model_weight, annotator_weight = info["model_weight"], info["annotator_weight"]
        prior_weight = np.mean(annotator_weight)
        scores = _labelled_scores(L, quality, np.sum(model_weight), annotator_weight, num_classes)
    else:
        num_classes = pred_probs_unlabeled[0].shape[1]
        temperatures = np.full(len(pred_probs_unlabeled), 1.0)
        model_weight, prior_weight, scores = np.full(len(pred_probs_unlabeled), 1), 1, np.array([])
    if pred_probs_unlabeled is None:
        return scores, np.array([])
    unl = pred_probs_unlabeled
    for e in range(len(unl)):
        unl[e] = temp_scale(unl[e], temperatures[e])
    consensus = get_majority_vote_label(np.argmax(unl, axis=2).T, np.mean(unl, axis=0))
    uniform = np.full(unl.shape[1:], 1 / num_classes)[np.newaxis, :, :]
    weights = np.concatenate((model_weight, np.array([prior_weight])))
    mixed = np.average(np.concatenate((unl, uniform)), weights=weights, axis=0)
    return scores, rank.get_label_quality_scores(consensus, mixed)
