"""Synthetic label noise: random noise matrices and noisy labels drawn from them.

These functions plant label errors with a known noise process, which is how detection quality
is measured (see ``sample_data/``). They follow the reference behaviour described in
``spec/confident-learning.md`` section 7 and, like the reference, draw from NumPy's *legacy global*
RNG (``np.random.seed``, ``np.random.dirichlet``, ``np.random.rand``, ``np.random.choice``) in the
same order, so that the same seed yields bit-identical matrices and labels.

Convention: ``noise_matrix[s, y] = P(given label = s | true label = y)``; every column sums to 1.

Deliberate difference from the reference: :func:`generate_noisy_labels` raises ``ValueError`` when
``true_labels`` does not contain every class ``0..K-1`` (the reference silently misaligns the
class prior, or fails with a broadcasting error).
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "noise_matrix_is_valid",
    "generate_n_rand_probabilities_that_sum_to_m",
    "randomly_distribute_N_balls_into_K_bins",
    "generate_noise_matrix_from_trace",
    "generate_noisy_labels",
]

_log = logging.getLogger(__name__)

# Tolerance used for every floating-point comparison in this module.
_TOL = 1e-6


def noise_matrix_is_valid(noise_matrix: ArrayLike, py: ArrayLike, *, verbose: bool = False) -> bool:
    """Tell whether a noise matrix lets the true labels be learned from the noisy ones.

    With ``ps = noise_matrix @ py`` (the prior of the noisy labels) and the joint
    ``joint[s, y] = noise_matrix[s, y] * py[y]``, the matrix is valid when the joint sums to 1
    (within 1e-6) and, for every class k, ``joint[k, k] > ps[k] * py[k]``: given and true label
    agree more often than they would if they were independent.

    ``verbose`` is accepted for compatibility; when true the reasons are sent to this module's
    logger at INFO level (the engine never prints).

    >>> noise_matrix_is_valid([[0.8, 0.3], [0.2, 0.7]], [0.5, 0.5])
    True
    >>> noise_matrix_is_valid([[0.4, 0.6], [0.6, 0.4]], [0.5, 0.5])
    False
    """
    nm = np.asarray(noise_matrix, dtype=float)
    prior = np.asarray(py, dtype=float)
    ps = np.dot(nm, prior)
    joint = nm * prior
    total = np.sum(joint)
    if not abs(total - 1.0) < _TOL:
        if verbose:
            _log.info("joint distribution sums to %r, not 1", float(total))
        return False
    diagonal = np.diagonal(joint)
    independent = ps * prior
    ok = independent < diagonal
    if verbose:
        for k in np.flatnonzero(~ok):
            _log.info(
                "class %d: P(given=%d, true=%d) = %r does not exceed P(given)*P(true) = %r",
                k,
                k,
                k,
                float(diagonal[k]),
                float(independent[k]),
            )
    return bool(np.all(ok))


def generate_n_rand_probabilities_that_sum_to_m(
    n: int, m: float, *, max_prob: float = 1.0, min_prob: float = 0.0
) -> np.ndarray:
    """Draw ``n`` random values in ``[min_prob, max_prob]`` that sum to ``m``.

    The values start as a flat Dirichlet draw scaled by ``m``; entries above ``max_prob`` (then
    below ``min_prob``) are repaired pairwise, moving mass between the largest and the smallest
    entry by a random amount, which keeps the sum unchanged. Uses the legacy global RNG.

    Raises ``ValueError`` when the bounds cannot be met (``max_prob < m / n`` or
    ``min_prob > m / n``, each with a 1e-6 tolerance).

    >>> np.random.seed(0)
    >>> x = generate_n_rand_probabilities_that_sum_to_m(4, 2.0, max_prob=0.9, min_prob=0.1)
    >>> bool(np.isclose(x.sum(), 2.0)), bool(x.max() <= 0.9 + 1e-6), bool(x.min() >= 0.1 - 1e-6)
    (True, True, True)
    """
    if n == 0:
        return np.array([])
    if max_prob + _TOL < m / n:
        raise ValueError(f"max_prob={max_prob} is too small: {n} values each at most max_prob cannot sum to m={m}")
    if min_prob > (m + _TOL) / n:
        raise ValueError(f"min_prob={min_prob} is too large: {n} values each at least min_prob cannot sum to m={m}")

    values = np.random.dirichlet(np.ones(n)) * m

    # Pull every entry above max_prob down, handing the excess to the smallest entry.
    while np.max(values) > max_prob + _TOL:
        lo, hi = np.min(values), np.max(values)
        i_lo, i_hi = np.argmin(values), np.argmax(values)
        excess = hi - max_prob
        shift = (max_prob - (lo + excess)) * np.random.rand()
        values[i_lo] = lo + excess + shift
        values[i_hi] = max_prob - shift

    # Push every entry below min_prob up, taking the shortfall from the largest entry.
    while np.min(values) < min_prob - _TOL:
        lo, hi = np.min(values), np.max(values)
        i_lo, i_hi = np.argmin(values), np.argmax(values)
        new_hi = hi - (min_prob - lo)
        shift = (new_hi - min_prob) * np.random.rand()
        values[i_hi] = new_hi - shift
        values[i_lo] = min_prob + shift

    return values


def randomly_distribute_N_balls_into_K_bins(  # noqa: N802, N803 (names follow the reference)
    N: int,  # noqa: N803
    K: int,  # noqa: N803
    *,
    max_balls_per_bin: int | None = None,
    min_balls_per_bin: int | None = None,
) -> np.ndarray:
    """Split ``N`` balls at random into ``K`` bins, each holding between min and max balls.

    ``max_balls_per_bin`` is capped at ``N`` and ``min_balls_per_bin`` at ``N / K``; when even
    full bins cannot hold ``N`` balls, only ``max_balls_per_bin * K`` are distributed. Returns an
    integer array of length ``K``. Uses the legacy global RNG.

    >>> np.random.seed(0)
    >>> bins = randomly_distribute_N_balls_into_K_bins(10, 4, max_balls_per_bin=3)
    >>> int(bins.sum()), bool(bins.max() <= 3)
    (10, True)
    """
    if N == 0:
        return np.zeros(K, dtype=int)
    max_balls = N if max_balls_per_bin is None else min(max_balls_per_bin, N)
    min_balls = 0 if min_balls_per_bin is None else min(min_balls_per_bin, N / K)
    if N / K > max_balls:
        N = max_balls * K  # noqa: N806

    shares = generate_n_rand_probabilities_that_sum_to_m(K, 1, max_prob=max_balls / N, min_prob=min_balls / N)
    balls = np.round(shares * N)

    # Rounding may leave the total a few balls off: take from the fullest, give to the emptiest.
    while np.sum(balls) > N:
        balls[np.argmax(balls)] -= 1
    while np.sum(balls) < N:
        balls[np.argmin(balls)] += 1
    return balls.astype(int)


def generate_noise_matrix_from_trace(
    K: int,  # noqa: N803
    trace: float,
    *,
    max_trace_prob: float = 1.0,
    min_trace_prob: float = 1e-5,
    max_noise_rate: float = 1 - 1e-5,
    min_noise_rate: float = 0.0,
    valid_noise_matrix: bool = True,
    py: ArrayLike | None = None,
    frac_zero_noise_rates: float = 0.0,
    seed: int | None = 0,
    max_iter: int = 10000,
) -> np.ndarray | None:
    """Draw a random K×K noise matrix whose diagonal sums to ``trace``.

    ``noise_matrix[s, y]`` is the probability that an example of true class ``y`` is labelled
    ``s``; columns sum to 1. The diagonal entries lie in ``[min_trace_prob, max_trace_prob]`` and
    the off-diagonal noise rates in ``[min_noise_rate, max_noise_rate]``; about
    ``frac_zero_noise_rates`` of the off-diagonal entries are exactly zero. With
    ``valid_noise_matrix`` (which needs ``trace > 1`` and, for K > 2, the true-label prior
    ``py``), draws are repeated until :func:`noise_matrix_is_valid` holds, at most ``max_iter``
    times; ``None`` is returned if none passes, or if ``max_iter < 1``.

    The legacy global RNG is seeded with ``seed`` first (default 0, so the result is
    deterministic; ``None`` reseeds from OS entropy, as ``np.random.seed(None)`` does), then
    used exactly as the reference uses it.

    >>> generate_noise_matrix_from_trace(2, 1.5, seed=0).round(4)
    array([[0.5818, 0.0818],
           [0.4182, 0.9182]])
    """
    if valid_noise_matrix and trace <= 1:
        raise ValueError(f"trace={trace} must exceed 1 for a valid noise matrix (or pass valid_noise_matrix=False)")
    if valid_noise_matrix and py is None and K > 2:
        raise ValueError("py (the prior of the true labels) is required when valid_noise_matrix=True and K > 2")
    if K <= 1:
        raise ValueError(f"K={K}: a noise matrix needs at least 2 classes")
    if max_iter < 1:
        return None

    np.random.seed(seed)

    if K == 2:
        if frac_zero_noise_rates >= 0.5:
            # One class is never mislabelled; the other carries all the noise.
            nm = np.array([[1.0, 2 - trace], [0.0, trace - 1]])
            return nm if np.random.rand() > 0.5 else np.rot90(nm, k=2)
        a, b = generate_n_rand_probabilities_that_sum_to_m(2, trace)
        return np.array([[a, 1 - b], [1 - a, b]])

    for _ in range(max_iter):
        diagonal = generate_n_rand_probabilities_that_sum_to_m(
            K, trace, max_prob=max_trace_prob, min_prob=min_trace_prob
        )
        nm = np.diag(diagonal)

        noisy_cols = np.flatnonzero(diagonal != 1)
        num_clean_cols = K - len(noisy_cols)
        num_zeros = max(int(K * (K - 1) * frac_zero_noise_rates) - num_clean_cols * (K - 1), 0)
        zeros_per_col = randomly_distribute_N_balls_into_K_bins(
            num_zeros, len(noisy_cols), max_balls_per_bin=K - 2, min_balls_per_bin=0
        )

        for col, num_zero in zip(noisy_cols, zeros_per_col):
            num_rates = K - 1 - num_zero
            rates = list(
                generate_n_rand_probabilities_that_sum_to_m(
                    num_rates, 1 - diagonal[col], max_prob=max_noise_rate, min_prob=min_noise_rate
                )
            )
            other_rows = [r for r in range(K) if r != col]
            for row in np.random.choice(other_rows, num_rates, replace=False):
                nm[row, col] = rates.pop()

        if not valid_noise_matrix or noise_matrix_is_valid(nm, py):
            return nm
    return None


def generate_noisy_labels(true_labels: ArrayLike, noise_matrix: ArrayLike) -> np.ndarray:
    """Flip labels at random so that the flips follow ``noise_matrix``.

    For each true class ``y`` exactly ``int(noise_matrix[s, y] * py[y] * N)`` examples (truncated)
    receive the label ``s != y``, where ``py`` is the class frequency in ``true_labels``. The
    examples to flip are drawn without replacement with the legacy global RNG, one class at a
    time in ascending order; seed it with ``np.random.seed`` beforehand for repeatable labels.
    Every class ``0..K-1`` must occur in ``true_labels`` (``ValueError`` otherwise).

    >>> np.random.seed(0)
    >>> true = np.repeat([0, 1], 50)
    >>> noisy = generate_noisy_labels(true, [[0.8, 0.1], [0.2, 0.9]])
    >>> int(((true == 0) & (noisy == 1)).sum()), int(((true == 1) & (noisy == 0)).sum())
    (10, 5)
    """
    labels = np.asarray(true_labels)
    nm = np.asarray(noise_matrix, dtype=float)
    num_classes = nm.shape[0]
    n = len(labels)
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) != num_classes or not np.array_equal(classes, np.arange(num_classes)):
        raise ValueError(
            f"true_labels must contain every class 0..{num_classes - 1} of the "
            f"{num_classes}x{num_classes} noise matrix; found classes {classes.tolist()}"
        )
    py = counts / float(n)

    flip_counts = (nm * py * n).astype(int)
    np.fill_diagonal(flip_counts, 0)

    noisy = np.copy(labels)
    for k in range(num_classes):
        targets = np.repeat(np.arange(num_classes), flip_counts[:, k])
        candidates = np.flatnonzero(labels == k)
        if 0 < len(targets) <= len(candidates):
            chosen = np.random.choice(candidates, len(targets), replace=False)
            noisy[chosen] = targets
    return noisy
