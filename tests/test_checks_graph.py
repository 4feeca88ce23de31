"""The shared neighbour graph: agreement with the reference's graph, duplicates, sharing, edge cases."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

from cleanaudit.checks.base import CheckSkipped
from cleanaudit.checks.graph.knn import (
    KnnGraph,
    SharedKnn,
    build_knn_graph,
    decide_metric,
    duplicate_groups,
    fix_exact_duplicates,
)


def reference_graph(features: np.ndarray, k: int = 10):
    """The graph cleanlab's Datalab builds (and stores) for ``features``."""
    from cleanlab import Datalab

    lab = Datalab({"y": np.arange(len(features)) % 2}, label_name="y", verbosity=0)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        lab.find_issues(features=features, issue_types={"outlier": {"k": k}})
    return lab.get_info("statistics")["weighted_knn_graph"]


def with_duplicates(n: int, d: int, seed: int) -> np.ndarray:
    """Gaussian rows with a pair, a group of 3 (<= k) and a group of 14 (> k) of exact copies."""
    x = np.random.default_rng(seed).normal(size=(n, d))
    x[10:13] = x[10]
    x[20:34] = x[20]
    x[n - 1] = x[5]
    return x


@pytest.mark.parametrize(("n", "d"), [(300, 2), (300, 5), (60, 2), (60, 6)])
def test_graph_equals_reference_graph_bit_for_bit(n: int, d: int) -> None:
    x = with_duplicates(n, d, seed=n + d)
    ref = reference_graph(x)
    ours = build_knn_graph(x, 10)
    assert ours.metric == ("cosine" if d > 3 else "euclidean")
    np.testing.assert_array_equal(ours.indices, ref.indices.reshape(n, 10))
    np.testing.assert_array_equal(ours.distances, ref.data.reshape(n, 10))


def test_duplicate_groups_follow_the_spec_rule() -> None:
    x = with_duplicates(200, 2, seed=1)
    g = build_knn_graph(x, 10)
    # group of 3: the two others first (ascending index), at distance 0, then former neighbours
    assert g.indices[11, :2].tolist() == [10, 12]
    assert g.distances[11, :2].tolist() == [0.0, 0.0] and g.distances[11, 2] > 0
    assert not set(g.indices[11, 2:]) & {10, 11, 12}
    # group of 14 > k: the first 11 neighbour each other, later members get the first 10
    first11 = list(range(20, 31))
    assert g.indices[20].tolist() == first11[1:]
    assert g.indices[25].tolist() == [m for m in first11 if m != 25]
    assert g.indices[33].tolist() == first11[:10]
    assert (g.distances[20:34] == 0).all()
    # a pair far apart in index order
    assert g.indices[5, 0] == 199 and g.indices[199, 0] == 5


def test_duplicate_groups_treat_negative_zero_as_zero() -> None:
    ids, sizes = duplicate_groups(np.array([[0.0, 1.0], [-0.0, 1.0], [1.0, 1.0]]))
    assert ids[0] == ids[1] != ids[2]
    assert sizes[ids].tolist() == [2, 2, 1]


def test_fix_exact_duplicates_leaves_unique_rows_alone() -> None:
    ind = np.array([[1, 2], [0, 2], [0, 1]])
    dist = np.array([[1.0, 2.0], [1.0, 1.5], [2.0, 1.5]])
    ids, sizes = duplicate_groups(np.array([[0.0], [1.0], [2.0]]))
    out_ind, out_dist = fix_exact_duplicates(ind.copy(), dist.copy(), ids, sizes)
    np.testing.assert_array_equal(out_ind, ind)
    np.testing.assert_array_equal(out_dist, dist)


def test_all_rows_identical() -> None:
    g = build_knn_graph(np.ones((12, 3)), 10)
    assert (g.distances == 0).all()
    for i in range(11):
        assert g.indices[i].tolist() == [j for j in range(11) if j != i]
    assert g.indices[11].tolist() == list(range(10))


def assert_same_up_to_ties(a: KnnGraph, b: KnnGraph) -> None:
    """Same neighbours, except that rows at the same distance may come in another order
    (or, at the k-th place, be another row at that distance)."""
    rows, cols = np.nonzero(a.indices != b.indices)
    for r, c in zip(rows, cols):
        tied = np.isclose(b.distances[r], b.distances[r, c], rtol=0, atol=1e-12)
        assert tied.sum() > 1 or tied[-1], (r, c)
    assert len(set(rows)) < 0.01 * a.num_rows + 5


@pytest.mark.parametrize(
    ("n", "d", "metric"), [(3000, 20, "cosine"), (3000, 50, "cosine"), (2500, 12, "euclidean"), (40, 5, "cosine")]
)
def test_blocked_search_matches_the_reference_search(n: int, d: int, metric: str) -> None:
    rng = np.random.default_rng(d)
    x = rng.normal(size=(n, d)) + rng.integers(0, 4, size=(n, 1)) * 3.0  # clustered, some far from origin
    x[5:9] = x[5]
    exact = build_knn_graph(x, 10, metric=metric, method="sklearn")
    fast = build_knn_graph(x, 10, metric=metric, method="blocked")
    assert fast.metric == metric and fast.method == "blocked"
    np.testing.assert_allclose(fast.distances, exact.distances, rtol=0, atol=1e-12)
    assert_same_up_to_ties(fast, exact)


def test_blocked_search_keeps_zero_rows_at_cosine_distance_one() -> None:
    x = np.random.default_rng(0).normal(size=(50, 5))
    x[7] = 0.0
    g = build_knn_graph(x, 5, method="blocked")
    np.testing.assert_allclose(g.distances[7], 1.0)
    assert 7 not in g.indices[np.arange(50) != 7]


def test_hnsw_search_when_faiss_is_installed() -> None:
    pytest.importorskip("faiss")
    x = np.random.default_rng(1).normal(size=(3000, 20)) + 2
    exact = build_knn_graph(x, 10, method="blocked")
    approx = build_knn_graph(x, 10, method="hnsw")
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact.indices, approx.indices)])
    assert recall > 0.98
    assert (approx.indices != np.arange(3000)[:, None]).all()
    assert (np.diff(approx.distances, axis=1) >= 0).all()


def test_auto_method_choice(monkeypatch) -> None:
    from cleanaudit.checks.graph import knn
    from cleanaudit.checks.graph import search as knn_search

    monkeypatch.setattr(knn_search, "has_faiss", lambda: True)
    assert knn.choose_method(5000, 50, "cosine") == "sklearn"
    assert knn.choose_method(10**6, 2, "euclidean") == "sklearn"  # KD-tree
    assert knn.choose_method(50_000, 16, "euclidean") == "flat"
    assert knn.choose_method(5001, 30, "cosine") == "flat"
    assert knn.choose_method(knn.FLAT_MAX_ROWS, 30, "cosine") == "flat"
    assert knn.choose_method(knn.FLAT_MAX_ROWS + 1, 30, "cosine") == "cells"
    assert knn.choose_method(10**6, 50, "euclidean") == "cells"
    monkeypatch.setattr(knn_search, "has_faiss", lambda: False)
    assert knn.choose_method(5000, 50, "cosine") == "sklearn"
    assert knn.choose_method(100_000, 30, "cosine") == "blocked"
    assert knn.choose_method(10**6, 30, "cosine") == "blocked"


def test_fallback_without_faiss_is_exact_and_says_why(monkeypatch) -> None:
    from cleanaudit.checks.graph import knn
    from cleanaudit.checks.graph import search as knn_search

    monkeypatch.setattr(knn, "SKLEARN_MAX_ROWS", 100)
    monkeypatch.setattr(knn_search, "has_faiss", lambda: False)
    x = np.random.default_rng(5).normal(size=(400, 6))
    shared = SharedKnn(x)
    g = shared.graph(5)
    assert g.method == "blocked" and g.note == knn.FALLBACK_NOTE
    record = shared.record()
    assert record["method"] == "blocked" and record["exact"] and record["note"] == knn.FALLBACK_NOTE
    monkeypatch.setattr(knn_search, "has_faiss", lambda: True)
    g = build_knn_graph(x, 5)
    assert g.method == "flat" and g.note is None


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize(("n", "d"), [(3000, 20), (2000, 50), (40, 5)])
def test_flat_search_equals_exact_searches(n: int, d: int, metric: str) -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(n + d)
    x = rng.normal(size=(n, d)) + rng.integers(0, 4, size=(n, 1)) * 3.0  # continuous: no ties
    flat = build_knn_graph(x, 10, metric=metric, method="flat")
    assert flat.method == "flat" and flat.metric == metric and flat.recall is None
    for other in ("sklearn", "blocked"):
        exact = build_knn_graph(x, 10, metric=metric, method=other)
        np.testing.assert_array_equal(flat.indices, exact.indices)
        np.testing.assert_allclose(flat.distances, exact.distances, rtol=0, atol=1e-12)


def test_flat_search_in_query_blocks_and_for_some_rows(monkeypatch) -> None:
    pytest.importorskip("faiss")
    from cleanaudit.checks.graph import search as knn_search

    x = np.random.default_rng(6).normal(size=(1500, 12))
    whole = knn_search.search_flat(x, 7, "cosine", None)
    calls: list[tuple[str, int, int]] = []
    monkeypatch.setattr(knn_search, "_QUERY_ROWS", 400)
    blocks = knn_search.search_flat(x, 7, "cosine", lambda *a: calls.append(a))
    np.testing.assert_array_equal(blocks[0], whole[0])
    assert [c[1] for c in calls] == [400, 800, 1200, 1500] and calls[-1][2] == 1500
    rows = np.array([3, 700, 1499])
    some = knn_search.search_flat(x, 7, "cosine", None, rows=rows)
    np.testing.assert_array_equal(some[0], whole[0][rows])
    np.testing.assert_array_equal(some[1], whole[1][rows])


def test_faiss_threads_are_set_for_the_search_and_restored() -> None:
    faiss = pytest.importorskip("faiss")
    from cleanaudit.checks.graph import search as knn_search

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1 if knn_search._cores() > 1 else 3)
    try:
        with knn_search.faiss_threads():
            assert faiss.omp_get_max_threads() == knn_search._cores()
        assert faiss.omp_get_max_threads() == (1 if knn_search._cores() > 1 else 3)
    finally:
        faiss.omp_set_num_threads(before)


@pytest.mark.parametrize(("n", "wrong", "expected_sample"), [(800, "half", 800), (3000, "all", 1000)])
def test_recall_is_measured_against_exact_search(n, wrong, expected_sample) -> None:
    """A graph that is exact except that some rows get a far row as their last neighbour."""
    pytest.importorskip("faiss")
    from cleanaudit.checks.graph import approximate
    from cleanaudit.checks.graph import search as knn_search

    x = np.random.default_rng(7).normal(size=(n, 8))
    x[0] = 1000.0  # far from everything: nobody's true neighbour
    rows = np.arange(1, n // 2) if wrong == "half" else np.arange(1, n)
    ind, dist = knn_search.search_blocked(x, 10, "euclidean", None)
    ind[rows, -1] = 0
    dist[rows, -1] = np.linalg.norm(x[rows] - x[0], axis=1)
    recall, size = approximate.measured_recall(x, ind, dist, "euclidean")
    sample = approximate.recall_sample(n)
    share_wrong = np.isin(sample, rows).mean()  # each wrong row misses 1 of its 10 neighbours
    assert size == expected_sample == len(sample)
    assert recall == pytest.approx(1 - share_wrong / 10, abs=1e-12)
    assert recall < 0.99


def _true_recall(approx, exact) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(exact.indices, approx.indices)]))


def test_ivf_reaches_its_recall_target_and_says_so() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(c, 1.0, size=(1500, 12)) for c in rng.normal(0, 6, size=(4, 12))])
    exact = build_knn_graph(x, 10, method="blocked")
    approx = build_knn_graph(x, 10, method="ivf")
    params = approx.params
    assert approx.method == "ivf" and approx.recall_sample == 1000
    assert approx.recall >= 0.95 or params["nprobe"] == params["nlist"] // 16
    assert params["nlist"] == 77 and params["train_rows"] == 40 * 77 and params["target"] == 0.95
    # The recall on the sample estimates the recall over all rows.
    assert abs(_true_recall(approx, exact) - approx.recall) < 0.03
    assert (approx.indices != np.arange(len(x))[:, None]).all()
    assert (np.diff(approx.distances, axis=1) >= 0).all()
    shared = SharedKnn(x, method="ivf")
    shared.graph(10)
    record = shared.record()
    assert record["method"] == "ivf" and not record["exact"] and record["params"] == params
    assert record["recall"] == round(approx.recall, 4) and record["recall_sample"] == 1000


def test_ivf_scans_more_cells_on_harder_data() -> None:
    """Unstructured 30-D noise needs more cells than tight clusters for the same recall."""
    pytest.importorskip("faiss")
    from cleanaudit.checks.graph import approximate

    rng = np.random.default_rng(4)
    easy = np.vstack([rng.normal(c, 0.05, size=(400, 30)) for c in rng.normal(0, 5, size=(20, 30))])
    hard = rng.normal(size=(8000, 30))
    easy_graph = approximate.search_ivf(easy, 10, "euclidean", None)
    hard_graph = approximate.search_ivf(hard, 10, "euclidean", None)
    assert easy_graph.params["nprobe"] < hard_graph.params["nprobe"]
    assert easy_graph.recall >= 0.95
    # A target out of reach stops at a sixteenth of the cells, and the recall says what was reached.
    capped = approximate.search_ivf(hard, 10, "euclidean", None, target=1.01)
    assert capped.params["nprobe"] == capped.params["nlist"] // 16 and capped.recall < 1.01


def test_cells_search_probing_every_cell_is_exact(monkeypatch) -> None:
    """With every cell probed the cells search is a brute force: the exact graph (no ties in this data)."""
    pytest.importorskip("faiss")
    from cleanaudit.checks.graph import cells

    monkeypatch.setattr(cells, "CELL_MAX_PROBE_SHARE", 1)
    monkeypatch.setattr(cells, "CELL_ROWS", 300)
    x = np.random.default_rng(5).normal(size=(3000, 12))
    for metric in ("cosine", "euclidean"):
        exact = build_knn_graph(x, 10, metric=metric, method="blocked", correct_exact_duplicates=False)
        found = cells.search_cells(x, 10, metric, None, target=1.01)
        assert found.params["probes"] == found.params["cells"] == 10
        np.testing.assert_array_equal(found.indices, exact.indices)
        np.testing.assert_allclose(found.distances, exact.distances, rtol=0, atol=1e-12)
        assert found.recall == 1.0


def test_cells_search_reaches_its_target_and_records_it() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(6)
    x = np.vstack([rng.normal(c, 1.0, size=(2000, 16)) for c in rng.normal(0, 4, size=(5, 16))])
    exact = build_knn_graph(x, 10, method="blocked")
    approx = build_knn_graph(x, 10, method="cells")
    params = approx.params
    assert approx.method == "cells" and approx.recall_sample == 1000
    assert approx.recall >= 0.95 and params["target"] == 0.95 and params["cells"] == 10
    assert abs(_true_recall(approx, exact) - approx.recall) < 0.03
    assert (approx.indices != np.arange(len(x))[:, None]).all()
    assert (np.diff(approx.distances, axis=1) >= 0).all()
    shared = SharedKnn(x, method="cells")
    shared.graph(10)
    record = shared.record()
    assert record["method"] == "cells" and not record["exact"] and record["params"] == params


def test_cells_search_probes_more_cells_on_harder_data(monkeypatch) -> None:
    pytest.importorskip("faiss")
    from cleanaudit.checks.graph import cells

    monkeypatch.setattr(cells, "CELL_ROWS", 250)  # 40 cells, up to 10 probed

    rng = np.random.default_rng(7)
    easy = np.vstack([rng.normal(c, 0.05, size=(500, 30)) for c in rng.normal(0, 5, size=(20, 30))])
    hard = rng.normal(size=(10_000, 30))
    easy_graph = cells.search_cells(easy, 10, "euclidean", None)
    hard_graph = cells.search_cells(hard, 10, "euclidean", None)
    assert easy_graph.recall >= 0.95 and easy_graph.params["probes"] < hard_graph.params["probes"]
    # Out of reach: at most a quarter of the cells, and the recall says what was reached.
    capped = cells.search_cells(hard, 10, "euclidean", None, target=1.01)
    assert capped.params["probes"] == capped.params["cells"] // 4 and capped.recall < 1.0


def test_hnsw_recall_of_the_real_search_is_high() -> None:
    pytest.importorskip("faiss")
    x = np.random.default_rng(8).normal(size=(2000, 10)) + 1
    g = build_knn_graph(x, 10, method="hnsw")
    assert g.recall_sample == 1000 and 0.98 < g.recall <= 1.0
    assert g.first(5).recall == g.recall


def test_first_and_csr() -> None:
    x = np.r_[np.zeros((3, 2)), np.random.default_rng(0).normal(size=(20, 2))]
    g = build_knn_graph(x, 6)
    head = g.first(2)
    assert isinstance(head, KnnGraph) and head.k == 2 and head.metric == g.metric
    np.testing.assert_array_equal(head.indices, g.indices[:, :2])
    csr = g.to_csr()
    assert csr.shape == (23, 23) and csr.nnz == 23 * 6  # explicit zeros of the duplicates kept
    assert csr[0, 1] == 0 and csr.indices.reshape(23, 6)[0].tolist() == g.indices[0].tolist()
    with pytest.raises(ValueError):
        g.first(7)


def test_decide_metric() -> None:
    assert decide_metric(np.zeros((5, 1))) == "euclidean"
    assert decide_metric(np.zeros((5, 3))) == "euclidean"
    assert decide_metric(np.zeros((5, 4))) == "cosine"


def test_shared_knn_builds_once_with_the_largest_reserved_k() -> None:
    x = np.random.default_rng(0).normal(size=(100, 4))
    calls: list[tuple[str, int, int]] = []
    knn = SharedKnn(x, progress=lambda *a: calls.append(a))
    knn.reserve(10)
    knn.reserve(15)
    g5 = knn.graph(5)
    assert knn.built_k == 15 and g5.k == 5 and knn.metric == "cosine"
    g15 = knn.graph(15)
    np.testing.assert_array_equal(g15.indices[:, :5], g5.indices)
    assert calls and calls[0] == ("neighbours", 0, 100)
    g20 = knn.graph(20)  # more than reserved: rebuilt, still consistent
    assert knn.built_k == 20
    np.testing.assert_array_equal(g20.indices[:, :15], g15.indices)


def test_shared_knn_lowers_k_for_small_data_and_skips_tiny_data() -> None:
    x = np.random.default_rng(0).normal(size=(6, 2))
    knn = SharedKnn(x)
    knn.reserve(10)
    assert knn.graph(10).k == 5 and knn.clamped_k == 5
    with pytest.raises(CheckSkipped, match="at least 3 rows"):
        SharedKnn(x[:2]).graph(10)


def test_non_finite_features_skip() -> None:
    x = np.ones((10, 2))
    x[3, 1] = np.nan
    with pytest.raises(CheckSkipped, match="missing or infinite"):
        SharedKnn(x).graph(3)


def test_build_rejects_bad_k_and_metric() -> None:
    x = np.random.default_rng(0).normal(size=(5, 2))
    with pytest.raises(ValueError, match="k must be"):
        build_knn_graph(x, 5)
    with pytest.raises(ValueError, match="metric"):
        build_knn_graph(x, 2, metric="manhattan")


def test_blocked_search_equals_one_shot_search() -> None:
    # More rows than one search block: the per-block self-removal must give the same graph.
    x = np.random.default_rng(3).normal(size=(9000, 2))
    x[100] = x[8500]
    g = build_knn_graph(x, 5)
    ref = reference_graph(x, k=5)
    np.testing.assert_array_equal(g.indices, ref.indices.reshape(-1, 5))
    np.testing.assert_array_equal(g.distances, ref.data.reshape(-1, 5))


def test_blocked_search_across_tiles_and_blocks(monkeypatch) -> None:
    from cleanaudit.checks.graph import search as knn_search

    monkeypatch.setattr(knn_search, "_TILE", 320)  # 1000 rows -> 4 column tiles, the last one partial
    monkeypatch.setattr(knn_search, "_ROWS", 96)
    x = np.random.default_rng(4).normal(size=(1000, 8)) + 1
    x[990:] = x[3]  # a group of 11 copies > k
    for metric in ("cosine", "euclidean"):
        exact = build_knn_graph(x, 10, metric=metric, method="sklearn")
        fast = build_knn_graph(x, 10, metric=metric, method="blocked")
        np.testing.assert_allclose(fast.distances, exact.distances, rtol=0, atol=1e-12)
        assert_same_up_to_ties(fast, exact)


def test_auto_replaces_an_approximate_graph_that_misses_its_target_by_the_exact_one(monkeypatch) -> None:
    """Unstructured features: the capped probes miss too much, so auto searches exactly, and says why."""
    pytest.importorskip("faiss")
    from cleanaudit.checks.graph import cells, knn

    monkeypatch.setattr(knn, "FLAT_MAX_ROWS", 5000)
    monkeypatch.setattr(cells, "CELL_ROWS", 250)  # 32 cells, at most 8 probed
    x = np.random.default_rng(9).normal(size=(8000, 30))
    exact = build_knn_graph(x, 10, method="blocked")
    g = build_knn_graph(x, 10)
    assert g.method == "flat" and g.recall is None and g.params is None
    assert "below its 0.95 target" in g.note and "so the exact search ran instead" in g.note
    np.testing.assert_array_equal(g.indices, exact.indices)
    # Above the fallback size the approximate graph is kept, and the note says it missed its target.
    monkeypatch.setattr(knn, "EXACT_FALLBACK_ROWS", 5000)
    kept = build_knn_graph(x, 10)
    assert kept.method == "cells" and kept.recall < 0.95
    assert "below its 0.95 target" in kept.note and "may differ from an exact search" in kept.note


def test_an_approximate_graph_that_meets_its_target_says_its_recall(monkeypatch) -> None:
    pytest.importorskip("faiss")
    from cleanaudit.checks.graph import cells, knn

    monkeypatch.setattr(knn, "FLAT_MAX_ROWS", 5000)
    monkeypatch.setattr(cells, "CELL_ROWS", 250)
    rng = np.random.default_rng(10)
    x = np.vstack([rng.normal(c, 0.3, size=(2000, 12)) for c in rng.normal(0, 5, size=(4, 12))])
    g = build_knn_graph(x, 10)
    assert g.method == "cells" and g.recall >= 0.95
    assert g.note.startswith("neighbour graph of 8,000 rows by an approximate search") and "(target 0.95)" in g.note
