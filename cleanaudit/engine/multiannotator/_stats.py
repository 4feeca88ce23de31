"""CROWDLAB's building blocks for one consensus vector (spec §11): agreement, weights, posterior, quality.

The arithmetic follows the reference operation by operation (what is summed in which order, which
values are float64), because the consensus labels downstream compare posteriors for exact equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import rank
from .._util import CLIPPING_LOWER_BOUND
from ._inputs import row_label_counts, stack_by_length

NO_KWARGS: Mapping = MappingProxyType({})
QUALITY_METHODS = ["crowdlab", "agreement"]


@dataclass
class ConsensusStats:
    """Everything computed for one consensus: per-example agreement and quality, the posterior, weights."""

    annotator_agreement: np.ndarray
    consensus_quality_score: np.ndarray
    post_pred_probs: np.ndarray
    model_weight: np.ndarray | float | None
    annotator_weight: np.ndarray | None


def agreement_with_consensus(L: np.ndarray, consensus: np.ndarray) -> np.ndarray:
    """Per example, the share of its annotators who gave the consensus label."""
    return (L == consensus[:, None]).sum(axis=1) / (~np.isnan(L)).sum(axis=1)


def _single_annotator_agreement(sub: np.ndarray, counts: np.ndarray, m: int) -> float:
    """Annotator m's agreement with the others on the rows m labelled, weighted by ``n_i - 1``."""
    if np.sum(counts - 1) == 0:
        return np.nan
    multi = counts > 1
    per_row = np.zeros(len(sub))
    per_row[multi] = ((sub[multi] == sub[multi, m][:, None]).sum(axis=1) - 1) / (counts[multi] - 1)
    return np.average(per_row, weights=counts - 1)


def agreement_with_annotators(L: np.ndarray, num_annotations: np.ndarray) -> np.ndarray:
    """``A_m`` for every annotator; those who never overlap with another get the others' mean."""
    agreement = np.zeros(L.shape[1])
    for m in range(L.shape[1]):
        labelled = ~np.isnan(L[:, m])
        agreement[m] = _single_annotator_agreement(L[labelled], num_annotations[labelled], m)
    unknown = np.isnan(agreement)
    if unknown.any():
        agreement[unknown] = np.mean(agreement[~unknown])
    return agreement


@dataclass
class Weights:
    consensus_likelihood: np.floating
    non_consensus_likelihood: np.floating
    most_likely_class_error: np.floating
    annotator: np.ndarray


def crowdlab_weights(
    L: np.ndarray, consensus: np.ndarray, num_annotations: np.ndarray, agreement: np.ndarray, num_classes: int
) -> Weights:
    """Likelihoods of agreeing / disagreeing with the consensus and the annotators' weights."""
    multi = num_annotations != 1
    likelihood = np.mean(agreement[multi])
    with np.errstate(divide="ignore", invalid="ignore"):  # K = 1: NaN, unused (as in the reference)
        other = (1 - likelihood) / (num_classes - 1)
    cons = consensus[multi]
    mlce = np.clip(
        np.mean(cons != np.argmax(np.bincount(cons, minlength=num_classes))), a_min=CLIPPING_LOWER_BOUND, a_max=None
    )
    error = 1 - agreement_with_annotators(L, num_annotations)
    weights = np.clip(1 - error / mlce, a_min=CLIPPING_LOWER_BOUND, a_max=None)
    return Weights(likelihood, other, mlce, weights)


def model_weight(pred_probs: np.ndarray, consensus: np.ndarray, num_annotations: np.ndarray, mlce) -> np.floating:
    """The model's weight: how much better than "always the most common class" it matches the consensus."""
    multi = num_annotations != 1
    error = np.mean(np.argmax(pred_probs[multi], axis=1) != consensus[multi])
    return np.max([1 - error / mlce, CLIPPING_LOWER_BOUND]) * np.sqrt(np.mean(num_annotations))


def crowdlab_posterior(L: np.ndarray, pred_probs: np.ndarray, weights: Weights, w_model) -> np.ndarray:
    """Weighted mix of the model's probabilities and each annotator's vote (float64, N x K)."""
    num_classes = pred_probs.shape[1]
    total = np.zeros(L.shape[0])
    post = np.asarray(pred_probs, dtype=np.float64) * w_model
    classes = np.arange(num_classes)
    for m in range(L.shape[1]):
        labelled = ~np.isnan(L[:, m])
        total[labelled] += weights.annotator[m]
        agree = weights.annotator[m] * weights.consensus_likelihood
        disagree = weights.annotator[m] * weights.non_consensus_likelihood
        post[labelled] += np.where(L[labelled, m][:, None] == classes, agree, disagree)
    return post / (total + w_model)[:, None]


def ensemble_posterior(L: np.ndarray, pred_probs: np.ndarray, weights: Weights, w_models: np.ndarray) -> np.ndarray:
    """Per cell, ``np.average`` of the E models' P[i, k] and the labelled annotators' (N)CL, weighted.

    Rows with the same number of labels are averaged together, at the exact length of their terms.
    """
    num_members, n, num_classes = pred_probs.shape
    labelled = ~np.isnan(L)
    post = np.full((n, num_classes), np.nan)
    classes = np.arange(num_classes)
    for rows, length in stack_by_length(labelled):
        votes = L[rows][labelled[rows]].reshape(len(rows), length)
        w_annot = np.broadcast_to(weights.annotator, labelled.shape)[rows][labelled[rows]].reshape(len(rows), length)
        w = np.concatenate((np.broadcast_to(w_models, (len(rows), num_members)), w_annot), axis=1)
        likelihood = np.where(
            votes[:, None, :] == classes[None, :, None], weights.consensus_likelihood, weights.non_consensus_likelihood
        )
        models = np.moveaxis(pred_probs[:, rows, :], 0, -1).astype(np.result_type(pred_probs.dtype, likelihood.dtype))
        terms = np.concatenate((models, likelihood), axis=2)
        post[rows] = np.multiply(terms, w[:, None, :]).sum(axis=2) / w.sum(axis=1)[:, None]
    return post


def agreement_posterior(L: np.ndarray, num_classes: int, num_annotations: np.ndarray) -> np.ndarray:
    """Label shares per example, with the float ``value_counts`` quirk of spec §11."""
    return row_label_counts(L, num_classes) / num_annotations.reshape(-1, 1)


def invalid_quality_method(method) -> ValueError:
    return ValueError(
        f"{method} is not a valid quality method! Please choose a valid quality_method: {QUALITY_METHODS}"
    )


def consensus_stats(
    L: np.ndarray,
    pred_probs: np.ndarray,
    num_annotations: np.ndarray,
    consensus_label: np.ndarray,
    quality_method: str = "crowdlab",
    verbose: bool = True,
    ensemble: bool = False,
    label_quality_score_kwargs: Mapping = NO_KWARGS,
) -> ConsensusStats:
    """The statistics of one consensus vector; argument names are the reference's, since the ensemble
    entry point unpacks the user's ``label_quality_score_kwargs`` into this call (spec §13, quirk)."""
    agreement = agreement_with_consensus(L, consensus_label)
    w_model: Any = None
    w_annot: np.ndarray | None = None
    if ensemble:
        weights = crowdlab_weights(L, consensus_label, num_annotations, agreement, pred_probs.shape[2])
        w_model = np.array([model_weight(p, consensus_label, num_annotations, weights.most_likely_class_error)
                            for p in pred_probs])  # fmt: skip
        post = ensemble_posterior(L, pred_probs, weights, w_model)
        w_annot = weights.annotator
    elif quality_method == "crowdlab":
        weights = crowdlab_weights(L, consensus_label, num_annotations, agreement, pred_probs.shape[1])
        w_model = model_weight(pred_probs, consensus_label, num_annotations, weights.most_likely_class_error)
        post = crowdlab_posterior(L, pred_probs, weights, w_model)
        w_annot = weights.annotator
    elif quality_method == "agreement":
        post = agreement_posterior(L, pred_probs.shape[1], num_annotations)
    else:
        raise invalid_quality_method(quality_method)
    if quality_method == "crowdlab":
        quality = rank.get_label_quality_scores(consensus_label, post, **label_quality_score_kwargs)
    elif quality_method == "agreement":
        quality = agreement
    else:
        raise invalid_quality_method(quality_method)
    return ConsensusStats(agreement, quality, post, w_model, w_annot)
