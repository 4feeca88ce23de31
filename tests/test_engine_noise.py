"""Synthetic noise generation (engine/noise.py).

Three kinds of test:
* golden: the verified reference outputs listed in spec/confident-learning.md section 7;
* properties and raising behaviour, from the spec alone;
* differential: hypothesis-drawn inputs, compared bit for bit with cleanlab 2.9.0's
  ``cleanlab.benchmarking.noise_generation`` (skipped when cleanlab is not installed).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanaudit.engine.noise import (
    generate_n_rand_probabilities_that_sum_to_m,
    generate_noise_matrix_from_trace,
    generate_noisy_labels,
    noise_matrix_is_valid,
    randomly_distribute_N_balls_into_K_bins,
)

try:
    import cleanlab.benchmarking.noise_generation as ref
except ImportError:  # pragma: no cover - the test extra installs it
    ref = None

needs_ref = pytest.mark.skipif(ref is None, reason="cleanlab (the reference) is not installed")

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def observed_counts(noisy: np.ndarray, true: np.ndarray, k: int) -> np.ndarray:
    """K x K counts, rows = noisy label, columns = true label."""
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (noisy, true), 1)
    return counts


# --------------------------------------------------------------------------- golden (spec §7)

NM_3 = np.array(
    [
        [0.53503658, 0.09009693, 0.33105512],
        [0.1914571, 0.84431514, 0.04829659],
        [0.27350633, 0.06558793, 0.62064829],
    ]
)


def test_golden_k3_matrix():
    nm = generate_noise_matrix_from_trace(3, 2.0, py=[0.3, 0.3, 0.4], seed=0)
    np.testing.assert_allclose(nm, NM_3, rtol=0, atol=5e-9)
    assert np.trace(nm) == pytest.approx(2.0)


def test_golden_k2_matrix():
    nm = generate_noise_matrix_from_trace(2, 1.5, seed=0)
    np.testing.assert_allclose(nm, [[0.58183483, 0.08183483], [0.41816517, 0.91816517]], atol=5e-9)


def test_golden_noisy_labels():
    nm = generate_noise_matrix_from_trace(3, 2.0, py=[0.3, 0.3, 0.4], seed=0)
    true = np.repeat([0, 1, 2], [30, 30, 40])
    np.random.seed(0)
    noisy = generate_noisy_labels(true, nm)
    np.testing.assert_array_equal(observed_counts(noisy, true, 3), [[17, 2, 13], [5, 27, 1], [8, 1, 26]])


def test_default_seed_is_deterministic():
    a = generate_noise_matrix_from_trace(4, 3.0, py=[0.1, 0.2, 0.3, 0.4])
    np.random.rand(5)  # global state in between must not matter: the function reseeds
    b = generate_noise_matrix_from_trace(4, 3.0, py=[0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- validity


def test_noise_matrix_is_valid_cases():
    assert noise_matrix_is_valid(np.eye(3), [0.2, 0.3, 0.5])
    assert noise_matrix_is_valid([[0.8, 0.3], [0.2, 0.7]], [0.5, 0.5])
    # Diagonal no better than independence.
    assert not noise_matrix_is_valid([[0.5, 0.5], [0.5, 0.5]], [0.5, 0.5])
    # Strictly below independence on class 0.
    assert not noise_matrix_is_valid([[0.4, 0.6], [0.6, 0.4]], [0.5, 0.5])
    # py does not sum to 1, so the joint does not either.
    assert not noise_matrix_is_valid([[0.8, 0.3], [0.2, 0.7]], [0.5, 0.6])
    assert noise_matrix_is_valid(NM_3, [0.3, 0.3, 0.4], verbose=True) is True


def test_noise_matrix_is_valid_verbose_does_not_print(capsys):
    noise_matrix_is_valid([[0.4, 0.6], [0.6, 0.4]], [0.5, 0.5], verbose=True)
    noise_matrix_is_valid([[0.8, 0.3], [0.2, 0.7]], [0.5, 0.6], verbose=True)
    assert capsys.readouterr() == ("", "")


# --------------------------------------------------------------------------- raising


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((3, 1.0), {"py": [0.3, 0.3, 0.4]}),  # valid needs trace > 1
        ((2, 0.5), {}),
        ((3, 2.0), {}),  # valid with K > 2 needs py
        ((1, 0.5), {"valid_noise_matrix": False}),  # K <= 1
        ((0, 2.0), {"valid_noise_matrix": False}),
    ],
)
def test_generate_noise_matrix_raises(args, kwargs):
    with pytest.raises(ValueError):
        generate_noise_matrix_from_trace(*args, **kwargs)


def test_generate_noise_matrix_max_iter_below_one_returns_none():
    assert generate_noise_matrix_from_trace(3, 2.0, py=[0.3, 0.3, 0.4], max_iter=0) is None
    assert generate_noise_matrix_from_trace(2, 1.5, max_iter=-3) is None


def test_generate_noise_matrix_gives_up_with_none():
    # A trace barely above 1 over 10 classes with a skewed prior almost never passes validity.
    py = np.r_[0.91, np.full(9, 0.01)]
    assert generate_noise_matrix_from_trace(10, 1.0001, py=py, max_iter=3) is None


def test_k2_zero_noise_rates():
    seen = set()
    for seed in range(10):
        nm = generate_noise_matrix_from_trace(2, 1.6, frac_zero_noise_rates=0.5, seed=seed)
        np.testing.assert_allclose(nm.sum(axis=0), 1)
        assert sorted(np.round(np.diag(nm), 12)) == [0.6, 1.0]
        assert np.sum(nm == 0) == 1
        seen.add(round(float(nm[0, 0]), 12))
    assert seen == {0.6, 1.0}  # both orientations occur


@pytest.mark.parametrize(
    "n, m, max_prob, min_prob",
    [(3, 1.0, 0.3, 0.0), (4, 1.0, 1.0, 0.3), (2, 3.0, 1.0, 0.0)],
)
def test_rand_probabilities_raises_on_impossible_bounds(n, m, max_prob, min_prob):
    with pytest.raises(ValueError):
        generate_n_rand_probabilities_that_sum_to_m(n, m, max_prob=max_prob, min_prob=min_prob)


def test_rand_probabilities_empty():
    assert len(generate_n_rand_probabilities_that_sum_to_m(0, 1.0)) == 0


def test_noisy_labels_require_every_class():
    nm = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    with pytest.raises(ValueError, match="every class"):
        generate_noisy_labels(np.array([0, 0, 1, 1]), nm)
    with pytest.raises(ValueError):
        generate_noisy_labels(np.array([0, 1, 3, 2]), nm)


def test_noisy_labels_leave_input_alone_and_keep_dtype():
    true = np.repeat(np.arange(3, dtype=np.int32), 20)
    before = true.copy()
    np.random.seed(1)
    noisy = generate_noisy_labels(true, NM_3)
    np.testing.assert_array_equal(true, before)
    assert noisy.dtype == np.int32
    assert generate_noisy_labels(list(true), NM_3).shape == (60,)


# --------------------------------------------------------------------------- properties


@FAST
@given(
    k=st.integers(3, 20),
    trace_frac=st.floats(0.3, 0.95),
    py_seed=st.integers(0, 2**16),
    frac_zero=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_matrix_properties(k, trace_frac, py_seed, frac_zero, seed):
    trace = max(1.1, trace_frac * k)
    py = np.random.default_rng(py_seed).dirichlet(np.ones(k)) * 0.5 + 0.5 / k
    nm = generate_noise_matrix_from_trace(k, trace, py=py, frac_zero_noise_rates=frac_zero, seed=seed, max_iter=200)
    if nm is None:
        return
    assert nm.shape == (k, k)
    np.testing.assert_allclose(nm.sum(axis=0), 1, atol=1e-9)
    assert np.trace(nm) == pytest.approx(trace, abs=1e-9)
    assert np.all(nm >= 0)
    assert noise_matrix_is_valid(nm, py)
    off_diagonal_zeros = np.sum(nm == 0)  # diagonal entries are >= min_trace_prob > 0
    assert off_diagonal_zeros >= min(int(k * (k - 1) * frac_zero), k * (k - 2))


@FAST
@given(
    n=st.integers(1, 25),
    m=st.floats(0.1, 5.0),
    lo_frac=st.floats(0.0, 1.0),
    hi_frac=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_rand_probabilities_properties(n, m, lo_frac, hi_frac, seed):
    mean = m / n
    min_prob = lo_frac * mean
    max_prob = mean + hi_frac * (m - mean)
    np.random.seed(seed)
    x = generate_n_rand_probabilities_that_sum_to_m(n, m, max_prob=max_prob, min_prob=min_prob)
    assert x.shape == (n,)
    assert x.sum() == pytest.approx(m, rel=1e-9)
    assert x.max() <= max_prob + 1e-6
    assert x.min() >= min_prob - 1e-6


@FAST
@given(
    n_balls=st.integers(0, 300),
    k=st.integers(1, 20),
    max_balls=st.one_of(st.none(), st.integers(1, 40)),
    seed=st.integers(0, 2**31 - 1),
)
def test_balls_properties(n_balls, k, max_balls, seed):
    np.random.seed(seed)
    bins = randomly_distribute_N_balls_into_K_bins(n_balls, k, max_balls_per_bin=max_balls, min_balls_per_bin=0)
    assert bins.shape == (k,)
    assert bins.dtype.kind == "i"
    cap = n_balls if max_balls is None else min(max_balls, n_balls)
    assert bins.sum() == min(n_balls, cap * k)
    assert np.all(bins >= 0) and np.all(bins <= max(cap, 0))


@FAST
@given(
    k=st.integers(2, 12),
    n_extra=st.integers(0, 400),
    label_seed=st.integers(0, 2**16),
    seed=st.integers(0, 2**31 - 1),
)
def test_noisy_label_counts_follow_matrix(k, n_extra, label_seed, seed):
    rng = np.random.default_rng(label_seed)
    true = np.concatenate([np.arange(k), rng.integers(0, k, n_extra)])
    n = len(true)
    py = np.bincount(true, minlength=k) / n
    nm = generate_noise_matrix_from_trace(k, 0.7 * k, valid_noise_matrix=False, seed=seed)
    np.random.seed(seed)
    noisy = generate_noisy_labels(true, nm)
    expected = (nm * py * n).astype(int)
    np.fill_diagonal(expected, 0)
    got = observed_counts(noisy, true, k)
    np.fill_diagonal(got, 0)
    np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------------------- differential


def _call(fn, *args, **kwargs):
    """Result of a call, or the exception type it raised, plus the next global draw."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - comparing failure modes
            return ("raised", type(exc)), np.random.rand()
    return ("ok", out), np.random.rand()


def _assert_same(ours, theirs):
    (a, a_next), (b, b_next) = ours, theirs
    assert a[0] == b[0], (a, b)
    if a[0] == "raised":
        assert a[1] is b[1]
    elif a[1] is None or b[1] is None:
        assert a[1] is None and b[1] is None
    else:
        x, y = np.asarray(a[1]), np.asarray(b[1])
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)  # exact, not approximate
    assert a_next == b_next  # the global RNG was advanced identically


@needs_ref
@FAST
@given(
    k=st.integers(2, 20),
    trace_frac=st.floats(0.05, 1.0),
    py_seed=st.integers(0, 2**16),
    with_py=st.booleans(),
    frac_zero=st.one_of(st.sampled_from([0.0, 0.2, 0.5, 1.0]), st.floats(0.0, 1.0)),
    seed=st.integers(0, 2**32 - 1),
    valid=st.booleans(),
    min_noise_rate=st.sampled_from([0.0, 0.01]),
    max_noise_rate=st.sampled_from([1 - 1e-5, 0.6]),
    min_trace_prob=st.sampled_from([1e-5, 0.1]),
    max_trace_prob=st.sampled_from([1.0, 0.95]),
    max_iter=st.sampled_from([0, 1, 20, 200]),
)
def test_differential_noise_matrix(
    k,
    trace_frac,
    py_seed,
    with_py,
    frac_zero,
    seed,
    valid,
    min_noise_rate,
    max_noise_rate,
    min_trace_prob,
    max_trace_prob,
    max_iter,
):
    trace = trace_frac * k
    py = np.random.default_rng(py_seed).dirichlet(np.ones(k)) if with_py else None
    kwargs = dict(
        py=py,
        frac_zero_noise_rates=frac_zero,
        seed=seed,
        valid_noise_matrix=valid,
        min_noise_rate=min_noise_rate,
        max_noise_rate=max_noise_rate,
        min_trace_prob=min_trace_prob,
        max_trace_prob=max_trace_prob,
        max_iter=max_iter,
    )
    np.random.seed(12345)  # matters when the call returns before seeding (max_iter < 1)
    ours = _call(generate_noise_matrix_from_trace, k, trace, **kwargs)
    np.random.seed(12345)
    theirs = _call(ref.generate_noise_matrix_from_trace, k, trace, **kwargs)
    _assert_same(ours, theirs)


@needs_ref
@FAST
@given(
    k=st.integers(2, 20),
    trace_frac=st.floats(0.55, 0.98),
    frac_zero=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_differential_noise_matrix_valid_defaults(k, trace_frac, frac_zero, seed):
    """The common call: a valid matrix for a given prior, default bounds."""
    py = np.random.default_rng(seed).dirichlet(np.full(k, 5.0))
    kwargs = dict(py=py, frac_zero_noise_rates=frac_zero, seed=seed, max_iter=500)
    ours = _call(generate_noise_matrix_from_trace, k, max(trace_frac * k, 1.05), **kwargs)
    theirs = _call(ref.generate_noise_matrix_from_trace, k, max(trace_frac * k, 1.05), **kwargs)
    _assert_same(ours, theirs)


@needs_ref
@FAST
@given(
    n=st.integers(0, 25),
    m=st.floats(0.0, 5.0),
    max_prob=st.floats(0.0, 1.0),
    min_prob=st.floats(0.0, 0.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_differential_rand_probabilities(n, m, max_prob, min_prob, seed):
    kwargs = dict(max_prob=max_prob, min_prob=min_prob)
    np.random.seed(seed)
    ours = _call(generate_n_rand_probabilities_that_sum_to_m, n, m, **kwargs)
    np.random.seed(seed)
    theirs = _call(ref.generate_n_rand_probabilities_that_sum_to_m, n, m, **kwargs)
    _assert_same(ours, theirs)


@needs_ref
@FAST
@given(
    n_balls=st.integers(0, 300),
    k=st.integers(1, 20),
    max_balls=st.one_of(st.none(), st.integers(1, 40)),
    min_balls=st.one_of(st.none(), st.integers(0, 10)),
    seed=st.integers(0, 2**32 - 1),
)
def test_differential_balls(n_balls, k, max_balls, min_balls, seed):
    kwargs = dict(max_balls_per_bin=max_balls, min_balls_per_bin=min_balls)
    np.random.seed(seed)
    ours = _call(randomly_distribute_N_balls_into_K_bins, n_balls, k, **kwargs)
    np.random.seed(seed)
    theirs = _call(ref.randomly_distribute_N_balls_into_K_bins, n_balls, k, **kwargs)
    _assert_same(ours, theirs)


@needs_ref
@FAST
@given(k=st.integers(2, 20), seed=st.integers(0, 2**16), perturb=st.floats(0.0, 0.1))
def test_differential_is_valid(k, seed, perturb):
    rng = np.random.default_rng(seed)
    nm = rng.dirichlet(np.ones(k), size=k).T + np.eye(k) * rng.uniform(0, 2)
    nm /= nm.sum(axis=0)
    py = rng.dirichlet(np.ones(k))
    py[0] += perturb * rng.integers(0, 2)  # sometimes not a distribution
    assert noise_matrix_is_valid(nm, py) == ref.noise_matrix_is_valid(nm, py)


@needs_ref
@FAST
@given(
    k=st.integers(2, 20),
    n_extra=st.integers(0, 600),
    label_seed=st.integers(0, 2**16),
    trace_frac=st.floats(0.3, 0.99),
    frac_zero=st.sampled_from([0.0, 0.3, 0.8]),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from([np.int64, np.int32]),
)
def test_differential_noisy_labels(k, n_extra, label_seed, trace_frac, frac_zero, seed, dtype):
    rng = np.random.default_rng(label_seed)
    true = np.concatenate([np.arange(k), rng.integers(0, k, n_extra)]).astype(dtype)
    rng.shuffle(true)
    nm = generate_noise_matrix_from_trace(
        k, trace_frac * k, valid_noise_matrix=False, frac_zero_noise_rates=frac_zero, seed=label_seed
    )
    np.random.seed(seed)
    ours = _call(generate_noisy_labels, true, nm)
    np.random.seed(seed)
    theirs = _call(ref.generate_noisy_labels, true, nm)
    _assert_same(ours, theirs)


def test_docstring_examples():
    import doctest

    import cleanaudit.engine.noise as module

    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5
    assert result.failed == 0
