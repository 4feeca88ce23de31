"""``non_iid``: does the row order carry information? (spec §6.6)

If rows were shuffled (independent and identically distributed), a row's nearest neighbours
in feature space would sit at random positions in the file. The check compares the
distribution of index gaps ``|i - j|`` between neighbours with that of random pairs: a
Kolmogorov-Smirnov-like distance for the whole dataset, calibrated by a permutation test
(the neighbour graph stays fixed, the row positions are shuffled), and a per-row area
between the row's gap CDF and the random-pair CDF.

The graph is the shared one over the features, or, without features, one built on
``pred_probs`` (not shared, no exact-duplicate correction). The p-value is the upper tail of
a Gaussian KDE (scipy's, Scott bandwidth) of the permutation statistics above the observed
one; it is the dataset-level score. When ``p < significance_threshold`` the single row with
the lowest score is flagged. When every shuffle gives the same statistic (tiny or
near-complete graphs) the check is skipped; the reference then fails in the KDE or, when
rounding hides the singularity, reports an arbitrary p-value.

Reproducibility: the permutations are drawn from a private legacy ``np.random.RandomState``
seeded with ``seed``. That stream is identical to ``np.random.seed(seed)`` followed by
``np.random.permutation`` (what the reference does), so p-values agree with the reference,
but the global NumPy RNG is never touched.

Everything is vectorised: the statistic of one permutation is one gather over the N·k
neighbour pairs and a ``bincount`` of their gaps (gaps are integers in 1..N-1, so counting
replaces sorting).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cleanaudit.checks.base import COUNT, FRACTION, SEED, CheckInputs, CheckResult, CheckSkipped, register

NAME = "non_iid"
# Neighbour pairs per block when gathering permuted gaps: bounds the working memory.
_BLOCK_PAIRS = 1 << 22


def _random_pair_cdf(n: int) -> np.ndarray:
    """``F[d]`` = P(|i - j| <= d) for a uniformly random pair i != j, for d = 0..N-1."""
    weights = (n - np.arange(1, n, dtype=np.float64)) / (n * (n - 1) / 2)
    return np.concatenate(([0.0], np.cumsum(weights)))


def _ks_from_counts(counts: np.ndarray, cdf: np.ndarray) -> float:
    """KS distance between the sorted gaps (given as counts per gap value) and ``cdf``.

    The gaps, sorted and followed by N-1, are g_0..g_M; the statistic is
    ``max_t |t/M - F(g_t)|``. Within a run of equal gaps the extreme is at the run's ends.
    """
    m = int(counts.sum())
    last = np.cumsum(counts) - 1  # position of the last gap of each value
    first = last - counts + 1
    present = counts > 0
    f = cdf[present]
    stat = max(
        float(np.max(np.abs(first[present] / m - f))),
        float(np.max(np.abs(last[present] / m - f))),
    )
    return max(stat, abs(1.0 - float(cdf[-1])))  # the appended N-1 at t = M


def _gap_counts(indices: np.ndarray, position: np.ndarray | None = None) -> np.ndarray:
    """How often each gap 0..N-1 occurs between rows and their neighbours (after ``position``).

    Works a block of rows at a time in one reused buffer: fresh N·k temporaries would cost
    more in page faults than the arithmetic itself.
    """
    n, k = indices.shape
    counts = np.zeros(n, np.int64)
    rows_per_block = max(1, _BLOCK_PAIRS // k)
    buf = np.empty((min(rows_per_block, n), k), indices.dtype)
    if position is None:
        position = np.arange(n, dtype=indices.dtype)
        gather = False
    else:
        position = position.astype(indices.dtype, copy=False)
        gather = True
    for start in range(0, n, rows_per_block):
        stop = min(start + rows_per_block, n)
        out = buf[: stop - start]
        if gather:
            np.take(position, indices[start:stop], out=out)
        else:
            out[...] = indices[start:stop]
        np.subtract(out, position[start:stop, None], out=out)
        np.abs(out, out=out)
        counts += np.bincount(out.ravel(), minlength=n)
    return counts


def _compact(indices: np.ndarray) -> np.ndarray:
    """The neighbour indices as int32 when they fit: half the memory traffic of int64."""
    return indices.astype(np.int32) if indices.shape[0] < np.iinfo(np.int32).max else indices


def permutation_statistics(indices: np.ndarray, num_permutations: int, seed: int) -> tuple[float, np.ndarray]:
    """The observed KS statistic and those of ``num_permutations`` shuffles of the row positions.

    >>> idx = np.array([[1], [0], [3], [2]])
    >>> obs, perm = permutation_statistics(idx, 3, seed=0)
    >>> round(obs, 4), perm.shape
    (0.5, (3,))
    """
    indices = _compact(indices)
    n = indices.shape[0]
    cdf = _random_pair_cdf(n)
    observed = _ks_from_counts(_gap_counts(indices), cdf)
    rng = np.random.RandomState(seed)  # same stream as the legacy global seed, no global effect
    stats = np.empty(num_permutations)
    for p in range(num_permutations):
        stats[p] = _ks_from_counts(_gap_counts(indices, rng.permutation(n)), cdf)
    return observed, stats


def _area(x: np.ndarray, d: np.ndarray, n: int) -> np.ndarray:
    """Running area under the random-pair gap CDF of a row whose distance to the nearer end is ``d``."""
    scale = n - 1
    low = x * x / scale
    middle = d * d / scale + (x - d) * (x + 3 * d) / (2 * scale)
    high = d * d / scale + 0.5 * (2 * d / scale + 1) * (n - 2 * d - 1) + (x - (scale - d))
    return np.where(x <= d, low, np.where(x <= scale - d, middle, high))


def row_scores(indices: np.ndarray) -> np.ndarray:
    """Per-row score ``1 - tanh(area / max(i, N - i))`` in [0, 1]; lower = more order-dependent.

    ``area`` is the area between the row's empirical gap CDF and the CDF of its gap to a
    random other row.

    >>> row_scores(np.array([[1], [2], [3], [0]])).round(3).tolist()
    [0.795, 0.835, 0.755, 0.538]
    """
    n, k = indices.shape
    scores = np.empty(n)
    block = max(1, _BLOCK_PAIRS // (4 * (k + 2)))  # several float temporaries per block
    for start in range(0, n, block):
        rows = np.arange(start, min(start + block, n))
        scores[rows] = _row_scores_block(indices[rows], rows, n)
    return scores


def _row_scores_block(indices: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    k = indices.shape[1]
    gaps = np.sort(np.abs(indices - rows[:, None]), axis=1).astype(np.float64)
    edges = np.hstack([np.zeros((len(rows), 1)), gaps, np.full((len(rows), 1), n - 1.0)])
    d = np.minimum(rows, n - 1 - rows).astype(np.float64)[:, None]
    area = _area(edges, d, n)
    level = np.arange(k + 1, dtype=np.float64) / k  # the row's ECDF on [s_m, s_{m+1})
    stat = np.abs(level * np.diff(edges, axis=1) - np.diff(area, axis=1)).sum(axis=1)
    return 1.0 - np.tanh(stat / np.maximum(rows, n - rows))


def kde_p_value(observed: float, permuted: np.ndarray) -> float:
    """Upper-tail mass above ``observed`` of a Gaussian KDE of the permutation statistics.

    >>> kde_p_value(10.0, np.array([0.1, 0.2, 0.3])) < 1e-12
    True
    """
    from scipy.stats import gaussian_kde

    message = (
        "the permutation test is degenerate (every shuffle gave the same statistic, e.g. "
        "because every row neighbours almost every other row), so no p-value can be estimated"
    )
    # Equal statistics make the KDE singular; rounding can hide that (a 1e-33 variance and
    # an arbitrary p-value), so it is checked directly.
    if np.ptp(permuted) == 0:
        raise CheckSkipped(message)
    try:
        kde = gaussian_kde(permuted)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise CheckSkipped(message) from exc
    # A KDE's tail mass can overshoot 1 by rounding; a p-value cannot.
    return min(1.0, max(0.0, float(kde.integrate_box(observed, 100))))


def _graph(inputs: CheckInputs, k: int):
    """The shared graph over the features, else one over pred_probs (not shared, no duplicate correction)."""
    from cleanaudit.checks.graph.knn import SharedKnn, build_knn_graph

    if inputs.knn is not None:
        return inputs.knn.graph(k)
    if inputs.features is not None:
        return SharedKnn(inputs.features).graph(k)
    if inputs.pred_probs is None:
        raise CheckSkipped("needs features or pred_probs")
    n = len(inputs.pred_probs)
    if n < 3:
        raise CheckSkipped(f"needs at least 3 rows for a neighbour graph (has {n})")
    return build_knn_graph(inputs.pred_probs, min(k, n - 1), correct_exact_duplicates=False)


@register(
    NAME,
    description="Row order is informative: neighbours in feature space sit close together in the file.",
    needs=("features", "pred_probs"),
    params={"k": 10, "num_permutations": 25, "seed": 0, "significance_threshold": 0.05},
    limits={"k": COUNT, "num_permutations": COUNT, "seed": SEED, "significance_threshold": FRACTION},
    needs_labels=False,
)
def run(inputs: CheckInputs, params: Mapping[str, Any]) -> CheckResult:
    """Run the check on the shared graph (features) or a graph over ``pred_probs``.

    >>> x = np.arange(40.0)[:, None]  # neighbours are adjacent rows: strongly ordered
    >>> from cleanaudit.checks.graph.knn import SharedKnn
    >>> res = run(CheckInputs(40, [], features=x, knn=SharedKnn(x)), {"k": 3})
    >>> res.info["p_value"] < 0.05, res.num_issues
    (True, 1)
    """
    k = int(params.get("k", 10))
    graph = _graph(inputs, k)
    observed, permuted = permutation_statistics(
        graph.indices, int(params.get("num_permutations", 25)), int(params.get("seed", 0))
    )
    p_value = kde_p_value(observed, permuted)
    scores = row_scores(graph.indices)
    flags = np.zeros(len(scores), dtype=bool)
    flagged_row = None
    if p_value < float(params.get("significance_threshold", 0.05)):
        flagged_row = int(np.argmin(scores))
        flags[flagged_row] = True
    info = {
        "p_value": p_value,
        "k": int(graph.k),
        "metric": graph.metric,
        "graph_source": "pred_probs" if inputs.knn is None and inputs.features is None else "features",
        "statistic": observed,
        "flagged_row": flagged_row,
    }
    return CheckResult(NAME, flags, scores, p_value, info)
