"""Self-check: plant label errors we know about and measure how many the audit finds again.

``--self-check RATE`` copies the labels, flips about RATE of them with a realistic
class-conditional noise matrix (the engine's own generator, fixed seed), reruns label detection
and reports precision and recall of finding the flips. Low recall says the model is too weak
for the audit to be trusted on this data.

Rows the original run already flagged are left out of precision: they are probably real label
errors, and finding them again is not a false alarm.

>>> labels = np.repeat([0, 1, 2], 100)
>>> noisy = flip_labels(labels, 0.1, seed=0)
>>> 0.05 <= float(np.mean(noisy != labels)) <= 0.15
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cleanaudit.errors import ConfigError


@dataclass
class SelfCheckResult:
    rate: float
    num_flipped: int
    num_flagged: int
    num_found: int
    precision: float | None
    recall: float | None
    pred_probs: str  # how pred_probs for the flipped labels were obtained

    def payload(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_rate(rate: float) -> None:
    """A flip rate must leave most labels right: (0, 0.5)."""
    if not 0 < rate < 0.5:
        raise ConfigError(f"--self-check {rate} is outside (0, 0.5)", hint="flip a small share, e.g. --self-check 0.05")


def flip_labels(labels: np.ndarray, rate: float, *, seed: int = 0) -> np.ndarray:
    """A copy of ``labels`` (codes 0..K-1) with about ``rate`` of them flipped class-conditionally.

    The global NumPy RNG the engine's generators use is saved and restored, so a self-check
    never changes the random stream of the caller.
    """
    from cleanaudit.engine import generate_noise_matrix_from_trace, generate_noisy_labels

    check_rate(rate)
    labels = np.asarray(labels)
    k = int(labels.max()) + 1
    py = np.bincount(labels, minlength=k) / len(labels)
    state = np.random.get_state()
    try:
        matrix = generate_noise_matrix_from_trace(k, k * (1 - rate), py=py, valid_noise_matrix=True, seed=seed)
        if matrix is None:  # no valid matrix found for this prior: accept any with the right trace
            matrix = generate_noise_matrix_from_trace(k, k * (1 - rate), py=py, valid_noise_matrix=False, seed=seed)
        np.random.seed(seed)
        return generate_noisy_labels(labels, matrix)
    finally:
        np.random.set_state(state)


def score_flips(
    original: np.ndarray,
    noisy: np.ndarray,
    flagged: np.ndarray,
    already_flagged: np.ndarray,
    *,
    rate: float,
    pred_probs: str,
) -> SelfCheckResult:
    """Precision and recall of ``flagged`` (issues on the noisy copy) at finding the flipped rows.

    >>> r = score_flips(np.array([0, 0, 1, 1]), np.array([1, 0, 1, 1]), np.array([True, False, True, False]),
    ...                 np.zeros(4, bool), rate=0.25, pred_probs="given")
    >>> r.precision, r.recall
    (0.5, 1.0)
    """
    flipped = np.asarray(original) != np.asarray(noisy)
    flagged = np.asarray(flagged, dtype=bool)
    counted = flagged & ~(np.asarray(already_flagged, dtype=bool) & ~flipped)
    found = int((flagged & flipped).sum())
    precision = found / int(counted.sum()) if counted.any() else None
    recall = found / int(flipped.sum()) if flipped.any() else None
    return SelfCheckResult(
        rate,
        int(flipped.sum()),
        int(flagged.sum()),
        found,
        None if precision is None else round(precision, 4),
        None if recall is None else round(recall, 4),
        pred_probs,
    )
